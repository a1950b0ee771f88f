//! `lockstep serve` as users meet it: the real binary, real HTTP on loopback, a real data
//! directory, `kill -9`. Every loop is bounded and every wait has a deadline.

mod common;
use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn every_endpoint_checks_its_token_and_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let t = tokens(dir.path());
    let s = start(&dir.path().join("data"), &t, &["--max-body-mib", "1"]);
    let a = &s.addr;
    assert_eq!(http(a, "GET", "/healthz", None, None, b"").status, 200);
    // The dashboard page holds no data: it loads without a token and asks for one.
    let page = http(a, "GET", "/", None, None, b"");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"token\""));
    let reads = [
        "/v1/stats",
        "/v1/accounts",
        "/v1/accounts/x",
        "/v1/videos/x",
        "/v1/cases",
        "/v1/cases/C000001",
        "/v1/cases/C000001/report",
        "/v1/detectors",
        "/v1/audit",
        "/metrics",
    ];
    for p in reads {
        let r = http(a, "GET", p, None, None, b"");
        assert_eq!(r.status, 401, "{p}");
        assert!(r.headers.contains("www-authenticate: bearer"), "{p}");
        assert_eq!(
            http(a, "GET", p, Some("not-a-known-token"), None, b"").status,
            401,
            "{p}"
        );
        assert_eq!(
            http(a, "GET", p, Some(INGEST), None, b"").status,
            403,
            "{p}"
        );
    }
    let nd = Some("application/x-ndjson");
    let ok = b"{\"ts\":1000,\"account\":\"a\",\"action\":\"like\",\"target\":\"v1\",\"event_id\":\"e1\"}\n";
    assert_eq!(http(a, "POST", "/v1/events", None, nd, ok).status, 401);
    assert_eq!(
        http(a, "POST", "/v1/events", Some(VIEWER), nd, ok).status,
        403
    );
    assert_eq!(http(a, "POST", "/v1/flush", None, None, b"").status, 401);
    assert_eq!(
        http(a, "POST", "/v1/flush", Some(VIEWER), None, b"").status,
        403
    );
    let verdict = br#"{"verdict": "confirmed", "note": "x"}"#;
    let vpath = "/v1/cases/C000001/verdict";
    let js = Some("application/json");
    assert_eq!(http(a, "POST", vpath, None, js, verdict).status, 401);
    assert_eq!(
        http(a, "POST", vpath, Some(VIEWER), js, verdict).status,
        403
    );
    assert_eq!(
        http(a, "POST", vpath, Some(INGEST), js, verdict).status,
        403
    );
    assert_eq!(
        http(a, "GET", "/v1/audit", Some(VIEWER), None, b"").status,
        403
    );
    assert_eq!(
        http(a, "POST", vpath, Some(ANALYST), js, verdict).status,
        404
    );
    let long_note = format!(
        r#"{{"verdict": "confirmed", "note": "{}"}}"#,
        "x".repeat(20_000)
    );
    for bad in [
        &b"{"[..],
        br#"{"verdict": "guilty"}"#,
        b"[1]",
        b"",
        long_note.as_bytes(),
    ] {
        assert_eq!(http(a, "POST", vpath, Some(ANALYST), js, bad).status, 400);
    }
    assert_eq!(
        http(
            a,
            "POST",
            "/v1/events",
            Some(INGEST),
            Some("text/plain"),
            ok
        )
        .status,
        415
    );
    // A bad row rejects the whole batch, naming line, column and value; nothing is stored.
    let bad = b"{\"ts\":1000,\"account\":\"a\",\"action\":\"like\",\"target\":\"v1\"}\n{\"ts\":\"soon\",\"account\":\"b\",\"action\":\"like\",\"target\":\"v1\"}\n";
    let r = http(a, "POST", "/v1/events", Some(INGEST), nd, bad);
    assert_eq!(r.status, 400);
    let e = json(&r);
    assert_eq!(
        (
            e["line"].as_u64(),
            e["column"].as_str(),
            e["value"].as_str()
        ),
        (Some(2), Some("ts"), Some("soon"))
    );
    let csv_bad = b"ts,account,action,target\n1,a,like,v\n2,b,like\n";
    let e = json(&http(
        a,
        "POST",
        "/v1/events",
        Some(INGEST),
        Some("text/csv"),
        csv_bad,
    ));
    assert_eq!(e["line"].as_u64(), Some(3));
    assert_eq!(stats(&s)["events_stored"].as_u64(), Some(0));
    // Over the body limit: 413, nothing stored.
    let big = vec![b' '; 2 << 20];
    assert_eq!(
        http(a, "POST", "/v1/events", Some(INGEST), nd, &big).status,
        413
    );
    // Garbage of every kind: a 4xx, never a crash.
    let mut seed = 7u64;
    for i in 0..50 {
        let len = (i * 37) % 500;
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 56) as u8
            })
            .collect();
        for ct in ["application/x-ndjson", "text/csv"] {
            let r = http(a, "POST", "/v1/events", Some(INGEST), Some(ct), &junk);
            assert!(
                r.status == 400 || (r.status == 200 && json(&r)["accepted"] == 0),
                "{} {}",
                r.status,
                r.body
            );
        }
    }
    assert_eq!(http(a, "GET", "/healthz", None, None, b"").status, 200);
    // Stored once, then a duplicate.
    let r = json(&http(a, "POST", "/v1/events", Some(INGEST), nd, ok));
    assert_eq!(
        (r["accepted"].as_u64(), r["duplicates"].as_u64()),
        (Some(1), Some(0))
    );
    let r = json(&http(a, "POST", "/v1/events", Some(ADMIN), nd, ok));
    assert_eq!(
        (r["accepted"].as_u64(), r["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        http(a, "POST", "/v1/flush", Some(ADMIN), None, b"").status,
        200
    );
    // Reads: unknown ids are 404, bad queries 400.
    for (path, status) in [
        ("/v1/accounts/nobody", 404),
        ("/v1/videos/nothing", 404),
        ("/v1/cases/C999999", 404),
        ("/v1/accounts?format=xml", 400),
        ("/v1/accounts?flagged=maybe", 400),
        ("/v1/cases?status=weird", 400),
        ("/v1/nothing", 404),
    ] {
        let r = http(a, "GET", path, Some(VIEWER), None, b"");
        assert_eq!(r.status, status, "GET {path}: {}", r.body);
    }
    let v = json(&http(a, "GET", "/v1/videos/v1", Some(VIEWER), None, b""));
    assert_eq!(
        (v["likes"].as_u64(), v["clean_likes"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["inflation"].as_f64(), Some(1.0));
    let acc = json(&http(a, "GET", "/v1/accounts/a", Some(VIEWER), None, b""));
    assert_eq!(acc["flagged"].as_i64(), Some(0));
    let m = http(a, "GET", "/metrics", Some(VIEWER), None, b"");
    assert!(m.body.contains("lockstep_events_stored 1\n"), "{}", m.body);
    assert!(m.body.contains("lockstep_duplicates_total 1\n"));
}

/// Post a CSV file in batches of `rows` lines, each batch with its header; event ids are the
/// line numbers, so a re-sent batch is recognised.
fn batches(csv_text: &str, rows: usize) -> Vec<String> {
    let mut lines = csv_text.lines();
    let header = lines.next().unwrap().to_string() + ",event_id";
    let body: Vec<&str> = lines.collect();
    body.chunks(rows)
        .enumerate()
        .map(|(b, chunk)| {
            let mut s = header.clone() + "\n";
            for (i, l) in chunk.iter().enumerate() {
                s += &format!("{l},ev{}\n", b * rows + i);
            }
            s
        })
        .collect()
}

fn simulate(dir: &Path, accounts: &str) -> PathBuf {
    let events = dir.join("events.csv");
    let ok = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args([
            "simulate",
            "--scenario",
            "mixed",
            "--seed",
            "3",
            "--accounts",
            accounts,
            "--out",
        ])
        .arg(&events)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    events
}

fn flagged_set(csv_text: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let h = r.headers().unwrap().clone();
    let (ia, iflag) = (
        h.iter().position(|c| c == "account").unwrap(),
        h.iter().position(|c| c == "flagged").unwrap(),
    );
    let mut out: Vec<String> = r
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[iflag] == "1")
        .map(|r| r[ia].to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn flush_equals_detect_on_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let t = tokens(dir.path());
    let events = simulate(dir.path(), "3000");
    let text = std::fs::read_to_string(&events).unwrap();
    let s = start(&dir.path().join("data"), &t, &[]);
    let all = batches(&text, 5000);
    let mut accepted = 0;
    for b in &all {
        accepted += post_csv(&s, b)["accepted"].as_u64().unwrap();
    }
    // A re-sent batch is all duplicates.
    let r = post_csv(&s, &all[0]);
    assert_eq!(r["accepted"].as_u64(), Some(0));
    let lines = text.lines().count() as u64 - 1;
    assert_eq!(accepted, lines);
    let f = json(&http(&s.addr, "POST", "/v1/flush", Some(ADMIN), None, b""));
    assert_eq!(f["events"].as_u64(), Some(lines));
    let live = http(
        &s.addr,
        "GET",
        "/v1/accounts?flagged=true&format=csv",
        Some(VIEWER),
        None,
        b"",
    );
    assert_eq!(live.status, 200);
    let out = dir.path().join("out");
    let ok = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["detect", "-q", "--out"])
        .arg(&out)
        .arg(&events)
        .status()
        .unwrap();
    assert!(ok.success());
    let batch = std::fs::read_to_string(out.join("accounts.csv")).unwrap();
    let (live_set, batch_set) = (flagged_set(&live.body), flagged_set(&batch));
    assert!(!batch_set.is_empty(), "the mixed world has farms");
    assert_eq!(live_set, batch_set);
    // flagged_at is the event time of the pass that flagged them; cases are the groups.
    let js = json(&http(
        &s.addr,
        "GET",
        "/v1/accounts?flagged=true",
        Some(VIEWER),
        None,
        b"",
    ));
    let covered = f["covered_event_time"].as_i64().unwrap();
    assert!(js
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["flagged_at"].as_i64().is_some_and(|t| t <= covered)));
    let cases = json(&http(
        &s.addr,
        "GET",
        "/v1/cases?status=open",
        Some(VIEWER),
        None,
        b"",
    ));
    let id = cases[0]["id"].as_str().unwrap().to_string();
    assert!(id.starts_with('C'));
    let case = json(&http(
        &s.addr,
        "GET",
        &format!("/v1/cases/{id}"),
        Some(VIEWER),
        None,
        b"",
    ));
    assert_eq!(case["case"]["id"].as_str(), Some(id.as_str()));
    assert!(case["group"]["members"]
        .as_array()
        .is_some_and(|m| !m.is_empty()));
    let report = http(
        &s.addr,
        "GET",
        &format!("/v1/cases/{id}/report"),
        Some(VIEWER),
        None,
        b"",
    );
    assert_eq!(report.status, 200);
    assert!(report.body.contains("<svg") && report.body.contains("Timeline"));
    assert_eq!(case["history"][0]["action"].as_str(), Some("opened"));
    // A second flush over the same events keeps every case id.
    json(&http(&s.addr, "POST", "/v1/flush", Some(ADMIN), None, b""));
    let again = json(&http(
        &s.addr,
        "GET",
        "/v1/cases?status=open",
        Some(VIEWER),
        None,
        b"",
    ));
    let ids = |v: &serde_json::Value| {
        let mut x: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        x.sort();
        x
    };
    assert_eq!(ids(&again), ids(&cases));
    // The stored segments are ordinary event files for `lockstep detect`.
    let segs: Vec<PathBuf> = std::fs::read_dir(dir.path().join("data/segments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let out2 = dir.path().join("out2");
    let ok = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["detect", "-q", "--out"])
        .arg(&out2)
        .args(&segs)
        .status()
        .unwrap();
    assert!(ok.success());
    let from_segments = std::fs::read_to_string(out2.join("accounts.csv")).unwrap();
    assert_eq!(flagged_set(&from_segments), batch_set);
}

#[test]
fn kill_9_loses_no_acknowledged_event_and_stores_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let t = tokens(dir.path());
    let events = simulate(dir.path(), "1500");
    let text = std::fs::read_to_string(&events).unwrap();
    let all = batches(&text, 1000);
    let total = text.lines().count() as u64 - 1;
    let data = dir.path().join("data");
    let mut s = start(&data, &t, &[]);
    // Post from another thread; kill the server while batches are in flight.
    let addr = s.addr.clone();
    let sent = all.clone();
    let poster = std::thread::spawn(move || {
        let mut acked = 0u64;
        for b in &sent {
            let r = std::panic::catch_unwind(|| {
                http(
                    &addr,
                    "POST",
                    "/v1/events",
                    Some(INGEST),
                    Some("text/csv"),
                    b.as_bytes(),
                )
            });
            match r {
                Ok(r) if r.status == 200 => acked += json(&r)["accepted"].as_u64().unwrap(),
                _ => break,
            }
        }
        acked
    });
    // Wait (bounded) until some batches are stored, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(60);
    while stats(&s)["events_stored"].as_u64().unwrap_or(0) < 3000 {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    s.child.kill().unwrap(); // SIGKILL
    s.child.wait().unwrap();
    let acked = poster.join().unwrap();
    assert!(acked < total, "the kill came before the end");
    // Restart: every acknowledged event is there.
    let s = start(&data, &t, &[]);
    let stored = stats(&s)["events_stored"].as_u64().unwrap();
    assert!(stored >= acked, "stored {stored} < acknowledged {acked}");
    // The client re-sends everything: duplicates are counted, nothing is stored twice.
    let mut dups = 0;
    for b in &all {
        dups += post_csv(&s, b)["duplicates"].as_u64().unwrap();
    }
    let st = stats(&s);
    assert_eq!(st["events_stored"].as_u64(), Some(total));
    assert_eq!(dups, stored);
    let f = json(&http(&s.addr, "POST", "/v1/flush", Some(ADMIN), None, b""));
    assert_eq!(f["events"].as_u64(), Some(total));
}

#[test]
fn verdicts_are_audited_and_a_false_positive_stops_reflagging() {
    let dir = tempfile::tempdir().unwrap();
    let t = tokens(dir.path());
    let events = simulate(dir.path(), "3000");
    let text = std::fs::read_to_string(&events).unwrap();
    let s = start(&dir.path().join("data"), &t, &[]);
    for b in batches(&text, 10_000) {
        post_csv(&s, &b);
    }
    let before = json(&http(&s.addr, "POST", "/v1/flush", Some(ADMIN), None, b""));
    let cases = json(&http(&s.addr, "GET", "/v1/cases", Some(VIEWER), None, b""));
    let list = cases.as_array().unwrap();
    assert!(list.len() >= 2, "the mixed world has several farms");
    let (c1, c2) = (
        list[0]["id"].as_str().unwrap(),
        list[1]["id"].as_str().unwrap(),
    );
    let js = Some("application/json");
    let body = br#"{"verdict": "confirmed", "note": "one console"}"#;
    let r = http(
        &s.addr,
        "POST",
        &format!("/v1/cases/{c1}/verdict"),
        Some(ANALYST),
        js,
        body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let body = br#"{"verdict": "false_positive", "note": "a choir"}"#;
    let r = http(
        &s.addr,
        "POST",
        &format!("/v1/cases/{c2}/verdict"),
        Some(ADMIN),
        js,
        body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Who and what, in the audit log (CSV export too).
    let audit = json(&http(&s.addr, "GET", "/v1/audit", Some(ANALYST), None, b""));
    let verdicts: Vec<&serde_json::Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "verdict")
        .collect();
    assert_eq!(verdicts.len(), 2);
    assert_eq!(verdicts[0]["who"].as_str(), Some("ana"));
    assert_eq!(verdicts[0]["case_id"].as_str(), Some(c1));
    assert_eq!(verdicts[1]["who"].as_str(), Some("ops"));
    let csv_audit = http(
        &s.addr,
        "GET",
        "/v1/audit?format=csv",
        Some(ADMIN),
        None,
        b"",
    );
    assert!(
        csv_audit
            .body
            .starts_with("at,event_time,who,action,case_id,detail"),
        "{}",
        csv_audit.body
    );
    assert!(csv_audit.body.contains("a choir"));
    // Per-detector precision from the two verdicts.
    let dets = json(&http(
        &s.addr,
        "GET",
        "/v1/detectors",
        Some(VIEWER),
        None,
        b"",
    ));
    let judged: u64 = dets
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["confirmed"].as_u64().unwrap() + d["false_positive"].as_u64().unwrap())
        .sum();
    assert!(judged >= 2);
    // The false positive's members are not flagged again by the same evidence.
    let case2 = json(&http(
        &s.addr,
        "GET",
        &format!("/v1/cases/{c2}"),
        Some(VIEWER),
        None,
        b"",
    ));
    let members: Vec<String> = case2["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    assert!(!members.is_empty());
    let after = json(&http(&s.addr, "POST", "/v1/flush", Some(ADMIN), None, b""));
    assert!(after["flagged"].as_u64() < before["flagged"].as_u64());
    for m in &members {
        let a = json(&http(
            &s.addr,
            "GET",
            &format!("/v1/accounts/{m}"),
            Some(VIEWER),
            None,
            b"",
        ));
        assert_eq!(a["flagged"].as_i64(), Some(0), "{m} flagged again");
    }
    let st = json(&http(
        &s.addr,
        "GET",
        &format!("/v1/cases/{c2}"),
        Some(VIEWER),
        None,
        b"",
    ));
    assert_eq!(st["case"]["status"].as_str(), Some("false_positive"));
    assert_eq!(st["verdicts"][0]["who"].as_str(), Some("ops"));
}

fn video_clean_likes(csv_text: &str) -> std::collections::BTreeMap<String, u64> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let h = r.headers().unwrap().clone();
    let it = h.iter().position(|c| c == "target").unwrap();
    let ic = h.iter().position(|c| c == "clean_likes").unwrap();
    r.records()
        .map(|r| r.unwrap())
        .map(|r| (r[it].to_string(), r[ic].parse().unwrap()))
        .collect()
}

#[test]
fn a_shadow_detector_scores_but_leaves_the_clean_counters_alone() {
    let dir = tempfile::tempdir().unwrap();
    let t = tokens(dir.path());
    let events = simulate(dir.path(), "3000");
    let text = std::fs::read_to_string(&events).unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--shadow",
            "nonesuch",
            "--data",
        ])
        .arg(dir.path().join("d0"))
        .arg("--tokens")
        .arg(&t)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nonesuch"));
    let s = start(&dir.path().join("data"), &t, &["--shadow", "lockstep"]);
    for b in batches(&text, 10_000) {
        post_csv(&s, &b);
    }
    json(&http(&s.addr, "POST", "/v1/flush", Some(ADMIN), None, b""));
    let run = |name: &str, detectors: Option<&str>| {
        let out = dir.path().join(name);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lockstep"));
        cmd.args(["detect", "-q", "--out"]).arg(&out).arg(&events);
        if let Some(d) = detectors {
            cmd.args(["--detectors", d]);
        }
        assert!(cmd.status().unwrap().success());
        out
    };
    let full = run("full", None);
    let acting = run(
        "acting",
        Some("shared_infra,template_comments,dense_blocks,synchrony,fanout_dm,scheduled_publish,scripted,rating_behaviour,client_push,item_blocks"),
    );
    // Scores and flags: every detector, shadow included.
    let live = http(
        &s.addr,
        "GET",
        "/v1/accounts?flagged=true&format=csv",
        Some(VIEWER),
        None,
        b"",
    );
    let batch = std::fs::read_to_string(full.join("accounts.csv")).unwrap();
    assert_eq!(flagged_set(&live.body), flagged_set(&batch));
    // Clean counters: as if the shadow detector had not run.
    let want = video_clean_likes(&std::fs::read_to_string(acting.join("videos.csv")).unwrap());
    let with_all = video_clean_likes(&std::fs::read_to_string(full.join("videos.csv")).unwrap());
    let differs: Vec<&String> = want
        .keys()
        .filter(|k| want[*k] != with_all[*k])
        .take(5)
        .collect();
    assert!(
        !differs.is_empty(),
        "lockstep changes some clean counts in this world"
    );
    for target in differs {
        let v = json(&http(
            &s.addr,
            "GET",
            &format!("/v1/videos/{target}"),
            Some(VIEWER),
            None,
            b"",
        ));
        assert_eq!(v["clean_likes"].as_u64(), Some(want[target]), "{target}");
    }
    let st = stats(&s);
    assert_eq!(st["shadow"][0].as_str(), Some("lockstep"));
}

#[test]
fn follow_tails_a_growing_file_and_resumes_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let t = tokens(dir.path());
    let events = simulate(dir.path(), "1000");
    let text = std::fs::read_to_string(&events).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (head, rest) = lines.split_at(lines.len() / 2);
    let total = lines.len() as u64 - 1;
    let tail_file = dir.path().join("live.csv");
    std::fs::write(&tail_file, head.join("\n") + "\n").unwrap();
    let data = dir.path().join("data");
    let follow = ["--follow", tail_file.to_str().unwrap()];
    let wait_for = |s: &Server, n: u64| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let st = stats(s);
            if st["events_stored"].as_u64() == Some(n) {
                return st;
            }
            assert!(
                Instant::now() < deadline,
                "waiting for {n} of {total}: stuck at {st}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let mut s = start(&data, &t, &follow);
    wait_for(&s, head.len() as u64 - 1);
    // The rest arrives, the last line in two writes: a partial line waits for its newline.
    let (body, last) = rest.split_at(rest.len() - 1);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&tail_file)
        .unwrap();
    f.write_all((body.join("\n") + "\n").as_bytes()).unwrap();
    let (a, b) = last[0].split_at(last[0].len() / 2);
    f.write_all(a.as_bytes()).unwrap();
    wait_for(&s, total - 1);
    f.write_all((b.to_string() + "\n").as_bytes()).unwrap();
    wait_for(&s, total);
    // kill -9 and restart: nothing is stored twice. The worst case is a crash after a batch is
    // durable but before its offset is saved: an offset saved at byte 0 makes the follower
    // re-read the whole file, and every row is a duplicate (rows are named by file and byte).
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    let stale =
        serde_json::json!({"path": tail_file.to_str().unwrap(), "offset": 0, "header": null});
    std::fs::write(data.join("follow.json"), stale.to_string()).unwrap();
    let s = start(&data, &t, &follow);
    let deadline = Instant::now() + Duration::from_secs(60);
    while stats(&s)["duplicates"].as_u64() < Some(total) {
        assert!(
            Instant::now() < deadline,
            "re-read incomplete: {}",
            stats(&s)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let st = stats(&s);
    assert_eq!(st["events_stored"].as_u64(), Some(total), "{st}");
    assert_eq!(st["duplicates"].as_u64(), Some(total), "{st}");
    // A bad row stops the follower, and says where; nothing of its batch is stored.
    f.write_all(b"later,u1,like,v1,,,,,,,\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let st = stats(&s);
        let status = st["follow"].as_str().unwrap_or("").to_string();
        if status.starts_with("stopped") {
            assert!(
                status.contains("\"ts\"") && status.contains("later"),
                "{status}"
            );
            assert_eq!(st["events_stored"].as_u64(), Some(total));
            break;
        }
        assert!(Instant::now() < deadline, "follower did not stop: {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Wait (bounded) until a pass covers the newest event; returns the stats then.
fn wait_for_pass_to_cover_newest(s: &Server) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let st = stats(s);
        if !st["newest_event_time"].is_null()
            && st["pass_covered_event_time"] == st["newest_event_time"]
        {
            return st;
        }
        assert!(
            Instant::now() < deadline,
            "no pass covered the newest event: {st}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn periodic_passes_see_the_horizon_and_a_restart_restores_it() {
    let dir = tempfile::tempdir().unwrap();
    let t = tokens(dir.path());
    let data = dir.path().join("data");
    let args = ["--horizon-hours", "1", "--pass-every-minutes", "5"];
    let t0 = 1_790_000_000_000i64;
    let rows = |from: i64, n: usize, prefix: &str| {
        let mut b = String::from("ts,account,action,target,event_id\n");
        for i in 0..n {
            let ts = from + i as i64 * 1000;
            b += &format!("{ts},{prefix}{},view,v{},{prefix}-{i}\n", i % 7, i % 3);
        }
        b
    };
    let s = start(&data, &t, &args);
    post_csv(&s, &rows(t0, 100, "old"));
    assert_eq!(wait_for_pass_to_cover_newest(&s)["pass_events"], 100);
    // Three hours later: the old events fall out of the one-hour horizon.
    post_csv(&s, &rows(t0 + 3 * 3_600_000, 40, "new"));
    assert_eq!(wait_for_pass_to_cover_newest(&s)["pass_events"], 40);
    let live = http(
        &s.addr,
        "GET",
        "/v1/accounts?format=csv",
        Some(VIEWER),
        None,
        b"",
    );
    assert!(
        live.body.contains("new0") && !live.body.contains("old0"),
        "{}",
        live.body
    );
    // kill -9 and restart: the window is rebuilt from the segments, within the horizon.
    drop(s);
    let s = start(&data, &t, &args);
    let st = wait_for_pass_to_cover_newest(&s);
    assert_eq!(
        (st["pass_events"].as_u64(), st["events_stored"].as_u64()),
        (Some(40), Some(140))
    );
    // A flush reads everything stored.
    let f = json(&http(&s.addr, "POST", "/v1/flush", Some(ADMIN), None, b""));
    assert_eq!(f["events"].as_u64(), Some(140));
}

#[test]
fn small_batches_are_merged_into_fewer_segments_and_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let t = tokens(dir.path());
    let data = dir.path().join("data");
    let args = ["--pass-every-minutes", "1"];
    let s = start(&data, &t, &args);
    let t0 = 1_790_000_000_000i64;
    for b in 0..40i64 {
        let mut body = String::from("ts,account,action,target,event_id\n");
        for k in 0..5i64 {
            body += &format!("{},u{k},like,v{b},b{b}-{k}\n", t0 + b * 120_000 + k);
        }
        post_csv(&s, &body);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let st = loop {
        let st = stats(&s);
        if st["compactions"].as_u64() >= Some(1) {
            break st;
        }
        assert!(Instant::now() < deadline, "no compaction: {st}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(st["segments"].as_u64() < Some(40), "{st}");
    assert_eq!(st["events_stored"], 200);
    drop(s); // kill -9
    let s = start(&data, &t, &args);
    let st = stats(&s);
    assert_eq!(st["events_stored"], 200, "{st}");
    // Every id is still known: re-sending a batch stores nothing.
    let body = format!(
        "ts,account,action,target,event_id\n{},u0,like,v0,b0-0\n",
        t0
    );
    let r = post_csv(&s, &body);
    assert_eq!(
        (r["accepted"].as_u64(), r["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    let f = json(&http(&s.addr, "POST", "/v1/flush", Some(ADMIN), None, b""));
    assert_eq!(f["events"], 200);
}
