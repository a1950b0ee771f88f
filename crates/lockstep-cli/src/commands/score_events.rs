//! `lockstep score-events`: streaming MIDAS scores per event.

use crate::failure::{exit, read_error, with_code, Failure};
use anyhow::Context;
use lockstep_io::ReadOptions;
use std::time::Instant;

pub fn score_events(
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
