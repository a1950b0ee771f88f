//! Cases, verdicts and the audit log, in SQLite (`DIR/cases.sqlite`).
//!
//! A **case** is a group followed across passes: after each pass, every group takes the id of the
//! open case whose members it overlaps most (Jaccard ≥ [`MATCH_JACCARD`]), so ids stay stable as
//! a campaign grows; a group that overlaps no case opens a new one. When one case's members end
//! up in several groups the largest keeps the id and the others open new cases recorded as split
//! from it; when one group covers several cases it keeps the best match and the others are
//! recorded as merged into it. Every change is a row of `case_history`.
//!
//! A **verdict** (`confirmed`, `false_positive`, `needs_review`) sets the case's status and is
//! appended to `verdicts` and `audit` with who and when; nothing is ever updated in place there.
//! A false positive suppresses its members' evidence from the detectors that named them, for
//! `--suppress-days` of event time: the same evidence does not flag them again (new evidence from
//! another detector still can).

use crate::ServeError;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Overlap (Jaccard of members) at which a new group continues an open case.
pub const MATCH_JACCARD: f64 = 0.3;

/// The verdicts an analyst may give.
pub const VERDICTS: [&str; 3] = ["confirmed", "false_positive", "needs_review"];

/// One group of a pass, as the case store sees it.
#[derive(Debug, Clone)]
pub struct PassGroup {
    /// The pass's group id (`G1`, …).
    pub group: String,
    /// Member accounts, sorted.
    pub members: Vec<String>,
    /// Detectors whose findings back the group.
    pub detectors: Vec<String>,
    /// Group score.
    pub score: f64,
    /// `label1/label2/label3`.
    pub label: String,
}

/// A case as `GET /v1/cases` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    /// Stable case id (`C000001`, …).
    pub id: String,
    /// `open`, `confirmed`, `false_positive`, `needs_review`, or `closed` (no group in the last pass).
    pub status: String,
    /// The group it is in the last pass (empty when closed).
    pub group: String,
    /// Members in the last pass that had it.
    pub size: i64,
    /// Score in the last pass that had it.
    pub score: f64,
    /// Label of its lead finding.
    pub label: String,
    /// Event time of the pass that opened it.
    pub opened_at: i64,
    /// Event time of the last pass that had it.
    pub updated_at: i64,
}

/// One line of a case's history or of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Wall-clock time (RFC 3339, UTC).
    pub at: String,
    /// Event time of the pass, when the entry comes from one.
    pub event_time: Option<i64>,
    /// Who (a token's name, or `pass`).
    pub who: String,
    /// What happened (`opened`, `updated`, `split`, `merged`, `closed`, `verdict`).
    pub action: String,
    /// The case.
    pub case_id: String,
    /// Details (JSON text).
    pub detail: String,
}

/// Per-detector precision from verdicts.
#[derive(Debug, Clone, Serialize, Default)]
pub struct DetectorPrecision {
    /// Detector id.
    pub detector: String,
    /// Cases with a `confirmed` verdict whose evidence included the detector.
    pub confirmed: i64,
    /// Cases with a `false_positive` verdict whose evidence included the detector.
    pub false_positive: i64,
    /// confirmed / (confirmed + false_positive); `None` before any verdict.
    pub precision: Option<f64>,
}

/// A `cases` row from its first eight columns (id, status, grp, size, score, label, opened_at,
/// updated_at).
fn case_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaseRow> {
    Ok(CaseRow {
        id: r.get(0)?,
        status: r.get(1)?,
        group: r.get(2)?,
        size: r.get(3)?,
        score: r.get(4)?,
        label: r.get(5)?,
        opened_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

/// A case's row, its members and the detectors behind it.
pub type CaseDetail = (CaseRow, Vec<String>, Vec<String>);

/// The SQLite store.
pub struct Cases {
    db: Connection,
}

fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> ServeError + '_ {
    move |e| ServeError::Segment {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    lockstep_core::format_ts(d.as_millis() as i64)
}

fn jaccard(a: &[String], b: &BTreeSet<String>) -> f64 {
    let inter = a.iter().filter(|m| b.contains(*m)).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

impl Cases {
    /// Open (or create) `data/cases.sqlite`.
    pub fn open(data: &Path) -> Result<Cases, ServeError> {
        let path = data.join("cases.sqlite");
        let db = Connection::open(&path).map_err(sql(&path))?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS cases (
                 id TEXT PRIMARY KEY, status TEXT NOT NULL, grp TEXT NOT NULL, members TEXT NOT NULL,
                 detectors TEXT NOT NULL, size INTEGER NOT NULL, score REAL NOT NULL,
                 label TEXT NOT NULL, opened_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS audit (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, event_time INTEGER,
                 who TEXT NOT NULL, action TEXT NOT NULL, case_id TEXT NOT NULL, detail TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS verdicts (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT, case_id TEXT NOT NULL, verdict TEXT NOT NULL,
                 note TEXT NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL, detectors TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS suppressions (
                 account TEXT NOT NULL, detector TEXT NOT NULL, until_event_time INTEGER NOT NULL,
                 case_id TEXT NOT NULL, PRIMARY KEY (account, detector));",
        )
        .map_err(sql(&path))?;
        Ok(Cases { db })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> ServeError {
        |e| ServeError::Segment {
            path: "cases.sqlite".into(),
            message: e.to_string(),
        }
    }

    fn log(
        tx: &rusqlite::Transaction<'_>,
        event_time: Option<i64>,
        who: &str,
        action: &str,
        case_id: &str,
        detail: &str,
    ) -> rusqlite::Result<()> {
        tx.execute(
            "INSERT INTO audit (at, event_time, who, action, case_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![now(), event_time, who, action, case_id, detail],
        )
        .map(|_| ())
    }

    /// Follow a pass's groups into cases (see the module doc). Returns group id → case id.
    pub fn record_pass(
        &mut self,
        event_time: i64,
        groups: &[PassGroup],
    ) -> Result<BTreeMap<String, String>, ServeError> {
        let err = self.err();
        let tx = self.db.transaction().map_err(&err)?;
        // Cases still followed: every case that is not closed.
        let existing: Vec<(String, BTreeSet<String>, String)> = {
            let mut st = tx
                .prepare(
                    "SELECT id, members, status FROM cases WHERE status != 'closed' ORDER BY id",
                )
                .map_err(&err)?;
            let rows = st
                .query_map([], |r| {
                    let members: String = r.get(1)?;
                    Ok((
                        r.get::<_, String>(0)?,
                        serde_json::from_str::<BTreeSet<String>>(&members).unwrap_or_default(),
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(&err)?;
            rows.collect::<Result<_, _>>().map_err(&err)?
        };
        // Best case for each group, largest groups first (they keep contested ids).
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by_key(|&g| (std::cmp::Reverse(groups[g].members.len()), g));
        let mut taken: BTreeMap<String, usize> = BTreeMap::new();
        let mut out = BTreeMap::new();
        let mut next: i64 = tx
            .query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))
            .map_err(&err)?;
        for &g in &order {
            let grp = &groups[g];
            let mut scored: Vec<(f64, &String)> = existing
                .iter()
                .map(|(id, m, _)| (jaccard(&grp.members, m), id))
                .filter(|(j, _)| *j >= MATCH_JACCARD)
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
            let members = serde_json::to_string(&grp.members).unwrap_or_default();
            let detectors = serde_json::to_string(&grp.detectors).unwrap_or_default();
            let free = scored.iter().find(|(_, id)| !taken.contains_key(*id));
            let id = match free {
                Some((j, id)) => {
                    let id = (*id).clone();
                    tx.execute(
                        "UPDATE cases SET grp = ?2, members = ?3, detectors = ?4, size = ?5, score = ?6, label = ?7, updated_at = ?8 WHERE id = ?1",
                        params![id, grp.group, members, detectors, grp.members.len() as i64, grp.score, grp.label, event_time],
                    )
                    .map_err(&err)?;
                    let detail = serde_json::json!({"group": grp.group, "size": grp.members.len(), "jaccard": j}).to_string();
                    Self::log(&tx, Some(event_time), "pass", "updated", &id, &detail)
                        .map_err(&err)?;
                    // Other cases this group also covers are merged into it.
                    let others: Vec<String> = scored
                        .iter()
                        .filter(|(_, o)| **o != id && !taken.contains_key(*o))
                        .map(|(_, o)| (*o).clone())
                        .collect();
                    for other in &others {
                        tx.execute(
                            "UPDATE cases SET status = 'closed', grp = '' WHERE id = ?1",
                            params![other],
                        )
                        .map_err(&err)?;
                        let detail = serde_json::json!({"into": id}).to_string();
                        Self::log(&tx, Some(event_time), "pass", "merged", other, &detail)
                            .map_err(&err)?;
                        taken.insert(other.clone(), g);
                    }
                    id
                }
                None => {
                    next += 1;
                    let id = format!("C{next:06}");
                    tx.execute(
                        "INSERT INTO cases (id, status, grp, members, detectors, size, score, label, opened_at, updated_at)
                         VALUES (?1, 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                        params![id, grp.group, members, detectors, grp.members.len() as i64, grp.score, grp.label, event_time],
                    )
                    .map_err(&err)?;
                    // Split off a case another group kept.
                    let detail = match scored.first() {
                        Some((j, from)) => {
                            serde_json::json!({"group": grp.group, "size": grp.members.len(), "split_from": from, "jaccard": j})
                        }
                        None => serde_json::json!({"group": grp.group, "size": grp.members.len()}),
                    };
                    let action = if scored.is_empty() { "opened" } else { "split" };
                    Self::log(
                        &tx,
                        Some(event_time),
                        "pass",
                        action,
                        &id,
                        &detail.to_string(),
                    )
                    .map_err(&err)?;
                    id
                }
            };
            taken.insert(id.clone(), g);
            out.insert(grp.group.clone(), id);
        }
        // Open cases with no group this pass are closed (verdict statuses are kept).
        for (id, _, status) in &existing {
            if !taken.contains_key(id) {
                let new_status = if status == "open" {
                    "closed"
                } else {
                    status.as_str()
                };
                tx.execute(
                    "UPDATE cases SET grp = '', status = ?2 WHERE id = ?1",
                    params![id, new_status],
                )
                .map_err(&err)?;
                if status == "open" {
                    Self::log(&tx, Some(event_time), "pass", "closed", id, "{}").map_err(&err)?;
                }
            }
        }
        tx.commit().map_err(&err)?;
        Ok(out)
    }

    /// Cases, newest activity first; `status` filters (`all` for every case).
    pub fn list(&self, status: &str) -> Result<Vec<CaseRow>, ServeError> {
        let err = self.err();
        let mut st = self
            .db
            .prepare(
                "SELECT id, status, grp, size, score, label, opened_at, updated_at FROM cases
                 WHERE ?1 = 'all' OR status = ?1 ORDER BY updated_at DESC, score DESC, id",
            )
            .map_err(&err)?;
        let rows = st.query_map(params![status], case_row).map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// One case's row, members and detectors.
    pub fn get(&self, id: &str) -> Result<Option<CaseDetail>, ServeError> {
        let err = self.err();
        self.db
            .query_row(
                "SELECT id, status, grp, size, score, label, opened_at, updated_at, members, detectors FROM cases WHERE id = ?1",
                params![id],
                |r| {
                    let members: String = r.get(8)?;
                    let detectors: String = r.get(9)?;
                    Ok((
                        case_row(r)?,
                        serde_json::from_str(&members).unwrap_or_default(),
                        serde_json::from_str(&detectors).unwrap_or_default(),
                    ))
                },
            )
            .optional()
            .map_err(&err)
    }

    /// The audit log (oldest first), or one case's part of it.
    pub fn audit(&self, case_id: Option<&str>) -> Result<Vec<Entry>, ServeError> {
        let err = self.err();
        let mut st = self
            .db
            .prepare(
                "SELECT at, event_time, who, action, case_id, detail FROM audit
                 WHERE ?1 IS NULL OR case_id = ?1 ORDER BY seq",
            )
            .map_err(&err)?;
        let rows = st
            .query_map(params![case_id], |r| {
                Ok(Entry {
                    at: r.get(0)?,
                    event_time: r.get(1)?,
                    who: r.get(2)?,
                    action: r.get(3)?,
                    case_id: r.get(4)?,
                    detail: r.get(5)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// Record a verdict (see the module doc). `None` when the case does not exist.
    pub fn verdict(
        &mut self,
        id: &str,
        verdict: &str,
        note: &str,
        who: &str,
        event_time: i64,
        suppress_ms: i64,
    ) -> Result<Option<()>, ServeError> {
        let Some((_, members, detectors)) = self.get(id)? else {
            return Ok(None);
        };
        let err = self.err();
        let tx = self.db.transaction().map_err(&err)?;
        tx.execute(
            "UPDATE cases SET status = ?2 WHERE id = ?1",
            params![id, verdict],
        )
        .map_err(&err)?;
        let dets = serde_json::to_string(&detectors).unwrap_or_default();
        tx.execute(
            "INSERT INTO verdicts (case_id, verdict, note, who, at, detectors) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, verdict, note, who, now(), dets],
        )
        .map_err(&err)?;
        let detail = serde_json::json!({"verdict": verdict, "note": note}).to_string();
        Self::log(&tx, Some(event_time), who, "verdict", id, &detail).map_err(&err)?;
        if verdict == "false_positive" {
            for m in &members {
                for d in &detectors {
                    tx.execute(
                        "INSERT OR REPLACE INTO suppressions (account, detector, until_event_time, case_id) VALUES (?1, ?2, ?3, ?4)",
                        params![m, d, event_time + suppress_ms, id],
                    )
                    .map_err(&err)?;
                }
            }
        }
        tx.commit().map_err(&err)?;
        Ok(Some(()))
    }

    /// (account, detector) pairs suppressed at `event_time`.
    pub fn suppressed(&self, event_time: i64) -> Result<BTreeSet<(String, String)>, ServeError> {
        let err = self.err();
        let mut st = self
            .db
            .prepare("SELECT account, detector FROM suppressions WHERE until_event_time > ?1")
            .map_err(&err)?;
        let rows = st
            .query_map(params![event_time], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// Precision of each detector over the cases analysts judged (latest verdict per case).
    pub fn detector_precision(&self) -> Result<Vec<DetectorPrecision>, ServeError> {
        let err = self.err();
        let mut st = self
            .db
            .prepare(
                "SELECT v.verdict, v.detectors FROM verdicts v
                 WHERE v.seq = (SELECT MAX(seq) FROM verdicts w WHERE w.case_id = v.case_id)",
            )
            .map_err(&err)?;
        let rows: Vec<(String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&err)?
            .collect::<Result<_, _>>()
            .map_err(&err)?;
        let mut by: BTreeMap<String, DetectorPrecision> = BTreeMap::new();
        for (verdict, dets) in rows {
            for d in serde_json::from_str::<Vec<String>>(&dets).unwrap_or_default() {
                let e = by.entry(d.clone()).or_insert_with(|| DetectorPrecision {
                    detector: d,
                    ..Default::default()
                });
                match verdict.as_str() {
                    "confirmed" => e.confirmed += 1,
                    "false_positive" => e.false_positive += 1,
                    _ => {}
                }
            }
        }
        Ok(by
            .into_values()
            .map(|mut p| {
                let n = p.confirmed + p.false_positive;
                p.precision = (n > 0).then(|| p.confirmed as f64 / n as f64);
                p
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, members: &[&str]) -> PassGroup {
        PassGroup {
            group: id.into(),
            members: members.iter().map(|s| s.to_string()).collect(),
            detectors: vec!["lockstep".into()],
            score: 0.9,
            label: "group_control/coordination/lockstep_engagement".into(),
        }
    }

    #[test]
    fn case_ids_follow_groups_across_passes() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Cases::open(dir.path()).unwrap();
        let m = c
            .record_pass(
                100,
                &[group("G1", &["a", "b", "c", "d"]), group("G2", &["x", "y"])],
            )
            .unwrap();
        assert_eq!((m["G1"].as_str(), m["G2"].as_str()), ("C000001", "C000002"));
        // Group numbering changes between passes; the case follows its members.
        let m = c
            .record_pass(
                200,
                &[
                    group("G1", &["x", "y", "z"]),
                    group("G2", &["a", "b", "c", "d", "e"]),
                ],
            )
            .unwrap();
        assert_eq!((m["G1"].as_str(), m["G2"].as_str()), ("C000002", "C000001"));
        // A split: the larger part keeps the id, the other opens a case recorded as split.
        let m = c
            .record_pass(
                300,
                &[
                    group("G1", &["a", "b", "c"]),
                    group("G2", &["d", "e"]),
                    group("G3", &["x", "y", "z"]),
                ],
            )
            .unwrap();
        assert_eq!(m["G1"], "C000001");
        assert_eq!(m["G2"], "C000003");
        let hist = c.audit(Some("C000003")).unwrap();
        assert_eq!(hist[0].action, "split");
        // A case with no group is closed; reopening needs a new overlap.
        c.record_pass(400, &[group("G1", &["a", "b", "c"])])
            .unwrap();
        let closed: Vec<String> = c
            .list("closed")
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(closed, vec!["C000002".to_string(), "C000003".to_string()]);
        // Reopening the same data is stable: same ids.
        drop(c);
        let mut c = Cases::open(dir.path()).unwrap();
        let m = c
            .record_pass(500, &[group("G1", &["a", "b", "c"])])
            .unwrap();
        assert_eq!(m["G1"], "C000001");
    }

    #[test]
    fn verdicts_are_audited_suppress_and_give_precision() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Cases::open(dir.path()).unwrap();
        c.record_pass(100, &[group("G1", &["a", "b"]), group("G2", &["x", "y"])])
            .unwrap();
        assert!(c
            .verdict("C000009", "confirmed", "", "ana", 100, 10)
            .unwrap()
            .is_none());
        c.verdict("C000001", "confirmed", "ring", "ana", 100, 10)
            .unwrap();
        c.verdict("C000002", "false_positive", "a choir", "ana", 100, 10)
            .unwrap();
        let p = c.detector_precision().unwrap();
        assert_eq!(
            (p[0].confirmed, p[0].false_positive, p[0].precision),
            (1, 1, Some(0.5))
        );
        let s = c.suppressed(105).unwrap();
        assert!(s.contains(&("x".to_string(), "lockstep".to_string())));
        assert!(!s.contains(&("a".to_string(), "lockstep".to_string())));
        assert!(c.suppressed(111).unwrap().is_empty(), "suppression expires");
        let audit = c.audit(None).unwrap();
        let verdicts: Vec<&Entry> = audit.iter().filter(|e| e.action == "verdict").collect();
        assert_eq!(verdicts.len(), 2);
        assert_eq!(verdicts[1].who, "ana");
        assert!(verdicts[1].detail.contains("a choir"));
        assert_eq!(c.list("false_positive").unwrap()[0].id, "C000002");
    }
}
