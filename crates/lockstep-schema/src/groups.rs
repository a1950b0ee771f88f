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
    /// Top level: the behaviour family (e.g. `coordination`).
    #[serde(borrow)]
    pub label1: Cow<'a, str>,
    /// Middle level: the kind of evidence.
    #[serde(borrow)]
    pub label2: Cow<'a, str>,
    /// Bottom level: the detector's own name for it.
    #[serde(borrow)]
    pub label3: Cow<'a, str>,
}

/// A detector that ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorDoc<'a> {
    /// Detector id (`lockstep`, `shared_infra`, …).
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Detector version: a change of logic bumps it.
    pub version: u32,
}

/// One detector's contribution to a member's evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonDoc<'a> {
    /// The detector's share of the member's evidence, in [0, 1].
    pub contribution: f64,
    /// Detector id.
    #[serde(borrow)]
    pub detector: Cow<'a, str>,
    /// Detector version.
    pub version: u32,
}

/// A group member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberDoc<'a> {
    /// Account id as in the input.
    #[serde(borrow)]
    pub account: Cow<'a, str>,
    /// Contributions, strongest first.
    #[serde(borrow)]
    pub reasons: Vec<ReasonDoc<'a>>,
    /// The account's calibrated score.
    pub score: f64,
}

/// One finding behind a group, with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceDoc<'a> {
    /// Accounts the finding names.
    pub accounts: usize,
    /// Detector id.
    #[serde(borrow)]
    pub detector: Cow<'a, str>,
    /// The finding's figures by name (counts, windows, surprise).
    #[serde(borrow)]
    pub figures: BTreeMap<Cow<'a, str>, f64>,
    /// Three-level label.
    #[serde(borrow)]
    pub label: LabelDoc<'a>,
    /// One sentence a person can act on.
    #[serde(borrow)]
    pub summary: Cow<'a, str>,
    /// Detector version.
    pub version: u32,
}

/// A shared device, IP or template; hubs are context, not evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedDoc<'a> {
    /// Accounts that used it.
    pub accounts: u32,
    /// True when it is a hub (a carrier NAT, a common phrase): context only.
    pub hub: bool,
    /// `device`, `ip` or `template`.
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    /// The device id, IP or template text.
    #[serde(borrow)]
    pub value: Cow<'a, str>,
}

/// A time span, as RFC 3339 and epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanDoc {
    /// Last event, RFC 3339.
    pub end: String,
    /// Last event, epoch milliseconds.
    pub end_ms: i64,
    /// First event, RFC 3339.
    pub start: String,
    /// First event, epoch milliseconds.
    pub start_ms: i64,
}

/// A finding shared with other groups (linked cases).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedDoc<'a> {
    /// Detector id of the shared finding.
    #[serde(borrow)]
    pub detector: Cow<'a, str>,
    /// The other groups it reaches (at most 10 listed).
    #[serde(borrow)]
    pub groups: Vec<Cow<'a, str>>,
    /// Three-level label.
    #[serde(borrow)]
    pub label: LabelDoc<'a>,
    /// Other groups beyond those listed.
    pub more: usize,
    /// The finding's summary.
    #[serde(borrow)]
    pub summary: Cow<'a, str>,
    /// Detector version.
    pub version: u32,
}

/// An organic explanation considered for the group, and why its evidence rules it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrowdCheckDoc<'a> {
    /// The organic explanation (a fandom, a trend, a campus NAT, …).
    #[serde(borrow)]
    pub explanation: Cow<'a, str>,
    /// What in the evidence rules it out.
    #[serde(borrow)]
    pub rejected_because: Cow<'a, str>,
}

/// One group (a case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDoc<'a> {
    /// Absent in files written before crowd checks existed.
    #[serde(borrow, default)]
    pub crowd_checks: Vec<CrowdCheckDoc<'a>>,
    /// The findings behind the group.
    #[serde(borrow)]
    pub evidence: Vec<EvidenceDoc<'a>>,
    /// Case id (`g0001`, …).
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// The label of the group's lead finding (the most member weight).
    #[serde(borrow)]
    pub label: LabelDoc<'a>,
    /// Absent in files written before linked cases existed.
    #[serde(borrow, default)]
    pub linked: Vec<LinkedDoc<'a>>,
    /// The member accounts.
    #[serde(borrow)]
    pub members: Vec<MemberDoc<'a>>,
    /// The group's score: its members' mean score.
    pub score: f64,
    /// Devices, IPs and templates the members share.
    #[serde(borrow)]
    pub shared: Vec<SharedDoc<'a>>,
    /// Members.
    pub size: usize,
    /// When the group's evidence happened.
    pub span: SpanDoc,
    /// One sentence on the group.
    #[serde(borrow)]
    pub summary: Cow<'a, str>,
    /// Videos and accounts its findings name (at most 30, the lead finding's first).
    #[serde(borrow)]
    pub targets: Vec<Cow<'a, str>>,
}

/// The `groups.json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupsDoc<'a> {
    /// Accounts in the input.
    pub accounts: usize,
    /// Detectors that ran.
    #[serde(borrow)]
    pub detectors: Vec<DetectorDoc<'a>>,
    /// Accounts flagged.
    pub flagged: usize,
    /// `lockstep` and its version.
    #[serde(borrow)]
    pub generator: Cow<'a, str>,
    /// The groups (cases).
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
