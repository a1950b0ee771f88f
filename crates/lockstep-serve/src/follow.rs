//! `--follow FILE`: tail a growing NDJSON or CSV file into the store. Complete lines are taken
//! in batches, stored exactly as `POST /v1/events` stores them (validated, deduplicated by
//! `event_id`, durable before the offset moves), and the byte offset reached is kept in
//! `DIR/follow.json`, so a restart resumes where the last saved batch ended. A crash between a
//! batch becoming durable and its offset being saved re-reads that batch: rows without an
//! `event_id` are therefore named `follow:FILE:BYTE` (where the row starts in the file), so the
//! re-read rows are duplicates, not stored twice. A bad row stops
//! the follower (never skipped silently): `GET /v1/stats` shows where and why.

use crate::ingest::BodyFormat;
use crate::{maybe_start_pass, store_batch, App, Rejected};
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Largest batch read at once.
const MAX_BATCH_BYTES: usize = 8 << 20;

#[derive(Serialize, Deserialize, Default)]
struct Position {
    path: String,
    offset: u64,
    /// The CSV header (line 1), kept for the batches after it.
    header: Option<String>,
}

fn position_path(app: &App) -> std::path::PathBuf {
    app.cfg.data.join("follow.json")
}

fn set_status(app: &App, status: String) {
    *crate::lock(&app.follow_status) = status;
}

/// Follow `path` until the process ends (or a bad row stops it).
pub(crate) fn tail(app: &Arc<App>, path: &Path, rt: &tokio::runtime::Handle) {
    let _guard = rt.enter();
    let name = path.display().to_string();
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => BodyFormat::Csv,
        Some("jsonl") | Some("ndjson") | Some("json") => BodyFormat::Ndjson,
        _ => {
            set_status(
                app,
                format!("stopped: {name}: use a .csv, .jsonl or .ndjson file"),
            );
            return;
        }
    };
    let mut pos: Position = std::fs::read_to_string(position_path(app))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .filter(|p: &Position| p.path == name)
        .unwrap_or(Position {
            path: name.clone(),
            ..Default::default()
        });
    set_status(app, format!("following {name} from byte {}", pos.offset));
    let mut buf = Vec::new();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let Ok(mut f) = std::fs::File::open(path) else {
            continue; // not there yet, or being rotated in
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len < pos.offset {
            set_status(app, format!("stopped: {name} shrank below byte {} (rotated or truncated); restart with a new file", pos.offset));
            return;
        }
        if len == pos.offset || f.seek(SeekFrom::Start(pos.offset)).is_err() {
            continue;
        }
        buf.clear();
        let _ = (&mut f).take(MAX_BATCH_BYTES as u64).read_to_end(&mut buf);
        // Only complete lines; a partial last line waits for its newline.
        let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
            continue;
        };
        let chunk = &buf[..=end];
        let mut body: Vec<u8> = Vec::with_capacity(chunk.len() + 256);
        let consumed = chunk.len() as u64;
        // Bytes of `body` before the file's own: a header repeated in front of the chunk.
        let mut prefix = 0u64;
        if format == BodyFormat::Csv {
            match &pos.header {
                Some(h) => {
                    body.extend_from_slice(h.as_bytes());
                    body.push(b'\n');
                    prefix = body.len() as u64;
                    body.extend_from_slice(chunk);
                }
                None => {
                    // The first line is the header.
                    let nl = chunk.iter().position(|&b| b == b'\n').unwrap_or(end);
                    let header = String::from_utf8_lossy(&chunk[..nl])
                        .trim_end_matches('\r')
                        .to_string();
                    pos.header = Some(header);
                    body.extend_from_slice(chunk);
                    if nl == end {
                        // Header only so far.
                        pos.offset += consumed;
                        save(app, &pos);
                        continue;
                    }
                }
            }
        } else {
            body.extend_from_slice(chunk);
        }
        let start = pos.offset;
        let id_of_row = |at: u64| format!("follow:{name}:{}", start + at - prefix);
        match store_batch(app, format, &body, Some(&id_of_row)) {
            Ok(a) => {
                pos.offset += consumed;
                save(app, &pos);
                set_status(
                    app,
                    format!(
                        "following {name}: byte {} (last batch {} accepted, {} duplicates)",
                        pos.offset, a.accepted, a.duplicates
                    ),
                );
                maybe_start_pass(app);
            }
            Err(Rejected::Bad(b)) => {
                // The batch's own line numbers, with the byte offset where the batch began.
                set_status(app, format!(
                    "stopped: {name}: batch from byte {}: line {} of the batch{}: column {:?}: {} (value {:?})",
                    pos.offset,
                    b.line,
                    if format == BodyFormat::Csv { " (its header is line 1)" } else { "" },
                    b.column,
                    b.reason,
                    b.value
                ));
                return;
            }
            Err(Rejected::Store(e)) => {
                set_status(app, format!("retrying: {name}: not stored: {e}"));
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// Save the position (temporary file, then rename: a crash leaves one or the other).
fn save(app: &App, pos: &Position) {
    let p = position_path(app);
    let tmp = app.cfg.data.join(".follow.json.tmp");
    if let Ok(text) = serde_json::to_string(pos) {
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &p);
        }
    }
}
