//! Organic traffic: the diurnal feed, watch ratios and the interactions that follow a view,
//! each account's sessions, organic uploads, and the classic hard negatives (a viral video, a
//! fan club).

use super::*;

impl Sim {
    pub(crate) fn diurnal_time(&mut self, day: u32) -> i64 {
        let h = self.hour_sampler.sample(&mut self.rng) as i64;
        START_MS + day as i64 * DAY + h * HOUR + self.rng.random_range(0..HOUR)
    }

    /// A feed pick: a video published before `ts`, by popularity.
    pub(crate) fn feed_video(&mut self, ts: i64) -> Option<u32> {
        for _ in 0..6 {
            let v = self.video_sampler.sample(&mut self.rng);
            if self.videos[v].publish_ts <= ts {
                return Some(v as u32);
            }
        }
        None
    }

    /// An organic watch ratio: skips, partial watches, completions, replays.
    pub(crate) fn organic_ratio(&mut self) -> f64 {
        let u: f64 = self.rng.random();
        if u < 0.30 {
            self.rng.random_range(0.02..0.2)
        } else if u < 0.60 {
            self.rng.random_range(0.2..0.95)
        } else if u < 0.90 {
            1.0
        } else {
            self.rng.random_range(1.0..2.5)
        }
    }

    /// One organic view with its follow-up interactions; returns the time after it.
    pub(crate) fn organic_view(
        &mut self,
        a: u32,
        v: u32,
        ts: i64,
        ip: u32,
        ratio: f64,
        fan: bool,
    ) -> i64 {
        let r = ratio.min(1.0);
        let eng = if fan {
            Engage {
                like: 0.9,
                comment: 0.5,
                share: 0.2,
                follow: 0.05,
                voice: Voice::Fan,
            }
        } else {
            Engage {
                like: 0.02 + 0.12 * r * r,
                comment: 0.004 + 0.02 * r,
                share: 0.002 + 0.01 * r,
                follow: 0.002 * r,
                voice: Voice::Organic,
            }
        };
        self.engaged_view(a, v, ts, ip, ratio, eng)
    }

    /// A view on the account's own device with the interactions `eng` draws; returns the time
    /// after it.
    pub(crate) fn engaged_view(
        &mut self,
        a: u32,
        v: u32,
        ts: i64,
        ip: u32,
        ratio: f64,
        eng: Engage,
    ) -> i64 {
        let dev = self.profiles[a as usize].device;
        let len = self.videos[v as usize].len_ms;
        let watch = ((len as f64) * ratio) as u32;
        self.buf
            .push(Ev::new(ts, a, Action::View, v, dev, ip).watched(watch, len));
        let mut t = ts + watch as i64;
        let (pl, pc, ps, pf) = (eng.like, eng.comment, eng.share, eng.follow);
        if self.rng.random_bool(pl) {
            t += self.rng.random_range(300..3000);
            self.buf.push(Ev::new(t, a, Action::Like, v, dev, ip));
        }
        if self.rng.random_bool(pc) {
            t += self.rng.random_range(3 * SEC..20 * SEC);
            let s = match eng.voice {
                Voice::Fan => text::fan_comment(&mut self.rng),
                Voice::Organic => text::organic_comment(&mut self.rng),
                Voice::Slogan(s) if self.rng.random_bool(0.6) => s.to_string(),
                Voice::Slogan(_) => text::fan_comment(&mut self.rng),
                Voice::Challenge(tag) => text::challenge_comment(&mut self.rng, tag),
            };
            let tid = self.text_id(s);
            self.buf
                .push(Ev::new(t, a, Action::Comment, v, dev, ip).with_text(tid));
        }
        if self.rng.random_bool(ps) {
            t += self.rng.random_range(SEC..5 * SEC);
            self.buf.push(Ev::new(t, a, Action::Share, v, dev, ip));
        }
        if self.rng.random_bool(pf) {
            t += self.rng.random_range(SEC..3 * SEC);
            let c = self.videos[v as usize].creator;
            if c != a {
                self.buf.push(Ev::new(t, a, Action::Follow, c, dev, ip));
            }
        }
        t
    }

    pub(crate) fn organic_day(&mut self, a: u32, day: u32) {
        let p = self.profiles[a as usize].clone();
        let n_sessions = Poisson::new(p.sessions_per_day.max(0.01))
            .unwrap()
            .sample(&mut self.rng) as usize;
        let mut first = true;
        for _ in 0..n_sessions {
            let start = self.diurnal_time(day);
            let hour = ((start - START_MS).rem_euclid(DAY)) / HOUR;
            let ip = match p.office_ip {
                Some(o) if (9..18).contains(&hour) && self.rng.random_bool(0.8) => o,
                _ if self.rng.random_bool(0.5) => p.home_ip,
                _ => p.mobile_ip,
            };
            if first {
                self.buf
                    .push(Ev::new(start, a, Action::Login, NONE, p.device, ip));
                first = false;
            }
            let n_views = 1 + Exp::new(1.0 / p.views_per_session)
                .unwrap()
                .sample(&mut self.rng) as usize;
            let mut t = start + self.rng.random_range(SEC..5 * SEC);
            for _ in 0..n_views {
                let Some(v) = self.feed_video(t) else {
                    continue;
                };
                let ratio = self.organic_ratio();
                t = self.organic_view(a, v, t, ip, ratio, false) + self.rng.random_range(500..3000);
            }
            if self.rng.random_bool(0.01) && !self.creators.is_empty() {
                // An organic DM to a creator or friend.
                let to = self.creators[self.rng.random_range(0..self.creators.len())];
                if to != a {
                    let s = text::organic_comment(&mut self.rng);
                    let tid = self.text_id(s);
                    self.buf
                        .push(Ev::new(t, a, Action::Dm, to, p.device, ip).with_text(tid));
                }
            }
        }
        // Some of the big account's fans follow it today (the rest already did).
        if day == 0 && self.big_fans.binary_search(&a).is_ok() && self.rng.random_bool(0.3) {
            let t = self.diurnal_time(day);
            self.buf.push(Ev::new(
                t,
                a,
                Action::Follow,
                self.big_account,
                p.device,
                p.home_ip,
            ));
        }
    }

    pub(crate) fn publish_organic(&mut self, day: u32) {
        let lo = START_MS + day as i64 * DAY;
        let hi = lo + DAY;
        for v in 0..self.videos.len() {
            let vid = self.videos[v];
            if vid.publish_ts >= lo
                && vid.publish_ts < hi
                && vid.logged
                && !matches!(self.kinds[vid.creator as usize], Kind::Farm(_))
            {
                let p = &self.profiles[vid.creator as usize];
                let (d, ip) = (p.device, p.home_ip);
                self.buf.push(
                    Ev::new(
                        vid.publish_ts,
                        vid.creator,
                        Action::Publish,
                        v as u32,
                        d,
                        ip,
                    )
                    .with_len(vid.len_ms),
                );
            }
        }
    }

    pub(crate) fn viral(&mut self, day: u32) {
        if day != 0 {
            return;
        }
        let release = START_MS + 19 * HOUR;
        let exp = Exp::new(1.0 / (40.0 * MIN as f64)).unwrap();
        for a in 0..self.kinds.len() as u32 {
            if matches!(self.kinds[a as usize], Kind::Farm(_)) || !self.rng.random_bool(0.25) {
                continue;
            }
            let t = release + exp.sample(&mut self.rng) as i64;
            let ip = self.everyday_ip(a);
            let ratio = self.organic_ratio();
            self.organic_view(a, self.viral_video, t, ip, ratio, false);
        }
    }

    pub(crate) fn fan_club(&mut self, day: u32) {
        let v = self.idol_videos[day as usize];
        let release = self.videos[v as usize].publish_ts;
        let delay = LogNormal::new((4.0 * MIN as f64).ln(), 0.9).unwrap();
        let fans = self.fans.clone();
        for a in fans {
            if !self.rng.random_bool(0.85) {
                continue;
            }
            let t = release + delay.sample(&mut self.rng) as i64;
            let ip = self.everyday_ip(a);
            let ratio = self.rng.random_range(1.0..2.0);
            self.organic_view(a, v, t, ip, ratio, true);
        }
    }

    /// Where an account is when something reaches it: home or on the move, evenly.
    pub(crate) fn everyday_ip(&mut self, a: u32) -> u32 {
        let p = &self.profiles[a as usize];
        if self.rng.random_bool(0.5) {
            p.home_ip
        } else {
            p.mobile_ip
        }
    }
}
