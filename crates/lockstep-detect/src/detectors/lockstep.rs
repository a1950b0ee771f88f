//! Lockstep engagement: groups of accounts that engage the same targets inside the same short
//! windows, again and again, far more often than chance allows.
//!
//! **Idea.** CopyCatch (Beutel et al., WWW 2013) looks for ≥ m accounts that each acted on the
//! same ≥ n targets, each within Δt of the group's time for that target. Here n = 2, seeded from
//! *bursts* and judged by *lift*, so the search never compares all pairs of accounts:
//!
//! 1. A **burst** is a target's fixed Δt window (two grids offset by Δt/2, so a campaign is not
//!    split unseen) with at least `min_burst` distinct engaging accounts and at least
//!    `min_concentration` times what is normal for that target at that time: the target's
//!    distinct engagers times the share of all engagement that falls in that window. Organic
//!    popular videos follow the platform's diurnal curve and are not bursts; a console campaign
//!    is (FIELD-NOTES: density measured where and when the console acts, relative to the target,
//!    survives at 10M events where global density does not).
//! 2. Two bursts on different *keys* (a key is the creator behind the target: the followed account,
//!    or the publisher when a `publish` event names one, else the target — so a fan club liking
//!    every release of one idol and following her is a single key) form a
//!    **block** when they share at least `min_group` accounts and that overlap is at least
//!    `min_lift` times what independent audiences would share, and at least `min_share` of the
//!    larger burst (|b₁ ∩ b₂| · N / (|b₁| · |b₂|),
//!    with N the smaller of the two windows' populations: the geometric mean of the window's head
//!    count and its activity-weighted population (Σ act)² / Σ act² — night owls and heavy users
//!    meet each other more often than a head count suggests). A viral audience and a fan club overlap at lift ≈ 1; one
//!    farm's two campaigns at lift in the tens to hundreds.
//! 3. Bursts joined by blocks form **groups** (a farm's campaigns are a clique of blocks); each
//!    account joins the group in whose bursts it appears on the most keys. Joining bursts rather
//!    than accounts keeps a heavy user who happens to sit in two farms' bursts from merging them.
//!    Two farms that push the same video in the same hours share that one burst, and it blocks
//!    with both farms' other bursts: a group is therefore split at its *cut bursts* (articulation
//!    points of the block graph, [`crate::graph::split_at_cut_vertices`]) when that leaves two or
//!    more parts of two or more bursts; a farm's own clique has no cut burst. Measured with
//!    `lockstep eval`'s group purity: `mixed`, 20,000 accounts, seeds 2 and 3, 0.80 → 0.97 and
//!    0.81 → 0.89; 400,000 accounts 0.81 → 0.90; 100M events 0.80 → 0.90; farms are still not
//!    split (1.00–1.01 groups per farm); AP moves by at most −0.003 (stealth, 6,000 accounts).
//! 4. A member's **strength** is the surprise of its participation: on how many of the group's
//!    keys it was in the group's bursts (x), against λ = Σₖ min(1, |bₖ| · its share of all
//!    activity) — the count an account this active would reach if bursts drew members in
//!    proportion to activity. −log₁₀ P(X ≥ x; λ) above `min_surprise` maps linearly to [0, 1]
//!    over two orders of magnitude: a heavy user in a few of a farm's bursts is expected, a light
//!    account in four of them is not.
//!
//! 5. **Crowd null (v3).** Real crowds co-engage too: a trend's bingers watch many creators'
//!    takes in one evening, fans of several idols pile onto every release. So (a) λ also takes,
//!    per key, the degree-corrected chance 1 − exp(−d · n / D) from the account's own engaging
//!    events d in the burst's window and the target's share n / D of that window; (b) x counts
//!    surely-distinct creators ([`crate::creators::sure_creator_count`]: videos of unknown creator
//!    once together) and at most the member's separate *sittings* (engagements more than
//!    `sitting_ms` apart) — one stimulus moves a crowd to many creators in one sitting; (c) a
//!    member needs `min_creators` (3) and a group `min_group_creators` (5) surely-distinct
//!    creators — a handful of idols visited again and again is a fandom, a console serves many
//!    clients. Measured on simulated crowds (seeds 201, 101–102 tuning; 1–3 reported): trend,
//!    fandom and campus flags 58% / 41% / 100% → 0; stealth recall 0.985 → 0.87–0.89.
//! 6. **A push is not popularity (v4).** Both chances in λ take the target's share of the window
//!    from its *normal* audience rather than from the burst itself: a console's push makes its
//!    client's video the window's busiest, and judging members against that popularity let a
//!    many-client farm's workers (active accounts, seen in two or three of forty campaigns) pass
//!    as chance. "Normal" (the target's engagers × the window's share of engagement) is crude
//!    for organically bursty targets — a trend's take, a release — so the chance uses the
//!    geometric mean of the burst and its normal audience. Tuning seeds 201–202 (`spread`, 3
//!    days): recall 0.73 / 0.89 → 0.83 / 0.95, AP 0.80 / 0.94 → 0.87 / 0.97; `crowds` 201–202
//!    0 → 0 / 1 account; stealth 101–102 AP +0.005.
//!
//! 7. **Videos of unknown creator, by audience (v5).** Where the log does not say who owns a
//!    video, "maybe all one creator" left the detector blind (many-client farms on such a
//!    log: recall 0) and "all distinct" would flag fandoms. Per group, such videos are judged
//!    by their audience *outside any burst*: two are possibly one creator's (or a known
//!    creator's) when those audiences overlap beyond chance, as an idol's releases share
//!    followers and casual fans; otherwise each is a creator of its own, as a farm client's
//!    video, seen by almost no one but the farm, is (see `audience_clusters`). Tuning seeds
//!    201 (`spread`, 3 days) and 101–102 (`mixed`), no creators in the log, a third of farms
//!    never following: AP 0.36 → 0.81 (0.81 with a creator column), 0.985 → 0.986 and
//!    0.958 → 0.990; `crowds` 201–202 as with a creator column.
//! 8. **Reciprocity (v5).** Bursts on the group's own members' content (their videos, their
//!    accounts followed) are dropped before counting creators: a friend circle or creator pod
//!    reacts to its own members' posts, a farm pushes outsiders'. Where the log does not show
//!    who posted, a group in which a third of the members are followed by other members is
//!    taken for friends, and its videos of unknown creator for their own posts (farm accounts
//!    follow clients, big accounts and their fans, not each other). Measured on `crowds`
//!    tuning seed 201 (3 days, circles on 6% of users): every circle flagged before this rule
//!    was one whose posts the log did not show. Without follows either, the group is taken
//!    for a circle when half its members could each be the author of a different one of its
//!    clusters of unknown creator: in none of that cluster's bursts, in those of at least
//!    half the others (a friend reacts to friends' posts). A farm has far more members than
//!    clients, and a many-client farm's workers are in few of its campaigns.
//!
//! **Complexity.** O(E) to cut bursts from the per-target index (plus sorting each window's
//! accounts); O(Σₐ min(dₐ, `max_bursts_per_account`)²) burst-pair incidences, dₐ = bursts of
//! account a, counted per burst in a dense per-thread counter (never materialised or sorted:
//! at 10M events that halved the detector's time); near-linear union-find over bursts and O(B + K)
//! for the cut bursts (K blocks); O(|group bursts| · |members| log)
//! per group for the strengths.

use crate::finding::{Detector, DetectorId, Finding, Label};
use crate::graph::UnionFind;
pub use crate::stats::poisson_tail;
use lockstep_core::{Action, EventStore};
use rayon::prelude::*;

/// This detector's id and version.
pub const ID: DetectorId = DetectorId {
    id: "lockstep",
    version: 5,
};

/// Accounts that engage the same targets in the same bursts beyond the crowd null model (see the module doc).
#[derive(Debug, Clone)]
pub struct LockstepDetector {
    /// Window length Δt in ms.
    pub window_ms: i64,
    /// Distinct accounts a window needs to be a burst.
    pub min_burst: usize,
    /// A burst's size over the target's normal count for that window.
    pub min_concentration: f64,
    /// Accounts two bursts must share to form a block.
    pub min_shared: usize,
    /// The smallest group.
    pub min_group: usize,
    /// Overlap of two bursts over what independent audiences would share.
    pub min_lift: f64,
    /// Shared accounts as a share of the larger burst.
    pub min_share: f64,
    /// Accounts in more bursts than this pair only their first ones (bounds heavy users' cost).
    pub max_bursts_per_account: usize,
    /// Creators (and sittings) a member must reach in its group's bursts to have any strength.
    pub min_creators: usize,
    /// Surely-distinct creators a group's bursts must span.
    pub min_group_creators: usize,
    /// Surely-distinct creators a group must span for members seen on two creators, one per
    /// sitting, to count as fully as members on `min_creators`.
    pub min_pair_group_creators: usize,
    /// Engagements of one member closer than this are one sitting (see `finding`).
    pub sitting_ms: i64,
    /// −log10 of the chance tail (against its group's bursts) at which a member's strength starts; strength 0.5 is one
    /// order of magnitude above it, 1.0 two.
    pub min_surprise: f64,
    /// Accounts outside a group's bursts two videos of unknown creator must share to be
    /// possibly one creator's (see `audience_clusters`).
    pub min_shared_audience: usize,
    /// The chance of that overlap between independent audiences at or below which they are.
    pub max_audience_chance: f64,
    /// A group with more videos of unknown creator than this keeps them as one creator.
    pub max_audience_targets: usize,
}

impl Default for LockstepDetector {
    fn default() -> Self {
        LockstepDetector {
            window_ms: 3 * 3_600_000,
            min_burst: 8,
            min_concentration: 2.0,
            // Four: a many-client farm at 12–25% participation shares few accounts between two
            // campaigns (spread recall 0.68 → 0.73 from 5, tuning seed 201; crowds unchanged).
            min_shared: 4,
            min_group: 5,
            // Tuned on seeds 101–103 (20k accounts; stealth, classic, organic): organic accounts
            // start to be flagged at lift 3, stealth recall saturates by 5.
            min_lift: 5.0,
            // Two campaigns of one farm share p² · N accounts at participation p — 0.36 of
            // either burst at 60% (stealth), 0.12–0.25 for a many-client farm sending 12–25% of
            // its accounts to each campaign (spread recall 0.36 → 0.68 at 0.2 → 0.1, tuning seed
            // 201); a burst that several farms pass through shares far less with each.
            min_share: 0.1,
            max_bursts_per_account: 200,
            // A binge of a trend's takes lasts minutes; a farm's campaigns come hours apart.
            sitting_ms: 3_600_000,
            min_creators: 3,
            min_group_creators: 5,
            // Tuning seeds 201–202 and 101: spread recall +0.01–0.03, stealth +0.01; at 8 a
            // trend group let one binger through.
            min_pair_group_creators: 10,
            // On stealth seed 1 (20k accounts) organic accounts pulled into farm components
            // reached at most 1.7; half the farm members exceed 4.7. At 1.0 (seeds 101–103)
            // organic accounts begin to be flagged in classic worlds.
            min_surprise: 1.5,
            // Two shared outsiders at a 1% chance already link: linking errs towards one
            // creator, so towards no flag.
            min_shared_audience: 2,
            max_audience_chance: 0.01,
            max_audience_targets: 2000,
        }
    }
}

/// One window of a grid.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// Share of all engaging events that fall in it.
    share: f64,
    /// Engaging events in it.
    events: f64,
    /// Effective number of accounts active in it.
    population: f64,
}

/// Fixed Δt windows starting at bucket `first`, shifted by `offset`.
#[derive(Debug, Clone)]
struct Grid {
    offset: i64,
    first: i64,
    windows: Vec<Window>,
}

/// A target's window with unusually many distinct engaging accounts.
#[derive(Debug, Clone)]
struct Burst {
    key: u32,
    target: u32,
    start: i64,
    /// Population active in the burst's window.
    population: f64,
    /// How much of the burst is the target's own popularity rather than a push: the geometric
    /// mean of 1 and (normal audience / burst size), the normal audience being the target's
    /// engagers times the window's share of all engagement. "Normal" is crude for organically
    /// bursty targets (a trend's take, a release), hence the hedge towards 1.
    popularity_share: f64,
    /// The target's engaging events in the window, and all engaging events in the window.
    events: f64,
    window_events: f64,
    /// Sorted account ids.
    members: Vec<u32>,
}

fn engaging(a: Action) -> bool {
    matches!(
        a,
        Action::View | Action::Like | Action::Comment | Action::Share | Action::Follow
    )
}

impl LockstepDetector {
    fn bucket(&self, ts: i64, offset: i64) -> i64 {
        (ts + offset).div_euclid(self.window_ms)
    }

    /// Per grid and window: the share of all engaging events, and the effective population
    /// active in it ((Σ act)² / Σ act² over the window's accounts).
    fn windows(&self, store: &EventStore) -> [Grid; 2] {
        let (t0, t1) = store.time_span().unwrap_or((0, 0));
        let grid = |offset: i64| {
            let first = self.bucket(t0, offset);
            let n = (self.bucket(t1, offset) - first + 1) as usize;
            // Per window: (accounts active, Σ events, Σ events²). Windows are contiguous ranges
            // of the time-ordered store, so each is read sequentially (walking every account's
            // events through the per-account index instead missed cache on every event: 7 s
            // of this detector's 23 s at 100M events).
            // Each account's events in the window counted in a dense per-thread counter
            // (reset through the list of accounts touched), not by sorting the window.
            let sums: Vec<(f64, f64, f64)> = (0..n)
                .into_par_iter()
                .map_init(
                    || (vec![0u32; store.n_accounts()], Vec::new()),
                    |(count, touched), w| {
                        let lo = (first + w as i64) * self.window_ms - offset;
                        let s = store.ts.partition_point(|&t| t < lo);
                        let e = store.ts.partition_point(|&t| t < lo + self.window_ms);
                        for i in s..e {
                            if engaging(Action::from_code(store.action[i])) {
                                let a = store.account[i];
                                if count[a as usize] == 0 {
                                    touched.push(a);
                                }
                                count[a as usize] += 1;
                            }
                        }
                        let (mut head, mut s1, mut s2) = (0f64, 0f64, 0f64);
                        for a in touched.drain(..) {
                            let c = std::mem::take(&mut count[a as usize]) as f64;
                            head += 1.0;
                            s1 += c;
                            s2 += c * c;
                        }
                        (head, s1, s2)
                    },
                )
                .collect();
            let total: f64 = sums.iter().map(|w| w.1).sum::<f64>().max(1.0);
            let windows = sums
                .into_iter()
                .map(|(head, s1, s2)| Window {
                    share: s1 / total,
                    events: s1,
                    // Between the head count (heavy users collide more often than it suggests:
                    // night owls formed chance blocks) and the activity-weighted population
                    // (which understates the pool light accounts are drawn from: small worlds
                    // lost their farms); measured on seeds 101–103 at 6k and 20k accounts.
                    population: {
                        let weighted = if s2 > 0.0 { s1 * s1 / s2 } else { 1.0 };
                        (head * weighted).sqrt().max(1.0)
                    },
                })
                .collect();
            Grid {
                offset,
                first,
                windows,
            }
        };
        [grid(0), grid(self.window_ms / 2)]
    }

    fn bursts_of(&self, store: &EventStore, t: u32, key: u32, grids: &[Grid; 2]) -> Vec<Burst> {
        let on = store.events_on_target(t);
        if on.len() < self.min_burst {
            return Vec::new();
        }
        // One gather of (ts, account) per engaging event: the per-target index points all over
        // the time-ordered columns, so each column is read once here, not once per grid.
        let evs: Vec<(i64, u32)> = on
            .iter()
            .filter(|&&e| engaging(store.action(e)))
            .map(|&e| (store.ts[e as usize], store.account[e as usize]))
            .collect();
        if evs.len() < self.min_burst {
            return Vec::new();
        }
        let mut all: Vec<u32> = evs.iter().map(|e| e.1).collect();
        all.sort_unstable();
        all.dedup();
        if all.len() < self.min_burst {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut members: Vec<u32> = Vec::new();
        for grid in grids {
            let offset = grid.offset;
            let mut i = 0;
            while i < evs.len() {
                let b = self.bucket(evs[i].0, offset);
                members.clear();
                let first = i;
                while i < evs.len() && self.bucket(evs[i].0, offset) == b {
                    members.push(evs[i].1);
                    i += 1;
                }
                let n_events = (i - first) as f64;
                if members.len() < self.min_burst {
                    continue;
                }
                members.sort_unstable();
                members.dedup();
                let n = members.len();
                let window = grid.windows[(b - grid.first) as usize];
                let expected = all.len() as f64 * window.share;
                if n >= self.min_burst && n as f64 >= self.min_concentration * expected {
                    out.push(Burst {
                        key,
                        target: t,
                        start: b * self.window_ms - offset,
                        population: window.population,
                        popularity_share: (expected / n as f64).min(1.0).sqrt(),
                        events: n_events,
                        window_events: window.events.max(1.0),
                        members: members.clone(),
                    });
                }
            }
        }
        out
    }
}

impl Detector for LockstepDetector {
    fn id(&self) -> DetectorId {
        ID
    }

    fn detect(&self, store: &EventStore) -> Vec<Finding> {
        if store.is_empty() {
            return Vec::new();
        }
        let keys = crate::creators::creator_keys(store);
        let grids = self.windows(store);
        let mut bursts: Vec<Burst> = (0..store.n_targets() as u32)
            .into_par_iter()
            .flat_map_iter(|t| self.bursts_of(store, t, keys[t as usize], &grids))
            .collect();
        debug_assert!(bursts.windows(2).all(|w| w[0].target <= w[1].target));
        // Engaging events per account; N of the lift is the number of engaging accounts.
        let mut activity = vec![0u32; store.n_accounts()];
        for e in 0..store.len() {
            if engaging(Action::from_code(store.action[e])) {
                activity[store.account[e] as usize] += 1;
            }
        }
        let total_activity = activity.iter().map(|&x| x as f64).sum::<f64>().max(1.0);
        // Bursts of each account (burst ids ascending).
        let mut acc_burst: Vec<(u32, u32)> = bursts
            .iter()
            .enumerate()
            .flat_map(|(b, x)| x.members.iter().map(move |&a| (a, b as u32)))
            .collect();
        acc_burst.par_sort_unstable();
        let runs: Vec<&[(u32, u32)]> = acc_burst.chunk_by(|x, y| x.0 == y.0).collect();
        // Each account's bursts (ascending), capped at `max_bursts_per_account`.
        let capped: Vec<&[(u32, u32)]> = runs
            .iter()
            .map(|run| &run[..run.len().min(self.max_bursts_per_account)])
            .collect();
        let mut run_of = vec![u32::MAX; store.n_accounts()];
        for (i, run) in capped.iter().enumerate() {
            run_of[run[0].0 as usize] = i as u32;
        }
        // Candidate blocks: burst pairs on different keys, with their shared-account count.
        // Counted per first burst, sparse-matrix style (a dense counter per thread), so the
        // tens of millions of (b₁, b₂, account) incidences are never materialised or sorted.
        // Each burst's key and size side by side: the inner loop reads them for every incidence.
        let key_size: Vec<(u32, f64)> = bursts
            .iter()
            .map(|b| (b.key, b.members.len() as f64))
            .collect();
        let blocks: Vec<(u32, u32)> = (0..bursts.len() as u32)
            .into_par_iter()
            .map_init(
                || (vec![0u32; bursts.len()], Vec::<u32>::new()),
                |(count, touched), b1| {
                    let (k1, n1) = key_size[b1 as usize];
                    // A block shares at least `min_share` of the larger burst, and can share at
                    // most the smaller one: bursts more than 1 / min_share times larger or
                    // smaller than b1 can never pair with it, so they are not counted (the same
                    // products as the test below, so the pruning is exact).
                    let smallest = self.min_share * n1;
                    for &a in &bursts[b1 as usize].members {
                        let run = capped[run_of[a as usize] as usize];
                        // Only accounts for which b1 is among their first bursts pair it.
                        if run.last().is_none_or(|l| l.1 < b1) {
                            continue;
                        }
                        let from = run.partition_point(|x| x.1 <= b1);
                        for &(_, b2) in &run[from..] {
                            let (k2, n2) = key_size[b2 as usize];
                            if k2 == k1 || n2 < smallest || self.min_share * n2 > n1 {
                                continue;
                            }
                            let c = &mut count[b2 as usize];
                            if *c == 0 {
                                touched.push(b2);
                            }
                            *c += 1;
                        }
                    }
                    touched.sort_unstable();
                    let mut out = Vec::new();
                    for &b2 in touched.iter() {
                        let shared = count[b2 as usize] as f64;
                        count[b2 as usize] = 0;
                        let (x, y) = (&bursts[b1 as usize], &bursts[b2 as usize]);
                        let (n1, n2) = (x.members.len() as f64, y.members.len() as f64);
                        // Audiences of two windows are drawn from the accounts active in both;
                        // the smaller window's population is the conservative choice.
                        let population = x.population.min(y.population);
                        // A block must also hold a fair share of the larger burst: a burst many
                        // farms pass through (everyone following one big account) would
                        // otherwise chain them together.
                        if shared >= self.min_shared as f64
                            && shared * population / (n1 * n2) >= self.min_lift
                            && shared >= self.min_share * n1.max(n2)
                        {
                            out.push((b1, b2));
                        }
                    }
                    touched.clear();
                    out
                },
            )
            .flatten_iter()
            .collect();
        // Groups of bursts: a farm's campaigns form a clique of blocks. Joining bursts (not
        // accounts) keeps a heavy user who sits in two farms' bursts from merging the farms.
        let mut uf = UnionFind::new(bursts.len());
        for &(b1, b2) in &blocks {
            uf.union(b1, b2);
        }
        // Two farms that pushed the same video in the same hours share that one burst, which
        // blocks with both farms' other bursts: split such components at their cut bursts.
        let burst_groups =
            crate::graph::split_at_cut_vertices(bursts.len(), &blocks, uf.components(2));
        let mut group_of_burst = vec![u32::MAX; bursts.len()];
        for (g, bs) in burst_groups.iter().enumerate() {
            for &b in bs {
                group_of_burst[b as usize] = g as u32;
            }
        }
        // Videos of unknown creator in each group are judged by their audience outside the
        // group's bursts (v5): from here on such a burst's key is its audience cluster.
        let n_engaging = activity.iter().filter(|&&x| x > 0).count() as f64;
        let remaps: Vec<Vec<(u32, u32)>> = burst_groups
            .par_iter()
            .map(|bs| self.audience_clusters(store, bs, &bursts, n_engaging))
            .collect();
        for (g, remap) in remaps.iter().enumerate() {
            for &(b, k) in remap {
                // A cut burst shared by two groups takes the cluster of the group it is
                // assigned to (the last one, as `group_of_burst`).
                if group_of_burst[b as usize] as usize == g {
                    bursts[b as usize].key = k;
                }
            }
        }
        // Each account joins the burst group where it was in bursts on the most keys.
        let assignment: Vec<(u32, u32)> = runs
            .par_iter()
            .filter_map(|run| {
                let mut gk: Vec<(u32, u32)> = run
                    .iter()
                    .filter(|&&(_, b)| group_of_burst[b as usize] != u32::MAX)
                    .map(|&(_, b)| (group_of_burst[b as usize], bursts[b as usize].key))
                    .collect();
                gk.sort_unstable();
                gk.dedup();
                // Keys of unknown creator may all be one creator: counted once.
                let best = gk
                    .chunk_by(|x, y| x.0 == y.0)
                    .map(|c| {
                        let keys: Vec<u32> = c.iter().map(|x| x.1).collect();
                        (
                            crate::creators::clustered_creator_count(&keys),
                            std::cmp::Reverse(c[0].0),
                        )
                    })
                    .max()?;
                (best.0 >= 2).then_some((best.1 .0, run[0].0))
            })
            .collect();
        let mut members_of: Vec<Vec<u32>> = vec![Vec::new(); burst_groups.len()];
        for (g, a) in assignment {
            members_of[g as usize].push(a);
        }
        burst_groups
            .par_iter()
            .zip(members_of.into_par_iter())
            .flat_map_iter(|(bs, mut members)| {
                members.sort_unstable();
                self.finding(store, &members, bs, &bursts, &activity, total_activity)
            })
            .collect()
    }
}

/// The most clusters of unknown creator (keys below `n_targets`) in `hits` that can each be
/// given a different member of `component` as a possible author: a member in none of the
/// cluster's bursts and in the bursts of at least half the other clusters (a bipartite
/// matching, Kuhn's augmenting paths). 0 for fewer than two clusters or a component of more
/// than 500 (no circle is that large). O(C · M · C) for C clusters and M members.
fn possible_authors(
    hits: &[(usize, usize)],
    bursts: &[Burst],
    component: &[u32],
    nt: u32,
) -> usize {
    let mut clusters: Vec<u32> = hits
        .iter()
        .map(|&(b, _)| bursts[b].key)
        .filter(|&k| k < nt)
        .collect();
    clusters.sort_unstable();
    clusters.dedup();
    let (c, m) = (clusters.len(), component.len());
    if c < 2 || m > 500 {
        return 0;
    }
    let mut inb = vec![false; m * c];
    for &(b, _) in hits {
        let Ok(ci) = clusters.binary_search(&bursts[b].key) else {
            continue;
        };
        for a in &bursts[b].members {
            if let Ok(mi) = component.binary_search(a) {
                inb[mi * c + ci] = true;
            }
        }
    }
    let on: Vec<usize> = (0..m)
        .map(|mi| inb[mi * c..(mi + 1) * c].iter().filter(|&&x| x).count())
        .collect();
    let cand: Vec<Vec<usize>> = (0..c)
        .map(|ci| {
            (0..m)
                .filter(|&mi| !inb[mi * c + ci] && 2 * on[mi] >= c - 1)
                .collect()
        })
        .collect();
    // Kuhn's algorithm: clusters on the left, members on the right.
    fn augment(ci: usize, cand: &[Vec<usize>], seen: &mut [bool], owner: &mut [usize]) -> bool {
        for &mi in &cand[ci] {
            if std::mem::replace(&mut seen[mi], true) {
                continue;
            }
            if owner[mi] == usize::MAX || augment(owner[mi], cand, seen, owner) {
                owner[mi] = ci;
                return true;
            }
        }
        false
    }
    let mut owner = vec![usize::MAX; m];
    let mut matched = 0;
    for ci in 0..c {
        let mut seen = vec![false; m];
        if augment(ci, &cand, &mut seen, &mut owner) {
            matched += 1;
        }
    }
    matched
}

/// How many of `members` (sorted) another member follows. O(Σ events of the members).
fn followed_members(store: &EventStore, members: &[u32]) -> usize {
    let mut followed: Vec<u32> = Vec::new();
    for &a in members {
        for &e in store.events_of_account(a) {
            if store.action(e) != Action::Follow {
                continue;
            }
            let name = store.targets.name(store.target[e as usize]);
            if let Some(b) = store.accounts.get(name) {
                if b != a && members.binary_search(&b).is_ok() {
                    followed.push(b);
                }
            }
        }
    }
    followed.sort_unstable();
    followed.dedup();
    followed.len()
}

impl LockstepDetector {
    /// Audience clusters of a burst group's videos of unknown creator (v5): `(burst, key)` for
    /// each of the group's bursts whose key is its own target. The key is a known creator's
    /// when the video's audience links it to that creator's videos in the group (it may be
    /// theirs), else the smallest target of its cluster of linked unknown videos (below
    /// `n_targets`, and counted as one creator of its own).
    ///
    /// Two videos are possibly one creator's when their audiences *outside any burst* overlap
    /// beyond chance: an idol's releases share followers and casual fans who engage them over
    /// days, whoever piles on in the burst; a farm client's videos have almost no audience but
    /// the farm, and two clients' audiences meet only by chance. An account counts in a
    /// video's audience only when it is in none of the video's bursts, or the farm's
    /// co-engagement — the very thing being judged — would make its clients one creator, and
    /// a second farm pushing the same clients would do it for the first. A fan in one
    /// release's burst who watches another release later still counts for pairs of other
    /// releases.
    ///
    /// A pair is linked when it shares at least `min_shared_audience` such accounts and that
    /// many would arise by chance (independent audiences drawn from the log's engaging
    /// accounts) with probability at most `max_audience_chance`; links join clusters
    /// (union-find; the videos of one known creator start joined, and two known creators are
    /// never joined). Head counts, not activity weights, set the chance, and no correction
    /// for the number of pairs is made: both err towards linking, so towards fewer creators
    /// and no flag. O(Σ_t E_t) to gather the audiences of the group's videos plus, per
    /// outside account, the square of its videos in the group; a group with more than
    /// `max_audience_targets` videos keeps its videos of unknown creator as one creator (the
    /// rule before v5).
    fn audience_clusters(
        &self,
        store: &EventStore,
        group_bursts: &[u32],
        bursts: &[Burst],
        n_engaging: f64,
    ) -> Vec<(u32, u32)> {
        let nt = store.n_targets() as u32;
        let unknown: Vec<u32> = group_bursts
            .iter()
            .copied()
            .filter(|&b| bursts[b as usize].key < nt)
            .collect();
        if unknown.is_empty() {
            return Vec::new();
        }
        // (target, key) of every video in the group.
        let mut targets: Vec<(u32, u32)> = group_bursts
            .iter()
            .map(|&b| (bursts[b as usize].target, bursts[b as usize].key))
            .collect();
        targets.sort_unstable();
        targets.dedup();
        let m = targets.len();
        if m > self.max_audience_targets {
            let rep = bursts[unknown[0] as usize].target;
            return unknown.iter().map(|&b| (b, rep)).collect();
        }
        // Engagement inside any burst on the video — this group's, whose co-engagement is what
        // is being judged, or another farm's pushing the same client — is not its audience.
        // `bursts` comes target by target, so a video's bursts are one run.
        let mut seen: Vec<(u32, u32)> = Vec::new();
        let mut inside: Vec<u32> = Vec::new();
        for (i, &(t, _)) in targets.iter().enumerate() {
            let lo = bursts.partition_point(|b| b.target < t);
            let hi = bursts.partition_point(|b| b.target <= t);
            inside.clear();
            for b in &bursts[lo..hi] {
                inside.extend_from_slice(&b.members);
            }
            inside.sort_unstable();
            for &e in store.events_on_target(t) {
                let a = store.account[e as usize];
                if engaging(store.action(e)) && inside.binary_search(&a).is_err() {
                    seen.push((a, i as u32));
                }
            }
        }
        seen.sort_unstable();
        seen.dedup();
        let mut audience = vec![0u32; m];
        for &(_, i) in &seen {
            audience[i as usize] += 1;
        }
        let mut shared = vec![0u32; m * m];
        for run in seen.chunk_by(|x, y| x.0 == y.0) {
            for (j, x) in run.iter().enumerate() {
                for y in &run[j + 1..] {
                    shared[x.1 as usize * m + y.1 as usize] += 1;
                }
            }
        }
        let known = |i: usize| targets[i].1 >= nt;
        let mut uf = UnionFind::new(m);
        // One known creator's videos are one creator's.
        for i in 1..m {
            if known(i) {
                if let Some(j) = (0..i).rev().find(|&j| targets[j].1 == targets[i].1) {
                    uf.union(i as u32, j as u32);
                }
            }
        }
        // Links from shared audiences, never between two known creators. An unknown video
        // linked to two known creators would join them, so links to known creators are taken
        // only while its cluster holds no other known creator.
        let mut known_of: Vec<u32> = (0..m)
            .map(|i| if known(i) { targets[i].1 } else { u32::MAX })
            .collect();
        for i in 0..m {
            for j in i + 1..m {
                if known(i) && known(j) {
                    continue;
                }
                let c = shared[i * m + j] as usize;
                if c < self.min_shared_audience {
                    continue;
                }
                let lambda = audience[i] as f64 * audience[j] as f64 / n_engaging.max(1.0);
                if poisson_tail(c, lambda) > self.max_audience_chance {
                    continue;
                }
                let (ri, rj) = (uf.find(i as u32) as usize, uf.find(j as u32) as usize);
                if ri == rj {
                    continue;
                }
                let (ki, kj) = (known_of[ri], known_of[rj]);
                if ki != u32::MAX && kj != u32::MAX && ki != kj {
                    continue;
                }
                uf.union(i as u32, j as u32);
                let r = uf.find(i as u32) as usize;
                known_of[r] = ki.min(kj);
            }
        }
        // Each cluster's key: its known creator, or its smallest target (targets are sorted,
        // so its first member).
        let mut rep = vec![u32::MAX; m];
        for (i, &(t, _)) in targets.iter().enumerate() {
            let r = uf.find(i as u32) as usize;
            if rep[r] == u32::MAX {
                rep[r] = if known_of[r] != u32::MAX {
                    known_of[r]
                } else {
                    t
                };
            }
        }
        unknown
            .iter()
            .map(|&b| {
                let bu = &bursts[b as usize];
                let i = targets
                    .binary_search(&(bu.target, bu.key))
                    .expect("the group's target");
                (b, rep[uf.find(i as u32) as usize])
            })
            .collect()
    }

    /// One group: each account against the group's own bursts. `None` when fewer than
    /// `min_group` accounts stand out.
    fn finding(
        &self,
        store: &EventStore,
        component: &[u32],
        group_bursts: &[u32],
        bursts: &[Burst],
        activity: &[u32],
        total_activity: f64,
    ) -> Vec<Finding> {
        if component.len() < self.min_group {
            return Vec::new();
        }
        // The group's bursts, with how many of its accounts each holds.
        let mut hits: Vec<(usize, usize)> = group_bursts
            .iter()
            .map(|&b| {
                let c = bursts[b as usize]
                    .members
                    .iter()
                    .filter(|a| component.binary_search(a).is_ok())
                    .count();
                (b as usize, c)
            })
            .collect();
        hits.sort_by(|x, y| {
            y.1.cmp(&x.1)
                .then(bursts[x.0].start.cmp(&bursts[y.0].start))
                .then(x.0.cmp(&y.0))
        });
        // Reciprocity (v5): bursts on the group's own members' content — a friend circle or a
        // creator pod reacting to each other's posts, following each other — are not pushes
        // for a client. A farm pushes outsiders' videos; only those count from here on.
        let nt = store.n_targets() as u32;
        let own_member = |k: u32| k >= nt && component.binary_search(&(k - nt)).is_ok();
        let mut own_keys: Vec<u32> = hits
            .iter()
            .map(|&(b, _)| bursts[b].key)
            .filter(|&k| own_member(k))
            .collect();
        own_keys.sort_unstable();
        own_keys.dedup();
        // Where the log does not show who posted a video, friends give themselves away by
        // following each other: when a third of the members are followed by other members,
        // the group's videos of unknown creator are taken for its own members' posts.
        let followed = followed_members(store, component);
        let circle = followed * 3 >= component.len();
        hits.retain(|&(b, _)| {
            let k = bursts[b].key;
            let friends_post = circle && k < nt;
            !(own_member(k) || friends_post)
        });
        // Without follows either, ask whether the group's videos of unknown creator could be
        // its own members' posts: each cluster needs a member that is in none of its bursts
        // (its author) yet in the bursts of at least half the other clusters (a friend reacts
        // to friends' posts), a different member for each. When such authors can be found
        // for half the members or more, the group is taken for a circle or pod.
        let authors = possible_authors(&hits, bursts, component, nt);
        if authors >= 2 && authors * 2 >= component.len() {
            hits.retain(|&(b, _)| bursts[b].key >= nt);
        }
        // A handful of creators, visited again and again, is a fandom's idols (fans of several
        // idols at every release); a console serves many clients.
        let mut group_keys: Vec<u32> = hits.iter().map(|&(b, _)| bursts[b].key).collect();
        group_keys.sort_unstable();
        group_keys.dedup();
        let group_creators = crate::creators::clustered_creator_count(&group_keys);
        if group_creators < self.min_group_creators {
            return Vec::new();
        }
        // Per member: on how many of the group's keys it was in one of the group's bursts (x),
        // against λ = Σ_k min(1, size_k · activity share). Strength from the Poisson tail.
        let mut xs: Vec<f64> = Vec::new();
        // (member, key) over the group's bursts, in one pass over their members (scanning every
        // burst per member was quadratic in the group's size at 100M events).
        let mut member_keys: Vec<(u32, u32, i64)> = Vec::new();
        for &(b, _) in &hits {
            for &a in &bursts[b].members {
                if component.binary_search(&a).is_ok() {
                    // When the member engaged the burst's target (its first such event).
                    let bu = &bursts[b];
                    let evs = store.events_of_account(a);
                    let lo = evs.partition_point(|&e| store.ts[e as usize] < bu.start);
                    let at = evs[lo..]
                        .iter()
                        .find(|&&e| store.target[e as usize] == bu.target)
                        .map_or(bu.start, |&e| store.ts[e as usize]);
                    member_keys.push((a, bu.key, at));
                }
            }
        }
        member_keys.sort_unstable();
        // x = the creators each member surely reached (videos of unknown creator count once
        // together) or, if fewer, the separate sittings in which it did (its engagements more
        // than `sitting_ms` apart). One stimulus — a trend, a push, a release — moves a crowd
        // to many creators in one sitting; only a console returns them again and again.
        // Also whether each sitting reached one creator only: a console's task is one client,
        // a crowd's sitting (a binge) runs across the theme's creators.
        let mut n_keys: Vec<(u32, usize, bool)> = member_keys
            .chunk_by(|x, y| x.0 == y.0)
            .map(|r| {
                let mut keys: Vec<u32> = r.iter().map(|x| x.1).collect();
                keys.sort_unstable();
                keys.dedup();
                let creators = crate::creators::clustered_creator_count(&keys);
                let mut timed: Vec<(i64, u32)> = r.iter().map(|x| (x.2, x.1)).collect();
                timed.sort_unstable();
                let mut occasions = 0;
                let mut one_each = true;
                let mut sitting: Vec<u32> = Vec::new();
                let mut last = i64::MIN;
                for (t, k) in timed {
                    if last == i64::MIN || t >= last + self.sitting_ms {
                        one_each &= crate::creators::clustered_creator_count(&sitting) <= 1;
                        sitting.clear();
                        occasions += 1;
                        last = t;
                    }
                    if !sitting.contains(&k) {
                        sitting.push(k);
                    }
                }
                one_each &= crate::creators::clustered_creator_count(&sitting) <= 1;
                (r[0].0, creators.min(occasions), one_each)
            })
            .collect();
        n_keys.sort_unstable_by_key(|k| k.0);
        // The group's bursts by key, for the crowd null model below.
        let mut by_key: Vec<(u32, usize)> = hits.iter().map(|&(b, _)| (bursts[b].key, b)).collect();
        by_key.sort_unstable();
        // (member, strength, counts fully: on `min_creators`, or on two one per sitting in a
        // group serving many creators).
        let scored: Vec<(u32, f32, bool)> = component
            .iter()
            .filter_map(|&a| {
                let (x, one_each) = n_keys
                    .binary_search_by_key(&a, |k| k.0)
                    .map_or((0, false), |i| (n_keys[i].1, n_keys[i].2));
                // Two creators in two single-creator sittings, inside a group that serves many
                // creators, is a console's worker seen twice — not a fan of two idols (a fandom
                // group spans a handful of idols) nor a binger (whose sittings span many).
                let full = x >= self.min_creators
                    || (x == 2 && one_each && group_creators >= self.min_pair_group_creators);
                let rate = activity[a as usize] as f64 / total_activity;
                // λ = Σ over the group's keys of the chance this account lands in that key's
                // burst by itself: the larger of its global share of activity times the
                // burst's size, and the degree-corrected chance from its own activity in the
                // burst's window (d) and the target's share of that window (n / D):
                // 1 − exp(−d · n / D). A trend's bingers and a release's fans are busy in
                // exactly those windows, so their overlap is expected; a farm account that
                // drops in for one campaign per window is not.
                let evs = store.events_of_account(a);
                let lambda: f64 = by_key
                    .chunk_by(|x, y| x.0 == y.0)
                    .map(|run| {
                        run.iter()
                            .map(|&(_, b)| {
                                let bu = &bursts[b];
                                // The burst's own push is not the target's popularity: both
                                // chances count only its popular share.
                                let hedge = bu.popularity_share;
                                let global = bu.members.len() as f64 * hedge * rate;
                                let lo = evs.partition_point(|&e| store.ts[e as usize] < bu.start);
                                let hi = evs.partition_point(|&e| {
                                    store.ts[e as usize] < bu.start + self.window_ms
                                });
                                let d = evs[lo..hi]
                                    .iter()
                                    .filter(|&&e| engaging(store.action(e)))
                                    .count() as f64;
                                let local = 1.0 - (-d * bu.events * hedge / bu.window_events).exp();
                                global.max(local).min(1.0)
                            })
                            .fold(0.0f64, f64::max)
                    })
                    .sum();
                let surprise = -poisson_tail(x, lambda).max(1e-300).log10();
                let s = if x >= 2 {
                    // Past two orders of magnitude, still ordered (no ties at the top).
                    crate::stats::soft_unit((surprise - self.min_surprise) / 2.0)
                } else {
                    0.0
                };
                xs.push(x as f64);
                (s > 0.0).then_some((a, s as f32, full))
            })
            .collect();
        // Two creators are what fans of two idols reach at their releases: such members are
        // reported apart, as plain coordination that needs another family to flag (a farm
        // member seen in only two campaigns still ranks above the crowd).
        let (members, few): (Vec<_>, Vec<_>) = scored.into_iter().partition(|m| m.2);
        let members: Vec<(u32, f32)> = members.into_iter().map(|m| (m.0, m.1)).collect();
        let few: Vec<(u32, f32)> = few.into_iter().map(|m| (m.0, m.1)).collect();
        if members.len() < self.min_group {
            return Vec::new();
        }
        let mut targets: Vec<u32> = Vec::new();
        for &(b, _) in &hits {
            let t = bursts[b].target;
            if !targets.contains(&t) && targets.len() < 20 {
                targets.push(t);
            }
        }
        let span = hits.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &(b, _)| {
            let s = bursts[b].start;
            (lo.min(s), hi.max(s + self.window_ms))
        });
        let mean_keys = xs.iter().sum::<f64>() / xs.len() as f64;
        let n_members = members.len();
        let largest = hits.first().map_or(0, |h| h.1);
        let main = Finding {
            links_members: true,
            detector: ID,
            label: Label {
                label1: "group_control",
                label2: "coordination",
                label3: "lockstep_engagement",
            },
            members,
            targets,
            span,
            shared: Vec::new(),
            figures: vec![
                ("accounts", n_members as f64),
                ("component_accounts", component.len() as f64),
                ("bursts", hits.len() as f64),
                ("distinct_creators_or_targets", group_keys.len() as f64),
                ("surely_distinct_creators", group_creators as f64),
                ("own_member_creators", own_keys.len() as f64),
                ("members_followed_by_members", followed as f64),
                ("possible_authors", authors as f64),
                ("mean_keys_per_member", mean_keys),
                ("largest_burst_members", largest as f64),
                ("window_minutes", (self.window_ms / 60_000) as f64),
            ],
            summary: format!(
                "{} accounts engaged together in {} unusual bursts ({} h windows) on {} distinct creators/targets; \
                 the group's accounts were in such bursts on {:.1} of them on average, far more than their activity explains.",
                n_members,
                hits.len(),
                self.window_ms / 3_600_000,
                group_keys.len(),
                mean_keys
            ),
        };
        let mut out = Vec::with_capacity(2);
        if !few.is_empty() {
            let n_few = few.len();
            out.push(Finding {
                links_members: false,
                label: Label {
                    label1: "group_control",
                    label2: "coordination",
                    label3: "lockstep_two_creators",
                },
                members: few,
                figures: vec![("accounts", n_few as f64)],
                summary: format!(
                    "{n_few} more accounts were in the bursts of a lockstep group of {n_members} on only two creators each: \
                     as fans of two idols are, so this needs other evidence."
                ),
                ..main.clone()
            });
        }
        out.insert(0, main);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{push, H};
    use lockstep_core::EventStoreBuilder;

    /// Background: 200 organic accounts viewing 40 videos at random-ish times over a day.
    fn background(b: &mut EventStoreBuilder) {
        for u in 0..200i64 {
            for k in 0..6i64 {
                let v = (u * 7 + k * 13) % 40;
                let ts = ((u * 7919 + k * 104_729) % 24) * H + (u * 31 + k) * 1000;
                push(b, ts, &format!("org{u}"), "view", &format!("v{v}"));
            }
        }
    }

    #[test]
    fn poisson_tail_by_hand() {
        assert_eq!(poisson_tail(0, 3.0), 1.0);
        // P(X ≥ 1) = 1 − e^−λ.
        assert!((poisson_tail(1, 0.5) - (1.0 - (-0.5f64).exp())).abs() < 1e-12);
        // P(X ≥ 2; 0.1) = 1 − e^−0.1 (1 + 0.1).
        assert!((poisson_tail(2, 0.1) - (1.0 - (-0.1f64).exp() * 1.1)).abs() < 1e-12);
        // P(X ≥ 3; 5) = 1 − e^−5 (1 + 5 + 12.5).
        assert!((poisson_tail(3, 5.0) - (1.0 - (-5.0f64).exp() * 18.5)).abs() < 1e-12);
        assert!(poisson_tail(10, 0.01) < 1e-25);
    }

    /// 12 farm accounts hit 6 client videos 4 hours apart, each within an hour; the clients'
    /// uploads are in the log when `published`. The same six organic accounts also view every
    /// client video (a loyal audience, as one idol's releases have).
    fn campaigns(published: bool) -> lockstep_core::EventStore {
        campaigns_with(published, true)
    }

    /// As [`campaigns`]; without `shared_audience`, each client video's trickle of organic
    /// views comes from accounts of its own (six creators' separate audiences).
    fn campaigns_with(published: bool, shared_audience: bool) -> lockstep_core::EventStore {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        for c in 0..6i64 {
            if published {
                push(
                    &mut b,
                    0,
                    &format!("creator{c}"),
                    "publish",
                    &format!("client{c}"),
                );
            }
            for f in 0..12i64 {
                push(
                    &mut b,
                    c * 4 * H + f * 60_000,
                    &format!("farm{f}"),
                    "like",
                    &format!("client{c}"),
                );
            }
            // The client videos also have a trickle of organic views all day.
            for k in 0..6i64 {
                let viewer = if shared_audience { k } else { 6 * c + k };
                push(
                    &mut b,
                    k * 4 * H + 1,
                    &format!("org{viewer}"),
                    "view",
                    &format!("client{c}"),
                );
            }
        }
        b.finish()
    }

    #[test]
    fn a_planted_campaign_group_is_found() {
        let s = campaigns(true);
        let f = LockstepDetector::default().detect(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        let names = f[0].member_names(&s);
        assert_eq!(names.len(), 12);
        assert!(names.iter().all(|n| n.starts_with("farm")));
        // Six creators against a small λ: strong enough to flag on its own.
        assert!(
            f[0].members.iter().all(|&(_, w)| w >= 0.5),
            "{:?}",
            f[0].members
        );
    }

    #[test]
    fn videos_of_unknown_creator_may_be_one_creators() {
        // The same campaigns, but nothing in the log says who uploaded the six videos, and
        // the same accounts watch all of them outside the bursts: they may be one idol's
        // releases, and fans at six releases are not coordination.
        assert!(LockstepDetector::default()
            .detect(&campaigns(false))
            .is_empty());
    }

    #[test]
    fn videos_of_unknown_creator_with_separate_audiences_are_separate_creators() {
        // Nothing names the uploaders, but outside the bursts each video has an audience of
        // its own: six creators' videos, not one idol's releases — a console's clients.
        let s = campaigns_with(false, false);
        let f = LockstepDetector::default().detect(&s);
        let g = crate::testkit::only_group(&f, &s, "farm", 12);
        let figure = |k: &str| g.figures.iter().find(|x| x.0 == k).unwrap().1;
        assert_eq!(figure("surely_distinct_creators"), 6.0);
        // Any two of the audiences sharing outsiders beyond chance would make them one.
        let linked = LockstepDetector {
            max_audience_chance: 1.0,
            min_shared_audience: 0,
            ..Default::default()
        };
        assert!(linked.detect(&s).is_empty());
    }

    /// 30 bingers like 8 creators' takes on one trend in one evening sitting (minutes apart):
    /// the evening's common cause explains them. With `apart`, the same
    /// accounts return to the same creators 4 hours apart each time — a console's campaigns.
    fn trend(apart: bool) -> lockstep_core::EventStore {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        for c in 0..10i64 {
            push(
                &mut b,
                0,
                &format!("maker{c}"),
                "publish",
                &format!("take{c}"),
            );
        }
        for u in 0..30i64 {
            for k in 0..8i64 {
                let c = k;
                let ts = if apart {
                    k * 4 * H + u * 20_000
                } else {
                    20 * H + u * 20_000 + k * 90_000
                };
                push(&mut b, ts, &format!("fan{u}"), "like", &format!("take{c}"));
            }
        }
        b.finish()
    }

    #[test]
    fn a_trend_binged_in_one_sitting_is_not_a_group() {
        let det = LockstepDetector::default();
        assert!(det.detect(&trend(false)).is_empty());
        // Guard: the same co-engagement spread over separate sittings is found.
        let f = det.detect(&trend(true));
        assert!(!f.is_empty() && f[0].members.len() >= 20, "{f:?}");
    }

    /// A console's core (10 accounts) works 12 clients' videos 2 hours apart; 6 more workers
    /// each join exactly two of those campaigns.
    fn many_clients() -> lockstep_core::EventStore {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        // A busier platform: a worker's two likes are a small share of each window.
        for u in 0..4000i64 {
            for k in 0..3i64 {
                let ts = ((u * 7919 + k * 104_729) % 24) * H + (u * 13 + k * 7) % 3_600_000;
                push(
                    &mut b,
                    ts,
                    &format!("crowd{u}"),
                    "view",
                    &format!("v{}", (u + k) % 40),
                );
            }
        }
        for c in 0..12i64 {
            let v = format!("client{c}");
            push(&mut b, 0, &format!("owner{c}"), "publish", &v);
            for f in 0..10i64 {
                push(
                    &mut b,
                    c * 2 * H + f * 60_000,
                    &format!("core{f}"),
                    "like",
                    &v,
                );
            }
            for w in 0..6i64 {
                if c == w || c == w + 6 {
                    push(
                        &mut b,
                        c * 2 * H + 700_000 + w,
                        &format!("twice{w}"),
                        "like",
                        &v,
                    );
                }
            }
        }
        b.finish()
    }

    #[test]
    fn workers_seen_twice_in_a_many_client_group_count() {
        let s = many_clients();
        let names_in = |f: &Finding| f.member_names(&s).join(",");
        let f = LockstepDetector::default().detect(&s);
        let main = f
            .iter()
            .find(|f| f.label.label3 == "lockstep_engagement")
            .expect("a group");
        assert!(names_in(main).contains("twice0"), "{f:?}");
        // Guard: without the rule they are only the two-creator remainder.
        let strict = LockstepDetector {
            min_pair_group_creators: 1000,
            ..Default::default()
        };
        let f = strict.detect(&s);
        let main = f
            .iter()
            .find(|f| f.label.label3 == "lockstep_engagement")
            .expect("a group");
        assert!(!names_in(main).contains("twice"), "{f:?}");
    }

    /// 12 friends each post one video a day for three days (posts 2 hours apart) and the
    /// others like each post within the hour. With `outsiders`, the same accounts like 12
    /// outside creators' videos on the same schedule instead.
    fn circle(outsiders: bool) -> lockstep_core::EventStore {
        circle_with(outsiders, true)
    }

    /// As [`circle`]; without `published`, no `publish` event names the posts' authors.
    fn circle_with(outsiders: bool, published: bool) -> lockstep_core::EventStore {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        for day in 0..3i64 {
            for p in 0..12i64 {
                let posted = day * 24 * H + p * 2 * H;
                let author = if outsiders {
                    format!("maker{p}")
                } else {
                    format!("friend{p}")
                };
                let video = format!("post{day}_{p}");
                if published {
                    push(&mut b, posted, &author, "publish", &video);
                }
                for f in 0..12i64 {
                    if !outsiders && f == p {
                        continue;
                    }
                    push(
                        &mut b,
                        posted + 60_000 + f * 120_000,
                        &format!("friend{f}"),
                        "like",
                        &video,
                    );
                }
            }
        }
        b.finish()
    }

    #[test]
    fn a_friend_circle_reacting_to_its_own_posts_is_not_a_group() {
        // Reciprocity: the creators are the group's own members.
        assert!(LockstepDetector::default()
            .detect(&circle(false))
            .is_empty());
        // The same rhythm on outsiders' videos is a console's.
        let s = circle(true);
        crate::testkit::only_group(&LockstepDetector::default().detect(&s), &s, "friend", 12);
    }

    #[test]
    fn a_friend_circle_is_told_apart_even_when_the_log_names_no_author() {
        // No publish events and no follows: each friend is in none of the bursts on their
        // own posts and in most of the others — the group's possible authors.
        assert!(LockstepDetector::default()
            .detect(&circle_with(false, false))
            .is_empty());
        // Outsiders' videos, every friend on each: nobody could be their author.
        let s = circle_with(true, false);
        let f = LockstepDetector::default().detect(&s);
        let authors = crate::testkit::only_group(&f, &s, "friend", 12)
            .figures
            .iter()
            .find(|x| x.0 == "possible_authors")
            .unwrap()
            .1;
        assert_eq!(authors, 0.0);
    }

    #[test]
    fn fans_of_two_idols_are_not_a_group() {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        // Two idols (uploads in the log) release three times each; 20 fans of both like
        // every release within minutes.
        for idol in 0..2i64 {
            for r in 0..3i64 {
                let v = format!("idol{idol}_v{r}");
                let t0 = (idol * 4 + r * 8) * H;
                push(&mut b, t0, &format!("idol{idol}"), "publish", &v);
                for f in 0..20i64 {
                    push(
                        &mut b,
                        t0 + 60_000 + f * 5_000,
                        &format!("fan{f}"),
                        "like",
                        &v,
                    );
                }
            }
        }
        assert!(LockstepDetector::default().detect(&b.finish()).is_empty());
    }

    #[test]
    fn fan_club_on_one_creator_and_a_lone_heavy_user_are_not_groups() {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        // An idol publishes 3 videos; 20 fans like each within minutes of release.
        for r in 0..3i64 {
            let v = format!("idol_v{r}");
            push(&mut b, r * 8 * H, "idol", "publish", &v);
            for f in 0..20i64 {
                push(
                    &mut b,
                    r * 8 * H + 60_000 + f * 5_000,
                    &format!("fan{f}"),
                    "like",
                    &v,
                );
            }
        }
        // A heavy user likes 300 videos.
        for k in 0..300i64 {
            push(&mut b, k * 60_000, "heavy", "like", &format!("v{}", k % 40));
        }
        let s = b.finish();
        assert!(LockstepDetector::default().detect(&s).is_empty());
    }
}
