//! JSON Lines: one object a line; blank lines are skipped; numbers and strings are both accepted
//! for every column (so `"ts": 1700000000000` and `"ts": "2026-11-01T12:00:00Z"` both work).

use crate::{BadRow, Location, ReadError, RowSink};
use lockstep_core::{FieldError, RawEvent, COLUMNS, COLUMN_COUNT, REQUIRED_COLUMNS};
use serde::de::{self, Deserializer, MapAccess, Visitor};
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

/// A column name as its index in [`COLUMNS`], or `None` for a key that is not a column
/// (ignored, as extra CSV columns are).
struct ColumnKey(Option<usize>);

impl<'de> Deserialize<'de> for ColumnKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ColumnKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a column name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ColumnKey(COLUMNS.iter().position(|&c| c == v)))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// One object's cells in [`COLUMNS`] order, driven by the column table: a new column needs no
/// change here. A null counts as absent; a column given twice is an error.
struct Cells<'a>([Option<Scalar<'a>>; COLUMN_COUNT]);

impl<'de> Deserialize<'de> for Cells<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cells<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut cells: [Option<Scalar<'de>>; COLUMN_COUNT] = std::array::from_fn(|_| None);
                let mut seen = [false; COLUMN_COUNT];
                while let Some(ColumnKey(k)) = m.next_key()? {
                    match k {
                        Some(i) => {
                            if seen[i] {
                                return Err(de::Error::duplicate_field(COLUMNS[i]));
                            }
                            seen[i] = true;
                            cells[i] = m.next_value()?;
                        }
                        None => {
                            m.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Cells(cells))
            }
        }
        d.deserialize_map(V)
    }
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
        let row: Cells = match serde_json::from_slice(trimmed) {
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
        if let Some(c) = (0..REQUIRED_COLUMNS.len()).find(|&c| row.0[c].is_none()) {
            sink.bad_field(loc, FieldError::new(COLUMNS[c], "", "missing key"))?;
            continue;
        }
        let mut cells = scratch.iter_mut().zip(&row.0).map(|(buf, v)| text(v, buf));
        let raw = RawEvent::from_cells(std::array::from_fn(|_| cells.next().flatten()));
        sink.row(loc, &raw)?;
    }
    Ok(())
}
