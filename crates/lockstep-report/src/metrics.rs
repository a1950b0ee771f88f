//! Honest per-video metrics: what the ranking signals are with and without flagged accounts.
//!
//! *Clean* counts drop every event of a flagged account; *weighted* counts weight each event by
//! `1 − score` of its account, for consumers that prefer a soft correction. A view is a completion
//! when `watch_ms >= video_ms` (views missing either are not counted in the rate).

use lockstep_core::{Action, EventStore};
use lockstep_detect::Detection;

/// Raw and clean (without flagged accounts) counts of one target.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct VideoMetrics {
    /// Target id in the store.
    pub target: u32,
    /// All views.
    pub views: u64,
    /// Views by unflagged accounts.
    pub clean_views: u64,
    /// All likes.
    pub likes: u64,
    /// Likes by unflagged accounts.
    pub clean_likes: u64,
    /// All comments.
    pub comments: u64,
    /// Comments by unflagged accounts.
    pub clean_comments: u64,
    /// All shares.
    pub shares: u64,
    /// Shares by unflagged accounts.
    pub clean_shares: u64,
    /// Views with both `watch_ms` and `video_ms` known (the completion-rate denominator).
    pub timed_views: u64,
    /// Timed views watched to the end.
    pub completions: u64,
    /// Timed views by unflagged accounts.
    pub clean_timed_views: u64,
    /// Of those, watched to the end.
    pub clean_completions: u64,
    /// Views weighted by 1 − score.
    pub weighted_views: f64,
    /// Likes weighted by 1 − score.
    pub weighted_likes: f64,
    /// Comments weighted by 1 − score.
    pub weighted_comments: f64,
    /// Shares weighted by 1 − score.
    pub weighted_shares: f64,
    /// Follow events on the target (creators' accounts), raw and without flagged followers.
    pub followers: u64,
    /// Follows by unflagged accounts.
    pub clean_followers: u64,
}

fn rate(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

impl VideoMetrics {
    /// Views, likes, comments and shares, each raw then clean (the order of `videos.csv`).
    pub fn counts(&self) -> [u64; 8] {
        [
            self.views,
            self.clean_views,
            self.likes,
            self.clean_likes,
            self.comments,
            self.clean_comments,
            self.shares,
            self.clean_shares,
        ]
    }
    /// Completions over timed views; `None` without timed views.
    pub fn completion_rate(&self) -> Option<f64> {
        rate(self.completions, self.timed_views)
    }
    /// The same over unflagged accounts' views.
    pub fn clean_completion_rate(&self) -> Option<f64> {
        rate(self.clean_completions, self.clean_timed_views)
    }
    /// Raw engagement (views + likes + comments + shares) over clean engagement; 1 = no inflation.
    pub fn inflation(&self) -> f64 {
        let raw = self.views + self.likes + self.comments + self.shares;
        let clean = self.clean_views + self.clean_likes + self.clean_comments + self.clean_shares;
        if clean == 0 {
            if raw == 0 {
                1.0
            } else {
                raw as f64
            }
        } else {
            raw as f64 / clean as f64
        }
    }
    /// Share of likes that came from flagged accounts.
    pub fn flagged_like_share(&self) -> f64 {
        if self.likes == 0 {
            0.0
        } else {
            (self.likes - self.clean_likes) as f64 / self.likes as f64
        }
    }
    /// Share of views that came from flagged accounts.
    pub fn flagged_view_share(&self) -> f64 {
        if self.views == 0 {
            0.0
        } else {
            (self.views - self.clean_views) as f64 / self.views as f64
        }
    }
}

/// Metrics for every target that received a view, like, comment, share or follow, ordered by
/// target name.
pub fn video_metrics(store: &EventStore, det: &Detection) -> Vec<VideoMetrics> {
    use rayon::prelude::*;
    // Each event needs only its account's flag and weight: a compact array of them stays in
    // cache far better than the verdicts (with their reasons) it is read from.
    let per_account: Vec<(f32, bool)> = det
        .accounts
        .par_iter()
        .map(|v| (v.score, !v.flagged))
        .collect();
    let out: Vec<VideoMetrics> = (0..store.n_targets() as u32)
        .into_par_iter()
        .filter_map(|t| {
            let mut m = VideoMetrics {
                target: t,
                ..Default::default()
            };
            let mut any = false;
            for &e in store.events_on_target(t) {
                let a = store.account[e as usize] as usize;
                let (score, clean) = per_account[a];
                let w = 1.0 - score as f64;
                match store.action(e) {
                    Action::View => {
                        any = true;
                        m.views += 1;
                        m.weighted_views += w;
                        let timed = store.watch_of(e).zip(store.video_len_of(e));
                        if let Some((watch, len)) = timed {
                            m.timed_views += 1;
                            let done = watch >= len;
                            m.completions += done as u64;
                            if clean {
                                m.clean_timed_views += 1;
                                m.clean_completions += done as u64;
                            }
                        }
                        m.clean_views += clean as u64;
                    }
                    Action::Like => {
                        any = true;
                        m.likes += 1;
                        m.clean_likes += clean as u64;
                        m.weighted_likes += w;
                    }
                    Action::Comment => {
                        any = true;
                        m.comments += 1;
                        m.clean_comments += clean as u64;
                        m.weighted_comments += w;
                    }
                    Action::Share => {
                        any = true;
                        m.shares += 1;
                        m.clean_shares += clean as u64;
                        m.weighted_shares += w;
                    }
                    Action::Follow => {
                        any = true;
                        m.followers += 1;
                        m.clean_followers += clean as u64;
                    }
                    _ => {}
                }
            }
            any.then_some(m)
        })
        .collect();
    // By name, on an inline prefix first (see `ranked_accounts`).
    let mut keyed: Vec<(u64, VideoMetrics)> = out
        .into_par_iter()
        .map(|m| (crate::name_prefix(store.targets.name(m.target)), m))
        .collect();
    keyed.par_sort_unstable_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| {
            store
                .targets
                .name(a.1.target)
                .cmp(store.targets.name(b.1.target))
        })
    });
    keyed.into_iter().map(|k| k.1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::{EventStoreBuilder, RawEvent};
    use lockstep_detect::AccountVerdict;

    #[test]
    fn clean_counts_drop_flagged_accounts() {
        let mut b = EventStoreBuilder::new();
        let rows = [
            ("1", "real", "view", "v", "10000", "10000"),
            ("2", "real", "like", "v", "", ""),
            ("3", "fake", "view", "v", "12000", "10000"),
            ("4", "fake", "like", "v", "", ""),
            ("5", "fake", "comment", "v", "", ""),
            ("7", "fake", "follow", "v", "", ""),
            ("8", "real", "follow", "v", "", ""),
            ("6", "real2", "view", "v", "3000", "10000"),
        ];
        for (ts, a, act, t, w, l) in rows {
            b.push_raw(&RawEvent {
                ts,
                account: a,
                action: act,
                target: t,
                watch_ms: Some(w),
                video_ms: Some(l),
                ..Default::default()
            })
            .unwrap();
        }
        let s = b.finish();
        let mut det = Detection {
            accounts: vec![AccountVerdict::default(); s.n_accounts()],
            ..Default::default()
        };
        let fake = s.accounts.get("fake").unwrap() as usize;
        det.accounts[fake] = AccountVerdict {
            score: 0.75,
            flagged: true,
            ..Default::default()
        };
        let m = &video_metrics(&s, &det)[0];
        assert_eq!((m.views, m.clean_views), (3, 2));
        assert_eq!((m.likes, m.clean_likes), (2, 1));
        assert_eq!((m.comments, m.clean_comments), (1, 0));
        assert_eq!(m.completion_rate(), Some(2.0 / 3.0));
        assert_eq!(m.clean_completion_rate(), Some(0.5));
        assert!((m.weighted_likes - 1.25).abs() < 1e-9);
        assert!((m.inflation() - 6.0 / 3.0).abs() < 1e-9);
        assert!((m.flagged_like_share() - 0.5).abs() < 1e-9);
        assert_eq!((m.followers, m.clean_followers), (2, 1));
    }
}
