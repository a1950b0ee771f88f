//! Bursts of one action (logins, publishes) that are surprising against the local rate, and the
//! groups of accounts they join.

use crate::graph::UnionFind;
use lockstep_core::EventStore;

/// Bursts in a time-ordered stream of `(ts, account)`: greedy windows of `window_ms` holding at
/// least `min_accounts` distinct accounts whose Poisson tail, against the *local* rate (the
/// events in the surrounding `context_ms`, outside the window) and Bonferroni-corrected for the
/// number of windows in the log, is below 10^−`min_surprise`. The local rate keeps the evening
/// peak of an organic platform from looking like a burst. Returns (accounts, first ts, last ts).
/// O(n log n) over the n events (a sliding window, two binary searches per position, an O(1)
/// bound before any exact tail).
pub fn surprising_bursts(
    events: &[(i64, u32)],
    window_ms: i64,
    context_ms: i64,
    min_accounts: usize,
    min_surprise: f64,
) -> Vec<(Vec<u32>, i64, i64)> {
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        return Vec::new();
    };
    let windows = ((last.0 - first.0) as f64 / window_ms as f64).max(1.0);
    let mut out = Vec::new();
    // A sliding window [i, j) with its accounts' event counts, so each position costs O(1)
    // amortised (re-collecting the window at every position was O(n · window) and made the
    // batch-login check the slowest detector at 100M events).
    let mut counts: rustc_hash::FxHashMap<u32, u32> = rustc_hash::FxHashMap::default();
    let (mut i, mut j) = (0, 0);
    while i < events.len() {
        let start = events[i].0;
        while j < events.len() && events[j].0 < start + window_ms {
            *counts.entry(events[j].1).or_insert(0) += 1;
            j += 1;
        }
        if counts.len() >= min_accounts {
            let lo = events.partition_point(|e| e.0 < start + window_ms / 2 - context_ms / 2);
            let hi = events.partition_point(|e| e.0 < start + window_ms / 2 + context_ms / 2);
            let background = (hi - lo - (j - i)) as f64;
            let lambda =
                (background * window_ms as f64 / (context_ms - window_ms) as f64).max(0.01);
            let x = counts.len();
            // The exact tail costs O(x); at busy hours nearly every position holds hundreds of
            // logins. P(X ≥ x) ≥ P(X = x), and Stirling's upper bound on ln x! makes that an O(1)
            // upper bound on the surprise: windows it rules out cannot be bursts.
            let xf = x as f64;
            let ln_fact_upper = xf * xf.ln() - xf
                + 0.5 * (2.0 * std::f64::consts::PI * xf).ln()
                + 1.0 / (12.0 * xf);
            let most_surprise = (lambda - xf * lambda.ln() + ln_fact_upper)
                / std::f64::consts::LN_10
                - windows.log10();
            let surprise = if most_surprise < min_surprise {
                most_surprise
            } else {
                -(crate::stats::poisson_tail(x, lambda) * windows)
                    .clamp(1e-300, 1.0)
                    .log10()
            };
            if surprise >= min_surprise {
                let mut accounts: Vec<u32> = counts.keys().copied().collect();
                accounts.sort_unstable();
                out.push((accounts, start, events[j - 1].0));
                counts.clear();
                i = j;
                continue;
            }
        }
        let a = events[i].1;
        if let Some(c) = counts.get_mut(&a) {
            *c -= 1;
            if *c == 0 {
                counts.remove(&a);
            }
        }
        i += 1;
    }
    out
}

/// Accounts that acted together in [`surprising_bursts`] of one action, joined into groups.
#[derive(Debug, Clone)]
pub struct BurstGroup {
    /// (account, number of bursts it was in), by account id.
    pub members: Vec<(u32, u32)>,
    /// The group's bursts: (accounts, first ts, last ts).
    pub bursts: Vec<(Vec<u32>, i64, i64)>,
    /// First and last event time (ms) of the group's bursts.
    pub span: (i64, i64),
}

/// Bursts of `action` (see [`surprising_bursts`]) grouped by shared members, groups of at least
/// `min_group`; also the log's mean count of that action per window, for reports.
pub fn action_burst_groups(
    store: &EventStore,
    action: lockstep_core::Action,
    window_ms: i64,
    context_ms: i64,
    min_accounts: usize,
    min_surprise: f64,
    min_group: usize,
) -> (Vec<BurstGroup>, f64) {
    let events: Vec<(i64, u32)> = (0..store.len())
        .filter(|&e| store.action[e] == action as u8)
        .map(|e| (store.ts[e], store.account[e]))
        .collect();
    let mean = events.len() as f64 * window_ms as f64
        / store.time_span().map_or(1, |(a, b)| (b - a).max(1)) as f64;
    let bursts = surprising_bursts(&events, window_ms, context_ms, min_accounts, min_surprise);
    let mut uf = UnionFind::new(store.n_accounts());
    let mut count = vec![0u32; store.n_accounts()];
    for (accounts, _, _) in &bursts {
        for w in accounts.windows(2) {
            uf.union(w[0], w[1]);
        }
        for &a in accounts {
            count[a as usize] += 1;
        }
    }
    // Each burst belongs to the component of its accounts (all unioned above).
    let comps = uf.components(min_group);
    let mut comp_of_root: rustc_hash::FxHashMap<u32, usize> = Default::default();
    for (i, c) in comps.iter().enumerate() {
        comp_of_root.insert(uf.find(c[0]), i);
    }
    let mut bursts_of: Vec<Vec<usize>> = vec![Vec::new(); comps.len()];
    for (i, b) in bursts.iter().enumerate() {
        if let Some(&c) = b.0.first().and_then(|&a| comp_of_root.get(&uf.find(a))) {
            bursts_of[c].push(i);
        }
    }
    let groups = comps
        .into_iter()
        .zip(bursts_of)
        .filter_map(|(c, own)| {
            let members: Vec<(u32, u32)> = c
                .into_iter()
                .filter(|&a| count[a as usize] > 0)
                .map(|a| (a, count[a as usize]))
                .collect();
            if members.len() < min_group {
                return None;
            }
            let own: Vec<(Vec<u32>, i64, i64)> = own.iter().map(|&i| bursts[i].clone()).collect();
            let span = own.iter().fold((i64::MAX, i64::MIN), |(lo, hi), b| {
                (lo.min(b.1), hi.max(b.2))
            });
            Some(BurstGroup {
                members,
                bursts: own,
                span,
            })
        })
        .collect();
    (groups, mean)
}
