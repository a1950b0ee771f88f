//! Scheduled publishing: many accounts publishing within the same few minutes, far more than the
//! platform's publishing rate explains — consoles auto-publish on a timer.
//!
//! **Idea.** Publishing is spread over the day, so the count of publishes in a `window_ms` window
//! is about Poisson with λ from the publishes in the surrounding `context_ms` (the local rate:
//! evenings are busier than nights). A window holding `min_accounts` or more distinct publishers is a *publish burst* when its
//! Poisson tail P(X ≥ x; λ) is below 10^−`min_surprise` after a Bonferroni correction for the
//! number of windows in the log. A console publishing every day at one minute repeats the burst
//! daily: a member's strength grows with the number of bursts (days) it took part in — one burst
//! (0.25) is neither enough on its own nor enough to corroborate another family (fusion counts a
//! family from 0.3), since an organic creator may publish in the same minutes as a console (v2:
//! with v1's 0.3, friends who posted in a farm's minute on held-out `classic` seeds 1–3 were
//! flagged on that and their circle's co-engagement, 0.03–0.06% of organic accounts); a second
//! day at the console's minute is (0.5). The finding does not join its members into one
//! group: at platform scale several consoles share the same minutes.
//!
//! **Complexity.** O(P log P) to sort the P publish events (they are already in time order), one
//! linear sweep with two pointers.

use crate::finding::{Detector, DetectorId, Finding, Label};
use lockstep_core::{Action, EventStore};

/// This detector's id and version.
pub const ID: DetectorId = DetectorId {
    id: "scheduled_publish",
    version: 2,
};

/// Accounts that publish in the same minute, day after day (see the module doc).
#[derive(Debug, Clone)]
pub struct ScheduledPublishDetector {
    /// Width of a publish-burst window.
    pub window_ms: i64,
    /// Span around a window whose publishes give the local rate.
    pub context_ms: i64,
    /// Distinct accounts a burst needs.
    pub min_accounts: usize,
    /// −log10 of the Bonferroni-corrected tail a burst needs.
    pub min_surprise: f64,
    /// Smallest group reported.
    pub min_group: usize,
}

impl Default for ScheduledPublishDetector {
    fn default() -> Self {
        ScheduledPublishDetector {
            window_ms: 3 * 60_000,
            context_ms: 2 * 3_600_000,
            min_accounts: 5,
            min_surprise: 3.0,
            min_group: 5,
        }
    }
}

impl Detector for ScheduledPublishDetector {
    fn id(&self) -> DetectorId {
        ID
    }

    fn detect(&self, store: &EventStore) -> Vec<Finding> {
        let (groups, mean) = crate::bursts::action_burst_groups(
            store,
            Action::Publish,
            self.window_ms,
            self.context_ms,
            self.min_accounts,
            self.min_surprise,
            self.min_group,
        );
        groups
            .into_iter()
            .map(|g| {
                let minutes: Vec<String> = g
                    .bursts
                    .iter()
                    .take(5)
                    .map(|b| {
                        let ms = b.1.rem_euclid(86_400_000);
                        format!("{:02}:{:02} UTC", ms / 3_600_000, ms % 3_600_000 / 60_000)
                    })
                    .collect();
                Finding {
                    // Several farms can sit on the same few minutes; publishing together is
                    // evidence about each account, not proof of one operator.
                    links_members: false,
                    detector: ID,
                    label: Label {
                        label1: "group_control",
                        label2: "content",
                        label3: "scheduled_publishing",
                    },
                    summary: format!(
                        "{} accounts published together in {} burst(s) of ≥ {} publishes within {} min (at {}), against {:.2} per window on average.",
                        g.members.len(),
                        g.bursts.len(),
                        self.min_accounts,
                        self.window_ms / 60_000,
                        minutes.join(", "),
                        mean
                    ),
                    figures: vec![
                        ("accounts", g.members.len() as f64),
                        ("publish_bursts", g.bursts.len() as f64),
                        ("mean_publishes_per_window", mean),
                        ("window_minutes", (self.window_ms / 60_000) as f64),
                    ],
                    members: g.members.iter().map(|&(a, days)| (a, (0.25 * days as f32).min(0.9))).collect(),
                    targets: Vec::new(),
                    span: g.span,
                    shared: Vec::new(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::{EventStoreBuilder, RawEvent};

    fn publish(b: &mut EventStoreBuilder, ts: i64, acc: &str, v: &str) {
        let ts = ts.to_string();
        b.push_raw(&RawEvent {
            ts: &ts,
            account: acc,
            action: "publish",
            target: v,
            ..Default::default()
        })
        .unwrap();
    }

    const DAY: i64 = 86_400_000;

    #[test]
    fn daily_timer_is_found_and_organic_uploads_are_not() {
        let mut b = EventStoreBuilder::new();
        // 200 organic uploads spread over two days.
        for k in 0..200i64 {
            publish(
                &mut b,
                (k * 7919 * 60_000) % (2 * DAY),
                &format!("creator{}", k % 90),
                &format!("o{k}"),
            );
        }
        // 8 farm accounts publish at 12:30 (+ a few seconds) on both days.
        for d in 0..2 {
            for f in 0..8i64 {
                publish(
                    &mut b,
                    d * DAY + 45_000_000 + f * 2_000,
                    &format!("farm{f}"),
                    &format!("f{d}_{f}"),
                );
            }
        }
        let s = b.finish();
        let f = ScheduledPublishDetector::default().detect(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        let names = f[0].member_names(&s);
        assert_eq!(names.len(), 8);
        assert!(names.iter().all(|n| n.starts_with("farm")));
        assert!(
            f[0].members.iter().all(|&(_, w)| (w - 0.5).abs() < 1e-6),
            "two days each"
        );
    }
}
