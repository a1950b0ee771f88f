//! Who created each target, as far as the log shows, and when two targets are surely two
//! creators' (a fandom's releases are one idol's, a farm's clients are many).

use lockstep_core::EventStore;

/// A follow within this long after engaging a video names the video's creator (the follow
/// button sits on the video's page).
pub const FOLLOW_AFTER_ENGAGING_MS: i64 = 60_000;

/// The creator behind each target, as a key: `n_targets + account` when the target is an
/// account (follow, DM), when the `creator` column names it (`n_targets + n_accounts + creator`
/// for a creator that never acts), when a `publish` event names its publisher, or, failing that, when
/// accounts followed an account right after engaging the video (within
/// [`FOLLOW_AFTER_ENGAGING_MS`]; the most-named account wins, ties to the smallest id);
/// otherwise the target itself — a video of *unknown* creator, which may belong to anyone (see
/// [`surely_two_creators`]). Detectors count distinct keys, not targets, so that a fan club
/// engaging every release of one idol is one key, not many. O(E) plus a sort of the votes,
/// once per store: the table is shared by every detector that asks ([`EventStore::derived`]).
pub fn creator_keys(store: &EventStore) -> std::sync::Arc<CreatorKeys> {
    store.derived(|s| CreatorKeys(compute_creator_keys(s)))
}

/// Each target's creator key (see [`creator_keys`]), indexable by target id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatorKeys(pub Vec<u32>);

impl std::ops::Deref for CreatorKeys {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        &self.0
    }
}

fn compute_creator_keys(store: &EventStore) -> Vec<u32> {
    use lockstep_core::Action;
    let nt = store.n_targets() as u32;
    let mut key: Vec<u32> = (0..nt)
        .map(|t| {
            store
                .accounts
                .get(store.targets.name(t))
                .map_or(t, |a| nt + a)
        })
        .collect();
    for e in 0..store.len() {
        if store.action[e] == Action::Publish as u8 {
            key[store.target[e] as usize] = nt + store.account[e];
        }
    }
    // The `creator` column is the platform's own record: it wins. A creator that never acts in
    // the log gets a key of its own past the accounts.
    let na = store.n_accounts() as u32;
    for (t, &c) in store.target_creator.iter().enumerate() {
        if c != lockstep_core::NONE_ID {
            let name = store.creators.name(c);
            key[t] = store.accounts.get(name).map_or(nt + na + c, |a| nt + a);
        }
    }
    // Votes (video, followed account) from follows right after engaging a video whose creator
    // is still unknown (its key is itself). Only follow
    // events are visited (a sequential scan of the action column), each looking back through
    // its account's time-ordered events: O(E) reads, O(F log d) lookups for F follows.
    let mut votes: Vec<(u32, u32)> = Vec::new();
    for e in 0..store.len() {
        if store.action[e] != Action::Follow as u8 {
            continue;
        }
        let a = store.account[e];
        let Some(followed) = store.accounts.get(store.targets.name(store.target[e])) else {
            continue;
        };
        let evs = store.events_of_account(a);
        // Event ids are in time order, so the follow's place in its account's list is a search.
        let i = evs.partition_point(|&x| (x as usize) < e);
        let ts = store.ts[e];
        // The latest video engaged before the follow, if recent enough.
        let prev = evs[..i].iter().rev().find(|&&p| {
            matches!(
                store.action(p),
                Action::View | Action::Like | Action::Comment | Action::Share
            )
        });
        if let Some(&p) = prev {
            let v = store.target[p as usize];
            if ts - store.ts[p as usize] <= FOLLOW_AFTER_ENGAGING_MS
                && key[v as usize] == v
                && followed != a
            {
                votes.push((v, followed));
            }
        }
    }
    votes.sort_unstable();
    for video in votes.chunk_by(|x, y| x.0 == y.0) {
        let named = video
            .chunk_by(|x, y| x == y)
            .max_by_key(|run| (run.len(), std::cmp::Reverse(run[0].1)))
            .expect("a chunk is never empty");
        key[named[0].0 as usize] = nt + named[0].1;
    }
    key
}

/// The name behind a creator key (see [`creator_keys`]): the video's, the account's, or the
/// name in the `creator` column.
pub fn key_name(store: &EventStore, key: u32) -> &str {
    let (nt, na) = (store.n_targets() as u32, store.n_accounts() as u32);
    if key < nt {
        store.targets.name(key)
    } else if key < nt + na {
        store.accounts.name(key - nt)
    } else {
        store.creators.name(key - nt - na)
    }
}

/// Whether creator keys (see [`creator_keys`]) certainly name at least two creators. A key below
/// `n_targets` is a video whose publisher the log does not show and could not be inferred; it
/// may belong to the creator behind any other key — a fandom's releases uploaded before the log
/// began are one idol, not many, and a fan club liking an old video of its idol and following
/// her is one creator, not two. So: two distinct account keys.
pub fn surely_two_creators(keys: impl IntoIterator<Item = u32>, n_targets: u32) -> bool {
    let mut first: Option<u32> = None;
    for k in keys {
        if k < n_targets {
            continue;
        }
        match first {
            None => first = Some(k),
            Some(f) if f != k => return true,
            _ => {}
        }
    }
    false
}

/// How many creators distinct keys surely name: the distinct account keys, plus one if any key
/// is a video of unknown creator (all of them may be one creator, possibly one already
/// counted — so this can overcount by one, never by more).
pub fn sure_creator_count(keys: &[u32], n_targets: u32) -> usize {
    let mut known: Vec<u32> = keys.iter().copied().filter(|&k| k >= n_targets).collect();
    known.sort_unstable();
    known.dedup();
    known.len() + usize::from(keys.iter().any(|&k| k < n_targets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_creators_need_two_known_creators() {
        // n_targets = 10: keys < 10 are videos of unknown creator, ≥ 10 accounts.
        assert!(!surely_two_creators([3, 12], 10));
        // Two releases uploaded before the log began may be one idol's.
        assert!(!surely_two_creators([3, 4], 10));
        assert!(surely_two_creators([11, 12], 10));
        assert!(!surely_two_creators([12, 12, 3], 10));
        assert!(surely_two_creators([3, 12, 4, 11], 10));
        assert!(!surely_two_creators([3], 10));
        assert_eq!(sure_creator_count(&[3, 4, 5], 10), 1);
        assert_eq!(sure_creator_count(&[3, 11, 12], 10), 3);
        assert_eq!(sure_creator_count(&[11, 12], 10), 2);
    }

    #[test]
    fn the_creator_column_names_creators() {
        let mut b = lockstep_core::EventStoreBuilder::new();
        for (acc, v, c) in [("a", "v1", "c1"), ("b", "v2", "c1"), ("a", "v3", "c2")] {
            b.push_raw(&lockstep_core::RawEvent {
                ts: "1000",
                account: acc,
                action: "like",
                target: v,
                creator: Some(c),
                ..Default::default()
            })
            .unwrap();
        }
        let s = b.finish();
        let keys = creator_keys(&s);
        let nt = s.n_targets() as u32;
        let v = |n: &str| s.targets.get(n).unwrap() as usize;
        assert_eq!(keys[v("v1")], keys[v("v2")]);
        assert_ne!(keys[v("v1")], keys[v("v3")]);
        assert!(surely_two_creators([keys[v("v1")], keys[v("v3")]], nt));
        assert_eq!(s.creator_of_target(v("v3") as u32), Some("c2"));
    }

    #[test]
    fn a_follow_right_after_engaging_names_the_creator() {
        use crate::testkit::push;
        let mut b = lockstep_core::EventStoreBuilder::new();
        // Two accounts like v1 and follow c1 seconds later; one follows c2 an hour later.
        push(&mut b, 0, "a", "like", "v1");
        push(&mut b, 5_000, "a", "follow", "c1");
        push(&mut b, 1_000, "b", "view", "v1");
        push(&mut b, 20_000, "b", "follow", "c1");
        push(&mut b, 30_000, "x", "view", "v2");
        push(&mut b, 3_630_000, "x", "follow", "c2");
        // c1 and c2 act, so they are accounts.
        push(&mut b, 40_000, "c1", "view", "v3");
        push(&mut b, 40_000, "c2", "view", "v3");
        let s = b.finish();
        let keys = creator_keys(&s);
        let nt = s.n_targets() as u32;
        let v = |n: &str| s.targets.get(n).unwrap() as usize;
        assert_eq!(keys[v("v1")], nt + s.accounts.get("c1").unwrap());
        // Too late to name v2's creator: still unknown.
        assert_eq!(keys[v("v2")], v("v2") as u32);
    }
}
