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
//! *Scripted rhythm*: the same script shows in the clock even when a log has no `watch_ms`: a
//! bot's consecutive views inside a session come at nearly constant intervals (a fixed dwell
//! range plus a fixed pause), a person's follow the videos' lengths and their attention. At least
//! `min_gaps` gaps of at most `max_gap_ms` between consecutive views, with CV ≤ `max_rhythm_cv`.
//!
//! *Batch logins*: logins are spread over the day; a console logs its phones in within seconds.
//! A `login_window_ms` window with at least `min_accounts` distinct accounts whose Poisson tail
//! against the local login rate (the surrounding hour) is below 10^−`min_surprise`
//! (Bonferroni-corrected over windows) is a batch. Strength grows with the batches (days) an
//! account was in; batches do not join accounts into groups, since at platform scale several
//! consoles fire in the same seconds. Members whose every known device carries no other account
//! are reported apart (`batch_login_single_devices`, context): a campus at the bell or a factory
//! at the shift change logs in hundreds of people on their own phones, a console logs in racks of
//! phones that each carry several accounts. Measured on `spread` (seeds 1–3, three days): campus
//! students no longer outrank missed farm accounts.
//!
//! **Complexity.** O(E) over each account's events for dwell and rhythm statistics; O(L) over logins
//! (already time-ordered) for batches.

use crate::finding::{Detector, DetectorId, Finding, Label};
use lockstep_core::{Action, EventStore};
use rayon::prelude::*;

/// This detector's id and version.
pub const ID: DetectorId = DetectorId {
    id: "scripted",
    version: 2,
};

/// Scripted dwell, rhythm and batch logins (see the module doc).
#[derive(Debug, Clone)]
pub struct ScriptedBehaviourDetector {
    /// Views with watch and video length an account needs for dwell statistics.
    pub min_views: usize,
    /// Coefficient of variation of watch time below which dwell looks scripted.
    pub max_dwell_cv: f64,
    /// Correlation of watch time with video length below which dwell ignores the video.
    pub max_length_r: f64,
    /// Gaps between consecutive views (within `max_gap_ms`) an account needs for a rhythm.
    pub min_gaps: usize,
    /// Longest gap between views counted in a rhythm.
    pub max_gap_ms: i64,
    /// Coefficient of variation of view gaps below which a rhythm looks scripted.
    pub max_rhythm_cv: f64,
    /// Width of a batch-login window.
    pub login_window_ms: i64,
    /// Span around a window whose logins give the local rate.
    pub context_ms: i64,
    /// Distinct accounts a login batch needs.
    pub min_accounts: usize,
    /// −log₁₀ of the Bonferroni-corrected tail a login batch needs.
    pub min_surprise: f64,
}

impl Default for ScriptedBehaviourDetector {
    fn default() -> Self {
        ScriptedBehaviourDetector {
            min_views: 15,
            // A uniform draw from [a, 2a] has CV 0.19; organic watch times have CV above 1.
            max_dwell_cv: 0.3,
            max_length_r: 0.3,
            min_gaps: 20,
            max_gap_ms: 120_000,
            // Fixed dwell U(8, 15) s plus a ~1 s pause: CV ≈ 0.17; organic gaps follow video
            // lengths and attention: CV near 1 (seeds 101–103).
            max_rhythm_cv: 0.25,
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

/// Rhythm of one account: (gaps, CV of the gaps) between consecutive views at most `max_gap`
/// apart.
fn rhythm_stats(store: &EventStore, a: u32, max_gap: i64) -> (usize, f64) {
    let (mut n, mut s, mut s2) = (0usize, 0f64, 0f64);
    let mut prev: Option<i64> = None;
    for &e in store.events_of_account(a) {
        if store.action(e) != Action::View {
            continue;
        }
        let t = store.ts[e as usize];
        if let Some(p) = prev {
            let g = t - p;
            if g > 0 && g <= max_gap {
                n += 1;
                s += g as f64;
                s2 += (g as f64).powi(2);
            }
        }
        prev = Some(t);
    }
    if n < 2 {
        return (n, f64::INFINITY);
    }
    let m = s / n as f64;
    (n, ((s2 / n as f64 - m * m).max(0.0)).sqrt() / m)
}

impl ScriptedBehaviourDetector {
    /// Accounts with a script-like statistic: (account, observations, the statistic's CV).
    /// Strength 0.3 at `min_obs` observations, +0.01 each, at most 0.5.
    fn nurturing_finding(
        &self,
        store: &EventStore,
        hits: Vec<(u32, usize, f64)>,
        min_obs: usize,
        label3: &'static str,
        cv_figure: &'static str,
        describe: impl Fn(usize, f64) -> String,
    ) -> Option<Finding> {
        if hits.is_empty() {
            return None;
        }
        let mean_cv = hits.iter().map(|h| h.2).sum::<f64>() / hits.len() as f64;
        let members: Vec<(u32, f32)> = hits
            .iter()
            .map(|&(a, n, _)| (a, (0.3 + 0.01 * (n - min_obs) as f32).min(0.5)))
            .collect();
        Some(Finding {
            links_members: false,
            detector: ID,
            label: Label {
                label1: "group_control",
                label2: "nurturing",
                label3,
            },
            summary: describe(members.len(), mean_cv),
            figures: vec![("accounts", members.len() as f64), (cv_figure, mean_cv)],
            members,
            targets: Vec::new(),
            span: store.time_span().unwrap_or((0, 0)),
            shared: Vec::new(),
        })
    }

    fn rhythm(&self, store: &EventStore) -> Option<Finding> {
        let hits: Vec<(u32, usize, f64)> = (0..store.n_accounts() as u32)
            .into_par_iter()
            .filter_map(|a| {
                let (n, cv) = rhythm_stats(store, a, self.max_gap_ms);
                (n >= self.min_gaps && cv <= self.max_rhythm_cv).then_some((a, n, cv))
            })
            .collect();
        self.nurturing_finding(store, hits, self.min_gaps, "scripted_rhythm", "mean_interval_cv", |n, cv| {
            format!(
                "{n} accounts move from video to video at a clock-like pace (interval CV {cv:.2} on average): \
                 a script's fixed dwell and pause, not a person's attention."
            )
        })
    }

    fn dwell(&self, store: &EventStore) -> Option<Finding> {
        let hits: Vec<(u32, usize, f64)> = (0..store.n_accounts() as u32)
            .into_par_iter()
            .filter_map(|a| {
                let (n, cv, r, len_cv) = dwell_stats(store, a)?;
                (n >= self.min_views
                    && cv <= self.max_dwell_cv
                    && r.abs() <= self.max_length_r
                    && len_cv >= 2.0 * cv)
                    .then_some((a, n, cv))
            })
            .collect();
        self.nurturing_finding(store, hits, self.min_views, "scripted_dwell", "mean_watch_cv", |n, cv| {
            format!(
                "{n} accounts watch videos for nearly the same time whatever their length (watch-time CV {cv:.2} on average, \
                 uncorrelated with video length): dwell times from a script."
            )
        })
    }

    fn batch_logins(&self, store: &EventStore) -> Vec<Finding> {
        let (groups, mean) = crate::bursts::action_burst_groups(
            store,
            Action::Login,
            self.login_window_ms,
            self.context_ms,
            self.min_accounts,
            self.min_surprise,
            self.min_accounts,
        );
        if groups.is_empty() {
            return Vec::new();
        }
        let own = single_account_device_users(store);
        let mut out = Vec::new();
        for g in groups {
            let biggest = g.bursts.iter().map(|b| b.0.len()).max().unwrap_or(0);
            // A bell (a campus, a shift change) logs in hundreds of people on their own phones;
            // a console logs in phones that carry several accounts. Members whose every known
            // device is their own are context; unknown devices stay evidence.
            let (bell, console): (Vec<_>, Vec<_>) =
                g.members.iter().partition(|&&(a, _)| own[a as usize]);
            for (members, label3, what) in [
                (console, "batch_login", "logged in together"),
                (
                    bell,
                    "batch_login_single_devices",
                    "each on a device of its own, logged in together (a bell or a shift change looks like this: context, not evidence)",
                ),
            ] {
                if members.is_empty() {
                    continue;
                }
                out.push(Finding {
                    links_members: false,
                    detector: ID,
                    label: Label {
                        label1: "group_control",
                        label2: "console",
                        label3,
                    },
                    summary: format!(
                        "{} accounts {what} in {} batch(es) of up to {biggest} accounts within {} s, against {:.2} logins per window on average.",
                        members.len(),
                        g.bursts.len(),
                        self.login_window_ms / 1000,
                        mean
                    ),
                    figures: vec![
                        ("accounts", members.len() as f64),
                        ("batches", g.bursts.len() as f64),
                        ("largest_batch", biggest as f64),
                        ("mean_logins_per_window", mean),
                    ],
                    members: members
                        .iter()
                        .map(|&(a, n)| (a, (0.3 * n as f32).min(0.9)))
                        .collect(),
                    targets: Vec::new(),
                    span: g.span,
                    shared: Vec::new(),
                });
            }
        }
        out
    }
}

/// Per account: whether it used at least one known device and every device it used carried no
/// other account (one pass over the events).
fn single_account_device_users(store: &EventStore) -> Vec<bool> {
    const NONE: u32 = u32::MAX;
    const SHARED: u32 = u32::MAX - 1;
    // Per device: its one account, or SHARED.
    let mut owner = vec![NONE; store.devices.len()];
    for e in 0..store.len() {
        let Some(d) = store.device_of(e as u32) else {
            continue;
        };
        let a = store.account[e];
        let o = &mut owner[d as usize];
        if *o == NONE {
            *o = a;
        } else if *o != a {
            *o = SHARED;
        }
    }
    let mut own = vec![false; store.n_accounts()];
    let mut seen = vec![false; store.n_accounts()];
    let mut shared = vec![false; store.n_accounts()];
    for e in 0..store.len() {
        if let Some(d) = store.device_of(e as u32) {
            let a = store.account[e] as usize;
            seen[a] = true;
            shared[a] |= owner[d as usize] == SHARED;
        }
    }
    for a in 0..own.len() {
        own[a] = seen[a] && !shared[a];
    }
    own
}

impl Detector for ScriptedBehaviourDetector {
    fn id(&self) -> DetectorId {
        ID
    }

    fn detect(&self, store: &EventStore) -> Vec<Finding> {
        let mut out = self.batch_logins(store);
        out.extend(self.dwell(store));
        out.extend(self.rhythm(store));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::{EventStoreBuilder, RawEvent};

    /// A view; `watch` 0 means the log has no watch time for it.
    fn view(b: &mut EventStoreBuilder, ts: i64, acc: &str, watch: u32, len: u32) {
        let w = if watch == 0 {
            String::new()
        } else {
            watch.to_string()
        };
        let (ts, l) = (ts.to_string(), len.to_string());
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

    /// A bot (8–15 s whatever the length, ~1 s pause) and a person (a share of the length,
    /// a pause of 0.5–5 s) each view 200 videos back to back.
    fn bot_and_person(b: &mut EventStoreBuilder, with_watch: bool) {
        let lens = [
            5_000u32, 9_000, 15_000, 30_000, 60_000, 12_000, 7_000, 45_000,
        ];
        let ratios = [0.1f64, 1.0, 0.5, 1.0, 2.0, 0.05, 1.0, 0.8, 0.3, 1.0];
        let (mut tb, mut tp) = (0i64, 1i64);
        for k in 0..200u32 {
            let len = lens[k as usize % lens.len()];
            let wb = 8_000 + k.wrapping_mul(2_654_435_761u32) % 7_000;
            let wp = (len as f64 * ratios[k as usize % ratios.len()]) as u32;
            let (wb_col, wp_col) = if with_watch { (wb, wp) } else { (0, 0) };
            view(b, tb, "bot", wb_col, len);
            view(b, tp, "person", wp_col, len);
            tb += wb as i64 + 1_000;
            tp += wp as i64 + 500 + (k.wrapping_mul(40_503) % 4_500) as i64;
        }
    }

    #[test]
    fn scripted_dwell_and_rhythm_find_the_bot_not_the_person() {
        let mut b = EventStoreBuilder::new();
        bot_and_person(&mut b, true);
        let s = b.finish();
        let f = ScriptedBehaviourDetector::default().detect(&s);
        let mut labels: Vec<&str> = f.iter().map(|x| x.label.label3).collect();
        labels.sort_unstable();
        assert_eq!(labels, vec!["scripted_dwell", "scripted_rhythm"], "{f:?}");
        for x in &f {
            assert_eq!(x.member_names(&s), vec!["bot"], "{x:?}");
        }
    }

    #[test]
    fn rhythm_needs_no_watch_times() {
        let mut b = EventStoreBuilder::new();
        bot_and_person(&mut b, false);
        let s = b.finish();
        let f = ScriptedBehaviourDetector::default().detect(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].label.label3, "scripted_rhythm");
        assert_eq!(f[0].member_names(&s), vec!["bot"]);
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
        assert_eq!(
            f[0].label.label3, "batch_login",
            "unknown devices stay evidence"
        );
    }

    #[test]
    fn a_bell_on_own_phones_is_context_and_a_rack_is_evidence() {
        let mut b = EventStoreBuilder::new();
        let mut login = |ts: i64, acc: String, dev: String| {
            b.push_raw(&RawEvent {
                ts: &ts.to_string(),
                account: &acc,
                action: "login",
                target: "",
                device: Some(&dev),
                ..Default::default()
            })
            .unwrap();
        };
        for u in 0..300i64 {
            login(
                (u * 7919 * 1000) % 86_400_000,
                format!("user{u}"),
                format!("d-user{u}"),
            );
        }
        // 20 students on their own phones at the bell; 12 farm accounts on 4 phones.
        for p in 0..20i64 {
            login(
                30_000_000 + p * 300,
                format!("student{p}"),
                format!("d-student{p}"),
            );
        }
        for p in 0..12i64 {
            login(
                60_000_000 + p * 300,
                format!("farm{p}"),
                format!("rack{}", p % 4),
            );
        }
        let s = b.finish();
        let f = ScriptedBehaviourDetector::default().batch_logins(&s);
        let by = |label: &str| -> Vec<String> {
            f.iter()
                .filter(|x| x.label.label3 == label)
                .flat_map(|x| x.member_names(&s))
                .map(str::to_string)
                .collect()
        };
        let (bell, rack) = (by("batch_login_single_devices"), by("batch_login"));
        assert!(
            bell.iter().filter(|n| n.starts_with("student")).count() >= 18,
            "{bell:?}"
        );
        assert_eq!(
            rack.iter().filter(|n| n.starts_with("farm")).count(),
            12,
            "{rack:?}"
        );
        assert!(!rack.iter().any(|n| n.starts_with("student")));
        assert_eq!(
            f.iter()
                .find(|x| x.label.label3 == "batch_login_single_devices")
                .map(|x| x.family()),
            Some(crate::Family::Context)
        );
    }
}
