//! The detectors. Each lives in its own module, cites its idea, states its complexity and is
//! independent of the others. To add one: a new file here, and one line in [`registry`].

pub mod client_push;
pub mod dense_blocks;
pub mod fanout_dm;
pub mod item_blocks;
pub mod lockstep;
pub mod rating_behaviour;
pub mod scheduled_publish;
pub mod scripted;
pub mod shared_infra;
pub mod synchrony;
pub mod templates;

use crate::finding::Detector;

/// Every detector with its default settings, in a stable order.
pub fn registry() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(shared_infra::SharedInfraDetector::default()),
        Box::new(lockstep::LockstepDetector::default()),
        Box::new(templates::TemplateCommentDetector::default()),
        Box::new(dense_blocks::DenseBlockDetector::default()),
        Box::new(synchrony::SynchronyDetector::default()),
        Box::new(fanout_dm::FanoutDmDetector::default()),
        Box::new(scheduled_publish::ScheduledPublishDetector::default()),
        Box::new(scripted::ScriptedBehaviourDetector::default()),
        Box::new(rating_behaviour::RatingBehaviourDetector::default()),
        Box::new(client_push::ClientPushDetector::default()),
        Box::new(item_blocks::ItemBlockDetector::default()),
    ]
}
