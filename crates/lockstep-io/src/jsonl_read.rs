//! JSON Lines: one object a line; blank lines are skipped; numbers and strings are both accepted
//! for every column (so `"ts": 1700000000000` and `"ts": "2026-11-01T12:00:00Z"` both work).

use crate::{BadRow, Location, ReadError, RowSink};
use lockstep_core::{FieldError, RawEvent};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::io::BufRead;

/// A JSON string (borrowed when it had no escapes) or number. Numbers stay numbers until the row
/// is assembled, where they are written into reused per-column buffers: no allocation per cell.
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::UInt(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(v))
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
    #[serde(borrow, default)]
    rating: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    creator: Option<Scalar<'a>>,
}

/// The cell as text: borrowed for strings, written into `buf` for numbers.
fn text<'x>(v: &'x Option<Scalar<'_>>, buf: &'x mut String) -> Option<&'x str> {
    use std::fmt::Write;
    buf.clear();
    let _ = match v.as_ref()? {
        Scalar::Str(s) => return Some(s.as_ref()),
        Scalar::Int(i) => write!(buf, "{i}"),
        Scalar::UInt(u) => write!(buf, "{u}"),
        Scalar::Float(f) => write!(buf, "{f}"),
        Scalar::Bool(b) => write!(buf, "{b}"),
    };
    Some(buf.as_str())
}

pub(crate) fn read_jsonl(
    path: &str,
    mut input: Box<dyn BufRead + Send>,
    sink: &mut RowSink,
) -> Result<(), ReadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut scratch: [String; lockstep_core::COLUMN_COUNT] = Default::default();
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
            sink.bad_field(loc, FieldError::new(col, "", "missing key"))?;
            continue;
        }
        let [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10] = &mut scratch;
        let raw = RawEvent {
            ts: text(&row.ts, b0).unwrap_or(""),
            account: text(&row.account, b1).unwrap_or(""),
            action: text(&row.action, b2).unwrap_or(""),
            target: text(&row.target, b3).unwrap_or(""),
            device: text(&row.device, b4),
            ip: text(&row.ip, b5),
            watch_ms: text(&row.watch_ms, b6),
            video_ms: text(&row.video_ms, b7),
            text: text(&row.text, b8),
            rating: text(&row.rating, b9),
            creator: text(&row.creator, b10),
        };
        sink.row(loc, &raw)?;
    }
    Ok(())
}
