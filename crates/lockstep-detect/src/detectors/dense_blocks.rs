//! Dense blocks inside time windows: sets of accounts that engaged the same several creators in
//! one window far more densely than those creators' normal audiences allow.
//!
//! **Idea.** FRAUDAR (Hooi et al., KDD 2016) peels the account × target graph greedily, always
//! removing the node of least weighted degree, and keeps the prefix of largest density
//! g(S) = f(S) / |S|; column weights 1 / ln(d + 5) (d = the column's degree) make camouflage —
//! farm accounts also touching popular targets — cheap for the farm but useless for hiding.
//! Globally that fails at scale: FIELD-NOTES measured FRAUDAR's top block turning into organic
//! heavy users × popular videos at 10M events, while the same peeling *inside 2-hour windows*
//! still isolates farms. So this detector (in the spirit of M-Zoom / D-Cube's account × target ×
//! time blocks, Shin et al. 2016/2017) peels per window, and only among columns that are **hot
//! in that window relative to their own normal**:
//!
//! 1. Windows of `window_ms` on two grids (offset by half a window, so a campaign on a window's
//!    edge is whole in the other grid). Columns are *creator keys* ([`crate::creators::creator_keys`]):
//!    a fan club engaging an idol's release and following her is one column, not a block (split
//!    into follow and content columns, the fan clubs of seeds 101–103 became blocks). A block
//!    needs two *strong* keys (each engaged by ≥ `min_key_share` of its accounts — not a star
//!    around one viral video) that are surely two creators ([`crate::creators::surely_two_creators`]):
//!    an old video of unknown publisher plus an account may be one idol (it was, at 1M events).
//! 2. A key is **hot** in a window when at least `min_accounts` distinct accounts engaged it there
//!    and at least `min_concentration` times its normal count (its distinct engagers over the
//!    log × the window's share of all engagement).
//! 3. Among hot keys, accounts touching ≥ 2 of them (pruned to a fixpoint with keys keeping
//!    ≥ `min_accounts` accounts) are peeled FRAUDAR-style (weights 1 / ln(d + 5), d = the key's
//!    distinct engagers over the log); up to `max_blocks` blocks per window, each removing its
//!    accounts before the next peel.
//! 4. A block of accounts A × keys K with e edges is **significant** when e is improbable under
//!    independence: λ = Σ_K normal_k · Σ_A act_a / Σ act (act = distinct keys an account
//!    engaged in the window), −log₁₀ P(X ≥ e; λ) ≥ `min_surprise` after a Bonferroni correction
//!    over all blocks examined, the lift e / λ is at least `min_lift`, and the block is dense:
//!    e / (|A| · |K|) ≥ `min_density`.
//! 5. Blocks from different windows that share ≥ `min_group` accounts are one finding (the
//!    same console, campaign after campaign). A member's strength combines its blocks in one
//!    grid, `1 − Π (1 − block_weight · s_a · coverage_a)`, where s_a rises with the surprise of
//!    the member's own edges into the block (λ_a = act_a · Σ_K normal / Σ act) and coverage_a is
//!    its edges over the block's median member's (at most 1); with `block_weight` below
//!    one half a single window never flags anyone by itself — it takes two windows (or another
//!    detector) to do that.
//!
//! **Complexity.** Per grid: one pass over the time-ordered events, a sort of each window's
//! (key, account) pairs — O(E log E) in all; the peel is O(E_hot log V_hot) per block, over the
//! hot sub-graph only (farm campaigns, viral moments), which is a small share of E.

use crate::finding::{Detector, DetectorId, Finding, Label};
use crate::graph::UnionFind;
use lockstep_core::{Action, EventStore};
use rayon::prelude::*;

/// This detector's id and version.
pub const ID: DetectorId = DetectorId {
    id: "dense_blocks",
    version: 1,
};

/// Dense account × target × hour blocks against each target's own baseline (see the module doc).
#[derive(Debug, Clone)]
pub struct DenseBlockDetector {
    /// Window length in ms (two grids, offset by half of it).
    pub window_ms: i64,
    /// Distinct accounts a key needs in a window to be hot; also a block's fewest accounts.
    pub min_accounts: usize,
    /// A hot key's window count over its normal count for that window.
    pub min_concentration: f64,
    /// Blocks peeled from one window at most.
    pub max_blocks: usize,
    /// −log₁₀ of the Bonferroni-corrected Poisson tail a block needs.
    pub min_surprise: f64,
    /// A block's edges over their chance expectation. On seeds 101–103 organic evening blocks
    /// (power users × creators who just published) reach lift ≈ 4.7, and so do the bulk
    /// follows of one big account's fans, which every farm repeats in its own window (each
    /// farm's follows set the others' normal); a console's campaigns reach 200 and more.
    pub min_lift: f64,
    /// Edges over |accounts| · |keys|. FRAUDAR's objective (edges per node) also rewards wide
    /// sparse stars — at 10M events, 237 organic accounts each touching one viral video and one
    /// of 100 other creators (density 0.02); console blocks on seeds 101–103 had 0.16–1.0.
    pub min_density: f64,
    /// A block needs two keys (surely two creators) each engaged by this share of its accounts.
    pub min_key_share: f64,
    /// Accounts two blocks must share to be one finding.
    pub min_group: usize,
    /// One block's most weight in a member's strength (below 0.5: one window alone never flags).
    pub block_weight: f64,
    /// −log₁₀ chance of a member's own edges into a block at which its strength starts (full
    /// two orders of magnitude above).
    pub min_member_surprise: f64,
}

impl Default for DenseBlockDetector {
    fn default() -> Self {
        DenseBlockDetector {
            // FIELD-NOTES: per-2-hour-window peeling kept farms on top at 10M events.
            window_ms: 2 * 3_600_000,
            min_accounts: 5,
            min_concentration: 2.0,
            max_blocks: 4,
            min_surprise: 6.0,
            min_lift: 10.0,
            min_density: 0.1,
            // 10M-event organic worlds grew star blocks (one viral video + scattered creators)
            // that passed the density floor at 0.12–0.17; console blocks hold ≥ 0.5 per key.
            min_key_share: 0.3,
            min_group: 5,
            block_weight: 0.45,
            min_member_surprise: 2.0,
        }
    }
}

/// Views are left out: organic power users view hundreds of videos a day and, by volume alone,
/// land in the hot creators' audiences; a console's campaign likes, comments, shares and follows.
fn engaging(a: u8) -> bool {
    a == Action::Like as u8
        || a == Action::Comment as u8
        || a == Action::Share as u8
        || a == Action::Follow as u8
}

/// One significant block.
#[derive(Debug, Clone)]
struct Block {
    grid: u8,
    start: i64,
    /// Sorted account ids with the −log₁₀ chance of each one's edges into the block and its
    /// coverage: its edges over the block's median, at most 1.
    accounts: Vec<(u32, f64, f64)>,
    keys: Vec<u32>,
    edges: usize,
    /// Edges over the chance expectation λ.
    lift: f64,
    surprise: f64,
    density: f64,
}

impl DenseBlockDetector {
    /// The blocks of one window: `range` is the window's time-ordered event range.
    #[allow(clippy::too_many_arguments)]
    fn window_blocks(
        &self,
        store: &EventStore,
        range: std::ops::Range<usize>,
        keys: &[u32],
        key_engagers: &[u32],
        engaging_total: f64,
        grid: u8,
        start: i64,
    ) -> (Vec<Block>, usize) {
        let mut pairs: Vec<(u32, u32)> = range
            .filter(|&e| engaging(store.action[e]))
            .map(|e| (keys[store.target[e] as usize], store.account[e]))
            .collect();
        // The window's share of all engaging events.
        let share = pairs.len() as f64 / engaging_total;
        pairs.sort_unstable();
        pairs.dedup();
        let total_act = pairs.len() as f64;
        if total_act == 0.0 {
            return (Vec::new(), 0);
        }
        // Hot keys and their normal counts.
        let mut hot: Vec<(u32, f64)> = Vec::new();
        let mut hot_pairs: Vec<(u32, u32)> = Vec::new();
        for run in pairs.chunk_by(|x, y| x.0 == y.0) {
            let k = run[0].0;
            // Normal from outside the window only (plus one), so that a console that is all of
            // a key's audience does not set the key's own normal.
            let outside = (key_engagers[k as usize] as f64 - run.len() as f64).max(0.0);
            let normal = (outside + 1.0) * share / (1.0 - share).max(1e-9);
            if run.len() >= self.min_accounts && run.len() as f64 >= self.min_concentration * normal
            {
                hot.push((k, normal));
                hot_pairs.extend(run.iter().map(|&(k, a)| (a, k)));
            }
        }
        if hot.len() < 2 {
            return (Vec::new(), 0);
        }
        // Distinct keys per account in the window (its activity).
        let mut act: Vec<(u32, u32)> = pairs.iter().map(|&(_, a)| (a, 1)).collect();
        act.sort_unstable();
        act.dedup_by(|x, y| {
            if x.0 == y.0 {
                y.1 += 1;
                true
            } else {
                false
            }
        });
        drop(pairs);
        hot_pairs.sort_unstable();
        // Prune: accounts with ≥ 2 hot keys, keys with ≥ min_accounts accounts, to a fixpoint.
        loop {
            let before = hot_pairs.len();
            let mut kept: Vec<(u32, u32)> = Vec::with_capacity(before);
            for run in hot_pairs.chunk_by(|x, y| x.0 == y.0) {
                if run.len() >= 2 {
                    kept.extend_from_slice(run);
                }
            }
            let mut by_key: Vec<(u32, u32)> = kept.iter().map(|&(a, k)| (k, a)).collect();
            by_key.sort_unstable();
            kept.clear();
            for run in by_key.chunk_by(|x, y| x.0 == y.0) {
                if run.len() >= self.min_accounts {
                    kept.extend(run.iter().map(|&(k, a)| (a, k)));
                }
            }
            kept.sort_unstable();
            hot_pairs = kept;
            if hot_pairs.len() == before || hot_pairs.is_empty() {
                break;
            }
        }
        let mut blocks = Vec::new();
        let mut examined = 0;
        for _ in 0..self.max_blocks {
            if hot_pairs.is_empty() {
                break;
            }
            // Local ids.
            let mut accs: Vec<u32> = hot_pairs.iter().map(|p| p.0).collect();
            accs.dedup();
            let mut ks: Vec<u32> = hot_pairs.iter().map(|p| p.1).collect();
            ks.sort_unstable();
            ks.dedup();
            let local: Vec<(u32, u32)> = hot_pairs
                .iter()
                .map(|&(a, k)| {
                    (
                        accs.binary_search(&a).unwrap() as u32,
                        ks.binary_search(&k).unwrap() as u32,
                    )
                })
                .collect();
            let w: Vec<f64> = ks
                .iter()
                .map(|&k| 1.0 / (key_engagers[k as usize] as f64 + 5.0).ln())
                .collect();
            let (ba, bk) = crate::graph::fraudar_peel(accs.len(), ks.len(), &local, &w);
            if ba.is_empty() {
                break;
            }
            examined += 1;
            let block_accs: Vec<u32> = ba.iter().map(|&i| accs[i as usize]).collect();
            let block_keys: Vec<u32> = bk.iter().map(|&i| ks[i as usize]).collect();
            let normal: f64 = block_keys
                .iter()
                .map(|k| hot[hot.binary_search_by_key(k, |h| h.0).unwrap()].1)
                .sum();
            // Per member: its edges into the block against λ_a = act_a · Σ_K normal / Σ act.
            let mut per_acc: Vec<(u32, f64, f64)> = Vec::with_capacity(block_accs.len());
            let mut edges = 0usize;
            let mut acts = 0f64;
            for run in hot_pairs.chunk_by(|x, y| x.0 == y.0) {
                let a = run[0].0;
                if block_accs.binary_search(&a).is_ok() {
                    let c = run
                        .iter()
                        .filter(|p| block_keys.binary_search(&p.1).is_ok())
                        .count();
                    let act_a = act[act.binary_search_by_key(&a, |x| x.0).unwrap()].1 as f64;
                    edges += c;
                    acts += act_a;
                    let lambda_a = (normal * act_a / total_act).max(1e-9);
                    let surprise_a = -crate::stats::poisson_tail(c, lambda_a).max(1e-300).log10();
                    per_acc.push((a, surprise_a, c as f64));
                }
            }
            // A heavy account brushing two of a block's creators is not a member the way
            // the accounts that hit most of them are.
            let mut cs: Vec<f64> = per_acc.iter().map(|p| p.2).collect();
            cs.sort_by(f64::total_cmp);
            let median = cs.get(cs.len() / 2).copied().unwrap_or(1.0).max(1.0);
            for p in &mut per_acc {
                p.2 = (p.2 / median).min(1.0);
            }
            let lambda = (normal * acts / total_act).max(1e-9);
            let surprise = -crate::stats::poisson_tail(edges, lambda)
                .max(1e-300)
                .log10();
            // The block's strong keys: held by at least `min_key_share` of its accounts. A
            // star — everyone on one viral video, each also on some creator of their own — has
            // one; two campaigns of one console have two.
            let need = (self.min_key_share * block_accs.len() as f64)
                .ceil()
                .max(self.min_accounts as f64) as usize;
            let mut key_deg = vec![0usize; block_keys.len()];
            for p in &hot_pairs {
                if let Ok(i) = block_keys.binary_search(&p.1) {
                    if block_accs.binary_search(&p.0).is_ok() {
                        key_deg[i] += 1;
                    }
                }
            }
            let strong = block_keys
                .iter()
                .zip(&key_deg)
                .filter(|&(_, &d)| d >= need)
                .map(|(&k, _)| k);
            if block_accs.len() >= self.min_accounts
                && crate::creators::surely_two_creators(strong, store.n_targets() as u32)
            {
                blocks.push(Block {
                    grid,
                    start,
                    accounts: per_acc,
                    density: edges as f64 / (block_accs.len() * block_keys.len()) as f64,
                    keys: block_keys,
                    edges,
                    lift: edges as f64 / lambda,
                    surprise,
                });
            }
            hot_pairs.retain(|p| block_accs.binary_search(&p.0).is_err());
        }
        (blocks, examined)
    }

    fn grid_blocks(
        &self,
        store: &EventStore,
        keys: &[u32],
        key_engagers: &[u32],
        engaging_total: f64,
        grid: u8,
    ) -> (Vec<Block>, usize) {
        let Some((t0, t1)) = store.time_span() else {
            return (Vec::new(), 0);
        };
        let offset = grid as i64 * self.window_ms / 2;
        let first = (t0 + offset).div_euclid(self.window_ms);
        let last = (t1 + offset).div_euclid(self.window_ms);
        let bounds: Vec<(i64, usize, usize)> = (first..=last)
            .map(|b| {
                let lo = b * self.window_ms - offset;
                let s = store.ts.partition_point(|&t| t < lo);
                let e = store.ts.partition_point(|&t| t < lo + self.window_ms);
                (lo, s, e)
            })
            .collect();
        let per: Vec<(Vec<Block>, usize)> = bounds
            .par_iter()
            .map(|&(lo, s, e)| {
                self.window_blocks(store, s..e, keys, key_engagers, engaging_total, grid, lo)
            })
            .collect();
        let examined = per.iter().map(|p| p.1).sum();
        (per.into_iter().flat_map(|p| p.0).collect(), examined)
    }
}

impl Detector for DenseBlockDetector {
    fn id(&self) -> DetectorId {
        ID
    }

    fn detect(&self, store: &EventStore) -> Vec<Finding> {
        if store.is_empty() {
            return Vec::new();
        }
        let keys = crate::creators::creator_keys(store);
        // Distinct engagers per key over the whole log.
        let n_keys = keys.iter().copied().max().map_or(0, |m| m as usize + 1);
        let mut pairs: Vec<(u32, u32)> = (0..store.len())
            .into_par_iter()
            .filter(|&e| engaging(store.action[e]))
            .map(|e| (keys[store.target[e] as usize], store.account[e]))
            .collect();
        let engaging_total = pairs.len().max(1) as f64;
        pairs.par_sort_unstable();
        pairs.dedup();
        let mut key_engagers = vec![0u32; n_keys];
        for &(k, _) in &pairs {
            key_engagers[k as usize] += 1;
        }
        drop(pairs);
        let keys = &keys;
        let (mut blocks, mut examined) =
            self.grid_blocks(store, keys, &key_engagers, engaging_total, 0);
        let (b1, e1) = self.grid_blocks(store, keys, &key_engagers, engaging_total, 1);
        blocks.extend(b1);
        examined += e1;
        let correction = (examined.max(1) as f64).log10();
        blocks.retain(|b| {
            b.surprise - correction >= self.min_surprise
                && b.lift >= self.min_lift
                && b.density >= self.min_density
        });
        for b in &mut blocks {
            b.surprise -= correction;
        }
        if blocks.is_empty() {
            return Vec::new();
        }
        // Link blocks sharing ≥ min_group accounts.
        let mut acc_block: Vec<(u32, u32)> = blocks
            .iter()
            .enumerate()
            .flat_map(|(i, b)| b.accounts.iter().map(move |&(a, _, _)| (a, i as u32)))
            .collect();
        acc_block.sort_unstable();
        let mut pair_count: Vec<(u32, u32)> = Vec::new();
        for run in acc_block.chunk_by(|x, y| x.0 == y.0) {
            for (i, x) in run.iter().enumerate() {
                for y in &run[i + 1..] {
                    pair_count.push((x.1, y.1));
                }
            }
        }
        pair_count.sort_unstable();
        let mut uf = UnionFind::new(blocks.len());
        for run in pair_count.chunk_by(|x, y| x == y) {
            if run.len() >= self.min_group {
                uf.union(run[0].0, run[0].1);
            }
        }
        uf.components(1)
            .into_iter()
            .filter_map(|comp| self.finding(store, &comp, &blocks))
            .collect()
    }
}

impl DenseBlockDetector {
    fn finding(&self, store: &EventStore, comp: &[u32], blocks: &[Block]) -> Option<Finding> {
        // Per account and grid: 1 − Π (1 − block_weight · s_a,b), s from the member's own
        // surprise in each block times its coverage of the block.
        let mut keep: Vec<(u32, u8, f64)> = Vec::new();
        for &bi in comp {
            let b = &blocks[bi as usize];
            for &(a, surprise, coverage) in &b.accounts {
                let s =
                    coverage * crate::stats::soft_unit((surprise - self.min_member_surprise) / 2.0);
                if s > 0.0 {
                    keep.push((a, b.grid, 1.0 - self.block_weight * s));
                }
            }
        }
        keep.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
        let mut members: Vec<(u32, f32)> = Vec::new();
        for run in keep.chunk_by(|x, y| x.0 == y.0) {
            let best = run
                .chunk_by(|x, y| x.1 == y.1)
                .map(|g| 1.0 - g.iter().map(|x| x.2).product::<f64>())
                .fold(0.0, f64::max);
            members.push((run[0].0, best as f32));
        }
        if members.len() < self.min_group {
            return None;
        }
        let mut key_hits: Vec<(u32, u32)> = Vec::new();
        let mut span = (i64::MAX, i64::MIN);
        let mut best_surprise = 0f64;
        let mut density = 0f64;
        let mut windows: Vec<(u8, i64)> = Vec::new();
        for &bi in comp {
            let b = &blocks[bi as usize];
            span = (span.0.min(b.start), span.1.max(b.start + self.window_ms));
            best_surprise = best_surprise.max(b.surprise);
            density += b.density;
            windows.push((b.grid, b.start));
            for &k in &b.keys {
                key_hits.push((k, b.edges as u32));
            }
        }
        windows.sort_unstable();
        windows.dedup();
        key_hits.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        // Keys back to targets: the store's targets with that key, most-engaged first.
        let nt = store.n_targets() as u32;
        let mut targets: Vec<u32> = Vec::new();
        for &(k, _) in &key_hits {
            let t = if k >= nt {
                store.targets.get(crate::creators::key_name(store, k))
            } else {
                Some(k)
            };
            if let Some(t) = t {
                if !targets.contains(&t) && targets.len() < 20 {
                    targets.push(t);
                }
            }
        }
        let n_blocks = comp.len();
        let mean_density = density / n_blocks as f64;
        let n = members.len();
        Some(Finding {
            detector: ID,
            label: Label {
                label1: "group_control",
                label2: "coordination",
                label3: "dense_block",
            },
            members,
            targets,
            span,
            shared: Vec::new(),
            figures: vec![
                ("accounts", n as f64),
                ("blocks", n_blocks as f64),
                ("windows", windows.len() as f64),
                ("mean_block_density", mean_density),
                ("best_block_surprise_log10", best_surprise),
                ("window_minutes", (self.window_ms / 60_000) as f64),
            ],
            summary: format!(
                "{n} accounts formed {n_blocks} dense blocks ({:.0}% of possible account × creator pairs on average) \
                 on creators that were unusually busy in those {} h windows; the best block has a chance of 10^-{:.0}.",
                100.0 * mean_density,
                self.window_ms / 3_600_000,
                best_surprise
            ),
            // Farms that push the same creators (one big account's fans, say) in the same window
            // fall into one block: evidence about each account, not proof of one ring.
            links_members: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{push, H};
    use lockstep_core::EventStoreBuilder;

    /// 300 organic accounts, each viewing 8 and liking 4 of 60 videos.
    fn background(b: &mut EventStoreBuilder) {
        crate::testkit::organic_background(b, 8, 4, 0x2545_f491_4f6c_dd1d);
    }

    #[test]
    fn peel_finds_the_planted_biclique() {
        // 6 accounts × 4 keys complete, plus 10 accounts each on one key.
        let mut edges = Vec::new();
        for a in 0..6u32 {
            for k in 0..4u32 {
                edges.push((a, k));
            }
        }
        for a in 6..16u32 {
            edges.push((a, 4 + a % 3));
        }
        let w = vec![1.0; 7];
        let (acc, key) = crate::graph::fraudar_peel(16, 7, &edges, &w);
        assert_eq!(acc, (0..6).collect::<Vec<_>>());
        assert_eq!(key, vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_farm_hitting_several_creators_in_two_windows_is_found() {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        // 10 farm accounts, two windows, three client creators' videos each (liking, not
        // necessarily all of them), well away from the organic viewers of those videos.
        for (w, base) in [(0i64, 3 * H), (1, 15 * H)] {
            for c in 0..3i64 {
                // The clients' uploads are in the log: surely distinct creators.
                let v = format!("client{w}_{c}");
                push(&mut b, 0, &format!("owner{w}_{c}"), "publish", &v);
                for f in 0..10i64 {
                    if (f + c) % 5 == 0 {
                        continue; // 80% participation
                    }
                    push(
                        &mut b,
                        base + c * 600_000 + f * 10_000,
                        &format!("farm{f}"),
                        "like",
                        &format!("client{w}_{c}"),
                    );
                }
            }
        }
        let s = b.finish();
        let f = DenseBlockDetector::default().detect(&s);
        let g = crate::testkit::only_group(&f, &s, "farm", 10);
        // Two windows: strong enough to flag.
        assert!(g.members.iter().all(|&(_, w)| w >= 0.5), "{g:?}");
    }

    #[test]
    fn one_window_alone_does_not_reach_the_flag() {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        for c in 0..3i64 {
            push(
                &mut b,
                0,
                &format!("owner{c}"),
                "publish",
                &format!("client{c}"),
            );
            for f in 0..10i64 {
                push(
                    &mut b,
                    3 * H + c * 600_000 + f * 10_000,
                    &format!("farm{f}"),
                    "like",
                    &format!("client{c}"),
                );
            }
        }
        let s = b.finish();
        let f = DenseBlockDetector::default().detect(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].members.iter().all(|&(_, w)| w < 0.5), "{f:?}");
    }

    #[test]
    fn a_fan_club_and_a_lone_heavy_user_are_not_blocks() {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        // An idol publishes 3 videos; 20 fans like and follow within minutes of each release.
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
                push(
                    &mut b,
                    r * 8 * H + 90_000 + f * 5_000,
                    &format!("fan{f}"),
                    "follow",
                    "idol",
                );
            }
        }
        for k in 0..300i64 {
            push(&mut b, k * 60_000, "heavy", "like", &format!("v{}", k % 60));
        }
        // Fans also like an old idol video whose publish predates the log, and follow her:
        // a video key and an account key that may be one creator.
        for f in 0..20i64 {
            push(
                &mut b,
                20 * H + f * 5_000,
                &format!("fan{f}"),
                "like",
                "idol_old",
            );
            push(
                &mut b,
                20 * H + 60_000 + f * 5_000,
                &format!("fan{f}"),
                "follow",
                "idol",
            );
        }
        let s = b.finish();
        assert!(DenseBlockDetector::default().detect(&s).is_empty());
    }
}
