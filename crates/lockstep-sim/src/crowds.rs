//! Organic crowds: real people moving together, the hard negatives a coordination detector
//! must leave alone. Every parameter is drawn per seed from a range, so no detector can be
//! tuned to one shape of crowd.
//!
//! - **Trends / challenges (挑战赛)**: 20–60 creators post their take on one hashtag; 4–15% of
//!   users binge several takes on one or two evenings, so large audiences overlap across
//!   *distinct* creators within hours.
//! - **Fandoms (饭圈)**: 2–5 idols, fan bases of 0.4–1.5% of users that overlap (a fan of one idol
//!   follows another with probability 0.1–0.4); fans pile onto each release within minutes,
//!   liking, sharing (打榜) and posting the fandom's slogans (控评). Some idols' uploads are in the
//!   log (a `publish` event names them), others' are not.
//! - **Campuses, offices, factories**: 0.8–2% of users each on one single-account phone behind
//!   1–3 NAT addresses, opening the app at the bell or shift change.
//! - **Live events / pushes**: 5–20% of users reach one video within minutes.
//! - **Friend circles and creator pods**: 2–8% of users in circles of 5–12 friends who each
//!   post now and then and react to each other's posts within hours, every day, some
//!   following each other. Their "clients" are their own members.
//!
//! The crowds draw from their own random stream, so the rest of a seed's world is unchanged
//! by their parameters.

use super::*;

/// Which crowd an account belongs to (its first, when it is in several), for the labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrowdKind {
    Trend,
    Fandom,
    Campus,
    Live,
    Circle,
}

impl CrowdKind {
    pub(crate) fn tactic(self) -> &'static str {
        match self {
            CrowdKind::Trend => "trend",
            CrowdKind::Fandom => "fandom",
            CrowdKind::Campus => "campus",
            CrowdKind::Live => "live",
            CrowdKind::Circle => "circle",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Trend {
    tag: String,
    /// The takes (video ids) with their pick weights.
    takes: Vec<u32>,
    take_weights: Vec<f64>,
    bingers: Vec<u32>,
    /// Days with an evening binge.
    days: Vec<u32>,
    /// Mean takes a binger watches in an evening.
    mean_takes: f64,
    /// Evening start hour range.
    evening: (i64, i64),
}

#[derive(Debug, Clone)]
pub(crate) struct Fandom {
    fans: Vec<u32>,
    /// Release videos, by day (`NONE` for a day without one).
    releases: Vec<u32>,
    participation: f64,
    delay_median_ms: f64,
    slogans: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub(crate) struct Campus {
    members: Vec<u32>,
    ips: Vec<u32>,
    /// Bell or shift-change times, as offsets into the day.
    bells: Vec<i64>,
    p_open: f64,
    mean_delay_ms: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Live {
    video: u32,
    start: i64,
    viewers: Vec<u32>,
    mean_delay_ms: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Circle {
    members: Vec<u32>,
    /// Posts by (day, member, video).
    posts: Vec<(u32, u32, u32)>,
    /// Chance that a friend reacts to a post, and the median delay.
    p_react: f64,
    delay_median_ms: f64,
    /// Chance that a member follows another on the first day.
    p_follow: f64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Crowds {
    trends: Vec<Trend>,
    fandoms: Vec<Fandom>,
    campuses: Vec<Campus>,
    lives: Vec<Live>,
    circles: Vec<Circle>,
}

/// Distinct picks from `pool`.
fn pick(rng: &mut ChaCha8Rng, pool: &[u32], k: usize) -> Vec<u32> {
    let mut v: Vec<u32> = pool
        .choose_multiple(rng, k.min(pool.len()))
        .copied()
        .collect();
    v.sort_unstable();
    v
}

impl Sim {
    /// Plan this seed's crowds: their members, videos and timing.
    pub(crate) fn plan_crowds(&mut self, weights: &mut Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(self.cfg.seed ^ 0xC0_FFEE_C0DE);
        let days = self.cfg.days.max(1);
        let n = self.kinds.len();
        let people: Vec<u32> = (0..n as u32)
            .filter(|&a| !matches!(self.kinds[a as usize], Kind::Farm(_)))
            .collect();
        let plain: Vec<u32> = people
            .iter()
            .copied()
            .filter(|&a| self.kinds[a as usize] == Kind::Organic)
            .collect();
        let len_dist = LogNormal::new((15_000f64).ln(), 0.7).unwrap();
        let mark = |kinds: &mut Vec<Kind>, a: u32, k: CrowdKind| {
            if kinds[a as usize] == Kind::Organic {
                kinds[a as usize] = Kind::Crowd(k);
            }
        };
        let mut crowds = Crowds::default();

        // Campuses and workplaces first: they change their members' devices and IPs.
        let sites = rng.random_range(1..=2);
        let mut taken = vec![false; n];
        let mut is_creator = vec![false; n];
        for &c in &self.creators {
            is_creator[c as usize] = true;
        }
        for s in 0..sites {
            let size = ((n as f64 * rng.random_range(0.008..0.02)) as usize).max(30);
            let free: Vec<u32> = plain
                .iter()
                .copied()
                .filter(|&a| !taken[a as usize] && !is_creator[a as usize])
                .collect();
            let members = pick(&mut rng, &free, size);
            let k = rng.random_range(1..=3);
            let ips: Vec<u32> = (self.n_ips..self.n_ips + k).collect();
            self.n_ips += k;
            for (i, &a) in members.iter().enumerate() {
                taken[a as usize] = true;
                mark(&mut self.kinds, a, CrowdKind::Campus);
                let p = &mut self.profiles[a as usize];
                // One account per phone, the site's Wi-Fi at home and on the move.
                p.device = self.n_devices;
                self.n_devices += 1;
                p.home_ip = ips[i % ips.len()];
                p.mobile_ip = ips[(i + 1) % ips.len()];
                p.office_ip = None;
            }
            // A campus rings between classes; a factory or office changes shifts.
            let jitter = rng.random_range(-10 * MIN..10 * MIN);
            let bells: Vec<i64> = if s == 0 || rng.random_bool(0.5) {
                [
                    8 * 60,
                    9 * 60 + 45,
                    11 * 60 + 40,
                    14 * 60,
                    15 * 60 + 50,
                    17 * 60 + 40,
                    21 * 60 + 30,
                ]
                .iter()
                .map(|m| m * MIN + jitter)
                .collect()
            } else {
                [8 * 60, 12 * 60, 13 * 60, 17 * 60 + 30, 20 * 60]
                    .iter()
                    .map(|m| m * MIN + jitter)
                    .collect()
            };
            crowds.campuses.push(Campus {
                members,
                ips,
                bells,
                p_open: rng.random_range(0.3..0.75),
                mean_delay_ms: rng.random_range(15.0..90.0) * SEC as f64,
            });
        }

        // Fandoms: idols are creators other than the big account; fans overlap.
        let n_idols = rng.random_range(2..=5);
        let idol_pool: Vec<u32> = self
            .creators
            .iter()
            .copied()
            .filter(|&c| c != self.big_account && !taken[c as usize])
            .collect();
        let idols = pick(&mut rng, &idol_pool, n_idols);
        let mut earlier_fans: Vec<u32> = Vec::new();
        for &idol in &idols {
            let size = ((n as f64 * rng.random_range(0.004..0.015)) as usize).max(20);
            let overlap = rng.random_range(0.1..0.4);
            let mut fans: Vec<u32> = earlier_fans
                .iter()
                .copied()
                .filter(|_| rng.random_bool(overlap))
                .collect();
            let fresh = size.saturating_sub(fans.len());
            fans.extend(
                pick(&mut rng, &people, fresh)
                    .into_iter()
                    .filter(|&a| a != idol),
            );
            fans.sort_unstable();
            fans.dedup();
            for &a in &fans {
                mark(&mut self.kinds, a, CrowdKind::Fandom);
            }
            earlier_fans.extend(fans.iter().copied());
            let in_log = rng.random_bool(0.5);
            let mut releases = Vec::new();
            for d in 0..days {
                if d > 0 && !rng.random_bool(0.7) {
                    releases.push(NONE);
                    continue;
                }
                releases.push(self.videos.len() as u32);
                self.videos.push(Video {
                    creator: idol,
                    len_ms: (len_dist.sample(&mut rng) as u32).clamp(3_000, 300_000),
                    publish_ts: START_MS + d as i64 * DAY + rng.random_range(11 * HOUR..22 * HOUR),
                    logged: in_log,
                });
                weights.push(1.0 / 80.0);
            }
            let n_slogans = rng.random_range(2..=5);
            crowds.fandoms.push(Fandom {
                fans,
                releases,
                participation: rng.random_range(0.6..0.95),
                delay_median_ms: rng.random_range(2.0..10.0) * MIN as f64,
                slogans: text::pick_slogans(&mut rng, n_slogans),
            });
        }

        // A trend: many creators' takes on one hashtag, binged in the evening.
        let n_takes = rng.random_range(20..=60).min(self.creators.len());
        let take_creators = pick(&mut rng, &self.creators, n_takes);
        let day0 = rng.random_range(0..days);
        let logged_share = rng.random_range(0.3..1.0);
        let mut takes = Vec::new();
        let mut take_weights = Vec::new();
        for (i, &c) in take_creators.iter().enumerate() {
            takes.push(self.videos.len() as u32);
            self.videos.push(Video {
                creator: c,
                len_ms: (len_dist.sample(&mut rng) as u32).clamp(5_000, 120_000),
                publish_ts: START_MS + day0 as i64 * DAY + rng.random_range(9 * HOUR..18 * HOUR),
                logged: rng.random_bool(logged_share),
            });
            weights.push(1.0 / 400.0);
            take_weights.push(1.0 / (i as f64 + 2.0).powf(rng.random_range(0.3..1.0)));
        }
        let share = rng.random_range(0.04..0.15);
        let bingers = pick(&mut rng, &people, (people.len() as f64 * share) as usize);
        for &a in &bingers {
            mark(&mut self.kinds, a, CrowdKind::Trend);
        }
        let trend_days: Vec<u32> = (day0..days.min(day0 + 2)).collect();
        let start_h = rng.random_range(18..=20);
        crowds.trends.push(Trend {
            tag: ["#变装挑战", "#手势舞", "#一秒换装", "#合拍挑战"][rng.random_range(0..4)]
                .trim_start_matches('#')
                .to_string(),
            takes,
            take_weights,
            bingers,
            days: trend_days,
            mean_takes: rng.random_range(4.0..12.0),
            evening: (start_h * HOUR, (start_h + 3) * HOUR),
        });

        // Live events and pushes.
        for _ in 0..rng.random_range(1..=2) {
            let video = rng.random_range(0..(self.videos.len() as u32));
            let d = rng.random_range(0..days) as i64;
            let start = START_MS + d * DAY + rng.random_range(10 * HOUR..23 * HOUR);
            let start = start.max(self.videos[video as usize].publish_ts + HOUR);
            let k = (people.len() as f64 * rng.random_range(0.05..0.2)) as usize;
            let viewers = pick(&mut rng, &people, k);
            for &a in &viewers {
                mark(&mut self.kinds, a, CrowdKind::Live);
            }
            crowds.lives.push(Live {
                video,
                start,
                viewers,
                mean_delay_ms: rng.random_range(2.0..10.0) * MIN as f64,
            });
        }
        // Friend circles, from a stream of their own (the other crowds stay as they were).
        let mut crng = ChaCha8Rng::seed_from_u64(self.cfg.seed ^ 0xC1_2C1E);
        let in_circles = (people.len() as f64 * crng.random_range(0.02..0.08)) as usize;
        let free: Vec<u32> = people
            .iter()
            .copied()
            .filter(|&a| !taken[a as usize] && self.kinds[a as usize] == Kind::Organic)
            .collect();
        let mut pool = pick(&mut crng, &free, in_circles);
        pool.shuffle(&mut crng);
        while pool.len() >= 5 {
            let size = crng.random_range(5..=12usize).min(pool.len());
            let mut members: Vec<u32> = pool.split_off(pool.len() - size);
            members.sort_unstable();
            for &a in &members {
                mark(&mut self.kinds, a, CrowdKind::Circle);
            }
            let p_post = crng.random_range(0.3..0.8);
            let logged = crng.random_bool(0.5);
            let mut posts = Vec::new();
            for d in 0..days {
                for &a in &members {
                    if !crng.random_bool(p_post) {
                        continue;
                    }
                    posts.push((d, a, self.videos.len() as u32));
                    self.videos.push(Video {
                        creator: a,
                        len_ms: (len_dist.sample(&mut crng) as u32).clamp(3_000, 120_000),
                        publish_ts: START_MS
                            + d as i64 * DAY
                            + crng.random_range(8 * HOUR..22 * HOUR),
                        logged,
                    });
                    weights.push(1.0 / crng.random_range(2000.0..20000.0f64));
                }
            }
            crowds.circles.push(Circle {
                members,
                posts,
                p_react: crng.random_range(0.5..0.95),
                delay_median_ms: crng.random_range(0.5..4.0) * HOUR as f64,
                p_follow: crng.random_range(0.0..0.5),
            });
        }
        self.crowds = crowds;
        self.crowd_rng = rng;
        self.circle_rng = crng;
    }

    /// One day of every crowd's events.
    pub(crate) fn crowds_day(&mut self, day: u32) {
        // The main stream's draws stay as they were: crowds use their own.
        std::mem::swap(&mut self.rng, &mut self.crowd_rng);
        let crowds = std::mem::take(&mut self.crowds);
        let day0 = START_MS + day as i64 * DAY;
        let end = START_MS + self.cfg.days.max(1) as i64 * DAY;
        for c in &crowds.campuses {
            for &bell in &c.bells {
                let exp = Exp::new(1.0 / c.mean_delay_ms).unwrap();
                for &a in &c.members {
                    if !self.rng.random_bool(c.p_open) {
                        continue;
                    }
                    let mut t = day0 + bell + exp.sample(&mut self.rng) as i64;
                    let p = &self.profiles[a as usize];
                    let (dev, ip) = (p.device, c.ips[a as usize % c.ips.len()]);
                    self.buf.push(Ev::new(t, a, Action::Login, NONE, dev, ip));
                    t += self.rng.random_range(SEC..4 * SEC);
                    for _ in 0..self.rng.random_range(1..=5) {
                        let Some(v) = self.feed_video(t) else {
                            continue;
                        };
                        let ratio = self.organic_ratio();
                        t = self.organic_view(a, v, t, ip, ratio, false)
                            + self.rng.random_range(500..3000);
                    }
                }
            }
        }
        for f in &crowds.fandoms {
            let v = f.releases[day as usize];
            if v == NONE {
                continue;
            }
            let release = self.videos[v as usize].publish_ts;
            let delay = LogNormal::new(f.delay_median_ms.ln(), 0.8).unwrap();
            for &a in &f.fans {
                if !self.rng.random_bool(f.participation) {
                    continue;
                }
                let t = release + delay.sample(&mut self.rng) as i64;
                let ip = self.everyday_ip(a);
                let ratio = self.rng.random_range(1.0..2.0);
                let voice = Voice::Slogan(f.slogans[self.rng.random_range(0..f.slogans.len())]);
                let eng = Engage {
                    like: 0.85,
                    comment: 0.4,
                    share: 0.25,
                    follow: 0.02,
                    voice,
                };
                self.engaged_view(a, v, t, ip, ratio, eng);
            }
        }
        for tr in &crowds.trends {
            if !tr.days.contains(&day) {
                continue;
            }
            let sampler = Sampler::new(tr.take_weights.iter().copied());
            let k_dist = Poisson::new(tr.mean_takes).unwrap();
            for &a in &tr.bingers {
                if !self.rng.random_bool(0.75) {
                    continue;
                }
                let mut t = day0 + self.rng.random_range(tr.evening.0..tr.evening.1);
                let ip = self.everyday_ip(a);
                let k = 1 + k_dist.sample(&mut self.rng) as usize;
                let mut seen: Vec<usize> = Vec::new();
                for _ in 0..k {
                    let i = sampler.sample(&mut self.rng);
                    if seen.contains(&i) {
                        continue;
                    }
                    seen.push(i);
                    let v = tr.takes[i];
                    if self.videos[v as usize].publish_ts > t {
                        continue;
                    }
                    let ratio = self.organic_ratio();
                    let eng = Engage {
                        like: 0.3,
                        comment: 0.06,
                        share: 0.05,
                        follow: 0.02,
                        voice: Voice::Challenge(&tr.tag),
                    };
                    t = self.engaged_view(a, v, t, ip, ratio, eng)
                        + self.rng.random_range(500..5000);
                }
            }
        }
        for l in &crowds.lives {
            if l.start < day0 || l.start >= day0 + DAY {
                continue;
            }
            let exp = Exp::new(1.0 / l.mean_delay_ms).unwrap();
            for &a in &l.viewers {
                let t = l.start + exp.sample(&mut self.rng) as i64;
                if t >= end {
                    continue;
                }
                let ip = self.everyday_ip(a);
                let ratio = self.organic_ratio();
                self.organic_view(a, l.video, t, ip, ratio, false);
            }
        }
        self.crowds = crowds;
        std::mem::swap(&mut self.rng, &mut self.crowd_rng);
        self.circles_day(day);
    }

    /// One day of the friend circles: posts, friends' reactions within hours, first-day follows.
    fn circles_day(&mut self, day: u32) {
        std::mem::swap(&mut self.rng, &mut self.circle_rng);
        let crowds = std::mem::take(&mut self.crowds);
        let end = START_MS + self.cfg.days.max(1) as i64 * DAY;
        for c in &crowds.circles {
            if day == 0 {
                for &a in &c.members {
                    for &b in &c.members {
                        if a != b && self.rng.random_bool(c.p_follow) {
                            let t = self.diurnal_time(0);
                            let p = &self.profiles[a as usize];
                            let (dev, ip) = (p.device, p.home_ip);
                            self.buf.push(Ev::new(t, a, Action::Follow, b, dev, ip));
                        }
                    }
                }
            }
            let delay = LogNormal::new(c.delay_median_ms.ln(), 0.9).unwrap();
            for &(d, author, v) in &c.posts {
                if d != day {
                    continue;
                }
                let posted = self.videos[v as usize].publish_ts;
                for &a in &c.members {
                    if a == author || !self.rng.random_bool(c.p_react) {
                        continue;
                    }
                    let t = posted + delay.sample(&mut self.rng) as i64;
                    if t >= end {
                        continue;
                    }
                    let ip = self.everyday_ip(a);
                    let ratio = self.rng.random_range(0.7..1.5);
                    let eng = Engage {
                        like: 0.8,
                        comment: 0.4,
                        share: 0.1,
                        follow: 0.0,
                        voice: Voice::Organic,
                    };
                    self.engaged_view(a, v, t, ip, ratio, eng);
                }
            }
        }
        self.crowds = crowds;
        std::mem::swap(&mut self.rng, &mut self.circle_rng);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::EventStoreBuilder;

    fn world(seed: u64) -> (lockstep_core::EventStore, SimOutput) {
        let mut b = EventStoreBuilder::new();
        let out = simulate(
            &SimConfig {
                scenario: Scenario::Crowds,
                seed,
                accounts: 4000,
                days: 2,
                creators: CreatorLog::Column,
            },
            &mut b,
        )
        .unwrap();
        (b.finish(), out)
    }

    #[test]
    fn every_crowd_kind_is_present_and_labelled_organic() {
        for seed in [1, 2] {
            let (_, out) = world(seed);
            for tactic in ["trend", "fandom", "campus", "live", "circle"] {
                let n = out.labels.iter().filter(|l| l.tactic == tactic).count();
                assert!(n >= 20, "seed {seed}: {n} accounts of {tactic}");
            }
            assert!(
                out.labels.iter().all(|l| l.label == 0),
                "crowds scenario has no farms"
            );
        }
    }

    #[test]
    fn campus_members_share_few_ips_one_account_per_device() {
        let (store, out) = world(3);
        let campus: Vec<u32> = out
            .labels
            .iter()
            .filter(|l| l.tactic == "campus")
            .filter_map(|l| store.accounts.get(&l.account))
            .collect();
        let mut ips = std::collections::BTreeSet::new();
        let mut devices = std::collections::BTreeMap::new();
        for &a in &campus {
            for &e in store.events_of_account(a) {
                if store.action(e) == Action::Login {
                    if let Some(ip) = store.ip_of(e) {
                        ips.insert(ip);
                    }
                }
                if let Some(d) = store.device_of(e) {
                    devices
                        .entry(d)
                        .or_insert_with(std::collections::BTreeSet::new)
                        .insert(a);
                }
            }
        }
        // Logins come from the sites' NAT addresses (and members' home IPs are those too).
        assert!(ips.len() <= 6, "{} login IPs", ips.len());
        assert!(devices.values().all(|s| s.len() == 1));
    }

    #[test]
    fn friends_react_to_each_others_posts() {
        let (store, out) = world(3);
        let circle: std::collections::HashSet<&str> = out
            .labels
            .iter()
            .filter(|l| l.tactic == "circle")
            .map(|l| l.account.as_str())
            .collect();
        assert!(circle.len() >= 20);
        // Some of the circles' likes land on posts by other circle members.
        let mut likes_on_friends = 0;
        for e in 0..store.len() as u32 {
            if store.action(e) != lockstep_core::Action::Like
                || !circle.contains(store.accounts.name(store.account[e as usize]))
            {
                continue;
            }
            if let Some(c) = store.creator_of_target(store.target[e as usize]) {
                if circle.contains(c) && c != store.accounts.name(store.account[e as usize]) {
                    likes_on_friends += 1;
                }
            }
        }
        assert!(likes_on_friends >= 100, "{likes_on_friends}");
    }

    #[test]
    fn parameters_differ_between_seeds() {
        let (_, a) = world(4);
        let (_, b) = world(5);
        let count = |o: &SimOutput, t: &str| o.labels.iter().filter(|l| l.tactic == t).count();
        assert_ne!(
            (count(&a, "trend"), count(&a, "fandom"), count(&a, "campus")),
            (count(&b, "trend"), count(&b, "fandom"), count(&b, "campus"))
        );
    }
}
