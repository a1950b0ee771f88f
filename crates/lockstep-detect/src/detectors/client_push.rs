//! One-client campaigns: a cohort that *is* a creator's audience, arriving on each of its
//! videos — the commonest purchase on engagement markets ("likes for my videos"), which the
//! cross-creator detectors cannot see because it serves one creator.
//!
//! **Idea.** Like farms deliver a page's likes from accounts with no relation to it, in bursts,
//! and those accounts make up most of what the page receives (De Cristofaro et al., "Paying for
//! Likes? Understanding Facebook Like Fraud Using Honeypots", IMC 2014). A real creator's
//! audience is the other way round: most of it sees one video from the feed, and the loyal
//! part that returns to most new videos — a fandom at every release — is a minority of a much
//! larger audience. So, per creator (keys from [`crate::creators::creator_keys`]; videos of
//! unknown creator are grouped by the cohort they share — at least `min_cohort` accounts on
//! both, at least half the smaller audience — and each group judged as one creator's):
//!
//! 1. The creator's **pushed videos**: those engaged by at least `min_video_share` of the
//!    accounts that engaged two or more of its videos (a farm's cohort lands on each new
//!    video; old catalogue videos seen once from the feed are not the campaign).
//! 2. The **cohort**: accounts that engaged at least half of the pushed videos (and at least
//!    two), in at least two separate sittings (engagements more than `sitting_ms` apart: a
//!    binge of one creator's back catalogue is one sitting), more than their own activity
//!    explains (Poisson, λ = the account's engaging events × the pushed videos' share of all
//!    engagement, chance ≤ `max_member_chance`: a heavy user lands on small creators' videos).
//! 3. The **cohort share**: the cohort over everyone who engaged the pushed videos. Evidence
//!    that can flag needs at least `min_cohort` accounts and a share of at least
//!    `min_cohort_share`: the cohort is most of the creator's audience. A fandom's fans are a
//!    small share of their idol's audience, a creator's loyal viewers of theirs (simulated
//!    crowds, tuning seeds 201–202: at most 0.31; one-client farms 0.37–0.82). Shares from
//!    `rank_cohort_share` up to the bar give ranking evidence that never flags alone.
//! 4. A member's **strength** is the creator's: from 0.5 at `min_cohort_share` to 0.95 at
//!    `full_cohort_share`, plus up to 0.05 for the share of pushed videos it engaged (members
//!    are in the cohort by one rule; the share is the evidence). Measured on tuning seeds
//!    201–202 (`oneclient`, 20,000 accounts, 3 days): scaling strength by that share instead
//!    left adaptive farms whose cohort was 57–59% of the audience at 26% recall.
//!
//! What it cannot tell: a creator whose whole audience is one loyal cohort (a tiny creator
//! followed only by a circle of friends, who each engage every video) — hence `min_cohort`,
//! and friend circles are shown in the groups' crowd checks by reciprocity (their members are
//! each other's creators). A farm pushing a creator who already has a large audience leaves a
//! share below the bar; its cohort then needs another family of evidence.
//!
//! **Complexity.** O(T log T) to group videos by creator; per creator with two videos or more,
//! O(E_c log E_c) over its videos' events (creators in parallel). At 11.9M events: 0.77 s
//! with one global sort of every engaging event, 0.12 s this way.

use crate::finding::{Detector, DetectorId, Finding, Label};
use lockstep_core::{Action, EventStore};
use rayon::prelude::*;

/// This detector's id and version.
pub const ID: DetectorId = DetectorId {
    id: "client_push",
    version: 1,
};

/// A creator whose audience is mostly one cohort returning to each of its videos.
#[derive(Debug, Clone)]
pub struct ClientPushDetector {
    /// A pushed video holds at least this share of the accounts that engaged two or more of
    /// the creator's videos.
    pub min_video_share: f64,
    /// Pushed videos a creator needs.
    pub min_videos: usize,
    /// Cohort accounts a finding needs.
    pub min_cohort: usize,
    /// Cohort share of the pushed videos' audience at which members' strength can flag.
    pub min_cohort_share: f64,
    /// Cohort share below which there is no finding (between the two: ranking evidence).
    pub rank_cohort_share: f64,
    /// Cohort share at which a member on every pushed video has strength 1.
    pub full_cohort_share: f64,
    /// Engagements of one account closer than this are one sitting.
    pub sitting_ms: i64,
    /// Videos of unknown creator with more engagers than this are not clustered by cohort.
    pub max_cluster_audience: usize,
    /// Accounts on more candidate videos than this do not join them (heavy users).
    pub max_videos_per_account: usize,
    /// A cohort member's chance of reaching that many pushed videos by its own activity
    /// (Poisson, the pushed videos' share of all engagement) must be at most this.
    pub max_member_chance: f64,
}

impl Default for ClientPushDetector {
    fn default() -> Self {
        ClientPushDetector {
            min_video_share: 0.3,
            min_videos: 2,
            // Below a farm's smallest crew and above a friend circle.
            min_cohort: 20,
            // Most of the audience is the cohort.
            min_cohort_share: 0.5,
            // Crowds on tuning seeds 201–202 reached at most 0.31; below 0.25, a cohort is a
            // creator's loyal minority.
            rank_cohort_share: 0.25,
            full_cohort_share: 0.8,
            sitting_ms: 3_600_000,
            max_cluster_audience: 5000,
            max_videos_per_account: 100,
            max_member_chance: 0.01,
        }
    }
}

fn engaging(a: Action) -> bool {
    matches!(
        a,
        Action::View | Action::Like | Action::Comment | Action::Share
    )
}

impl Detector for ClientPushDetector {
    fn id(&self) -> DetectorId {
        ID
    }

    fn detect(&self, store: &EventStore) -> Vec<Finding> {
        let keys = crate::creators::creator_keys(store);
        // Engaging events per account, for each member's chance (heavy users land on any
        // small creator's videos now and then).
        let mut activity = vec![0u32; store.n_accounts()];
        for e in 0..store.len() {
            if engaging(store.action(e as u32)) {
                activity[store.account[e] as usize] += 1;
            }
        }
        let total = activity.iter().map(|&x| x as f64).sum::<f64>().max(1.0);
        let nt = store.n_targets() as u32;
        // Videos of known creator (a target that is itself an account — a follow's target — is
        // not a video), grouped by creator; only creators with two videos or more can have a
        // cohort that returns.
        let mut videos: Vec<(u32, u32)> = (0..nt)
            .filter(|&t| {
                keys[t as usize] >= nt
                    && keys.source(t) != crate::creators::CreatorSource::Account
                    && store.events_on_target(t).len() >= 2
            })
            .map(|t| (keys[t as usize], t))
            .collect();
        videos.extend(self.cohort_clusters(store, &keys));
        videos.sort_unstable();
        let creators: Vec<&[(u32, u32)]> = videos
            .chunk_by(|x, y| x.0 == y.0)
            .filter(|c| c.len() >= self.min_videos)
            .collect();
        creators
            .par_iter()
            .filter_map(|c| {
                // A cohort needs `min_cohort` accounts on two videos each.
                let events: usize = c
                    .iter()
                    .map(|&(_, t)| store.events_on_target(t).len())
                    .sum();
                if events < 2 * self.min_cohort {
                    return None;
                }
                let mut rows: Vec<(u32, u32, u32, i64)> = Vec::with_capacity(events);
                for &(k, t) in c.iter() {
                    for &e in store.events_on_target(t) {
                        if engaging(store.action(e)) {
                            let e = e as usize;
                            rows.push((k, store.account[e], t, store.ts[e]));
                        }
                    }
                }
                rows.sort_unstable();
                self.creator_finding(store, &rows, &activity, total)
            })
            .collect()
    }
}

impl ClientPushDetector {
    /// Videos of unknown creator grouped by the cohort they share, as `(cluster key, video)`
    /// (the key is the cluster's smallest video, below `n_targets`): two are joined when at
    /// least `min_cohort` accounts engaged both and those are at least half of the smaller
    /// audience — one cohort on both, whoever owns them. The share rule then asks, as for a
    /// known creator, whether that cohort is most of the videos' audience: a fandom's releases
    /// or a trend's takes share many viewers but are watched by many more. Only videos with
    /// `min_cohort` to `max_cluster_audience` engagers, and accounts on at most
    /// `max_videos_per_account` of them, are paired (heavy users are not a cohort).
    fn cohort_clusters(
        &self,
        store: &EventStore,
        keys: &crate::creators::CreatorKeys,
    ) -> Vec<(u32, u32)> {
        use crate::creators::CreatorSource;
        let nt = store.n_targets() as u32;
        let mut cand: Vec<(u32, Vec<u32>)> = Vec::new();
        for t in 0..nt {
            if keys.source(t) != CreatorSource::Unknown {
                continue;
            }
            let on = store.events_on_target(t);
            if on.len() < self.min_cohort {
                continue;
            }
            let mut a: Vec<u32> = on
                .iter()
                .filter(|&&e| engaging(store.action(e)))
                .map(|&e| store.account[e as usize])
                .collect();
            a.sort_unstable();
            a.dedup();
            if a.len() >= self.min_cohort && a.len() <= self.max_cluster_audience {
                cand.push((t, a));
            }
        }
        if cand.len() < 2 {
            return Vec::new();
        }
        // Each account's candidate videos (ascending), heavy users left out.
        let mut inc: Vec<(u32, u32)> = cand
            .iter()
            .enumerate()
            .flat_map(|(i, (_, a))| a.iter().map(move |&x| (x, i as u32)))
            .collect();
        inc.par_sort_unstable();
        let runs: Vec<&[(u32, u32)]> = inc
            .chunk_by(|x, y| x.0 == y.0)
            .filter(|r| r.len() >= 2 && r.len() <= self.max_videos_per_account)
            .collect();
        let mut run_of = vec![u32::MAX; store.n_accounts()];
        for (k, r) in runs.iter().enumerate() {
            run_of[r[0].0 as usize] = k as u32;
        }
        // Shared accounts per video pair, counted per first video in a dense counter (never
        // materialised or sorted), videos in parallel.
        let links: Vec<(u32, u32)> = (0..cand.len() as u32)
            .into_par_iter()
            .map_init(
                || (vec![0u32; cand.len()], Vec::<u32>::new()),
                |(count, touched), i| {
                    for &a in &cand[i as usize].1 {
                        let k = run_of[a as usize];
                        if k == u32::MAX {
                            continue;
                        }
                        let run = runs[k as usize];
                        let from = run.partition_point(|x| x.1 <= i);
                        for &(_, j) in &run[from..] {
                            if count[j as usize] == 0 {
                                touched.push(j);
                            }
                            count[j as usize] += 1;
                        }
                    }
                    let mut out = Vec::new();
                    for &j in touched.iter() {
                        let shared = count[j as usize] as usize;
                        count[j as usize] = 0;
                        let smaller = cand[i as usize].1.len().min(cand[j as usize].1.len());
                        if shared >= self.min_cohort && 2 * shared >= smaller {
                            out.push((i, j));
                        }
                    }
                    touched.clear();
                    out
                },
            )
            .flatten_iter()
            .collect();
        let mut uf = crate::graph::UnionFind::new(cand.len());
        for (i, j) in links {
            uf.union(i, j);
        }
        let mut by_root: Vec<(u32, u32)> = (0..cand.len() as u32)
            .map(|i| (uf.find(i), cand[i as usize].0))
            .collect();
        by_root.sort_unstable();
        let mut out = Vec::new();
        for c in by_root.chunk_by(|x, y| x.0 == y.0) {
            if c.len() >= self.min_videos {
                let rep = c.iter().map(|x| x.1).min().expect("a chunk is never empty");
                out.extend(c.iter().map(|x| (rep, x.1)));
            }
        }
        out
    }

    /// One creator's rows (creator, account, video, ts), sorted.
    fn creator_finding(
        &self,
        store: &EventStore,
        rows: &[(u32, u32, u32, i64)],
        activity: &[u32],
        total: f64,
    ) -> Option<Finding> {
        // Each account's distinct videos of this creator.
        let per_account: Vec<(u32, Vec<u32>)> = rows
            .chunk_by(|x, y| x.1 == y.1)
            .map(|r| {
                let mut v: Vec<u32> = r.iter().map(|x| x.2).collect();
                v.dedup();
                (r[0].1, v)
            })
            .collect();
        let repeat: Vec<&(u32, Vec<u32>)> =
            per_account.iter().filter(|(_, v)| v.len() >= 2).collect();
        if repeat.len() < self.min_cohort {
            return None;
        }
        // Pushed videos: engaged by a fair share of the repeat audience.
        let mut video_count: Vec<(u32, usize)> = Vec::new();
        {
            let mut all: Vec<u32> = repeat.iter().flat_map(|(_, v)| v.iter().copied()).collect();
            all.sort_unstable();
            for run in all.chunk_by(|x, y| x == y) {
                video_count.push((run[0], run.len()));
            }
        }
        let bar = self.min_video_share * repeat.len() as f64;
        let pushed: Vec<u32> = video_count
            .iter()
            .filter(|&&(_, c)| c as f64 >= bar)
            .map(|&(v, _)| v)
            .collect();
        if pushed.len() < self.min_videos {
            return None;
        }
        let need = pushed.len().div_ceil(2).max(2);
        // The pushed videos' share of all engagement: an account's expected count on them is
        // its own activity times that share.
        let pushed_events: f64 = pushed
            .iter()
            .map(|&v| store.events_on_target(v).len() as f64)
            .sum();
        // The cohort: on half the pushed videos or more, in two sittings or more.
        let mut cohort: Vec<(u32, usize)> = Vec::new();
        let mut audience = 0usize;
        let mut span = (i64::MAX, i64::MIN);
        for r in rows.chunk_by(|x, y| x.1 == y.1) {
            let on: Vec<&(u32, u32, u32, i64)> = r
                .iter()
                .filter(|x| pushed.binary_search(&x.2).is_ok())
                .collect();
            if on.is_empty() {
                continue;
            }
            audience += 1;
            let mut vids: Vec<u32> = on.iter().map(|x| x.2).collect();
            vids.dedup();
            if vids.len() < need {
                continue;
            }
            let mut times: Vec<i64> = on.iter().map(|x| x.3).collect();
            times.sort_unstable();
            let sittings = 1 + times
                .windows(2)
                .filter(|w| w[1] - w[0] > self.sitting_ms)
                .count();
            if sittings < 2 {
                continue;
            }
            // A heavy user reaches a small creator's videos by its activity alone.
            let lambda = activity[r[0].1 as usize] as f64 * pushed_events / total;
            if crate::stats::poisson_tail(vids.len(), lambda) > self.max_member_chance {
                continue;
            }
            span = (span.0.min(times[0]), span.1.max(*times.last().unwrap()));
            cohort.push((r[0].1, vids.len()));
        }
        if cohort.len() < self.min_cohort {
            return None;
        }
        let share = cohort.len() as f64 / audience.max(1) as f64;
        if share < self.rank_cohort_share {
            return None;
        }
        // The evidence is the creator's: a cohort that is most of its audience. Every member of
        // it is in it by the same rule (half the pushed videos, two sittings), so each gets the
        // creator's strength, from 0.5 at the bar to 0.95 at the full share, and a little more
        // for each pushed video it was on (to rank the surest first). Below the bar, down to
        // `rank_cohort_share`, the strength stays under 0.45: it ranks such cohorts above
        // accounts with no evidence and can join another family, but never flags alone.
        let base = if share >= self.min_cohort_share {
            let by_share = ((share - self.min_cohort_share)
                / (self.full_cohort_share - self.min_cohort_share).max(1e-9))
            .clamp(0.0, 1.0);
            0.5 + 0.45 * by_share
        } else {
            0.4 * (share - self.rank_cohort_share)
                / (self.min_cohort_share - self.rank_cohort_share).max(1e-9)
        };
        let members: Vec<(u32, f32)> = cohort
            .iter()
            .map(|&(a, n)| {
                let on = n as f64 / pushed.len() as f64;
                (a, (base + 0.05 * on) as f32)
            })
            .collect();
        let nt = store.n_targets() as u32;
        let creator = if rows[0].0 < nt {
            format!(
                "(unknown; the videos' shared cohort) behind {}",
                store.targets.name(rows[0].0)
            )
        } else {
            crate::creators::key_name(store, rows[0].0).to_string()
        };
        let n = members.len();
        Some(Finding {
            detector: ID,
            label: Label {
                label1: "group_control",
                label2: "purchased_engagement",
                label3: "one_client_campaign",
            },
            members,
            targets: pushed.iter().copied().take(20).collect(),
            span,
            shared: Vec::new(),
            figures: vec![
                ("accounts", n as f64),
                ("pushed_videos", pushed.len() as f64),
                ("audience", audience as f64),
                ("cohort_share", share),
            ],
            summary: format!(
                "{n} accounts returned to at least half of creator {creator}'s {} pushed videos in separate sittings, \
                 and they are {:.0}% of everyone who engaged those videos: a creator's audience is mostly people who \
                 see one video, and a fandom is a small share of its idol's audience.",
                pushed.len(),
                100.0 * share
            ),
            links_members: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{only_group, push, H};
    use lockstep_core::EventStoreBuilder;

    /// The rest of the platform: 500 accounts viewing 10 of 200 other videos each, so the
    /// client's videos are a small share of all engagement.
    fn background(b: &mut EventStoreBuilder) {
        for u in 0..500i64 {
            for k in 0..10i64 {
                let v = (u * 7 + k * 13) % 200;
                push(
                    b,
                    u * 7919 % (24 * H) + k,
                    &format!("bg{u}"),
                    "view",
                    &format!("other{v}"),
                );
            }
        }
    }

    /// A creator publishes four videos 6 hours apart; `cohort` accounts engage each within an
    /// hour; `casual` other accounts each view one of them from the feed.
    fn world(cohort: usize, casual: usize) -> lockstep_core::EventStore {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        for v in 0..4i64 {
            push(&mut b, v * 6 * H, "client", "publish", &format!("v{v}"));
            for c in 0..cohort as i64 {
                push(
                    &mut b,
                    v * 6 * H + 60_000 + c * 1000,
                    &format!("farm{c}"),
                    "like",
                    &format!("v{v}"),
                );
            }
        }
        for u in 0..casual as i64 {
            let v = u % 4;
            push(
                &mut b,
                v * 6 * H + 2 * H + u * 1000,
                &format!("org{u}"),
                "view",
                &format!("v{v}"),
            );
        }
        b.finish()
    }

    #[test]
    fn a_cohort_that_is_the_audience_is_found() {
        let s = world(30, 10);
        let f = ClientPushDetector::default().detect(&s);
        let g = only_group(&f, &s, "farm", 30);
        assert!(
            g.members.iter().all(|&(_, w)| w >= 0.5),
            "{:?}",
            f[0].members
        );
        let share = f[0]
            .figures
            .iter()
            .find(|x| x.0 == "cohort_share")
            .unwrap()
            .1;
        assert!((share - 0.75).abs() < 1e-9, "{share}");
    }

    #[test]
    fn a_heavy_user_on_the_same_videos_is_not_in_the_cohort() {
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        for v in 0..4i64 {
            push(&mut b, v * 6 * H, "client", "publish", &format!("v{v}"));
            for c in 0..30i64 {
                push(
                    &mut b,
                    v * 6 * H + 60_000 + c * 1000,
                    &format!("farm{c}"),
                    "like",
                    &format!("v{v}"),
                );
            }
            // A heavy user who watches everything also saw each upload.
            push(&mut b, v * 6 * H + 3 * H, "heavy", "view", &format!("v{v}"));
        }
        for k in 0..3000i64 {
            push(
                &mut b,
                k * 20_000,
                "heavy",
                "view",
                &format!("other{}", k % 200),
            );
        }
        let s = b.finish();
        // Thirty farm accounts, and not the heavy user.
        only_group(&ClientPushDetector::default().detect(&s), &s, "farm", 30);
    }

    #[test]
    fn a_fandom_in_a_large_audience_is_not() {
        // The same 30 loyal accounts, among 200 others who each saw one video.
        assert!(ClientPushDetector::default()
            .detect(&world(30, 200))
            .is_empty());
    }

    #[test]
    fn a_cohort_under_half_the_audience_only_ranks() {
        // 30 loyal accounts among 80: 37.5% of the audience, under the bar.
        let f = ClientPushDetector::default().detect(&world(30, 50));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].members.iter().all(|&(_, w)| w > 0.0 && w < 0.45),
            "{:?}",
            f[0].members
        );
    }

    #[test]
    fn a_small_circle_is_below_the_cohort_size() {
        assert!(ClientPushDetector::default()
            .detect(&world(8, 0))
            .is_empty());
    }

    #[test]
    fn one_sitting_is_not_a_return() {
        // 30 accounts binge the creator's four videos within minutes: one sitting each.
        let mut b = EventStoreBuilder::new();
        for v in 0..4i64 {
            push(&mut b, 0, "client", "publish", &format!("v{v}"));
        }
        for c in 0..30i64 {
            for v in 0..4i64 {
                push(
                    &mut b,
                    H + c * 1000 + v * 60_000,
                    &format!("u{c}"),
                    "view",
                    &format!("v{v}"),
                );
            }
        }
        assert!(ClientPushDetector::default().detect(&b.finish()).is_empty());
    }

    #[test]
    fn videos_of_unknown_creator_are_joined_by_their_cohort() {
        // No publish events: nothing says the four videos are one creator's, but one cohort
        // of 30 is on all of them and is all of their audience.
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        for v in 0..4i64 {
            for c in 0..30i64 {
                push(
                    &mut b,
                    v * 6 * H + c * 1000,
                    &format!("farm{c}"),
                    "like",
                    &format!("v{v}"),
                );
            }
        }
        let s = b.finish();
        only_group(&ClientPushDetector::default().detect(&s), &s, "farm", 30);
        // The same cohort among a large casual audience is a fandom's, not a purchase.
        let mut b = EventStoreBuilder::new();
        background(&mut b);
        for v in 0..4i64 {
            for c in 0..30i64 {
                push(
                    &mut b,
                    v * 6 * H + c * 1000,
                    &format!("fan{c}"),
                    "like",
                    &format!("v{v}"),
                );
            }
            for u in 0..60i64 {
                push(
                    &mut b,
                    v * 6 * H + 2 * H + u * 1000,
                    &format!("casual{v}_{u}"),
                    "view",
                    &format!("v{v}"),
                );
            }
        }
        assert!(ClientPushDetector::default().detect(&b.finish()).is_empty());
    }
}
