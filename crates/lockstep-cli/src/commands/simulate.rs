//! `lockstep simulate`: a synthetic log with its labels and per-video truth.

use crate::failure::{exit, with_code, Failure};
use anyhow::Context;
use std::time::Instant;

pub fn simulate(
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
