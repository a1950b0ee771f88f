//! Injected fraud blocks in a real user–item graph, following FRAUDAR's evaluation protocol
//! (Hooi et al., "FRAUDAR: Bounding Graph Fraud in the Face of Camouflage", KDD 2016, §5):
//! blocks of fake accounts that each rate a fixed set of target items with some density, plus
//! *camouflage* — ratings of honest items that make the fake accounts look ordinary, chosen
//! at random ("random camouflage") or in proportion to the items' popularity ("biased
//! camouflage"), about as many as the fraudulent ones. The host graph (MovieLens, Yelp) stays
//! as it is, so everything else in it is organic behaviour nobody tuned to.
//!
//! Every parameter is drawn per block from its own seeded stream — block size, items, density,
//! camouflage kind, and the campaign's span in time (FRAUDAR's graphs have no time; real bought
//! ratings arrive over hours to days) — so no detector can be tuned to one shape of block.
//! Fake accounts are labelled bad with their block as `farm` and `injected_block` as tactic.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// How many blocks to inject, and the seed their parameters are drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Injection {
    /// Blocks to inject (0: none).
    pub blocks: usize,
    /// Seed of the blocks' random stream.
    pub seed: u64,
}

/// One injected block, as drawn (for the conversion's report).
#[derive(Debug, Clone, PartialEq)]
pub struct InjectedBlock {
    /// `B1`, `B2`, …: the `farm` column of its accounts' labels.
    pub name: String,
    /// Fake accounts.
    pub accounts: usize,
    /// Target items.
    pub items: usize,
    /// Share of (account, item) pairs of the block that are rated.
    pub density: f64,
    /// `none`, `random` or `biased`.
    pub camouflage: &'static str,
    /// How long the campaign's ratings are spread over, in hours.
    pub span_hours: f64,
}

/// Add `inj.blocks` blocks to `rows` (`(ts ms, account, item, rating)`), labelling their
/// accounts bad in `farms` (account → block name). Items are the host's own (a block pushes
/// real, little-rated items); accounts are new (`x{block}_{i}`).
pub fn inject_blocks(
    rows: &mut Vec<(i64, String, String, f32)>,
    inj: Injection,
    farms: &mut BTreeMap<String, String>,
) -> Vec<InjectedBlock> {
    if inj.blocks == 0 || rows.is_empty() {
        return Vec::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(inj.seed ^ 0xF2A0_DA2B);
    let (t0, t1) = rows.iter().fold((i64::MAX, i64::MIN), |(lo, hi), r| {
        (lo.min(r.0), hi.max(r.0))
    });
    // Items by popularity (ratings), and every rating's item for biased camouflage.
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows.iter() {
        *count.entry(r.2.as_str()).or_insert(0) += 1;
    }
    let mut by_pop: Vec<(&str, usize)> = count.iter().map(|(k, &v)| (*k, v)).collect();
    by_pop.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let items: Vec<String> = by_pop.iter().map(|x| x.0.to_string()).collect();
    let rated: Vec<String> = rows.iter().map(|r| r.2.clone()).collect();
    let ratings: Vec<f32> = rows.iter().map(|r| r.3).collect();
    let top = ratings.iter().copied().fold(f32::MIN, f32::max);
    let n_users = {
        let mut u: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        u.sort_unstable();
        u.dedup();
        u.len()
    };
    let mut out = Vec::new();
    for b in 0..inj.blocks {
        let name = format!("B{}", b + 1);
        // Sizes in proportion to the host (FRAUDAR: 200 × 200 in graphs of 10⁵–10⁶ nodes).
        let max_accounts = (n_users / 5).clamp(10, 400);
        let m = rng.random_range((max_accounts / 4).max(5)..=max_accounts);
        let k = rng.random_range(10..=(items.len() / 20).clamp(11, 200));
        let density = rng.random_range(0.05..0.5);
        let camouflage = ["none", "random", "biased"][rng.random_range(0..3)];
        let span = rng.random_range(6.0..(7.0 * 24.0));
        let span_ms = (span * 3_600_000.0) as i64;
        let start = rng.random_range(t0..=(t1 - span_ms).max(t0));
        // Targets: items outside the most rated tenth (nobody buys ratings for a hit).
        let tail = &items[(items.len() / 10).min(items.len() - 1)..];
        let targets: Vec<&String> = tail.choose_multiple(&mut rng, k.min(tail.len())).collect();
        for i in 0..m {
            let acc = format!("x{}_{i}", b + 1);
            let mut fraud = 0usize;
            for t in &targets {
                if rng.random_bool(density) {
                    let ts = start + rng.random_range(0..span_ms.max(1));
                    rows.push((ts, acc.clone(), (*t).clone(), top));
                    fraud += 1;
                }
            }
            if fraud == 0 {
                let t = targets[rng.random_range(0..targets.len())];
                rows.push((start, acc.clone(), t.clone(), top));
                fraud = 1;
            }
            for _ in 0..fraud {
                let item = match camouflage {
                    "random" => items.choose(&mut rng).cloned(),
                    "biased" => rated.choose(&mut rng).cloned(),
                    _ => None,
                };
                if let Some(item) = item {
                    let r = *ratings.choose(&mut rng).expect("rows are not empty");
                    rows.push((rng.random_range(t0..=t1), acc.clone(), item, r));
                }
            }
            farms.insert(acc, name.clone());
        }
        out.push(InjectedBlock {
            name,
            accounts: m,
            items: targets.len(),
            density,
            camouflage,
            span_hours: span,
        });
    }
    // Camouflage may repeat an (account, item) pair: keep the first rating, as a site would.
    rows.sort_by(|x, y| (&x.1, &x.2, x.0).cmp(&(&y.1, &y.2, y.0)));
    rows.dedup_by(|a, b| a.1 == b.1 && a.2 == b.2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Vec<(i64, String, String, f32)> {
        let mut rows = Vec::new();
        for u in 0..300 {
            for k in 0..10 {
                let item = (u * 7 + k * 13) % 400;
                rows.push((
                    1_000_000 + (u * 10 + k) as i64 * 60_000,
                    format!("u{u}"),
                    format!("m{item}"),
                    1.0 + ((u + k) % 5) as f32,
                ));
            }
        }
        rows
    }

    #[test]
    fn blocks_are_injected_labelled_and_reproducible() {
        let mut a = host();
        let mut fa = BTreeMap::new();
        let blocks = inject_blocks(&mut a, Injection { blocks: 3, seed: 7 }, &mut fa);
        assert_eq!(blocks.len(), 3);
        let fake: usize = blocks.iter().map(|b| b.accounts).sum();
        assert_eq!(fa.len(), fake);
        assert!(fa.keys().all(|k| k.starts_with('x')));
        // Every fake account rated at least one of its block's targets at the top rating.
        for acc in fa.keys() {
            assert!(a.iter().any(|r| &r.1 == acc && r.3 == 5.0), "{acc}");
        }
        // Host rows are all still there.
        assert!(a.iter().filter(|r| r.1.starts_with('u')).count() == 3000);
        let mut b = host();
        let mut fb = BTreeMap::new();
        inject_blocks(&mut b, Injection { blocks: 3, seed: 7 }, &mut fb);
        assert_eq!(a, b);
        assert_eq!(fa, fb);
        let mut c = host();
        inject_blocks(
            &mut c,
            Injection { blocks: 3, seed: 8 },
            &mut BTreeMap::new(),
        );
        assert_ne!(a, c, "another seed draws other blocks");
    }

    #[test]
    fn no_blocks_leaves_the_host_alone() {
        let mut a = host();
        inject_blocks(
            &mut a,
            Injection { blocks: 0, seed: 1 },
            &mut BTreeMap::new(),
        );
        assert_eq!(a, host());
    }
}
