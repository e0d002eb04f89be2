//! Request parameters, parsed once with the RFC 6749 rules on duplicates and empties.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

/// The parameters of one request (query string or form body). Parsing is linear in the
/// input: each name is hashed once, duplicates included.
#[derive(Clone, Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
    duplicated: HashSet<String>,
    /// Every value of the parameters that may repeat, in order.
    repeated: HashMap<String, Vec<String>>,
}

/// Parameters that may be sent more than once: `resource` (RFC 8707 §2) and `audience`
/// (RFC 8693 §2.1). They are never "duplicated".
const REPEATABLE: [&str; 2] = ["resource", "audience"];

impl Params {
    /// Collects name/value pairs. Parameters sent without a value are treated as omitted
    /// (RFC 6749 §3.1); a parameter sent twice is remembered as duplicated, since
    /// "parameters MUST NOT be included more than once" (RFC 6749 §3.1, §3.2).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut params = Params::default();
        for (k, v) in pairs {
            let (k, v) = (k.into(), v.into());
            if v.is_empty() {
                continue;
            }
            if REPEATABLE.contains(&k.as_str()) {
                params.repeated.entry(k).or_default().push(v);
                continue;
            }
            match params.values.entry(k) {
                Entry::Occupied(e) => {
                    if !params.duplicated.contains(e.key()) {
                        params.duplicated.insert(e.key().clone());
                    }
                }
                Entry::Vacant(e) => {
                    e.insert(v);
                }
            }
        }
        params
    }

    /// Parses `application/x-www-form-urlencoded` text (a query string or a form body).
    pub fn parse_urlencoded(input: &[u8]) -> Self {
        Params::from_pairs(form_urlencoded::parse(input).into_owned())
    }

    /// The value of a parameter sent exactly once with a value.
    pub fn get(&self, name: &str) -> Option<&str> {
        if let Some(all) = self.repeated.get(name) {
            return match all.as_slice() {
                [one] => Some(one),
                _ => None,
            };
        }
        if self.is_duplicated(name) {
            return None;
        }
        self.values.get(name).map(String::as_str)
    }

    /// Every value of a parameter that may be sent more than once (`resource`,
    /// `audience`), in the order sent; empty when it was not sent.
    pub fn all(&self, name: &str) -> &[String] {
        self.repeated.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether the parameter was sent more than once.
    pub fn is_duplicated(&self, name: &str) -> bool {
        self.duplicated.contains(name)
    }

    /// Whether any parameter was sent more than once.
    pub fn has_duplicates(&self) -> bool {
        !self.duplicated.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_omitted_and_duplicates_detected() {
        let p = Params::parse_urlencoded(b"a=1&b=&c=x%20y&a=2&d=%E2%9C%93");
        assert_eq!(p.get("a"), None);
        assert!(p.is_duplicated("a"));
        assert_eq!(p.get("b"), None);
        assert!(!p.is_duplicated("b"));
        assert_eq!(p.get("c"), Some("x y"));
        assert_eq!(p.get("d"), Some("\u{2713}"));
        assert!(p.has_duplicates());
    }

    #[test]
    fn resource_and_audience_may_repeat() {
        let p = Params::parse_urlencoded(b"resource=a&resource=b&audience=x&scope=s");
        assert!(!p.has_duplicates());
        assert_eq!(p.all("resource"), ["a", "b"]);
        assert_eq!(p.get("resource"), None);
        assert_eq!(p.get("audience"), Some("x"));
        assert!(p.all("scope").is_empty());
    }

    #[test]
    fn many_distinct_duplicates_are_all_remembered() {
        let body: String = (0..2000).map(|i| format!("p{i}=1&p{i}=2&")).collect();
        let p = Params::parse_urlencoded(body.as_bytes());
        assert!((0..2000).all(|i| p.is_duplicated(&format!("p{i}"))));
        assert_eq!(p.get("p7"), None);
    }
}
