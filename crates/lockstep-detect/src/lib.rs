//! Detectors and fusion.
//!
//! Data flows one way: each [`Detector`] reads the [`EventStore`] and returns [`Finding`]s; the
//! detectors are independent and run in parallel; [`fusion::fuse`] turns findings into account
//! scores, flagged decisions, groups and reasons. The output is deterministic: findings are
//! sorted before fusion, and nothing depends on hash-map iteration order.
//!
//! ```
//! use lockstep_core::{EventStoreBuilder, RawEvent};
//! let mut b = EventStoreBuilder::new();
//! b.push_raw(&RawEvent { ts: "1", account: "a", action: "view", target: "v", ..Default::default() }).unwrap();
//! let store = b.finish();
//! let det = lockstep_detect::detect(&store, &lockstep_detect::registry(), &Default::default());
//! assert_eq!(det.n_flagged(), 0);
//! ```

pub mod belief;
pub mod bursts;
pub mod creators;
pub mod detectors;
pub mod finding;
pub mod fusion;
pub mod graph;
pub mod midas;
pub mod stats;
pub mod text;
pub mod util;

#[cfg(test)]
pub(crate) mod testkit;

pub use detectors::registry;
pub use finding::{Detector, DetectorId, Family, Finding, Label, SharedValue};
pub use fusion::{
    fuse, AccountVerdict, Calibration, Detection, FlagRule, FusionConfig, Group, LinkedEvidence,
};

use lockstep_core::EventStore;
use rayon::prelude::*;

/// Run every detector (in parallel) and fuse their findings.
pub fn detect(
    store: &EventStore,
    detectors: &[Box<dyn Detector>],
    cfg: &FusionConfig,
) -> Detection {
    fuse(store, find(store, detectors), cfg)
}

/// Every detector's findings on `store`, in parallel, in a fixed order (detector, first member,
/// size) so fusion's output does not depend on thread timing. [`detect`] is this plus [`fuse`];
/// callers that need to act between the two (the live server drops evidence an analyst ruled a
/// false positive) call them apart.
pub fn find(store: &EventStore, detectors: &[Box<dyn Detector>]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = detectors
        .par_iter()
        .flat_map_iter(|d| d.detect(store))
        .collect();
    findings.sort_by(|a, b| {
        a.detector
            .cmp(&b.detector)
            .then_with(|| {
                a.members
                    .first()
                    .map(|m| m.0)
                    .cmp(&b.members.first().map(|m| m.0))
            })
            .then_with(|| a.members.len().cmp(&b.members.len()))
    });
    findings
}
