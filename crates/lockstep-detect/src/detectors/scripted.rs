//! Scripted behaviour: dwell times that come from a script, and logins that a console fires at
//! many accounts within seconds.
//!
//! **Idea.** Nurturing scripts (养号) "watch" the feed for a random time from a fixed range,
//! whatever the video's length; a person's watch time follows the video — skips, partial watches,
//! completions and replays are all proportional to its length. Per account, over its views with
//! both `watch_ms` and `video_ms`: a *scripted dwell* is at least `min_views` views whose watch
//! times barely vary (coefficient of variation ≤ `max_dwell_cv`) while the videos' lengths do,
//! and whose watch times are uncorrelated with length (|Pearson r of the logs| ≤ `max_length_r`).
//! This is evidence about each account alone (it does not join accounts into a group).
//!
//! *Batch logins*: logins are spread over the day; a console logs its phones in within seconds.
//! A `login_window_ms` window with at least `min_accounts` distinct accounts whose Poisson tail
//! against the local login rate (the surrounding hour) is below 10^−`min_surprise`
//! (Bonferroni-corrected over windows) is a batch. Strength grows with the batches (days) an
//! account was in; batches do not join accounts into groups, since at platform scale several
//! consoles fire in the same seconds.
//!
//! **Complexity.** O(E) over each account's events for dwell statistics; O(L) over logins
//! (already time-ordered) for batches.

use crate::finding::{Detector, DetectorId, Finding, Label};
use lockstep_core::{Action, EventStore};
use rayon::prelude::*;

pub const ID: DetectorId = DetectorId {
    id: "scripted",
    version: 1,
};

#[derive(Debug, Clone)]
pub struct ScriptedBehaviourDetector {
    pub min_views: usize,
    pub max_dwell_cv: f64,
    pub max_length_r: f64,
    pub login_window_ms: i64,
    /// Span around a window whose logins give the local rate.
    pub context_ms: i64,
    pub min_accounts: usize,
    pub min_surprise: f64,
}

impl Default for ScriptedBehaviourDetector {
    fn default() -> Self {
        ScriptedBehaviourDetector {
            min_views: 15,
            // A uniform draw from [a, 2a] has CV 0.19; organic watch times have CV above 1.
            max_dwell_cv: 0.3,
            max_length_r: 0.3,
            login_window_ms: 30_000,
            context_ms: 3_600_000,
            min_accounts: 5,
            min_surprise: 3.0,
        }
    }
}

/// Dwell statistics of one account: (views, CV of watch time, r of log watch vs log length,
/// CV of video length).
fn dwell_stats(store: &EventStore, a: u32) -> Option<(usize, f64, f64, f64)> {
    let (mut n, mut sw, mut sw2, mut sl, mut sl2, mut swl) = (0usize, 0f64, 0f64, 0f64, 0f64, 0f64);
    let (mut w_sum, mut w_sq, mut l_sum, mut l_sq) = (0f64, 0f64, 0f64, 0f64);
    for &e in store.events_of_account(a) {
        if store.action(e) != Action::View {
            continue;
        }
        let (Some(w), Some(l)) = (store.watch_of(e), store.video_len_of(e)) else {
            continue;
        };
        if w == 0 || l == 0 {
            continue;
        }
        let (x, y) = ((w as f64).ln(), (l as f64).ln());
        n += 1;
        sw += x;
        sw2 += x * x;
        sl += y;
        sl2 += y * y;
        swl += x * y;
        w_sum += w as f64;
        w_sq += (w as f64).powi(2);
        l_sum += l as f64;
        l_sq += (l as f64).powi(2);
    }
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let cv = |s: f64, s2: f64| {
        let m = s / nf;
        ((s2 / nf - m * m).max(0.0)).sqrt() / m.max(1e-9)
    };
    let var_w = sw2 / nf - (sw / nf).powi(2);
    let var_l = sl2 / nf - (sl / nf).powi(2);
    let cov = swl / nf - (sw / nf) * (sl / nf);
    let r = if var_w > 1e-12 && var_l > 1e-12 {
        cov / (var_w * var_l).sqrt()
    } else {
        0.0
    };
    Some((n, cv(w_sum, w_sq), r, cv(l_sum, l_sq)))
}

impl ScriptedBehaviourDetector {
    fn dwell(&self, store: &EventStore) -> Option<Finding> {
        let hits: Vec<(u32, usize, f64, f64)> = (0..store.n_accounts() as u32)
            .into_par_iter()
            .filter_map(|a| {
                let (n, cv, r, len_cv) = dwell_stats(store, a)?;
                (n >= self.min_views
                    && cv <= self.max_dwell_cv
                    && r.abs() <= self.max_length_r
                    && len_cv >= 2.0 * cv)
                    .then_some((a, n, cv, r))
            })
            .collect();
        if hits.is_empty() {
            return None;
        }
        let mean_cv = hits.iter().map(|h| h.2).sum::<f64>() / hits.len() as f64;
        let members: Vec<(u32, f32)> = hits
            .iter()
            .map(|&(a, n, _, _)| (a, (0.3 + 0.01 * (n - self.min_views) as f32).min(0.5)))
            .collect();
        Some(Finding {
            links_members: false,
            detector: ID,
            label: Label {
                label1: "group_control",
                label2: "nurturing",
                label3: "scripted_dwell",
            },
            summary: format!(
                "{} accounts watch videos for nearly the same time whatever their length (watch-time CV {:.2} on average, \
                 uncorrelated with video length): dwell times from a script.",
                members.len(),
                mean_cv
            ),
            figures: vec![("accounts", members.len() as f64), ("mean_watch_cv", mean_cv)],
            members,
            targets: Vec::new(),
            span: store.time_span().unwrap_or((0, 0)),
            shared: Vec::new(),
        })
    }

    fn batch_logins(&self, store: &EventStore) -> Vec<Finding> {
        let (groups, mean) = crate::util::action_burst_groups(
            store,
            Action::Login,
            self.login_window_ms,
            self.context_ms,
            self.min_accounts,
            self.min_surprise,
            self.min_accounts,
        );
        groups
            .into_iter()
            .map(|g| {
                let biggest = g.bursts.iter().map(|b| b.0.len()).max().unwrap_or(0);
                Finding {
                    links_members: false,
                    detector: ID,
                    label: Label {
                        label1: "group_control",
                        label2: "console",
                        label3: "batch_login",
                    },
                    summary: format!(
                        "{} accounts logged in together in {} batch(es) of up to {biggest} accounts within {} s, against {:.2} logins per window on average.",
                        g.members.len(),
                        g.bursts.len(),
                        self.login_window_ms / 1000,
                        mean
                    ),
                    figures: vec![
                        ("accounts", g.members.len() as f64),
                        ("batches", g.bursts.len() as f64),
                        ("largest_batch", biggest as f64),
                        ("mean_logins_per_window", mean),
                    ],
                    members: g.members.iter().map(|&(a, n)| (a, (0.3 * n as f32).min(0.9))).collect(),
                    targets: Vec::new(),
                    span: g.span,
                    shared: Vec::new(),
                }
            })
            .collect()
    }
}

impl Detector for ScriptedBehaviourDetector {
    fn id(&self) -> DetectorId {
        ID
    }

    fn detect(&self, store: &EventStore) -> Vec<Finding> {
        let mut out = self.batch_logins(store);
        out.extend(self.dwell(store));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::{EventStoreBuilder, RawEvent};

    fn view(b: &mut EventStoreBuilder, ts: i64, acc: &str, watch: u32, len: u32) {
        let (ts, w, l) = (ts.to_string(), watch.to_string(), len.to_string());
        b.push_raw(&RawEvent {
            ts: &ts,
            account: acc,
            action: "view",
            target: "v",
            watch_ms: Some(&w),
            video_ms: Some(&l),
            ..Default::default()
        })
        .unwrap();
    }

    #[test]
    fn scripted_dwell_is_found_and_a_heavy_organic_viewer_is_not() {
        let mut b = EventStoreBuilder::new();
        let lens = [
            5_000u32, 9_000, 15_000, 30_000, 60_000, 12_000, 7_000, 45_000,
        ];
        let ratios = [0.1f64, 1.0, 0.5, 1.0, 2.0, 0.05, 1.0, 0.8, 0.3, 1.0];
        for k in 0..200u32 {
            let len = lens[k as usize % lens.len()];
            // Script: 8–15 s, whatever the length.
            view(
                &mut b,
                k as i64 * 20_000,
                "bot",
                8_000 + k.wrapping_mul(2_654_435_761u32) % 7_000,
                len,
            );
            // Person: a share of the length.
            view(
                &mut b,
                k as i64 * 20_000 + 1,
                "person",
                (len as f64 * ratios[k as usize % ratios.len()]) as u32,
                len,
            );
        }
        let s = b.finish();
        let f = ScriptedBehaviourDetector::default().detect(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        let names = f[0].member_names(&s);
        assert_eq!(names, vec!["bot"]);
    }

    #[test]
    fn batch_logins_are_found_and_spread_logins_are_not() {
        let mut b = EventStoreBuilder::new();
        for u in 0..300i64 {
            let ts = (u * 7919 * 1000) % 86_400_000;
            b.push_raw(&RawEvent {
                ts: &ts.to_string(),
                account: &format!("user{u}"),
                action: "login",
                target: "",
                ..Default::default()
            })
            .unwrap();
        }
        for p in 0..12i64 {
            let ts = 30_000_000 + p * 400;
            b.push_raw(&RawEvent {
                ts: &ts.to_string(),
                account: &format!("phone{p}"),
                action: "login",
                target: "",
                ..Default::default()
            })
            .unwrap();
        }
        let s = b.finish();
        let f = ScriptedBehaviourDetector::default().batch_logins(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        let names = f[0].member_names(&s);
        // Every phone is in the batch; an organic login that happens to fall in the same 30 s
        // may be swept in, which is why one batch alone (strength 0.3) flags nobody.
        assert_eq!(names.iter().filter(|n| n.starts_with("phone")).count(), 12);
        assert!(names.len() <= 13, "{names:?}");
        assert!(f[0].members.iter().all(|&(_, w)| w < 0.5));
    }
}
