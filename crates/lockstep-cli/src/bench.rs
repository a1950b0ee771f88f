//! `lockstep-bench`: read throughput and peak memory (not a timed test).
//!
//! `lockstep-bench read --events 1000000 [--events 10000000]` simulates a mixed log of about that
//! many events as CSV and Parquet in a scratch directory, then reads each file in a fresh child
//! process (so peak RSS is the reader's alone) and prints events/s, peak RSS and store bytes/event.
//! `--detect` also times the full `detect` pipeline on the Parquet file.
//! `lockstep-bench scale --events 1000000 --events 10000000 --events 100000000` runs the real
//! `lockstep detect` on each size and prints wall time, events/s and peak RSS (the README curve).
//! `lockstep-bench ingest --events 1000000` starts the real `lockstep serve`, posts a simulated
//! `mixed` log over loopback HTTP in CSV batches of 1,000 and 10,000 events from two clients
//! (passes running as event time advances), and prints events/s, the flush time and the
//! server's peak RSS.
//! `lockstep-bench replay --accounts 20000 --days 3 --speed 1000` replays a simulated `mixed`
//! log in event-time order at 1,000× real time into the real `lockstep serve` and prints the lag
//! of passes behind ingest, each farm's time from its first campaign action to its first flagged
//! account, and the prevention ratio (the share of farm likes, comments, shares and follows that
//! arrive after their account is flagged), by farm kind.

use std::process::Command;
use std::time::Instant;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("read-one") => read_one(&args[2], args.get(3).map(String::as_str) == Some("detect")),
        Some("read") => {
            let (sizes, dir, detect) = size_args(&args[2..], true);
            std::fs::create_dir_all(&dir).unwrap();
            println!(
                "| events | format | file MiB | read s | events/s | peak RSS MiB | store B/event |"
            );
            println!("|---|---|---|---|---|---|---|");
            for n in sizes {
                // ~16 events per account-day in the mixed scenario.
                let accounts = (n / 16).max(1000) as usize;
                for ext in ["csv", "parquet"] {
                    let path = dir.join(format!("bench-{n}.{ext}"));
                    if !path.exists() {
                        let mut w = lockstep_io::open_event_writer(path.to_str().unwrap()).unwrap();
                        let cfg = lockstep_sim::SimConfig {
                            scenario: lockstep_sim::Scenario::Mixed,
                            seed: 42,
                            accounts,
                            days: 1,
                            creators: Default::default(),
                        };
                        lockstep_sim::simulate(&cfg, w.as_mut()).unwrap();
                        w.finish().unwrap();
                    }
                    let me = std::env::current_exe().unwrap();
                    let mut cmd = Command::new(me);
                    cmd.arg("read-one").arg(&path);
                    if detect && ext == "parquet" {
                        cmd.arg("detect");
                    }
                    let out = cmd.output().unwrap();
                    // The child's per-detector timings.
                    eprint!("{}", String::from_utf8_lossy(&out.stderr));
                    let line = String::from_utf8_lossy(&out.stdout);
                    let v: Vec<&str> = line.split_whitespace().collect();
                    let mib = std::fs::metadata(&path).unwrap().len() as f64 / 1048576.0;
                    println!(
                        "| {} | {ext} | {mib:.0} | {} | {} | {} | {} |",
                        v[0], v[1], v[2], v[3], v[4]
                    );
                    if v.len() > 5 {
                        println!(
                            "|   | detect (read + all detectors + fusion) | | {} | {} | {} | |",
                            v[5], v[6], v[7]
                        );
                    }
                }
            }
        }
        Some("text") => text_bench(
            args.get(2)
                .and_then(|n| n.parse().ok())
                .unwrap_or(2_000_000),
        ),
        Some("scale") => scale(&args[2..]),
        Some("ingest") => ingest(&args[2..]),
        Some("replay") => replay(&args[2..]),
        _ => usage_exit("no such command"),
    }
}

const USAGE: &str = "usage: lockstep-bench read [--events N]... [--detect] [--dir DIR] | lockstep-bench scale [--events N]... [--dir DIR] | lockstep-bench ingest [--events N] [--dir DIR] | lockstep-bench replay [--accounts N] [--days D] [--seed S] [--speed X] [--dir DIR] | lockstep-bench text [N]";

/// Print what was wrong and the usage, and exit with the usage code (2).
fn usage_exit(problem: &str) -> ! {
    eprintln!("lockstep-bench: {problem}\n{USAGE}");
    std::process::exit(2)
}

/// `scale`: for each size, a `mixed` Parquet log (simulated once, kept in `--dir`), then the real
/// `lockstep detect` binary as a child process; prints its phases (from `--json`), wall time,
/// events/s and peak RSS (the largest child so far — sizes run in ascending order).
fn scale(args: &[String]) {
    let (mut sizes, dir, _) = size_args(args, false);
    sizes.sort_unstable();
    std::fs::create_dir_all(&dir).unwrap();
    let lockstep = std::env::current_exe().unwrap().with_file_name("lockstep");
    println!("| events | accounts | parquet MiB | read s | detect s | wall s | events/s | peak RSS MiB |");
    println!("|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let path = dir.join(format!("scale-{n}.parquet"));
        if !path.exists() {
            simulate_day(&path, n);
        }
        let out = dir.join(format!("scale-{n}-out"));
        let t = Instant::now();
        let o = Command::new(&lockstep)
            .arg("detect")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .args(["-q", "--json"])
            .output()
            .expect("run lockstep detect (build it: cargo build --release -p lockstep-cli)");
        let wall = t.elapsed().as_secs_f64();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let rss_mib = children_peak_rss_kib() as f64 / 1024.0;
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let events = j["events"].as_f64().unwrap();
        let mib = std::fs::metadata(&path).unwrap().len() as f64 / 1048576.0;
        println!(
            "| {} | {} | {mib:.0} | {:.1} | {:.1} | {wall:.1} | {:.2}M | {rss_mib:.0} |",
            j["events"],
            j["accounts"],
            j["read_s"].as_f64().unwrap(),
            j["detect_s"].as_f64().unwrap(),
            events / wall / 1e6
        );
    }
}

/// `--events N` (repeatable; default 1M and, for `scale`, also 10M), `--dir DIR` (default a
/// `lockstep-bench` folder in the temp dir), and `--detect` where `allow_detect`.
fn size_args(args: &[String], allow_detect: bool) -> (Vec<u64>, std::path::PathBuf, bool) {
    let mut sizes: Vec<u64> = Vec::new();
    let mut dir = std::env::temp_dir().join("lockstep-bench");
    let mut detect = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--events" => {
                match args.get(i + 1).and_then(|n| n.parse().ok()) {
                    Some(n) => sizes.push(n),
                    None => usage_exit("--events needs a number of events"),
                }
                i += 1;
            }
            "--dir" => {
                match args.get(i + 1) {
                    Some(d) => dir = d.clone().into(),
                    None => usage_exit("--dir needs a directory"),
                }
                i += 1;
            }
            "--detect" if allow_detect => detect = true,
            other => usage_exit(&format!("unknown argument {other}")),
        }
        i += 1;
    }
    if sizes.is_empty() {
        sizes = if allow_detect {
            vec![1_000_000]
        } else {
            vec![1_000_000, 10_000_000]
        };
    }
    (sizes, dir, detect)
}

/// Peak RSS of the largest waited-for child process.
fn children_peak_rss_kib() -> u64 {
    // SAFETY: getrusage fills the struct we own; RUSAGE_CHILDREN is a valid `who`.
    unsafe {
        let mut r: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut r);
        r.ru_maxrss as u64
    }
}

/// Normalise and hash N comments on one thread (issue 4: ≥ 1M comments/s).
fn text_bench(n: usize) {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let samples = [
        "太好看了，已关注，互关一下👍👍",
        "真的超级好看！关注了 回关一下🔥",
        "哈哈哈哈哈[捂脸]",
        "this song made my day ❤️ @friend http://x.cn/a",
        "这道菜看起来好好吃，求做法～",
        "ＦＵＬＬ　ＷＩＤＴＨ　ｔｅｘｔ！！",
        "👍",
        "宝藏博主，必须点赞收藏✨✨",
    ];
    let hasher: BuildHasherDefault<std::collections::hash_map::DefaultHasher> = Default::default();
    let t = Instant::now();
    let mut acc = 0u64;
    let mut bytes = 0usize;
    for i in 0..n {
        let text = samples[i % samples.len()];
        bytes += text.len();
        let norm = lockstep_detect::text::normalize(text);
        acc = acc.wrapping_add(hasher.hash_one(&norm));
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "normalised and hashed {n} comments ({:.0} MB) in {secs:.2} s: {:.2}M comments/s on one thread (checksum {acc:x})",
        bytes as f64 / 1e6,
        n as f64 / secs / 1e6
    );
}

fn read_one(path: &str, detect: bool) {
    let t = Instant::now();
    let (store, _) = lockstep_io::read_events(path, &Default::default()).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let n = store.len();
    print!(
        "{n} {secs:.2} {:.2}M {:.0} {:.1}",
        n as f64 / secs / 1e6,
        peak_rss_kib() as f64 / 1024.0,
        store.heap_bytes() as f64 / n as f64
    );
    if detect {
        // Where the time goes: each detector alone (on both cores), then the whole pipeline.
        for d in lockstep_detect::registry() {
            let t = Instant::now();
            let f = d.detect(&store);
            eprintln!(
                "  {}: {:.2} s, {} findings",
                d.id(),
                t.elapsed().as_secs_f64(),
                f.len()
            );
        }
        // All detectors at once (as `detect` runs them), then fusion alone.
        let t = Instant::now();
        let registry = lockstep_detect::registry();
        let findings = lockstep_detect::find(&store, &registry);
        let t_find = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let _ = lockstep_detect::fuse(&store, findings, &Default::default());
        eprintln!(
            "  all detectors together: {t_find:.2} s, fusion: {:.2} s",
            t.elapsed().as_secs_f64()
        );
        let t2 = Instant::now();
        let a = lockstep_report::pipeline::analyse(
            store,
            &lockstep_detect::registry(),
            &Default::default(),
        );
        eprintln!(
            "  detect + fusion: {:.2} s, metrics: {:.2} s",
            a.detect_time.as_secs_f64(),
            a.metrics_time.as_secs_f64()
        );
        let total = secs + t2.elapsed().as_secs_f64();
        print!(
            " {total:.2} {:.2}M {:.0}",
            n as f64 / total / 1e6,
            peak_rss_kib() as f64 / 1024.0
        );
    }
    println!();
}

/// Write a one-day `mixed` log of about `n` events (seed 42; ~15 events per account-day).
fn simulate_day(path: &std::path::Path, n: u64) {
    let mut w = lockstep_io::open_event_writer(path.to_str().unwrap()).unwrap();
    let cfg = lockstep_sim::SimConfig {
        scenario: lockstep_sim::Scenario::Mixed,
        seed: 42,
        accounts: (n / 15).max(1000) as usize,
        days: 1,
        creators: Default::default(),
    };
    lockstep_sim::simulate(&cfg, w.as_mut()).unwrap();
    w.finish().unwrap();
}

/// Start the real `lockstep serve` (next to this binary) on a free loopback port with its data
/// under `data/store`; returns the child and the address it printed.
fn start_server(data: &std::path::Path, tokens: &std::path::Path) -> (std::process::Child, String) {
    let lockstep = std::env::current_exe().unwrap().with_file_name("lockstep");
    let mut child = Command::new(&lockstep)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.join("store"))
        .arg("--tokens")
        .arg(tokens)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run lockstep serve (build it: cargo build --release -p lockstep-cli)");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the server prints its address")
        .to_string();
    (child, addr)
}

/// One HTTP/1.1 request on a fresh loopback connection (a body only when `ct` is given); the
/// status and body.
fn http(
    method: &str,
    addr: &str,
    path: &str,
    token: &str,
    ct: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect to lockstep serve");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = ct {
        head += &format!("Content-Type: {ct}\r\n");
    }
    head += "\r\n";
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |x| x.1).to_string();
    (status, body)
}

/// `ingest`: HTTP ingest throughput of the real server, with passes running.
fn ingest(args: &[String]) {
    let (sizes, dir, _) = size_args(args, false);
    let n = sizes[0];
    std::fs::create_dir_all(&dir).unwrap();
    let csv_path = dir.join(format!("ingest-{n}.csv"));
    if !csv_path.exists() {
        simulate_day(&csv_path, n);
    }
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let mut lines = text.lines();
    let header = format!("{},event_id", lines.next().unwrap());
    let rows: Vec<&str> = lines.collect();
    println!("| events | batch | clients | ingest s | events/s | flush s | server peak RSS MiB |");
    println!("|---|---|---|---|---|---|---|");
    for batch in [1_000usize, 10_000] {
        let data = dir.join(format!("ingest-data-{batch}"));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).unwrap();
        let tokens = data.join("tokens.txt");
        std::fs::write(
            &tokens,
            "ingest bench-ingest-token\nadmin bench-admin-token\n",
        )
        .unwrap();
        let (mut child, addr) = start_server(&data, &tokens);
        let bodies: Vec<String> = rows
            .chunks(batch)
            .enumerate()
            .map(|(b, chunk)| {
                let mut s = header.clone() + "\n";
                for (i, l) in chunk.iter().enumerate() {
                    s += &format!("{l},e{}\n", b * batch + i);
                }
                s
            })
            .collect();
        let clients = 2;
        let t = Instant::now();
        std::thread::scope(|scope| {
            for c in 0..clients {
                let (bodies, addr) = (&bodies, &addr);
                scope.spawn(move || {
                    for body in bodies.iter().skip(c).step_by(clients) {
                        loop {
                            let (status, reply) = http(
                                "POST",
                                addr,
                                "/v1/events",
                                "bench-ingest-token",
                                Some("text/csv"),
                                body.as_bytes(),
                            );
                            match status {
                                200 => break,
                                503 => std::thread::sleep(std::time::Duration::from_millis(5)),
                                _ => panic!("ingest failed: {status} {reply}"),
                            }
                        }
                    }
                });
            }
        });
        let secs = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let (status, reply) = http(
            "POST",
            &addr,
            "/v1/flush",
            "bench-admin-token",
            Some("text/plain"),
            b"",
        );
        assert_eq!(status, 200, "{reply}");
        let flush = t.elapsed().as_secs_f64();
        let rss = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .unwrap_or(0.0)
            / 1024.0;
        let _ = child.kill();
        let _ = child.wait();
        println!(
            "| {} | {batch} | {clients} | {secs:.1} | {:.0}k | {flush:.1} | {rss:.0} |",
            rows.len(),
            rows.len() as f64 / secs / 1e3
        );
    }
}

fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// `replay`: live mode against a farm, measured in event time.
fn replay(args: &[String]) {
    let mut accounts = 20_000usize;
    let mut days = 3u32;
    let mut seed = 1u64;
    let mut speed = 1000.0f64;
    let mut dir = std::env::temp_dir().join("lockstep-bench");
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--accounts" => accounts = v.parse().unwrap_or_else(|_| usage_exit("--accounts N")),
            "--days" => days = v.parse().unwrap_or_else(|_| usage_exit("--days D")),
            "--seed" => seed = v.parse().unwrap_or_else(|_| usage_exit("--seed S")),
            "--speed" => speed = v.parse().unwrap_or_else(|_| usage_exit("--speed X")),
            "--dir" => dir = v.into(),
            other => usage_exit(&format!("unknown argument {other}")),
        }
        i += 2;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let csv_path = dir.join(format!("replay-{accounts}-{days}-{seed}.csv"));
    let mut w = lockstep_io::open_event_writer(csv_path.to_str().unwrap()).unwrap();
    let cfg = lockstep_sim::SimConfig {
        scenario: lockstep_sim::Scenario::Mixed,
        seed,
        accounts,
        days,
        creators: Default::default(),
    };
    let sim = lockstep_sim::simulate(&cfg, w.as_mut()).unwrap();
    w.finish().unwrap();
    let farm_of: std::collections::HashMap<String, (String, &str)> = sim
        .labels
        .iter()
        .filter(|l| l.label == 1)
        .map(|l| (l.account.clone(), (l.farm.clone(), l.tactic)))
        .collect();
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let mut lines = text.lines();
    let header = format!("{},event_id", lines.next().unwrap());
    // (ts, account, action, line): ts, account and action are the first three cells, never quoted.
    let mut rows: Vec<(i64, &str, &str, &str)> = lines
        .map(|l| {
            let mut c = l.splitn(4, ',');
            let ts = c.next().and_then(|t| t.parse().ok()).unwrap_or(0);
            (ts, c.next().unwrap_or(""), c.next().unwrap_or(""), l)
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let data = dir.join("replay-data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).unwrap();
    let tokens = data.join("tokens.txt");
    std::fs::write(&tokens, "admin replay-admin-token\n").unwrap();
    let (mut child, addr) = start_server(&data, &tokens);
    let token = "replay-admin-token";
    let t0_event = rows[0].0;
    let t0 = Instant::now();
    let mut next = 0usize;
    let mut lags: Vec<f64> = Vec::new();
    let mut last_poll = Instant::now();
    eprintln!(
        "replaying {} events over {days} days at {speed}x ({:.0} s)",
        rows.len(),
        (rows[rows.len() - 1].0 - t0_event) as f64 / 1e3 / speed
    );
    while next < rows.len() {
        let now_event = t0_event + (t0.elapsed().as_secs_f64() * speed * 1e3) as i64;
        let end = rows[next..].partition_point(|r| r.0 <= now_event) + next;
        if end > next {
            let mut body = header.clone() + "\n";
            for (k, r) in rows[next..end].iter().enumerate() {
                body += &format!("{},e{}\n", r.3, next + k);
            }
            let (status, reply) = http(
                "POST",
                &addr,
                "/v1/events",
                token,
                Some("text/csv"),
                body.as_bytes(),
            );
            assert_eq!(status, 200, "{reply}");
            next = end;
        }
        if last_poll.elapsed().as_secs_f64() >= 1.0 {
            last_poll = Instant::now();
            let (_, st) = http("GET", &addr, "/v1/stats", token, None, b"");
            let v: serde_json::Value = serde_json::from_str(&st).unwrap_or_default();
            if let (Some(n), Some(c)) = (
                v["newest_event_time"].as_i64(),
                v["pass_covered_event_time"].as_i64(),
            ) {
                lags.push((n - c) as f64 / 60_000.0);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let wall = t0.elapsed().as_secs_f64();
    // Flagged before the flush: flagged_at is the event time of the pass that flagged them.
    let (_, body) = http("GET", &addr, "/v1/accounts?flagged=true", token, None, b"");
    let live: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut flagged_at: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for a in live.as_array().unwrap() {
        if let (Some(acc), Some(t)) = (a["account"].as_str(), a["flagged_at"].as_i64()) {
            flagged_at.insert(acc.to_string(), t);
        }
    }
    let (status, reply) = http("POST", &addr, "/v1/flush", token, None, b"");
    assert_eq!(status, 200, "{reply}");
    let _ = child.kill();
    let _ = child.wait();
    // Per farm: first campaign action (a like, comment, share, follow or DM on a target farms
    // push — nurture browsing on the feed is not one), first flag; per kind: prevention.
    let campaign: std::collections::HashSet<&str> =
        sim.campaign_targets.iter().map(String::as_str).collect();
    let mut first_action: std::collections::HashMap<&str, (i64, &str)> =
        std::collections::HashMap::new();
    let mut first_flag: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    let mut prevented: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for &(ts, acc, action, line) in &rows {
        let Some((farm, tactic)) = farm_of.get(acc) else {
            continue;
        };
        let target = line.split(',').nth(3).unwrap_or("");
        if matches!(action, "like" | "comment" | "share" | "follow" | "dm")
            && campaign.contains(target)
        {
            let fa = first_action.entry(farm).or_insert((ts, tactic));
            fa.0 = fa.0.min(ts);
        }
        if !matches!(action, "like" | "comment" | "share" | "follow") {
            continue;
        }
        let e = prevented.entry(tactic).or_default();
        e.1 += 1;
        if let Some(&f) = flagged_at.get(acc) {
            e.0 += (ts >= f) as u64;
        }
    }
    for (acc, (farm, _)) in &farm_of {
        if let Some(&f) = flagged_at.get(acc) {
            let e = first_flag.entry(farm.as_str()).or_insert(f);
            *e = (*e).min(f);
        }
    }
    // Minutes from first campaign action to first flag, per farm kind.
    let mut ttd_by_kind: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for (farm, &(a, tactic)) in &first_action {
        if let Some(&f) = first_flag.get(farm) {
            ttd_by_kind
                .entry(tactic)
                .or_default()
                .push((f - a) as f64 / 60_000.0);
        }
    }
    let mut ttd: Vec<f64> = ttd_by_kind.values().flatten().copied().collect();
    let undetected = first_action.len() - ttd.len();
    let max_lag = lags.iter().cloned().fold(0.0f64, f64::max);
    println!("| events | days | speed | wall s | pass lag median / max (event min) | farms found live | time to first flag, median (event min) | by kind | prevention ratio by kind |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let prev: Vec<String> = prevented
        .iter()
        .map(|(k, (p, n))| format!("{k} {:.2}", *p as f64 / (*n).max(1) as f64))
        .collect();
    let by_kind: Vec<String> = ttd_by_kind
        .iter_mut()
        .map(|(k, v)| format!("{k} {:.0}", median(v)))
        .collect();
    println!(
        "| {} | {days} | {speed}x | {wall:.0} | {:.1} / {max_lag:.1} | {} of {} | {:.1} | {} | {} |",
        rows.len(),
        median(&mut lags.clone()),
        first_action.len() - undetected,
        first_action.len(),
        median(&mut ttd),
        by_kind.join(", "),
        prev.join(", ")
    );
}
