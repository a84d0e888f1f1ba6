//! User restrictions (bans) at the universe and the place level: list, get, update (ban and
//! unban), and the change log.
//!
//! A restriction's id is the user's id. A ban or an unban is one `PATCH` of the whole
//! `gameJoinRestriction` (the service refuses masks that index into it), and always carries an
//! [`IdempotencyKey`]: a retried update cannot apply twice or move the ban's start time.
//!
//! ```
//! use opencloud_core::*;
//!
//! let config = Config::new(ApiKey::new("my-key")?);
//! let ban = UpdateUserRestriction::new(
//!     UserRestrictionAddress::new(UniverseId::from(1234), UserId(156)),
//!     RestrictionWrite::ban()
//!         .duration(RestrictionDuration::from_days(7)?)
//!         .display_reason("Exploiting")
//!         .private_reason("Teleport hack, reported by three players"),
//!     // Made once per logical update, before the first attempt (a UUID and the caller's clock).
//!     IdempotencyKey::new("0b6c5a5e-1f0e-4a7a-9c53-9d1f0f3c2b11", "2024-06-25T22:56:58Z".parse()?)?,
//! );
//! let request = ban.to_request(&config)?;
//! assert_eq!(request.method(), http::Method::PATCH);
//! assert!(request.uri().query().unwrap().starts_with("updateMask=gameJoinRestriction&idempotencyKey.key="));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::{Request, Response};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{Error, InvalidInput};
use crate::model_experience::{UserRestriction, UserRestrictionLogPage, UserRestrictionPage};
use crate::names::{PageToken, UniverseId, UserId};
use crate::names_experience::{
    IdempotencyKey, MAX_DISPLAY_REASON_CHARS, MAX_PRIVATE_REASON_CHARS, PlaceId,
    RestrictionDuration, check_reason,
};
use crate::ops::{Operation, build, page_params, paged, parse_json, refs};
use crate::route::encode_component;
use crate::routes::RouteId;

/// The field mask every update sends: the whole `gameJoinRestriction`, atomically.
pub const UPDATE_MASK: &str = "gameJoinRestriction";

/// One user's restriction in a universe, or in one place of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserRestrictionAddress {
    /// The universe.
    pub universe: UniverseId,
    /// The place; `None` for the universe-level restriction.
    pub place: Option<PlaceId>,
    /// The user (the restriction's id).
    pub user: UserId,
}

impl UserRestrictionAddress {
    /// The universe-level restriction of a user.
    pub fn new(universe: UniverseId, user: UserId) -> Self {
        Self {
            universe,
            place: None,
            user,
        }
    }

    /// The same user's restriction in one place of the universe.
    pub fn in_place(mut self, place: PlaceId) -> Self {
        self.place = Some(place);
        self
    }

    /// The encoded path segments: universe, [place,] user.
    fn segments(&self) -> Vec<String> {
        let mut v = vec![encode_component(self.universe.as_str())];
        if let Some(p) = &self.place {
            v.push(encode_component(p.as_str()));
        }
        v.push(self.user.0.to_string());
        v
    }

    /// The resource path the service uses (`universes/1/places/2/user-restrictions/3`).
    pub fn resource_path(&self) -> String {
        match &self.place {
            Some(p) => format!(
                "universes/{}/places/{p}/user-restrictions/{}",
                self.universe, self.user.0
            ),
            None => format!(
                "universes/{}/user-restrictions/{}",
                self.universe, self.user.0
            ),
        }
    }
}

/// Lists the restrictions of every user ever banned in a universe or a place
/// (`GET .../user-restrictions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUserRestrictions {
    /// The universe.
    pub universe: UniverseId,
    /// The place; `None` for the universe-level restrictions.
    pub place: Option<PlaceId>,
    /// Page size (default 10, the service clamps to 100).
    pub max_page_size: Option<u32>,
    /// The page to fetch.
    pub page_token: Option<PageToken>,
}

impl ListUserRestrictions {
    /// The first page of a universe's restrictions.
    pub fn new(universe: UniverseId) -> Self {
        Self {
            universe,
            place: None,
            max_page_size: None,
            page_token: None,
        }
    }
    /// Lists one place's restrictions instead.
    pub fn in_place(mut self, place: PlaceId) -> Self {
        self.place = Some(place);
        self
    }
    /// Asks for pages of `n`.
    pub fn max_page_size(mut self, n: u32) -> Self {
        self.max_page_size = Some(n);
        self
    }
}

impl Operation for ListUserRestrictions {
    type Output = UserRestrictionPage;
    fn route(&self) -> RouteId {
        match self.place {
            Some(_) => RouteId::ListPlaceUserRestrictions,
            None => RouteId::ListUserRestrictions,
        }
    }
    fn universe(&self) -> &UniverseId {
        &self.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let q = page_params(self.max_page_size, self.page_token.as_ref())?;
        let mut segs = vec![encode_component(self.universe.as_str())];
        if let Some(p) = &self.place {
            segs.push(encode_component(p.as_str()));
        }
        build(config, self.route(), &refs(&segs), &q, None)
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<UserRestrictionPage, Error> {
        parse_json(self.route(), response)
    }
}

/// Gets one user's restriction (`GET .../user-restrictions/{user}`). A user never banned has a
/// restriction too, inactive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUserRestriction {
    /// Whose restriction, where.
    pub address: UserRestrictionAddress,
}

impl GetUserRestriction {
    /// Addresses a restriction.
    pub fn new(address: UserRestrictionAddress) -> Self {
        Self { address }
    }
}

impl Operation for GetUserRestriction {
    type Output = UserRestriction;
    fn route(&self) -> RouteId {
        match self.address.place {
            Some(_) => RouteId::GetPlaceUserRestriction,
            None => RouteId::GetUserRestriction,
        }
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        build(
            config,
            self.route(),
            &refs(&self.address.segments()),
            &[],
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<UserRestriction, Error> {
        parse_json(self.route(), response)
    }
}

/// The new state of a `gameJoinRestriction`: a ban ([`RestrictionWrite::ban`]) or an unban
/// ([`RestrictionWrite::unban`]). It replaces the whole restriction: fields left out are cleared.
///
/// It also deserializes from the request body's `gameJoinRestriction` (read-only fields such as
/// `startTime` are ignored), so a server can read a write and [`check`](Self::check) it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RestrictionWrite {
    /// True to ban, false to lift the ban.
    pub active: bool,
    /// How long the ban lasts (1 second to 315,576,000,000 seconds, whole seconds); `None` for a
    /// permanent ban.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<RestrictionDuration>,
    /// The reason for the developer's records, not shown to the user (at most 1,000 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_reason: Option<String>,
    /// The reason shown to the user (at most 400 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_reason: Option<String>,
    /// True to leave the user's alt accounts unbanned.
    pub exclude_alt_accounts: bool,
}

impl Default for RestrictionWrite {
    /// An unban: what an empty `gameJoinRestriction` means.
    fn default() -> Self {
        Self::unban()
    }
}

impl RestrictionWrite {
    /// A permanent ban, with no reasons, that also covers alt accounts.
    pub fn ban() -> Self {
        Self {
            active: true,
            duration: None,
            private_reason: None,
            display_reason: None,
            exclude_alt_accounts: false,
        }
    }

    /// Lifts a ban.
    pub fn unban() -> Self {
        Self {
            active: false,
            ..Self::ban()
        }
    }

    /// Makes the ban last `duration` from when the service applies it.
    pub fn duration(mut self, duration: RestrictionDuration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// The reason for the developer's records (not shown to the user).
    pub fn private_reason(mut self, reason: impl Into<String>) -> Self {
        self.private_reason = Some(reason.into());
        self
    }

    /// The reason shown to the user.
    pub fn display_reason(mut self, reason: impl Into<String>) -> Self {
        self.display_reason = Some(reason.into());
        self
    }

    /// True to leave the user's alt accounts unbanned.
    pub fn exclude_alt_accounts(mut self, yes: bool) -> Self {
        self.exclude_alt_accounts = yes;
        self
    }

    /// Checks the documented limits: reasons' lengths and the duration's range.
    pub fn check(&self) -> Result<(), InvalidInput> {
        if let Some(d) = self.duration {
            d.check_for_restriction()?;
        }
        if let Some(r) = &self.private_reason {
            check_reason("private_reason", r, MAX_PRIVATE_REASON_CHARS)?;
        }
        if let Some(r) = &self.display_reason {
            check_reason("display_reason", r, MAX_DISPLAY_REASON_CHARS)?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateBody<'a> {
    game_join_restriction: &'a RestrictionWrite,
}

/// Bans or unbans a user (`PATCH .../user-restrictions/{user}?updateMask=gameJoinRestriction`
/// with `idempotencyKey.key` and `idempotencyKey.firstSent`).
///
/// The idempotency key is required: keep the same key and `first_sent` for every attempt of one
/// logical update (the clients' retries resend the same request), and make a new one for the
/// next. The service also limits updates to two per minute for one user in a universe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateUserRestriction {
    /// Whose restriction, where.
    pub address: UserRestrictionAddress,
    /// The new state.
    pub write: RestrictionWrite,
    /// The idempotency key of this update.
    pub idempotency_key: IdempotencyKey,
}

impl UpdateUserRestriction {
    /// Replaces a restriction's `gameJoinRestriction` with `write`.
    pub fn new(
        address: UserRestrictionAddress,
        write: RestrictionWrite,
        idempotency_key: IdempotencyKey,
    ) -> Self {
        Self {
            address,
            write,
            idempotency_key,
        }
    }

    /// Lifts a user's ban.
    pub fn unban(address: UserRestrictionAddress, idempotency_key: IdempotencyKey) -> Self {
        Self::new(address, RestrictionWrite::unban(), idempotency_key)
    }
}

impl Operation for UpdateUserRestriction {
    type Output = UserRestriction;
    fn throttle_subject(&self) -> Option<u64> {
        Some(self.address.user.0)
    }
    fn route(&self) -> RouteId {
        match self.address.place {
            Some(_) => RouteId::UpdatePlaceUserRestriction,
            None => RouteId::UpdateUserRestriction,
        }
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        self.write.check()?;
        let body = serde_json::to_vec(&UpdateBody {
            game_join_restriction: &self.write,
        })
        .map_err(|e| InvalidInput::new("restriction", format!("could not be serialized: {e}")))?;
        let q = [
            ("updateMask", UPDATE_MASK.to_string()),
            ("idempotencyKey.key", self.idempotency_key.key().to_string()),
            (
                "idempotencyKey.firstSent",
                self.idempotency_key.first_sent().to_string(),
            ),
        ];
        build(
            config,
            self.route(),
            &refs(&self.address.segments()),
            &q,
            Some(body),
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<UserRestriction, Error> {
        parse_json(self.route(), response)
    }
}

/// The filter of the restriction logs: by user, by place, or both (`&&`).
///
/// Rendered as `user == 'users/123' && place == 'places/456'`, the small CEL subset the service
/// documents (`user`, `place`, `==`, `&&`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RestrictionLogFilter {
    /// Only changes to this user's restrictions.
    pub user: Option<UserId>,
    /// Only changes in this place (universe-level changes have no place).
    pub place: Option<PlaceId>,
}

impl RestrictionLogFilter {
    /// The filter string, or `None` when nothing is filtered.
    pub fn render(&self) -> Option<String> {
        let parts: Vec<String> = [
            self.user.map(|u| format!("user == '{u}'")),
            self.place
                .as_ref()
                .map(|p| format!("place == 'places/{p}'")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(" && "))
    }

    /// Parses the documented grammar: clauses `user == 'users/N'` and `place == 'places/N'`
    /// joined by `&&`, each optionally wrapped in double quotes (as in the service's own
    /// example). Never panics.
    pub fn parse(filter: &str) -> Result<Self, String> {
        let mut f = RestrictionLogFilter::default();
        if filter.trim().is_empty() {
            return Ok(f);
        }
        for clause in filter.split("&&") {
            let c = clause.trim();
            let c = c
                .strip_prefix('"')
                .and_then(|c| c.strip_suffix('"'))
                .unwrap_or(c)
                .trim();
            let (field, value) = c.split_once("==").ok_or_else(|| {
                format!("invalid filter clause {c:?}: expected `field == 'value'`")
            })?;
            let value = value.trim();
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
                .ok_or_else(|| format!("the value in {c:?} must be quoted"))?;
            match field.trim() {
                "user" => {
                    let u: UserId = value
                        .strip_prefix("users/")
                        .ok_or_else(|| format!("{value:?} is not `users/<id>`"))?
                        .parse()
                        .map_err(|_| format!("{value:?} is not `users/<id>`"))?;
                    if f.user.replace(u).is_some() {
                        return Err("user given twice".to_string());
                    }
                }
                "place" => {
                    let p = value
                        .strip_prefix("places/")
                        .and_then(|p| PlaceId::new(p).ok())
                        .ok_or_else(|| format!("{value:?} is not `places/<id>`"))?;
                    if f.place.replace(p).is_some() {
                        return Err("place given twice".to_string());
                    }
                }
                other => {
                    return Err(format!(
                        "unsupported field {other:?}: only user and place are supported"
                    ));
                }
            }
        }
        Ok(f)
    }
}

/// Lists changes to the restrictions of a universe and all its places, newest first
/// (`GET .../user-restrictions:listLogs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUserRestrictionLogs {
    /// The universe.
    pub universe: UniverseId,
    /// Which changes.
    pub filter: RestrictionLogFilter,
    /// Page size (default 10, the service clamps to 100).
    pub max_page_size: Option<u32>,
    /// The page to fetch.
    pub page_token: Option<PageToken>,
}

impl ListUserRestrictionLogs {
    /// The first page of every change in a universe.
    pub fn new(universe: UniverseId) -> Self {
        Self {
            universe,
            filter: RestrictionLogFilter::default(),
            max_page_size: None,
            page_token: None,
        }
    }
    /// Only changes to this user's restrictions.
    pub fn user(mut self, user: UserId) -> Self {
        self.filter.user = Some(user);
        self
    }
    /// Only changes in this place.
    pub fn place(mut self, place: PlaceId) -> Self {
        self.filter.place = Some(place);
        self
    }
    /// Asks for pages of `n`.
    pub fn max_page_size(mut self, n: u32) -> Self {
        self.max_page_size = Some(n);
        self
    }
}

impl Operation for ListUserRestrictionLogs {
    type Output = UserRestrictionLogPage;
    fn route(&self) -> RouteId {
        RouteId::ListUserRestrictionLogs
    }
    fn universe(&self) -> &UniverseId {
        &self.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let mut q = page_params(self.max_page_size, self.page_token.as_ref())?;
        if let Some(f) = self.filter.render() {
            q.push(("filter", f));
        }
        build(
            config,
            self.route(),
            &[&encode_component(self.universe.as_str())],
            &q,
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(
        &self,
        response: Response<B>,
    ) -> Result<UserRestrictionLogPage, Error> {
        parse_json(self.route(), response)
    }
}

paged!(ListUserRestrictions, ListUserRestrictionLogs);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_read_back_from_a_request_body() {
        let w = RestrictionWrite::ban()
            .duration(RestrictionDuration::from_secs(60).unwrap())
            .display_reason("d")
            .exclude_alt_accounts(true);
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(serde_json::from_str::<RestrictionWrite>(&json).unwrap(), w);
        let sparse: RestrictionWrite =
            serde_json::from_str(r#"{"active":true,"startTime":"2024-01-01T00:00:00Z"}"#).unwrap();
        assert_eq!(sparse, RestrictionWrite::ban());
        assert_eq!(
            serde_json::from_str::<RestrictionWrite>("{}").unwrap(),
            RestrictionWrite::unban()
        );
        let long: RestrictionWrite = serde_json::from_str(&format!(
            r#"{{"active":true,"privateReason":"{}"}}"#,
            "p".repeat(1001)
        ))
        .unwrap();
        assert_eq!(long.check().unwrap_err().field, "private_reason");
    }

    #[test]
    fn log_filters_render_and_parse_back() {
        let f = RestrictionLogFilter {
            user: Some(UserId(123)),
            place: Some(PlaceId::from(456)),
        };
        let s = f.render().unwrap();
        assert_eq!(s, "user == 'users/123' && place == 'places/456'");
        assert_eq!(RestrictionLogFilter::parse(&s).unwrap(), f);
        assert_eq!(
            RestrictionLogFilter::parse(r#""user == 'users/123'" && "place == 'places/456'""#)
                .unwrap(),
            f,
            "the service's own example"
        );
        assert_eq!(RestrictionLogFilter::default().render(), None);
        assert_eq!(
            RestrictionLogFilter::parse("").unwrap(),
            RestrictionLogFilter::default()
        );
        for bad in [
            "user = 'users/1'",
            "user == users/1",
            "user == 'users/x'",
            "place == '456'",
            "user == 'users/1' && user == 'users/2'",
            "universe == 'universes/1'",
            "&&",
        ] {
            assert!(RestrictionLogFilter::parse(bad).is_err(), "{bad}");
        }
    }
}
