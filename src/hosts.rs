//! Host matching on domain-label boundaries.
//!
//! A listed domain `amazon.com` matches `amazon.com` and `www.amazon.com`, never
//! `evilamazon.com` or `amazon.com.evil.example`. Hosts come from `url::Url`, so they are
//! already lowercased and IDNA-encoded: a homograph such as `аmazon.com` (Cyrillic `а`) arrives
//! as `xn--mazon-3ve.com` and matches nothing.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: host names are short, and the table is looked up for every link.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// A table of domains, looked up by a host and each of its parent domains, longest first.
#[derive(Debug, Clone)]
pub(crate) struct HostTable<V> {
    map: HashMap<Box<str>, V, BuildHasherDefault<Fnv>>,
    /// The last two labels of every domain: a host that ends otherwise (most links a page
    /// has) is turned away with one probe. `None` once a one-label domain is listed.
    tails: Option<HashSet<Box<str>, BuildHasherDefault<Fnv>>>,
}

impl<V> Default for HostTable<V> {
    fn default() -> Self {
        HostTable {
            map: HashMap::default(),
            tails: Some(HashSet::default()),
        }
    }
}

/// The last two labels of a domain, or `None` when it has fewer.
fn tail(domain: &str) -> Option<&str> {
    // Host names are short: a plain loop beats a vectorised search here.
    let mut dots = domain.bytes().enumerate().rev().filter(|&(_, b)| b == b'.');
    dots.next()?;
    Some(match dots.next() {
        Some((dot, _)) => &domain[dot + 1..],
        None => domain,
    })
}

impl<V> HostTable<V> {
    /// The value stored for exactly `domain`, inserted with `make` when absent.
    pub(crate) fn entry(&mut self, domain: &str, make: impl FnOnce() -> V) -> &mut V {
        match tail(domain) {
            Some(tail) => {
                if let Some(tails) = &mut self.tails {
                    tails.insert(tail.into());
                }
            }
            None => self.tails = None,
        }
        self.map.entry(domain.into()).or_insert_with(make)
    }

    /// The longest listed domain that `host` is equal to or a subdomain of, with its value.
    pub(crate) fn lookup(&self, host: &str) -> Option<(&str, &V)> {
        let mut candidate = host.strip_suffix('.').unwrap_or(host);
        if let Some(tails) = &self.tails
            && !tail(candidate).is_some_and(|tail| tails.contains(tail))
        {
            return None;
        }
        loop {
            if let Some((domain, value)) = self.map.get_key_value(candidate) {
                return Some((domain, value));
            }
            let dot = candidate.find('.')?;
            candidate = &candidate[dot + 1..];
        }
    }

    /// Every domain and value, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.map.iter().map(|(k, v)| (&**k, v))
    }
}

/// Whether `host` is `domain` or one of its subdomains.
pub(crate) fn host_matches(host: &str, domain: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// Whether `domain` is a lowercase ASCII domain name with at least two labels, as rule files
/// must write hosts (no scheme, port, path, wildcard or trailing dot).
pub(crate) fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_matches_on_label_boundaries_only() {
        let mut table = HostTable::default();
        *table.entry("amazon.com", || 0) = 1;
        *table.entry("amazon.co.uk", || 0) = 2;
        *table.entry("affiliate-program.amazon.com", || 0) = 3;
        assert_eq!(table.lookup("amazon.com"), Some(("amazon.com", &1)));
        assert_eq!(table.lookup("www.amazon.com"), Some(("amazon.com", &1)));
        assert_eq!(table.lookup("www.amazon.com."), Some(("amazon.com", &1)));
        assert_eq!(table.lookup("www.amazon.co.uk"), Some(("amazon.co.uk", &2)));
        assert_eq!(
            table.lookup("affiliate-program.amazon.com"),
            Some(("affiliate-program.amazon.com", &3))
        );
        for lookalike in [
            "evilamazon.com",
            "amazon.com.evil.example",
            "amazon.co",
            "amazon.com-deals.example",
            "xn--mazon-3ve.com",
            "co.uk",
            "com",
        ] {
            assert_eq!(table.lookup(lookalike), None, "{lookalike}");
        }
    }

    #[test]
    fn a_one_label_domain_still_matches_its_subdomains() {
        let mut table = HostTable::default();
        *table.entry("amazon.com", || 0) = 1;
        assert_eq!(table.lookup("com"), None);
        assert_eq!(table.lookup("shop.example"), None);
        *table.entry("localhost", || 0) = 2;
        assert_eq!(table.lookup("shop.localhost"), Some(("localhost", &2)));
        assert_eq!(table.lookup("localhost."), Some(("localhost", &2)));
        assert_eq!(table.lookup("www.amazon.com"), Some(("amazon.com", &1)));
    }

    #[test]
    fn host_matches_is_the_same_rule() {
        assert!(host_matches("www.ebay.co.uk", "ebay.co.uk"));
        assert!(host_matches("ebay.co.uk", "ebay.co.uk"));
        assert!(!host_matches("myebay.co.uk", "ebay.co.uk"));
        assert!(!host_matches("ebay.co.uk.example", "ebay.co.uk"));
    }

    #[test]
    fn domains_in_rule_files_are_plain() {
        assert!(is_valid_domain("amazon.com.mx"));
        assert!(is_valid_domain("go.skimresources.com"));
        for bad in [
            "amazon",
            "*.sjv.io",
            "Amazon.com",
            "amazon.com.",
            "https://amazon.com",
            "amazon.com/x",
            "-a.com",
            "a..com",
        ] {
            assert!(!is_valid_domain(bad), "{bad}");
        }
    }
}
