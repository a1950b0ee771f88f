//! MIDAS-R: a streaming burst score per event (per edge account → target), in constant memory.
//!
//! **Idea.** Bhatia et al., "MIDAS: Microcluster-Based Detector of Anomalies in Edge Streams"
//! (AAAI 2020). Count-min sketches keep, for each edge (u, v) and each endpoint, the total count
//! `s` so far and the count `a` in the current tick. Under the null that an edge arrives at a
//! steady rate, `a` should be near `s / t` at tick `t`; the chi-squared statistic
//! `(a − s/t)² · t² / (s · (t − 1))` scores a burst. The R variant decays the current counts by
//! `decay` at each new tick instead of resetting them (so bursts spanning ticks still count) and
//! takes the maximum of the edge's, the source's and the destination's scores.
//!
//! **Complexity.** O(rows) per event; memory `3 · 2 · rows · buckets` counters, independent of the
//! stream's size — the shape a live mode needs (state fed window by window).

/// A count-min sketch of `rows × buckets` f64 counters.
#[derive(Debug, Clone)]
struct Cms {
    rows: usize,
    buckets: usize,
    seeds: Vec<u64>,
    counts: Vec<f64>,
}

impl Cms {
    fn new(rows: usize, buckets: usize, seed: u64) -> Cms {
        Cms {
            rows,
            buckets,
            seeds: (0..rows as u64)
                .map(|r| {
                    (seed ^ 0x9E37_79B9_7F4A_7C15)
                        .wrapping_mul(r * 2 + 1)
                        .rotate_left(17)
                        | 1
                })
                .collect(),
            counts: vec![0.0; rows * buckets],
        }
    }

    #[inline]
    fn slot(&self, r: usize, key: u64) -> usize {
        let h = (key ^ self.seeds[r]).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        r * self.buckets + ((h ^ (h >> 31)) % self.buckets as u64) as usize
    }

    fn add(&mut self, key: u64, by: f64) {
        for r in 0..self.rows {
            let i = self.slot(r, key);
            self.counts[i] += by;
        }
    }

    fn get(&self, key: u64) -> f64 {
        (0..self.rows)
            .map(|r| self.counts[self.slot(r, key)])
            .fold(f64::INFINITY, f64::min)
    }

    fn scale(&mut self, by: f64) {
        for c in self.counts.iter_mut() {
            *c *= by;
        }
    }
}

/// The streaming MIDAS-R scorer.
#[derive(Debug, Clone)]
pub struct MidasR {
    decay: f64,
    tick: i64,
    edge_now: Cms,
    edge_all: Cms,
    src_now: Cms,
    src_all: Cms,
    dst_now: Cms,
    dst_all: Cms,
}

fn chi2(a: f64, s: f64, t: f64) -> f64 {
    if s == 0.0 || t <= 1.0 {
        0.0
    } else {
        (a - s / t).powi(2) * t * t / (s * (t - 1.0))
    }
}

impl MidasR {
    /// `rows × buckets` per sketch (the reference uses 2 × 1024 and decay 0.5).
    pub fn new(rows: usize, buckets: usize, decay: f64) -> MidasR {
        MidasR {
            decay,
            tick: i64::MIN,
            edge_now: Cms::new(rows, buckets, 1),
            edge_all: Cms::new(rows, buckets, 1),
            src_now: Cms::new(rows, buckets, 2),
            src_all: Cms::new(rows, buckets, 2),
            dst_now: Cms::new(rows, buckets, 3),
            dst_all: Cms::new(rows, buckets, 3),
        }
    }

    /// Score one event `src → dst` at `tick` (ticks must not go backwards; the first tick is 1).
    pub fn score(&mut self, src: u32, dst: u32, tick: i64) -> f64 {
        if self.tick == i64::MIN {
            self.tick = tick;
        }
        if tick > self.tick {
            // Decay once per elapsed tick, as the reference does on each tick change.
            let f = self.decay.powi((tick - self.tick).min(64) as i32);
            self.edge_now.scale(f);
            self.src_now.scale(f);
            self.dst_now.scale(f);
            self.tick = tick;
        }
        let t = tick as f64;
        let e = ((src as u64) << 32) | dst as u64;
        self.edge_now.add(e, 1.0);
        self.edge_all.add(e, 1.0);
        self.src_now.add(src as u64, 1.0);
        self.src_all.add(src as u64, 1.0);
        self.dst_now.add(dst as u64, 1.0);
        self.dst_all.add(dst as u64, 1.0);
        let se = chi2(self.edge_now.get(e), self.edge_all.get(e), t);
        let su = chi2(
            self.src_now.get(src as u64),
            self.src_all.get(src as u64),
            t,
        );
        let sv = chi2(
            self.dst_now.get(dst as u64),
            self.dst_all.get(dst as u64),
            t,
        );
        se.max(su).max(sv)
    }
}

/// One MIDAS-F sketch family (edges, sources or destinations): the decayed current counts, this
/// tick's raw counts, the filtered history, and the worst score seen per slot this tick.
#[derive(Debug, Clone)]
struct Filtered {
    now: Cms,
    tick: Cms,
    history: Cms,
    worst: Vec<f64>,
}

impl Filtered {
    fn new(rows: usize, buckets: usize, seed: u64) -> Filtered {
        Filtered {
            now: Cms::new(rows, buckets, seed),
            tick: Cms::new(rows, buckets, seed),
            history: Cms::new(rows, buckets, seed),
            worst: vec![0.0; rows * buckets],
        }
    }

    fn add_and_score(&mut self, key: u64, t: f64) -> f64 {
        self.now.add(key, 1.0);
        self.tick.add(key, 1.0);
        chi2(
            self.now.get(key),
            self.history.get(key) + self.tick.get(key),
            t,
        )
    }

    fn note(&mut self, key: u64, score: f64) {
        for r in 0..self.now.rows {
            let i = self.now.slot(r, key);
            self.worst[i] = self.worst[i].max(score);
        }
    }

    /// End of tick `ended` (ticks start at 1): slots whose worst score stayed below `threshold`
    /// add their counts to the history; the others add the history's mean per tick instead, so
    /// an attack does not teach the model that attacks are normal.
    fn close_tick(&mut self, ended: f64, threshold: f64, decay: f64) {
        let past = (ended - 1.0).max(1.0);
        for i in 0..self.worst.len() {
            let add = if self.worst[i] < threshold {
                self.tick.counts[i]
            } else {
                self.history.counts[i] / past
            };
            self.history.counts[i] += add;
            self.tick.counts[i] = 0.0;
            self.worst[i] = 0.0;
        }
        self.now.scale(decay);
    }
}

/// MIDAS-F: MIDAS-R whose history only learns from ticks that did not look anomalous.
///
/// **Idea.** Bhatia et al., "Real-Time Anomaly Detection in Edge Streams" (TKDD 2022), the
/// filtering variant: a sustained attack, counted into the history, soon looks normal and its
/// later edges score low. Here each count-min slot remembers the worst score of this tick's
/// events hashed to it; at the tick's end, slots below `threshold` merge their counts into the
/// history and the others merge the history's per-tick mean instead. Scores use the decayed
/// current count against history + this tick, as MIDAS-R does. Same O(rows) per event, plus
/// O(rows · buckets) per tick change.
#[derive(Debug, Clone)]
pub struct MidasF {
    decay: f64,
    threshold: f64,
    tick: i64,
    edge: Filtered,
    src: Filtered,
    dst: Filtered,
}

impl MidasF {
    /// A sketch of `rows` × `buckets` counters, decayed by `decay` per tick, flagging scores above `threshold`.
    pub fn new(rows: usize, buckets: usize, decay: f64, threshold: f64) -> MidasF {
        MidasF {
            decay,
            threshold,
            tick: i64::MIN,
            edge: Filtered::new(rows, buckets, 1),
            src: Filtered::new(rows, buckets, 2),
            dst: Filtered::new(rows, buckets, 3),
        }
    }

    /// Score one event `src → dst` at `tick` (ticks must not go backwards; the first tick is 1).
    pub fn score(&mut self, src: u32, dst: u32, tick: i64) -> f64 {
        if self.tick == i64::MIN {
            self.tick = tick;
        }
        if tick > self.tick {
            let ended = self.tick as f64;
            let f = self.decay.powi((tick - self.tick).min(64) as i32);
            for s in [&mut self.edge, &mut self.src, &mut self.dst] {
                s.close_tick(ended, self.threshold, f);
            }
            self.tick = tick;
        }
        let t = tick as f64;
        let e = ((src as u64) << 32) | dst as u64;
        let se = self.edge.add_and_score(e, t);
        let su = self.src.add_and_score(src as u64, t);
        let sv = self.dst.add_and_score(dst as u64, t);
        self.edge.note(e, se);
        self.src.note(src as u64, su);
        self.dst.note(dst as u64, sv);
        se.max(su).max(sv)
    }
}

/// MIDAS-F scores for every event of a store, like [`score_store`].
pub fn score_store_filtered(
    store: &lockstep_core::EventStore,
    tick_ms: i64,
    rows: usize,
    buckets: usize,
    decay: f64,
    threshold: f64,
) -> Vec<f64> {
    let mut m = MidasF::new(rows, buckets, decay, threshold);
    score_events_with(store, tick_ms, |s, d, t| m.score(s, d, t))
}

/// `score(account, target, tick)` for every event in store order; ticks of `tick_ms` numbered
/// from 1 at the first event's tick.
fn score_events_with(
    store: &lockstep_core::EventStore,
    tick_ms: i64,
    mut score: impl FnMut(u32, u32, i64) -> f64,
) -> Vec<f64> {
    let Some((t0, _)) = store.time_span() else {
        return Vec::new();
    };
    let first = t0.div_euclid(tick_ms);
    (0..store.len())
        .map(|e| {
            score(
                store.account[e],
                store.target[e],
                store.ts[e].div_euclid(tick_ms) - first + 1,
            )
        })
        .collect()
}

/// MIDAS-R scores for every event of a store (account → target), ticks of `tick_ms`, in store
/// order. Tick numbers start at 1 for the first event's tick.
pub fn score_store(
    store: &lockstep_core::EventStore,
    tick_ms: i64,
    rows: usize,
    buckets: usize,
    decay: f64,
) -> Vec<f64> {
    let mut m = MidasR::new(rows, buckets, decay);
    score_events_with(store, tick_ms, |s, d, t| m.score(s, d, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_scores_higher_than_a_steady_edge() {
        let mut m = MidasR::new(2, 1024, 0.5);
        let mut steady = 0.0;
        for t in 1..=50 {
            steady = m.score(1, 2, t);
        }
        // Edge 3 → 4 silent for 49 ticks, then 30 times in one tick.
        let mut burst = 0.0;
        for _ in 0..30 {
            burst = m.score(3, 4, 51);
        }
        assert!(
            burst > 100.0 * steady.max(1.0),
            "burst {burst} steady {steady}"
        );
        assert_eq!(chi2(1.0, 1.0, 1.0), 0.0);
        // Hand value: a = 5, s = 10, t = 5: (5 − 2)² · 25 / (10 · 4) = 5.625.
        assert!((chi2(5.0, 10.0, 5.0) - 5.625).abs() < 1e-12);
    }

    #[test]
    fn filtering_keeps_a_sustained_attack_anomalous() {
        // Edge 1 → 2 steady for 30 ticks; then edge 3 → 4 floods 40 times a tick for 10 ticks.
        let run = |filtered: bool| -> f64 {
            let mut r = MidasR::new(2, 1024, 0.5);
            let mut f = MidasF::new(2, 1024, 0.5, 1e3);
            let mut score = |s: u32, d: u32, t: i64| {
                if filtered {
                    f.score(s, d, t)
                } else {
                    r.score(s, d, t)
                }
            };
            for t in 1..=30 {
                score(1, 2, t);
            }
            let mut last = 0.0;
            for t in 31..=40 {
                for _ in 0..40 {
                    last = score(3, 4, t);
                }
                score(1, 2, t);
            }
            last
        };
        let (r, f) = (run(false), run(true));
        // MIDAS-R has learnt the flood by its tenth tick; MIDAS-F has not.
        assert!(f > 3.0 * r, "MIDAS-F {f} vs MIDAS-R {r}");
    }
}
