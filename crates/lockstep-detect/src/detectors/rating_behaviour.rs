//! Rating behaviour: accounts whose ratings look bought — extreme, against the consensus of the
//! item, few, crowded into one day and into a few weeks, and on the items that bought ratings
//! crowd. Active only when the log has a `rating` column (review sites, trust networks); a
//! short-video log has none and this detector returns nothing.
//!
//! **Idea.** SpEagle (Rayana & Akoglu, KDD 2015) in two steps.
//!
//! *Each account's own footprint*, the behavioural features of opinion spammers measured on
//! Yelp's own filter (Mukherjee et al., "What Yelp fake review filter might be doing?", ICWSM
//! 2013) and used as priors by SpEagle; rating deviation from the item's consensus as in Lim et al.
//! (CIKM 2010) and BIRDNEST (Hooi et al., SDM 2016). There are no labels to train on, so the
//! features are combined without weights learnt from anyone's answers: each account gets its
//! percentile rank (ties averaged) on each feature among rated accounts, and its footprint is the
//! mean rank. Features:
//!
//! 1. share of its ratings at the scale's extremes (the lowest or highest rating seen in the log);
//! 2. mean |rating − the item's mean rating without it| over the scale's range;
//! 3. fewness, 1 / (rated events) — one-off accounts are what review farms are made of;
//! 4. the most ratings it gave in one day;
//! 5. burstiness, as SpEagle defines it: 1 − (days between its first and last rating) / 28, and 0
//!    past 28 days — bought accounts are used for a campaign and dropped, real ones stay.
//!
//! *The company it keeps*: SpEagle's belief propagation ([`crate::belief`]) over the account –
//! rating – item graph, with the footprint's rank as the account prior (kept inside
//! [0.05, 0.95]), SpEagle's review prior from each rating's metadata (rank on the item,
//! deviation, high rating, large deviation, early time frame, only rating of its account) and an
//! uninformative item prior. A rating on an item that many suspicious ratings crowd becomes more
//! suspicious, and so does its account. The constants (28 days, 7 months, 0.63, 0.69, the
//! couplings 1e-5 and 0.1, two sweeps) are the paper's and its public code's, not fitted here.
//!
//! The detector's strength is `max_strength` × the account's percentile rank on the posterior.
//! On the simulated review sites of the tests, propagation lifts the AP of blatant bought
//! accounts from 0.30–0.42 to 0.55–0.66; on Yelp it brings lockstep level with SpEagle (README).
//!
//! This is evidence about each account alone, never about a group (`links_members` is false), and
//! it is weak: its strength is capped at `max_strength`, below what the default flag rule needs,
//! so it orders accounts (AP, ROC-AUC) without flagging anyone by itself. The organic
//! MovieLens raters — many ratings each, spread over days — rank low.
//!
//! **Complexity.** O(E) to sum ratings per item and per account, O(A log A) to rank A accounts,
//! O(R log R) for the R ratings' priors and the propagation's schedule, O(R) per sweep.

use crate::belief::{logit, propagate, BeliefParams};
use crate::finding::{Detector, DetectorId, Finding, Label};
use lockstep_core::EventStore;

/// This detector's id and version.
pub const ID: DetectorId = DetectorId {
    id: "rating_behaviour",
    version: 3,
};

/// Rating accounts whose ratings deviate from the consensus in bursts (see the module doc).
#[derive(Debug, Clone)]
pub struct RatingBehaviourDetector {
    /// Strength of the most suspicious account (the scale is linear in its rank).
    pub max_strength: f64,
    /// Belief propagation over the account – rating – item graph (SpEagle's inference);
    /// `None` ranks accounts by their own footprints alone.
    pub belief: Option<BeliefParams>,
}

impl Default for RatingBehaviourDetector {
    fn default() -> Self {
        RatingBehaviourDetector {
            // Below the fused evidence (0.5) the default flag rule needs: a ranking signal.
            max_strength: 0.3,
            belief: Some(BeliefParams::default()),
        }
    }
}

const DAY_MS: i64 = 86_400_000;
/// SpEagle's burstiness window τ (Rayana & Akoglu 2015, after Mukherjee et al. 2013): an account
/// whose ratings span more than this many days gets burstiness 0.
const BURST_DAYS: f64 = 28.0;

/// Percentile ranks in (0, 1] of `values`, ties sharing their mean rank.
fn percentile_ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = mean_rank / n as f64;
        }
        i = j + 1;
    }
    ranks
}

/// Per value, the chance that a value drawn from `values` is at least as suspicious: P(X ≥ x)
/// when high values are suspicious, P(X ≤ x) when low ones are (SpEagle's feature scores).
fn tail_probabilities(values: &[f64], high_is_suspicious: bool) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    values
        .iter()
        .map(|&x| {
            if high_is_suspicious {
                1.0 - sorted.partition_point(|&y| y < x) as f64 / n
            } else {
                sorted.partition_point(|&y| y <= x) as f64 / n
            }
        })
        .collect()
}

/// SpEagle's review prior: 1 − sqrt(mean of squared tail probabilities) over the review's
/// metadata features — its rank among the item's ratings (early is suspicious), its deviation
/// from the item's mean, whether it is high (top quarter of the scale), whether the deviation is
/// large (> 0.63 of the scale), whether it came in the item's early time frame (its first 7
/// months, weight > 0.69), whether it is its account's only rating. The constants are the paper's.
fn propagated(
    store: &EventStore,
    accounts: &[u32],
    own: &[f64],
    (lo, range): (f32, f64),
    item_sum: &[f64],
    item_n: &[u32],
    params: BeliefParams,
) -> Vec<f64> {
    const EARLY_DAYS: f64 = 210.0;
    let mut local = vec![u32::MAX; store.n_accounts()];
    for (i, &a) in accounts.iter().enumerate() {
        local[a as usize] = i as u32;
    }
    let mut rated_n = vec![0u32; accounts.len()];
    let mut reviews: Vec<(u32, u32)> = Vec::new();
    let mut feats: [Vec<f64>; 6] = Default::default();
    let mut seen_on_item = vec![0u32; store.n_targets()];
    let mut first_day = vec![i64::MAX; store.n_targets()];
    for e in 0..store.len() {
        let Some(r) = store.rating_of(e as u32) else {
            continue;
        };
        let (a, t) = (local[store.account[e] as usize], store.target[e] as usize);
        let day = store.ts[e].div_euclid(DAY_MS);
        first_day[t] = first_day[t].min(day);
        seen_on_item[t] += 1;
        rated_n[a as usize] += 1;
        reviews.push((a, t as u32));
        let deviation = (r as f64 - item_sum[t] / item_n[t] as f64).abs() / range;
        let early = (day - first_day[t]) as f64;
        let early_weight = if early > EARLY_DAYS {
            0.0
        } else {
            1.0 - early / EARLY_DAYS
        };
        feats[0].push(seen_on_item[t] as f64);
        feats[1].push(deviation);
        feats[2].push(((r - lo) as f64 / range >= 0.75) as u8 as f64);
        feats[3].push((deviation > 0.63) as u8 as f64);
        feats[4].push((early_weight > 0.69) as u8 as f64);
    }
    feats[5] = reviews
        .iter()
        .map(|&(a, _)| (rated_n[a as usize] == 1) as u8 as f64)
        .collect();
    let mut squares = vec![0f64; reviews.len()];
    for (k, f) in feats.iter().enumerate() {
        for (s, p) in squares.iter_mut().zip(tail_probabilities(f, k != 0)) {
            *s += p * p;
        }
    }
    let review_prior: Vec<f64> = squares
        .iter()
        .map(|s| logit(1.0 - (s / feats.len() as f64).sqrt()))
        .collect();
    let account_prior: Vec<f64> = percentile_ranks(own)
        .into_iter()
        .map(|p| logit(p.clamp(0.05, 0.95)))
        .collect();
    let item_prior = vec![0.0; store.n_targets()];
    propagate(&reviews, &account_prior, &review_prior, &item_prior, params)
}

impl Detector for RatingBehaviourDetector {
    fn id(&self) -> DetectorId {
        ID
    }

    fn detect(&self, store: &EventStore) -> Vec<Finding> {
        if !store.has_ratings() {
            return Vec::new();
        }
        let rated = |e: usize| store.rating_of(e as u32);
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        let mut item_sum = vec![0f64; store.n_targets()];
        let mut item_n = vec![0u32; store.n_targets()];
        for e in 0..store.len() {
            if let Some(r) = rated(e) {
                lo = lo.min(r);
                hi = hi.max(r);
                item_sum[store.target[e] as usize] += r as f64;
                item_n[store.target[e] as usize] += 1;
            }
        }
        let range = (hi - lo) as f64;
        if range <= 0.0 {
            return Vec::new();
        }
        // Per rated account: its five features.
        let mut accounts: Vec<u32> = Vec::new();
        let mut feats: [Vec<f64>; 5] = Default::default();
        let mut span = (i64::MAX, i64::MIN);
        for a in 0..store.n_accounts() as u32 {
            let (mut n, mut extreme, mut dev, mut dev_n) = (0u32, 0u32, 0f64, 0u32);
            let (mut day, mut in_day, mut max_day) = (i64::MIN, 0u32, 0u32);
            let (mut first_day, mut last_day) = (i64::MAX, i64::MIN);
            for &e in store.events_of_account(a) {
                let e = e as usize;
                let Some(r) = rated(e) else { continue };
                n += 1;
                extreme += (r == lo || r == hi) as u32;
                let t = store.target[e] as usize;
                if item_n[t] > 1 {
                    let others = (item_sum[t] - r as f64) / (item_n[t] - 1) as f64;
                    dev += (r as f64 - others).abs() / range;
                    dev_n += 1;
                }
                let d = store.ts[e].div_euclid(DAY_MS);
                if d == day {
                    in_day += 1;
                } else {
                    (day, in_day) = (d, 1);
                }
                max_day = max_day.max(in_day);
                (first_day, last_day) = (first_day.min(d), last_day.max(d));
                span = (span.0.min(store.ts[e]), span.1.max(store.ts[e]));
            }
            if n == 0 {
                continue;
            }
            accounts.push(a);
            feats[0].push(extreme as f64 / n as f64);
            feats[1].push(if dev_n > 0 { dev / dev_n as f64 } else { 0.0 });
            feats[2].push(1.0 / n as f64);
            feats[3].push(max_day as f64);
            feats[4].push((1.0 - (last_day - first_day) as f64 / BURST_DAYS).max(0.0));
        }
        if accounts.is_empty() {
            return Vec::new();
        }
        let ranks: Vec<Vec<f64>> = feats.iter().map(|f| percentile_ranks(f)).collect();
        let own: Vec<f64> = (0..accounts.len())
            .map(|i| ranks.iter().map(|r| r[i]).sum::<f64>() / ranks.len() as f64)
            .collect();
        let suspicion = match self.belief {
            Some(params) => propagated(
                store,
                &accounts,
                &own,
                (lo, range),
                &item_sum,
                &item_n,
                params,
            ),
            None => own,
        };
        let members: Vec<(u32, f32)> = accounts
            .iter()
            .zip(percentile_ranks(&suspicion))
            .map(|(&a, rank)| (a, (self.max_strength * rank) as f32))
            .collect();
        let n = members.len();
        vec![Finding {
            detector: ID,
            label: Label {
                label1: "fake_engagement",
                label2: "rating",
                label3: "rating_behaviour",
            },
            members,
            targets: Vec::new(),
            span,
            shared: Vec::new(),
            figures: vec![
                ("rated_accounts", n as f64),
                ("rating_min", lo as f64),
                ("rating_max", hi as f64),
            ],
            summary: format!(
                "{n} accounts ranked by how bought their ratings look: extreme (at {lo} or {hi}), \
                 against each item's consensus, few, crowded into one day and into a few weeks, and on the \
                 items such ratings crowd."
            ),
            links_members: false,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::{EventStoreBuilder, RawEvent};

    fn rate(b: &mut EventStoreBuilder, ts: i64, acc: &str, item: &str, r: &str) {
        crate::testkit::push_rated(b, ts, acc, item, r);
    }

    #[test]
    fn percentile_ranks_share_ties() {
        assert_eq!(
            percentile_ranks(&[3.0, 1.0, 3.0, 2.0]),
            vec![3.5 / 4.0, 1.0 / 4.0, 3.5 / 4.0, 2.0 / 4.0]
        );
    }

    #[test]
    fn a_one_off_extreme_contrarian_outranks_steady_raters() {
        let mut b = EventStoreBuilder::new();
        // 30 steady raters: 12 ratings each over 12 days, 3–4 stars, on 6 items.
        for u in 0..30i64 {
            for k in 0..12i64 {
                let r = if (u + k) % 2 == 0 { "3" } else { "4" };
                rate(
                    &mut b,
                    k * DAY_MS + u * 1000,
                    &format!("u{u}"),
                    &format!("i{}", k % 6),
                    r,
                );
            }
        }
        // One-off accounts giving 1 star to an item everyone rates 3–4, all on one day.
        for f in 0..5i64 {
            rate(&mut b, 3 * DAY_MS + f, &format!("f{f}"), "i2", "1");
        }
        // A one-off account in line with the consensus.
        rate(&mut b, 5 * DAY_MS, "calm", "i1", "4");
        let s = b.finish();
        let f = RatingBehaviourDetector::default().detect(&s);
        assert_eq!(f.len(), 1);
        let strength = |name: &str| {
            let a = s.accounts.get(name).unwrap();
            f[0].members.iter().find(|m| m.0 == a).unwrap().1
        };
        let steady = strength("u0").max(strength("u1"));
        for k in 0..5 {
            assert!(strength(&format!("f{k}")) > strength("calm"));
            assert!(strength(&format!("f{k}")) > steady);
        }
        assert!(f[0].members.iter().all(|m| m.1 <= 0.3));
        assert!(!f[0].links_members);
    }

    #[test]
    fn a_short_lived_account_outranks_the_same_ratings_spread_over_months() {
        let mut b = EventStoreBuilder::new();
        // Background raters so that the items have a consensus.
        for u in 0..20i64 {
            for k in 0..4i64 {
                rate(
                    &mut b,
                    (k * 40 + u) * DAY_MS,
                    &format!("u{u}"),
                    &format!("i{k}"),
                    "4",
                );
            }
        }
        // Same ratings, same items, one per day: within a week, or one every 40 days.
        for k in 0..4i64 {
            rate(&mut b, (200 + k) * DAY_MS, "burst", &format!("i{k}"), "5");
            rate(
                &mut b,
                (200 + 40 * k) * DAY_MS,
                "slow",
                &format!("i{k}"),
                "5",
            );
        }
        let s = b.finish();
        let f = RatingBehaviourDetector::default().detect(&s);
        let strength = |name: &str| {
            let a = s.accounts.get(name).unwrap();
            f[0].members.iter().find(|m| m.0 == a).unwrap().1
        };
        assert!(strength("burst") > strength("slow"));
    }

    /// A simulated review site (seeded): organic raters spread over two years rating items by
    /// their quality, and campaigns that buy reviews for weak items. Half the bought accounts are
    /// blatant (one 5-star review in the campaign fortnight); half are camouflaged (a 4-star
    /// review of the target among honest reviews spread over months), so only the company they
    /// keep on the target item gives them away. Returns the store and the bought accounts, split.
    fn review_world(seed: u64) -> (EventStore, Vec<String>, Vec<String>) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut b = EventStoreBuilder::new();
        let n_items = 80usize;
        let quality: Vec<f64> = (0..n_items).map(|_| rng.random_range(2.0..4.6)).collect();
        let pick_item = |rng: &mut rand_chacha::ChaCha8Rng| {
            // Popularity falls off with the item's index.
            let u: f64 = rng.random_range(0.0..1.0);
            ((n_items as f64).powf(u) - 1.0) as usize % n_items
        };
        let honest = |rng: &mut rand_chacha::ChaCha8Rng, q: f64| {
            let noise: f64 = (0..3).map(|_| rng.random_range(-1.0..1.0)).sum();
            (q + noise).round().clamp(1.0, 5.0) as u8
        };
        for u in 0..2000 {
            let n = 1 + (rng.random_range(0.0f64..1.0).ln() / 0.6f64.ln()) as usize % 20;
            for _ in 0..n {
                let i = pick_item(&mut rng);
                let day = rng.random_range(0..730i64);
                let r = honest(&mut rng, quality[i]).to_string();
                rate(
                    &mut b,
                    day * DAY_MS + u,
                    &format!("o{u}"),
                    &format!("i{i}"),
                    &r,
                );
            }
        }
        let (mut blatant, mut camouflaged) = (Vec::new(), Vec::new());
        for c in 0..8 {
            let target = format!("t{c}");
            // The target's own organic reviews: it is a weak item.
            for k in 0..15i64 {
                let day = rng.random_range(0..730i64);
                let r = honest(&mut rng, 2.3).to_string();
                rate(&mut b, day * DAY_MS + k, &format!("ot{c}_{k}"), &target, &r);
            }
            let start = rng.random_range(30..700i64);
            for k in 0..24 {
                let day = start + rng.random_range(0..14i64);
                let name = format!("s{c}_{k}");
                if k % 2 == 0 {
                    rate(&mut b, day * DAY_MS + k as i64, &name, &target, "5");
                    blatant.push(name);
                } else {
                    rate(&mut b, day * DAY_MS + k as i64, &name, &target, "4");
                    for _ in 0..rng.random_range(2..5) {
                        let i = pick_item(&mut rng);
                        let day = rng.random_range(0..730i64);
                        let r = honest(&mut rng, quality[i]).to_string();
                        rate(&mut b, day * DAY_MS + 7, &name, &format!("i{i}"), &r);
                    }
                    camouflaged.push(name);
                }
            }
        }
        (b.finish(), blatant, camouflaged)
    }

    /// AP of the detector's ranking for `positives` against the organic accounts.
    fn ap_of(det: &RatingBehaviourDetector, s: &EventStore, positives: &[String]) -> f64 {
        let f = det.detect(s);
        let bought: std::collections::HashSet<u32> = positives
            .iter()
            .map(|n| s.accounts.get(n).unwrap())
            .collect();
        let scored: Vec<(f64, bool)> = f[0]
            .members
            .iter()
            .filter(|m| {
                let name = s.accounts.name(m.0);
                bought.contains(&m.0) || name.starts_with('o')
            })
            .map(|m| (m.1 as f64, bought.contains(&m.0)))
            .collect();
        lockstep_eval::average_precision(&scored)
    }

    #[test]
    fn quality_on_simulated_review_sites() {
        let own_only = RatingBehaviourDetector {
            belief: None,
            ..Default::default()
        };
        for seed in [1, 2, 3, 4] {
            let (s, blatant, camouflaged) = review_world(seed);
            let full = RatingBehaviourDetector::default();
            let (b_full, c_full) = (ap_of(&full, &s, &blatant), ap_of(&full, &s, &camouflaged));
            let (b_own, c_own) = (
                ap_of(&own_only, &s, &blatant),
                ap_of(&own_only, &s, &camouflaged),
            );
            let msg = format!(
                "seed {seed}: blatant AP {b_own:.3} -> {b_full:.3}, camouflaged {c_own:.3} -> {c_full:.3}"
            );
            // Base rates are ~0.045 (blatant) and ~0.025 (camouflaged). Measured on seeds 1–4:
            // blatant 0.30–0.42 from their own footprints, 0.55–0.66 with the propagation;
            // camouflaged accounts stay near the base rate either way (0.025 -> 0.029): one
            // bought review among honest ones spread over months is not enough, here as on Yelp.
            assert!(b_full >= 0.45, "{msg}");
            assert!(b_full >= b_own + 0.1, "{msg}");
            assert!(c_full >= c_own, "{msg}");
        }
    }

    #[test]
    fn logs_without_ratings_get_nothing() {
        let mut b = EventStoreBuilder::new();
        b.push_raw(&RawEvent {
            ts: "1",
            account: "a",
            action: "like",
            target: "v",
            ..Default::default()
        })
        .unwrap();
        assert!(RatingBehaviourDetector::default()
            .detect(&b.finish())
            .is_empty());
    }
}
