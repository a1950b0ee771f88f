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
    store.derived(|s| {
        let (keys, source) = compute_creator_keys(s);
        CreatorKeys { keys, source }
    })
}

/// Each target's creator key (see [`creator_keys`]), indexable by target id (it derefs to the
/// keys), and where each came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatorKeys {
    keys: Vec<u32>,
    source: Vec<CreatorSource>,
}

impl std::ops::Deref for CreatorKeys {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        &self.keys
    }
}

impl CreatorKeys {
    /// Where target `t`'s creator key came from.
    pub fn source(&self, t: u32) -> CreatorSource {
        self.source[t as usize]
    }
}

/// How the log showed a target's creator, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CreatorSource {
    /// The `creator` column.
    Column,
    /// A `publish` event in the log.
    Publish,
    /// The target is an account (followed or messaged): its own creator.
    Account,
    /// Accounts followed one account right after engaging the video.
    Follow,
    /// Nothing in the log says: the video may be anyone's.
    Unknown,
}

impl CreatorSource {
    /// Every source, in order.
    pub const ALL: [CreatorSource; 5] = [
        CreatorSource::Column,
        CreatorSource::Publish,
        CreatorSource::Account,
        CreatorSource::Follow,
        CreatorSource::Unknown,
    ];

    /// A short name for summaries (`column`, `publish`, `account`, `follow`, `unknown`).
    pub fn name(self) -> &'static str {
        match self {
            CreatorSource::Column => "column",
            CreatorSource::Publish => "publish",
            CreatorSource::Account => "account",
            CreatorSource::Follow => "follow",
            CreatorSource::Unknown => "unknown",
        }
    }
}

/// How much of a log's engagement names its target's creator, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatorCoverage {
    /// Views, likes, comments and shares in the log.
    pub engaging_events: u64,
    /// Of those, on a target whose creator the log shows, by source (indexed like
    /// [`CreatorSource::ALL`]; the last entry counts the unknown ones).
    pub events_by_source: [u64; 5],
    /// Targets engaged by such events.
    pub engaged_targets: u64,
    /// Of those, by source (as `events_by_source`).
    pub targets_by_source: [u64; 5],
}

impl CreatorCoverage {
    /// Share of engaging events whose target's creator the log shows (1 for a log without
    /// engagement: nothing is unknown).
    pub fn known_share(&self) -> f64 {
        if self.engaging_events == 0 {
            return 1.0;
        }
        1.0 - self.events_by_source[4] as f64 / self.engaging_events as f64
    }

    /// Share of engaged targets whose creator the log shows.
    pub fn known_target_share(&self) -> f64 {
        if self.engaged_targets == 0 {
            return 1.0;
        }
        1.0 - self.targets_by_source[4] as f64 / self.engaged_targets as f64
    }
}

/// Below this share of engagement with a known creator, `detect` warns: videos of unknown
/// owner are told apart only by their audiences (the `lockstep` detector), most detectors count
/// them as possibly one creator's (see [`surely_two_creators`]), and one-client campaigns on
/// them are not judged.
pub const LOW_COVERAGE_WARNING: f64 = 0.5;

/// How much of the store's engagement (views, likes, comments, shares) lands on targets whose
/// creator the log shows, by how it shows it. O(E) over the action and target columns.
pub fn creator_coverage(store: &EventStore) -> CreatorCoverage {
    use lockstep_core::Action;
    let keys = creator_keys(store);
    let mut cov = CreatorCoverage {
        engaging_events: 0,
        events_by_source: [0; 5],
        engaged_targets: 0,
        targets_by_source: [0; 5],
    };
    let mut seen = vec![false; store.n_targets()];
    for e in 0..store.len() {
        if !matches!(
            store.action(e as u32),
            Action::View | Action::Like | Action::Comment | Action::Share
        ) {
            continue;
        }
        let t = store.target[e];
        let src = keys.source(t) as usize;
        cov.engaging_events += 1;
        cov.events_by_source[src] += 1;
        if !std::mem::replace(&mut seen[t as usize], true) {
            cov.engaged_targets += 1;
            cov.targets_by_source[src] += 1;
        }
    }
    cov
}

fn compute_creator_keys(store: &EventStore) -> (Vec<u32>, Vec<CreatorSource>) {
    use lockstep_core::Action;
    let nt = store.n_targets() as u32;
    let (na, nc) = (store.n_accounts() as u32, store.creators.len() as u32);
    // An account named as a target (followed, messaged) is a creator whether or not it acts in
    // the log: a client whose videos a farm pushes may never act itself. Acting accounts keep
    // their account key; a name the `creator` column knows, its creator key; any other
    // followed name a key of its own past both.
    let mut is_account_target = vec![false; nt as usize];
    for e in 0..store.len() {
        if matches!(store.action(e as u32), Action::Follow | Action::Dm) {
            is_account_target[store.target[e] as usize] = true;
        }
    }
    let account_like_key = |t: u32| -> Option<u32> {
        let name = store.targets.name(t);
        if let Some(a) = store.accounts.get(name) {
            return Some(nt + a);
        }
        if !is_account_target[t as usize] {
            return None;
        }
        Some(
            store
                .creators
                .get(name)
                .map_or(nt + na + nc + t, |c| nt + na + c),
        )
    };
    let mut key: Vec<u32> = Vec::with_capacity(nt as usize);
    let mut source: Vec<CreatorSource> = Vec::with_capacity(nt as usize);
    for t in 0..nt {
        let k = account_like_key(t);
        key.push(k.unwrap_or(t));
        source.push(k.map_or(CreatorSource::Unknown, |_| CreatorSource::Account));
    }
    for e in 0..store.len() {
        if store.action[e] == Action::Publish as u8 {
            let t = store.target[e] as usize;
            key[t] = nt + store.account[e];
            source[t] = CreatorSource::Publish;
        }
    }
    // The `creator` column is the platform's own record: it wins. A creator that never acts in
    // the log gets a key of its own past the accounts.
    for (t, &c) in store.target_creator.iter().enumerate() {
        if c != lockstep_core::NONE_ID {
            let name = store.creators.name(c);
            key[t] = store.accounts.get(name).map_or(nt + na + c, |a| nt + a);
            source[t] = CreatorSource::Column;
        }
    }
    // Votes (video, followed creator key) from follows right after engaging a video whose
    // creator is still unknown (its key is itself). Only follow events are visited (a
    // sequential scan of the action column), each looking back through its account's
    // time-ordered events: O(E) reads, O(F log d) lookups for F follows.
    let mut votes: Vec<(u32, u32)> = Vec::new();
    for e in 0..store.len() {
        if store.action[e] != Action::Follow as u8 {
            continue;
        }
        let a = store.account[e];
        let Some(followed) = account_like_key(store.target[e]) else {
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
                && followed != nt + a
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
        key[named[0].0 as usize] = named[0].1;
        source[named[0].0 as usize] = CreatorSource::Follow;
    }
    (key, source)
}

/// The name behind a creator key (see [`creator_keys`]): the video's, the account's, the
/// name in the `creator` column, or a followed account that never acts.
pub fn key_name(store: &EventStore, key: u32) -> &str {
    let (nt, na) = (store.n_targets() as u32, store.n_accounts() as u32);
    let nc = store.creators.len() as u32;
    if key < nt {
        store.targets.name(key)
    } else if key < nt + na {
        store.accounts.name(key - nt)
    } else if key < nt + na + nc {
        store.creators.name(key - nt - na)
    } else {
        store.targets.name(key - nt - na - nc)
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

/// How many creators keys name, where every video of unknown creator has been given its
/// *audience cluster*: a known creator's key when its audience links it to that creator, else
/// a key below `n_targets` shared by the unknown videos whose audiences link them (see the
/// `lockstep` detector's module doc). Clusters are creators of their own, so this is the
/// number of distinct keys. Never pass raw keys (one per unknown video) here: that would take
/// every video of unknown creator for another creator's.
pub fn clustered_creator_count(keys: &[u32]) -> usize {
    let mut k: Vec<u32> = keys.to_vec();
    k.sort_unstable();
    k.dedup();
    k.len()
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
        // Audience clusters are creators of their own.
        assert_eq!(clustered_creator_count(&[3, 3, 11]), 2);
        assert_eq!(clustered_creator_count(&[3, 4, 5, 11]), 4);
        assert_eq!(clustered_creator_count(&[11, 12, 11]), 2);
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
        assert_eq!(keys.source(v("v1") as u32), CreatorSource::Follow);
        assert_eq!(keys.source(v("v2") as u32), CreatorSource::Unknown);
    }

    #[test]
    fn a_followed_account_that_never_acts_is_a_creator() {
        use crate::testkit::push;
        let mut b = lockstep_core::EventStoreBuilder::new();
        // A farm's client never acts in the log; its followers name it all the same.
        push(&mut b, 0, "a", "like", "v1");
        push(&mut b, 5_000, "a", "follow", "client");
        push(&mut b, 10_000, "b", "like", "v2");
        push(&mut b, 12_000, "b", "follow", "other");
        push(&mut b, 20_000, "c", "view", "v3");
        let s = b.finish();
        let keys = creator_keys(&s);
        let nt = s.n_targets() as u32;
        let t = |n: &str| s.targets.get(n).unwrap();
        let (k1, k2) = (keys[t("v1") as usize], keys[t("v2") as usize]);
        assert!(k1 >= nt && k2 >= nt, "{k1} {k2}");
        assert_ne!(k1, k2);
        assert!(surely_two_creators([k1, k2], nt));
        // The followed account is a target too, and its own creator.
        assert_eq!(keys[t("client") as usize], k1);
        assert_eq!(key_name(&s, k1), "client");
        assert_eq!(keys.source(t("client")), CreatorSource::Account);
        // v3's creator is nowhere in the log.
        assert_eq!(keys[t("v3") as usize], t("v3"));
        let cov = creator_coverage(&s);
        assert_eq!(cov.engaging_events, 3);
        assert_eq!(cov.events_by_source[CreatorSource::Follow as usize], 2);
        assert_eq!(cov.events_by_source[CreatorSource::Unknown as usize], 1);
        assert!((cov.known_share() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(cov.engaged_targets, 3);
    }
}
