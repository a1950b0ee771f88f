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

/// The creator behind each target, as a key: `n_targets + account` when the target is an
/// account (follow, DM) or a `publish` event names its publisher; otherwise the target itself.
/// Detectors count distinct keys, not targets, so that a fan club engaging every release of one
/// idol is one key, not many.
pub fn creator_keys(store: &EventStore) -> Vec<u32> {
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
        if store.action[e] == lockstep_core::Action::Publish as u8 {
            key[store.target[e] as usize] = nt + store.account[e];
        }
    }
    key
}

#[cfg(test)]
mod tests {
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
}
