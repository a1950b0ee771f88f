//! `lockstep convert`: public labelled datasets to events and labels.

use crate::failure::{exit, with_code, Failure};
use anyhow::Context;
use std::time::Instant;

pub fn convert(
    from: &str,
    input: &str,
    out: &str,
    labels: &str,
    event_labels: Option<&str>,
    injection: lockstep_datasets::inject::Injection,
) -> Result<(), Failure> {
    let dataset = lockstep_datasets::Dataset::parse(from).expect("clap checked the name");
    if injection.blocks > 0 && !lockstep_datasets::INJECTABLE.contains(&from) {
        return Err(Failure {
            code: exit::USAGE,
            err: anyhow::anyhow!(
                "--inject-blocks: {from} is not a rating graph (injectable: {})",
                lockstep_datasets::INJECTABLE.join(", ")
            ),
        });
    }
    let t0 = Instant::now();
    let mut w = lockstep_io::open_event_writer(out).map_err(|e| Failure {
        code: exit::OUTPUT,
        err: e.into(),
    })?;
    let injection = (injection.blocks > 0).then_some(injection);
    let rep =
        lockstep_datasets::convert_with(dataset, input, w.as_mut(), injection).map_err(|e| {
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
    for b in &rep.injected {
        eprintln!(
            "  injected {}: {} accounts × {} items, density {:.2}, {} camouflage, over {:.0} h",
            b.name, b.accounts, b.items, b.density, b.camouflage, b.span_hours
        );
    }
    Ok(())
}
