//! lockstep's output contract as types, in one place: the rows of `accounts.csv` ([`AccountRow`])
//! and `videos.csv` ([`VideoRow`]) and the `groups.json` document ([`GroupsDoc`]). The writers in
//! `lockstep-report` serialise these types, and `lockstep explain`, `lockstep eval` and the tests
//! read them back, so a renamed or missing field is an error that names it, never a blank.
//!
//! This crate depends on serde alone, so a tool that only reads lockstep's outputs (an evaluator,
//! a loader into another system) need not build the engine.
//!
//! ```
//! use lockstep_schema::AccountRow;
//! let text = "account,score,flagged,group,reasons,events,evidence\n\
//!             acct_1,0.9731,1,g0003,lockstep@4:0.812,57,0.8120\n";
//! let mut r = csv::Reader::from_reader(text.as_bytes());
//! let row: AccountRow = r.deserialize().next().unwrap().unwrap();
//! assert_eq!(row.account, "acct_1");
//! assert!(row.flagged.0);
//! assert_eq!(row.group.as_deref(), Some("g0003"));
//! ```
#![deny(missing_docs)]

mod groups;
mod tables;

pub use groups::*;
pub use tables::*;
