//! `lockstep eval`: ranking, flag and group quality against labels.

use crate::failure::{exit, Failure};

pub fn eval(
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
