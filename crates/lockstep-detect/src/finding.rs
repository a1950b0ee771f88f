//! What detectors emit: a [`Finding`] is one piece of evidence about a set of accounts, with a
//! strength per member, the concrete shared values, and a 3-level label in the shape analysts
//! know from commercial risk APIs (`label1 / label2 / label3`, description, detail).

use lockstep_core::EventStore;
use serde::Serialize;

/// A stable detector identity, carried into every output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DetectorId {
    /// Stable name (`lockstep`, `shared_infra`, …).
    pub id: &'static str,
    /// Bumped when the detector's logic changes.
    pub version: u32,
}

impl std::fmt::Display for DetectorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.id, self.version)
    }
}

/// Three-level label: family / tactic / specific signal, e.g.
/// `group_control / shared_infrastructure / device_ip_cluster`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Family (`group_control`, …).
    pub label1: &'static str,
    /// Tactic.
    pub label2: &'static str,
    /// Specific signal.
    pub label3: &'static str,
}

/// One shared value (device, IP, text) with the number of member accounts that used it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedValue {
    /// `device`, `ip` or `template`.
    pub kind: &'static str,
    /// The shared value itself.
    pub value: String,
    /// Member accounts that used it.
    pub accounts: u32,
    /// Hubs (CGNAT, campus, office) are context, not evidence.
    pub hub: bool,
}

/// One piece of evidence about a set of accounts.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The detector that found it.
    pub detector: DetectorId,
    /// What kind of evidence it is.
    pub label: Label,
    /// Member accounts (store ids) with this finding's strength for each, in [0, 1].
    pub members: Vec<(u32, f32)>,
    /// Targets the members acted on together (store ids), most-hit first.
    pub targets: Vec<u32>,
    /// First and last event time (ms) of the evidence.
    pub span: (i64, i64),
    /// Devices, IPs and texts the members share.
    pub shared: Vec<SharedValue>,
    /// Named figures behind the strength (counts, ratios), for reports.
    pub figures: Vec<(&'static str, f64)>,
    /// One plain-language sentence.
    pub summary: String,
    /// Whether sharing this finding means being run by the same operator (fusion joins such
    /// members into one group). A pitch template many farms copy is evidence about each sender,
    /// not proof that they are one ring.
    pub links_members: bool,
}

impl Finding {
    /// Member account names, in member order.
    pub fn member_names<'s>(&self, store: &'s EventStore) -> Vec<&'s str> {
        self.members
            .iter()
            .map(|&(a, _)| store.accounts.name(a))
            .collect()
    }
}

/// A detector reads the store and returns its findings. Detectors are independent: none reads
/// another's output; fusion joins them.
pub trait Detector: Send + Sync {
    /// The detector's id and version.
    fn id(&self) -> DetectorId;
    /// All findings on `store`; independent of other detectors.
    fn detect(&self, store: &EventStore) -> Vec<Finding>;
}

/// Which independent kind of evidence a finding is. Real crowds produce one kind at a time — a
/// trend's audience co-engages, a campus logs in at the bell behind one NAT, a fandom posts its
/// slogans — so fusion flags an account only on coordination across surely-distinct creators
/// beyond the crowd null model ([`Family::CrossCreatorCoordination`]) or on two families
/// together; [`Family::Context`] (IPs shared by single-account phones) is shown, never counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Co-engagement across surely-distinct creators, beyond what each target's audience and
    /// each account's own activity explain (`lockstep`).
    CrossCreatorCoordination,
    /// Acting together without that null model: synchronised items, dense blocks, batch logins.
    Coordination,
    /// Devices carrying several accounts.
    SharedDevices,
    /// Scripted dwell times or a clock-like rhythm.
    Automation,
    /// Templated comments.
    Templates,
    /// One DM pitch fanned out to strangers.
    FanoutDm,
    /// Publishing in the same minutes.
    Schedule,
    /// Rating behaviour (review sites).
    Rating,
    /// A cohort that is most of one creator's audience, returning to each of its videos
    /// (`client_push`): a purchase, judged against the creator's own audience.
    ClientPush,
    /// A dense account × item block in a rating graph beyond the configuration model
    /// (`item_blocks`): the one kind of evidence a review site's log can give.
    ItemBlock,
    /// IPs shared by single-account devices (a NAT): context, not evidence.
    Context,
}

impl Finding {
    /// The finding's [`Family`], from its specific label (unknown labels count as plain
    /// coordination: never enough alone).
    pub fn family(&self) -> Family {
        match self.label.label3 {
            "lockstep_engagement" => Family::CrossCreatorCoordination,
            "device_rotation_ip_cluster" => Family::SharedDevices,
            "ip_cluster" | "batch_login_single_devices" => Family::Context,
            "scripted_dwell" | "scripted_rhythm" => Family::Automation,
            "templated_comments" => Family::Templates,
            "fanout_dm" => Family::FanoutDm,
            "scheduled_publishing" => Family::Schedule,
            "rating_behaviour" => Family::Rating,
            "one_client_campaign" => Family::ClientPush,
            "dense_item_block" => Family::ItemBlock,
            _ => Family::Coordination,
        }
    }
}
