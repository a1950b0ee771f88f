//! Fan-out DMs: several accounts each sending one pitch template to many accounts they never
//! interacted with (typically the fans of one big account).
//!
//! **Idea.** A console DMs strangers in bulk with the same pitch. Per template (texts grouped as
//! in [`crate::text`]), count the senders that sent it to at least `min_recipients_per_sender`
//! distinct accounts *cold* — without having followed, commented on, liked or viewed anything of
//! the recipient before. A template is a pitch when at least `min_senders` such senders use it
//! and it is not a comment phrase: organic DMs reuse everyday phrases that also appear in
//! comments by many accounts, a farm's pitch appears in DMs only. Its cold senders form a group;
//! a sender's strength grows with its cold DMs.
//!
//! **Complexity.** O(T) over distinct texts for templates, O(D log D) over the D DM events, and
//! for the cold test one binary search per DM in the sender's time-ordered events.

use crate::finding::{Detector, DetectorId, Finding, Label, SharedValue};
use lockstep_core::{Action, EventStore, NONE_ID};
use std::collections::BTreeMap;

/// This detector's id and version.
pub const ID: DetectorId = DetectorId {
    id: "fanout_dm",
    version: 1,
};

/// One DM pitch sent by many accounts to cold recipients (see the module doc).
#[derive(Debug, Clone)]
pub struct FanoutDmDetector {
    /// Distinct cold recipients a sender needs for one template.
    pub min_recipients_per_sender: usize,
    /// Cold senders a template needs.
    pub min_senders: usize,
    /// Normal forms shorter than this are ignored.
    pub min_chars: usize,
    /// Jaccard of character 2-grams above which two texts are one pitch.
    pub similarity: f64,
}

impl Default for FanoutDmDetector {
    fn default() -> Self {
        FanoutDmDetector {
            min_recipients_per_sender: 3,
            min_senders: 5,
            min_chars: 6,
            similarity: 0.25,
        }
    }
}

/// Whether `sender` engaged the recipient (followed it, or acted on its videos — known through
/// its `publish` events) before `ts`.
fn warm(
    store: &EventStore,
    sender: u32,
    recipient_target: u32,
    creator_of: &[u32],
    recipient: Option<u32>,
    ts: i64,
) -> bool {
    store
        .events_of_account(sender)
        .iter()
        .take_while(|&&e| store.ts[e as usize] < ts)
        .any(|&e| {
            let e = e as usize;
            let t = store.target[e];
            let a = Action::from_code(store.action[e]);
            (t == recipient_target && a != Action::Dm) || Some(creator_of[t as usize]) == recipient
        })
}

impl Detector for FanoutDmDetector {
    fn id(&self) -> DetectorId {
        ID
    }

    fn detect(&self, store: &EventStore) -> Vec<Finding> {
        let (template, norms) = crate::text::templates(store, self.similarity, self.min_chars);
        // Creator of each target, where publish events tell.
        let mut creator_of = vec![u32::MAX; store.n_targets()];
        let mut comment_accounts: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        let mut dms: Vec<(u32, u32, u32, u32)> = Vec::new(); // template, sender, recipient target, event
        for e in 0..store.len() {
            let a = Action::from_code(store.action[e]);
            if a == Action::Publish {
                creator_of[store.target[e] as usize] = store.account[e];
            }
            if store.text[e] == NONE_ID {
                continue;
            }
            let t = template[store.text[e] as usize];
            if norms[t as usize].chars().count() < self.min_chars {
                continue;
            }
            match a {
                Action::Dm => dms.push((t, store.account[e], store.target[e], e as u32)),
                Action::Comment => comment_accounts
                    .entry(t)
                    .or_default()
                    .push(store.account[e]),
                _ => {}
            }
        }
        for v in comment_accounts.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        dms.sort_unstable();
        let mut findings = Vec::new();
        for tpl in dms.chunk_by(|a, b| a.0 == b.0) {
            let t = tpl[0].0;
            // (sender, cold recipients, events)
            let mut senders: Vec<(u32, usize, Vec<u32>)> = Vec::new();
            for by_sender in tpl.chunk_by(|a, b| a.1 == b.1) {
                let sender = by_sender[0].1;
                let mut cold: Vec<u32> = by_sender
                    .iter()
                    .filter(|&&(_, s, r, e)| {
                        let recipient = store.accounts.get(store.targets.name(r));
                        !warm(store, s, r, &creator_of, recipient, store.ts[e as usize])
                    })
                    .map(|&(_, _, r, _)| r)
                    .collect();
                cold.sort_unstable();
                cold.dedup();
                if cold.len() >= self.min_recipients_per_sender {
                    senders.push((sender, cold.len(), by_sender.iter().map(|x| x.3).collect()));
                }
            }
            let in_comments = comment_accounts.get(&t).map_or(0, |v| v.len());
            if senders.len() < self.min_senders || in_comments >= senders.len() {
                continue;
            }
            let recipients: usize = {
                let mut r: Vec<u32> = tpl.iter().map(|x| x.2).collect();
                r.sort_unstable();
                r.dedup();
                r.len()
            };
            let span = senders.iter().flat_map(|s| s.2.iter()).fold(
                (i64::MAX, i64::MIN),
                |(lo, hi), &e| {
                    let ts = store.ts[e as usize];
                    (lo.min(ts), hi.max(ts))
                },
            );
            let example = store.text_of(tpl[0].3).unwrap_or("").to_string();
            let members: Vec<(u32, f32)> = senders
                .iter()
                .map(|&(a, cold, _)| {
                    (
                        a,
                        (0.3 + 0.1 * (cold as f32 - self.min_recipients_per_sender as f32))
                            .min(0.8),
                    )
                })
                .collect();
            let n = members.len();
            let mut targets: Vec<u32> = tpl.iter().map(|x| x.2).collect();
            targets.sort_unstable();
            targets.dedup();
            findings.push(Finding {
                links_members: false,
                detector: ID,
                label: Label {
                    label1: "group_control",
                    label2: "content",
                    label3: "fanout_dm",
                },
                members,
                targets: targets.into_iter().take(20).collect(),
                span,
                shared: vec![SharedValue {
                    kind: "template",
                    value: format!("{} — e.g. \"{example}\" ({} DMs)", norms[t as usize], tpl.len()),
                    accounts: n as u32,
                    hub: false,
                }],
                figures: vec![
                    ("senders", n as f64),
                    ("recipients", recipients as f64),
                    ("dms", tpl.len() as f64),
                    ("accounts_using_it_in_comments", in_comments as f64),
                ],
                summary: format!(
                    "{n} accounts sent one DM template to {recipients} accounts, each to ≥ {} they had never engaged with.",
                    self.min_recipients_per_sender
                ),
            });
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::push_text as ev;
    use lockstep_core::EventStoreBuilder;

    #[test]
    fn cold_pitch_fanout_is_found_and_friendly_dms_are_not() {
        let mut b = EventStoreBuilder::new();
        for f in 0..6 {
            for r in 0..5 {
                let pitch = if r % 2 == 0 {
                    "你好，点击主页链接领取新人红包🎁"
                } else {
                    "你好 点击主页链接 领取新人红包！"
                };
                ev(
                    &mut b,
                    1000 + f * 100 + r,
                    &format!("farm{f}"),
                    "dm",
                    &format!("fan{r}"),
                    Some(pitch),
                );
            }
        }
        // Friends: each follows then DMs a phrase that is also a common comment.
        for u in 0..8 {
            for r in 0..4 {
                ev(
                    &mut b,
                    10 + u,
                    &format!("user{u}"),
                    "follow",
                    &format!("friend{r}"),
                    None,
                );
                ev(
                    &mut b,
                    5000 + u * 10 + r,
                    &format!("user{u}"),
                    "dm",
                    &format!("friend{r}"),
                    Some("这个视频太可爱了"),
                );
            }
            ev(
                &mut b,
                9000 + u,
                &format!("user{u}"),
                "comment",
                "v1",
                Some("这个视频太可爱了"),
            );
        }
        let s = b.finish();
        let f = FanoutDmDetector::default().detect(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        let names = f[0].member_names(&s);
        assert_eq!(names.len(), 6);
        assert!(names.iter().all(|n| n.starts_with("farm")));
    }
}
