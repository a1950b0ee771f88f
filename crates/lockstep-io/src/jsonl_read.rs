//! JSON Lines: one object a line; blank lines are skipped; numbers and strings are both accepted
//! for every column (so `"ts": 1700000000000` and `"ts": "2026-11-01T12:00:00Z"` both work).

use crate::{BadRow, Location, ReadError, RowSink};
use lockstep_core::{FieldError, RawEvent};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::io::BufRead;

/// A JSON string or number, kept as text (borrowed when the JSON had no escapes).
struct Scalar<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct Row<'a> {
    #[serde(borrow, default)]
    ts: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    account: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    action: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    target: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    device: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    ip: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    watch_ms: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    video_ms: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    text: Option<Scalar<'a>>,
}

fn s<'x>(v: &'x Option<Scalar<'_>>) -> Option<&'x str> {
    v.as_ref().map(|x| x.0.as_ref())
}

pub(crate) fn read_jsonl(
    path: &str,
    mut input: Box<dyn BufRead + Send>,
    sink: &mut RowSink<'_>,
) -> Result<(), ReadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|source| ReadError::Io {
                path: path.into(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line += 1;
        let trimmed = buf.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        let loc = Location::Line(line);
        let row: Row = match serde_json::from_slice(trimmed) {
            Ok(r) => r,
            Err(e) => {
                let value = String::from_utf8_lossy(trimmed).into_owned();
                let reason = if std::str::from_utf8(trimmed).is_err() {
                    "invalid UTF-8".to_string()
                } else {
                    format!("not a JSON object with string/number values: {e}")
                };
                sink.unparsable_row(BadRow {
                    path: path.into(),
                    location: loc,
                    column: "-".into(),
                    value,
                    reason,
                })?;
                continue;
            }
        };
        let required = [
            ("ts", &row.ts),
            ("account", &row.account),
            ("action", &row.action),
            ("target", &row.target),
        ];
        if let Some((col, _)) = required.iter().find(|(_, v)| v.is_none()) {
            sink.report.rows += 1;
            sink.field_error(loc, FieldError::new(col, "", "missing key"))?;
            continue;
        }
        let raw = RawEvent {
            ts: s(&row.ts).unwrap_or(""),
            account: s(&row.account).unwrap_or(""),
            action: s(&row.action).unwrap_or(""),
            target: s(&row.target).unwrap_or(""),
            device: s(&row.device),
            ip: s(&row.ip),
            watch_ms: s(&row.watch_ms),
            video_ms: s(&row.video_ms),
            text: s(&row.text),
        };
        sink.row(loc, &raw)?;
    }
    Ok(())
}
