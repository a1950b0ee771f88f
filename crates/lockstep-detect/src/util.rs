//! Small shared pieces: target tallies.

use lockstep_core::EventStore;

/// The `k` targets the members acted on most (by number of distinct members), ties by id.
pub fn top_targets(store: &EventStore, members: &[u32], k: usize) -> Vec<u32> {
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for &a in members {
        for &e in store.events_of_account(a) {
            let e = e as usize;
            if store.action(e as u32).targets_video()
                || matches!(
                    store.action(e as u32),
                    lockstep_core::Action::Follow | lockstep_core::Action::Dm
                )
            {
                pairs.push((store.target[e], a));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut counts: Vec<(u32, u32)> = Vec::new();
    for (t, _) in pairs {
        match counts.last_mut() {
            Some((lt, c)) if *lt == t => *c += 1,
            _ => counts.push((t, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
        .into_iter()
        .filter(|&(_, c)| c >= 2)
        .take(k)
        .map(|(t, _)| t)
        .collect()
}
