//! Outputs of `lockstep detect`: `accounts.csv`, `groups.json`, `videos.csv`, `report.html`,
//! and the honest per-video [`metrics`] behind `videos.csv`.
//!
//! Contract (extend, don't break): `accounts.csv` has `account,score,flagged,group,reasons`;
//! `videos.csv` starts with `target,views,clean_views,likes,clean_likes,comments,clean_comments,
//! shares,clean_shares,completion_rate,clean_completion_rate`. All outputs are byte-identical for
//! the same input.

pub mod html;
pub mod metrics;

use lockstep_core::{format_ts, EventStore};
use lockstep_detect::Detection;
use metrics::VideoMetrics;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> WriteError + '_ {
    move |e| WriteError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    }
}

/// `reasons` cell: `detector@version:contribution` joined by `;`, strongest first.
pub fn reasons_string(det: &Detection, account: u32) -> String {
    det.accounts[account as usize]
        .reasons
        .iter()
        .map(|(d, c)| format!("{d}:{c:.3}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// Accounts ordered by score (high first), then name.
pub fn ranked_accounts(store: &EventStore, det: &Detection) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..store.n_accounts() as u32).collect();
    ids.sort_by(|&a, &b| {
        det.accounts[b as usize]
            .score
            .total_cmp(&det.accounts[a as usize].score)
            .then_with(|| store.accounts.name(a).cmp(store.accounts.name(b)))
    });
    ids
}

pub fn write_accounts_csv(
    path: &Path,
    store: &EventStore,
    det: &Detection,
) -> Result<(), WriteError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err(path))?;
    w.write_record(["account", "score", "flagged", "group", "reasons", "events"])
        .map_err(csv_err(path))?;
    for a in ranked_accounts(store, det) {
        let v = &det.accounts[a as usize];
        let group = v.group.map(|g| det.groups[g].id.as_str()).unwrap_or("");
        w.write_record([
            store.accounts.name(a),
            &format!("{:.4}", v.score),
            if v.flagged { "1" } else { "0" },
            group,
            &reasons_string(det, a),
            &store.events_of_account(a).len().to_string(),
        ])
        .map_err(csv_err(path))?;
    }
    w.flush().map_err(io_err(path))
}

fn opt_rate(r: Option<f64>) -> String {
    r.map(|x| format!("{x:.4}")).unwrap_or_default()
}

pub fn write_videos_csv(
    path: &Path,
    store: &EventStore,
    videos: &[VideoMetrics],
) -> Result<(), WriteError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err(path))?;
    w.write_record([
        "target",
        "views",
        "clean_views",
        "likes",
        "clean_likes",
        "comments",
        "clean_comments",
        "shares",
        "clean_shares",
        "completion_rate",
        "clean_completion_rate",
        "inflation",
        "flagged_view_share",
        "flagged_like_share",
        "weighted_views",
        "weighted_likes",
        "weighted_comments",
        "weighted_shares",
        "followers",
        "clean_followers",
    ])
    .map_err(csv_err(path))?;
    for m in videos {
        w.write_record([
            store.targets.name(m.target).to_string(),
            m.views.to_string(),
            m.clean_views.to_string(),
            m.likes.to_string(),
            m.clean_likes.to_string(),
            m.comments.to_string(),
            m.clean_comments.to_string(),
            m.shares.to_string(),
            m.clean_shares.to_string(),
            opt_rate(m.completion_rate()),
            opt_rate(m.clean_completion_rate()),
            format!("{:.4}", m.inflation()),
            format!("{:.4}", m.flagged_view_share()),
            format!("{:.4}", m.flagged_like_share()),
            format!("{:.2}", m.weighted_views),
            format!("{:.2}", m.weighted_likes),
            format!("{:.2}", m.weighted_comments),
            format!("{:.2}", m.weighted_shares),
            m.followers.to_string(),
            m.clean_followers.to_string(),
        ])
        .map_err(csv_err(path))?;
    }
    w.flush().map_err(io_err(path))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The `groups.json` document.
pub fn groups_json(
    store: &EventStore,
    det: &Detection,
    detectors: &[lockstep_detect::DetectorId],
) -> Value {
    let groups: Vec<Value> = det
        .groups
        .iter()
        .map(|g| {
            let members: Vec<Value> = g
                .members
                .iter()
                .map(|&a| {
                    let v = &det.accounts[a as usize];
                    json!({
                        "account": store.accounts.name(a),
                        "score": round4(v.score as f64),
                        "reasons": v.reasons.iter().map(|(d, c)| json!({"detector": d.id, "version": d.version, "contribution": round4(*c as f64)})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let evidence: Vec<Value> = g
                .findings
                .iter()
                .map(|&i| {
                    let f = &det.findings[i];
                    json!({
                        "detector": f.detector.id,
                        "version": f.detector.version,
                        "label": {"label1": f.label.label1, "label2": f.label.label2, "label3": f.label.label3},
                        "accounts": f.members.len(),
                        "figures": f.figures.iter().map(|(k, v)| ((*k).to_string(), json!(round4(*v)))).collect::<serde_json::Map<_, _>>(),
                        "summary": f.summary,
                    })
                })
                .collect();
            json!({
                "id": g.id,
                "label": {"label1": g.label.label1, "label2": g.label.label2, "label3": g.label.label3},
                "score": round4(g.score as f64),
                "size": g.members.len(),
                "summary": g.summary,
                "span": {"start": format_ts(g.span.0), "end": format_ts(g.span.1), "start_ms": g.span.0, "end_ms": g.span.1},
                "targets": g.targets.iter().map(|&t| store.targets.name(t)).collect::<Vec<_>>(),
                "shared": g.shared.iter().map(|s| json!({"kind": s.kind, "value": s.value, "accounts": s.accounts, "hub": s.hub})).collect::<Vec<_>>(),
                "evidence": evidence,
                "members": members,
            })
        })
        .collect();
    json!({
        "generator": concat!("lockstep ", env!("CARGO_PKG_VERSION")),
        "detectors": detectors.iter().map(|d| json!({"id": d.id, "version": d.version})).collect::<Vec<_>>(),
        "accounts": store.n_accounts(),
        "flagged": det.n_flagged(),
        "groups": groups,
    })
}

pub fn write_groups_json(path: &Path, doc: &Value) -> Result<(), WriteError> {
    let f = std::fs::File::create(path).map_err(io_err(path))?;
    let mut w = std::io::BufWriter::new(f);
    serde_json::to_writer_pretty(&mut w, doc).map_err(|e| WriteError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    w.write_all(b"\n").map_err(io_err(path))?;
    w.flush().map_err(io_err(path))
}

pub fn write_report_html(
    path: &Path,
    store: &EventStore,
    det: &Detection,
    videos: &[VideoMetrics],
    title: &str,
) -> Result<(), WriteError> {
    let html = html::render(store, det, videos, title);
    std::fs::write(path, html).map_err(io_err(path))
}
