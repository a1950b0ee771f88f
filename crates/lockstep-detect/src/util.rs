//! Small shared pieces: union-find, target tallies.

use lockstep_core::EventStore;

/// Union-find with path halving and union by size.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    pub fn union(&mut self, a: u32, b: u32) {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
    }

    /// Components with at least `min_size` members, each sorted, ordered by their smallest member.
    pub fn components(&mut self, min_size: usize) -> Vec<Vec<u32>> {
        let n = self.parent.len();
        let mut root_of = vec![u32::MAX; n];
        let mut out: Vec<Vec<u32>> = Vec::new();
        for x in 0..n as u32 {
            let r = self.find(x);
            if (self.size[r as usize] as usize) < min_size {
                continue;
            }
            let slot = &mut root_of[r as usize];
            if *slot == u32::MAX {
                *slot = out.len() as u32;
                out.push(Vec::new());
            }
            out[*slot as usize].push(x);
        }
        out
    }
}

/// Connected components (as from [`UnionFind::components`]), each split where it hangs together
/// only through single vertices. For a component with cut vertices (articulation points: removing
/// one disconnects the rest), the cut vertices are dropped; if what remains falls apart into at
/// least two parts of two or more vertices, those parts replace the component, otherwise it is
/// kept whole. Why: two dense clusters joined through one shared vertex — two farms' campaign
/// bursts joined by the one burst where both pushed the same video — are two clusters, while a
/// dense cluster has no cut vertex and is never split. Tarjan's algorithm (iterative), O(V + E).
pub fn split_at_cut_vertices(
    n: usize,
    edges: &[(u32, u32)],
    comps: Vec<Vec<u32>>,
) -> Vec<Vec<u32>> {
    // Adjacency in compressed form.
    let mut start = vec![0u32; n + 1];
    for &(a, b) in edges {
        start[a as usize + 1] += 1;
        start[b as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut adj = vec![0u32; start[n] as usize];
    for &(a, b) in edges {
        adj[fill[a as usize] as usize] = b;
        fill[a as usize] += 1;
        adj[fill[b as usize] as usize] = a;
        fill[b as usize] += 1;
    }
    let nbrs = |v: u32| &adj[start[v as usize] as usize..start[v as usize + 1] as usize];
    let mut disc = vec![u32::MAX; n];
    let mut low = vec![0u32; n];
    let mut cut = vec![false; n];
    let mut out = Vec::with_capacity(comps.len());
    for comp in comps {
        // Two parts of two vertices need at least one cut vertex besides: five vertices.
        if comp.len() < 5 {
            out.push(comp);
            continue;
        }
        // Articulation points by depth-first search from the component's first vertex.
        let root = comp[0];
        let mut time = 0u32;
        let mut root_children = 0;
        // (vertex, parent, next neighbour index)
        let mut stack: Vec<(u32, u32, usize)> = vec![(root, u32::MAX, 0)];
        disc[root as usize] = time;
        low[root as usize] = time;
        while let Some(&mut (v, parent, ref mut next)) = stack.last_mut() {
            let ns = nbrs(v);
            if *next < ns.len() {
                let w = ns[*next];
                *next += 1;
                if disc[w as usize] == u32::MAX {
                    time += 1;
                    disc[w as usize] = time;
                    low[w as usize] = time;
                    if v == root {
                        root_children += 1;
                    }
                    stack.push((w, v, 0));
                } else if w != parent {
                    low[v as usize] = low[v as usize].min(disc[w as usize]);
                }
            } else {
                stack.pop();
                if let Some(&(p, _, _)) = stack.last() {
                    low[p as usize] = low[p as usize].min(low[v as usize]);
                    if p != root && low[v as usize] >= disc[p as usize] {
                        cut[p as usize] = true;
                    }
                }
            }
        }
        if root_children >= 2 {
            cut[root as usize] = true;
        }
        let has_cut = comp.iter().any(|&v| cut[v as usize]);
        let mut parts: Vec<Vec<u32>> = Vec::new();
        if has_cut {
            // What remains without the cut vertices, by union-find over local indices.
            let local = |v: u32| comp.binary_search(&v).ok();
            let mut uf = UnionFind::new(comp.len());
            for (i, &v) in comp.iter().enumerate() {
                if cut[v as usize] {
                    continue;
                }
                for &w in nbrs(v) {
                    if let Some(j) = local(w) {
                        if !cut[w as usize] {
                            uf.union(i as u32, j as u32);
                        }
                    }
                }
            }
            // Cut vertices were never joined: singletons, left out by the size floor.
            parts = uf
                .components(2)
                .into_iter()
                .map(|p| {
                    p.into_iter()
                        .map(|i| comp[i as usize])
                        .collect::<Vec<u32>>()
                })
                .collect();
        }
        for &v in &comp {
            disc[v as usize] = u32::MAX;
            cut[v as usize] = false;
        }
        if parts.len() >= 2 {
            out.extend(parts);
        } else {
            out.push(comp);
        }
    }
    out
}

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
/// engaging every release of one idol is one key, not many. O(E) plus a sort of the votes.
pub fn creator_keys(store: &EventStore) -> Vec<u32> {
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
    // `published` marks targets whose creator the log states (a `creator` cell or a publish).
    let mut published = vec![false; nt as usize];
    for e in 0..store.len() {
        if store.action[e] == Action::Publish as u8 {
            key[store.target[e] as usize] = nt + store.account[e];
            published[store.target[e] as usize] = true;
        }
    }
    // The `creator` column is the platform's own record: it wins. A creator that never acts in
    // the log gets a key of its own past the accounts.
    let na = store.n_accounts() as u32;
    for (t, &c) in store.target_creator.iter().enumerate() {
        if c != lockstep_core::NONE_ID {
            let name = store.creators.name(c);
            key[t] = store.accounts.get(name).map_or(nt + na + c, |a| nt + a);
            published[t] = true;
        }
    }
    // Votes (video, followed account) from follows right after engaging a video. Only follow
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
                && !published[v as usize]
                && key[v as usize] == v
                && followed != a
            {
                votes.push((v, followed));
            }
        }
    }
    votes.sort_unstable();
    let mut i = 0;
    while i < votes.len() {
        let v = votes[i].0;
        let mut best = (0usize, u32::MAX);
        let mut j = i;
        while j < votes.len() && votes[j].0 == v {
            let c = votes[j].1;
            let mut k = j;
            while k < votes.len() && votes[k] == (v, c) {
                k += 1;
            }
            if k - j > best.0 {
                best = (k - j, c);
            }
            j = k;
        }
        key[v as usize] = nt + best.1;
        i = j;
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

/// Whether a creator key (see [`creator_keys`]) names a known creator (an account).
pub fn known_creator(key: u32, n_targets: u32) -> bool {
    key >= n_targets
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

#[cfg(test)]
mod tests {
    fn clique(vs: &[u32]) -> Vec<(u32, u32)> {
        let mut e = Vec::new();
        for (i, &a) in vs.iter().enumerate() {
            for &b in &vs[i + 1..] {
                e.push((a, b));
            }
        }
        e
    }

    fn comps_of(n: usize, edges: &[(u32, u32)]) -> Vec<Vec<u32>> {
        let mut uf = UnionFind::new(n);
        for &(a, b) in edges {
            uf.union(a, b);
        }
        uf.components(2)
    }

    #[test]
    fn two_cliques_joined_through_one_vertex_are_split() {
        let mut e = clique(&[0, 1, 2, 3]);
        e.extend(clique(&[5, 6, 7, 8]));
        e.extend([(4, 0), (4, 1), (4, 5), (4, 6)]);
        // And an unrelated clique, left alone.
        e.extend(clique(&[9, 10, 11, 12, 13, 14]));
        let out = split_at_cut_vertices(15, &e, comps_of(15, &e));
        assert_eq!(
            out,
            vec![
                vec![0, 1, 2, 3],
                vec![5, 6, 7, 8],
                vec![9, 10, 11, 12, 13, 14]
            ]
        );
    }

    #[test]
    fn dense_clusters_and_chains_are_kept_whole() {
        // A clique with a second route between its halves has no cut vertex.
        let mut e = clique(&[0, 1, 2, 3]);
        e.extend(clique(&[5, 6, 7, 8]));
        e.extend([(4, 0), (4, 5), (3, 8)]);
        let out = split_at_cut_vertices(9, &e, comps_of(9, &e));
        assert_eq!(out, vec![(0..9).collect::<Vec<u32>>()]);
        // A path: removing its cut vertices leaves single vertices, not two parts.
        let path = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)];
        let out = split_at_cut_vertices(6, &path, comps_of(6, &path));
        assert_eq!(out, vec![(0..6).collect::<Vec<u32>>()]);
    }

    use super::*;

    #[test]
    fn union_find_components() {
        let mut uf = UnionFind::new(6);
        uf.union(0, 1);
        uf.union(1, 2);
        uf.union(4, 5);
        assert_eq!(uf.components(2), vec![vec![0, 1, 2], vec![4, 5]]);
        assert_eq!(uf.components(3), vec![vec![0, 1, 2]]);
    }

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
