//! `lockstep`: find group-control (群控) farm engagement in short-video event logs.

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use lockstep_core::EventStoreBuilder;
use lockstep_io::{read_into, ByteCounter, Format, ReadError, ReadOptions, ReadReport};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Exit codes (also listed in the README).
mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    /// Bad arguments (clap uses 2 for its own usage errors too).
    pub const USAGE: u8 = 2;
    pub const INPUT_UNREADABLE: u8 = 3;
    pub const BAD_INPUT: u8 = 4;
    pub const OUTPUT: u8 = 5;
}

#[derive(Parser)]
#[command(
    name = "lockstep",
    version,
    about = "Find fake engagement made by group-control (群控) phone farms in short-video event logs,\nexplain it, and recompute honest per-video metrics.",
    after_help = "Examples:\n  lockstep explain G1 --in out/\n  lockstep simulate --scenario mixed --seed 7 --accounts 20000 --out events.parquet --labels labels.csv --truth truth.csv\n  lockstep detect events.parquet --out out/\n  lockstep eval --labels labels.csv --scores out/accounts.csv --truth truth.csv --videos out/videos.csv\n\nExit codes: 0 ok · 1 failure · 2 usage · 3 input unreadable · 4 bad input data · 5 cannot write output"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Detect farm accounts and groups; write accounts.csv, groups.json, videos.csv, report.html.
    #[command(
        after_help = "Input columns: ts (epoch ms or RFC 3339), account, action (view|like|comment|share|follow|dm|publish|login),\ntarget; optional device, ip, watch_ms, video_ms, text, rating, creator. Extra columns are ignored.\n\nExamples:\n  lockstep detect day.csv.gz --out out/\n  zcat day.jsonl.gz | lockstep detect - --format jsonl --out out/ --max-bad-rows 100"
    )]
    Detect(DetectArgs),
    /// Write a synthetic event log with ground truth (organic traffic, hard negatives, farms).
    Simulate {
        /// classic, stealth, organic, mixed, crowds (organic crowds, no farms) or spread (many-client farms).
        #[arg(long, default_value = "mixed", value_parser = clap::builder::PossibleValuesParser::new(lockstep_sim::Scenario::NAMES))]
        scenario: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 10_000)]
        accounts: usize,
        #[arg(long, default_value_t = 1)]
        days: u32,
        /// Events file (.csv, .jsonl, .parquet; .gz/.zst for text).
        #[arg(long, short)]
        out: String,
        /// labels.csv: account,label,farm,tactic.
        #[arg(long)]
        labels: Option<String>,
        /// truth.csv: per video organic and farm counts.
        #[arg(long)]
        truth: Option<String>,
        /// Also write the `creator` column (each video's owner), as platforms that log it do.
        #[arg(long)]
        creator_column: bool,
    },
    /// Print the evidence for one group (G3) or account, from detect's output directory.
    #[command(
        after_help = "Examples:\n  lockstep explain G1 --in out/\n  lockstep explain u1a2b3c4d --in out/ --json"
    )]
    Explain {
        /// A group id (G1, G2, …) or an account.
        id: String,
        /// The directory `detect --out` wrote.
        #[arg(long = "in", value_name = "DIR")]
        dir: PathBuf,
        /// Print the group's JSON (or the account's row and its group) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Convert a public labelled dataset into events and labels.csv.
    #[command(
        after_help = "Examples:\n  lockstep convert --from movielens ../shared/data/movielens-small/ratings.csv --out ml.csv --labels ml-labels.csv\n  lockstep convert --from darpa ../shared/data/darpa/darpa_original.zip --out darpa.parquet --labels darpa-labels.csv\n  lockstep convert --from bitcoin-otc ../shared/data/bitcoin-otc --out otc.csv --labels otc-labels.csv"
    )]
    Convert {
        /// yelp, darpa, vews, bitcoin-otc or movielens.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(lockstep_datasets::Dataset::NAMES))]
        from: String,
        /// The dataset file (or folder, for bitcoin-otc).
        input: String,
        /// Events file (.csv, .jsonl, .parquet; .gz/.zst for text).
        #[arg(long, short)]
        out: String,
        /// labels.csv to write.
        #[arg(long)]
        labels: String,
        /// Also write one label per event (0/1, one a line, in output order) where the dataset has them (darpa).
        #[arg(long)]
        event_labels: Option<String>,
    },
    /// Write a MIDAS-R burst score for every event (account → target), one a line, in time order.
    #[command(
        after_help = "Example:\n  lockstep score-events darpa.parquet --out darpa-scores.txt --tick-ms 60000"
    )]
    ScoreEvents {
        events: String,
        #[arg(long, short)]
        out: String,
        /// Tick length in ms (the reference uses 1-minute ticks on DARPA).
        #[arg(long, default_value_t = 60_000)]
        tick_ms: i64,
        #[arg(long, default_value_t = 2)]
        rows: usize,
        #[arg(long, default_value_t = 1024)]
        buckets: usize,
        #[arg(long, default_value_t = 0.5)]
        decay: f64,
        /// MIDAS-F: slots whose events scored at or above this in a tick do not teach the
        /// history (the reference's figure on DARPA uses 1000). Default: MIDAS-R.
        #[arg(long)]
        filter_threshold: Option<f64>,
    },
    /// Judge detect's output against labels (and per-video truth).
    /// Fit the evidence → score calibration (isotonic regression) on labelled runs and print
    /// its knots as JSON (for `detect --calibration`).
    #[command(
        after_help = "Example:\n  lockstep calibrate --run labels1.csv=out1/accounts.csv --run labels2.csv=out2/accounts.csv > knots.json\n  lockstep detect day.parquet --out out/ --calibration knots.json"
    )]
    Calibrate {
        /// LABELS=ACCOUNTS: a labels.csv and the accounts.csv `detect` wrote for the same log
        /// (repeat for several runs; they are pooled).
        #[arg(long = "run", required = true)]
        runs: Vec<String>,
        /// Equal-width evidence bins before pooling.
        #[arg(long, default_value_t = 40)]
        bins: usize,
    },
    Eval {
        #[arg(long)]
        labels: String,
        /// accounts.csv written by detect.
        #[arg(long)]
        scores: String,
        #[arg(long, requires = "videos")]
        truth: Option<String>,
        /// videos.csv written by detect.
        #[arg(long, requires = "truth")]
        videos: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("unknown format {s:?} (csv, jsonl, parquet)"))
}

/// An error with the exit code it maps to.
struct Failure {
    code: u8,
    err: anyhow::Error,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            code: exit::FAILURE,
            err: e.into(),
        }
    }
}

fn with_code(code: u8) -> impl FnOnce(anyhow::Error) -> Failure {
    move |err| Failure { code, err }
}

#[derive(clap::Args)]
struct DetectArgs {
    /// Event files (CSV, JSONL, Parquet; .gz/.zst; `-` for stdin). Several are read as one log.
    #[arg(required = true)]
    pub events: Vec<String>,
    /// Output directory (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Input format, when the file name does not tell (csv, jsonl, parquet).
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// Skip up to N bad rows (counted and reported) instead of failing on the first.
    #[arg(long, default_value_t = 0)]
    pub max_bad_rows: u64,
    /// Flag accounts whose calibrated score is at or above this. Default: flag on the fused
    /// evidence ≥ 0.5 (score ≈ 0.77), which keeps hard negatives unflagged in organic worlds.
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Run only these detectors (comma-separated ids, e.g. `lockstep,dense_blocks`); all by
    /// default. For ablations: scores then come from the chosen detectors alone.
    #[arg(long, value_delimiter = ',')]
    pub detectors: Vec<String>,
    /// Evidence → score knots as JSON (`lockstep calibrate` writes them), or `none` for the raw
    /// evidence. Default: the knots fitted on held-out simulator runs.
    #[arg(long)]
    pub calibration: Option<String>,
    /// Also write accounts.parquet and videos.parquet: the CSVs' rows with typed columns
    /// (unrounded floats, booleans, nulls), for notebooks and warehouses.
    #[arg(long)]
    pub parquet: bool,
    /// Print the run summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn main() -> ExitCode {
    // Behave like other Unix tools when the reader of our output goes away (`lockstep … | head`):
    // end quietly instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Detect(args) => detect(&args),
        Cmd::Simulate {
            scenario,
            seed,
            accounts,
            days,
            out,
            labels,
            truth,
            creator_column,
        } => simulate(
            lockstep_sim::SimConfig {
                scenario: lockstep_sim::Scenario::parse(&scenario).expect("clap checked the name"),
                seed,
                accounts,
                days,
                creator_column,
            },
            &out,
            labels.as_deref(),
            truth.as_deref(),
        ),
        Cmd::Eval {
            labels,
            scores,
            truth,
            videos,
            json,
        } => eval(&labels, &scores, truth.as_deref(), videos.as_deref(), json),
        Cmd::Explain { id, dir, json } => explain(&id, &dir, json),
        Cmd::Calibrate { runs, bins } => calibrate(&runs, bins),
        Cmd::Convert {
            from,
            input,
            out,
            labels,
            event_labels,
        } => convert(&from, &input, &out, &labels, event_labels.as_deref()),
        Cmd::ScoreEvents {
            events,
            out,
            tick_ms,
            rows,
            buckets,
            decay,
            filter_threshold,
        } => score_events(
            &events,
            &out,
            tick_ms,
            rows,
            buckets,
            decay,
            filter_threshold,
        ),
    };
    match r {
        Ok(()) => ExitCode::from(exit::OK),
        Err(f) => {
            eprintln!("error: {:#}", f.err);
            ExitCode::from(f.code)
        }
    }
}

fn read_error(e: ReadError) -> Failure {
    let code = if e.is_data_error() {
        exit::BAD_INPUT
    } else {
        exit::INPUT_UNREADABLE
    };
    Failure {
        code,
        err: e.into(),
    }
}

fn progress_bar(total: Option<u64>, quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = match total {
        Some(t) => {
            let pb = ProgressBar::new(t);
            pb.set_style(
                ProgressStyle::with_template(
                    "{msg:>10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap()
                .progress_chars("=> "),
            );
            pb
        }
        None => {
            let pb = ProgressBar::new_spinner();
            pb.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap());
            pb
        }
    };
    pb.enable_steady_tick(Duration::from_millis(120));
    Some(pb)
}

fn detect(args: &DetectArgs) -> Result<(), Failure> {
    let DetectArgs {
        events,
        out,
        format,
        max_bad_rows,
        threshold,
        detectors: only,
        calibration,
        parquet,
        json,
        quiet,
    } = args;
    let calibration = match calibration.as_deref() {
        None => lockstep_detect::fusion::Calibration::default(),
        Some("none") => lockstep_detect::fusion::Calibration::identity(),
        Some(path) => load_calibration(path).map_err(|e| Failure {
            code: exit::USAGE,
            err: e,
        })?,
    };
    let (format, max_bad_rows, threshold, json, quiet) =
        (*format, *max_bad_rows, *threshold, *json, *quiet);
    if let Some(t) = threshold {
        if !(0.0..=1.0).contains(&t) {
            return Err(Failure {
                code: exit::USAGE,
                err: anyhow::anyhow!("--threshold {t}: must be in [0, 1]"),
            });
        }
    }
    let t0 = Instant::now();
    let mut detectors = lockstep_detect::registry();
    if !only.is_empty() {
        let known: Vec<&str> = detectors.iter().map(|d| d.id().id).collect();
        if let Some(bad) = only.iter().find(|o| !known.contains(&o.as_str())) {
            return Err(Failure {
                code: exit::USAGE,
                err: anyhow::anyhow!(
                    "--detectors: unknown detector `{bad}` (known: {})",
                    known.join(", ")
                ),
            });
        }
        detectors.retain(|d| only.iter().any(|o| o == d.id().id));
    }
    let mut builder = EventStoreBuilder::new();
    let mut reports: Vec<ReadReport> = Vec::new();
    for path in events {
        let size = if path == "-" {
            None
        } else {
            std::fs::metadata(path).ok().map(|m| m.len())
        };
        let counter = ByteCounter::default();
        let pb = progress_bar(size, quiet);
        let opts = ReadOptions {
            format,
            max_bad_rows,
            progress: Some(counter.clone()),
        };
        let done = std::sync::atomic::AtomicBool::new(false);
        let r = std::thread::scope(|s| {
            if let Some(pb) = &pb {
                pb.set_message("reading");
                let (pb, counter, done) = (pb.clone(), counter.clone(), &done);
                s.spawn(move || {
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        pb.set_position(counter.get());
                        std::thread::sleep(Duration::from_millis(100));
                    }
                });
            }
            let r = read_into(path, &opts, &mut builder);
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            r
        });
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
        let r = r.map_err(read_error)?;
        if r.bad_rows > 0 && !quiet {
            eprintln!(
                "warning: {}: skipped {} bad rows (--max-bad-rows {max_bad_rows}); first:",
                r.path, r.bad_rows
            );
            for b in &r.examples {
                eprintln!("  {b}");
            }
        }
        reports.push(r);
    }
    if builder.is_empty() {
        return Err(Failure {
            code: exit::BAD_INPUT,
            err: anyhow::anyhow!("{}: no events", events.join(", ")),
        });
    }
    let t_read = t0.elapsed();
    let pb = progress_bar(None, quiet);
    if let Some(pb) = &pb {
        pb.set_message("indexing");
    }
    let store = builder.finish();
    let t_index = t0.elapsed() - t_read;
    if let Some(pb) = &pb {
        pb.set_message("detecting");
    }
    let t1 = Instant::now();
    let cfg = lockstep_detect::FusionConfig {
        flag: threshold.map_or(
            lockstep_detect::FlagRule::Evidence(0.5),
            lockstep_detect::FlagRule::Score,
        ),
        calibration,
        ..Default::default()
    };
    let det = lockstep_detect::detect(&store, &detectors, &cfg);
    let t_detect = t1.elapsed();
    if let Some(pb) = &pb {
        pb.set_message("writing");
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create output directory", out.display()))
        .map_err(with_code(exit::OUTPUT))?;
    let t2 = Instant::now();
    let videos = lockstep_report::metrics::video_metrics(&store, &det);
    let t_metrics = t2.elapsed();
    let ids: Vec<_> = detectors.iter().map(|d| d.id()).collect();
    // The outputs are independent: write them side by side (errors reported in this order).
    let ranked = lockstep_report::ranked_accounts(&store, &det);
    let groups_doc = || lockstep_report::groups_json(&store, &det, &ids);
    type Job<'a> = Box<dyn Fn() -> Result<(), lockstep_report::WriteError> + Send + Sync + 'a>;
    let mut jobs: Vec<Job> = vec![
        Box::new(|| {
            lockstep_report::write_accounts_csv(&out.join("accounts.csv"), &store, &det, &ranked)
        }),
        Box::new(|| lockstep_report::write_groups_json(&out.join("groups.json"), &groups_doc())),
        Box::new(|| lockstep_report::write_videos_csv(&out.join("videos.csv"), &store, &videos)),
        Box::new(|| {
            lockstep_report::write_report_html(
                &out.join("report.html"),
                &store,
                &det,
                &videos,
                &events.join(", "),
            )
        }),
    ];
    if *parquet {
        jobs.push(Box::new(|| {
            lockstep_report::write_accounts_parquet(
                &out.join("accounts.parquet"),
                &store,
                &det,
                &ranked,
            )
        }));
        jobs.push(Box::new(|| {
            lockstep_report::write_videos_parquet(&out.join("videos.parquet"), &store, &videos)
        }));
    }
    let write = || -> Result<(), lockstep_report::WriteError> {
        use rayon::prelude::*;
        let results: Vec<_> = jobs.par_iter().map(|job| job()).collect();
        results.into_iter().collect()
    };
    write().map_err(|e| Failure {
        code: exit::OUTPUT,
        err: e.into(),
    })?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let wall = t0.elapsed();
    let t_write = t2.elapsed() - t_metrics;
    let bad: u64 = reports.iter().map(|r| r.bad_rows).sum();
    let summary = serde_json::json!({
        "events": store.len(),
        "accounts": store.n_accounts(),
        "targets": store.n_targets(),
        "flagged": det.n_flagged(),
        "groups": det.groups.len(),
        "findings": det.findings.len(),
        "bad_rows_skipped": bad,
        "read_s": t_read.as_secs_f64(),
        "index_s": t_index.as_secs_f64(),
        "detect_s": t_detect.as_secs_f64(),
        "metrics_s": t_metrics.as_secs_f64(),
        "write_s": t_write.as_secs_f64(),
        "wall_s": wall.as_secs_f64(),
        "out": out.display().to_string(),
    });
    if json {
        println!("{summary}");
    }
    if !quiet {
        eprintln!(
            "lockstep detect: {} events, {} accounts, {} flagged ({:.2}%), {} groups, {} bad rows skipped\n  read {:.2}s · index {:.2}s · detect {:.2}s · metrics {:.2}s · write {:.2}s · wall {:.2}s · outputs in {}",
            store.len(),
            store.n_accounts(),
            det.n_flagged(),
            100.0 * det.n_flagged() as f64 / store.n_accounts().max(1) as f64,
            det.groups.len(),
            bad,
            t_read.as_secs_f64(),
            t_index.as_secs_f64(),
            t_detect.as_secs_f64(),
            t_metrics.as_secs_f64(),
            t_write.as_secs_f64(),
            wall.as_secs_f64(),
            out.display()
        );
        for g in det.groups.iter().take(5) {
            eprintln!(
                "  {} {}/{}/{} · {} accounts · score {:.2}",
                g.id,
                g.label.label1,
                g.label.label2,
                g.label.label3,
                g.members.len(),
                g.score
            );
        }
    }
    Ok(())
}

fn simulate(
    cfg: lockstep_sim::SimConfig,
    out: &str,
    labels: Option<&str>,
    truth: Option<&str>,
) -> Result<(), Failure> {
    let t0 = Instant::now();
    let mut w = lockstep_io::open_event_writer(out).map_err(|e| Failure {
        code: exit::OUTPUT,
        err: e.into(),
    })?;
    let res = lockstep_sim::simulate(&cfg, w.as_mut()).map_err(|e| Failure {
        code: exit::OUTPUT,
        err: e.into(),
    })?;
    w.finish().map_err(|e| Failure {
        code: exit::OUTPUT,
        err: e.into(),
    })?;
    if let Some(p) = labels {
        lockstep_sim::write_labels(p, &res.labels)
            .with_context(|| format!("{p}: cannot write labels"))
            .map_err(with_code(exit::OUTPUT))?;
    }
    if let Some(p) = truth {
        lockstep_sim::write_truth(p, &res.truth)
            .with_context(|| format!("{p}: cannot write truth"))
            .map_err(with_code(exit::OUTPUT))?;
    }
    let farm = res.labels.iter().filter(|l| l.label == 1).count();
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "lockstep simulate: {} scenario, seed {}: {} events, {} accounts ({} farm) in {:.2}s ({:.2}M events/s) → {out}",
        cfg.scenario.name(),
        cfg.seed,
        res.events,
        res.labels.len(),
        farm,
        secs,
        res.events as f64 / secs / 1e6
    );
    Ok(())
}

fn eval(
    labels: &str,
    scores: &str,
    truth: Option<&str>,
    videos: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    let l = lockstep_eval::load_labels(labels).map_err(|e| Failure {
        code: exit::BAD_INPUT,
        err: e.into(),
    })?;
    let s = lockstep_eval::load_scores(scores).map_err(|e| Failure {
        code: exit::BAD_INPUT,
        err: e.into(),
    })?;
    let a = lockstep_eval::eval_accounts(&l, &s);
    let g = lockstep_eval::eval_groups(&l, &s);
    let h = match (truth, videos) {
        (Some(t), Some(v)) => Some(lockstep_eval::eval_videos(t, v).map_err(|e| Failure {
            code: exit::BAD_INPUT,
            err: e.into(),
        })?),
        _ => None,
    };
    if json {
        println!(
            "{}",
            serde_json::json!({"accounts": a, "groups": g, "videos": h})
        );
        return Ok(());
    }
    println!(
        "accounts            {} ({} fake, {} not in scores)",
        a.accounts, a.positives, a.missing_from_scores
    );
    println!("average precision   {:.4}", a.average_precision);
    println!("ROC-AUC             {:.4}", a.roc_auc);
    println!(
        "at flagged:         precision {:.4}  recall {:.4}  F1 {:.4}",
        a.precision, a.recall, a.f1
    );
    println!(
        "                    tp {} fp {} fn {} tn {}",
        a.confusion.tp, a.confusion.fp, a.confusion.fn_, a.confusion.tn
    );
    println!(
        "organic flagged     {:.4}%",
        a.organic_flagged_share * 100.0
    );
    for (t, r) in &a.by_tactic {
        println!(
            "  {t:<16} {:>7} accounts, {:>6} flagged ({:.2}%)",
            r.accounts,
            r.flagged,
            100.0 * r.flagged as f64 / r.accounts.max(1) as f64
        );
    }
    println!("calibration         score band: accounts (share fake)");
    for b in a.calibration.iter().filter(|b| b.accounts > 0) {
        println!(
            "  [{:.1}, {:.1}{} {:>8} ({:.3})",
            b.lo,
            b.hi,
            if b.hi >= 1.0 { "]" } else { ")" },
            b.accounts,
            b.fake_share
        );
    }
    if let Some(g) = g {
        println!(
            "groups              {} with labelled accounts, {} mixing farms; purity {:.4}",
            g.groups, g.mixed_groups, g.purity
        );
        println!(
            "                    {} farms over {:.2} groups each; {:.2}% of farm accounts grouped",
            g.farms,
            g.groups_per_farm,
            g.farm_accounts_grouped * 100.0
        );
    }
    if let Some(h) = h {
        println!(
            "honest metrics      {} inflated videos: like residual {:.4}, view residual {:.4}",
            h.inflated_videos, h.like_residual, h.view_residual
        );
        println!(
            "                    {} clean videos: likes removed {:.4}%, views removed {:.4}%",
            h.clean_videos,
            h.clean_video_like_loss * 100.0,
            h.clean_video_view_loss * 100.0
        );
    }
    Ok(())
}

fn explain(id: &str, dir: &std::path::Path, json: bool) -> Result<(), Failure> {
    let path = dir.join("groups.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| {
            format!(
                "{}: cannot read (run `lockstep detect … --out {}` first)",
                path.display(),
                dir.display()
            )
        })
        .map_err(with_code(exit::INPUT_UNREADABLE))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))
        .map_err(with_code(exit::BAD_INPUT))?;
    let groups = doc["groups"].as_array().cloned().unwrap_or_default();
    let find_group = |gid: &str| groups.iter().find(|g| g["id"] == gid).cloned();
    // An account: its row in accounts.csv, then its group.
    let (account_row, group) = match find_group(id) {
        Some(g) => (None, Some(g)),
        None => {
            let path = dir.join("accounts.csv");
            let mut r = csv::Reader::from_path(&path)
                .with_context(|| format!("{}: cannot read", path.display()))
                .map_err(with_code(exit::INPUT_UNREADABLE))?;
            let headers = r
                .headers()
                .map_err(|e| Failure {
                    code: exit::BAD_INPUT,
                    err: e.into(),
                })?
                .clone();
            let mut row = None;
            for rec in r.records() {
                let rec = rec.map_err(|e| Failure {
                    code: exit::BAD_INPUT,
                    err: e.into(),
                })?;
                if rec.get(0) == Some(id) {
                    row = Some(
                        headers
                            .iter()
                            .zip(rec.iter())
                            .map(|(h, v)| (h.to_string(), v.to_string()))
                            .collect::<Vec<_>>(),
                    );
                    break;
                }
            }
            let Some(row) = row else {
                return Err(Failure {
                    code: exit::FAILURE,
                    err: anyhow::anyhow!("no group or account named {id:?} in {}", dir.display()),
                });
            };
            let gid = row
                .iter()
                .find(|(h, _)| h == "group")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let g = if gid.is_empty() {
                None
            } else {
                find_group(&gid)
            };
            (Some(row), g)
        }
    };
    if json {
        let account = account_row.map(|r| {
            r.into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect::<serde_json::Map<String, serde_json::Value>>()
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"account": account, "group": group}))
                .unwrap()
        );
        return Ok(());
    }
    if let Some(row) = &account_row {
        let get = |k: &str| {
            row.iter()
                .find(|(h, _)| h == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        println!(
            "account {}  score {}  flagged {}  group {}",
            get("account"),
            get("score"),
            get("flagged"),
            if get("group").is_empty() {
                "-"
            } else {
                get("group")
            }
        );
        for reason in get("reasons").split(';').filter(|r| !r.is_empty()) {
            println!("  reason  {reason}");
        }
    }
    let Some(g) = group else {
        if account_row.is_some() {
            println!("  (in no group)");
        }
        return Ok(());
    };
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    println!(
        "\n{}  {}/{}/{}  score {}  {} accounts  {} → {}",
        s(&g["id"]),
        s(&g["label"]["label1"]),
        s(&g["label"]["label2"]),
        s(&g["label"]["label3"]),
        g["score"],
        g["size"],
        s(&g["span"]["start"]),
        s(&g["span"]["end"])
    );
    println!("  {}", s(&g["summary"]));
    println!("\n  evidence");
    for e in g["evidence"].as_array().into_iter().flatten() {
        let figs: Vec<String> = e["figures"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!(
            "    {}@{}  {}/{}  {} accounts",
            s(&e["detector"]),
            e["version"],
            s(&e["label"]["label2"]),
            s(&e["label"]["label3"]),
            e["accounts"]
        );
        println!("      {}", s(&e["summary"]));
        println!("      {}", figs.join(", "));
    }
    let shared = g["shared"].as_array().cloned().unwrap_or_default();
    if !shared.is_empty() {
        println!("\n  shared values");
        for v in shared.iter().take(15) {
            println!(
                "    {:<8} {}  ({} accounts){}",
                s(&v["kind"]),
                s(&v["value"]),
                v["accounts"],
                if v["hub"] == true {
                    "  hub: context, not evidence"
                } else {
                    ""
                }
            );
        }
    }
    // Absent in groups.json files written before linked cases existed.
    let linked = g["linked"].as_array().cloned().unwrap_or_default();
    if !linked.is_empty() {
        println!("\n  linked groups (evidence shared with other groups)");
        for l in linked.iter().take(10) {
            let others: Vec<String> = l["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect();
            let more = l["more"].as_u64().unwrap_or(0);
            println!(
                "    {}@{}  {}{}",
                s(&l["detector"]),
                l["version"],
                others.join(", "),
                if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                }
            );
            println!("      {}", s(&l["summary"]));
        }
    }
    let targets: Vec<String> = g["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .take(10)
        .map(s)
        .collect();
    if !targets.is_empty() {
        println!("\n  targets pushed  {}", targets.join(", "));
    }
    let members = g["members"].as_array().cloned().unwrap_or_default();
    println!("\n  members ({}; first 20)", members.len());
    for m in members.iter().take(20) {
        println!("    {}  {}", s(&m["account"]), m["score"]);
    }
    Ok(())
}

fn score_events(
    events: &str,
    out: &str,
    tick_ms: i64,
    rows: usize,
    buckets: usize,
    decay: f64,
    filter_threshold: Option<f64>,
) -> Result<(), Failure> {
    use std::io::Write;
    let t0 = Instant::now();
    let (store, _) =
        lockstep_io::read_events(events, &ReadOptions::default()).map_err(read_error)?;
    let scores = match filter_threshold {
        None => lockstep_detect::midas::score_store(
            &store,
            tick_ms.max(1),
            rows.max(1),
            buckets.max(1),
            decay,
        ),
        Some(th) => lockstep_detect::midas::score_store_filtered(
            &store,
            tick_ms.max(1),
            rows.max(1),
            buckets.max(1),
            decay,
            th,
        ),
    };
    let f = std::fs::File::create(out)
        .with_context(|| format!("{out}: cannot create"))
        .map_err(with_code(exit::OUTPUT))?;
    let mut w = std::io::BufWriter::new(f);
    for s in &scores {
        writeln!(w, "{s:.4}")
            .with_context(|| format!("{out}: write failed"))
            .map_err(with_code(exit::OUTPUT))?;
    }
    w.flush()
        .with_context(|| format!("{out}: write failed"))
        .map_err(with_code(exit::OUTPUT))?;
    eprintln!(
        "lockstep score-events: {} events scored in {:.2}s → {out}",
        scores.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn convert(
    from: &str,
    input: &str,
    out: &str,
    labels: &str,
    event_labels: Option<&str>,
) -> Result<(), Failure> {
    let dataset = lockstep_datasets::Dataset::parse(from).expect("clap checked the name");
    let t0 = Instant::now();
    let mut w = lockstep_io::open_event_writer(out).map_err(|e| Failure {
        code: exit::OUTPUT,
        err: e.into(),
    })?;
    let rep = lockstep_datasets::convert(dataset, input, w.as_mut()).map_err(|e| {
        let code = match &e {
            lockstep_datasets::ConvertError::Io { .. } => exit::INPUT_UNREADABLE,
            lockstep_datasets::ConvertError::Format { .. } => exit::BAD_INPUT,
            lockstep_datasets::ConvertError::Write(_) => exit::OUTPUT,
        };
        Failure {
            code,
            err: e.into(),
        }
    })?;
    w.finish().map_err(|e| Failure {
        code: exit::OUTPUT,
        err: e.into(),
    })?;
    rep.write_labels(labels).map_err(|e| Failure {
        code: exit::OUTPUT,
        err: e.into(),
    })?;
    if let Some(p) = event_labels {
        let text: String = rep
            .event_labels
            .iter()
            .map(|l| if *l == 1 { "1\n" } else { "0\n" })
            .collect();
        std::fs::write(p, text)
            .with_context(|| format!("{p}: cannot write"))
            .map_err(with_code(exit::OUTPUT))?;
    }
    let bad = rep.labels.values().filter(|&&l| l == 1).count();
    eprintln!(
        "lockstep convert: {from}: {} events, {} labelled accounts ({bad} bad), {} rows skipped, {:.1}s → {out}, {labels}",
        rep.events,
        rep.labels.len(),
        rep.skipped,
        t0.elapsed().as_secs_f64()
    );
    for ex in &rep.examples {
        eprintln!("  skipped {ex}");
    }
    Ok(())
}

/// Knots JSON: `{"knots": [[evidence, score], …]}`, ascending in both.
fn load_calibration(path: &str) -> anyhow::Result<lockstep_detect::fusion::Calibration> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--calibration {path}: cannot read"))?;
    #[derive(serde::Deserialize)]
    struct Knots {
        knots: Vec<(f32, f32)>,
    }
    let k: Knots = serde_json::from_str(&text).with_context(|| {
        format!("--calibration {path}: expected {{\"knots\": [[evidence, score], …]}}")
    })?;
    let ok = !k.knots.is_empty()
        && k.knots
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
        && k.knots
            .iter()
            .all(|&(x, y)| (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y));
    if !ok {
        anyhow::bail!(
            "--calibration {path}: knots must lie in [0, 1] and ascend (evidence strictly)"
        );
    }
    Ok(lockstep_detect::fusion::Calibration { knots: k.knots })
}

fn calibrate(runs: &[String], bins: usize) -> Result<(), Failure> {
    if bins == 0 {
        return Err(Failure {
            code: exit::USAGE,
            err: anyhow::anyhow!("--bins must be at least 1"),
        });
    }
    let mut points: Vec<(f64, bool)> = Vec::new();
    for run in runs {
        let Some((labels, scores)) = run.split_once('=') else {
            return Err(Failure {
                code: exit::USAGE,
                err: anyhow::anyhow!("--run {run:?}: expected LABELS=ACCOUNTS"),
            });
        };
        let labels = lockstep_eval::load_labels(labels).map_err(|e| Failure {
            code: exit::BAD_INPUT,
            err: e.into(),
        })?;
        let scores = lockstep_eval::load_scores(scores).map_err(|e| Failure {
            code: exit::BAD_INPUT,
            err: e.into(),
        })?;
        for l in &labels {
            let e = scores.get(&l.account).map_or(0.0, |s| s.evidence);
            points.push((e, l.label));
        }
    }
    let knots = lockstep_eval::isotonic_knots(&points, bins);
    let rounded: Vec<(f64, f64)> = knots
        .iter()
        .map(|&(x, y)| ((x * 1e4).round() / 1e4, (y * 1e4).round() / 1e4))
        .collect();
    println!(
        "{}",
        serde_json::json!({ "accounts": points.len(), "runs": runs.len(), "knots": rounded })
    );
    Ok(())
}
