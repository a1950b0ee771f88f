//! Quality on simulated data, over seeds that were not used for tuning (11–13, 21–22): classic
//! farms (shared infrastructure and lockstep), stealth farms (own devices, proxy pools inside
//! organic IPs, campaigns spread over hours: lockstep alone), and organic worlds with their hard
//! negatives (CGNAT, office IPs, family devices, a viral video, a fan club, power users).

use lockstep_core::{EventStore, EventStoreBuilder};
use lockstep_detect::{detect, registry, Detection, FusionConfig};
use lockstep_eval::{eval_accounts, AccountEval, Label, Score};
use lockstep_sim::{simulate, CreatorLog, Scenario, SimConfig};
use rustc_hash::FxHashMap;

fn run(
    scenario: Scenario,
    seed: u64,
    accounts: usize,
    days: u32,
) -> (EventStore, Detection, AccountEval) {
    run_with(SimConfig {
        scenario,
        seed,
        accounts,
        days,
        creators: Default::default(),
    })
}

fn run_with(cfg: SimConfig) -> (EventStore, Detection, AccountEval) {
    let mut b = EventStoreBuilder::new();
    let out = simulate(&cfg, &mut b).unwrap();
    let store = b.finish();
    let det = detect(&store, &registry(), &FusionConfig::default());
    let scores: FxHashMap<String, Score> = (0..store.n_accounts() as u32)
        .map(|a| {
            let v = &det.accounts[a as usize];
            (
                store.accounts.name(a).to_string(),
                Score {
                    score: v.score as f64,
                    flagged: v.flagged,
                    evidence: v.evidence as f64,
                    group: v.group.map(|g| g as u32),
                },
            )
        })
        .collect();
    let labels: Vec<Label> = out
        .labels
        .iter()
        .map(|l| Label {
            account: l.account.clone(),
            label: l.label == 1,
            farm: l.farm.clone(),
            tactic: l.tactic.to_string(),
        })
        .collect();
    let ev = eval_accounts(&labels, &scores);
    (store, det, ev)
}

#[test]
fn classic_farms_found_on_several_seeds() {
    for seed in [11, 12, 13] {
        let (_, det, ev) = run(Scenario::Classic, seed, 6000, 1);
        assert!(
            ev.average_precision >= 0.97,
            "seed {seed}: AP {}",
            ev.average_precision
        );
        assert!(
            ev.precision >= 0.95,
            "seed {seed}: precision {}",
            ev.precision
        );
        assert!(ev.recall >= 0.90, "seed {seed}: recall {}", ev.recall);
        assert!(!det.groups.is_empty());
        assert_eq!(
            ev.by_tactic.get("fan_club").map_or(0, |t| t.flagged),
            0,
            "seed {seed}: fan club flagged"
        );
    }
}

#[test]
fn stealth_farms_found_on_several_seeds() {
    for seed in [11, 12, 13] {
        let (_, _, ev) = run(Scenario::Stealth, seed, 6000, 1);
        assert!(
            ev.average_precision >= 0.85,
            "seed {seed}: AP {}",
            ev.average_precision
        );
        assert!(
            ev.precision >= 0.90,
            "seed {seed}: precision {}",
            ev.precision
        );
        assert!(ev.recall >= 0.70, "seed {seed}: recall {}", ev.recall);
        assert_eq!(
            ev.by_tactic.get("power_user").map_or(0, |t| t.flagged),
            0,
            "seed {seed}: power user flagged"
        );
    }
}

#[test]
fn organic_world_is_left_alone() {
    for seed in [21, 22] {
        let (_, det, ev) = run(Scenario::Organic, seed, 8000, 1);
        assert!(
            ev.organic_flagged_share <= 0.001,
            "seed {seed}: {} of organic flagged",
            ev.organic_flagged_share
        );
        assert!(det.groups.is_empty() || det.groups.iter().all(|g| g.members.len() < 5));
    }
}

#[test]
fn organic_crowds_are_left_alone() {
    // Trends binged across many creators, overlapping fandoms with shared slogans (uploads in
    // the log or not), campuses logging in at the bell behind NAT, live pushes; parameters
    // drawn per seed. Seeds never used while tuning.
    for seed in [31, 32] {
        let (_, _, ev) = run(Scenario::Crowds, seed, 6000, 2);
        for tactic in ["trend", "fandom", "campus", "live"] {
            let t = &ev.by_tactic[tactic];
            assert!(
                t.accounts >= 20,
                "seed {seed}: {tactic} has {} accounts",
                t.accounts
            );
            assert!(
                t.flagged as f64 <= 0.01 * t.accounts as f64,
                "seed {seed}: {tactic} {} of {} flagged",
                t.flagged,
                t.accounts
            );
        }
        assert!(
            ev.organic_flagged_share <= 0.001,
            "seed {seed}: {} of organic flagged",
            ev.organic_flagged_share
        );
    }
}

#[test]
fn many_client_farms_over_days_with_and_without_the_creator_column() {
    // Aged accounts, own phones behind proxies, 12–25% of the farm per campaign: only repeated
    // co-engagement across many clients over days gives them away. Precision must hold.
    // Without a creator column or uploads in the log, the clients are told apart by their
    // audiences (lockstep@5); a third of farms never follow, so follows do not name them.
    for creators in [CreatorLog::None, CreatorLog::Publish, CreatorLog::Column] {
        let (_, _, ev) = run_with(SimConfig {
            scenario: Scenario::Spread,
            seed: 33,
            accounts: 8000,
            days: 3,
            creators,
        });
        assert!(ev.precision >= 0.95, "precision {}", ev.precision);
        assert!(ev.recall >= 0.4, "recall {}", ev.recall);
        assert!(ev.organic_flagged_share <= 0.001);
    }
}

#[test]
fn farms_hired_by_one_client_are_found() {
    // Each farm pushes one small creator's new videos and does nothing else but nurture:
    // crude farms on shared phones with templates, adaptive ones on their own phones spread
    // over hours. Only the cohort's place in its client's audience gives the adaptive away.
    for seed in [51, 52] {
        let (_, _, ev) = run_with(SimConfig {
            scenario: Scenario::OneClient,
            seed,
            accounts: 8000,
            days: 3,
            creators: CreatorLog::Publish,
        });
        assert!(
            ev.precision >= 0.95,
            "seed {seed}: precision {}",
            ev.precision
        );
        // An adaptive farm sends 60–90% of its accounts to each new video; an account on only
        // one of a client's three uploads is not told from the client's other viewers (seed
        // 51: 158 of 203 reach two, all 158 are flagged).
        assert!(ev.recall >= 0.7, "seed {seed}: recall {}", ev.recall);
        assert!(ev.organic_flagged_share <= 0.001);
    }
}

#[test]
fn crowds_without_any_creator_in_the_log_are_not_farms() {
    // Trends, fandoms, campuses and live pushes, and nothing says who owns a video: telling
    // videos apart by their audiences must not turn a fandom's releases into many clients.
    for seed in [41, 42] {
        let (_, _, ev) = run_with(SimConfig {
            scenario: Scenario::Crowds,
            seed,
            accounts: 8000,
            days: 3,
            creators: CreatorLog::None,
        });
        assert!(
            ev.organic_flagged_share <= 0.001,
            "seed {seed}: {} of organic flagged",
            ev.organic_flagged_share
        );
    }
}

#[test]
fn fan_club_over_several_days_is_not_a_farm() {
    // The idol releases daily; her fans like and comment the same words within minutes, every
    // day. Over three days that repeats on one creator only, which is not coordination.
    let (_, _, ev) = run(Scenario::Mixed, 23, 12000, 3);
    assert_eq!(ev.by_tactic["fan_club"].flagged, 0, "{:?}", ev.by_tactic);
    assert!(
        ev.organic_flagged_share <= 0.001,
        "{}",
        ev.organic_flagged_share
    );
    assert!(ev.recall >= 0.9, "recall {}", ev.recall);
}

#[test]
fn output_is_deterministic() {
    let (s1, d1, _) = run(Scenario::Mixed, 5, 3000, 1);
    let (s2, d2, _) = run(Scenario::Mixed, 5, 3000, 1);
    let sig = |s: &EventStore, d: &Detection| -> Vec<(String, u32, bool, Option<usize>)> {
        (0..s.n_accounts() as u32)
            .map(|a| {
                (
                    s.accounts.name(a).to_string(),
                    d.accounts[a as usize].score.to_bits(),
                    d.accounts[a as usize].flagged,
                    d.accounts[a as usize].group,
                )
            })
            .collect()
    };
    assert_eq!(sig(&s1, &d1), sig(&s2, &d2));
}
