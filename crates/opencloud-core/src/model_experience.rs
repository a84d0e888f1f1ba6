//! The user-restriction resources the API returns, as typed values: [`UserRestriction`] with its
//! [`GameJoinRestriction`], the change log ([`UserRestrictionLog`]) and their pages.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::model::Page;
use crate::names::UserId;
use crate::names_experience::{PlaceId, RestrictionDuration};

fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `users/{id}`; absent, `null` or empty is `None`.
fn optional_user<'de, D: Deserializer<'de>>(d: D) -> Result<Option<UserId>, D::Error> {
    match Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// `places/{id}`; absent, `null` or empty (a universe-level log) is `None`.
fn optional_place<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PlaceId>, D::Error> {
    match Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => PlaceId::from_resource(&s)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// A duration; absent, `null` or empty (permanent) is `None`.
fn optional_duration<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<RestrictionDuration>, D::Error> {
    match Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => RestrictionDuration::parse(&s)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

fn serialize_place<S: Serializer>(p: &Option<PlaceId>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.collect_str(&format_args!("places/{p}")),
        None => s.serialize_none(),
    }
}

/// A ban from a universe or a place (`gameJoinRestriction`): the user cannot join, and is
/// kicked if in a server.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct GameJoinRestriction {
    /// Whether the ban is in force. At the universe level it makes every place's restriction
    /// active too.
    pub active: bool,
    /// When the ban started (set by the service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// How long the ban lasts from `start_time`; `None` for a permanent ban.
    #[serde(
        deserialize_with = "optional_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub duration: Option<RestrictionDuration>,
    /// The reason for the developer's records, **not** shown to the user (at most 1,000
    /// characters).
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub private_reason: String,
    /// The reason shown to the user (at most 400 characters).
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub display_reason: String,
    /// When true, the ban does not spread to the user's alt accounts.
    #[serde(deserialize_with = "null_as_default")]
    pub exclude_alt_accounts: bool,
    /// True when the ban comes from an ancestor (a place restriction inherited from its
    /// universe), not from this resource (set by the service).
    #[serde(deserialize_with = "null_as_default")]
    pub inherited: bool,
}

impl GameJoinRestriction {
    /// When a timed ban ends (`start_time + duration`); `None` for a permanent ban, an unknown
    /// start, or a time beyond the representable range.
    pub fn end_time(&self) -> Option<Timestamp> {
        let start = self.start_time?;
        let d = self.duration?.as_duration();
        let span = jiff::SignedDuration::try_from(d).ok()?;
        start.checked_add(span).ok()
    }

    /// Whether the ban is in force at `now` (the caller's clock): active, and not yet ended.
    pub fn in_force_at(&self, now: Timestamp) -> bool {
        self.active && self.end_time().is_none_or(|end| now < end)
    }
}

/// A restriction on one user (`universes/{u}/user-restrictions/{user}` or
/// `universes/{u}/places/{p}/user-restrictions/{user}`). The restriction id is the user id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct UserRestriction {
    /// The resource path.
    pub path: String,
    /// When it last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
    /// The restricted user (`users/{id}` on the wire).
    #[serde(
        deserialize_with = "optional_user",
        skip_serializing_if = "Option::is_none"
    )]
    pub user: Option<UserId>,
    /// The ban; `None` when the response carried none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_join_restriction: Option<GameJoinRestriction>,
}

impl UserRestriction {
    /// The place, read from the resource path; `None` for a universe-level restriction.
    pub fn place(&self) -> Option<&str> {
        let (_, rest) = self.path.split_once("/places/")?;
        rest.split('/').next()
    }

    /// The restricted user: the `user` field, or else the last segment of the path.
    pub fn user_id(&self) -> Option<UserId> {
        self.user.or_else(|| {
            let (_, id) = self.path.rsplit_once("/user-restrictions/")?;
            id.parse().ok()
        })
    }

    /// Whether the user is banned (the ban is active). Says nothing about expiry: see
    /// [`GameJoinRestriction::in_force_at`].
    pub fn is_active(&self) -> bool {
        self.game_join_restriction
            .as_ref()
            .is_some_and(|g| g.active)
    }
}

/// One page of user restrictions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct UserRestrictionPage {
    /// The restrictions of users that have ever been banned in the universe or place.
    #[serde(deserialize_with = "null_as_default")]
    pub user_restrictions: Vec<UserRestriction>,
    /// The token for the next page; `None` at the end (absent or empty on the wire).
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_page_token: Option<String>,
}

/// Who made a change to a restriction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Moderator {
    /// A Roblox user (through Open Cloud or the Creator Dashboard): `{"robloxUser": "users/156"}`.
    RobloxUser(UserId),
    /// A script on a game server (`Players:BanAsync`): `{"gameServerScript": {}}`.
    GameServerScript,
    /// A kind this crate does not know yet, kept as it came.
    Unknown(Value),
}

impl Serialize for Moderator {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Moderator::RobloxUser(u) => {
                serde_json::json!({ "robloxUser": u.to_string() }).serialize(s)
            }
            Moderator::GameServerScript => {
                serde_json::json!({ "gameServerScript": {} }).serialize(s)
            }
            Moderator::Unknown(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Moderator {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        if let Some(u) = v.get("robloxUser").and_then(Value::as_str) {
            return u
                .parse()
                .map(Moderator::RobloxUser)
                .map_err(serde::de::Error::custom);
        }
        if v.get("gameServerScript").is_some() {
            return Ok(Moderator::GameServerScript);
        }
        Ok(Moderator::Unknown(v))
    }
}

/// The kind of restriction a log entry is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RestrictionType {
    /// A ban (`{"gameJoinRestriction": {}}`).
    GameJoinRestriction,
    /// A kind this crate does not know yet, kept as it came.
    Unknown(Value),
}

impl Serialize for RestrictionType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RestrictionType::GameJoinRestriction => {
                serde_json::json!({ "gameJoinRestriction": {} }).serialize(s)
            }
            RestrictionType::Unknown(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for RestrictionType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        if v.get("gameJoinRestriction").is_some() {
            return Ok(RestrictionType::GameJoinRestriction);
        }
        Ok(RestrictionType::Unknown(v))
    }
}

/// One change to a user restriction, at the universe level or in a place.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct UserRestrictionLog {
    /// The user the change applies to.
    #[serde(
        deserialize_with = "optional_user",
        skip_serializing_if = "Option::is_none"
    )]
    pub user: Option<UserId>,
    /// The place whose restriction changed (`places/{id}` on the wire); `None` for a change at
    /// the universe level.
    #[serde(
        deserialize_with = "optional_place",
        serialize_with = "serialize_place",
        skip_serializing_if = "Option::is_none"
    )]
    pub place: Option<PlaceId>,
    /// Who made the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderator: Option<Moderator>,
    /// When the change happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    /// Whether the restriction was active after the change.
    #[serde(deserialize_with = "null_as_default")]
    pub active: bool,
    /// The start time of the restriction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// The duration; `None` for a permanent restriction.
    #[serde(
        deserialize_with = "optional_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub duration: Option<RestrictionDuration>,
    /// The reason for the developer's records (not shown to the user).
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub private_reason: String,
    /// The reason shown to the user.
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub display_reason: String,
    /// The kind of restriction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restriction_type: Option<RestrictionType>,
    /// Whether alt accounts were excluded.
    #[serde(deserialize_with = "null_as_default")]
    pub exclude_alt_accounts: bool,
}

/// One page of restriction logs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct UserRestrictionLogPage {
    /// The changes, at the universe level and in every place.
    #[serde(deserialize_with = "null_as_default")]
    pub logs: Vec<UserRestrictionLog>,
    /// The token for the next page; `None` at the end.
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_page_token: Option<String>,
}

impl Page for UserRestrictionPage {
    type Item = UserRestriction;
    fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }
    fn items(&self) -> &[UserRestriction] {
        &self.user_restrictions
    }
    fn into_items(self) -> Vec<UserRestriction> {
        self.user_restrictions
    }
}

impl Page for UserRestrictionLogPage {
    type Item = UserRestrictionLog;
    fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }
    fn items(&self) -> &[UserRestrictionLog] {
        &self.logs
    }
    fn into_items(self) -> Vec<UserRestrictionLog> {
        self.logs
    }
}
