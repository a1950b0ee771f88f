//! Ground truth: per-video organic and farm counts, per-account labels, and their CSV files.

use super::*;

impl Sim {
    pub(crate) fn count_truth(&mut self, e: &Ev) {
        if !matches!(
            e.action,
            Action::View | Action::Like | Action::Comment | Action::Share
        ) {
            return;
        }
        let farm = matches!(self.kinds[e.account as usize], Kind::Farm(_));
        let t = &mut self.truth[e.target as usize];
        match (e.action, farm) {
            (Action::View, false) => {
                t.organic_views += 1;
                if e.watch != NONE && e.video != NONE && e.watch >= e.video {
                    t.organic_completions += 1;
                }
            }
            (Action::View, true) => t.farm_views += 1,
            (Action::Like, false) => t.organic_likes += 1,
            (Action::Like, true) => t.farm_likes += 1,
            (Action::Comment, false) => t.organic_comments += 1,
            (Action::Comment, true) => t.farm_comments += 1,
            (Action::Share, false) => t.organic_shares += 1,
            (Action::Share, true) => t.farm_shares += 1,
            _ => {}
        }
    }

    pub(crate) fn labels(&mut self, names: &Names) -> Vec<LabelRow> {
        for (v, t) in self.truth.iter_mut().enumerate() {
            t.target = names.videos[v].clone();
        }
        let mut rows: Vec<LabelRow> = self
            .kinds
            .iter()
            .enumerate()
            .filter(|&(a, _)| self.active[a])
            .map(|(a, k)| {
                let (label, farm, tactic) = match *k {
                    Kind::Farm(f) => (
                        1,
                        format!("F{}", f + 1),
                        match self.farms[f as usize].kind {
                            FarmKind::Classic => "classic",
                            FarmKind::Stealth => "stealth",
                            FarmKind::Spread => "spread",
                            FarmKind::OneClient if self.farms[f as usize].crude => {
                                "oneclient_crude"
                            }
                            FarmKind::OneClient => "oneclient_adaptive",
                        },
                    ),
                    Kind::Crowd(c) => (0, String::new(), c.tactic()),
                    Kind::Organic => (0, String::new(), "organic"),
                    Kind::PowerUser => (0, String::new(), "power_user"),
                    Kind::Fan => (0, String::new(), "fan_club"),
                };
                LabelRow {
                    account: names.accounts[a].clone(),
                    label,
                    farm,
                    tactic,
                }
            })
            .collect();
        rows.sort_by(|a, b| a.account.cmp(&b.account));
        rows
    }
}

/// Write `labels.csv`: account,label,farm,tactic.
pub fn write_labels(path: &str, rows: &[LabelRow]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["account", "label", "farm", "tactic"])?;
    for r in rows {
        w.write_record([
            r.account.as_str(),
            if r.label == 1 { "1" } else { "0" },
            &r.farm,
            r.tactic,
        ])?;
    }
    w.flush()
}

/// Write `truth.csv`: per video, organic and farm counts. Completion means `watch_ms >= video_ms`.
pub fn write_truth(path: &str, rows: &[TruthRow]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "target",
        "organic_views",
        "organic_likes",
        "organic_comments",
        "organic_shares",
        "organic_completions",
        "farm_views",
        "farm_likes",
        "farm_comments",
        "farm_shares",
    ])?;
    let mut sorted: Vec<&TruthRow> = rows
        .iter()
        .filter(|r| r.organic_views + r.farm_views + r.organic_likes + r.farm_likes > 0)
        .collect();
    sorted.sort_by(|a, b| a.target.cmp(&b.target));
    for r in sorted {
        w.write_record([
            r.target.clone(),
            r.organic_views.to_string(),
            r.organic_likes.to_string(),
            r.organic_comments.to_string(),
            r.organic_shares.to_string(),
            r.organic_completions.to_string(),
            r.farm_views.to_string(),
            r.farm_likes.to_string(),
            r.farm_comments.to_string(),
            r.farm_shares.to_string(),
        ])?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::EventStoreBuilder;

    fn run(scenario: Scenario, seed: u64) -> (lockstep_core::EventStore, SimOutput) {
        let mut b = EventStoreBuilder::new();
        let cfg = SimConfig {
            scenario,
            seed,
            accounts: 1500,
            days: 2,
            creators: Default::default(),
        };
        let out = simulate(&cfg, &mut b).unwrap();
        (b.finish(), out)
    }

    /// The truth counts every like, view, comment and share the log holds, split into organic
    /// and farm by the labels; labels cover exactly the accounts that acted.
    #[test]
    fn truth_and_labels_match_the_events() {
        let (s, out) = run(Scenario::Mixed, 3);
        assert_eq!(out.events as usize, s.len());
        let count = |a: Action| (0..s.len() as u32).filter(|&e| s.action(e) == a).count() as u64;
        let sum = |f: fn(&TruthRow) -> u64| out.truth.iter().map(f).sum::<u64>();
        assert_eq!(sum(|t| t.organic_likes + t.farm_likes), count(Action::Like));
        assert_eq!(sum(|t| t.organic_views + t.farm_views), count(Action::View));
        assert_eq!(
            sum(|t| t.organic_shares + t.farm_shares),
            count(Action::Share)
        );
        assert_eq!(out.labels.len(), s.n_accounts());
        let farm: std::collections::BTreeSet<&str> = out
            .labels
            .iter()
            .filter(|l| l.label == 1)
            .map(|l| l.account.as_str())
            .collect();
        // Farm likes in the truth are exactly the likes of labelled farm accounts.
        let farm_likes = (0..s.len() as u32)
            .filter(|&e| s.action(e) == Action::Like)
            .filter(|&e| farm.contains(s.accounts.name(s.account[e as usize])))
            .count() as u64;
        assert_eq!(sum(|t| t.farm_likes), farm_likes);
        // 3% classic + 3% stealth of the accounts, within rounding of farm sizes.
        let share = farm.len() as f64 / 1500.0;
        assert!((0.04..=0.08).contains(&share), "farm share {share}");
    }

    #[test]
    fn a_seed_gives_the_same_log_and_another_seed_another() {
        let (a, _) = run(Scenario::Stealth, 7);
        let (b, _) = run(Scenario::Stealth, 7);
        let (c, _) = run(Scenario::Stealth, 8);
        let sig = |s: &lockstep_core::EventStore| {
            (0..s.len())
                .map(|e| (s.ts[e], s.accounts.name(s.account[e]).to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(sig(&a), sig(&b));
        assert_ne!(sig(&a), sig(&c));
    }

    #[test]
    fn organic_worlds_have_no_farm_and_no_crowd() {
        let (_, out) = run(Scenario::Organic, 5);
        assert!(out.labels.iter().all(|l| l.label == 0));
        assert!(out
            .labels
            .iter()
            .all(|l| !["trend", "fandom", "campus", "live"].contains(&l.tactic)));
    }
}
