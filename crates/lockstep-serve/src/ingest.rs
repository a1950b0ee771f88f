//! Request bodies → validated events. NDJSON (one JSON object per line) or CSV with a header,
//! in the file contract's columns plus an optional `event_id`. Validation is the file readers'
//! own ([`lockstep_core::TypedEvent::from_raw`]); the first bad row rejects the whole batch,
//! naming its line, column and value.

use lockstep_core::{
    clip_value, FieldError, RawEvent, TypedEvent, COLUMNS, COLUMN_COUNT, REQUIRED_COLUMNS,
};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

/// Why a batch was rejected (the `400` body).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadBatch {
    /// Always `"bad row"`.
    pub error: &'static str,
    /// 1-based line of the body (for CSV the header is line 1).
    pub line: u64,
    /// The column at fault (empty when the line itself could not be read).
    pub column: String,
    /// The offending value, clipped.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

fn bad(line: u64, column: &str, value: &str, reason: impl Into<String>) -> BadBatch {
    BadBatch {
        error: "bad row",
        line,
        column: column.into(),
        value: clip_value(value),
        reason: reason.into(),
    }
}

/// The body's format, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/x-ndjson` (also `application/jsonl`, `application/json` lines).
    Ndjson,
    /// `text/csv` with a header row.
    Csv,
}

impl BodyFormat {
    /// The format a `Content-Type` names, if it is one we take.
    pub fn from_content_type(ct: &str) -> Option<BodyFormat> {
        let base = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match base.as_str() {
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/json" => Some(BodyFormat::Ndjson),
            "text/csv" => Some(BodyFormat::Csv),
            _ => None,
        }
    }
}

/// Parse `body`, calling `each(event, event_id, offset)` for every row in order, `offset` being
/// the byte where the row starts in `body`; an error from `each` rejects the row like a bad
/// field. Returns the rows read.
pub fn parse_body(
    format: BodyFormat,
    body: &[u8],
    each: impl FnMut(&TypedEvent<'_>, Option<&str>, u64) -> Result<(), FieldError>,
) -> Result<u64, BadBatch> {
    match format {
        BodyFormat::Ndjson => parse_ndjson(body, each),
        BodyFormat::Csv => parse_csv(body, each),
    }
}

fn parse_ndjson(
    body: &[u8],
    mut each: impl FnMut(&TypedEvent<'_>, Option<&str>, u64) -> Result<(), FieldError>,
) -> Result<u64, BadBatch> {
    let text = std::str::from_utf8(body).map_err(|e| {
        let line = body[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        bad(line, "", "", "not UTF-8")
    })?;
    let mut rows = 0;
    let mut offset = 0u64;
    for (i, raw_line) in text.split_inclusive('\n').enumerate() {
        let n = i as u64 + 1;
        let at = offset;
        offset += raw_line.len() as u64;
        let line = raw_line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let obj: serde_json::Map<String, Value> = serde_json::from_str(line)
            .map_err(|e| bad(n, "", line, format!("not a JSON object: {e}")))?;
        let mut owned: [Option<Cow<'_, str>>; COLUMN_COUNT] = Default::default();
        let mut event_id: Option<Cow<'_, str>> = None;
        for (k, v) in &obj {
            let cell = match v {
                Value::Null => continue,
                Value::String(s) => Cow::Borrowed(s.as_str()),
                Value::Number(x) => Cow::Owned(x.to_string()),
                Value::Bool(b) => Cow::Owned(b.to_string()),
                other => {
                    return Err(bad(
                        n,
                        k,
                        &other.to_string(),
                        "expected a string or a number",
                    ))
                }
            };
            if k.eq_ignore_ascii_case("event_id") {
                event_id = Some(cell);
            } else if let Some(c) = COLUMNS.iter().position(|c| k.eq_ignore_ascii_case(c)) {
                owned[c] = Some(cell);
            }
        }
        for (c, &name) in COLUMNS.iter().enumerate().take(REQUIRED_COLUMNS.len()) {
            // `target` may be absent for logins; the validation below says when it may not.
            if owned[c].is_none() && name != "target" {
                return Err(bad(n, name, "", "missing required column"));
            }
        }
        let cells: [Option<&str>; COLUMN_COUNT] = std::array::from_fn(|c| owned[c].as_deref());
        let raw = RawEvent::from_cells(cells);
        let e = TypedEvent::from_raw(&raw)
            .and_then(|e| e.check().map(|()| e))
            .map_err(|f| bad(n, f.column, &f.value, f.reason))?;
        each(&e, event_id.as_deref().filter(|s| !s.is_empty()), at)
            .map_err(|f| bad(n, f.column, &f.value, f.reason))?;
        rows += 1;
    }
    Ok(rows)
}

fn parse_csv(
    body: &[u8],
    mut each: impl FnMut(&TypedEvent<'_>, Option<&str>, u64) -> Result<(), FieldError>,
) -> Result<u64, BadBatch> {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let header = r
        .headers()
        .map_err(|e| bad(1, "", "", format!("unreadable header: {e}")))?
        .clone();
    let mut idx: [Option<usize>; COLUMN_COUNT] = [None; COLUMN_COUNT];
    let mut id_col = None;
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
        if h == "event_id" {
            id_col = Some(i);
        } else if let Some(c) = COLUMNS.iter().position(|&c| c == h) {
            idx[c].get_or_insert(i);
        }
    }
    for (c, &name) in COLUMNS.iter().enumerate().take(REQUIRED_COLUMNS.len()) {
        if idx[c].is_none() {
            return Err(bad(1, name, "", "missing required column in the header"));
        }
    }
    let mut rec = csv::StringRecord::new();
    let mut rows = 0;
    loop {
        match r.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(bad(line, "", "", format!("unreadable row: {e}")));
            }
        }
        let (line, at) = rec.position().map_or((0, 0), |p| (p.line(), p.byte()));
        let cells: [Option<&str>; COLUMN_COUNT] =
            std::array::from_fn(|c| idx[c].and_then(|i| rec.get(i)));
        let raw = RawEvent::from_cells(cells);
        let e = TypedEvent::from_raw(&raw)
            .and_then(|e| e.check().map(|()| e))
            .map_err(|f| bad(line, f.column, &f.value, f.reason))?;
        each(
            &e,
            id_col.and_then(|i| rec.get(i)).filter(|s| !s.is_empty()),
            at,
        )
        .map_err(|f| bad(line, f.column, &f.value, f.reason))?;
        rows += 1;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(
        format: BodyFormat,
        body: &str,
    ) -> Result<Vec<(i64, String, Option<String>)>, BadBatch> {
        let mut out = Vec::new();
        parse_body(format, body.as_bytes(), |e, id, at| {
            // The offset points at the row's own text.
            assert!(body[at as usize..].contains(e.account));
            out.push((e.ts, e.account.to_string(), id.map(str::to_string)));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn ndjson_and_csv_read_the_same_events() {
        let nd = "{\"ts\":1000,\"account\":\"a\",\"action\":\"like\",\"target\":\"v\",\"event_id\":\"e1\"}\n\n\
                  {\"ts\":\"1970-01-01T00:00:02Z\",\"account\":\"b\",\"action\":\"login\",\"watch_ms\":null}\n";
        let csv = "ts,account,action,target,event_id\n1000,a,like,v,e1\n2000,b,login,,\n";
        let want = vec![
            (1000, "a".into(), Some("e1".into())),
            (2000, "b".into(), None),
        ];
        assert_eq!(collect(BodyFormat::Ndjson, nd).unwrap(), want);
        assert_eq!(collect(BodyFormat::Csv, csv).unwrap(), want);
    }

    #[test]
    fn bad_rows_name_line_column_and_value() {
        let nd = "{\"ts\":1,\"account\":\"a\",\"action\":\"like\",\"target\":\"v\"}\n\
                  {\"ts\":2,\"account\":\"a\",\"action\":\"poke\",\"target\":\"v\"}\n";
        let e = collect(BodyFormat::Ndjson, nd).unwrap_err();
        assert_eq!(
            (e.line, e.column.as_str(), e.value.as_str()),
            (2, "action", "poke")
        );
        let e = collect(BodyFormat::Ndjson, "{\"ts\":1,\"action\":\"like\"}").unwrap_err();
        assert_eq!((e.line, e.column.as_str()), (1, "account"));
        let e = collect(BodyFormat::Ndjson, "[1,2]").unwrap_err();
        assert!(e.reason.contains("JSON object"));
        let e = collect(
            BodyFormat::Ndjson,
            "{\"ts\":1,\"account\":{},\"action\":\"like\",\"target\":\"v\"}",
        )
        .unwrap_err();
        assert_eq!(e.column, "account");
        let csv = "ts,account,action,target\n1,a,like,v\nnever,a,like,v\n";
        let e = collect(BodyFormat::Csv, csv).unwrap_err();
        assert_eq!(
            (e.line, e.column.as_str(), e.value.as_str()),
            (3, "ts", "never")
        );
        let e = collect(BodyFormat::Csv, "ts,account,action,target\n1,a,like,\n").unwrap_err();
        assert_eq!((e.line, e.column.as_str()), (2, "target"));
        let e = collect(BodyFormat::Csv, "ts,account,target\n1,a,v\n").unwrap_err();
        assert_eq!((e.line, e.column.as_str()), (1, "action"));
        let e = collect(BodyFormat::Csv, "ts,account,action,target\n1,a,like\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(collect(BodyFormat::Ndjson, "\u{0}\u{ff}").is_err());
    }

    #[test]
    fn content_types() {
        assert_eq!(
            BodyFormat::from_content_type("application/x-ndjson"),
            Some(BodyFormat::Ndjson)
        );
        assert_eq!(
            BodyFormat::from_content_type("text/csv; charset=utf-8"),
            Some(BodyFormat::Csv)
        );
        assert_eq!(BodyFormat::from_content_type("text/plain"), None);
    }
}
