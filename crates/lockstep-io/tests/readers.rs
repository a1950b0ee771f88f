//! Every reader format, compression, and each bad-input case named in the contract.

use lockstep_core::{Action, EventStoreBuilder, TypedEvent};
use lockstep_io::{open_event_writer, read_events, Format, Location, ReadError, ReadOptions};
use std::io::Write;

fn sample_events() -> Vec<TypedEvent<'static>> {
    vec![
        TypedEvent {
            device: Some("d1"),
            ip: Some("1.2.3.4"),
            watch_ms: Some(5000),
            video_ms: Some(10000),
            ..TypedEvent::new(2000, "alice", Action::View, "v1")
        },
        TypedEvent {
            text: Some("哈哈哈, \"quoted\"\nnewline 👍"),
            rating: Some(4.5),
            creator: Some("studio"),
            ..TypedEvent::new(1000, "bob", Action::Comment, "v1")
        },
        TypedEvent {
            device: Some("d1"),
            ip: Some("1.2.3.4"),
            ..TypedEvent::new(3000, "alice", Action::Login, "")
        },
        TypedEvent {
            device: Some("d2"),
            ip: Some("5.6.7.8"),
            ..TypedEvent::new(3000, "carol", Action::Follow, "alice")
        },
    ]
}

fn write_with(path: &str) {
    let mut w = open_event_writer(path).unwrap();
    for e in sample_events() {
        w.write(&e).unwrap();
    }
    w.finish().unwrap();
}

/// The store as comparable rows.
fn rows(path: &str) -> Vec<String> {
    let (s, rep) = read_events(path, &ReadOptions::default()).unwrap();
    assert_eq!(rep.events, 4);
    assert_eq!(rep.bad_rows, 0);
    (0..s.len() as u32)
        .map(|e| {
            format!(
                "{} {} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                s.ts[e as usize],
                s.accounts.name(s.account[e as usize]),
                s.action(e),
                s.targets.name(s.target[e as usize]),
                s.device_of(e).map(|d| s.devices.name(d)),
                s.ip_of(e).map(|d| s.ips.name(d)),
                s.watch_of(e),
                s.video_len_of(e),
                s.text_of(e),
                s.rating_of(e),
                s.creator_of_target(s.target[e as usize])
            )
        })
        .collect()
}

#[test]
fn all_formats_and_compressions_read_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let mut reference: Option<Vec<String>> = None;
    for name in [
        "e.csv",
        "e.jsonl",
        "e.parquet",
        "e.csv.gz",
        "e.jsonl.zst",
        "e.csv.zst",
        "e.jsonl.gz",
    ] {
        let p = dir.path().join(name);
        let p = p.to_str().unwrap();
        write_with(p);
        let r = rows(p);
        // Time order, stable for ties.
        assert!(r[0].starts_with("1000 bob comment"), "{name}: {r:?}");
        // The creator named on one event is v1's, for every event on v1.
        assert!(r[1].ends_with("Some(\"studio\")"), "{name}: {r:?}");
        match &reference {
            None => reference = Some(r),
            Some(x) => assert_eq!(&r, x, "{name} differs"),
        }
    }
    let r = reference.unwrap();
    assert!(r[1].contains("Some(5000) Some(10000)"), "{r:?}");
    // Ratings survive every format; events without one have none.
    assert!(
        r[0].contains("Some(4.5)") && r[1].contains("None None Some(\"studio\")"),
        "{r:?}"
    );
    assert!(
        r[0].contains("哈哈哈, \\\"quoted\\\"\\nnewline 👍"),
        "{r:?}"
    );
}

#[test]
fn compressed_input_is_recognised_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("real.csv.gz");
    write_with(gz.to_str().unwrap());
    let renamed = dir.path().join("misnamed.csv");
    std::fs::rename(&gz, &renamed).unwrap();
    assert_eq!(rows(renamed.to_str().unwrap()).len(), 4);
}

fn write_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p.to_str().unwrap().to_string()
}

fn err(path: &str) -> ReadError {
    read_events(path, &ReadOptions::default()).unwrap_err()
}

#[test]
fn csv_extras_rfc3339_and_tabs() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        &dir,
        "a.csv",
        b"action,extra,ts,account,target\nlike,x,2026-11-02T00:00:01+08:00,a,v\nVIEW,y,1000,b,v\n",
    );
    let (s, _) = read_events(&p, &ReadOptions::default()).unwrap();
    assert_eq!(s.ts, vec![1000, 1_793_548_801_000]);
    let p = write_file(
        &dir,
        "b.tsv",
        b"ts\taccount\taction\ttarget\n1\ta\tlike\tv\n",
    );
    assert_eq!(read_events(&p, &ReadOptions::default()).unwrap().0.len(), 1);
}

#[test]
fn ratings_are_optional_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    // No rating column: the store keeps no rating column at all.
    let p = write_file(&dir, "n.csv", b"ts,account,action,target\n1,a,like,v\n");
    let (s, _) = read_events(&p, &ReadOptions::default()).unwrap();
    assert!(!s.has_ratings() && s.rating_of(0).is_none());
    // Some rows rated, some not; out of order in time.
    let p = write_file(
        &dir,
        "r.csv",
        b"ts,account,action,target,rating\n5,a,like,v,4\n1,b,like,v,\n3,c,like,v,-2.5\n",
    );
    let (s, _) = read_events(&p, &ReadOptions::default()).unwrap();
    let r: Vec<Option<f32>> = (0..3).map(|e| s.rating_of(e)).collect();
    assert_eq!(r, vec![None, Some(-2.5), Some(4.0)]);
    let p = write_file(
        &dir,
        "bad.csv",
        b"ts,account,action,target,rating\n1,a,like,v,five\n",
    );
    match err(&p) {
        ReadError::BadRow(b) => {
            assert_eq!(b.location, Location::Line(2));
            assert_eq!(b.column, "rating");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_timestamp_names_file_line_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        &dir,
        "bad.csv",
        b"ts,account,action,target\n1,a,view,v\nyesterday,a,view,v\n",
    );
    let e = err(&p);
    let msg = e.to_string();
    match e {
        ReadError::BadRow(b) => {
            assert_eq!(b.location, Location::Line(3));
            assert_eq!(b.column, "ts");
            assert_eq!(b.value, "yesterday");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        msg.contains("bad.csv")
            && msg.contains("line 3")
            && msg.contains("`ts`")
            && msg.contains("yesterday"),
        "{msg}"
    );
}

#[test]
fn unknown_action_too_few_fields_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "a.csv", b"ts,account,action,target\n1,a,poke,v\n");
    assert!(matches!(err(&p), ReadError::BadRow(b) if b.column == "action" && b.value == "poke"));
    let p = write_file(&dir, "b.csv", b"ts,account,action,target\n1,a,view\n");
    let e = err(&p);
    assert!(
        matches!(&e, ReadError::BadRow(b) if b.column == "target" && b.reason.contains("too few fields")),
        "{e}"
    );
    let p = write_file(
        &dir,
        "c.csv",
        b"ts,account,action,target\n1,a\xff\xfe,view,v\n",
    );
    assert!(
        matches!(err(&p), ReadError::BadRow(b) if b.column == "account" && b.reason == "invalid UTF-8")
    );
    let p = write_file(&dir, "d.jsonl", b"{\"ts\":1,\"account\":\"a\",\"action\":\"view\",\"target\":\"v\"}\n{\"ts\":1,\"account\":\"a\",\"target\":\"v\"}\n");
    assert!(
        matches!(err(&p), ReadError::BadRow(b) if b.column == "action" && b.location == Location::Line(2))
    );
    let p = write_file(&dir, "e.jsonl", b"not json\n");
    assert!(matches!(err(&p), ReadError::BadRow(b) if b.location == Location::Line(1)));
}

#[test]
fn missing_column_missing_file_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "a.csv", b"ts,account,target\n1,a,v\n");
    let e = err(&p);
    assert!(
        matches!(
            &e,
            ReadError::MissingColumn {
                column: "action",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("found: ts, account, target"));
    let e = err(dir.path().join("nope.csv").to_str().unwrap());
    assert!(matches!(e, ReadError::Open { .. }) && !e.is_data_error());
    let p = write_file(&dir, "empty.csv", b"");
    assert!(matches!(err(&p), ReadError::Empty { .. }));
    let p = write_file(&dir, "header.csv", b"ts,account,action,target\n");
    assert!(matches!(err(&p), ReadError::Empty { .. }));
    let p = write_file(&dir, "empty.jsonl", b"\n\n");
    assert!(matches!(err(&p), ReadError::Empty { .. }));
    let p = write_file(&dir, "empty.parquet", b"");
    assert!(matches!(err(&p), ReadError::Empty { .. }));
    let p = write_file(&dir, "junk.parquet", b"this is not parquet at all");
    assert!(matches!(err(&p), ReadError::Parquet { .. }));
    let e = read_events(&write_file(&dir, "x.txt", b"a"), &ReadOptions::default()).unwrap_err();
    assert!(matches!(e, ReadError::UnknownFormat { .. }));
    let opts = ReadOptions {
        format: Some(Format::Csv),
        ..Default::default()
    };
    assert!(read_events(
        &write_file(&dir, "y.txt", b"ts,account,action,target\n1,a,like,v\n"),
        &opts
    )
    .is_ok());
}

#[test]
fn max_bad_rows_skips_counts_and_then_fails() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        &dir,
        "a.csv",
        b"ts,account,action,target\n1,a,view,v\nx,a,view,v\n2,a,poke,v\n3,b,like,v\n",
    );
    let opts = ReadOptions {
        max_bad_rows: 2,
        ..Default::default()
    };
    let (s, rep) = read_events(&p, &opts).unwrap();
    assert_eq!((s.len(), rep.rows, rep.bad_rows), (2, 4, 2));
    assert_eq!(rep.examples[0].location, Location::Line(3));
    assert_eq!(rep.examples[1].column, "action");
    let opts = ReadOptions {
        max_bad_rows: 1,
        ..Default::default()
    };
    match read_events(&p, &opts).unwrap_err() {
        ReadError::TooManyBadRows {
            count,
            limit,
            first,
            ..
        } => {
            assert_eq!((count, limit), (2, 1));
            assert_eq!(first.len(), 2);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn parquet_null_in_required_column_names_the_row() {
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("n.parquet");
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("ts", Arc::new(Int64Array::from(vec![1, 2, 3]))),
        (
            "account",
            Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])),
        ),
        (
            "action",
            Arc::new(StringArray::from(vec!["view", "like", "share"])),
        ),
        ("target", Arc::new(StringArray::from(vec!["v", "v", "v"]))),
    ];
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let f = std::fs::File::create(&p).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    match err(p.to_str().unwrap()) {
        ReadError::BadRow(b) => {
            assert_eq!(b.location, Location::Row(1));
            assert_eq!(b.column, "account");
        }
        other => panic!("{other:?}"),
    }
}

/// Write one Parquet file with the given columns.
fn parquet_file(
    dir: &tempfile::TempDir,
    name: &str,
    cols: Vec<(&str, arrow_array::ArrayRef)>,
) -> String {
    let p = dir.path().join(name);
    let batch = arrow_array::RecordBatch::try_from_iter(cols).unwrap();
    let f = std::fs::File::create(&p).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    p.to_str().unwrap().to_string()
}

/// Typed Parquet columns are read as numbers under the same rules as their text: integer ids
/// become their decimal text, integral float times and durations pass, and a bad number names
/// its row, column and value.
#[test]
fn parquet_typed_columns_follow_the_text_rules() {
    use arrow_array::{ArrayRef, Float64Array, Int32Array, StringArray, UInt64Array};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let text = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
    let good = parquet_file(
        &dir,
        "typed.parquet",
        vec![
            ("ts", Arc::new(Float64Array::from(vec![2000.0, 1000.0]))),
            ("account", Arc::new(UInt64Array::from(vec![7, u64::MAX]))),
            ("action", text(&["view", "like"])),
            ("target", text(&["v1", "v1"])),
            (
                "watch_ms",
                Arc::new(Int32Array::from(vec![Some(1500), None])),
            ),
            (
                "video_ms",
                Arc::new(Float64Array::from(vec![Some(3000.0), None])),
            ),
            ("rating", Arc::new(Int32Array::from(vec![Some(4), None]))),
        ],
    );
    let (s, _) = read_events(&good, &ReadOptions::default()).unwrap();
    assert_eq!(s.ts, vec![1000, 2000]);
    assert_eq!(s.accounts.name(s.account[0]), u64::MAX.to_string());
    assert_eq!(s.accounts.name(s.account[1]), "7");
    assert_eq!((s.watch_of(1), s.video_len_of(1)), (Some(1500), Some(3000)));
    assert_eq!(
        (s.watch_of(0), s.rating_of(1), s.rating_of(0)),
        (None, Some(4.0), None)
    );
    // A negative duration, a fractional time, an out-of-range duration: named, as text is.
    let cases: [(&str, ArrayRef, &str, &str); 3] = [
        (
            "watch_ms",
            Arc::new(Int32Array::from(vec![5, -3])),
            "watch_ms",
            "-3",
        ),
        (
            "ts",
            Arc::new(Float64Array::from(vec![1.0, 2.5])),
            "ts",
            "2.5",
        ),
        (
            "video_ms",
            Arc::new(UInt64Array::from(vec![1, u64::MAX])),
            "video_ms",
            "18446744073709551615",
        ),
    ];
    for (i, (name, col, column, value)) in cases.into_iter().enumerate() {
        let mut cols: Vec<(&str, ArrayRef)> = vec![
            ("account", text(&["a", "b"])),
            ("action", text(&["view", "view"])),
            ("target", text(&["v", "v"])),
        ];
        if name != "ts" {
            cols.push(("ts", Arc::new(arrow_array::Int64Array::from(vec![1, 2]))));
        }
        cols.push((name, col));
        let p = parquet_file(&dir, &format!("bad{i}.parquet"), cols);
        match err(&p) {
            ReadError::BadRow(b) => {
                assert_eq!(b.location, Location::Row(1), "{name}");
                assert_eq!((b.column.as_str(), b.value.as_str()), (column, value));
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn builder_is_an_event_writer() {
    let mut b = EventStoreBuilder::new();
    for e in sample_events() {
        lockstep_io::EventWriter::write(&mut b, &e).unwrap();
    }
    assert_eq!(b.finish().len(), 4);
}

/// ts, account, action, target, (device, ip, text, creator), (watch_ms, video_ms), rating.
type OwnedEvent = (
    i64,
    String,
    Action,
    String,
    [Option<String>; 4],
    [Option<u32>; 2],
    Option<f32>,
);

/// Random events — text with commas, quotes, newlines, tabs, CJK and emoji; any optional
/// column present or absent — survive every format (and compression) unchanged.
#[test]
fn random_events_round_trip_through_every_format() {
    use rand::seq::IndexedRandom;
    use rand::{Rng, SeedableRng};
    const PIECES: &[&str] = &[
        "a", "Z", "9", " ", ",", "\"", "\n", "\t", ";", "'", "哈", "赞", "👍", "[捂脸]", "é", "\\",
        "{", "}",
    ];
    let dir = tempfile::tempdir().unwrap();
    for seed in 0..40u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let word = |rng: &mut rand_chacha::ChaCha8Rng, min: usize| -> String {
            let n = rng.random_range(min..8);
            (0..n).map(|_| *PIECES.choose(rng).unwrap()).collect()
        };
        // Names that are not blank (the contract rejects blank accounts and trims ids).
        let name = |rng: &mut rand_chacha::ChaCha8Rng| format!("n{}", word(rng, 0).trim());
        let owned: Vec<OwnedEvent> = (0..rng.random_range(1..30))
            .map(|i| {
                let action = *Action::ALL.choose(&mut rng).unwrap();
                let target = if action == Action::Login {
                    String::new()
                } else {
                    name(&mut rng)
                };
                let opt_s = |rng: &mut rand_chacha::ChaCha8Rng, text: bool| {
                    rng.random_bool(0.5).then(|| {
                        if text {
                            format!("t{}", word(rng, 1))
                        } else {
                            name(rng)
                        }
                    })
                };
                let strs = [
                    opt_s(&mut rng, false),
                    opt_s(&mut rng, false),
                    opt_s(&mut rng, true),
                    opt_s(&mut rng, false),
                ];
                let nums = [
                    rng.random_bool(0.5).then(|| rng.random_range(0..1_000_000)),
                    rng.random_bool(0.5).then(|| rng.random_range(0..1_000_000)),
                ];
                let rating = rng
                    .random_bool(0.3)
                    .then(|| rng.random_range(-10.0f32..10.0));
                (
                    1_700_000_000_000 + i as i64 * 997,
                    name(&mut rng),
                    action,
                    target,
                    strs,
                    nums,
                    rating,
                )
            })
            .collect();
        let events: Vec<TypedEvent> = owned
            .iter()
            .map(|(ts, acc, action, target, s, n, r)| TypedEvent {
                device: s[0].as_deref(),
                ip: s[1].as_deref(),
                text: s[2].as_deref(),
                creator: s[3].as_deref(),
                watch_ms: n[0],
                video_ms: n[1],
                rating: *r,
                ..TypedEvent::new(*ts, acc, *action, target)
            })
            .collect();
        for ext in ["csv", "jsonl", "parquet", "csv.gz", "jsonl.zst"] {
            let p = dir.path().join(format!("r{seed}.{ext}"));
            let p = p.to_str().unwrap();
            let mut w = open_event_writer(p).unwrap();
            for e in &events {
                w.write(e).unwrap();
            }
            w.finish().unwrap();
            let (s, rep) = read_events(p, &ReadOptions::default()).unwrap();
            assert_eq!(rep.bad_rows, 0, "seed {seed} {ext}");
            assert_eq!(s.len(), events.len(), "seed {seed} {ext}");
            for (i, e) in events.iter().enumerate() {
                let k = i as u32;
                let got = (
                    s.ts[i],
                    s.accounts.name(s.account[i]),
                    s.action(k),
                    s.targets.name(s.target[i]),
                    s.device_of(k).map(|d| s.devices.name(d)),
                    s.ip_of(k).map(|d| s.ips.name(d)),
                    s.text_of(k),
                    s.watch_of(k),
                    s.video_len_of(k),
                    s.rating_of(k),
                );
                let want = (
                    e.ts, e.account, e.action, e.target, e.device, e.ip, e.text, e.watch_ms,
                    e.video_ms, e.rating,
                );
                assert_eq!(got, want, "seed {seed} {ext} event {i}");
                if e.creator.is_some() {
                    // The first creator named for a target wins.
                    let first = events
                        .iter()
                        .find(|x| x.target == e.target && x.creator.is_some())
                        .and_then(|x| x.creator);
                    assert_eq!(s.creator_of_target(s.target[i]), first, "seed {seed} {ext}");
                }
            }
        }
    }
}
