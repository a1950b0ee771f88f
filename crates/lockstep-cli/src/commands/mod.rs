//! One module per command; `main` dispatches to them.

pub mod calibrate;
pub mod convert;
pub mod detect;
pub mod eval;
pub mod explain;
pub mod score_events;
pub mod serve;
pub mod simulate;
