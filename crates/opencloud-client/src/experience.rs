//! Messaging and user restrictions (bans): `client.messaging().publish(topic, message)`,
//! `client.user_restrictions().ban(user, …)`, `client.place(id).user_restrictions()`.

use opencloud_core::{
    Deferred, Error, GetUserRestriction, IdempotencyKey, InvalidInput, ListUserRestrictionLogs,
    ListUserRestrictions, PlaceId, PublishMessage, PublishMessageV1, RestrictionWrite, TopicName,
    UniverseId, UpdateUserRestriction, UserId, UserRestriction, UserRestrictionAddress,
};
use serde::Serialize;

use crate::client::Client;
use crate::driver::Driver;
use crate::listing::Items;

type Checked<T> = Result<T, InvalidInput>;

/// Publishing messages to a universe's live servers (`MessagingService` in game).
#[derive(Debug)]
pub struct MessagingHandle<D: Driver> {
    client: Client<D>,
    universe: Checked<UniverseId>,
}

impl<D: Driver> Clone for MessagingHandle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            universe: self.universe.clone(),
        }
    }
}

impl<D: Driver> MessagingHandle<D> {
    pub(crate) fn new(client: Client<D>, universe: Checked<UniverseId>) -> Self {
        Self { client, universe }
    }

    /// The same handle for another universe.
    pub fn in_universe(mut self, universe: impl ToString) -> Self {
        self.universe = UniverseId::new(universe.to_string());
        self
    }

    fn parts(
        &self,
        topic: &str,
        message: String,
    ) -> Result<(UniverseId, TopicName, String), Error> {
        let universe = self.universe.clone()?;
        let topic = TopicName::new(topic)?;
        opencloud_core::limits::check_message(&message)?;
        Ok((universe, topic, message))
    }

    /// Publishes a text message on `topic` to every live server of the universe. Checked before
    /// sending: the topic's length and the message's size. Not retried once the service may
    /// have delivered it (servers could receive it twice).
    pub fn publish(&self, topic: &str, message: impl Into<String>) -> D::Output<'_, ()> {
        match self.parts(topic, message.into()) {
            Ok((u, t, m)) => self.client.send(PublishMessage::new(u, t, m)),
            Err(e) => D::ready(Err(e)),
        }
    }

    /// Publishes any serializable value as its JSON text (servers receive a string and decode
    /// it with `HttpService:JSONDecode`).
    pub fn publish_json<T: Serialize + ?Sized>(
        &self,
        topic: &str,
        message: &T,
    ) -> D::Output<'_, ()> {
        match serde_json::to_string(message) {
            Ok(text) => self.publish(topic, text),
            Err(e) => D::ready(Err(InvalidInput::new(
                "message",
                format!("does not serialize to JSON: {e}"),
            )
            .into())),
        }
    }

    /// Publishes through the legacy endpoint (`/messaging-service/v1/...`), for keys that only
    /// carry its scope.
    pub fn publish_v1(&self, topic: &str, message: impl Into<String>) -> D::Output<'_, ()> {
        match self.parts(topic, message.into()) {
            Ok((u, t, m)) => self.client.send(PublishMessageV1::new(u, t, m)),
            Err(e) => D::ready(Err(e)),
        }
    }
}

/// A place of the default universe, for place-level user restrictions.
#[derive(Debug)]
pub struct PlaceHandle<D: Driver> {
    client: Client<D>,
    universe: Checked<UniverseId>,
    place: Checked<PlaceId>,
}

impl<D: Driver> Clone for PlaceHandle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            universe: self.universe.clone(),
            place: self.place.clone(),
        }
    }
}

impl<D: Driver> PlaceHandle<D> {
    pub(crate) fn new(client: Client<D>, universe: Checked<UniverseId>, place: &str) -> Self {
        Self {
            client,
            universe,
            place: PlaceId::new(place),
        }
    }

    /// The user restrictions (bans) of this place.
    pub fn user_restrictions(&self) -> UserRestrictionsHandle<D> {
        UserRestrictionsHandle {
            client: self.client.clone(),
            universe: self.universe.clone(),
            place: Some(self.place.clone()),
        }
    }
}

/// The user restrictions (bans) of a universe, or of one of its places.
#[derive(Debug)]
pub struct UserRestrictionsHandle<D: Driver> {
    client: Client<D>,
    universe: Checked<UniverseId>,
    place: Option<Checked<PlaceId>>,
}

impl<D: Driver> Clone for UserRestrictionsHandle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            universe: self.universe.clone(),
            place: self.place.clone(),
        }
    }
}

/// A fresh idempotency key from the call's first step: the time in nanoseconds and a jitter
/// sample, which differ between any two updates of one client.
fn fresh_key(now: jiff::Timestamp, jitter: f64) -> Result<IdempotencyKey, Error> {
    let noise = (jitter.clamp(0.0, 1.0) * (1u64 << 53) as f64) as u64;
    Ok(IdempotencyKey::new(
        format!("oc-{:x}-{noise:x}", now.as_nanosecond()),
        now,
    )?)
}

impl<D: Driver> UserRestrictionsHandle<D> {
    pub(crate) fn new(client: Client<D>, universe: Checked<UniverseId>) -> Self {
        Self {
            client,
            universe,
            place: None,
        }
    }

    /// The same handle for another universe.
    pub fn in_universe(mut self, universe: impl ToString) -> Self {
        self.universe = UniverseId::new(universe.to_string());
        self
    }

    fn address(&self, user: UserId) -> Result<UserRestrictionAddress, Error> {
        let mut a = UserRestrictionAddress::new(self.universe.clone()?, user);
        if let Some(place) = &self.place {
            a = a.in_place(place.clone()?);
        }
        Ok(a)
    }

    fn update(&self, user: UserId, write: RestrictionWrite) -> D::Output<'_, UserRestriction> {
        if let Err(e) = write.check() {
            return D::ready(Err(e.into()));
        }
        match self.address(user) {
            // The key and its time are made once, at the first step: every retry of this call
            // resends them, so the service applies the update once.
            Ok(a) => self.client.run(Deferred::new(
                self.client.context().clone(),
                move |now, jitter| {
                    Ok(UpdateUserRestriction::new(
                        a,
                        write,
                        fresh_key(now, jitter)?,
                    ))
                },
            )),
            Err(e) => D::ready(Err(e)),
        }
    }

    /// Bans `user`: `RestrictionWrite::ban()` with a duration (none: permanent), the reasons
    /// and whether alt accounts are spared. Checked before sending (reason lengths, duration).
    pub fn ban(&self, user: UserId, ban: RestrictionWrite) -> D::Output<'_, UserRestriction> {
        self.update(
            user,
            RestrictionWrite {
                active: true,
                ..ban
            },
        )
    }

    /// Lifts `user`'s ban.
    pub fn unban(&self, user: UserId) -> D::Output<'_, UserRestriction> {
        self.update(user, RestrictionWrite::unban())
    }

    /// `user`'s restriction (an inactive one when the user was never banned).
    pub fn get(&self, user: UserId) -> D::Output<'_, UserRestriction> {
        match self.address(user) {
            Ok(a) => self.client.send(GetUserRestriction::new(a)),
            Err(e) => D::ready(Err(e)),
        }
    }

    /// Every restriction, across pages. Configure the page size with the closure.
    pub fn list(
        &self,
        configure: impl FnOnce(ListUserRestrictions) -> ListUserRestrictions,
    ) -> Items<D, ListUserRestrictions> {
        let op = self.universe.clone().and_then(|u| {
            let op = ListUserRestrictions::new(u);
            Ok(configure(match &self.place {
                Some(p) => op.in_place(p.clone()?),
                None => op,
            }))
        });
        Items::new(self.client.listing_of(op))
    }

    /// The log of changes to restrictions, newest first, across pages. Filter by user or place
    /// with the closure; a place handle's logs are filtered to its place.
    pub fn logs(
        &self,
        configure: impl FnOnce(ListUserRestrictionLogs) -> ListUserRestrictionLogs,
    ) -> Items<D, ListUserRestrictionLogs> {
        let op = self.universe.clone().and_then(|u| {
            let op = ListUserRestrictionLogs::new(u);
            Ok(configure(match &self.place {
                Some(p) => op.place(p.clone()?),
                None => op,
            }))
        });
        Items::new(self.client.listing_of(op))
    }
}

impl<D: Driver> Client<D> {
    /// Messaging of the default universe.
    pub fn messaging(&self) -> MessagingHandle<D> {
        MessagingHandle::new(self.clone(), self.universe_or_err())
    }

    /// The user restrictions (bans) of the default universe.
    pub fn user_restrictions(&self) -> UserRestrictionsHandle<D> {
        UserRestrictionsHandle::new(self.clone(), self.universe_or_err())
    }

    /// A place of the default universe.
    pub fn place(&self, place: impl ToString) -> PlaceHandle<D> {
        PlaceHandle::new(self.clone(), self.universe_or_err(), &place.to_string())
    }
}
