//! Validated inputs of the messaging and user-restriction APIs: place ids, topic names, messages,
//! restriction reasons, durations and idempotency keys.
//!
//! As in [`names`](crate::names), every rule is checked when a value is made (or, for free text,
//! when the operation builds its request), with an error that names the field and the rule.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;

/// Maximum characters in a messaging topic name ("with up to 80 characters", Publish a Message).
pub const MAX_TOPIC_CHARS: usize = 80;
/// Maximum size of a published message in UTF-8 bytes ("up to 1,024 characters (1 KB)"): counting
/// bytes satisfies both readings of the documented limit.
pub const MAX_MESSAGE_BYTES: usize = 1024;
/// Maximum characters in a restriction's private reason ("1,000 character maximum").
pub const MAX_PRIVATE_REASON_CHARS: usize = 1000;
/// Maximum characters in a restriction's display reason ("400 character maximum").
pub const MAX_DISPLAY_REASON_CHARS: usize = 400;
/// Longest restriction duration in seconds ("from 1 second to 315,576,000,000 seconds"), which
/// is also the largest duration the wire format (`google.protobuf.Duration`) carries.
pub const MAX_DURATION_SECS: u64 = 315_576_000_000;
/// Maximum characters in an idempotency key (the service documents no limit; this crate's choice).
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 128;

/// A place id: the decimal `game.PlaceId`, not a universe id.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PlaceId(String);

impl PlaceId {
    /// The name of the field, as used in errors.
    pub const FIELD: &'static str = "place_id";

    /// Validates a place id: 1 to 20 decimal digits.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidInput> {
        let s: String = value.into();
        if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidInput::new(
                Self::FIELD,
                format!("must be 1 to 20 decimal digits, got {s:?}"),
            ));
        }
        Ok(Self(s))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads the `places/{id}` form the logs use (a bare id is accepted too).
    pub fn from_resource(s: &str) -> Result<Self, InvalidInput> {
        Self::new(s.strip_prefix("places/").unwrap_or(s))
    }
}

impl From<u64> for PlaceId {
    fn from(id: u64) -> Self {
        Self(id.to_string())
    }
}

impl fmt::Debug for PlaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlaceId({:?})", self.0)
    }
}

impl fmt::Display for PlaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for PlaceId {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        Self::new(s)
    }
}

impl<'de> Deserialize<'de> for PlaceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(s).map_err(serde::de::Error::custom)
    }
}

/// A messaging topic: 1 to 80 characters. The legacy API puts it in the path, so `.` and `..`
/// (which URL normalisation would turn into another path) are refused.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TopicName(String);

impl TopicName {
    /// The name of the field, as used in errors.
    pub const FIELD: &'static str = "topic";

    /// Validates a topic name.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidInput> {
        let s: String = value.into();
        if s.is_empty() {
            return Err(InvalidInput::new(Self::FIELD, "must not be empty"));
        }
        let n = s.chars().count();
        if n > MAX_TOPIC_CHARS {
            return Err(InvalidInput::new(
                Self::FIELD,
                format!("must be at most {MAX_TOPIC_CHARS} characters, got {n}"),
            ));
        }
        if s == "." || s == ".." {
            return Err(InvalidInput::new(
                Self::FIELD,
                "must not be `.` or `..`, which URL normalisation turns into another path",
            ));
        }
        Ok(Self(s))
    }

    /// Wraps a topic without checking the documented rules.
    pub fn new_unvalidated(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The topic as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TopicName({:?})", self.0)
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for TopicName {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        Self::new(s)
    }
}

impl<'de> Deserialize<'de> for TopicName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(s).map_err(serde::de::Error::custom)
    }
}

/// Checks a message to publish: at most [`MAX_MESSAGE_BYTES`] bytes of UTF-8.
pub fn check_message(message: &str) -> Result<(), InvalidInput> {
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(InvalidInput::new(
            "message",
            format!(
                "must be at most {MAX_MESSAGE_BYTES} bytes of UTF-8 (1 KB), got {}",
                message.len()
            ),
        ));
    }
    Ok(())
}

/// Checks a free-text reason against its character limit.
pub fn check_reason(field: &'static str, reason: &str, max: usize) -> Result<(), InvalidInput> {
    let n = reason.chars().count();
    if n > max {
        return Err(InvalidInput::new(
            field,
            format!("must be at most {max} characters, got {n}"),
        ));
    }
    Ok(())
}

/// A duration as the v2 APIs write it: `google.protobuf.Duration` in its JSON form, seconds with
/// an optional fraction of up to nine digits and an `s` suffix (`"3s"`, `"1.5s"`).
///
/// Any value from zero to [`MAX_DURATION_SECS`] seconds can be held, so every duration the service
/// returns can be read; [`RestrictionDuration::check_for_restriction`] applies the stricter rule
/// for writes (whole seconds, at least one).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RestrictionDuration(Duration);

impl RestrictionDuration {
    /// The longest duration the wire format carries.
    pub const MAX: RestrictionDuration =
        RestrictionDuration(Duration::from_secs(MAX_DURATION_SECS));

    /// A whole number of seconds; fails beyond [`MAX_DURATION_SECS`].
    pub fn from_secs(secs: u64) -> Result<Self, InvalidInput> {
        Self::try_from(Duration::from_secs(secs))
    }

    /// Whole days, with checked arithmetic; fails beyond [`MAX_DURATION_SECS`].
    pub fn from_days(days: u64) -> Result<Self, InvalidInput> {
        let secs = days
            .checked_mul(86_400)
            .ok_or_else(|| InvalidInput::new("duration", "is too long"))?;
        Self::from_secs(secs)
    }

    /// The duration.
    pub fn as_duration(self) -> Duration {
        self.0
    }

    /// Whole seconds (the fraction dropped).
    pub fn as_secs(self) -> u64 {
        self.0.as_secs()
    }

    /// Checks the rule for a restriction's duration: 1 to 315,576,000,000 whole seconds
    /// ("durations with sub-second precision are not permitted").
    pub fn check_for_restriction(self) -> Result<(), InvalidInput> {
        if self.0.subsec_nanos() != 0 {
            return Err(InvalidInput::new(
                "duration",
                format!(
                    "must be whole seconds (sub-second precision is not permitted), got {self}"
                ),
            ));
        }
        if self.0.as_secs() == 0 {
            return Err(InvalidInput::new(
                "duration",
                "must be at least 1 second (omit it for a permanent restriction)",
            ));
        }
        Ok(())
    }

    /// Parses the wire form. Refuses signs, exponents, spaces, more than nine fraction digits,
    /// a missing `s`, and anything beyond [`MAX_DURATION_SECS`]; never panics.
    pub fn parse(s: &str) -> Result<Self, InvalidInput> {
        let bad = |why: &str| InvalidInput::new("duration", format!("{why}, got {s:?}"));
        let body = s
            .strip_suffix('s')
            .ok_or_else(|| bad("must end in `s` (such as \"3600s\")"))?;
        let (whole, frac) = match body.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (body, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("must be decimal seconds such as \"3600s\""));
        }
        // At most 12 digits fit below the maximum; longer strings are refused before parsing.
        if whole.len() > 12 {
            return Err(bad("is longer than 315,576,000,000 seconds"));
        }
        let secs: u64 = whole
            .parse()
            .map_err(|_| bad("must be decimal seconds such as \"3600s\""))?;
        let mut nanos: u32 = 0;
        if let Some(f) = frac {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("must have 1 to 9 fraction digits after `.`"));
            }
            // Nine digits at most: the value stays below 10^9, far inside u32.
            for b in f.bytes().chain(std::iter::repeat(b'0')).take(9) {
                nanos = nanos * 10 + u32::from(b - b'0');
            }
        }
        if secs > MAX_DURATION_SECS || (secs == MAX_DURATION_SECS && nanos > 0) {
            return Err(bad("is longer than 315,576,000,000 seconds"));
        }
        Ok(Self(Duration::new(secs, nanos)))
    }
}

impl TryFrom<Duration> for RestrictionDuration {
    type Error = InvalidInput;
    fn try_from(d: Duration) -> Result<Self, InvalidInput> {
        if d > Self::MAX.0 {
            return Err(InvalidInput::new(
                "duration",
                format!(
                    "must be at most {MAX_DURATION_SECS} seconds, got {}",
                    d.as_secs()
                ),
            ));
        }
        Ok(Self(d))
    }
}

impl fmt::Display for RestrictionDuration {
    /// The wire form: `"3600s"`, or with 3, 6 or 9 fraction digits (`"1.500s"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        let nanos = self.0.subsec_nanos();
        if nanos == 0 {
            write!(f, "{secs}s")
        } else if nanos.is_multiple_of(1_000_000) {
            write!(f, "{secs}.{:03}s", nanos / 1_000_000)
        } else if nanos.is_multiple_of(1_000) {
            write!(f, "{secs}.{:06}s", nanos / 1_000)
        } else {
            write!(f, "{secs}.{nanos:09}s")
        }
    }
}

impl fmt::Debug for RestrictionDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RestrictionDuration({self})")
    }
}

impl std::str::FromStr for RestrictionDuration {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        Self::parse(s)
    }
}

impl Serialize for RestrictionDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RestrictionDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The idempotency key of a restriction update (`idempotencyKey.key` and
/// `idempotencyKey.firstSent`).
///
/// The caller makes the key (a UUID, say) and takes `first_sent` from its clock once, before the
/// first attempt: every retry of the same update sends the same pair, so the service applies it
/// at most once and the restriction's start time cannot move. The core draws no randomness and
/// reads no clock.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    key: String,
    first_sent: Timestamp,
}

impl IdempotencyKey {
    /// Validates a key: 1 to 128 characters, no control characters or spaces.
    pub fn new(key: impl Into<String>, first_sent: Timestamp) -> Result<Self, InvalidInput> {
        let key: String = key.into();
        if key.is_empty() {
            return Err(InvalidInput::new("idempotency_key", "must not be empty"));
        }
        let n = key.chars().count();
        if n > MAX_IDEMPOTENCY_KEY_CHARS {
            return Err(InvalidInput::new(
                "idempotency_key",
                format!("must be at most {MAX_IDEMPOTENCY_KEY_CHARS} characters, got {n}"),
            ));
        }
        if key.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(InvalidInput::new(
                "idempotency_key",
                "must not contain spaces or control characters",
            ));
        }
        Ok(Self { key, first_sent })
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// When the first attempt was sent.
    pub fn first_sent(&self) -> Timestamp {
        self.first_sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_the_wire_form_and_refuse_garbage() {
        assert_eq!(RestrictionDuration::parse("3s").unwrap().as_secs(), 3);
        assert_eq!(
            RestrictionDuration::parse("1.5s").unwrap().as_duration(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            RestrictionDuration::parse("315576000000s").unwrap(),
            RestrictionDuration::MAX
        );
        for bad in [
            "",
            "s",
            "3",
            "-3s",
            "+3s",
            "3.s",
            ".5s",
            "1e3s",
            " 3s",
            "3 s",
            "3.0000000001s",
            "315576000001s",
            "315576000000.5s",
            "99999999999999999999999s",
            "３s",
        ] {
            let e = RestrictionDuration::parse(bad).unwrap_err();
            assert_eq!(e.field, "duration", "{bad:?}");
        }
    }

    #[test]
    fn durations_render_canonically() {
        let d = |s: u64, n: u32| RestrictionDuration::try_from(Duration::new(s, n)).unwrap();
        assert_eq!(d(3, 0).to_string(), "3s");
        assert_eq!(d(1, 500_000_000).to_string(), "1.500s");
        assert_eq!(d(0, 1_000).to_string(), "0.000001s");
        assert_eq!(d(0, 1).to_string(), "0.000000001s");
        assert_eq!(
            RestrictionDuration::from_days(1).unwrap().to_string(),
            "86400s"
        );
        assert!(RestrictionDuration::from_days(u64::MAX).is_err());
        assert!(RestrictionDuration::from_secs(MAX_DURATION_SECS + 1).is_err());
    }

    #[test]
    fn restriction_durations_are_whole_positive_seconds() {
        assert!(
            RestrictionDuration::from_secs(1)
                .unwrap()
                .check_for_restriction()
                .is_ok()
        );
        let zero = RestrictionDuration::from_secs(0)
            .unwrap()
            .check_for_restriction();
        assert!(zero.unwrap_err().rule.contains("at least 1 second"));
        let frac = RestrictionDuration::parse("1.5s")
            .unwrap()
            .check_for_restriction();
        assert!(frac.unwrap_err().rule.contains("whole seconds"));
    }

    #[test]
    fn topics_places_messages_and_keys_follow_their_rules() {
        assert!(TopicName::new("t".repeat(80)).is_ok());
        assert!(
            TopicName::new("é".repeat(80)).is_ok(),
            "characters, not bytes"
        );
        let e = TopicName::new("t".repeat(81)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid topic: must be at most 80 characters, got 81"
        );
        assert!(TopicName::new("").is_err());
        assert!(TopicName::new("..").is_err());
        assert!(PlaceId::new("12a").is_err());
        assert_eq!(
            PlaceId::from_resource("places/456").unwrap().as_str(),
            "456"
        );
        assert!(check_message(&"x".repeat(1024)).is_ok());
        let e = check_message(&"é".repeat(513)).unwrap_err();
        assert_eq!(e.field, "message");
        assert!(e.rule.contains("1026"), "{e}");
        assert!(check_reason("display_reason", &"r".repeat(400), 400).is_ok());
        assert!(check_reason("display_reason", &"r".repeat(401), 400).is_err());
        let t: Timestamp = "2024-01-02T03:04:05Z".parse().unwrap();
        assert!(IdempotencyKey::new("0b6c5a5e-1f0e-4a7a-9c53-9d1f0f3c2b11", t).is_ok());
        assert!(IdempotencyKey::new("", t).is_err());
        assert!(IdempotencyKey::new("a b", t).is_err());
        assert!(IdempotencyKey::new("k".repeat(129), t).is_err());
    }
}
