//! The `@` revision selector of v2 entry ids, rendered in one place.
//!
//! The service splits an entry id at its **last** `@`: `latest` means the current revision,
//! `latest:<RFC 3339>` the revision current at that time, anything else a revision id. So a key
//! that itself contains `@` must always carry a selector, and `@latest` is appended to it.

use std::time::Duration;

use jiff::Timestamp;

use crate::error::InvalidInput;
use crate::names::{EntryKey, RevisionId};
use crate::route::encode_component;

/// How far ahead of `now` an as-of time may be ("not more than ten minutes in the future").
pub const MAX_AS_OF_AHEAD: Duration = Duration::from_secs(600);

/// A time for an as-of read, checked against the documented rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOfTime(Timestamp);

impl AsOfTime {
    /// Checks that `time` is after the Unix epoch and at most ten minutes after `now`.
    /// `now` comes from the caller: this crate never reads a clock.
    pub fn new(time: Timestamp, now: Timestamp) -> Result<Self, InvalidInput> {
        if time <= Timestamp::UNIX_EPOCH {
            return Err(InvalidInput::new("as_of", "must be after the Unix epoch"));
        }
        let limit = now.as_millisecond() + MAX_AS_OF_AHEAD.as_millis() as i64;
        if time.as_millisecond() > limit {
            return Err(InvalidInput::new(
                "as_of",
                format!("{time} is more than ten minutes after now ({now})"),
            ));
        }
        Ok(Self(time))
    }

    /// Wraps a time without checking it.
    pub fn new_unvalidated(time: Timestamp) -> Self {
        Self(time)
    }

    /// The time.
    pub fn timestamp(self) -> Timestamp {
        self.0
    }
}

/// Which revision of an entry to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RevisionSelector {
    /// The current revision.
    #[default]
    Latest,
    /// A given revision.
    Revision(RevisionId),
    /// The revision that was current at a time.
    AsOf(AsOfTime),
}

impl RevisionSelector {
    /// The suffix for a key: empty for the latest revision of a key without `@`.
    pub fn suffix_for(&self, key: &str) -> String {
        match self {
            RevisionSelector::Latest if key.contains('@') => "@latest".to_string(),
            RevisionSelector::Latest => String::new(),
            RevisionSelector::Revision(r) => format!("@{}", encode_component(r.as_str())),
            RevisionSelector::AsOf(t) => format!("@latest:{}", t.0),
        }
    }
}

/// Renders the `{entry_id}` segment of a read: the percent-encoded key and the selector.
pub fn render_entry_segment(key: &EntryKey, selector: &RevisionSelector) -> String {
    let mut s = encode_component(key.as_str());
    s.push_str(&selector.suffix_for(key.as_str()));
    s
}

/// A selector as the service reads it from a decoded entry id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedSelector {
    /// No selector, or `@latest`.
    Latest,
    /// `@<revision>`.
    Revision(String),
    /// `@latest:<time>`.
    AsOf(Timestamp),
    /// `@latest:<something that is not an RFC 3339 time>`.
    BadTime(String),
}

/// Splits a decoded entry id the way the service does for reads: at the last `@`.
pub fn parse_entry_id(id: &str) -> (&str, ParsedSelector) {
    let Some(at) = id.rfind('@') else {
        return (id, ParsedSelector::Latest);
    };
    let (key, sel) = (&id[..at], &id[at + 1..]);
    let parsed = if sel == "latest" {
        ParsedSelector::Latest
    } else if let Some(t) = sel.strip_prefix("latest:") {
        match t.parse::<Timestamp>() {
            Ok(ts) => ParsedSelector::AsOf(ts),
            Err(_) => ParsedSelector::BadTime(t.to_string()),
        }
    } else {
        ParsedSelector::Revision(sel.to_string())
    };
    (key, parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::decode_component;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn keys_with_at_always_get_a_selector() {
        let k = EntryKey::new("my@entry").unwrap();
        assert_eq!(
            render_entry_segment(&k, &RevisionSelector::Latest),
            "my%40entry@latest"
        );
        let plain = EntryKey::new("my-entry").unwrap();
        assert_eq!(
            render_entry_segment(&plain, &RevisionSelector::Latest),
            "my-entry"
        );
        let r = RevisionId::new("08DC3D3F43F9FCC1.0000000001.08DC3D3F43F9FCC1.01").unwrap();
        assert_eq!(
            render_entry_segment(&plain, &RevisionSelector::Revision(r)),
            "my-entry@08DC3D3F43F9FCC1.0000000001.08DC3D3F43F9FCC1.01"
        );
        let now = ts("2024-12-02T06:00:00Z");
        let t = AsOfTime::new(ts("2024-12-02T06:00:00Z"), now).unwrap();
        assert_eq!(
            render_entry_segment(&plain, &RevisionSelector::AsOf(t)),
            "my-entry@latest:2024-12-02T06:00:00Z"
        );
    }

    #[test]
    fn as_of_rules_take_now_from_the_caller() {
        let now = ts("2024-01-01T00:00:00Z");
        assert!(AsOfTime::new(ts("2024-01-01T00:10:00Z"), now).is_ok());
        assert!(AsOfTime::new(ts("2024-01-01T00:10:01Z"), now).is_err());
        assert!(AsOfTime::new(Timestamp::UNIX_EPOCH, now).is_err());
    }

    #[test]
    fn parsing_splits_at_the_last_at() {
        assert_eq!(
            parse_entry_id("a@b@latest"),
            ("a@b", ParsedSelector::Latest)
        );
        assert_eq!(parse_entry_id("a"), ("a", ParsedSelector::Latest));
        assert_eq!(
            parse_entry_id("a@r1"),
            ("a", ParsedSelector::Revision("r1".into()))
        );
        assert_eq!(
            parse_entry_id("a@latest:2024-12-02T06:00:00Z"),
            ("a", ParsedSelector::AsOf(ts("2024-12-02T06:00:00Z")))
        );
        assert!(matches!(
            parse_entry_id("a@latest:x").1,
            ParsedSelector::BadTime(_)
        ));
        let seg = render_entry_segment(&EntryKey::new("x@y").unwrap(), &RevisionSelector::Latest);
        let decoded = decode_component(&seg).unwrap();
        assert_eq!(parse_entry_id(&decoded), ("x@y", ParsedSelector::Latest));
    }
}
