//! The binary end to end: simulate → detect → eval, determinism, contract columns, exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn lockstep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> Output {
    let o = lockstep(args);
    assert!(
        o.status.success(),
        "lockstep {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

#[test]
fn simulate_is_deterministic_per_seed() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    for (name, seed) in [("a.csv", "4"), ("b.csv", "4"), ("c.csv", "5")] {
        ok(&[
            "simulate",
            "--scenario",
            "stealth",
            "--seed",
            seed,
            "--accounts",
            "1500",
            "--out",
            &p(dir, name),
            "--labels",
            &p(dir, &format!("{name}.labels")),
        ]);
    }
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    assert_eq!(read("a.csv"), read("b.csv"));
    assert_eq!(read("a.csv.labels"), read("b.csv.labels"));
    assert_ne!(read("a.csv"), read("c.csv"));
}

#[test]
fn simulate_detect_eval_end_to_end() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let (ev, labels, truth) = (
        p(dir, "ev.parquet"),
        p(dir, "labels.csv"),
        p(dir, "truth.csv"),
    );
    ok(&[
        "simulate",
        "--scenario",
        "classic",
        "--seed",
        "9",
        "--accounts",
        "4000",
        "--out",
        &ev,
        "--labels",
        &labels,
        "--truth",
        &truth,
    ]);
    let out1 = p(dir, "out1");
    let out2 = p(dir, "out2");
    let o = ok(&["detect", &ev, "--out", &out1, "--json", "-q"]);
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(summary["flagged"].as_u64().unwrap() > 0);
    ok(&["detect", &ev, "--out", &out2, "-q"]);
    for f in ["accounts.csv", "groups.json", "videos.csv", "report.html"] {
        let a = std::fs::read(Path::new(&out1).join(f)).unwrap();
        let b = std::fs::read(Path::new(&out2).join(f)).unwrap();
        assert!(!a.is_empty(), "{f} empty");
        assert_eq!(a, b, "{f} differs between runs");
    }
    let accounts = std::fs::read_to_string(Path::new(&out1).join("accounts.csv")).unwrap();
    assert!(accounts.starts_with("account,score,flagged,group,reasons"));
    let videos = std::fs::read_to_string(Path::new(&out1).join("videos.csv")).unwrap();
    assert!(videos.starts_with("target,views,clean_views,likes,clean_likes,comments,clean_comments,shares,clean_shares,completion_rate,clean_completion_rate"));
    let groups: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&out1).join("groups.json")).unwrap(),
    )
    .unwrap();
    // groups.json obeys the schema shipped in the repo, and the schema is not vacuous.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schemas/groups.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&groups)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut broken = groups.clone();
    broken["groups"][0]["members"][0]["score"] = serde_json::json!(1.5);
    broken["groups"][0]
        .as_object_mut()
        .unwrap()
        .remove("evidence");
    assert!(validator.iter_errors(&broken).count() >= 2);
    let g0 = &groups["groups"][0];
    assert_eq!(g0["id"], "G1");
    assert_eq!(g0["label"]["label1"], "group_control");
    assert!(g0["members"].as_array().unwrap().len() >= 5);
    assert!(g0["shared"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["kind"] == "ip" && s["hub"] == false));
    let html = std::fs::read_to_string(Path::new(&out1).join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("G1"));

    let o = ok(&[
        "eval",
        "--labels",
        &labels,
        "--scores",
        &p(Path::new(&out1), "accounts.csv"),
        "--truth",
        &truth,
        "--videos",
        &p(Path::new(&out1), "videos.csv"),
        "--json",
    ]);
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        e["accounts"]["average_precision"].as_f64().unwrap() >= 0.97,
        "{e}"
    );
    assert!(e["accounts"]["precision"].as_f64().unwrap() >= 0.95, "{e}");
    assert!(
        e["videos"]["like_residual"].as_f64().unwrap() <= 0.10,
        "{e}"
    );
    assert!(
        e["videos"]["clean_video_like_loss"].as_f64().unwrap() <= 0.01,
        "{e}"
    );

    // Calibration: fit knots on this run's raw evidence, then detect with them.
    let raw = p(dir, "raw");
    ok(&["detect", &ev, "--out", &raw, "-q", "--calibration", "none"]);
    let o = ok(&[
        "calibrate",
        "--run",
        &format!("{labels}={}", p(Path::new(&raw), "accounts.csv")),
    ]);
    let fit: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let knots = fit["knots"].as_array().unwrap();
    assert!(knots.len() >= 2, "{fit}");
    let pts: Vec<(f64, f64)> = knots
        .iter()
        .map(|k| (k[0].as_f64().unwrap(), k[1].as_f64().unwrap()))
        .collect();
    assert!(
        pts.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
        "{fit}"
    );
    // Accounts with no evidence are almost all organic; the strongest evidence almost all farm.
    assert!(pts[0].1 < 0.05 && pts.last().unwrap().1 > 0.9, "{fit}");
    let knots_file = p(dir, "knots.json");
    std::fs::write(&knots_file, &o.stdout).unwrap();
    let cal = p(dir, "cal");
    ok(&[
        "detect",
        &ev,
        "--out",
        &cal,
        "-q",
        "--calibration",
        &knots_file,
    ]);
    // Same flags (the default rule reads the evidence), scores from the new knots.
    let flags = |dir: &str| -> Vec<String> {
        std::fs::read_to_string(Path::new(dir).join("accounts.csv"))
            .unwrap()
            .lines()
            .map(|l| l.split(',').nth(2).unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(flags(&raw), flags(&cal));
    // Ablation: one detector alone.
    let one = p(dir, "one");
    ok(&[
        "detect",
        &ev,
        "--out",
        &one,
        "-q",
        "--detectors",
        "shared_infra",
    ]);
    let acc = std::fs::read_to_string(Path::new(&one).join("accounts.csv")).unwrap();
    assert!(acc
        .lines()
        .skip(1)
        .all(|l| !l.contains("lockstep@") && !l.contains("scripted@")));
}

/// `--parquet` writes the CSVs' rows, in their order, with typed columns.
#[test]
fn parquet_outputs_match_the_csvs() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float32Type, Float64Type, UInt32Type, UInt64Type};
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let d = tempfile::tempdir().unwrap();
    let out = p(d.path(), "out");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sample.csv.gz");
    ok(&["detect", sample, "--out", &out, "--parquet", "-q"]);
    let batches = |name: &str| {
        let f = std::fs::File::open(Path::new(&out).join(name)).unwrap();
        ParquetRecordBatchReaderBuilder::try_new(f)
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect::<Vec<_>>()
    };
    let csv_rows = |name: &str| {
        csv::Reader::from_path(Path::new(&out).join(name))
            .unwrap()
            .records()
            .map(|r| r.unwrap())
            .collect::<Vec<_>>()
    };
    let accounts = csv_rows("accounts.csv");
    let mut row = 0;
    let mut flagged = 0;
    for b in batches("accounts.parquet") {
        let (name, score) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_primitive::<Float32Type>(),
        );
        let (flag, group) = (b.column(2).as_boolean(), b.column(3).as_string::<i32>());
        let events = b.column(5).as_primitive::<UInt32Type>();
        for i in 0..b.num_rows() {
            let c = &accounts[row];
            assert_eq!(name.value(i), &c[0]);
            assert!((score.value(i) as f64 - c[1].parse::<f64>().unwrap()).abs() <= 5e-5);
            assert_eq!(flag.value(i), &c[2] == "1");
            assert_eq!(group.is_null(i), c[3].is_empty());
            if !group.is_null(i) {
                assert_eq!(group.value(i), &c[3]);
            }
            assert_eq!(events.value(i).to_string(), c[5]);
            flagged += flag.value(i) as usize;
            row += 1;
        }
    }
    assert_eq!(row, accounts.len());
    assert!(flagged > 0);
    let videos = csv_rows("videos.csv");
    let mut row = 0;
    for b in batches("videos.parquet") {
        assert_eq!(b.schema().field(0).name(), "target");
        let views = b.column(1).as_primitive::<UInt64Type>();
        let rate = b.column(9).as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            let c = &videos[row];
            assert_eq!(b.column(0).as_string::<i32>().value(i), &c[0]);
            assert_eq!(views.value(i).to_string(), c[1]);
            assert_eq!(rate.is_null(i), c[9].is_empty());
            row += 1;
        }
    }
    assert_eq!(row, videos.len());
}

#[test]
fn exit_codes_mean_something() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let out = p(dir, "out");
    let o = lockstep(&["detect", &p(dir, "missing.csv"), "--out", &out]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.csv"));
    std::fs::write(
        dir.join("bad.csv"),
        "ts,account,action,target\n1,a,view,v\n2,a,jump,v\n",
    )
    .unwrap();
    let o = lockstep(&["detect", &p(dir, "bad.csv"), "--out", &out]);
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 3") && err.contains("`action`") && err.contains("jump"),
        "{err}"
    );
    let o = lockstep(&[
        "detect",
        &p(dir, "bad.csv"),
        "--out",
        &out,
        "--max-bad-rows",
        "1",
        "-q",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = lockstep(&["detect", "--out", &out]);
    assert_eq!(o.status.code(), Some(2));
    let ok_csv = p(dir, "ok.csv");
    std::fs::write(&ok_csv, "ts,account,action,target\n1,a,view,v\n").unwrap();
    let o = lockstep(&["detect", &ok_csv, "--out", &out, "--detectors", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope"));
    // Blocks can be injected into rating graphs only.
    let o = lockstep(&[
        "convert",
        "--from",
        "yelp",
        &ok_csv,
        "--out",
        &out,
        "--labels",
        &out,
        "--inject-blocks",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a rating graph"));
    std::fs::write(
        dir.join("knots.json"),
        r#"{"knots": [[0.5, 0.9], [0.2, 0.1]]}"#,
    )
    .unwrap();
    let o = lockstep(&[
        "detect",
        &ok_csv,
        "--out",
        &out,
        "--calibration",
        &p(dir, "knots.json"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ascend"));
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    assert_eq!(
        lockstep(&["detect", &p(dir, "empty.csv"), "--out", &out])
            .status
            .code(),
        Some(4)
    );
}
