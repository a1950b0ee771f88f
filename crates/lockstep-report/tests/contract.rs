//! The output files read back through `lockstep-schema`'s types equal what was written: the types
//! are the contract both ways.

use lockstep_core::EventStoreBuilder;
use lockstep_report::pipeline::{analyse, write_outputs, Analysis, OutputOptions};
use lockstep_schema::{AccountRow, GroupsDoc, VideoRow};
use lockstep_sim::{simulate, Scenario, SimConfig};

fn mixed_world() -> Analysis {
    let mut b = EventStoreBuilder::new();
    let cfg = SimConfig {
        scenario: Scenario::Mixed,
        seed: 5,
        accounts: 3000,
        days: 1,
        creators: Default::default(),
    };
    simulate(&cfg, &mut b).unwrap();
    let registry = lockstep_detect::registry();
    analyse(b.finish(), &registry, &Default::default())
}

#[test]
fn outputs_read_back_through_the_schema_types() {
    let a = mixed_world();
    let dir = tempfile::tempdir().unwrap();
    let opts = OutputOptions {
        parquet: false,
        source: "test".into(),
    };
    write_outputs(&a, dir.path(), &opts).unwrap();
    let (store, det) = (&a.store, &a.detection);

    // groups.json parses into equal values and re-serialises to the same bytes.
    let text = std::fs::read_to_string(dir.path().join("groups.json")).unwrap();
    let doc = GroupsDoc::parse(&text).unwrap();
    assert!(!doc.groups.is_empty(), "the mixed world has farms to group");
    assert_eq!(serde_json::to_string_pretty(&doc).unwrap() + "\n", text);
    let g = doc.group(&doc.groups[0].id).unwrap();
    assert_eq!(g.size, g.members.len());
    assert!(!g.crowd_checks.is_empty());
    assert_eq!(doc.flagged, det.n_flagged());
    // Files written before crowd checks and linked cases existed still parse.
    let old = text
        .replace("\"crowd_checks\"", "\"ignored_a\"")
        .replace("\"linked\"", "\"ignored_b\"");
    assert!(GroupsDoc::parse(&old).is_ok());
    // A renamed required field is an error naming it, not a blank.
    let renamed = text.replacen("\"summary\"", "\"summry\"", 1);
    let err = GroupsDoc::parse(&renamed).unwrap_err().to_string();
    assert!(err.contains("summary"), "{err}");

    // accounts.csv: one row per account, each equal to the detection at printed precision.
    let mut r = csv::Reader::from_path(dir.path().join("accounts.csv")).unwrap();
    let rows: Vec<AccountRow> = r.deserialize().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), store.n_accounts());
    let mut flagged = 0;
    for row in &rows {
        let id = store.accounts.get(&row.account).expect("a known account");
        let v = &det.accounts[id as usize];
        assert!((row.score.0 - v.score as f64).abs() <= 5e-5);
        assert_eq!(row.flagged.0, v.flagged);
        flagged += row.flagged.0 as usize;
        let group = v.group.map(|g| det.groups[g].id.as_str());
        assert_eq!(row.group.as_deref(), group);
        assert_eq!(row.events, Some(store.events_of_account(id).len() as u64));
    }
    assert_eq!(flagged, det.n_flagged());
    assert!(rows.windows(2).all(|w| w[0].score.0 >= w[1].score.0));

    // videos.csv: one row per metric, counts exact.
    let mut r = csv::Reader::from_path(dir.path().join("videos.csv")).unwrap();
    let rows: Vec<VideoRow> = r.deserialize().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), a.videos.len());
    for (row, m) in rows.iter().zip(&a.videos) {
        assert_eq!(row.target, store.targets.name(m.target));
        assert_eq!((row.views, row.clean_views), (m.views, m.clean_views));
        assert_eq!((row.likes, row.clean_likes), (m.likes, m.clean_likes));
        assert_eq!(
            (row.followers, row.clean_followers),
            (m.followers, m.clean_followers)
        );
        assert_eq!(row.completion_rate.is_some(), m.completion_rate().is_some());
    }
}
