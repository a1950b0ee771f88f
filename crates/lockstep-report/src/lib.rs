//! Outputs of `lockstep detect`: `accounts.csv`, `groups.json`, `videos.csv`, `report.html`,
//! and the honest per-video [`metrics`] behind `videos.csv`.
//!
//! Contract (extend, don't break): `accounts.csv` has `account,score,flagged,group,reasons`;
//! `videos.csv` starts with `target,views,clean_views,likes,clean_likes,comments,clean_comments,
//! shares,clean_shares,completion_rate,clean_completion_rate`. All outputs are byte-identical for
//! the same input.

pub mod docs;
pub mod html;
pub mod metrics;
pub mod parquet_out;
pub mod pipeline;

pub use parquet_out::{write_accounts_parquet, write_videos_parquet};

use docs::*;
use lockstep_core::{format_ts, EventStore};
use lockstep_detect::Detection;
use metrics::VideoMetrics;
use rayon::prelude::*;
use std::borrow::Cow;
use std::fmt::Write as _;
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
    let mut s = String::new();
    push_reasons(&mut s, det, account);
    s
}

/// Append the `reasons` cell to `buf` (writers reuse one buffer: no allocation per row).
pub fn push_reasons(buf: &mut String, det: &Detection, account: u32) {
    for (i, (d, c)) in det.accounts[account as usize].reasons.iter().enumerate() {
        if i > 0 {
            buf.push(';');
        }
        let _ = write!(buf, "{d}:");
        push_fixed(buf, *c as f64, 3);
    }
}

/// Accounts ordered by score (high first), then name: the row order of `accounts.csv` and
/// `accounts.parquet` (computed once, passed to both).
pub fn ranked_accounts(store: &EventStore, det: &Detection) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..store.n_accounts() as u32).collect();
    ids.par_sort_by(|&a, &b| {
        det.accounts[b as usize]
            .score
            .total_cmp(&det.accounts[a as usize].score)
            .then_with(|| store.accounts.name(a).cmp(store.accounts.name(b)))
    });
    ids
}

/// `accounts.csv`, rows in `ranked` order ([`ranked_accounts`]).
pub fn write_accounts_csv(
    path: &Path,
    store: &EventStore,
    det: &Detection,
    ranked: &[u32],
) -> Result<(), WriteError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err(path))?;
    w.write_record([
        "account", "score", "flagged", "group", "reasons", "events", "evidence",
    ])
    .map_err(csv_err(path))?;
    // One reused buffer per numeric cell: no allocation per row.
    let (mut score, mut reasons, mut events, mut evidence) =
        (String::new(), String::new(), String::new(), String::new());
    for &a in ranked {
        let v = &det.accounts[a as usize];
        let group = v.group.map(|g| det.groups[g].id.as_str()).unwrap_or("");
        score.clear();
        push_fixed(&mut score, v.score as f64, 4);
        reasons.clear();
        push_reasons(&mut reasons, det, a);
        events.clear();
        let _ = write!(events, "{}", store.events_of_account(a).len());
        evidence.clear();
        push_fixed(&mut evidence, v.evidence as f64, 4);
        w.write_record([
            store.accounts.name(a),
            &score,
            if v.flagged { "1" } else { "0" },
            group,
            &reasons,
            &events,
            &evidence,
        ])
        .map_err(csv_err(path))?;
    }
    w.flush().map_err(io_err(path))
}

/// `x` with `decimals` places, like `format!("{x:.N}")` for finite non-negative values but
/// without the float formatter's exact path (half of the writers' time at 10M events).
pub fn push_fixed(buf: &mut String, x: f64, decimals: u32) {
    let scale = 10u64.pow(decimals);
    if !x.is_finite() || !(0.0..1e12).contains(&x) {
        let _ = write!(buf, "{x:.*}", decimals as usize);
        return;
    }
    let r = (x * scale as f64).round() as u64;
    let _ = write!(buf, "{}", r / scale);
    if decimals > 0 {
        let _ = write!(buf, ".{:0width$}", r % scale, width = decimals as usize);
    }
}

/// Columns of `videos.csv` and `videos.parquet`: the target, the eight raw / clean counts
/// ([`VideoMetrics::counts`]), two completion rates, inflation and flagged shares, the four
/// score-weighted counts, and followers.
pub const VIDEO_COLUMNS: [&str; 20] = [
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
];

pub fn write_videos_csv(
    path: &Path,
    store: &EventStore,
    videos: &[VideoMetrics],
) -> Result<(), WriteError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err(path))?;
    w.write_record(VIDEO_COLUMNS).map_err(csv_err(path))?;
    let mut cells: Vec<String> = vec![String::new(); 19];
    for m in videos {
        for c in cells.iter_mut() {
            c.clear();
        }
        for (c, v) in cells.iter_mut().zip(m.counts()) {
            let _ = write!(c, "{v}");
        }
        if let Some(r) = m.completion_rate() {
            push_fixed(&mut cells[8], r, 4);
        }
        if let Some(r) = m.clean_completion_rate() {
            push_fixed(&mut cells[9], r, 4);
        }
        push_fixed(&mut cells[10], m.inflation(), 4);
        push_fixed(&mut cells[11], m.flagged_view_share(), 4);
        push_fixed(&mut cells[12], m.flagged_like_share(), 4);
        push_fixed(&mut cells[13], m.weighted_views, 2);
        push_fixed(&mut cells[14], m.weighted_likes, 2);
        push_fixed(&mut cells[15], m.weighted_comments, 2);
        push_fixed(&mut cells[16], m.weighted_shares, 2);
        let _ = write!(cells[17], "{}", m.followers);
        let _ = write!(cells[18], "{}", m.clean_followers);
        w.write_field(store.targets.name(m.target))
            .map_err(csv_err(path))?;
        w.write_record(&cells).map_err(csv_err(path))?;
    }
    w.flush().map_err(io_err(path))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

pub fn groups_json<'a>(
    store: &'a EventStore,
    det: &'a Detection,
    detectors: &[lockstep_detect::DetectorId],
) -> GroupsDoc<'a> {
    let groups = det
        .groups
        .iter()
        .map(|g| GroupDoc {
            crowd_checks: g
                .crowd_checks
                .iter()
                .map(|c| CrowdCheckDoc {
                    explanation: Cow::Borrowed(c.explanation),
                    rejected_because: Cow::Borrowed(&c.rejected_because),
                })
                .collect(),
            evidence: g
                .findings
                .iter()
                .map(|&i| {
                    let f = &det.findings[i];
                    EvidenceDoc {
                        accounts: f.members.len(),
                        detector: Cow::Borrowed(f.detector.id),
                        figures: f
                            .figures
                            .iter()
                            .map(|&(k, v)| (Cow::Borrowed(k), round4(v)))
                            .collect(),
                        label: (&f.label).into(),
                        summary: Cow::Borrowed(&f.summary),
                        version: f.detector.version,
                    }
                })
                .collect(),
            id: Cow::Borrowed(&g.id),
            label: (&g.label).into(),
            linked: g
                .linked
                .iter()
                .map(|l| {
                    let f = &det.findings[l.finding];
                    LinkedDoc {
                        detector: Cow::Borrowed(f.detector.id),
                        groups: l
                            .groups
                            .iter()
                            .map(|&o| Cow::Borrowed(det.groups[o].id.as_str()))
                            .collect(),
                        label: (&f.label).into(),
                        more: l.n_groups - l.groups.len(),
                        summary: Cow::Borrowed(&f.summary),
                        version: f.detector.version,
                    }
                })
                .collect(),
            members: g
                .members
                .iter()
                .map(|&a| {
                    let v = &det.accounts[a as usize];
                    MemberDoc {
                        account: Cow::Borrowed(store.accounts.name(a)),
                        reasons: v
                            .reasons
                            .iter()
                            .map(|(d, c)| ReasonDoc {
                                contribution: round4(*c as f64),
                                detector: Cow::Borrowed(d.id),
                                version: d.version,
                            })
                            .collect(),
                        score: round4(v.score as f64),
                    }
                })
                .collect(),
            score: round4(g.score as f64),
            shared: g
                .shared
                .iter()
                .map(|s| SharedDoc {
                    accounts: s.accounts,
                    hub: s.hub,
                    kind: Cow::Borrowed(s.kind),
                    value: Cow::Borrowed(&s.value),
                })
                .collect(),
            size: g.members.len(),
            span: SpanDoc {
                end: format_ts(g.span.1),
                end_ms: g.span.1,
                start: format_ts(g.span.0),
                start_ms: g.span.0,
            },
            summary: Cow::Borrowed(&g.summary),
            targets: g
                .targets
                .iter()
                .map(|&t| Cow::Borrowed(store.targets.name(t)))
                .collect(),
        })
        .collect();
    GroupsDoc {
        accounts: store.n_accounts(),
        detectors: detectors
            .iter()
            .map(|d| DetectorDoc {
                id: Cow::Borrowed(d.id),
                version: d.version,
            })
            .collect(),
        flagged: det.n_flagged(),
        generator: Cow::Borrowed(concat!("lockstep ", env!("CARGO_PKG_VERSION"))),
        groups,
    }
}

pub fn write_groups_json(path: &Path, doc: &GroupsDoc<'_>) -> Result<(), WriteError> {
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
