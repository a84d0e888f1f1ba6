//! Every documented limit, and the checks that apply them (the clients run them before sending;
//! the emulator runs the same ones on what it receives).

pub use crate::filter::check_prefix;
pub use crate::names::{
    MAX_ATTRIBUTE_KEY_CHARS, MAX_ATTRIBUTE_VALUE_CHARS, MAX_ATTRIBUTES_CHARS, MAX_NAME_CHARS,
    MAX_OPAQUE_BYTES, MAX_ORDERED_ID_CHARS, MAX_SAFE_INTEGER, MAX_USERS, MAX_VALUE_CHARS,
    check_safe_integer, check_users, check_value,
};
pub use crate::names_experience::{
    MAX_DISPLAY_REASON_CHARS, MAX_DURATION_SECS, MAX_IDEMPOTENCY_KEY_CHARS, MAX_MESSAGE_BYTES,
    MAX_PRIVATE_REASON_CHARS, MAX_TOPIC_CHARS, check_message, check_reason,
};
pub use crate::ops::v1::{
    MAX_V1_ATTRIBUTES_BYTES, MAX_V1_NAME_BYTES, MAX_V1_ORDERED_ID_CHARS, MAX_V1_VALUE_BYTES,
};
pub use crate::selector::MAX_AS_OF_AHEAD;
