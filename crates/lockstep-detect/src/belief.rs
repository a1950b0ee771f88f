//! Loopy belief propagation on an account – review – item graph: SpEagle's inference step.
//!
//! **Idea.** SpEagle (Rayana & Akoglu, "Collective Opinion Spam Detection: Bridging Review
//! Networks and Metadata", KDD 2015; after FraudEagle, Akoglu et al., ICWSM 2013) treats every
//! account, review and item as a binary variable (honest / suspicious) of a pairwise Markov random
//! field. Each node has a prior from its own metadata; an account and each of its reviews are
//! almost surely alike (coupling ε ≈ 0), a review and its item are alike with probability 1 − ε
//! (ε = 0.1: a targeted item attracts suspicious reviews, a suspicious review marks its item).
//! Belief propagation then lets an account's suspicion draw on the items it reviewed and on the
//! other reviews those items received — what one account's own footprint cannot show.
//!
//! **Messages.** With two states every message is one number, its log-odds. A node tells a
//! neighbour `φ_ε(its prior + what it heard from its other neighbours)`, where
//! `φ_ε(x) = ln((ε + (1−ε)eˣ) / ((1−ε) + ε eˣ))` is the log-odds after a noisy copy through the
//! edge between them; a review has two neighbours (its account, its item), an account or item one
//! per review. On a tree this is exact (the tests check it against enumeration). **Schedule** as in the public SpEagle code (UGFraud): a breadth-first order over the
//! graph, starting from the nodes of highest degree, swept backwards (from the leaves towards the
//! hubs) and then forwards, updating messages in place; two sweeps carry every account's evidence
//! to its items and back.
//!
//! **Complexity.** O(N log N) for the schedule (N = accounts + items + reviews), O(R) time and
//! 4 numbers of memory per review for each sweep.

/// Coupling and schedule of the propagation.
#[derive(Debug, Clone, Copy)]
pub struct BeliefParams {
    /// Chance that an account and its review differ (SpEagle's code: 1e-5).
    pub account_review_eps: f64,
    /// Chance that a review and its item differ (SpEagle: 0.1).
    pub review_item_eps: f64,
    /// Sweeps over the schedule; odd sweeps run it backwards (SpEagle's demo: 2).
    pub sweeps: usize,
}

impl Default for BeliefParams {
    fn default() -> Self {
        BeliefParams {
            account_review_eps: 1e-5,
            review_item_eps: 0.1,
            sweeps: 2,
        }
    }
}

/// ln(eᵃ + eᵇ) without overflow.
fn ln_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// Log-odds of a binary belief `x` (log-odds) after passing through an edge that flips the state
/// with probability `eps`.
pub fn through_edge(x: f64, eps: f64) -> f64 {
    let (le, l1e) = (eps.ln(), (-eps).ln_1p());
    ln_add_exp(le, l1e + x) - ln_add_exp(l1e, le + x)
}

/// log(p / (1 − p)), with p kept inside [1e-5, 1 − 1e-5] as SpEagle's code does.
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-5, 1.0 - 1e-5);
    (p / (1.0 - p)).ln()
}

/// Compressed adjacency: the reviews of each account or item.
struct Incidence {
    start: Vec<u32>,
    reviews: Vec<u32>,
}

impl Incidence {
    fn new(n: usize, ends: impl Iterator<Item = u32> + Clone) -> Incidence {
        let mut start = vec![0u32; n + 1];
        for x in ends.clone() {
            start[x as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut reviews = vec![0u32; start[n] as usize];
        for (r, x) in ends.enumerate() {
            reviews[fill[x as usize] as usize] = r as u32;
            fill[x as usize] += 1;
        }
        Incidence { start, reviews }
    }

    fn of(&self, x: u32) -> &[u32] {
        &self.reviews[self.start[x as usize] as usize..self.start[x as usize + 1] as usize]
    }
}

/// Posterior log-odds of every account.
///
/// `reviews[r] = (account, item)`; priors are log-odds (`account_prior` per account,
/// `review_prior` per review, `item_prior` per item). Accounts without reviews keep their prior.
pub fn propagate(
    reviews: &[(u32, u32)],
    account_prior: &[f64],
    review_prior: &[f64],
    item_prior: &[f64],
    params: BeliefParams,
) -> Vec<f64> {
    let (n_acc, n_items, n_rev) = (account_prior.len(), item_prior.len(), reviews.len());
    assert_eq!(review_prior.len(), n_rev, "one prior per review");
    let by_account = Incidence::new(n_acc, reviews.iter().map(|r| r.0));
    let by_item = Incidence::new(n_items, reviews.iter().map(|r| r.1));
    // Nodes: accounts [0, A), items [A, A + I), reviews [A + I, A + I + R).
    let (item0, rev0) = (n_acc as u32, (n_acc + n_items) as u32);
    let n_nodes = n_acc + n_items + n_rev;
    let degree = |v: u32| -> usize {
        if v < item0 {
            by_account.of(v).len()
        } else if v < rev0 {
            by_item.of(v - item0).len()
        } else {
            2
        }
    };
    // Breadth-first schedule from the highest-degree unvisited node.
    let mut by_degree: Vec<u32> = (0..n_nodes as u32).filter(|&v| degree(v) > 0).collect();
    by_degree.sort_by_key(|&v| std::cmp::Reverse(degree(v)));
    let mut seen = vec![false; n_nodes];
    let mut schedule: Vec<u32> = Vec::with_capacity(by_degree.len());
    for &root in &by_degree {
        if seen[root as usize] {
            continue;
        }
        seen[root as usize] = true;
        let mut head = schedule.len();
        schedule.push(root);
        while head < schedule.len() {
            let v = schedule[head];
            head += 1;
            let mut visit = |w: u32| {
                if !seen[w as usize] {
                    seen[w as usize] = true;
                    schedule.push(w);
                }
            };
            if v < item0 {
                by_account.of(v).iter().for_each(|&r| visit(rev0 + r));
            } else if v < rev0 {
                by_item.of(v - item0).iter().for_each(|&r| visit(rev0 + r));
            } else {
                let (a, i) = reviews[(v - rev0) as usize];
                visit(a);
                visit(item0 + i);
            }
        }
    }
    // Messages, as log-odds, all starting uninformative.
    let mut acc_to_rev = vec![0f64; n_rev];
    let mut rev_to_acc = vec![0f64; n_rev];
    let mut item_to_rev = vec![0f64; n_rev];
    let mut rev_to_item = vec![0f64; n_rev];
    let mut update = |v: u32| {
        if v < item0 {
            let rs = by_account.of(v);
            let total =
                account_prior[v as usize] + rs.iter().map(|&r| rev_to_acc[r as usize]).sum::<f64>();
            for &r in rs {
                acc_to_rev[r as usize] =
                    through_edge(total - rev_to_acc[r as usize], params.account_review_eps);
            }
        } else if v < rev0 {
            let rs = by_item.of(v - item0);
            let total = item_prior[(v - item0) as usize]
                + rs.iter().map(|&r| rev_to_item[r as usize]).sum::<f64>();
            for &r in rs {
                item_to_rev[r as usize] =
                    through_edge(total - rev_to_item[r as usize], params.review_item_eps);
            }
        } else {
            let r = (v - rev0) as usize;
            rev_to_acc[r] =
                through_edge(review_prior[r] + item_to_rev[r], params.account_review_eps);
            rev_to_item[r] = through_edge(review_prior[r] + acc_to_rev[r], params.review_item_eps);
        }
    };
    for sweep in 0..params.sweeps {
        if sweep % 2 == 0 {
            schedule.iter().rev().for_each(|&v| update(v));
        } else {
            schedule.iter().for_each(|&v| update(v));
        }
    }
    (0..n_acc as u32)
        .map(|a| {
            account_prior[a as usize]
                + by_account
                    .of(a)
                    .iter()
                    .map(|&r| rev_to_acc[r as usize])
                    .sum::<f64>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edge_passes_beliefs_on_weakened_and_symmetric() {
        assert!(through_edge(0.0, 0.1).abs() < 1e-12);
        // A certain belief through a 0.1-noisy edge is 0.9 : 0.1.
        assert!((through_edge(50.0, 0.1) - (9.0f64).ln()).abs() < 1e-9);
        assert!((through_edge(-3.0, 0.2) + through_edge(3.0, 0.2)).abs() < 1e-12);
        // A nearly noiseless edge passes the belief on unchanged.
        assert!((through_edge(2.5, 1e-5) - 2.5).abs() < 1e-3);
        assert!(through_edge(1e6, 0.1).is_finite());
    }

    /// Two items, each reviewed by four accounts. On item 0 three reviews look bought; on item 1
    /// none does. Two accounts with the same neutral prior and the same neutral review, one on
    /// each item: the one on the targeted item must come out more suspicious.
    #[test]
    fn a_review_on_a_targeted_item_inherits_its_suspicion() {
        let reviews = vec![
            (0, 0),
            (1, 0),
            (2, 0),
            (3, 0),
            (4, 1),
            (5, 1),
            (6, 1),
            (7, 1),
        ];
        let account_prior = vec![0.0; 8];
        let bought = logit(0.9);
        let review_prior = vec![bought, bought, bought, 0.0, 0.0, 0.0, 0.0, 0.0];
        let post = propagate(
            &reviews,
            &account_prior,
            &review_prior,
            &[0.0, 0.0],
            BeliefParams::default(),
        );
        assert!(post[3] > post[7] + 0.1, "{post:?}");
        // The bought reviews' authors stay the most suspicious.
        assert!(post[0] > post[3]);
        // Without the item edge (ε = 0.5: no coupling) nothing is inherited.
        let cut = BeliefParams {
            review_item_eps: 0.5,
            ..Default::default()
        };
        let post = propagate(&reviews, &account_prior, &review_prior, &[0.0, 0.0], cut);
        assert!((post[3] - post[7]).abs() < 1e-9);
    }

    /// On a tree, belief propagation is exact: compare with brute-force enumeration of the
    /// 2⁷ joint states of a0 – r0 – i0 – r1 – a1 – r2 – i1.
    #[test]
    fn on_a_tree_the_posteriors_are_exact() {
        let reviews = [(0u32, 0u32), (1, 0), (1, 1)];
        let (pa, pr, pi) = ([0.4, -0.7], [1.2, -0.3, 2.0], [0.5, -1.1]);
        let params = BeliefParams {
            account_review_eps: 0.05,
            review_item_eps: 0.2,
            sweeps: 4,
        };
        let post = propagate(&reviews, &pa, &pr, &pi, params);
        let pair = |x: u32, y: u32, eps: f64| if x == y { 1.0 - eps } else { eps };
        let mut odds = [[0.0f64; 2]; 2];
        for state in 0u32..128 {
            let bit = |k: u32| (state >> k) & 1;
            let (a, r, i) = ([bit(0), bit(1)], [bit(2), bit(3), bit(4)], [bit(5), bit(6)]);
            let mut w = 1.0;
            for k in 0..2 {
                w *= (pa[k] * a[k] as f64).exp() * (pi[k] * i[k] as f64).exp();
            }
            for (k, &(acc, item)) in reviews.iter().enumerate() {
                w *= (pr[k] * r[k] as f64).exp();
                w *= pair(r[k], a[acc as usize], params.account_review_eps);
                w *= pair(r[k], i[item as usize], params.review_item_eps);
            }
            for k in 0..2 {
                odds[k][a[k] as usize] += w;
            }
        }
        for k in 0..2 {
            let exact = (odds[k][1] / odds[k][0]).ln();
            assert!(
                (post[k] - exact).abs() < 1e-9,
                "account {k}: {} vs {exact}",
                post[k]
            );
        }
    }

    #[test]
    fn accounts_without_reviews_keep_their_prior() {
        let post = propagate(
            &[(0, 0)],
            &[0.3, -1.0],
            &[0.0],
            &[0.0],
            BeliefParams::default(),
        );
        assert_eq!(post[1], -1.0);
        assert!((post[0] - 0.3).abs() < 1e-3);
    }
}
