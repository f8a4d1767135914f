//! What a document is before it is parsed: its encoding (byte-order mark, then a `<meta>`
//! charset in the first kilobyte, as browsers prescan), and whether it is HTML at all.
//!
//! Encodings that are not ASCII-compatible (UTF-16 with a byte-order mark, ISO-2022-JP, the
//! "replacement" family) are refused: splicing bytes into them is not safe. A `<meta>` that
//! declares UTF-16 means UTF-8, as the HTML standard says. A NUL byte alone does not make a
//! file binary (html5lib's own test inputs carry them); known binary signatures and a dense
//! run of control bytes or invalid UTF-8 do.
//!
//! A fixed page must say the same of itself: see [`super::guard`].

use encoding_rs::{Encoding, ISO_2022_JP, REPLACEMENT, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::errors::DocumentError;

/// How many bytes are looked at before parsing starts.
pub(crate) const HEAD: usize = 1024;

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sniffed {
    pub(crate) encoding: &'static Encoding,
    /// Length of a byte-order mark to skip in columns.
    pub(crate) bom: usize,
}

/// Sniffs the first bytes of a document (up to [`HEAD`], or all of a shorter document).
pub(crate) fn sniff(head: &[u8]) -> Result<Sniffed, DocumentError> {
    if let Some((encoding, bom)) = Encoding::for_bom(head) {
        if encoding != UTF_8 {
            return Err(DocumentError::UnsupportedEncoding {
                encoding: encoding.name(),
            });
        }
        check_binary(&head[bom..], false)?;
        return Ok(Sniffed { encoding, bom });
    }
    check_signatures(head)?;
    let declared = declared(head);
    let encoding = match declared {
        Some(e) if e == REPLACEMENT || e == ISO_2022_JP => {
            return Err(DocumentError::UnsupportedEncoding { encoding: e.name() });
        }
        Some(e) => e,
        None => UTF_8,
    };
    if declared.is_none() && looks_like_utf16(head) {
        return Err(DocumentError::UnsupportedEncoding {
            encoding: "UTF-16 (without a byte-order mark)",
        });
    }
    check_binary(head, encoding != UTF_8)?;
    Ok(Sniffed { encoding, bom: 0 })
}

/// The encoding the first bytes declare in a `<meta>`, as a browser takes it: a declared
/// UTF-16 means UTF-8, `x-user-defined` means windows-1252.
pub(crate) fn declared(head: &[u8]) -> Option<&'static Encoding> {
    meta_charset(head).map(|e| match e {
        e if e == UTF_16BE || e == UTF_16LE => UTF_8,
        e if e.name() == "x-user-defined" => WINDOWS_1252,
        e => e,
    })
}

/// The encoding a `<meta charset=...>` or `<meta content="...; charset=...">` declares.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let head = &head[..head.len().min(HEAD)];
    let mut rest = head;
    while let Some(at) = find_ignore_case(rest, b"<meta") {
        let tag = &rest[at + 5..];
        let end = memchr::memchr(b'>', tag).unwrap_or(tag.len());
        let tag = &tag[..end];
        if let Some(label) = charset_label(tag)
            && let Some(encoding) = Encoding::for_label(label)
        {
            return Some(encoding);
        }
        rest = &rest[at + 5..];
    }
    None
}

fn charset_label(tag: &[u8]) -> Option<&[u8]> {
    let at = find_ignore_case(tag, b"charset")?;
    let mut rest = tag[at + 7..].trim_ascii_start();
    rest = rest.strip_prefix(b"=")?.trim_ascii_start();
    if let Some(quoted) = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")) {
        rest = quoted;
    }
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
        .count();
    (len > 0).then(|| &rest[..len])
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle.first()?;
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        haystack,
    )
    .find(|&at| {
        haystack
            .get(at..at + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

/// Every other byte NUL in the first bytes: UTF-16 text without a byte-order mark.
fn looks_like_utf16(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(256)];
    if sample.len() < 16 {
        return false;
    }
    let nul_at = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let half = sample.len() / 2;
    nul_at(0) * 10 >= half * 9 || nul_at(1) * 10 >= half * 9
}

/// Signatures of formats that are never HTML.
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"(\xb5/\xfd", "zstd-compressed data"),
    (b"\x7fELF", "an executable"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
    (b"\x00asm", "WebAssembly"),
];

fn not_html(reason: &str) -> DocumentError {
    DocumentError::NotHtml {
        reason: reason.to_owned(),
    }
}

fn check_signatures(head: &[u8]) -> Result<(), DocumentError> {
    for (signature, what) in SIGNATURES {
        if head.starts_with(signature) {
            return Err(not_html(&format!("it is {what}")));
        }
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Err(not_html("it is a WebP image"));
    }
    Ok(())
}

fn check_binary(head: &[u8], legacy_encoding: bool) -> Result<(), DocumentError> {
    check_signatures(head)?;
    let sample = &head[..head.len().min(HEAD)];
    if sample.len() < 64 {
        return Ok(());
    }
    let control = sample
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
        .count();
    // Strong evidence only: random binary data is caught by its invalid UTF-8 below, and
    // a borderline page must not flip to "binary" when `fix` shortens it.
    if control * 10 > sample.len() * 3 {
        return Err(not_html(
            "more than 30% of its first bytes are control bytes",
        ));
    }
    if !legacy_encoding && invalid_utf8(sample) * 3 > sample.len() {
        return Err(not_html(
            "a third of its first bytes are not UTF-8 and no <meta charset> names another encoding",
        ));
    }
    Ok(())
}

/// How many bytes of `bytes` are not part of a valid UTF-8 sequence (a sequence cut by the
/// end does not count).
fn invalid_utf8(mut bytes: &[u8]) -> usize {
    let mut invalid = 0;
    loop {
        match std::str::from_utf8(bytes) {
            Ok(_) => return invalid,
            Err(e) => match e.error_len() {
                Some(len) => {
                    invalid += len;
                    bytes = &bytes[e.valid_up_to() + len..];
                }
                None => return invalid,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoding(head: &[u8]) -> Result<&'static str, String> {
        sniff(head)
            .map(|s| s.encoding.name())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_bom_wins_and_utf16_is_refused() {
        assert_eq!(sniff(b"\xef\xbb\xbf<p>x").unwrap().bom, 3);
        assert!(
            encoding(b"\xff\xfe<\x00p\x00")
                .unwrap_err()
                .contains("UTF-16LE")
        );
        assert!(
            encoding(b"\xfe\xff\x00<\x00p")
                .unwrap_err()
                .contains("UTF-16BE")
        );
        let utf16: Vec<u8> = "<html><body>hello world</body></html>"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert!(
            encoding(&utf16)
                .unwrap_err()
                .contains("without a byte-order mark")
        );
    }

    #[test]
    fn meta_charsets_are_prescanned() {
        assert_eq!(
            encoding(b"<meta charset=\"windows-1252\"><p>x"),
            Ok("windows-1252")
        );
        assert_eq!(encoding(b"<META CHARSET=latin1>"), Ok("windows-1252"));
        assert_eq!(
            encoding(b"<meta http-equiv=Content-Type content='text/html; charset=Shift_JIS'>"),
            Ok("Shift_JIS")
        );
        assert_eq!(
            encoding(b"<meta charset=utf-16>"),
            Ok("UTF-8"),
            "the standard says UTF-8"
        );
        assert_eq!(encoding(b"<meta charset=bogus><p>x"), Ok("UTF-8"));
        assert!(
            encoding(b"<meta charset=iso-2022-jp>")
                .unwrap_err()
                .contains("ISO-2022-JP")
        );
        assert!(
            encoding(b"<meta charset=hz-gb-2312>")
                .unwrap_err()
                .contains("replacement")
        );
    }

    #[test]
    fn binary_is_recognised_but_nuls_in_html_are_not() {
        assert!(
            encoding(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
                .unwrap_err()
                .contains("PNG")
        );
        assert!(encoding(b"%PDF-1.7\n").unwrap_err().contains("PDF"));
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let random: Vec<u8> = (0..512)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect();
        assert!(encoding(&random).unwrap_err().contains("not UTF-8"));
        let mut nul_heavy = b"<p>".to_vec();
        nul_heavy.extend((0..200u8).flat_map(|i| [0, 0, i | 0x40]));
        assert!(encoding(&nul_heavy).unwrap_err().contains("control bytes"));
        assert_eq!(
            encoding(b"<body><svg><foreignObject>\x00filler\x00text"),
            Ok("UTF-8")
        );
        let html = b"<!DOCTYPE html><script type=\"data\"><!--<script>--\x00</script></script><p>some more text to make it long</p>";
        assert_eq!(encoding(html), Ok("UTF-8"));
        let latin1 = b"<meta charset=iso-8859-1><p>\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3\xa3</p>";
        assert_eq!(encoding(latin1), Ok("windows-1252"));
        assert_eq!(encoding(b""), Ok("UTF-8"));
    }
}
