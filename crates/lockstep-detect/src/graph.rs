//! Graph pieces the detectors share: union-find, and splitting components at cut vertices.

/// Union-find with path halving and union by size.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// The root of `x`'s set (path halving).
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    /// Join the sets of `a` and `b` (by size).
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
/// kept whole (when it is split, vertices that removing the cut vertices leaves alone are
/// dropped with them). Why: two dense clusters joined through one shared vertex — two farms'
/// campaign bursts joined by the one burst where both pushed the same video — are two clusters,
/// while a
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

/// FRAUDAR's greedy peel (Hooi et al., KDD 2016): repeatedly remove the node of least weighted
/// degree and keep the prefix of largest weighted density over accounts and keys.
/// `edges` are (account index, key index) into `accounts` / `keys` (local ids), `w` per key.
/// Returns the kept account and key indexes.
pub fn fraudar_peel(
    n_acc: usize,
    n_key: usize,
    edges: &[(u32, u32)],
    w: &[f64],
) -> (Vec<u32>, Vec<u32>) {
    let n = n_acc + n_key;
    // Adjacency in CSR over the combined node ids (accounts first, keys after).
    let mut deg = vec![0u32; n + 1];
    for &(a, k) in edges {
        deg[a as usize] += 1;
        deg[n_acc + k as usize] += 1;
    }
    let mut start = vec![0u32; n + 1];
    for i in 0..n {
        start[i + 1] = start[i] + deg[i];
    }
    let mut fill = start.clone();
    let mut adj = vec![0u32; 2 * edges.len()];
    for &(a, k) in edges {
        let (a, k) = (a as usize, n_acc + k as usize);
        adj[fill[a] as usize] = k as u32;
        fill[a] += 1;
        adj[fill[k] as usize] = a as u32;
        fill[k] += 1;
    }
    let weight_of = |x: usize, y: usize| {
        if x >= n_acc {
            w[x - n_acc]
        } else {
            w[y - n_acc]
        }
    };
    let mut score = vec![0f64; n];
    let mut total = 0.0;
    for &(a, k) in edges {
        let x = w[k as usize];
        score[a as usize] += x;
        score[n_acc + k as usize] += x;
        total += x;
    }
    // Min-heap on (score, node) with lazy deletion; scores as ordered bits (all ≥ 0).
    let mut heap: std::collections::BinaryHeap<std::cmp::Reverse<(u64, u32)>> = (0..n)
        .map(|i| std::cmp::Reverse((score[i].to_bits(), i as u32)))
        .collect();
    let mut alive = vec![true; n];
    let mut remaining = n;
    let mut best = (total / n.max(1) as f64, 0usize);
    let mut order: Vec<u32> = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse((bits, x))) = heap.pop() {
        let x = x as usize;
        if !alive[x] || bits != score[x].to_bits() {
            continue;
        }
        alive[x] = false;
        remaining -= 1;
        order.push(x as u32);
        total -= score[x];
        for &y in &adj[start[x] as usize..start[x + 1] as usize] {
            let y = y as usize;
            if alive[y] {
                score[y] = (score[y] - weight_of(x, y)).max(0.0);
                heap.push(std::cmp::Reverse((score[y].to_bits(), y as u32)));
            }
        }
        if remaining > 0 {
            let g = total / remaining as f64;
            if g > best.0 {
                best = (g, order.len());
            }
        }
    }
    // Nodes peeled after the best prefix point form the block.
    let kept = &order[best.1..];
    let mut acc: Vec<u32> = kept
        .iter()
        .filter(|&&x| (x as usize) < n_acc)
        .copied()
        .collect();
    let mut key: Vec<u32> = kept
        .iter()
        .filter(|&&x| (x as usize) >= n_acc)
        .map(|&x| x - n_acc as u32)
        .collect();
    acc.sort_unstable();
    key.sort_unstable();
    (acc, key)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn union_find_components() {
        let mut uf = UnionFind::new(6);
        uf.union(0, 1);
        uf.union(1, 2);
        uf.union(4, 5);
        assert_eq!(uf.components(2), vec![vec![0, 1, 2], vec![4, 5]]);
        assert_eq!(uf.components(3), vec![vec![0, 1, 2]]);
    }

    /// On random graphs the split only ever partitions: parts are disjoint, each lies inside
    /// one input component, a component is either kept whole or replaced by two or more parts
    /// of two or more vertices, and what a split drops are cut vertices and the vertices they
    /// leave alone.
    #[test]
    fn split_at_cut_vertices_only_partitions() {
        use rand::{Rng, SeedableRng};
        for seed in 0..300u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let n = rng.random_range(1..40usize);
            let m = rng.random_range(0..3 * n);
            let edges: Vec<(u32, u32)> = (0..m)
                .map(|_| (rng.random_range(0..n as u32), rng.random_range(0..n as u32)))
                .filter(|(a, b)| a != b)
                .collect();
            let comps = comps_of(n, &edges);
            let out = split_at_cut_vertices(n, &edges, comps.clone());
            let mut seen = vec![false; n];
            for part in &out {
                assert!(part.len() >= 2, "seed {seed}: {part:?}");
                for &v in part {
                    assert!(!seen[v as usize], "seed {seed}: {v} in two parts");
                    seen[v as usize] = true;
                }
                let home = comps
                    .iter()
                    .filter(|c| part.iter().all(|v| c.contains(v)))
                    .count();
                assert_eq!(home, 1, "seed {seed}: {part:?} spans components");
            }
            for c in &comps {
                let parts: Vec<&Vec<u32>> = out.iter().filter(|p| c.contains(&p[0])).collect();
                if parts.len() == 1 {
                    assert_eq!(parts[0], c, "seed {seed}: a kept component is kept whole");
                } else {
                    assert!(parts.len() >= 2, "seed {seed}: {c:?} lost");
                    // Dropped vertices disconnect the component: each is a cut vertex.
                    for &v in c.iter().filter(|v| !seen[**v as usize]) {
                        let rest: Vec<(u32, u32)> = edges
                            .iter()
                            .copied()
                            .filter(|&(a, b)| a != v && b != v)
                            .collect();
                        // Pieces of the component without v, single vertices included.
                        let mut uf = UnionFind::new(n);
                        for &(a, b) in &rest {
                            uf.union(a, b);
                        }
                        let pieces = uf
                            .components(1)
                            .into_iter()
                            .filter(|w| w[0] != v && w.iter().all(|x| c.contains(x)))
                            .count();
                        // Or a vertex left alone once the cut vertices went (a leaf on one):
                        // parts of one vertex are not parts.
                        let alone = edges
                            .iter()
                            .filter(|&&(a, b)| a == v || b == v)
                            .all(|&(a, b)| !seen[(if a == v { b } else { a }) as usize]);
                        assert!(
                            pieces >= 2 || alone,
                            "seed {seed}: {v} dropped but neither a cut vertex nor alone"
                        );
                    }
                }
            }
        }
    }
}
