//! The `groups.json` document as types: written from borrowed data (no `Value` tree — at 10M
//! events building one cost half a second) and read back by `lockstep explain`, tests and any
//! tool that wants the contract typed. Strings are `Cow`: borrowed when writing, borrowed from
//! the text where possible when reading. Fields are in alphabetical order, as the schema's
//! examples and earlier releases printed them. Schema: `schemas/groups.schema.json`.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Three-level label of a finding or group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelDoc<'a> {
    #[serde(borrow)]
    pub label1: Cow<'a, str>,
    #[serde(borrow)]
    pub label2: Cow<'a, str>,
    #[serde(borrow)]
    pub label3: Cow<'a, str>,
}

impl From<&lockstep_detect::Label> for LabelDoc<'static> {
    fn from(l: &lockstep_detect::Label) -> Self {
        LabelDoc {
            label1: Cow::Borrowed(l.label1),
            label2: Cow::Borrowed(l.label2),
            label3: Cow::Borrowed(l.label3),
        }
    }
}

/// A detector that ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorDoc<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    pub version: u32,
}

/// One detector's contribution to a member's evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonDoc<'a> {
    pub contribution: f64,
    #[serde(borrow)]
    pub detector: Cow<'a, str>,
    pub version: u32,
}

/// A group member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberDoc<'a> {
    #[serde(borrow)]
    pub account: Cow<'a, str>,
    #[serde(borrow)]
    pub reasons: Vec<ReasonDoc<'a>>,
    pub score: f64,
}

/// One finding behind a group, with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceDoc<'a> {
    pub accounts: usize,
    #[serde(borrow)]
    pub detector: Cow<'a, str>,
    #[serde(borrow)]
    pub figures: BTreeMap<Cow<'a, str>, f64>,
    #[serde(borrow)]
    pub label: LabelDoc<'a>,
    #[serde(borrow)]
    pub summary: Cow<'a, str>,
    pub version: u32,
}

/// A shared device, IP or template; hubs are context, not evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedDoc<'a> {
    pub accounts: u32,
    pub hub: bool,
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    #[serde(borrow)]
    pub value: Cow<'a, str>,
}

/// A time span, as RFC 3339 and epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanDoc {
    pub end: String,
    pub end_ms: i64,
    pub start: String,
    pub start_ms: i64,
}

/// A finding shared with other groups (linked cases).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedDoc<'a> {
    #[serde(borrow)]
    pub detector: Cow<'a, str>,
    /// The other groups it reaches (at most 10 listed).
    #[serde(borrow)]
    pub groups: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    pub label: LabelDoc<'a>,
    /// Other groups beyond those listed.
    pub more: usize,
    #[serde(borrow)]
    pub summary: Cow<'a, str>,
    pub version: u32,
}

/// An organic explanation considered for the group, and why its evidence rules it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrowdCheckDoc<'a> {
    #[serde(borrow)]
    pub explanation: Cow<'a, str>,
    #[serde(borrow)]
    pub rejected_because: Cow<'a, str>,
}

/// One group (a case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDoc<'a> {
    /// Absent in files written before crowd checks existed.
    #[serde(borrow, default)]
    pub crowd_checks: Vec<CrowdCheckDoc<'a>>,
    #[serde(borrow)]
    pub evidence: Vec<EvidenceDoc<'a>>,
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub label: LabelDoc<'a>,
    /// Absent in files written before linked cases existed.
    #[serde(borrow, default)]
    pub linked: Vec<LinkedDoc<'a>>,
    #[serde(borrow)]
    pub members: Vec<MemberDoc<'a>>,
    pub score: f64,
    #[serde(borrow)]
    pub shared: Vec<SharedDoc<'a>>,
    pub size: usize,
    pub span: SpanDoc,
    #[serde(borrow)]
    pub summary: Cow<'a, str>,
    #[serde(borrow)]
    pub targets: Vec<Cow<'a, str>>,
}

/// The `groups.json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupsDoc<'a> {
    pub accounts: usize,
    #[serde(borrow)]
    pub detectors: Vec<DetectorDoc<'a>>,
    pub flagged: usize,
    #[serde(borrow)]
    pub generator: Cow<'a, str>,
    #[serde(borrow)]
    pub groups: Vec<GroupDoc<'a>>,
}

impl<'a> GroupsDoc<'a> {
    /// Parse a `groups.json` text (strings borrowed from it where possible).
    pub fn parse(text: &'a str) -> serde_json::Result<GroupsDoc<'a>> {
        serde_json::from_str(text)
    }

    /// The group with this id.
    pub fn group(&self, id: &str) -> Option<&GroupDoc<'a>> {
        self.groups.iter().find(|g| g.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::EventStoreBuilder;
    use lockstep_sim::{simulate, Scenario, SimConfig};

    /// The writer's document parses back into equal values and re-serialises to the same bytes:
    /// the types are the contract both ways.
    #[test]
    fn groups_json_round_trips() {
        let mut b = EventStoreBuilder::new();
        let cfg = SimConfig {
            scenario: Scenario::Mixed,
            seed: 5,
            accounts: 3000,
            days: 1,
            creator_column: false,
        };
        simulate(&cfg, &mut b).unwrap();
        let store = b.finish();
        let registry = lockstep_detect::registry();
        let det = lockstep_detect::detect(&store, &registry, &Default::default());
        assert!(!det.groups.is_empty(), "the mixed world has farms to group");
        let ids: Vec<_> = registry.iter().map(|d| d.id()).collect();
        let doc = crate::groups_json(&store, &det, &ids);
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let back = GroupsDoc::parse(&text).unwrap();
        assert_eq!(back, doc);
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), text);
        let g = back.group(&back.groups[0].id).unwrap();
        assert_eq!(g.size, g.members.len());
        assert!(!g.crowd_checks.is_empty());
        // Files written before crowd checks and linked cases existed still parse.
        let old = text
            .replace("\"crowd_checks\"", "\"ignored_a\"")
            .replace("\"linked\"", "\"ignored_b\"");
        assert!(GroupsDoc::parse(&old).is_ok());
    }
}
