//! `lockstep detect`: read → store → detectors → fusion → metrics → outputs.

use crate::args::DetectArgs;
use crate::commands::calibrate::load_calibration;
use crate::failure::{exit, read_error, with_code, Failure};
use crate::progress::progress_bar;
use anyhow::Context;
use lockstep_core::EventStoreBuilder;
use lockstep_io::{read_into, ByteCounter, ReadOptions, ReadReport};
use std::time::{Duration, Instant};

pub fn detect(args: &DetectArgs) -> Result<(), Failure> {
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
    let cfg = lockstep_detect::FusionConfig {
        flag: threshold.map_or(
            lockstep_detect::FlagRule::Evidence(0.5),
            lockstep_detect::FlagRule::Score,
        ),
        calibration,
        ..Default::default()
    };
    let a = lockstep_report::pipeline::analyse(store, &detectors, &cfg);
    if let Some(pb) = &pb {
        pb.set_message("writing");
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create output directory", out.display()))
        .map_err(with_code(exit::OUTPUT))?;
    let t2 = Instant::now();
    let opts = lockstep_report::pipeline::OutputOptions {
        parquet: *parquet,
        source: events.join(", "),
    };
    lockstep_report::pipeline::write_outputs(&a, out, &opts).map_err(|e| Failure {
        code: exit::OUTPUT,
        err: e.into(),
    })?;
    let t_write = t2.elapsed();
    let (store, det) = (&a.store, &a.detection);
    let (t_detect, t_metrics) = (a.detect_time, a.metrics_time);
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let wall = t0.elapsed();
    let bad: u64 = reports.iter().map(|r| r.bad_rows).sum();
    let coverage = lockstep_detect::creators::creator_coverage(store);
    let by_source: serde_json::Map<String, serde_json::Value> =
        lockstep_detect::creators::CreatorSource::ALL
            .iter()
            .map(|&s| {
                (
                    s.name().to_string(),
                    serde_json::json!(coverage.events_by_source[s as usize]),
                )
            })
            .collect();
    let low_coverage = coverage.known_share() < lockstep_detect::creators::LOW_COVERAGE_WARNING;
    let summary = serde_json::json!({
        "events": store.len(),
        "accounts": store.n_accounts(),
        "targets": store.n_targets(),
        "flagged": det.n_flagged(),
        "groups": det.groups.len(),
        "findings": det.findings.len(),
        "bad_rows_skipped": bad,
        "creator_coverage": {
            "engaging_events": coverage.engaging_events,
            "known_share": coverage.known_share(),
            "known_target_share": coverage.known_target_share(),
            "events_by_source": by_source,
            "warning": low_coverage,
        },
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
        eprintln!(
            "  creators known for {:.1}% of engagement ({:.1}% of engaged targets)",
            100.0 * coverage.known_share(),
            100.0 * coverage.known_target_share()
        );
        if low_coverage {
            eprintln!(
                "  warning: most engagement is on videos whose creator the log does not show: they are told apart only by their audiences, and one-client campaigns on them are not judged. Add a `creator` column (or publish events) if the platform records it."
            );
        }
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
