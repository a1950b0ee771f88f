//! Outputs of `lockstep detect`: `accounts.csv`, `groups.json`, `videos.csv`, `report.html`,
//! and the honest per-video [`metrics`] behind `videos.csv`.
//!
//! Contract (extend, don't break): `accounts.csv` has `account,score,flagged,group,reasons`;
//! `videos.csv` starts with `target,views,clean_views,likes,clean_likes,comments,clean_comments,
//! shares,clean_shares,completion_rate,clean_completion_rate`. All outputs are byte-identical for
//! the same input.

pub mod html;
pub mod metrics;
pub mod parquet_out;
pub mod pipeline;

pub use parquet_out::{write_accounts_parquet, write_videos_parquet};

/// The output contract's types, re-exported from `lockstep-schema` where they live.
pub use lockstep_schema as docs;

use lockstep_core::{format_ts, EventStore};
use lockstep_detect::Detection;
use lockstep_schema::*;
use metrics::VideoMetrics;
use rayon::prelude::*;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O or format error.
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
        let _ = push_fixed(buf, *c as f64, 3);
    }
}

/// Accounts ordered by score (high first), then name: the row order of `accounts.csv` and
/// `accounts.parquet` (computed once, passed to both).
pub fn ranked_accounts(store: &EventStore, det: &Detection) -> Vec<u32> {
    // Sorted on (score, name prefix) held inline, so most comparisons never reach the name
    // arena (half a million accounts, nearly all tied at score 0, were a sort of random reads).
    let mut keyed: Vec<(u32, u64, u32)> = (0..store.n_accounts() as u32)
        .into_par_iter()
        .map(|a| {
            let name = store.accounts.name(a);
            (
                !score_order(det.accounts[a as usize].score),
                name_prefix(name),
                a,
            )
        })
        .collect();
    keyed.par_sort_unstable_by(|x, y| {
        (x.0, x.1)
            .cmp(&(y.0, y.1))
            .then_with(|| store.accounts.name(x.2).cmp(store.accounts.name(y.2)))
    });
    keyed.into_iter().map(|k| k.2).collect()
}

/// A `u32` that orders as `f32::total_cmp` orders the score.
fn score_order(score: f32) -> u32 {
    let b = score.to_bits();
    if b >> 31 == 1 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// The first eight bytes of a name, big-endian and zero-padded: compares as the names' bytes
/// do, up to a tie that the full names then break.
pub(crate) fn name_prefix(name: &str) -> u64 {
    let mut b = [0u8; 8];
    let n = name.len().min(8);
    b[..n].copy_from_slice(&name.as_bytes()[..n]);
    u64::from_be_bytes(b)
}

/// One account's `accounts.csv` row; `reasons` is its [`push_reasons`] cell.
pub fn account_row<'a>(
    store: &'a EventStore,
    det: &'a Detection,
    a: u32,
    reasons: &'a str,
) -> AccountRow<'a> {
    let v = &det.accounts[a as usize];
    AccountRow {
        account: Cow::Borrowed(store.accounts.name(a)),
        score: Fixed(v.score as f64),
        flagged: Flag(v.flagged),
        group: v.group.map(|g| Cow::Borrowed(det.groups[g].id.as_str())),
        reasons: Some(Cow::Borrowed(reasons)),
        events: Some(store.events_of_account(a).len() as u64),
        evidence: Some(Fixed(v.evidence as f64)),
    }
}

/// One target's `videos.csv` row.
pub fn video_row<'a>(store: &'a EventStore, m: &VideoMetrics) -> VideoRow<'a> {
    VideoRow {
        target: Cow::Borrowed(store.targets.name(m.target)),
        views: m.views,
        clean_views: m.clean_views,
        likes: m.likes,
        clean_likes: m.clean_likes,
        comments: m.comments,
        clean_comments: m.clean_comments,
        shares: m.shares,
        clean_shares: m.clean_shares,
        completion_rate: m.completion_rate().map(Fixed),
        clean_completion_rate: m.clean_completion_rate().map(Fixed),
        inflation: Fixed(m.inflation()),
        flagged_view_share: Fixed(m.flagged_view_share()),
        flagged_like_share: Fixed(m.flagged_like_share()),
        weighted_views: Fixed(m.weighted_views),
        weighted_likes: Fixed(m.weighted_likes),
        weighted_comments: Fixed(m.weighted_comments),
        weighted_shares: Fixed(m.weighted_shares),
        followers: m.followers,
        clean_followers: m.clean_followers,
    }
}

/// `accounts.csv` ([`AccountRow`]s), rows in `ranked` order ([`ranked_accounts`]).
pub fn write_accounts_csv(
    path: &Path,
    store: &EventStore,
    det: &Detection,
    ranked: &[u32],
) -> Result<(), WriteError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err(path))?;
    // One reused buffer for the reasons cell: no allocation per row.
    let mut reasons = String::new();
    for &a in ranked {
        reasons.clear();
        push_reasons(&mut reasons, det, a);
        w.serialize(account_row(store, det, a, &reasons))
            .map_err(csv_err(path))?;
    }
    if ranked.is_empty() {
        w.write_record(ACCOUNT_COLUMNS).map_err(csv_err(path))?;
    }
    w.flush().map_err(io_err(path))
}

/// `videos.csv` ([`VideoRow`]s), one row per target in `videos` order.
pub fn write_videos_csv(
    path: &Path,
    store: &EventStore,
    videos: &[VideoMetrics],
) -> Result<(), WriteError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err(path))?;
    for m in videos {
        w.serialize(video_row(store, m)).map_err(csv_err(path))?;
    }
    if videos.is_empty() {
        w.write_record(VIDEO_COLUMNS).map_err(csv_err(path))?;
    }
    w.flush().map_err(io_err(path))
}

/// A finding's label as the document's.
fn label_doc(l: &lockstep_detect::Label) -> LabelDoc<'static> {
    LabelDoc {
        label1: Cow::Borrowed(l.label1),
        label2: Cow::Borrowed(l.label2),
        label3: Cow::Borrowed(l.label3),
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The `groups.json` document for a detection, borrowing from it.
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
                        label: label_doc(&f.label),
                        summary: Cow::Borrowed(&f.summary),
                        version: f.detector.version,
                    }
                })
                .collect(),
            id: Cow::Borrowed(&g.id),
            label: label_doc(&g.label),
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
                        label: label_doc(&f.label),
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

/// Write `groups.json` (pretty, alphabetical keys, trailing newline).
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

/// Write `report.html`.
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
