//! Synchrony: accounts whose sets of (creator, time) actions are too alike, found through MinHash
//! candidate pairs — never by comparing all pairs.
//!
//! **Idea.** SynchroTrap (Cao et al., CCS 2014) represents each account by its actions as
//! (target, time) tuples, calls two accounts similar when the Jaccard similarity of those sets —
//! with actions matching if they hit the same target within a time tolerance — is high, and
//! clusters the similarity graph; it found > 2M malicious accounts at Facebook. Here:
//!
//! 1. Each engaging action other than a view (like, comment, share, follow) becomes two items,
//!    (creator key, bucket) on two grids of `bucket_ms` offset by half a bucket, so two actions
//!    within half a bucket of each other always share an item. Keys are creator keys
//!    ([`crate::creators::creator_keys`]); views are left out because organic heavy users share many
//!    view items on popular creators, and lockstep covers view bursts.
//! 2. Items held by more than `max_item_accounts` accounts (a viral moment) are not evidence and
//!    are dropped; items held by one account cannot match and only count in the set sizes.
//! 3. MinHash signatures (`bands` × `rows` hashes of the items) and LSH banding give candidate
//!    pairs; in a bucket each account is paired with `bucket_partners` others, so a big farm's
//!    bucket costs O(n), not O(n²), and still connects the farm.
//! 4. Each candidate pair is verified exactly: Jaccard ≥ `min_jaccard` on the full item sets and
//!    shared items on at least `min_keys` distinct keys that are surely distinct creators (a fan
//!    club shares one idol's releases, day after day: one key; see
//!    [`crate::creators::surely_two_creators`]).
//! 5. Verified pairs are joined (union-find); clusters of at least `min_group` accounts are one
//!    finding each. A member's strength rises with its number of verified partners: one similar
//!    partner is coincidence, `full_partners` are a ring.
//!
//! **Complexity.** O(I · bands · rows) to sign the I items, O(A · bands · bucket_partners)
//! candidate pairs for A signed accounts, O(|items(a)| + |items(b)|) per verification, near-linear clustering. Memory O(I).

use crate::finding::{Detector, DetectorId, Finding, Label};
use crate::graph::UnionFind;
use lockstep_core::{Action, EventStore};
use rayon::prelude::*;

/// This detector's id and version.
pub const ID: DetectorId = DetectorId {
    id: "synchrony",
    version: 1,
};

/// Pairs of accounts whose timed actions match beyond chance (see the module doc).
#[derive(Debug, Clone)]
pub struct SynchronyDetector {
    /// Time tolerance of a match, as the bucket width (two grids).
    pub bucket_ms: i64,
    /// Items (and LSH buckets) with more accounts than this are skipped.
    pub max_item_accounts: usize,
    /// Accounts with fewer shareable items are not compared.
    pub min_items: usize,
    /// MinHash LSH bands.
    pub bands: usize,
    /// MinHash rows per band.
    pub rows: usize,
    /// Jaccard of timed items a candidate pair needs.
    pub min_jaccard: f64,
    /// −log₁₀ chance of a pair's shared items (Bonferroni over the candidate pairs).
    pub min_pair_surprise: f64,
    /// Distinct keys the shared items of a verified pair must span.
    pub min_keys: usize,
    /// Smallest group reported.
    pub min_group: usize,
    /// Verified partners for full strength.
    pub full_partners: usize,
    /// In an LSH bucket, each account is paired with this many others (all pairs in buckets up
    /// to twice this size): a 400-account farm bucket gives 400 · 16 candidates, not 80,000.
    pub bucket_partners: usize,
}

impl Default for SynchronyDetector {
    fn default() -> Self {
        SynchronyDetector {
            // Careful farms spread a campaign over ~3 h (FIELD-NOTES); 4 h buckets on two grids
            // match actions up to 2 h apart for sure, up to 4 h apart often.
            bucket_ms: 4 * 3_600_000,
            max_item_accounts: 2000,
            min_items: 3,
            bands: 24,
            rows: 2,
            min_jaccard: 0.1,
            // Seeds 101–103: at 1.0 organic accounts in classic worlds reach 0.08% flagged.
            min_pair_surprise: 3.0,
            // Two: a careful farm's pair shares ~1.5 campaign creators a day; a fan club one.
            min_keys: 2,
            min_group: 5,
            full_partners: 8,
            bucket_partners: 16,
        }
    }
}

/// One account's view for comparisons.
struct Profile {
    /// Sorted items held by 2..=`max_item_accounts` accounts.
    share: Vec<u64>,
    /// All its distinct items.
    size: usize,
    /// Σ over its items of (accounts holding the item) / (all item holdings).
    pull: f64,
}

fn counted(a: u8) -> bool {
    a == Action::Like as u8
        || a == Action::Comment as u8
        || a == Action::Share as u8
        || a == Action::Follow as u8
}

/// SplitMix64: a fast, well-mixed hash of a 64-bit item under seed `i`.
fn mix(x: u64, i: u64) -> u64 {
    let mut z = x ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SynchronyDetector {
    /// Per account: sorted distinct items `key << 32 | grid << 31 | bucket` (bucket relative to
    /// the log's start).
    fn items(&self, store: &EventStore, keys: &[u32]) -> Vec<Vec<u64>> {
        let t0 = store.time_span().map_or(0, |s| s.0);
        (0..store.n_accounts() as u32)
            .into_par_iter()
            .map(|a| {
                let mut v: Vec<u64> = Vec::new();
                for &e in store.events_of_account(a) {
                    let e = e as usize;
                    if !counted(store.action[e]) {
                        continue;
                    }
                    let k = keys[store.target[e] as usize] as u64;
                    let dt = store.ts[e] - t0;
                    let b0 = dt.div_euclid(self.bucket_ms) as u64 & 0x7FFF_FFFF;
                    let b1 =
                        (dt + self.bucket_ms / 2).div_euclid(self.bucket_ms) as u64 & 0x7FFF_FFFF;
                    v.push(k << 32 | b0);
                    v.push(k << 32 | 1 << 31 | b1);
                }
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect()
    }
}

impl Detector for SynchronyDetector {
    fn id(&self) -> DetectorId {
        ID
    }

    fn detect(&self, store: &EventStore) -> Vec<Finding> {
        if store.is_empty() {
            return Vec::new();
        }
        let keys = crate::creators::creator_keys(store);
        let items = self.items(store, &keys);
        // Accounts per item.
        let mut all: Vec<u64> = items.iter().flatten().copied().collect();
        all.par_sort_unstable();
        let mut counts: Vec<(u64, u32)> = Vec::new();
        for run in all.chunk_by(|x, y| x == y) {
            counts.push((run[0], run.len() as u32));
        }
        drop(all);
        // Where each creator key's items start in `counts` (items are key-major): a lookup is
        // one index read and a search among that key's few buckets, not a binary search over
        // every item of the log (at 100M events that missed cache a dozen times per lookup).
        let n_keys = counts.last().map_or(0, |c| (c.0 >> 32) as usize + 1);
        let mut key_start = vec![0usize; n_keys + 1];
        for c in &counts {
            key_start[(c.0 >> 32) as usize + 1] += 1;
        }
        for k in 0..n_keys {
            key_start[k + 1] += key_start[k];
        }
        let count_of = |i: u64| {
            let k = (i >> 32) as usize;
            let run = &counts[key_start[k]..key_start[k + 1]];
            run[run.binary_search_by_key(&i, |c| c.0).unwrap()].1
        };
        // Chance model: an account's items land on item i with probability c_i / M.
        let mass = counts.iter().map(|c| c.1 as f64).sum::<f64>().max(1.0);
        // Per account: its shareable items (2 ≤ count ≤ cap; nothing else can match), its full
        // set size (for the Jaccard) and its pull Σ c_i / M (for the chance model).
        let profiles: Vec<Profile> = items
            .into_par_iter()
            .map(|set| {
                // Too few items to ever be signed: no lookups.
                if set.len() < self.min_items {
                    return Profile {
                        size: set.len(),
                        pull: 0.0,
                        share: Vec::new(),
                    };
                }
                let mut pull = 0.0;
                let share: Vec<u64> = set
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let c = count_of(i) as usize;
                        pull += c as f64;
                        c >= 2 && c <= self.max_item_accounts
                    })
                    .collect();
                Profile {
                    size: set.len(),
                    pull: pull / mass,
                    share,
                }
            })
            .collect();
        drop((counts, key_start));
        // MinHash signatures (one mix per item, then a multiply-add per hash function).
        let k = self.bands * self.rows;
        let coef: Vec<(u64, u64)> = (0..k as u64).map(|h| (mix(h, 1) | 1, mix(h, 2))).collect();
        let signed: Vec<(u32, Vec<u64>)> = profiles
            .par_iter()
            .enumerate()
            .filter(|(_, p)| p.share.len() >= self.min_items)
            .map(|(a, p)| {
                let mut sig = vec![u64::MAX; k];
                for &i in &p.share {
                    let base = mix(i, 0);
                    for (s, &(m, c)) in sig.iter_mut().zip(&coef) {
                        *s = (*s).min(base.wrapping_mul(m).wrapping_add(c));
                    }
                }
                (a as u32, sig)
            })
            .collect();
        // LSH: (band hash, account), grouped.
        let mut band_keys: Vec<(u64, u32)> = signed
            .par_iter()
            .flat_map_iter(|(a, sig)| {
                (0..self.bands).map(move |b| {
                    let h = sig[b * self.rows..(b + 1) * self.rows]
                        .iter()
                        .fold(b as u64, |acc, &x| mix(acc ^ x, 0x5eed));
                    (h, *a)
                })
            })
            .collect();
        drop(signed);
        band_keys.par_sort_unstable();
        // Candidate pairs: within a bucket, each account with the next `bucket_partners` (in
        // hashed order, cyclic) — all pairs in small buckets, O(n) in a big farm's bucket.
        let mut pairs: Vec<(u32, u32)> = band_keys
            .par_chunk_by(|x, y| x.0 == y.0)
            .filter(|run| run.len() >= 2)
            .flat_map_iter(|run| {
                let mut ids: Vec<u32> = run.iter().map(|x| x.1).collect();
                ids.sort_unstable_by_key(|&a| mix(a as u64, 3));
                let n = ids.len();
                let reach = self.bucket_partners.min(n - 1);
                let all_pairs = n <= 2 * self.bucket_partners + 1;
                let mut out = Vec::new();
                for i in 0..n {
                    let hi = if all_pairs { n - 1 - i } else { reach };
                    for d in 1..=hi {
                        let (x, y) = (ids[i], ids[(i + d) % n]);
                        out.push((x.min(y), x.max(y)));
                    }
                }
                out
            })
            .collect();
        drop(band_keys);
        pairs.par_sort_unstable();
        pairs.dedup();
        let nt = store.n_targets() as u32;
        // Exact verification, Bonferroni-corrected over the candidates.
        let correction = (pairs.len().max(1) as f64).log10();
        let verified: Vec<(u32, u32)> = pairs
            .par_iter()
            .copied()
            .filter(|&(a, b)| {
                let (pa, pb) = (&profiles[a as usize], &profiles[b as usize]);
                let (x, y) = (&pa.share, &pb.share);
                let (mut i, mut j, mut shared) = (0, 0, 0usize);
                let mut shared_keys: Vec<u32> = Vec::new();
                while i < x.len() && j < y.len() {
                    match x[i].cmp(&y[j]) {
                        std::cmp::Ordering::Less => i += 1,
                        std::cmp::Ordering::Greater => j += 1,
                        std::cmp::Ordering::Equal => {
                            shared += 1;
                            let key = (x[i] >> 32) as u32;
                            if !shared_keys.contains(&key) {
                                shared_keys.push(key);
                            }
                            i += 1;
                            j += 1;
                        }
                    }
                }
                let union = pa.size + pb.size - shared;
                if shared_keys.len() < self.min_keys
                    || !crate::creators::surely_two_creators(shared_keys.iter().copied(), nt)
                    || (shared as f64) < self.min_jaccard * union as f64
                {
                    return false;
                }
                // Shared items expected if one account's items fell by popularity.
                let lambda = (pa.pull * pb.size as f64)
                    .max(pb.pull * pa.size as f64)
                    .max(1e-9);
                let surprise = -crate::stats::poisson_tail(shared, lambda)
                    .max(1e-300)
                    .log10();
                surprise - correction >= self.min_pair_surprise
            })
            .collect();
        drop(pairs);
        let mut uf = UnionFind::new(store.n_accounts());
        let mut partners = vec![0u32; store.n_accounts()];
        for &(a, b) in &verified {
            uf.union(a, b);
            partners[a as usize] += 1;
            partners[b as usize] += 1;
        }
        uf.components(self.min_group)
            .into_iter()
            .filter_map(|c| self.finding(store, &c, &partners, &profiles))
            .collect()
    }
}

impl SynchronyDetector {
    fn finding(
        &self,
        store: &EventStore,
        comp: &[u32],
        partners: &[u32],
        profiles: &[Profile],
    ) -> Option<Finding> {
        // One partner is coincidence; strength from the second on.
        let members: Vec<(u32, f32)> = comp
            .iter()
            .filter(|&&a| partners[a as usize] >= 2)
            .map(|&a| {
                let p = partners[a as usize] as f64;
                let s = crate::stats::soft_unit((p - 1.0) / (self.full_partners as f64 - 1.0));
                (a, s as f32)
            })
            .collect();
        if members.len() < self.min_group {
            return None;
        }
        // The items most members share: (item, members holding it).
        let mut held: Vec<u64> = members
            .iter()
            .flat_map(|&(a, _)| profiles[a as usize].share.iter().copied())
            .collect();
        held.sort_unstable();
        let mut common: Vec<(u64, usize)> = held
            .chunk_by(|x, y| x == y)
            .map(|r| (r[0], r.len()))
            .filter(|r| r.1 >= 2)
            .collect();
        common.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        let t0 = store.time_span().map_or(0, |s| s.0);
        let mut span = (i64::MAX, i64::MIN);
        let mut top_keys: Vec<u32> = Vec::new();
        for &(i, _) in common.iter().take(50) {
            let grid = (i >> 31) & 1;
            let b = (i & 0x7FFF_FFFF) as i64;
            let start = t0 + b * self.bucket_ms - grid as i64 * self.bucket_ms / 2;
            span = (span.0.min(start), span.1.max(start + self.bucket_ms));
            let key = (i >> 32) as u32;
            if !top_keys.contains(&key) {
                top_keys.push(key);
            }
        }
        // Keys back to targets (a video key is the video itself; an account key its name).
        let nt = store.n_targets() as u32;
        let targets: Vec<u32> = top_keys
            .iter()
            .filter_map(|&k| {
                if k >= nt {
                    store.targets.get(crate::creators::key_name(store, k))
                } else {
                    Some(k)
                }
            })
            .take(20)
            .collect();
        let n = members.len();
        let mean_partners = members
            .iter()
            .map(|&(a, _)| partners[a as usize] as f64)
            .sum::<f64>()
            / n as f64;
        Some(Finding {
            detector: ID,
            label: Label {
                label1: "group_control",
                label2: "coordination",
                label3: "synchronized_actions",
            },
            members,
            targets,
            span,
            shared: Vec::new(),
            figures: vec![
                ("accounts", n as f64),
                ("mean_similar_partners", mean_partners),
                ("min_jaccard", self.min_jaccard),
                ("bucket_minutes", (self.bucket_ms / 60_000) as f64),
                ("shared_items", common.len() as f64),
            ],
            summary: format!(
                "{n} accounts acted on the same creators in the same {} h windows: each has on average {:.1} others \
                 whose like/comment/share/follow timelines overlap it by Jaccard ≥ {:.2}, on ≥ {} different creators.",
                self.bucket_ms / 3_600_000,
                mean_partners,
                self.min_jaccard,
                self.min_keys
            ),
            links_members: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{push, H};
    use lockstep_core::EventStoreBuilder;

    /// 300 organic accounts liking 8 of 60 videos each.
    fn background(b: &mut EventStoreBuilder) {
        crate::testkit::organic_background(b, 0, 8, 12345);
    }

    #[test]
    fn minhash_mix_is_deterministic_and_spreads() {
        assert_eq!(mix(42, 1), mix(42, 1));
        assert_ne!(mix(42, 1), mix(42, 2));
        assert_ne!(mix(42, 1), mix(43, 1));
    }

    #[test]
    fn a_synchronized_ring_is_found() {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        // 10 ring accounts like 6 client videos, each campaign spread over 2 hours.
        for c in 0..6i64 {
            // The clients' uploads are in the log: surely distinct creators.
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
                    c * 4 * H + 30 * 60_000 + f * 700_000,
                    &format!("ring{f}"),
                    "like",
                    &format!("client{c}"),
                );
            }
        }
        let s = b.finish();
        let f = SynchronyDetector::default().detect(&s);
        let g = crate::testkit::only_group(&f, &s, "ring", 10);
        assert!(g.members.iter().all(|&(_, w)| w >= 0.9), "{g:?}");
    }

    #[test]
    fn a_fan_club_and_a_lone_heavy_user_are_not_synchronized() {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        for r in 0..4i64 {
            let v = format!("idol_v{r}");
            push(&mut b, r * 6 * H, "idol", "publish", &v);
            for f in 0..20i64 {
                push(
                    &mut b,
                    r * 6 * H + 60_000 + f * 5_000,
                    &format!("fan{f}"),
                    "like",
                    &v,
                );
                push(
                    &mut b,
                    r * 6 * H + 90_000 + f * 5_000,
                    &format!("fan{f}"),
                    "comment",
                    &v,
                );
            }
        }
        for k in 0..300i64 {
            push(&mut b, k * 60_000, "heavy", "like", &format!("v{}", k % 60));
        }
        let s = b.finish();
        assert!(SynchronyDetector::default().detect(&s).is_empty());
    }
}
