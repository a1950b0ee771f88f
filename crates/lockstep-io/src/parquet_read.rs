//! Parquet through arrow-rs, batch by batch (row groups are decoded one at a time, so memory stays
//! bounded by the store being built, not the file). String columns may be Utf8, LargeUtf8,
//! Utf8View or dictionary-encoded; `ts` may be an integer (epoch ms), a timestamp of any unit,
//! or a string; durations may be any integer or float type.

use crate::{ByteCounter, Location, ReadError, RowSink};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};
use lockstep_core::{FieldError, Num, Numbers, RawEvent, COLUMNS, REQUIRED_COLUMNS};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use parquet::file::reader::ChunkReader;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

const BATCH: usize = 64 * 1024;

pub(crate) fn read_parquet(
    path: &str,
    progress: Option<ByteCounter>,
    sink: &mut RowSink,
) -> Result<(), ReadError> {
    let lower = path.to_ascii_lowercase();
    if path == "-" || lower.ends_with(".gz") || lower.ends_with(".zst") {
        let bytes = crate::source::read_all(path, progress.clone())?;
        read_from(path, bytes::Bytes::from(bytes), None, sink)
    } else {
        let f = std::fs::File::open(path).map_err(|source| ReadError::Open {
            path: path.into(),
            source,
        })?;
        read_from(path, f, progress, sink)
    }
}

/// The row count in a plain Parquet file's footer (None for compressed or unreadable input —
/// the read proper reports those).
pub(crate) fn row_count(path: &str) -> Option<usize> {
    let lower = path.to_ascii_lowercase();
    if path == "-" || lower.ends_with(".gz") || lower.ends_with(".zst") {
        return None;
    }
    let f = std::fs::File::open(path).ok()?;
    let meta = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&f)
        .ok()?;
    usize::try_from(meta.file_metadata().num_rows()).ok()
}

fn pq_err(path: &str, e: impl std::fmt::Display) -> ReadError {
    ReadError::Parquet {
        path: path.into(),
        message: e.to_string(),
    }
}

fn read_from<R: ChunkReader + Send + 'static>(
    path: &str,
    reader: R,
    progress: Option<ByteCounter>,
    sink: &mut RowSink,
) -> Result<(), ReadError> {
    let total_bytes = reader.len();
    if total_bytes == 0 {
        return Err(ReadError::Empty { path: path.into() });
    }
    let builder = ParquetRecordBatchReaderBuilder::try_new(reader).map_err(|e| pq_err(path, e))?;
    let schema = builder.schema().clone();
    let total_rows = builder.metadata().file_metadata().num_rows().max(1) as u64;
    // Map contract columns to top-level field indexes.
    let idx = crate::csv_read::map_header(path, schema.fields().iter().map(|f| f.name().as_str()))?;
    let leaves: Vec<usize> = idx.iter().flatten().copied().collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), leaves.iter().copied());
    // Positions of our columns within the projected batch (projection keeps schema order).
    let mut sorted = leaves.clone();
    sorted.sort_unstable();
    let projected: Vec<Option<usize>> = idx
        .iter()
        .map(|o| o.and_then(|i| sorted.binary_search(&i).ok()))
        .collect();
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH)
        .build()
        .map_err(|e| pq_err(path, e))?;
    let mut row: u64 = 0;
    let mut scratch: [String; lockstep_core::COLUMN_COUNT] = Default::default();
    // Decoding (decompression, dictionaries) on its own thread, a couple of batches ahead of
    // the row loop here (which in turn runs ahead of interning): the row loop alone was the
    // slowest stage of a Parquet read.
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        scope.spawn(move || {
            for batch in reader {
                if tx.send(batch).is_err() {
                    break; // the row loop stopped on an error
                }
            }
        });
        for batch in rx {
            let batch = batch.map_err(|e| pq_err(path, e))?;
            let cols: Vec<Option<Column>> = (0..COLUMNS.len())
                .map(|c| {
                    let Some(p) = projected[c] else {
                        return Ok(None);
                    };
                    // An optional column with no value in this batch (a `creator` or `rating`
                    // column written empty) costs nothing per row.
                    let array = batch.column(p);
                    if c >= REQUIRED_COLUMNS.len() && array.null_count() == array.len() {
                        return Ok(None);
                    }
                    Column::new(batch.column(p))
                        .map(Some)
                        .map_err(|dt| ReadError::Parquet {
                            path: path.into(),
                            message: format!("column `{}` has unsupported type {dt}", COLUMNS[c]),
                        })
                })
                .collect::<Result<_, _>>()?;
            for i in 0..batch.num_rows() {
                let loc = Location::Row(row);
                row += 1;
                let mut vals: [Option<&str>; lockstep_core::COLUMN_COUNT] =
                    [None; lockstep_core::COLUMN_COUNT];
                let mut numbers = Numbers::default();
                let mut null_required = None;
                for (c, (col, buf)) in cols.iter().zip(scratch.iter_mut()).enumerate() {
                    let Some(col) = col else { continue };
                    // Numeric columns stay numbers; text is borrowed from the batch, not copied.
                    let slot = match c {
                        TS => Some(&mut numbers.ts),
                        WATCH_MS => Some(&mut numbers.watch_ms),
                        VIDEO_MS => Some(&mut numbers.video_ms),
                        RATING => Some(&mut numbers.rating),
                        _ => None,
                    };
                    match (col.cell(i), slot) {
                        (Cell::Null, _) if c < REQUIRED_COLUMNS.len() => {
                            null_required = Some(c);
                            break;
                        }
                        // An optional column's null is an empty cell.
                        (Cell::Null, _) => vals[c] = Some(""),
                        (Cell::Text(t), _) => vals[c] = Some(t),
                        (Cell::Num(n), Some(slot)) => {
                            *slot = Some(n);
                            vals[c] = Some("");
                        }
                        // A number in a text column (ids stored as integers): its decimal text; so
                        // is a `UInt64` beyond `i64` anywhere (rare: the text rules judge it).
                        (cell @ (Cell::Num(_) | Cell::BigUint(_)), _) => {
                            buf.clear();
                            let _ = match cell {
                                Cell::Num(Num::Int(v)) => write!(buf, "{v}"),
                                Cell::Num(Num::Float(v)) => write!(buf, "{v}"),
                                Cell::BigUint(v) => write!(buf, "{v}"),
                                Cell::Null | Cell::Text(_) => Ok(()),
                            };
                            let written: &String = buf;
                            vals[c] = Some(written.as_str());
                        }
                    }
                }
                if let Some(c) = null_required {
                    sink.bad_field(
                        loc,
                        FieldError::new(COLUMNS[c], "null", "null in a required column"),
                    )?;
                    continue;
                }
                // Optional numeric columns read as numbers carry no text.
                for c in [WATCH_MS, VIDEO_MS, RATING] {
                    if vals[c] == Some("") {
                        vals[c] = None;
                    }
                }
                let raw = RawEvent::from_cells(vals);
                sink.row_with(loc, &raw, &numbers)?;
            }
            if let Some(p) = &progress {
                p.0.store(
                    total_bytes * row.min(total_rows) / total_rows,
                    Ordering::Relaxed,
                );
            }
        }
        Ok(())
    })
}

/// One column of a batch, its array resolved to a concrete type once per batch (not per cell:
/// a downcast and a virtual null check per cell were a tenth of reading).
struct Column<'a> {
    nulls: Option<&'a arrow_buffer::NullBuffer>,
    values: Values<'a>,
}

enum Values<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    Utf8View(&'a arrow_array::StringViewArray),
    Dict(Vec<usize>, Box<Column<'a>>),
    Int64(&'a arrow_array::Int64Array),
    Int32(&'a arrow_array::Int32Array),
    /// Other integer widths (rare): read through the generic array.
    Int(&'a ArrayRef, DataType),
    Float(&'a ArrayRef),
    Ts(&'a ArrayRef, TimeUnit),
}

impl<'a> Column<'a> {
    fn new(a: &'a ArrayRef) -> Result<Column<'a>, DataType> {
        let values = match a.data_type() {
            DataType::Utf8 => Values::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => Values::LargeUtf8(a.as_string::<i64>()),
            DataType::Utf8View => Values::Utf8View(a.as_string_view()),
            DataType::Dictionary(_, _) => {
                let d = a.as_any_dictionary();
                Values::Dict(d.normalized_keys(), Box::new(Column::new(d.values())?))
            }
            DataType::Int64 => Values::Int64(a.as_primitive::<Int64Type>()),
            DataType::Int32 => Values::Int32(a.as_primitive::<Int32Type>()),
            dt @ (DataType::Int8
            | DataType::Int16
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64) => Values::Int(a, dt.clone()),
            DataType::Float32 | DataType::Float64 => Values::Float(a),
            DataType::Timestamp(u, _) => Values::Ts(a, *u),
            other => return Err(other.clone()),
        };
        Ok(Column {
            nulls: a.nulls(),
            values,
        })
    }

    #[inline]
    fn cell(&self, i: usize) -> Cell<'a> {
        if self.nulls.is_some_and(|n| n.is_null(i)) {
            return Cell::Null;
        }
        match &self.values {
            Values::Utf8(a) => Cell::Text(a.value(i)),
            Values::LargeUtf8(a) => Cell::Text(a.value(i)),
            Values::Utf8View(a) => Cell::Text(a.value(i)),
            Values::Dict(keys, values) => values.cell(keys[i]),
            Values::Int64(a) => Cell::Num(Num::Int(a.value(i))),
            Values::Int32(a) => Cell::Num(Num::Int(a.value(i) as i64)),
            Values::Int(a, dt) => Cell::Num(Num::Int(match dt {
                DataType::Int8 => a.as_primitive::<Int8Type>().value(i) as i64,
                DataType::Int16 => a.as_primitive::<Int16Type>().value(i) as i64,
                DataType::UInt8 => a.as_primitive::<UInt8Type>().value(i) as i64,
                DataType::UInt16 => a.as_primitive::<UInt16Type>().value(i) as i64,
                DataType::UInt32 => a.as_primitive::<UInt32Type>().value(i) as i64,
                _ => {
                    let v = a.as_primitive::<UInt64Type>().value(i);
                    match i64::try_from(v) {
                        Ok(v) => v,
                        Err(_) => return Cell::BigUint(v),
                    }
                }
            })),
            Values::Float(a) => Cell::Num(Num::Float(
                if let Some(p) = a.as_primitive_opt::<Float64Type>() {
                    p.value(i)
                } else {
                    a.as_primitive::<Float32Type>().value(i) as f64
                },
            )),
            Values::Ts(a, u) => Cell::Num(Num::Int(match u {
                TimeUnit::Second => a
                    .as_primitive::<TimestampSecondType>()
                    .value(i)
                    .saturating_mul(1000),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(i),
                TimeUnit::Microsecond => a
                    .as_primitive::<TimestampMicrosecondType>()
                    .value(i)
                    .div_euclid(1000),
                TimeUnit::Nanosecond => a
                    .as_primitive::<TimestampNanosecondType>()
                    .value(i)
                    .div_euclid(1_000_000),
            })),
        }
    }
}

/// One cell: text borrowed from its batch, a number, or null.
enum Cell<'a> {
    Null,
    Text(&'a str),
    Num(Num),
    /// A `UInt64` beyond `i64`, read as its text.
    BigUint(u64),
}

const TS: usize = 0;
const WATCH_MS: usize = 6;
const VIDEO_MS: usize = 7;
const RATING: usize = 9;
