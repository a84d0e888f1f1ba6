//! Messaging: publish a message to a universe's live servers, through the v2 `:publishMessage`
//! method or the legacy `/messaging-service/v1` path. Servers receive it through
//! `MessagingService:SubscribeAsync(topic)`.
//!
//! Both check the topic (1 to 80 characters, by [`TopicName`]) and the message (at most
//! 1,024 bytes) before anything is sent. Publishing twice delivers twice, so both are retried only
//! when the service cannot have received the message.

use http::{Request, Response};
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, InvalidInput};
use crate::names::UniverseId;
use crate::names_experience::{TopicName, check_message};
use crate::ops::{Operation, build, parse_empty};
use crate::route::encode_component;
use crate::routes::RouteId;

#[derive(Serialize)]
struct V2Body<'a> {
    topic: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct V1Body<'a> {
    message: &'a str,
}

fn json(body: &impl Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body)
        .map_err(|e| InvalidInput::new("message", format!("could not be serialized: {e}")).into())
}

/// Publishes a message to a topic on every live server of a universe
/// (`POST /cloud/v2/universes/{universe_id}:publishMessage`, body `{"topic", "message"}`).
///
/// The message is any text (JSON-encode structured data yourself) of at most 1,024 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishMessage {
    /// The universe.
    pub universe: UniverseId,
    /// The topic the servers subscribe to.
    pub topic: TopicName,
    /// The message.
    pub message: String,
}

impl PublishMessage {
    /// A message on a topic. The size limit is checked when the request is built.
    pub fn new(universe: UniverseId, topic: TopicName, message: impl Into<String>) -> Self {
        Self {
            universe,
            topic,
            message: message.into(),
        }
    }
}

impl Operation for PublishMessage {
    type Output = ();
    fn route(&self) -> RouteId {
        RouteId::PublishUniverseMessage
    }
    fn universe(&self) -> &UniverseId {
        &self.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        check_message(&self.message)?;
        let body = json(&V2Body {
            topic: self.topic.as_str(),
            message: &self.message,
        })?;
        build(
            config,
            self.route(),
            &[&encode_component(self.universe.as_str())],
            &[],
            Some(body),
        )
    }
    /// Any success is the answer (the service returns an empty body or `{}`).
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<(), Error> {
        parse_empty(self.route(), response)
    }
}

/// The legacy form of [`PublishMessage`]
/// (`POST /messaging-service/v1/universes/{universeId}/topics/{topic}`, body `{"message"}`).
/// The topic travels percent-encoded in the path. Prefer [`PublishMessage`]: the service lists
/// it as the recommended alternative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishMessageV1 {
    /// The universe.
    pub universe: UniverseId,
    /// The topic the servers subscribe to.
    pub topic: TopicName,
    /// The message.
    pub message: String,
}

impl PublishMessageV1 {
    /// A message on a topic. The size limit is checked when the request is built.
    pub fn new(universe: UniverseId, topic: TopicName, message: impl Into<String>) -> Self {
        Self {
            universe,
            topic,
            message: message.into(),
        }
    }
}

impl From<PublishMessage> for PublishMessageV1 {
    fn from(p: PublishMessage) -> Self {
        Self::new(p.universe, p.topic, p.message)
    }
}

impl Operation for PublishMessageV1 {
    type Output = ();
    fn route(&self) -> RouteId {
        RouteId::PublishTopicMessageV1
    }
    fn universe(&self) -> &UniverseId {
        &self.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        check_message(&self.message)?;
        let body = json(&V1Body {
            message: &self.message,
        })?;
        let segs = [
            encode_component(self.universe.as_str()),
            encode_component(self.topic.as_str()),
        ];
        build(config, self.route(), &[&segs[0], &segs[1]], &[], Some(body))
    }
    /// Any success is the answer (the service returns an empty body).
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<(), Error> {
        parse_empty(self.route(), response)
    }
}
