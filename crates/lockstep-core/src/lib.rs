//! Core data model of lockstep: the event schema ([`Action`], timestamp rules) and the columnar,
//! time-ordered [`EventStore`] with interned ids that every detector reads.
//!
//! ```
//! use lockstep_core::{EventStoreBuilder, RawEvent, Action};
//! let mut b = EventStoreBuilder::new();
//! b.push_raw(&RawEvent { ts: "1000", account: "alice", action: "like", target: "v1", ..Default::default() })
//!     .unwrap();
//! let store = b.finish();
//! assert_eq!(store.len(), 1);
//! assert_eq!(store.action(0), Action::Like);
//! ```

#![deny(missing_docs)]

pub mod event;
pub mod intern;
pub mod store;

pub use event::{format_ts, parse_ts, Action, COLUMNS, COLUMN_COUNT, REQUIRED_COLUMNS};
pub use intern::{Interner, NONE_ID};
pub use store::{
    clip_value, Csr, EventBatch, EventStore, EventStoreBuilder, FieldError, Num, Numbers, RawEvent,
    TypedEvent, NO_MS,
};
