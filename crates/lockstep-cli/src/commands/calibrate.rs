//! `lockstep calibrate` and the knots file `detect --calibration` reads.

use crate::failure::{exit, Failure};
use anyhow::Context;

/// Knots JSON: `{"knots": [[evidence, score], …]}`, ascending in both.
pub fn load_calibration(path: &str) -> anyhow::Result<lockstep_detect::fusion::Calibration> {
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

pub fn calibrate(runs: &[String], bins: usize) -> Result<(), Failure> {
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
