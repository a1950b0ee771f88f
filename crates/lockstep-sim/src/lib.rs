//! `lockstep simulate`: synthetic short-video logs with organic traffic, organic hard negatives and
//! group-control farms. It writes synthetic events only; it drives nothing.
//!
//! **Organic traffic.** Power-law activity (Pareto sessions per day) and video popularity (Zipf
//! weights over a catalogue), a diurnal cycle in Asia/Shanghai with an evening peak, watch ratios
//! that mix skips, partial watches, completions and replays, like / comment / share / follow
//! probabilities that rise with the watch ratio, diverse comments, family devices shared by 2–3
//! accounts, home IPs, carrier CGNAT IPs shared by hundreds, office IPs during work hours.
//!
//! **Hard negatives.** A viral video watched by a quarter of all accounts within hours; a fan club
//! that views, likes and comments on an idol's daily release within minutes; power users who watch
//! hundreds of videos a day.
//!
//! **Farms.** `classic`: phones with 1–3 rotated accounts behind 2–4 IPs; a console broadcasting
//! batch logins, nurture sessions with scripted dwell times, campaigns on clients' videos (view,
//! like, templated comment, share, follow) within seconds across phones, bulk follows of a big
//! account and its fans, bulk DMs to those fans, auto-publishing at one minute of the day.
//! `stealth`: one device per account, proxy pools drawn from organic IPs, organic-looking
//! browsing at organic times, campaigns spread over hours with partial participation, spun text.
//!
//! Deterministic for a seed: one ChaCha8 stream (crowds have their own), no hash-map iteration
//! order in the output.
//!
//! Layout: this file builds the world (accounts, devices, IPs, creators, the catalogue, farms'
//! phones) and runs the days; `organic.rs` is organic traffic and the classic hard negatives,
//! `crowds.rs` the organic crowds, `farms.rs` the farms, `truth.rs` labels and per-video truth.

mod crowds;
mod farms;
mod organic;
mod text;
mod truth;

pub use truth::{write_labels, write_truth};

use crowds::{CrowdKind, Crowds};

use lockstep_core::{Action, TypedEvent};
use lockstep_io::{EventWriter, WriteError};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Pareto, Poisson};
use std::collections::HashMap;

/// 2026-11-02T00:00:00+08:00: the simulated logs start at midnight, Asia/Shanghai.
pub const START_MS: i64 = 1_793_548_800_000;
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
const MIN: i64 = 60_000;
const SEC: i64 = 1000;

/// Which world to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Organic traffic, hard negatives and classic (loud) farms.
    Classic,
    /// Organic traffic, hard negatives and stealth farms.
    Stealth,
    /// Organic traffic and the classic hard negatives only (CGNAT, offices, family devices, a
    /// viral video, a fan club, power users): no crowds, no farms.
    Organic,
    /// Both kinds of farm.
    Mixed,
    /// Organic traffic and organic crowds only (trends, fandoms, campuses, live events): a world
    /// where real people move together and nothing should be flagged.
    Crowds,
    /// Many-client farms: aged accounts that browse like people on their own devices behind
    /// proxies, each campaign a small random share of the farm spread over hours, no templates,
    /// DMs, schedules or batch logins.
    Spread,
    /// Farms each hired by one client (the commonest order: "likes for my videos"): the same
    /// cohort on each of the client's new videos, nothing else but nurture browsing. Crude
    /// farms (phones with several accounts, a few IPs, template comments, minutes) and
    /// adaptive ones (own phones behind proxies, ordinary comments, spread over hours), drawn
    /// per farm.
    OneClient,
}

impl Scenario {
    /// Names accepted by [`Scenario::parse`].
    pub const NAMES: [&'static str; 7] = [
        "classic",
        "stealth",
        "organic",
        "mixed",
        "crowds",
        "spread",
        "oneclient",
    ];

    /// The scenario with this name, if any.
    pub fn parse(s: &str) -> Option<Scenario> {
        match s {
            "classic" => Some(Scenario::Classic),
            "stealth" => Some(Scenario::Stealth),
            "organic" => Some(Scenario::Organic),
            "mixed" => Some(Scenario::Mixed),
            "crowds" => Some(Scenario::Crowds),
            "spread" => Some(Scenario::Spread),
            "oneclient" => Some(Scenario::OneClient),
            _ => None,
        }
    }
    /// The scenario's name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Classic => "classic",
            Scenario::Stealth => "stealth",
            Scenario::Organic => "organic",
            Scenario::Mixed => "mixed",
            Scenario::Crowds => "crowds",
            Scenario::Spread => "spread",
            Scenario::OneClient => "oneclient",
        }
    }
    /// Share of accounts in (classic, stealth, spread, one-client) farms.
    fn farm_shares(self) -> [(FarmKind, f64); 4] {
        let (c, s, p, o) = match self {
            Scenario::Classic => (0.06, 0.0, 0.0, 0.0),
            Scenario::Stealth => (0.0, 0.06, 0.0, 0.0),
            Scenario::Organic | Scenario::Crowds => (0.0, 0.0, 0.0, 0.0),
            Scenario::Mixed => (0.03, 0.03, 0.0, 0.0),
            Scenario::Spread => (0.0, 0.0, 0.05, 0.0),
            Scenario::OneClient => (0.0, 0.0, 0.0, 0.03),
        };
        [
            (FarmKind::Classic, c),
            (FarmKind::Stealth, s),
            (FarmKind::Spread, p),
            (FarmKind::OneClient, o),
        ]
    }
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Which world.
    pub scenario: Scenario,
    /// Random seed: the same seed writes the same log.
    pub seed: u64,
    /// Accounts in the world, farms included (those without events are not written).
    pub accounts: usize,
    /// Days of traffic.
    pub days: u32,
    /// What the log records of each video's owner (see [`CreatorLog`]).
    pub creators: CreatorLog,
}

/// What a simulated log records of who owns each video. Engagement exports differ: some carry
/// the owner on every row, most show it only where an upload falls inside the log, some not
/// at all (the owner lives in another table). Follows stay in every variant: they are
/// engagement, and a follow right after engaging still hints at the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreatorLog {
    /// A `creator` column on every video event, as platforms that log it do.
    Column,
    /// No column; `publish` events for uploads that fall inside the log (the default).
    #[default]
    Publish,
    /// No column and no `publish` events: the log shows no owner at all.
    None,
}

impl CreatorLog {
    /// Every variant's name, as `--creators` takes it.
    pub const NAMES: [&'static str; 3] = ["column", "publish", "none"];

    /// The variant named `s` (`column`, `publish`, `none`).
    pub fn parse(s: &str) -> Option<CreatorLog> {
        match s {
            "column" => Some(CreatorLog::Column),
            "publish" => Some(CreatorLog::Publish),
            "none" => Some(CreatorLog::None),
            _ => None,
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            scenario: Scenario::Mixed,
            seed: 1,
            accounts: 10_000,
            days: 1,
            creators: CreatorLog::Publish,
        }
    }
}

/// One account's ground truth (only accounts that produced events are labelled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRow {
    /// Account id.
    pub account: String,
    /// 1 for farm accounts.
    pub label: u8,
    /// Farm id (`F1`, …) or empty.
    pub farm: String,
    /// `classic` / `stealth` for farms; `organic`, `power_user`, `fan_club` otherwise.
    pub tactic: &'static str,
}

/// Per-video truth: organic and farm contributions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TruthRow {
    /// Video id.
    pub target: String,
    /// Views by organic accounts.
    pub organic_views: u64,
    /// Likes by organic accounts.
    pub organic_likes: u64,
    /// Comments by organic accounts.
    pub organic_comments: u64,
    /// Shares by organic accounts.
    pub organic_shares: u64,
    /// Organic views watched to the end.
    pub organic_completions: u64,
    /// Views by farm accounts.
    pub farm_views: u64,
    /// Likes by farm accounts.
    pub farm_likes: u64,
    /// Comments by farm accounts.
    pub farm_comments: u64,
    /// Shares by farm accounts.
    pub farm_shares: u64,
}

/// What a simulation produced besides the events.
#[derive(Debug, Clone, Default)]
pub struct SimOutput {
    /// Events written.
    pub events: u64,
    /// Ground truth per account.
    pub labels: Vec<LabelRow>,
    /// Ground truth per video.
    pub truth: Vec<TruthRow>,
    /// The targets farms push, sorted: clients' videos, the big account and its fans (what
    /// campaigns, bulk follows and DMs act on; nurture browsing acts on the feed).
    pub campaign_targets: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Organic,
    PowerUser,
    Fan,
    Crowd(CrowdKind),
    Farm(u16),
}

/// How a farm operates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FarmKind {
    /// Loud: shared phones and IPs, batch logins, scripted nurture, templates, DMs, schedules.
    Classic,
    /// Own devices, proxy pools, organic-looking browsing, campaigns spread over hours.
    Stealth,
    /// Many-client business: aged accounts, 12–25% of the farm per campaign, no other trace.
    Spread,
    /// Hired by one client: its cohort on each of the client's new videos (crude or adaptive:
    /// see [`Farm::crude`]), nothing else but nurture.
    OneClient,
}

#[derive(Debug, Clone, Copy)]
struct Video {
    creator: u32,
    len_ms: u32,
    publish_ts: i64,
    /// Whether its upload is in the log (a `publish` event) when it falls inside it.
    logged: bool,
}

/// Which words a comment uses.
#[derive(Debug, Clone, Copy)]
enum Voice<'a> {
    Organic,
    Fan,
    /// A fandom's slogan (控评).
    Slogan(&'a str),
    /// A challenge's hashtag.
    Challenge(&'a str),
}

/// Probabilities of the interactions that follow a view.
#[derive(Debug, Clone, Copy)]
struct Engage<'a> {
    like: f64,
    comment: f64,
    share: f64,
    follow: f64,
    voice: Voice<'a>,
}

#[derive(Debug, Clone)]
struct Profile {
    device: u32,
    home_ip: u32,
    mobile_ip: u32,
    office_ip: Option<u32>,
    sessions_per_day: f64,
    views_per_session: f64,
}

#[derive(Debug, Clone)]
struct Phone {
    device: u32,
    accounts: Vec<u32>,
    ip: u32,
}

#[derive(Debug, Clone)]
struct Farm {
    kind: FarmKind,
    /// Spread farms: campaigns per day, spread of a campaign (ms), participation range.
    campaigns_per_day: usize,
    spread_ms: i64,
    participation: (f64, f64),
    phones: Vec<Phone>,
    ip_pool: Vec<u32>,
    templates: Vec<&'static str>,
    dm_templates: Vec<&'static str>,
    login_offset: i64,
    nurture_offsets: Vec<i64>,
    /// (account, day) → farm-published video, for the accounts that auto-publish.
    publish_videos: HashMap<(u32, u32), u32>,
    /// Share of the campaign follows the console's task includes (0: a likes-only order, whose
    /// campaigns never follow the client, so nothing in the log names its videos' owner).
    /// Drawn per farm from its own stream (see [`follow_share`]).
    follow_share: f64,
    /// One-client farms: the client, and its new videos by day (the farm pushes each).
    client: u32,
    client_uploads: Vec<Vec<u32>>,
    /// One-client farms: crude (phones with several accounts, 2–4 IPs, template comments,
    /// the campaign within minutes) or adaptive (own phones behind proxies, ordinary comments,
    /// the campaign spread over 2–5 hours).
    crude: bool,
}

/// A farm's share of campaign follows: none for a third of farms (likes-and-views orders),
/// else 0.2–1. From a stream of its own, so the rest of the world is the same for the seed.
fn follow_share(seed: u64, farm: usize) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xF0_11_0B ^ ((farm as u64) << 40));
    if rng.random_bool(1.0 / 3.0) {
        0.0
    } else {
        rng.random_range(0.2..1.0)
    }
}

/// A deterministic fraction in [0, 1) for (farm, account, target): decides without drawing
/// from the world's stream (so adding a decision leaves the seed's world as it was).
fn fraction(farm: usize, a: u32, v: u32) -> f64 {
    let mut x = (farm as u64) << 48 ^ (a as u64) << 24 ^ v as u64;
    // splitmix64's finaliser.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[derive(Debug, Clone, Copy)]
struct Ev {
    ts: i64,
    account: u32,
    action: Action,
    /// Video id, or account id for follow/dm, or `u32::MAX` for login.
    target: u32,
    device: u32,
    ip: u32,
    watch: u32,
    video: u32,
    text: u32,
}

const NONE: u32 = u32::MAX;

impl Ev {
    /// An event with no watch time, video length or text.
    fn new(ts: i64, account: u32, action: Action, target: u32, device: u32, ip: u32) -> Ev {
        Ev {
            ts,
            account,
            action,
            target,
            device,
            ip,
            watch: NONE,
            video: NONE,
            text: NONE,
        }
    }
    fn watched(self, watch: u32, video: u32) -> Ev {
        Ev {
            watch,
            video,
            ..self
        }
    }
    fn with_len(self, video: u32) -> Ev {
        Ev { video, ..self }
    }
    fn with_text(self, text: u32) -> Ev {
        Ev { text, ..self }
    }
}

/// Cumulative-weight sampler (O(log n) per draw).
struct Sampler {
    cum: Vec<f64>,
}

impl Sampler {
    fn new(weights: impl Iterator<Item = f64>) -> Sampler {
        let mut acc = 0.0;
        let cum = weights
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        Sampler { cum }
    }
    fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = *self.cum.last().unwrap_or(&0.0);
        let u = rng.random::<f64>() * total;
        self.cum
            .partition_point(|&c| c <= u)
            .min(self.cum.len() - 1)
    }
}

/// Hour-of-day weights in Asia/Shanghai: quiet nights, lunch bump, evening peak.
const DIURNAL: [f64; 24] = [
    2.0, 1.0, 0.5, 0.3, 0.2, 0.3, 0.8, 1.5, 2.5, 2.5, 2.5, 3.0, 4.0, 4.0, 3.0, 3.0, 3.2, 3.5, 4.5,
    6.0, 7.0, 7.5, 6.5, 4.0,
];

struct Sim {
    cfg: SimConfig,
    rng: ChaCha8Rng,
    kinds: Vec<Kind>,
    profiles: Vec<Profile>,
    farms: Vec<Farm>,
    videos: Vec<Video>,
    video_sampler: Sampler,
    n_devices: u32,
    n_ips: u32,
    texts: Vec<String>,
    text_ids: HashMap<String, u32>,
    truth: Vec<TruthRow>,
    creators: Vec<u32>,
    big_account: u32,
    big_fans: Vec<u32>,
    viral_video: u32,
    idol_videos: Vec<u32>,
    fans: Vec<u32>,
    client_videos: Vec<u32>,
    hour_sampler: Sampler,
    buf: Vec<Ev>,
    /// Accounts that produced at least one event (only these are labelled).
    active: Vec<bool>,
    crowds: Crowds,
    /// The crowds' own random stream (see `crowds.rs`).
    crowd_rng: ChaCha8Rng,
    /// The friend circles' own random stream.
    circle_rng: ChaCha8Rng,
}

/// Run a simulation, streaming events (in time order) into `out`.
pub fn simulate(cfg: &SimConfig, out: &mut dyn EventWriter) -> Result<SimOutput, WriteError> {
    let mut sim = Sim::new(cfg.clone());
    let names = Names::new(&sim);
    let mut carry: Vec<Ev> = Vec::new();
    let mut n_events = 0u64;
    for day in 0..cfg.days {
        sim.buf = std::mem::take(&mut carry);
        sim.generate_day(day);
        let mut buf = std::mem::take(&mut sim.buf);
        buf.sort_by_key(|e| (e.ts, e.account, e.action as u8));
        let day_end = START_MS + (day as i64 + 1) * DAY;
        let cut = if day + 1 == cfg.days {
            buf.len()
        } else {
            buf.partition_point(|e| e.ts < day_end)
        };
        for e in &buf[..cut] {
            sim.count_truth(e);
            if e.action == Action::Publish && cfg.creators == CreatorLog::None {
                // The upload happened; this log does not record it.
                continue;
            }
            sim.active[e.account as usize] = true;
            out.write(&names.typed(&sim, e))?;
            n_events += 1;
        }
        carry = buf.split_off(cut);
    }
    let labels = sim.labels(&names);
    let mut campaign_targets: Vec<String> = sim
        .client_videos
        .iter()
        .chain(
            sim.farms
                .iter()
                .flat_map(|f| f.client_uploads.iter().flatten()),
        )
        .map(|&v| names.videos[v as usize].clone())
        .chain(
            std::iter::once(sim.big_account)
                .chain(sim.big_fans.iter().copied())
                .map(|a| names.accounts[a as usize].clone()),
        )
        .collect();
    campaign_targets.sort_unstable();
    campaign_targets.dedup();
    Ok(SimOutput {
        events: n_events,
        labels,
        truth: sim.truth,
        campaign_targets,
    })
}

/// Display names, built once so that writing an event allocates nothing.
struct Names {
    accounts: Vec<String>,
    videos: Vec<String>,
    devices: Vec<String>,
    ips: Vec<String>,
}

/// A bijection on u32 so that ids look random but never collide.
fn scramble(x: u32, key: u32) -> u32 {
    let mut v = x.wrapping_mul(0x9E37_79B1) ^ key;
    v = v.wrapping_mul(0x85EB_CA6B);
    v ^= v >> 13;
    v = v.wrapping_mul(0xC2B2_AE35);
    v ^ (v >> 16)
}

impl Names {
    fn new(sim: &Sim) -> Names {
        let key = sim.cfg.seed as u32;
        Names {
            accounts: (0..sim.kinds.len() as u32)
                .map(|a| format!("u{:08x}", scramble(a, key)))
                .collect(),
            videos: (0..sim.videos.len() as u32)
                .map(|v| format!("v{:08x}", scramble(v, key ^ 0x5555)))
                .collect(),
            devices: (0..sim.n_devices)
                .map(|d| format!("d{:08x}", scramble(d, key ^ 0xAAAA)))
                .collect(),
            ips: (0..sim.n_ips)
                .map(|i| {
                    let v = scramble(i, key ^ 0x1234);
                    format!(
                        "{}.{}.{}.{}",
                        1 + (v >> 24) % 223,
                        (v >> 16) & 255,
                        (v >> 8) & 255,
                        v & 255
                    )
                })
                .collect(),
        }
    }

    fn typed<'a>(&'a self, sim: &'a Sim, e: &Ev) -> TypedEvent<'a> {
        let target = match e.action {
            Action::Follow | Action::Dm => self.accounts[e.target as usize].as_str(),
            Action::Login => "",
            _ => self.videos[e.target as usize].as_str(),
        };
        // A short-video platform's events carry no star ratings; other columns stay none.
        TypedEvent {
            device: (e.device != NONE).then(|| self.devices[e.device as usize].as_str()),
            ip: (e.ip != NONE).then(|| self.ips[e.ip as usize].as_str()),
            watch_ms: (e.watch != NONE).then_some(e.watch),
            video_ms: (e.video != NONE).then_some(e.video),
            text: (e.text != NONE).then(|| sim.texts[e.text as usize].as_str()),
            creator: (sim.cfg.creators == CreatorLog::Column && e.action.targets_video())
                .then(|| self.accounts[sim.videos[e.target as usize].creator as usize].as_str()),
            ..TypedEvent::new(e.ts, &self.accounts[e.account as usize], e.action, target)
        }
    }
}

impl Sim {
    fn new(cfg: SimConfig) -> Sim {
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let n = cfg.accounts.max(50);
        let days = cfg.days.max(1);

        // --- farms take their accounts first (ids are scrambled in the output) ---
        let mut kinds = vec![Kind::Organic; n];
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.shuffle(&mut rng);
        let mut next = 0usize;
        let mut farm_specs: Vec<(FarmKind, Vec<u32>)> = Vec::new();
        for (kind, share) in cfg.scenario.farm_shares() {
            let mut want = (n as f64 * share).round() as usize;
            while want >= 10 {
                let sizes = match kind {
                    FarmKind::Spread => 150..=400,
                    FarmKind::OneClient => 60..=250,
                    _ => 40..=120,
                };
                let size = rng.random_range(sizes).min(want.max(10));
                let size = if want - size < 10 { want } else { size };
                let members: Vec<u32> = order[next..next + size].to_vec();
                next += size;
                want -= size;
                farm_specs.push((kind, members));
            }
        }
        for (f, (_, members)) in farm_specs.iter().enumerate() {
            for &a in members {
                kinds[a as usize] = Kind::Farm(f as u16);
            }
        }
        let organic: Vec<u32> = order[next..].to_vec();

        // --- organic infrastructure: households, devices, IPs ---
        let mut n_devices = 0u32;
        let mut n_ips = 0u32;
        let n_cgnat = (organic.len() / 300).max(2) as u32;
        let cgnat_base = n_ips;
        n_ips += n_cgnat;
        let n_office = (organic.len() / 150).max(1) as u32;
        let office_base = n_ips;
        n_ips += n_office;
        let mut profiles: Vec<Profile> = vec![
            Profile {
                device: NONE,
                home_ip: NONE,
                mobile_ip: NONE,
                office_ip: None,
                sessions_per_day: 0.0,
                views_per_session: 0.0,
            };
            n
        ];
        let pareto = Pareto::<f64>::new(1.0, 1.6).unwrap();
        let mut i = 0;
        while i < organic.len() {
            // A household: 1–4 accounts, one home IP; 10% share one family device.
            let size = [1, 1, 1, 2, 2, 3, 4][rng.random_range(0..7)].min(organic.len() - i);
            let home = n_ips;
            n_ips += 1;
            let shared_device = size >= 2 && rng.random_bool(0.25);
            let family_dev = n_devices;
            if shared_device {
                n_devices += 1;
            }
            for k in 0..size {
                let a = organic[i + k] as usize;
                let device = if shared_device && k < 3 {
                    family_dev
                } else {
                    n_devices += 1;
                    n_devices - 1
                };
                profiles[a] = Profile {
                    device,
                    home_ip: home,
                    mobile_ip: cgnat_base + rng.random_range(0..n_cgnat),
                    office_ip: rng
                        .random_bool(0.2)
                        .then(|| office_base + rng.random_range(0..n_office)),
                    sessions_per_day: (0.35 * pareto.sample(&mut rng)).min(12.0),
                    views_per_session: rng.random_range(4.0..14.0),
                };
            }
            i += size;
        }
        // Power users: a few accounts that watch hundreds of videos a day.
        for &a in organic.iter().take((organic.len() / 200).max(1)) {
            kinds[a as usize] = Kind::PowerUser;
            profiles[a as usize].sessions_per_day = rng.random_range(10.0..20.0);
            profiles[a as usize].views_per_session = rng.random_range(25.0..50.0);
        }

        // --- creators and the video catalogue ---
        let n_creators = (organic.len() / 20).max(5);
        let creators: Vec<u32> = organic[organic.len() - n_creators..].to_vec();
        let n_catalog = (n / 2).max(200);
        let mut videos: Vec<Video> = Vec::new();
        let len_dist = LogNormal::new((15_000f64).ln(), 0.7).unwrap();
        let draw_len = |rng: &mut ChaCha8Rng| (len_dist.sample(rng) as u32).clamp(3_000, 300_000);
        for _ in 0..n_catalog {
            let c = creators[(rng.random::<f64>().powi(2) * n_creators as f64) as usize];
            videos.push(Video {
                creator: c,
                len_ms: draw_len(&mut rng),
                publish_ts: START_MS - rng.random_range(1..30) * DAY,
                logged: true,
            });
        }
        let mut weights: Vec<f64> = {
            let mut ranks: Vec<usize> = (0..n_catalog).collect();
            ranks.shuffle(&mut rng);
            ranks
                .iter()
                .map(|&r| 1.0 / (r as f64 + 3.0).powf(0.95))
                .collect()
        };
        // New organic uploads during the window.
        for d in 0..days {
            for &c in &creators {
                if rng.random_bool(0.15) {
                    let ts = START_MS + d as i64 * DAY + rng.random_range(8 * HOUR..23 * HOUR);
                    videos.push(Video {
                        creator: c,
                        len_ms: draw_len(&mut rng),
                        publish_ts: ts,
                        logged: true,
                    });
                    weights.push(1.0 / (rng.random_range(10.0..2000.0f64)));
                }
            }
        }
        // The most popular catalogue video's creator is the big account farms follow.
        let top = (0..n_catalog)
            .max_by(|&a, &b| weights[a].total_cmp(&weights[b]))
            .unwrap();
        let big_account = videos[top].creator;
        let viral_video = {
            let mut v = rng.random_range(0..n_catalog);
            while v == top {
                v = rng.random_range(0..n_catalog);
            }
            v as u32
        };
        // Client videos: tail and mid-popularity catalogue videos whose owners bought promotion;
        // their number grows with the world, so that farms per client stay the same at any size.
        let mut by_weight: Vec<usize> = (0..n_catalog).collect();
        by_weight.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
        let client_videos: Vec<u32> = by_weight[n_catalog / 10..]
            .choose_multiple(&mut rng, (n_catalog / 8).max(10))
            .map(|&v| v as u32)
            .collect();

        // --- fan club of an idol (a creator that is not the big account) ---
        let idol = creators
            .iter()
            .copied()
            .find(|&c| {
                c != big_account && Some(c) != videos.get(viral_video as usize).map(|v| v.creator)
            })
            .unwrap_or(creators[0]);
        let n_fans = ((organic.len() as f64 * 0.015) as usize)
            .max(30)
            .min(organic.len() / 3);
        let fans: Vec<u32> = organic
            .iter()
            .copied()
            .filter(|&a| a != idol && a != big_account && kinds[a as usize] == Kind::Organic)
            .take(n_fans)
            .collect();
        for &f in &fans {
            kinds[f as usize] = Kind::Fan;
        }
        let mut idol_videos = Vec::new();
        for d in 0..days {
            idol_videos.push(videos.len() as u32);
            videos.push(Video {
                creator: idol,
                len_ms: draw_len(&mut rng),
                publish_ts: START_MS
                    + d as i64 * DAY
                    + 20 * HOUR
                    + rng.random_range(-20 * MIN..20 * MIN),
                logged: true,
            });
            weights.push(1.0 / 50.0);
        }
        let mut big_fans: Vec<u32> = organic
            .choose_multiple(&mut rng, (organic.len() / 20).max(20))
            .copied()
            .filter(|&a| a != big_account)
            .collect();
        // Sorted for membership tests; farms sample from it, so its order is part of the seed's world.
        big_fans.sort_unstable();

        // --- farms: phones, IPs, schedules, templates ---
        let mut farms = Vec::new();
        // Proxy pools are drawn from organic IPs only (not from another farm's IPs).
        let n_organic_ips = n_ips;
        let mut clients_taken: Vec<u32> = vec![big_account, idol];
        for (fi, (kind, members)) in farm_specs.into_iter().enumerate() {
            // A one-client farm is crude or adaptive (drawn only for such farms, so other
            // scenarios' worlds are unchanged).
            let crude = kind == FarmKind::OneClient && rng.random_bool(0.5);
            let stealth = kind != FarmKind::Classic && !crude;
            let mut phones = Vec::new();
            let ip_pool: Vec<u32> = if stealth {
                // A proxy pool that overlaps organic CGNAT and home IPs.
                (0..rng.random_range(30..60))
                    .map(|_| rng.random_range(0..n_organic_ips))
                    .collect()
            } else {
                let k = rng.random_range(2..=4);
                n_ips += k;
                (n_ips - k..n_ips).collect()
            };
            let mut j = 0;
            while j < members.len() {
                let per = if stealth {
                    1
                } else {
                    rng.random_range(1..=3usize)
                };
                let accounts: Vec<u32> = members[j..(j + per).min(members.len())].to_vec();
                j += accounts.len();
                phones.push(Phone {
                    device: n_devices,
                    accounts,
                    ip: ip_pool[rng.random_range(0..ip_pool.len())],
                });
                n_devices += 1;
            }
            let publishers: Vec<u32> = members
                .iter()
                .copied()
                .filter(|_| {
                    !matches!(kind, FarmKind::Spread | FarmKind::OneClient)
                        && rng.random_bool(if stealth { 0.3 } else { 0.5 })
                })
                .collect();
            // A one-client farm's client: a small creator (the second half of the creator
            // list owns few catalogue videos) uploading 1–2 new videos a day.
            let (mut client, mut client_uploads) = (NONE, Vec::new());
            if kind == FarmKind::OneClient {
                let small: Vec<u32> = creators[creators.len() / 2..]
                    .iter()
                    .copied()
                    .filter(|c| !clients_taken.contains(c))
                    .collect();
                client = small[rng.random_range(0..small.len())];
                clients_taken.push(client);
                for d in 0..days {
                    let mut today = Vec::new();
                    for _ in 0..rng.random_range(1..=2) {
                        today.push(videos.len() as u32);
                        videos.push(Video {
                            creator: client,
                            len_ms: draw_len(&mut rng),
                            publish_ts: START_MS
                                + d as i64 * DAY
                                + rng.random_range(8 * HOUR..20 * HOUR),
                            logged: true,
                        });
                        weights.push(1.0 / rng.random_range(500.0..5000.0f64));
                    }
                    client_uploads.push(today);
                }
            }
            let mut publish_videos = HashMap::new();
            let publish_offset = rng.random_range(9 * HOUR..22 * HOUR) / MIN * MIN;
            for d in 0..days {
                for &a in &publishers {
                    publish_videos.insert((a, d), videos.len() as u32);
                    videos.push(Video {
                        creator: a,
                        len_ms: draw_len(&mut rng),
                        publish_ts: START_MS + d as i64 * DAY + publish_offset,
                        logged: true,
                    });
                    weights.push(1.0 / 5000.0);
                }
            }
            let (n_tpl, n_dm_tpl) = (rng.random_range(2..=4), rng.random_range(1..=2));
            let lo = rng.random_range(0.12..0.18);
            farms.push(Farm {
                kind,
                campaigns_per_day: rng.random_range(6..=16),
                spread_ms: rng.random_range(HOUR..6 * HOUR),
                participation: (lo, lo + rng.random_range(0.03..0.07)),
                phones,
                ip_pool,
                templates: text::pick_templates(&mut rng, n_tpl, false),
                dm_templates: text::pick_templates(&mut rng, n_dm_tpl, true),
                login_offset: rng.random_range(7 * HOUR..10 * HOUR),
                nurture_offsets: (0..3)
                    .map(|k| (9 + 5 * k) * HOUR + rng.random_range(0..2 * HOUR))
                    .collect(),
                publish_videos,
                follow_share: follow_share(cfg.seed, fi),
                client,
                client_uploads,
                crude,
            });
        }

        let mut sim = Sim {
            rng,
            kinds,
            profiles,
            farms,
            video_sampler: Sampler::new(std::iter::empty()),
            n_devices,
            n_ips,
            texts: Vec::new(),
            text_ids: HashMap::new(),
            truth: Vec::new(),
            creators,
            big_account,
            big_fans,
            viral_video,
            idol_videos,
            fans,
            client_videos,
            hour_sampler: Sampler::new(DIURNAL.iter().copied()),
            buf: Vec::new(),
            active: vec![false; n],
            videos,
            cfg,
            crowds: Crowds::default(),
            crowd_rng: ChaCha8Rng::seed_from_u64(0),
            circle_rng: ChaCha8Rng::seed_from_u64(0),
        };
        // Crowds are hard negatives in every scenario but `organic`, the plain baseline.
        if sim.cfg.scenario != Scenario::Organic {
            sim.plan_crowds(&mut weights);
        }
        sim.video_sampler = Sampler::new(weights.iter().copied());
        sim.truth = vec![TruthRow::default(); sim.videos.len()];
        sim
    }

    fn text_id(&mut self, s: String) -> u32 {
        if let Some(&id) = self.text_ids.get(&s) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.text_ids.insert(s.clone(), id);
        self.texts.push(s);
        id
    }

    fn generate_day(&mut self, day: u32) {
        for a in 0..self.kinds.len() as u32 {
            if !matches!(self.kinds[a as usize], Kind::Farm(_)) {
                self.organic_day(a, day);
            }
        }
        self.publish_organic(day);
        self.viral(day);
        self.fan_club(day);
        self.crowds_day(day);
        for f in 0..self.farms.len() {
            match self.farms[f].kind {
                FarmKind::Spread => self.spread_farm_day(f, day),
                FarmKind::OneClient => self.one_client_farm_day(f, day),
                _ => self.farm_day(f, day),
            }
        }
    }
}
