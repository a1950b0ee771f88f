//! Judging lockstep output against labels: ranking quality (average precision, ROC-AUC), the
//! flagged decision (precision, recall, F1, share of organic accounts flagged, per tactic), and
//! with per-video truth the honest-metric error.
//!
//! Accounts in the labels but absent from the scores (they never acted) count as score 0, not
//! flagged; their number is reported.

use lockstep_schema::AccountRow;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// Why a labels or scores file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A row could not be read.
    #[error("{path}: line {line}: {message}")]
    Bad {
        /// The file.
        path: String,
        /// Line (1-based, the header is line 1).
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// A required column is missing from the header.
    #[error("{path}: missing column `{column}`")]
    MissingColumn {
        /// The file.
        path: String,
        /// The column.
        column: String,
    },
    /// The file has a header but no rows.
    #[error("{path}: no rows")]
    Empty {
        /// The file.
        path: String,
    },
}

/// Average precision with ties handled as one threshold (as scikit-learn does):
/// `AP = Σ_k (R_k − R_{k−1}) · P_k` over distinct scores in decreasing order.
pub fn average_precision(scored: &[(f64, bool)]) -> f64 {
    let pos = scored.iter().filter(|s| s.1).count();
    if pos == 0 {
        return 0.0;
    }
    let mut v: Vec<(f64, bool)> = scored.to_vec();
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut fp, mut ap, mut last_recall) = (0usize, 0usize, 0.0, 0.0);
    let mut i = 0;
    while i < v.len() {
        let s = v[i].0;
        while i < v.len() && v[i].0 == s {
            if v[i].1 {
                tp += 1
            } else {
                fp += 1
            }
            i += 1;
        }
        let recall = tp as f64 / pos as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - last_recall) * precision;
        last_recall = recall;
    }
    ap
}

/// ROC-AUC as the Mann–Whitney statistic, ties counting one half.
pub fn roc_auc(scored: &[(f64, bool)]) -> f64 {
    let pos = scored.iter().filter(|s| s.1).count() as f64;
    let neg = scored.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    let mut v: Vec<(f64, bool)> = scored.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Sum of positive ranks (average rank for ties).
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j].0 == v[i].0 {
            j += 1;
        }
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += avg_rank * v[i..j].iter().filter(|s| s.1).count() as f64;
        i = j;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Confusion counts of the flags against labels.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Confusion {
    /// Fakes flagged.
    pub tp: u64,
    /// Organic accounts flagged.
    pub fp: u64,
    /// Fakes not flagged.
    pub fn_: u64,
    /// Organic accounts not flagged.
    pub tn: u64,
}

impl Confusion {
    /// tp / (tp + fp); 0 when nothing is flagged.
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            0.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    /// tp / (tp + fn); 0 when there are no fakes.
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            0.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// One labelled account.
#[derive(Debug, Clone)]
pub struct Label {
    /// Account id.
    pub account: String,
    /// True for a fake account.
    pub label: bool,
    /// The farm the account belongs to (`farm` column; empty for organic accounts or when absent).
    pub farm: String,
    /// How it was made (`tactic` column, e.g. `stealth`, `fan_club`; empty when absent).
    pub tactic: String,
}

/// One account's row of a scores file.
#[derive(Debug, Clone, Copy, Default)]
pub struct Score {
    /// Score in [0, 1].
    pub score: f64,
    /// Whether it is flagged.
    pub flagged: bool,
    /// The fused evidence before calibration (`evidence` column; the score when absent).
    pub evidence: f64,
    /// The account's group (`group` column; empty when none or absent).
    pub group: Option<u32>,
}

fn col(path: &str, header: &[String], name: &str) -> Result<usize, EvalError> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| EvalError::MissingColumn {
            path: path.into(),
            column: name.into(),
        })
}

/// Open a CSV table: its trimmed header and a reader positioned at the first data row.
fn open_table(path: &str) -> Result<(Vec<String>, csv::Reader<std::fs::File>), EvalError> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(source) => EvalError::Io {
                path: path.into(),
                source,
            },
            other => EvalError::Bad {
                path: path.into(),
                line: 1,
                message: format!("{other:?}"),
            },
        })?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| EvalError::Bad {
            path: path.into(),
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    Ok((header, r))
}

/// Call `f` on every data row; its error becomes a `Bad` error naming the line. No rows is an error.
fn each_row(
    path: &str,
    mut r: csv::Reader<std::fs::File>,
    mut f: impl FnMut(&csv::StringRecord) -> Result<(), String>,
) -> Result<(), EvalError> {
    let mut rec = csv::StringRecord::new();
    let mut n = 0;
    loop {
        match r.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(EvalError::Bad {
                    path: path.into(),
                    line: e.position().map_or(0, |p| p.line()),
                    message: e.to_string(),
                })
            }
        }
        n += 1;
        let line = rec.position().map_or(0, |p| p.line());
        f(&rec).map_err(|message| EvalError::Bad {
            path: path.into(),
            line,
            message,
        })?;
    }
    if n == 0 {
        return Err(EvalError::Empty { path: path.into() });
    }
    Ok(())
}

fn field<'r>(rec: &'r csv::StringRecord, i: usize, name: &str) -> Result<&'r str, String> {
    rec.get(i).ok_or_else(|| format!("missing field `{name}`"))
}

/// Read `labels.csv` (`account,label[,farm,tactic]`; label 1 = fake, 0 = organic).
pub fn load_labels(path: &str) -> Result<Vec<Label>, EvalError> {
    let (h, reader) = open_table(path)?;
    let (ia, il) = (col(path, &h, "account")?, col(path, &h, "label")?);
    let it = h.iter().position(|c| c == "tactic");
    let ifarm = h.iter().position(|c| c == "farm");
    let mut out = Vec::new();
    each_row(path, reader, |rec| {
        let label = match field(rec, il, "label")?.trim() {
            "1" | "true" => true,
            "0" | "false" => false,
            other => return Err(format!("column `label`: expected 0 or 1, found {other:?}")),
        };
        out.push(Label {
            account: field(rec, ia, "account")?.to_string(),
            label,
            farm: ifarm.and_then(|i| rec.get(i)).unwrap_or("").to_string(),
            tactic: it.and_then(|i| rec.get(i)).unwrap_or("").to_string(),
        });
        Ok(())
    })?;
    Ok(out)
}

/// Read `accounts.csv` ([`lockstep_schema::AccountRow`]: `account,score,flagged` required,
/// `evidence` and `group` used when present), lockstep's or another tool's.
pub fn load_scores(path: &str) -> Result<FxHashMap<String, Score>, EvalError> {
    let (h, reader) = open_table(path)?;
    let header = csv::StringRecord::from(h);
    // Group names are interned to small ids: a run has at most a few thousand groups.
    let mut group_ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut out = FxHashMap::default();
    each_row(path, reader, |rec| {
        let row: AccountRow = rec.deserialize(Some(&header)).map_err(|e| match e.kind() {
            csv::ErrorKind::Deserialize { err, .. } => match err.field() {
                Some(i) => format!("column `{}`: {}", &header[i as usize], err.kind()),
                None => err.kind().to_string(),
            },
            _ => e.to_string(),
        })?;
        let group = row.group.map(|g| {
            let next = group_ids.len() as u32;
            *group_ids.entry(g.into_owned()).or_insert(next)
        });
        out.insert(
            row.account.into_owned(),
            Score {
                score: row.score.0,
                flagged: row.flagged.0,
                evidence: row.evidence.map_or(row.score.0, |e| e.0),
                group,
            },
        );
        Ok(())
    })?;
    Ok(out)
}

/// Accounts of one tactic and how many were flagged.
#[derive(Debug, Clone, Serialize)]
pub struct TacticRow {
    /// Labelled accounts.
    pub accounts: u64,
    /// Of those, flagged.
    pub flagged: u64,
}

/// Account-level quality against labels.
#[derive(Debug, Clone, Serialize)]
pub struct AccountEval {
    /// Labelled accounts.
    pub accounts: u64,
    /// Labelled fakes.
    pub positives: u64,
    /// Labelled accounts absent from the scores (scored 0).
    pub missing_from_scores: u64,
    /// Average precision of the score ranking.
    pub average_precision: f64,
    /// Area under the ROC curve of the score ranking.
    pub roc_auc: f64,
    /// Precision of the flags.
    pub precision: f64,
    /// Recall of the flags.
    pub recall: f64,
    /// F1 of the flags.
    pub f1: f64,
    /// Confusion counts of the flags.
    pub confusion: Confusion,
    /// Share of organic (label 0) accounts flagged.
    pub organic_flagged_share: f64,
    /// Accounts and flags per tactic.
    pub by_tactic: BTreeMap<String, TacticRow>,
    /// Reliability table: accounts and share of fakes per score decile.
    pub calibration: Vec<CalibrationBin>,
}

/// One score decile of the reliability table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CalibrationBin {
    /// Lower score bound.
    pub lo: f64,
    /// Upper score bound.
    pub hi: f64,
    /// Accounts in the bin.
    pub accounts: u64,
    /// Share of them that are fake.
    pub fake_share: f64,
}

/// Accounts and share of fakes in each score decile ([0, 0.1), …, [0.9, 1.0]); a calibrated score
/// has each bin's fake share inside its range.
pub fn calibration(scored: &[(f64, bool)]) -> Vec<CalibrationBin> {
    let mut n = [0u64; 10];
    let mut fake = [0u64; 10];
    for &(s, y) in scored {
        let b = ((s * 10.0).floor().max(0.0) as usize).min(9);
        n[b] += 1;
        fake[b] += y as u64;
    }
    (0..10)
        .map(|b| CalibrationBin {
            lo: b as f64 / 10.0,
            hi: (b + 1) as f64 / 10.0,
            accounts: n[b],
            fake_share: if n[b] == 0 {
                0.0
            } else {
                fake[b] as f64 / n[b] as f64
            },
        })
        .collect()
}

/// A monotone map from evidence to P(fake), fitted by isotonic regression (pool adjacent
/// violators, Barlow et al. 1972; as used for classifier calibration by Zadrozny & Elkan, KDD
/// 2002). The evidence is first cut into `bins` equal-width bins on [0, 1] (exact zeros in a bin
/// of their own); each bin's fake share is Laplace-smoothed ((fakes + 1) / (n + 2)) so that no
/// knot claims certainty; PAV then pools neighbours until the shares are non-decreasing.
/// Returns knots (mean evidence of the pooled bins, P(fake)), ascending, for piecewise-linear
/// interpolation. O(n + bins).
pub fn isotonic_knots(points: &[(f64, bool)], bins: usize) -> Vec<(f64, f64)> {
    // (Σ evidence, n, fakes) per bin; bin 0 holds exact zeros.
    let mut acc = vec![(0f64, 0f64, 0f64); bins + 1];
    for &(x, y) in points {
        let b = if x <= 0.0 {
            0
        } else {
            1 + ((x * bins as f64) as usize).min(bins - 1)
        };
        acc[b].0 += x;
        acc[b].1 += 1.0;
        acc[b].2 += y as u8 as f64;
    }
    // Blocks: (Σ evidence, n, fakes).
    let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
    let p = |b: &(f64, f64, f64)| (b.2 + 1.0) / (b.1 + 2.0);
    for b in acc.into_iter().filter(|b| b.1 > 0.0) {
        blocks.push(b);
        while blocks.len() >= 2 && p(&blocks[blocks.len() - 2]) >= p(&blocks[blocks.len() - 1]) {
            let last = blocks.pop().unwrap();
            let prev = blocks.last_mut().unwrap();
            prev.0 += last.0;
            prev.1 += last.1;
            prev.2 += last.2;
        }
    }
    blocks.iter().map(|b| (b.0 / b.1, p(b))).collect()
}

/// Score the flags and ranking against labels.
pub fn eval_accounts(labels: &[Label], scores: &FxHashMap<String, Score>) -> AccountEval {
    let mut scored = Vec::with_capacity(labels.len());
    let mut c = Confusion::default();
    let mut missing = 0;
    let mut by_tactic: BTreeMap<String, TacticRow> = BTreeMap::new();
    for l in labels {
        let s = scores.get(&l.account).copied().unwrap_or_else(|| {
            missing += 1;
            Score::default()
        });
        // Scores are written with 4 decimals; the raw evidence breaks their ties (the
        // calibration is monotone, so this is the unrounded score's order).
        scored.push((s.score + s.evidence * 1e-7, l.label));
        match (l.label, s.flagged) {
            (true, true) => c.tp += 1,
            (false, true) => c.fp += 1,
            (true, false) => c.fn_ += 1,
            (false, false) => c.tn += 1,
        }
        let t = by_tactic
            .entry(if l.tactic.is_empty() {
                (if l.label { "fake" } else { "organic" }).to_string()
            } else {
                l.tactic.clone()
            })
            .or_insert(TacticRow {
                accounts: 0,
                flagged: 0,
            });
        t.accounts += 1;
        t.flagged += s.flagged as u64;
    }
    AccountEval {
        accounts: labels.len() as u64,
        positives: c.tp + c.fn_,
        missing_from_scores: missing,
        average_precision: average_precision(&scored),
        roc_auc: roc_auc(&scored),
        precision: c.precision(),
        recall: c.recall(),
        f1: c.f1(),
        confusion: c,
        calibration: calibration(&scored),
        organic_flagged_share: if c.fp + c.tn == 0 {
            0.0
        } else {
            c.fp as f64 / (c.fp + c.tn) as f64
        },
        by_tactic,
    }
}

/// How well `detect`'s groups match the farms of the labels (`farm` column): what an
/// investigator who opens a group finds in it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupEval {
    /// Groups with at least one labelled account.
    pub groups: u64,
    /// Of those, groups whose accounts come from more than one farm (organic accounts count as
    /// one more "farm").
    pub mixed_groups: u64,
    /// Share of grouped accounts that belong to their group's largest farm (1 = every group is
    /// one farm).
    pub purity: f64,
    /// Farms with at least one grouped account.
    pub farms: u64,
    /// Mean number of groups a farm's grouped accounts are spread over (1 = no farm is split).
    pub groups_per_farm: f64,
    /// Share of farm accounts that are flagged and grouped.
    pub farm_accounts_grouped: f64,
}

/// Group purity and farm fragmentation; `None` when the labels carry no farm ids.
pub fn eval_groups(labels: &[Label], scores: &FxHashMap<String, Score>) -> Option<GroupEval> {
    if labels.iter().all(|l| l.farm.is_empty()) {
        return None;
    }
    // (group, farm) pairs of grouped accounts; organic accounts are farm "".
    let mut pairs: Vec<(u32, &str)> = Vec::new();
    let (mut farm_accounts, mut farm_grouped) = (0u64, 0u64);
    for l in labels {
        let group = scores.get(&l.account).and_then(|s| s.group);
        if !l.farm.is_empty() {
            farm_accounts += 1;
            farm_grouped += group.is_some() as u64;
        }
        if let Some(g) = group {
            pairs.push((g, l.farm.as_str()));
        }
    }
    pairs.sort_unstable();
    // Per group: its largest farm's count.
    let (mut groups, mut mixed, mut majority) = (0u64, 0u64, 0u64);
    for run in pairs.chunk_by(|a, b| a.0 == b.0) {
        groups += 1;
        let largest = run
            .chunk_by(|a, b| a.1 == b.1)
            .map(|c| c.len())
            .max()
            .unwrap_or(0);
        majority += largest as u64;
        mixed += (largest < run.len()) as u64;
    }
    // Per farm: how many groups hold its accounts.
    let mut by_farm: Vec<(&str, u32)> = pairs
        .iter()
        .filter(|p| !p.1.is_empty())
        .map(|p| (p.1, p.0))
        .collect();
    by_farm.sort_unstable();
    by_farm.dedup();
    let farms = by_farm.chunk_by(|a, b| a.0 == b.0).count() as u64;
    Some(GroupEval {
        groups,
        mixed_groups: mixed,
        purity: if pairs.is_empty() {
            1.0
        } else {
            majority as f64 / pairs.len() as f64
        },
        farms,
        groups_per_farm: if farms == 0 {
            0.0
        } else {
            by_farm.len() as f64 / farms as f64
        },
        farm_accounts_grouped: if farm_accounts == 0 {
            0.0
        } else {
            farm_grouped as f64 / farm_accounts as f64
        },
    })
}

/// Honest-metric error against per-video truth.
#[derive(Debug, Clone, Serialize)]
pub struct HonestEval {
    /// Videos that received farm likes.
    pub inflated_videos: u64,
    /// Mean over inflated videos of |clean_likes − organic_likes| / farm_likes (0 = perfect).
    pub like_residual: f64,
    /// The same for views.
    pub view_residual: f64,
    /// Videos with no farm traffic and at least one view.
    pub clean_videos: u64,
    /// Mean over clean videos that have likes of (likes − clean_likes) / likes: organic likes
    /// wrongly removed.
    pub clean_video_like_loss: f64,
    /// The same for views.
    pub clean_video_view_loss: f64,
}

/// Compare `videos.csv` with the simulator's `truth.csv`.
pub fn eval_videos(truth_path: &str, videos_path: &str) -> Result<HonestEval, EvalError> {
    #[derive(Default, Clone, Copy)]
    struct T {
        ov: f64,
        ol: f64,
        fv: f64,
        fl: f64,
    }
    let (h, reader) = open_table(truth_path)?;
    let idx: Vec<usize> = [
        "target",
        "organic_views",
        "organic_likes",
        "farm_views",
        "farm_likes",
    ]
    .iter()
    .map(|c| col(truth_path, &h, c))
    .collect::<Result<_, _>>()?;
    let mut truth: FxHashMap<String, T> = FxHashMap::default();
    let num = |rec: &csv::StringRecord, i: usize, name: &str| -> Result<f64, String> {
        let s = field(rec, i, name)?;
        s.trim()
            .parse::<f64>()
            .map_err(|_| format!("column `{name}`: not a number: {s:?}"))
    };
    each_row(truth_path, reader, |rec| {
        truth.insert(
            field(rec, idx[0], "target")?.to_string(),
            T {
                ov: num(rec, idx[1], "organic_views")?,
                ol: num(rec, idx[2], "organic_likes")?,
                fv: num(rec, idx[3], "farm_views")?,
                fl: num(rec, idx[4], "farm_likes")?,
            },
        );
        Ok(())
    })?;
    let (h, reader) = open_table(videos_path)?;
    let vi: Vec<usize> = ["target", "views", "clean_views", "likes", "clean_likes"]
        .iter()
        .map(|c| col(videos_path, &h, c))
        .collect::<Result<_, _>>()?;
    let (
        mut n_inf,
        mut like_res,
        mut n_view_inf,
        mut view_res,
        mut n_clean,
        mut like_loss,
        mut n_clean_v,
        mut view_loss,
    ) = (0u64, 0.0, 0u64, 0.0, 0u64, 0.0, 0u64, 0.0);
    each_row(videos_path, reader, |rec| {
        let Some(t) = truth.get(field(rec, vi[0], "target")?) else {
            return Ok(());
        };
        let (views, cviews, likes, clikes) = (
            num(rec, vi[1], "views")?,
            num(rec, vi[2], "clean_views")?,
            num(rec, vi[3], "likes")?,
            num(rec, vi[4], "clean_likes")?,
        );
        if t.fl > 0.0 {
            n_inf += 1;
            like_res += (clikes - t.ol).abs() / t.fl;
        }
        if t.fv > 0.0 {
            n_view_inf += 1;
            view_res += (cviews - t.ov).abs() / t.fv;
        }
        if t.fv == 0.0 && t.fl == 0.0 {
            if likes > 0.0 {
                n_clean += 1;
                like_loss += (likes - clikes) / likes;
            }
            if views > 0.0 {
                n_clean_v += 1;
                view_loss += (views - cviews) / views;
            }
        }
        Ok(())
    })?;
    let mean = |s: f64, n: u64| if n == 0 { 0.0 } else { s / n as f64 };
    Ok(HonestEval {
        inflated_videos: n_inf,
        like_residual: mean(like_res, n_inf),
        view_residual: mean(view_res, n_view_inf),
        clean_videos: n_clean_v,
        clean_video_like_loss: mean(like_loss, n_clean),
        clean_video_view_loss: mean(view_loss, n_clean_v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ap_and_auc_by_hand() {
        // Ranking: 0.9 P, 0.8 N, 0.7 P, 0.1 N.
        let s = [(0.9, true), (0.8, false), (0.7, true), (0.1, false)];
        // AP = 0.5·1 + 0.5·(2/3) = 0.8333…
        assert!((average_precision(&s) - (0.5 + 0.5 * 2.0 / 3.0)).abs() < 1e-12);
        // Pairs (P,N): (0.9>0.8) (0.9>0.1) (0.7<0.8) (0.7>0.1) → 3/4.
        assert!((roc_auc(&s) - 0.75).abs() < 1e-12);
        // Perfect and ties.
        assert_eq!(average_precision(&[(1.0, true), (0.0, false)]), 1.0);
        assert_eq!(roc_auc(&[(0.5, true), (0.5, false)]), 0.5);
        // All tied: AP = base rate.
        assert!(
            (average_precision(&[(0.0, true), (0.0, false), (0.0, false), (0.0, false)]) - 0.25)
                .abs()
                < 1e-12
        );
    }

    #[test]
    fn isotonic_knots_pool_violators() {
        // Evidence 0: 1 fake of 8; 0.25: 3 of 4; 0.55: 1 of 4 (violates, pools with 0.25);
        // 0.95: 4 of 4.
        let mut pts = Vec::new();
        pts.extend((0..8).map(|i| (0.0, i == 0)));
        pts.extend((0..4).map(|i| (0.25, i < 3)));
        pts.extend((0..4).map(|i| (0.55, i < 1)));
        pts.extend((0..4).map(|_| (0.95, true)));
        let k = isotonic_knots(&pts, 10);
        assert_eq!(k.len(), 3, "{k:?}");
        assert_eq!(k[0], (0.0, 2.0 / 10.0));
        assert!((k[1].0 - 0.4).abs() < 1e-12 && (k[1].1 - 5.0 / 10.0).abs() < 1e-12);
        assert!((k[2].0 - 0.95).abs() < 1e-12 && (k[2].1 - 5.0 / 6.0).abs() < 1e-12);
        assert!(k.windows(2).all(|w| w[0].1 <= w[1].1 && w[0].0 < w[1].0));
    }

    #[test]
    fn calibration_bins_by_hand() {
        let b = calibration(&[
            (0.05, false),
            (0.05, true),
            (0.95, true),
            (1.0, true),
            (0.5, false),
        ]);
        assert_eq!(b.len(), 10);
        assert_eq!((b[0].accounts, b[0].fake_share), (2, 0.5));
        assert_eq!((b[5].accounts, b[5].fake_share), (1, 0.0));
        assert_eq!((b[9].accounts, b[9].fake_share), (2, 1.0));
        assert_eq!(b[3].accounts, 0);
    }

    #[test]
    fn confusion_by_hand() {
        let c = Confusion {
            tp: 8,
            fp: 2,
            fn_: 8,
            tn: 82,
        };
        assert!((c.precision() - 0.8).abs() < 1e-12);
        assert!((c.recall() - 0.5).abs() < 1e-12);
        assert!((c.f1() - 2.0 * 0.8 * 0.5 / 1.3).abs() < 1e-12);
    }

    #[test]
    fn eval_accounts_counts_missing_as_zero() {
        let labels = vec![
            Label {
                account: "a".into(),
                label: true,
                farm: String::new(),
                tactic: "classic".into(),
            },
            Label {
                account: "b".into(),
                label: false,
                farm: String::new(),
                tactic: "organic".into(),
            },
            Label {
                account: "c".into(),
                label: true,
                farm: String::new(),
                tactic: "classic".into(),
            },
        ];
        let mut scores = FxHashMap::default();
        scores.insert(
            "a".to_string(),
            Score {
                score: 0.9,
                flagged: true,
                evidence: 0.9,
                group: None,
            },
        );
        scores.insert(
            "b".to_string(),
            Score {
                score: 0.2,
                flagged: false,
                evidence: 0.2,
                group: None,
            },
        );
        let e = eval_accounts(&labels, &scores);
        assert_eq!(e.missing_from_scores, 1);
        assert_eq!(
            e.confusion,
            Confusion {
                tp: 1,
                fp: 0,
                fn_: 1,
                tn: 1
            }
        );
        assert_eq!(e.by_tactic["classic"].flagged, 1);
        // Ranking: a 0.9 (P), b 0.2 (N), c 0.0 (P) → AP = 0.5·1 + 0.5·(2/3).
        assert!((e.average_precision - (0.5 + 1.0 / 3.0)).abs() < 1e-12);
    }

    /// Farm F1 split over groups 0 and 1, group 1 also holding farm F2 and an organic account,
    /// farm F3 ungrouped.
    #[test]
    fn eval_groups_counts_purity_and_splits() {
        let acc = |a: &str, farm: &str| Label {
            account: a.into(),
            label: !farm.is_empty(),
            farm: farm.into(),
            tactic: String::new(),
        };
        let labels = vec![
            acc("a", "F1"),
            acc("b", "F1"),
            acc("c", "F1"),
            acc("d", "F2"),
            acc("e", "F2"),
            acc("f", ""),
            acc("g", "F3"),
        ];
        let mut scores = FxHashMap::default();
        for (a, g) in [("a", 0), ("b", 0), ("c", 1), ("d", 1), ("e", 1), ("f", 1)] {
            scores.insert(
                a.to_string(),
                Score {
                    score: 1.0,
                    flagged: true,
                    evidence: 1.0,
                    group: Some(g),
                },
            );
        }
        let e = eval_groups(&labels, &scores).unwrap();
        assert_eq!((e.groups, e.mixed_groups, e.farms), (2, 1, 2));
        // Group 0: 2 of 2 from F1; group 1: 2 of 4 from F2.
        assert!((e.purity - 4.0 / 6.0).abs() < 1e-12);
        // F1 in 2 groups, F2 in 1.
        assert!((e.groups_per_farm - 1.5).abs() < 1e-12);
        assert!((e.farm_accounts_grouped - 5.0 / 6.0).abs() < 1e-12);
        let no_farms: Vec<Label> = labels
            .iter()
            .map(|l| Label {
                farm: String::new(),
                ..l.clone()
            })
            .collect();
        assert!(eval_groups(&no_farms, &scores).is_none());
    }
}

#[cfg(test)]
mod isotonic_properties {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// On any data — any size, any label pattern, ties, exact zeros — the knots ascend in
    /// evidence, their scores strictly increase (PAV pools ties) and stay inside (0, 1).
    #[test]
    fn knots_are_monotone_and_inside_the_unit_interval() {
        for seed in 0..300u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let n = rng.random_range(0..400);
            let bins = rng.random_range(1..30);
            let points: Vec<(f64, bool)> = (0..n)
                .map(|_| {
                    let x = if rng.random_bool(0.2) {
                        0.0
                    } else {
                        rng.random::<f64>()
                    };
                    // A label pattern that is not monotone in x, so PAV has work to do.
                    let p = 0.5 + 0.4 * (x * 12.0).sin();
                    (x, rng.random_bool(p.clamp(0.0, 1.0)))
                })
                .collect();
            let k = isotonic_knots(&points, bins);
            assert!(k.len() <= bins + 1, "seed {seed}");
            assert!(
                k.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 < w[1].1),
                "seed {seed}: {k:?}"
            );
            assert!(
                k.iter()
                    .all(|&(x, y)| (0.0..=1.0).contains(&x) && y > 0.0 && y < 1.0),
                "seed {seed}: {k:?}"
            );
        }
    }
}
