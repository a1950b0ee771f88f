//! Farms: the group-control console's day for classic and stealth farms (batch logins,
//! nurturing, campaigns, bulk follows and DMs, scheduled publishing) and for many-client
//! `spread` farms.

use super::*;

impl Sim {
    pub(crate) fn farm_day(&mut self, f: usize, day: u32) {
        let farm = self.farms[f].clone();
        let day0 = START_MS + day as i64 * DAY;
        let stealth = farm.kind == FarmKind::Stealth;
        let spin = stealth;
        // Which account each phone has logged in; the console rotates them.
        let pick_ip = |rng: &mut ChaCha8Rng, phone: &Phone| {
            if stealth {
                farm.ip_pool[rng.random_range(0..farm.ip_pool.len())]
            } else if rng.random_bool(0.9) {
                phone.ip
            } else {
                farm.ip_pool[rng.random_range(0..farm.ip_pool.len())]
            }
        };

        // 1. Batch login (classic: all phones within seconds; stealth: organic-looking times).
        for (pi, phone) in farm.phones.iter().enumerate() {
            let ip = pick_ip(&mut self.rng, phone);
            for (k, &a) in phone.accounts.iter().enumerate() {
                let t = if stealth {
                    self.diurnal_time(day)
                } else {
                    day0 + farm.login_offset
                        + pi as i64 * 300
                        + k as i64 * 90 * SEC
                        + self.rng.random_range(0..3 * SEC)
                };
                self.buf
                    .push(Ev::new(t, a, Action::Login, NONE, phone.device, ip));
            }
        }

        // 2. Nurture browsing.
        for phone in &farm.phones {
            for &a in &phone.accounts {
                if stealth {
                    // Organic-looking: organic times and watch ratios.
                    for _ in 0..self.rng.random_range(1..=2) {
                        let ip = pick_ip(&mut self.rng, phone);
                        let mut t = self.diurnal_time(day);
                        for _ in 0..self.rng.random_range(5..15) {
                            let Some(v) = self.feed_video(t) else {
                                continue;
                            };
                            let len = self.videos[v as usize].len_ms;
                            let ratio = self.organic_ratio();
                            let watch = (len as f64 * ratio) as u32;
                            self.buf.push(
                                Ev::new(t, a, Action::View, v, phone.device, ip)
                                    .watched(watch, len),
                            );
                            t += watch as i64 + self.rng.random_range(500..3000);
                            if self.rng.random_bool(0.03) {
                                self.buf
                                    .push(Ev::new(t, a, Action::Like, v, phone.device, ip));
                            }
                        }
                    }
                }
            }
        }
        if !stealth {
            for (s, &off) in farm.nurture_offsets.iter().enumerate() {
                let start = day0 + off;
                for phone in &farm.phones {
                    let a = phone.accounts[(s + day as usize) % phone.accounts.len()];
                    let ip = pick_ip(&mut self.rng, phone);
                    let mut t = start + self.rng.random_range(0..5 * SEC);
                    for _ in 0..self.rng.random_range(10..20) {
                        let Some(v) = self.feed_video(t) else {
                            continue;
                        };
                        let len = self.videos[v as usize].len_ms;
                        // Scripted dwell: a fixed range, independent of the video's length.
                        let watch = self.rng.random_range(8_000..15_000u32);
                        self.buf.push(
                            Ev::new(t, a, Action::View, v, phone.device, ip).watched(watch, len),
                        );
                        t += watch as i64 + self.rng.random_range(800..1200);
                        if self.rng.random_bool(0.1) {
                            self.buf
                                .push(Ev::new(t, a, Action::Like, v, phone.device, ip));
                        }
                    }
                }
            }
        }

        // 3. Campaigns on clients' videos.
        let n_campaigns = 6;
        for c in 0..n_campaigns {
            let v = self.client_videos[self.rng.random_range(0..self.client_videos.len())];
            let len = self.videos[v as usize].len_ms;
            let creator = self.videos[v as usize].creator;
            let start = day0 + 9 * HOUR + c * 2 * HOUR + self.rng.random_range(0..HOUR);
            let template = farm.templates[self.rng.random_range(0..farm.templates.len())];
            for phone in &farm.phones {
                let ip = pick_ip(&mut self.rng, phone);
                for (k, &a) in phone.accounts.iter().enumerate() {
                    let participate = if stealth { 0.6 } else { 0.95 };
                    if !self.rng.random_bool(participate) {
                        continue;
                    }
                    let mut t = if stealth {
                        start + self.rng.random_range(0..3 * HOUR)
                    } else {
                        start + k as i64 * 90 * SEC + self.rng.random_range(0..5 * SEC)
                    };
                    let watch = if stealth {
                        (len as f64 * self.rng.random_range(0.6..1.3)) as u32
                    } else {
                        len + self.rng.random_range(0..500)
                    };
                    self.buf
                        .push(Ev::new(t, a, Action::View, v, phone.device, ip).watched(watch, len));
                    t += watch as i64;
                    let (pl, pc, ps, pf) = if stealth {
                        (0.7, 0.3, 0.15, 0.3)
                    } else {
                        (0.95, 0.6, 0.3, 0.5)
                    };
                    if self.rng.random_bool(pl) {
                        t += self.rng.random_range(500..2000);
                        self.buf
                            .push(Ev::new(t, a, Action::Like, v, phone.device, ip));
                    }
                    if self.rng.random_bool(pc) {
                        t += self.rng.random_range(2 * SEC..6 * SEC);
                        let s = text::vary(&mut self.rng, template, spin);
                        let tid = self.text_id(s);
                        self.buf.push(
                            Ev::new(t, a, Action::Comment, v, phone.device, ip).with_text(tid),
                        );
                    }
                    if self.rng.random_bool(ps) {
                        t += self.rng.random_range(SEC..3 * SEC);
                        self.buf
                            .push(Ev::new(t, a, Action::Share, v, phone.device, ip));
                    }
                    if self.rng.random_bool(pf)
                        && creator != a
                        && fraction(f, a, v) < farm.follow_share
                    {
                        t += self.rng.random_range(SEC..3 * SEC);
                        self.buf
                            .push(Ev::new(t, a, Action::Follow, creator, phone.device, ip));
                    }
                }
            }
        }

        // 4. Bulk follow of the big account and its fans; 5. bulk DMs to those fans (day 0).
        if day == 0 && !self.big_fans.is_empty() {
            let start = day0 + farm.login_offset + 30 * MIN;
            let fans = self.big_fans.clone();
            for phone in &farm.phones {
                let ip = pick_ip(&mut self.rng, phone);
                for (k, &a) in phone.accounts.iter().enumerate() {
                    if stealth && !self.rng.random_bool(0.6) {
                        continue;
                    }
                    let mut t = if stealth {
                        start + self.rng.random_range(0..6 * HOUR)
                    } else {
                        start + k as i64 * 5 * MIN + self.rng.random_range(0..5 * SEC)
                    };
                    self.buf.push(Ev::new(
                        t,
                        a,
                        Action::Follow,
                        self.big_account,
                        phone.device,
                        ip,
                    ));
                    let n_follow = self.rng.random_range(10..30).min(fans.len());
                    for &to in fans.choose_multiple(&mut self.rng, n_follow) {
                        t += if stealth {
                            self.rng.random_range(20 * SEC..10 * MIN)
                        } else {
                            self.rng.random_range(2 * SEC..4 * SEC)
                        };
                        self.buf
                            .push(Ev::new(t, a, Action::Follow, to, phone.device, ip));
                    }
                    let n_dm = self.rng.random_range(5..15).min(fans.len());
                    let tpl = farm.dm_templates[self.rng.random_range(0..farm.dm_templates.len())];
                    for &to in fans.choose_multiple(&mut self.rng, n_dm) {
                        t += if stealth {
                            self.rng.random_range(30 * SEC..15 * MIN)
                        } else {
                            self.rng.random_range(3 * SEC..6 * SEC)
                        };
                        let s = text::vary(&mut self.rng, tpl, spin);
                        let tid = self.text_id(s);
                        self.buf
                            .push(Ev::new(t, a, Action::Dm, to, phone.device, ip).with_text(tid));
                    }
                }
            }
        }

        // 6. Scheduled auto-publishing at the farm's minute of the day.
        for phone in &farm.phones {
            for &a in &phone.accounts {
                let Some(&v) = farm.publish_videos.get(&(a, day)) else {
                    continue;
                };
                let ip = pick_ip(&mut self.rng, phone);
                let jitter = if stealth {
                    self.rng.random_range(-90 * SEC..90 * SEC)
                } else {
                    self.rng.random_range(0..20 * SEC)
                };
                let t = self.videos[v as usize].publish_ts + jitter;
                let len = self.videos[v as usize].len_ms;
                self.buf
                    .push(Ev::new(t, a, Action::Publish, v, phone.device, ip).with_len(len));
            }
        }
    }

    /// A many-client farm's day: every account browses like a person (organic times, watch
    /// ratios and likes, on its own phone behind the farm's proxies), and each campaign sends a
    /// small random share of the farm to one client's video, spread over hours, with ordinary
    /// comments. Nothing else: no batch logins, templates, DMs or schedules.
    pub(crate) fn spread_farm_day(&mut self, f: usize, day: u32) {
        let farm = self.farms[f].clone();
        let pool = &farm.ip_pool;
        for phone in &farm.phones {
            for &a in &phone.accounts {
                let mut first = true;
                for _ in 0..self.rng.random_range(1..=3) {
                    let ip = pool[self.rng.random_range(0..pool.len())];
                    let mut t = self.diurnal_time(day);
                    if first {
                        self.buf
                            .push(Ev::new(t, a, Action::Login, NONE, phone.device, ip));
                        first = false;
                        t += self.rng.random_range(SEC..5 * SEC);
                    }
                    for _ in 0..self.rng.random_range(3..15) {
                        let Some(v) = self.feed_video(t) else {
                            continue;
                        };
                        let ratio = self.organic_ratio();
                        t = self.farm_view(a, phone.device, v, t, ip, ratio, 0.03, 0.0, 0.0, 0.0)
                            + self.rng.random_range(500..3000);
                    }
                }
            }
        }
        for _ in 0..farm.campaigns_per_day {
            let v = self.client_videos[self.rng.random_range(0..self.client_videos.len())];
            let start = self.diurnal_time(day);
            let share = self
                .rng
                .random_range(farm.participation.0..farm.participation.1);
            for phone in &farm.phones {
                for &a in &phone.accounts {
                    if !self.rng.random_bool(share) {
                        continue;
                    }
                    let ip = pool[self.rng.random_range(0..pool.len())];
                    let t = start + self.rng.random_range(0..farm.spread_ms);
                    let ratio = self.rng.random_range(0.5..1.3);
                    let follow = if fraction(f, a, v) < farm.follow_share {
                        0.15
                    } else {
                        0.0
                    };
                    self.farm_view(a, phone.device, v, t, ip, ratio, 0.65, 0.15, 0.1, follow);
                }
            }
        }
    }

    /// A one-client farm's day: nurture browsing (crude: scripted dwell in sessions started
    /// together; adaptive: like a person), then, for each video the client uploads today, the
    /// cohort arrives — crude within minutes of the push, with template comments; adaptive
    /// spread over 2–5 hours, with ordinary comments. No DMs, schedules or bulk follows.
    pub(crate) fn one_client_farm_day(&mut self, f: usize, day: u32) {
        let farm = self.farms[f].clone();
        let day0 = START_MS + day as i64 * DAY;
        let pool = &farm.ip_pool;
        for (pi, phone) in farm.phones.iter().enumerate() {
            for (k, &a) in phone.accounts.iter().enumerate() {
                let ip = if farm.crude {
                    phone.ip
                } else {
                    pool[self.rng.random_range(0..pool.len())]
                };
                let mut t = if farm.crude {
                    day0 + farm.nurture_offsets[0] + pi as i64 * 200 + k as i64 * 30 * MIN
                } else {
                    self.diurnal_time(day)
                };
                self.buf
                    .push(Ev::new(t, a, Action::Login, NONE, phone.device, ip));
                t += self.rng.random_range(SEC..5 * SEC);
                for _ in 0..self.rng.random_range(5..15) {
                    let Some(v) = self.feed_video(t) else {
                        continue;
                    };
                    let len = self.videos[v as usize].len_ms;
                    let watch = if farm.crude {
                        self.rng.random_range(8_000..15_000u32)
                    } else {
                        (len as f64 * self.organic_ratio()) as u32
                    };
                    self.buf
                        .push(Ev::new(t, a, Action::View, v, phone.device, ip).watched(watch, len));
                    t += watch as i64 + self.rng.random_range(800..3000);
                    if self.rng.random_bool(0.04) {
                        self.buf
                            .push(Ev::new(t, a, Action::Like, v, phone.device, ip));
                    }
                }
            }
        }
        let uploads = farm
            .client_uploads
            .get(day as usize)
            .cloned()
            .unwrap_or_default();
        for v in uploads {
            let release = self.videos[v as usize].publish_ts;
            let start = release + self.rng.random_range(5 * MIN..2 * HOUR);
            let participation = if farm.crude {
                self.rng.random_range(0.8..0.95)
            } else {
                self.rng.random_range(0.6..0.9)
            };
            let spread = self.rng.random_range(2 * HOUR..5 * HOUR);
            let template = farm.templates[self.rng.random_range(0..farm.templates.len())];
            for phone in &farm.phones {
                for (k, &a) in phone.accounts.iter().enumerate() {
                    if !self.rng.random_bool(participation) {
                        continue;
                    }
                    let (ip, t) = if farm.crude {
                        (
                            phone.ip,
                            start + k as i64 * 60 * SEC + self.rng.random_range(0..30 * SEC),
                        )
                    } else {
                        (
                            pool[self.rng.random_range(0..pool.len())],
                            start + self.rng.random_range(0..spread),
                        )
                    };
                    let follow = if fraction(f, a, v) < farm.follow_share {
                        0.3
                    } else {
                        0.0
                    };
                    if farm.crude {
                        // A full watch, a like, the template comment, a share, a follow.
                        let len = self.videos[v as usize].len_ms;
                        let watch = len + self.rng.random_range(0..500);
                        self.buf.push(
                            Ev::new(t, a, Action::View, v, phone.device, ip).watched(watch, len),
                        );
                        let mut t = t + watch as i64 + self.rng.random_range(500..2000);
                        if self.rng.random_bool(0.9) {
                            self.buf
                                .push(Ev::new(t, a, Action::Like, v, phone.device, ip));
                        }
                        if self.rng.random_bool(0.5) {
                            t += self.rng.random_range(2 * SEC..6 * SEC);
                            let s = text::vary(&mut self.rng, template, false);
                            let tid = self.text_id(s);
                            self.buf.push(
                                Ev::new(t, a, Action::Comment, v, phone.device, ip).with_text(tid),
                            );
                        }
                        if self.rng.random_bool(0.3) {
                            t += self.rng.random_range(SEC..3 * SEC);
                            self.buf
                                .push(Ev::new(t, a, Action::Share, v, phone.device, ip));
                        }
                        if self.rng.random_bool(follow) && farm.client != a {
                            t += self.rng.random_range(SEC..3 * SEC);
                            self.buf.push(Ev::new(
                                t,
                                a,
                                Action::Follow,
                                farm.client,
                                phone.device,
                                ip,
                            ));
                        }
                    } else {
                        let ratio = self.rng.random_range(0.6..1.3);
                        self.farm_view(a, phone.device, v, t, ip, ratio, 0.7, 0.25, 0.15, follow);
                    }
                }
            }
        }
    }

    /// A farm account's view with a like, an ordinary comment, a share and a follow of the
    /// creator drawn with the given probabilities (the follow's drawn at half `p_follow`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn farm_view(
        &mut self,
        a: u32,
        dev: u32,
        v: u32,
        ts: i64,
        ip: u32,
        ratio: f64,
        p_like: f64,
        p_comment: f64,
        p_share: f64,
        p_follow: f64,
    ) -> i64 {
        let len = self.videos[v as usize].len_ms;
        let watch = (len as f64 * ratio) as u32;
        self.buf
            .push(Ev::new(ts, a, Action::View, v, dev, ip).watched(watch, len));
        let mut t = ts + watch as i64;
        if self.rng.random_bool(p_like) {
            t += self.rng.random_range(500..3000);
            self.buf.push(Ev::new(t, a, Action::Like, v, dev, ip));
        }
        if self.rng.random_bool(p_comment) {
            t += self.rng.random_range(3 * SEC..20 * SEC);
            let s = text::organic_comment(&mut self.rng);
            let tid = self.text_id(s);
            self.buf
                .push(Ev::new(t, a, Action::Comment, v, dev, ip).with_text(tid));
        }
        if self.rng.random_bool(p_share) {
            t += self.rng.random_range(SEC..5 * SEC);
            self.buf.push(Ev::new(t, a, Action::Share, v, dev, ip));
        }
        let c = self.videos[v as usize].creator;
        if self.rng.random_bool(p_follow / 2.0) && c != a {
            t += self.rng.random_range(SEC..3 * SEC);
            self.buf.push(Ev::new(t, a, Action::Follow, c, dev, ip));
        }
        t
    }
}
