//! `lockstep`: find group-control (群控) farm engagement in short-video event logs.
//!
//! The flags live in `args.rs`, each command in `commands/`, exit codes in `failure.rs`; `main`
//! parses and dispatches.

mod args;
mod commands;
mod failure;
mod progress;

use args::{Cli, Cmd};
use clap::Parser;
use failure::exit;
use std::process::ExitCode;

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
        Cmd::Detect(args) => commands::detect::detect(&args),
        Cmd::Simulate {
            scenario,
            seed,
            accounts,
            days,
            out,
            labels,
            truth,
            creators,
            creator_column,
        } => commands::simulate::simulate(
            lockstep_sim::SimConfig {
                scenario: lockstep_sim::Scenario::parse(&scenario).expect("clap checked the name"),
                seed,
                accounts,
                days,
                creators: if creator_column {
                    lockstep_sim::CreatorLog::Column
                } else {
                    lockstep_sim::CreatorLog::parse(&creators).expect("clap checked the name")
                },
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
        } => commands::eval::eval(&labels, &scores, truth.as_deref(), videos.as_deref(), json),
        Cmd::Explain { id, dir, json } => commands::explain::explain(&id, &dir, json),
        Cmd::Calibrate { runs, bins } => commands::calibrate::calibrate(&runs, bins),
        Cmd::Convert {
            from,
            input,
            out,
            labels,
            event_labels,
            inject_blocks,
            inject_seed,
        } => commands::convert::convert(
            &from,
            &input,
            &out,
            &labels,
            event_labels.as_deref(),
            lockstep_datasets::inject::Injection {
                blocks: inject_blocks,
                seed: inject_seed,
            },
        ),
        Cmd::Serve {
            data,
            listen,
            tokens,
            max_body_mib,
            pass_every_minutes,
            horizon_hours,
            ingest_slots,
            suppress_days,
            shadow,
            follow,
            kafka_brokers,
            kafka_topic,
            kafka_group,
        } => commands::serve::serve(
            // `..Default::default()` fills `kafka` when the feature adds it (then set from the
            // arguments); without the feature every field is already named.
            #[allow(clippy::needless_update)]
            lockstep_serve::ServeConfig {
                data,
                listen,
                tokens,
                max_body_bytes: max_body_mib << 20,
                pass_every_ms: pass_every_minutes.max(1) * 60_000,
                ingest_slots,
                suppress_ms: suppress_days.max(0) * 24 * 3_600_000,
                shadow,
                horizon_ms: horizon_hours.max(1) * 3_600_000,
                follow,
                ..Default::default()
            },
            kafka_brokers.zip(kafka_topic),
            kafka_group,
        ),
        Cmd::ScoreEvents {
            events,
            out,
            tick_ms,
            rows,
            buckets,
            decay,
            filter_threshold,
        } => commands::score_events::score_events(
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
