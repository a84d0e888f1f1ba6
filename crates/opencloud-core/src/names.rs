//! Validated names for every path part and limited input.
//!
//! Each type checks the service's documented rules when it is made, so an invalid name is
//! rejected before any request is built, with an error that names the field and the rule.
//! Every type also has a loudly named `new_unvalidated` constructor for the day the service
//! changes its rules before this crate does.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::InvalidInput;

/// Maximum characters in a data store name, scope or standard entry key
/// (`error-codes-and-limits`, "Data limits").
pub const MAX_NAME_CHARS: usize = 50;
/// Maximum characters in an ordered entry id (`Create Ordered Data Store Entry`: "1-63").
pub const MAX_ORDERED_ID_CHARS: usize = 63;
/// Maximum characters in a serialized entry value ("4,194,304 per key").
pub const MAX_VALUE_CHARS: usize = 4_194_304;
/// Maximum characters in one attribute name.
pub const MAX_ATTRIBUTE_KEY_CHARS: usize = 50;
/// Maximum characters in one serialized attribute value.
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 250;
/// Maximum characters in the serialized attributes object.
pub const MAX_ATTRIBUTES_CHARS: usize = 300;
/// Maximum users tagged on one entry.
pub const MAX_USERS: usize = 4;
/// Largest integer magnitude a double carries exactly; the wire type of increments and ordered
/// values is a double, so larger integers would be silently rounded.
pub const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_992;
/// Upper bound this crate puts on revision ids and page tokens, which the service calls opaque.
pub const MAX_OPAQUE_BYTES: usize = 4096;

fn check_chars(field: &'static str, s: &str, max: usize) -> Result<(), InvalidInput> {
    if s.is_empty() {
        return Err(InvalidInput::new(field, "must not be empty"));
    }
    let n = s.chars().count();
    if n > max {
        return Err(InvalidInput::new(
            field,
            format!("must be at most {max} characters, got {n}"),
        ));
    }
    if s == "." || s == ".." {
        return Err(InvalidInput::new(
            field,
            "must not be `.` or `..`, which URL normalisation turns into another path",
        ));
    }
    Ok(())
}

macro_rules! string_name {
    ($(#[$doc:meta])* $name:ident, $field:literal, |$s:ident| $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps a value.
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidInput> {
                let $s: String = value.into();
                $check?;
                Ok(Self($s))
            }

            /// Wraps a value without checking the documented rules. Use only when the service
            /// accepts something this crate does not yet know it accepts.
            pub fn new_unvalidated(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The name of the field, as used in errors.
            pub const FIELD: &'static str = $field;
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidInput;
            fn from_str(s: &str) -> Result<Self, InvalidInput> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidInput;
            fn try_from(s: &str) -> Result<Self, InvalidInput> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidInput;
            fn try_from(s: String) -> Result<Self, InvalidInput> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_name!(
    /// A universe (experience) id: the decimal `game.GameId`, not a place id.
    UniverseId, "universe_id", |s| {
        if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
            Err(InvalidInput::new("universe_id", format!("must be 1 to 20 decimal digits, got {s:?}")))
        } else {
            Ok(())
        }
    }
);

impl From<u64> for UniverseId {
    fn from(id: u64) -> Self {
        Self(id.to_string())
    }
}

string_name!(
    /// A data store name (standard or ordered): 1 to 50 characters, any of them.
    DataStoreName, "data_store", |s| check_chars("data_store", &s, MAX_NAME_CHARS)
);

string_name!(
    /// A named scope: 1 to 50 characters. `-` is the all-scopes wildcard, which only listing
    /// accepts: use [`ListScope::All`](crate::ListScope::All) for it.
    Scope, "scope", |s| {
        check_chars("scope", &s, MAX_NAME_CHARS)?;
        if s == "-" {
            Err(InvalidInput::new("scope", "`-` is the all-scopes wildcard; use ListScope::All to list every scope"))
        } else {
            Ok(())
        }
    }
);

impl Scope {
    /// The default scope, `global`.
    pub fn global() -> Self {
        Self("global".to_string())
    }

    /// Whether this is the default scope, whose canonical resource path omits `/scopes/global`.
    pub fn is_global(&self) -> bool {
        self.0 == "global"
    }
}

string_name!(
    /// A standard entry key: 1 to 50 characters. Any character is allowed and sent exactly;
    /// a key containing `@` is read as `key@latest` so the service never takes part of it for a
    /// revision.
    EntryKey, "entry_key", |s| check_chars("entry_key", &s, MAX_NAME_CHARS)
);

string_name!(
    /// An ordered entry id: 1 to 63 characters.
    OrderedEntryId, "entry_id", |s| check_chars("entry_id", &s, MAX_ORDERED_ID_CHARS)
);

string_name!(
    /// A revision id, as the service returned it. The service calls the format arbitrary; this
    /// type only refuses what would make a selector ambiguous: `@`, `/`, and the reserved
    /// `latest`.
    RevisionId, "revision_id", |s| {
        if s.is_empty() || s.len() > MAX_OPAQUE_BYTES {
            Err(InvalidInput::new("revision_id", format!("must be 1 to {MAX_OPAQUE_BYTES} bytes")))
        } else if s.contains('@') || s.contains('/') {
            Err(InvalidInput::new("revision_id", "must not contain `@` or `/`"))
        } else if s == "latest" || s.starts_with("latest:") {
            Err(InvalidInput::new("revision_id", "`latest` is reserved; use RevisionSelector::Latest or AsOf"))
        } else {
            Ok(())
        }
    }
);

string_name!(
    /// An opaque page token returned by a list operation.
    PageToken, "page_token", |s| {
        if s.is_empty() || s.len() > MAX_OPAQUE_BYTES {
            Err(InvalidInput::new("page_token", format!("must be 1 to {MAX_OPAQUE_BYTES} bytes")))
        } else {
            Ok(())
        }
    }
);

/// A Roblox user, written `users/{id}` on the wire ("not a bare user ID").
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub u64);

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "users/{}", self.0)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "users/{}", self.0)
    }
}

impl std::str::FromStr for UserId {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        let digits = s.strip_prefix("users/").unwrap_or(s);
        digits.parse::<u64>().map(UserId).map_err(|_| {
            InvalidInput::new("users", format!("must be `users/<decimal id>`, got {s:?}"))
        })
    }
}

impl Serialize for UserId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Checks the users tagged on an entry: at most [`MAX_USERS`].
pub fn check_users(users: &[UserId]) -> Result<(), InvalidInput> {
    if users.len() > MAX_USERS {
        return Err(InvalidInput::new(
            "users",
            format!(
                "at most {MAX_USERS} users may be tagged on an entry, got {}",
                users.len()
            ),
        ));
    }
    Ok(())
}

/// Entry attributes: a JSON object within the documented metadata limits.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct Attributes(Map<String, Value>);

impl Attributes {
    /// Validates an object: names at most 50 characters, each value at most 250 serialized
    /// characters, the whole object at most 300 serialized characters.
    pub fn new(map: Map<String, Value>) -> Result<Self, InvalidInput> {
        for (k, v) in &map {
            if k.is_empty() || k.chars().count() > MAX_ATTRIBUTE_KEY_CHARS {
                return Err(InvalidInput::new(
                    "attributes",
                    format!(
                        "attribute names must be 1 to {MAX_ATTRIBUTE_KEY_CHARS} characters, got {k:?}"
                    ),
                ));
            }
            let n = v.to_string().chars().count();
            if n > MAX_ATTRIBUTE_VALUE_CHARS {
                return Err(InvalidInput::new(
                    "attributes",
                    format!(
                        "attribute {k:?} is {n} characters; at most {MAX_ATTRIBUTE_VALUE_CHARS} are allowed"
                    ),
                ));
            }
        }
        let total = Value::Object(map.clone()).to_string().chars().count();
        if total > MAX_ATTRIBUTES_CHARS {
            return Err(InvalidInput::new(
                "attributes",
                format!(
                    "serialized attributes are {total} characters; at most {MAX_ATTRIBUTES_CHARS} are allowed"
                ),
            ));
        }
        Ok(Self(map))
    }

    /// Validates any JSON value, which must be an object.
    pub fn from_value(value: Value) -> Result<Self, InvalidInput> {
        match value {
            Value::Object(map) => Self::new(map),
            other => Err(InvalidInput::new(
                "attributes",
                format!("must be a JSON object, got {other}"),
            )),
        }
    }

    /// Wraps an object without checking the limits.
    pub fn new_unvalidated(map: Map<String, Value>) -> Self {
        Self(map)
    }

    /// The attributes as a JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Takes the JSON object out.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(Map::deserialize(d)?))
    }
}

/// Checks an entry value against the size limit and returns its serialized form.
pub fn check_value(value: &Value) -> Result<String, InvalidInput> {
    let s = value.to_string();
    // Bytes bound characters from above: count characters only when the bytes exceed the limit.
    if s.len() > MAX_VALUE_CHARS {
        let n = s.chars().count();
        if n > MAX_VALUE_CHARS {
            return Err(InvalidInput::new(
                "value",
                format!(
                    "serialized value is {n} characters; at most {MAX_VALUE_CHARS} are allowed"
                ),
            ));
        }
    }
    Ok(s)
}

/// Checks an integer that travels as a double: its magnitude must be at most 2^53.
pub fn check_safe_integer(field: &'static str, n: i64) -> Result<(), InvalidInput> {
    if n.unsigned_abs() > MAX_SAFE_INTEGER as u64 {
        return Err(InvalidInput::new(
            field,
            format!("{n} is beyond ±2^53; the service carries it as a double and would round it"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_enforce_documented_limits() {
        assert!(DataStoreName::new("a".repeat(50)).is_ok());
        let e = DataStoreName::new("a".repeat(51)).unwrap_err();
        assert_eq!(e.field, "data_store");
        assert!(
            e.to_string().contains("at most 50 characters, got 51"),
            "{e}"
        );
        assert!(
            EntryKey::new("é".repeat(50)).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            EntryKey::new("").unwrap_err().to_string(),
            "invalid entry_key: must not be empty"
        );
        assert!(EntryKey::new("..").is_err());
        assert!(OrderedEntryId::new("x".repeat(63)).is_ok());
        assert!(OrderedEntryId::new("x".repeat(64)).is_err());
        assert!(
            Scope::new("-")
                .unwrap_err()
                .to_string()
                .contains("wildcard")
        );
        assert!(UniverseId::new("12a").is_err());
        assert!(UniverseId::new("").is_err());
        assert_eq!(UniverseId::from(42).as_str(), "42");
        assert!(RevisionId::new("latest").is_err());
        assert!(RevisionId::new("a@b").is_err());
        assert!(RevisionId::new("08D9E6A3F2188CFF.0000000001.08D9E6A3F2188CFF.01").is_ok());
        assert!(PageToken::new("").is_err());
    }

    #[test]
    fn unvalidated_constructors_skip_the_rules() {
        assert_eq!(EntryKey::new_unvalidated("").as_str(), "");
    }

    #[test]
    fn attributes_and_users_limits() {
        let ok: Map<String, Value> = serde_json::from_str(r#"{"a":"b"}"#).unwrap();
        assert!(Attributes::new(ok).is_ok());
        let long_value: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"a": "x".repeat(260)})).unwrap();
        assert!(
            Attributes::new(long_value)
                .unwrap_err()
                .to_string()
                .contains("at most 250")
        );
        let total: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "a": "x".repeat(200), "b": "y".repeat(200)
        }))
        .unwrap();
        assert!(
            Attributes::new(total)
                .unwrap_err()
                .to_string()
                .contains("at most 300")
        );
        assert!(Attributes::from_value(serde_json::json!([1])).is_err());
        assert!(check_users(&[UserId(1); 4]).is_ok());
        assert!(
            check_users(&[UserId(1); 5])
                .unwrap_err()
                .to_string()
                .contains("at most 4")
        );
        assert_eq!("users/42".parse::<UserId>().unwrap(), UserId(42));
        assert_eq!(UserId(7).to_string(), "users/7");
    }

    #[test]
    fn value_and_integer_limits() {
        assert!(check_value(&Value::String("x".repeat(MAX_VALUE_CHARS - 2))).is_ok());
        assert!(check_value(&Value::String("x".repeat(MAX_VALUE_CHARS))).is_err());
        assert!(check_safe_integer("amount", MAX_SAFE_INTEGER).is_ok());
        assert!(check_safe_integer("amount", -MAX_SAFE_INTEGER).is_ok());
        assert!(
            check_safe_integer("amount", MAX_SAFE_INTEGER + 1)
                .unwrap_err()
                .to_string()
                .contains("2^53")
        );
    }
}
