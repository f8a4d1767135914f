//! Disclosure checks (filled in with the disclosure issue).
