//! Rating behaviour: lone accounts whose ratings look bought — extreme, against the consensus of
//! the item, few, crowded into one day and into a few weeks. Active only when the log has a `rating` column
//! (review sites, trust networks); a short-video log has none and this detector returns nothing.
//!
//! **Idea.** The behavioural footprints of opinion spammers measured on Yelp's own filter
//! (Mukherjee et al., "What Yelp fake review filter might be doing?", ICWSM 2013: extreme
//! ratings, rating deviation, maximum reviews per day, few reviews) and used as priors by SpEagle
//! (Rayana & Akoglu, KDD 2015); rating deviation from the item's consensus as in Lim et al.
//! (CIKM 2010) and BIRDNEST (Hooi et al., SDM 2016). There are no labels to train on, so the
//! features are combined without weights learnt from anyone's answers: each account gets its
//! percentile rank (ties averaged) on each feature among rated accounts, and its suspicion is the
//! mean rank. Features:
//!
//! 1. share of its ratings at the scale's extremes (the lowest or highest rating seen in the log);
//! 2. mean |rating − the item's mean rating without it| over the scale's range;
//! 3. fewness, 1 / (rated events) — one-off accounts are what review farms are made of;
//! 4. the most ratings it gave in one day;
//! 5. burstiness, as SpEagle defines it: 1 − (days between its first and last rating) / 28, and 0
//!    past 28 days — bought accounts are used for a campaign and dropped, real ones stay.
//!
//! This is evidence about each account alone, never about a group (`links_members` is false), and
//! it is weak: its strength is capped at `max_strength`, below what the default flag rule needs,
//! so it orders accounts (AP, ROC-AUC) without flagging anyone by itself. The organic
//! MovieLens raters — many ratings each, spread over days — rank low.
//!
//! **Complexity.** O(E) to sum ratings per item and per account, O(A log A) to rank A accounts.

use crate::finding::{Detector, DetectorId, Finding, Label};
use lockstep_core::EventStore;

pub const ID: DetectorId = DetectorId {
    id: "rating_behaviour",
    version: 2,
};

#[derive(Debug, Clone)]
pub struct RatingBehaviourDetector {
    /// Strength of the most suspicious account (the scale is linear in its mean rank).
    pub max_strength: f64,
}

impl Default for RatingBehaviourDetector {
    fn default() -> Self {
        RatingBehaviourDetector {
            // Below the fused evidence (0.5) the default flag rule needs: a ranking signal.
            max_strength: 0.3,
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
        let members: Vec<(u32, f32)> = accounts
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let mean = ranks.iter().map(|r| r[i]).sum::<f64>() / ranks.len() as f64;
                (a, (self.max_strength * mean) as f32)
            })
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
                 against each item's consensus, few, crowded into one day and into a few weeks."
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
        let ts = ts.to_string();
        b.push_raw(&RawEvent {
            ts: &ts,
            account: acc,
            action: "like",
            target: item,
            rating: Some(r),
            ..Default::default()
        })
        .unwrap();
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
