//! The rules of one read-modify-write round, which both clients' `update_with` run: what to write
//! after reading, what a failed write means, and how long to wait before the next round.

use std::time::Duration;

use crate::error::Error;
use crate::model::DataStoreEntry;
use crate::names::Attributes;
use crate::ops::entries::{CreateEntry, EntryAddress, EntryWrite, UpdateEntry};

/// The write of one round.
#[derive(Debug, Clone, PartialEq)]
pub enum RmwWrite {
    /// The entry existed: replace it, guarded by the etag that was read.
    Update(UpdateEntry),
    /// The entry did not exist: create it (refused if another writer created it first).
    Create(CreateEntry),
}

/// The write for the value computed from `current`. An update keeps the users and attributes
/// that were read, since an update that omits them clears them.
pub fn write_for(
    address: &EntryAddress,
    current: Option<&DataStoreEntry>,
    mut write: EntryWrite,
) -> RmwWrite {
    match current {
        Some(e) => {
            write.users = e.users.clone();
            write.attributes = e.attributes.clone().map(Attributes::new_unvalidated);
            let mut op = UpdateEntry::new(address.clone(), write);
            op.etag = e.etag.clone();
            RmwWrite::Update(op)
        }
        None => RmwWrite::Create(CreateEntry::new(address.clone(), write)),
    }
}

/// What a failed write of a round means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Another writer got there first (a stale etag, or the entry went away): read again.
    ReadAgain,
    /// A create was refused: read again if the entry now exists (another creator won), else
    /// return the error.
    ReadAgainIfExists,
    /// Return the error.
    Fail,
}

/// Classifies the error of a round's write; `had_current` says whether the round read an entry.
pub fn after_failure(error: &Error, had_current: bool) -> AfterFailure {
    match error.status().map(|s| s.as_u16()) {
        Some(409) => AfterFailure::ReadAgain,
        Some(404) if had_current => AfterFailure::ReadAgain,
        Some(400) if !had_current => AfterFailure::ReadAgainIfExists,
        _ => AfterFailure::Fail,
    }
}

/// The pause before round `attempt + 1`: up to 2^attempt ms, at most 50 ms, scaled by `jitter`
/// in `[0, 1)` so that contending writers spread out.
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let cap = Duration::from_millis(1u64 << attempt.min(6)).min(Duration::from_millis(50));
    cap.mul_f64(jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    fn service(status: u16) -> Error {
        ServiceError::from_parts(
            None,
            http::StatusCode::from_u16(status).unwrap(),
            Default::default(),
            b"",
        )
        .into()
    }

    #[test]
    fn writes_keep_metadata_and_guard_with_the_etag() {
        let a = EntryAddress::new(
            UniverseId::from(1),
            DataStoreName::new("d").unwrap(),
            EntryKey::new("k").unwrap(),
        );
        let read = DataStoreEntry {
            etag: Some("e1".into()),
            users: vec![UserId(3)],
            attributes: Some(serde_json::from_str(r#"{"a":1}"#).unwrap()),
            ..Default::default()
        };
        let RmwWrite::Update(op) =
            write_for(&a, Some(&read), EntryWrite::new(serde_json::json!(2)))
        else {
            panic!()
        };
        assert_eq!(
            (op.etag.as_deref(), op.write.users.as_slice()),
            (Some("e1"), &[UserId(3)][..])
        );
        assert_eq!(op.write.attributes.unwrap().as_map()["a"], 1);
        assert!(!op.allow_missing);
        assert!(matches!(
            write_for(&a, None, EntryWrite::new(serde_json::json!(1))),
            RmwWrite::Create(_)
        ));
    }

    #[test]
    fn failures_are_classified() {
        assert_eq!(after_failure(&service(409), true), AfterFailure::ReadAgain);
        assert_eq!(after_failure(&service(404), true), AfterFailure::ReadAgain);
        assert_eq!(after_failure(&service(404), false), AfterFailure::Fail);
        assert_eq!(
            after_failure(&service(400), false),
            AfterFailure::ReadAgainIfExists
        );
        assert_eq!(after_failure(&service(400), true), AfterFailure::Fail);
        assert_eq!(after_failure(&service(500), true), AfterFailure::Fail);
        assert_eq!(backoff(1, 1.0), Duration::from_millis(2));
        assert_eq!(backoff(10, 1.0), Duration::from_millis(50));
        assert_eq!(backoff(10, 0.5), Duration::from_millis(25));
    }
}
