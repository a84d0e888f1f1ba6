//! Messaging: `:publishMessage` (v2) and the legacy `/messaging-service/v1` path. Published
//! messages are recorded in memory per universe and topic, and sent to every subscriber of the
//! control plane's event stream (`/_emulator/messages/stream`).

use std::collections::HashMap;

use jiff::Timestamp;
use opencloud_core::RouteId;
use opencloud_core::TopicName;
use opencloud_core::limits::check_message;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

use super::{ApiError, ApiResult, Ctx, Reply, ts_json};

/// How many published messages a slow subscriber may fall behind before it misses some.
const STREAM_BUFFER: usize = 1024;

/// One published message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    /// The universe.
    pub universe: String,
    /// The topic.
    pub topic: String,
    /// The message, as published.
    pub message: String,
    /// When the emulator received it (its clock), RFC 3339.
    pub time: String,
}

/// The record of published messages and the stream of new ones.
#[derive(Debug)]
pub struct Messages {
    by_topic: HashMap<(String, String), Vec<Published>>,
    tx: broadcast::Sender<Published>,
}

impl Default for Messages {
    fn default() -> Self {
        Self {
            by_topic: HashMap::new(),
            tx: broadcast::channel(STREAM_BUFFER).0,
        }
    }
}

impl Messages {
    /// Records a message and sends it to the subscribers.
    pub fn publish(&mut self, m: Published) {
        self.by_topic
            .entry((m.universe.clone(), m.topic.clone()))
            .or_default()
            .push(m.clone());
        // No subscriber is not an error.
        let _ = self.tx.send(m);
    }

    /// The messages of a topic, oldest first: of one universe, or of every universe (by
    /// universe, then in order) when `universe` is `None`.
    pub fn on_topic(&self, universe: Option<&str>, topic: &str) -> Vec<Published> {
        let mut keys: Vec<&(String, String)> = self
            .by_topic
            .keys()
            .filter(|(u, t)| t == topic && universe.is_none_or(|w| w == u))
            .collect();
        keys.sort();
        keys.into_iter()
            .flat_map(|k| self.by_topic[k].iter().cloned())
            .collect()
    }

    /// A receiver of every message published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Published> {
        self.tx.subscribe()
    }

    /// Forgets every recorded message (subscribers stay connected).
    pub fn clear(&mut self) {
        self.by_topic.clear();
    }
}

fn string_field(body: &serde_json::Map<String, Value>, field: &str) -> Result<String, ApiError> {
    match body.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Null) => Err(ApiError::invalid(format!("{field} must be provided."))),
        Some(_) => Err(ApiError::invalid(format!("{field} must be a string."))),
    }
}

/// `POST /cloud/v2/universes/{u}:publishMessage` (`{"topic", "message"}`) and
/// `POST /messaging-service/v1/universes/{u}/topics/{topic}` (`{"message"}`).
pub fn publish(messages: &mut Messages, c: &Ctx<'_>, now: Timestamp) -> ApiResult {
    let body = c.json()?;
    let topic = if c.route.id == RouteId::PublishTopicMessageV1 {
        c.param("topic").to_string()
    } else {
        string_field(&body, "topic")?
    };
    let topic = TopicName::new(topic)?;
    let message = string_field(&body, "message")?;
    check_message(&message)?;
    messages.publish(Published {
        universe: c.universe().to_string(),
        topic: topic.as_str().to_string(),
        message,
        time: ts_json(now),
    });
    Ok(if c.route.id == RouteId::PublishTopicMessageV1 {
        Reply::empty()
    } else {
        Reply::json(&serde_json::json!({}))
    })
}
