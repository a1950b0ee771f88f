//! Writing events (simulator output, dataset conversion): CSV, JSONL or Parquet by extension,
//! with `.gz` / `.zst` compression for the text formats. `ts` is written as epoch milliseconds.

use crate::Format;
use arrow_array::builder::{Float32Builder, Int64Builder, StringBuilder, UInt32Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use lockstep_core::TypedEvent;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::Arc;

/// Why events could not be written. Every variant names the output.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Creating or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The output.
        path: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The name does not tell the format.
    #[error("{path}: cannot tell the format from the name (use .csv, .jsonl or .parquet, optionally .gz/.zst)")]
    UnknownFormat {
        /// The output.
        path: String,
    },
    /// The Parquet writer failed.
    #[error("{path}: parquet: {message}")]
    Parquet {
        /// The output.
        path: String,
        /// What the Parquet writer said.
        message: String,
    },
}

/// A sink for events.
pub trait EventWriter {
    /// Append one event.
    fn write(&mut self, e: &TypedEvent<'_>) -> Result<(), WriteError>;
    /// Flush and close; must be called, or the tail of the output may be lost.
    fn finish(self: Box<Self>) -> Result<(), WriteError>;
}

/// Open a writer for `path` (`-` is stdout, CSV).
pub fn open_event_writer(path: &str) -> Result<Box<dyn EventWriter>, WriteError> {
    let format = if path == "-" {
        Some(Format::Csv)
    } else {
        Format::from_path(path)
    };
    let Some(format) = format else {
        return Err(WriteError::UnknownFormat { path: path.into() });
    };
    let io_err = |source| WriteError::Io {
        path: path.into(),
        source,
    };
    if format == Format::Parquet {
        let f = File::create(path).map_err(io_err)?;
        return Ok(Box::new(ParquetEventWriter::new(path, f)?));
    }
    let raw: Box<dyn Write> = if path == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(path).map_err(io_err)?)
    };
    let lower = path.to_ascii_lowercase();
    let sink: Box<dyn Write> = if lower.ends_with(".gz") {
        Box::new(flate2::write::GzEncoder::new(
            BufWriter::with_capacity(1 << 20, raw),
            flate2::Compression::fast(),
        ))
    } else if lower.ends_with(".zst") {
        Box::new(
            zstd::stream::write::Encoder::new(BufWriter::with_capacity(1 << 20, raw), 3)
                .map_err(io_err)?
                .auto_finish(),
        )
    } else {
        Box::new(BufWriter::with_capacity(1 << 20, raw))
    };
    Ok(match format {
        Format::Csv => Box::new(CsvEventWriter::new(path, sink).map_err(io_err)?),
        _ => Box::new(JsonlEventWriter {
            path: path.into(),
            out: sink,
        }),
    })
}

fn opt_u32(v: Option<u32>, buf: &mut itoa_lite::Buffer) -> &[u8] {
    match v {
        Some(x) => buf.format(x as i64),
        None => b"",
    }
}

mod itoa_lite {
    /// Integer formatting into a stack buffer (no allocation per field).
    pub struct Buffer([u8; 24], usize);
    impl Buffer {
        pub fn new() -> Self {
            Buffer([0; 24], 0)
        }
        pub fn format(&mut self, v: i64) -> &[u8] {
            let mut n = v.unsigned_abs();
            let mut i = 24;
            loop {
                i -= 1;
                self.0[i] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            if v < 0 {
                i -= 1;
                self.0[i] = b'-';
            }
            self.1 = i;
            &self.0[i..]
        }
    }
}

struct CsvEventWriter {
    path: String,
    w: csv::Writer<Box<dyn Write>>,
}

impl CsvEventWriter {
    fn new(path: &str, out: Box<dyn Write>) -> io::Result<Self> {
        let mut w = csv::WriterBuilder::new()
            .buffer_capacity(1 << 16)
            .from_writer(out);
        w.write_record(lockstep_core::COLUMNS)
            .map_err(io::Error::other)?;
        Ok(CsvEventWriter {
            path: path.into(),
            w,
        })
    }
}

impl EventWriter for CsvEventWriter {
    fn write(&mut self, e: &TypedEvent<'_>) -> Result<(), WriteError> {
        let (mut a, mut b, mut c) = (
            itoa_lite::Buffer::new(),
            itoa_lite::Buffer::new(),
            itoa_lite::Buffer::new(),
        );
        let rating = e.rating.map(|r| r.to_string()).unwrap_or_default();
        let rec: [&[u8]; lockstep_core::COLUMN_COUNT] = [
            a.format(e.ts),
            e.account.as_bytes(),
            e.action.as_str().as_bytes(),
            e.target.as_bytes(),
            e.device.unwrap_or("").as_bytes(),
            e.ip.unwrap_or("").as_bytes(),
            opt_u32(e.watch_ms, &mut b),
            opt_u32(e.video_ms, &mut c),
            e.text.unwrap_or("").as_bytes(),
            rating.as_bytes(),
            e.creator.unwrap_or("").as_bytes(),
        ];
        self.w.write_record(rec).map_err(|err| WriteError::Io {
            path: self.path.clone(),
            source: io::Error::other(err),
        })
    }

    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        let path = self.path.clone();
        let mut inner = self.w.into_inner().map_err(|e| WriteError::Io {
            path: path.clone(),
            source: io::Error::other(e.to_string()),
        })?;
        inner
            .flush()
            .map_err(|source| WriteError::Io { path, source })
    }
}

struct JsonlEventWriter {
    path: String,
    out: Box<dyn Write>,
}

#[derive(serde::Serialize)]
struct JsonEvent<'a> {
    ts: i64,
    account: &'a str,
    action: &'a str,
    target: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    watch_ms: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    video_ms: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator: Option<&'a str>,
}

impl EventWriter for JsonlEventWriter {
    fn write(&mut self, e: &TypedEvent<'_>) -> Result<(), WriteError> {
        let j = JsonEvent {
            ts: e.ts,
            account: e.account,
            action: e.action.as_str(),
            target: e.target,
            device: e.device,
            ip: e.ip,
            watch_ms: e.watch_ms,
            video_ms: e.video_ms,
            text: e.text,
            rating: e.rating,
            creator: e.creator,
        };
        let map = |source| WriteError::Io {
            path: self.path.clone(),
            source,
        };
        serde_json::to_writer(&mut self.out, &j).map_err(|e| map(io::Error::other(e)))?;
        self.out.write_all(b"\n").map_err(map)
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.out.flush().map_err(|source| WriteError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

const PARQUET_BATCH: usize = 256 * 1024;

/// Events as Arrow columns in [`event_schema`] order: the Parquet writer's buffer, and the live
/// server's segments (which append an `event_id` column after these).
#[derive(Default)]
pub struct EventColumns {
    ts: Int64Builder,
    strings: [StringBuilder; 5], // account, action, target, device, ip
    watch: UInt32Builder,
    video: UInt32Builder,
    text: StringBuilder,
    rating: Float32Builder,
    creator: StringBuilder,
    rows: usize,
}

impl EventColumns {
    /// Append one event.
    pub fn push(&mut self, e: &TypedEvent<'_>) {
        self.ts.append_value(e.ts);
        self.strings[0].append_value(e.account);
        self.strings[1].append_value(e.action.as_str());
        self.strings[2].append_value(e.target);
        self.strings[3].append_option(e.device);
        self.strings[4].append_option(e.ip);
        self.watch.append_option(e.watch_ms);
        self.video.append_option(e.video_ms);
        self.text.append_option(e.text);
        self.rating.append_option(e.rating);
        self.creator.append_option(e.creator);
        self.rows += 1;
    }

    /// Rows appended since the last [`EventColumns::finish`].
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row is pending.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The pending rows as arrays in [`event_schema`] order; the builders start empty again.
    pub fn finish(&mut self) -> Vec<ArrayRef> {
        self.rows = 0;
        let [a, b, c, d, e] = &mut self.strings;
        vec![
            Arc::new(self.ts.finish()),
            Arc::new(a.finish()),
            Arc::new(b.finish()),
            Arc::new(c.finish()),
            Arc::new(d.finish()),
            Arc::new(e.finish()),
            Arc::new(self.watch.finish()),
            Arc::new(self.video.finish()),
            Arc::new(self.text.finish()),
            Arc::new(self.rating.finish()),
            Arc::new(self.creator.finish()),
        ]
    }
}

struct ParquetEventWriter {
    path: String,
    schema: SchemaRef,
    writer: ArrowWriter<File>,
    columns: EventColumns,
}

/// The Parquet schema lockstep writes (and reads back).
pub fn event_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Int64, false),
        Field::new("account", DataType::Utf8, false),
        Field::new("action", DataType::Utf8, false),
        Field::new("target", DataType::Utf8, false),
        Field::new("device", DataType::Utf8, true),
        Field::new("ip", DataType::Utf8, true),
        Field::new("watch_ms", DataType::UInt32, true),
        Field::new("video_ms", DataType::UInt32, true),
        Field::new("text", DataType::Utf8, true),
        Field::new("rating", DataType::Float32, true),
        Field::new("creator", DataType::Utf8, true),
    ]))
}

impl ParquetEventWriter {
    fn new(path: &str, f: File) -> Result<Self, WriteError> {
        let schema = event_schema();
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(1 << 20))
            .build();
        let writer = ArrowWriter::try_new(f, schema.clone(), Some(props)).map_err(|e| {
            WriteError::Parquet {
                path: path.into(),
                message: e.to_string(),
            }
        })?;
        Ok(ParquetEventWriter {
            path: path.into(),
            schema,
            writer,
            columns: EventColumns::default(),
        })
    }

    fn flush_batch(&mut self) -> Result<(), WriteError> {
        if self.columns.is_empty() {
            return Ok(());
        }
        let cols = self.columns.finish();
        let batch =
            RecordBatch::try_new(self.schema.clone(), cols).map_err(|e| WriteError::Parquet {
                path: self.path.clone(),
                message: e.to_string(),
            })?;
        self.writer.write(&batch).map_err(|e| WriteError::Parquet {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }
}

impl EventWriter for ParquetEventWriter {
    fn write(&mut self, e: &TypedEvent<'_>) -> Result<(), WriteError> {
        self.columns.push(e);
        if self.columns.len() >= PARQUET_BATCH {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.flush_batch()?;
        self.writer
            .close()
            .map(|_| ())
            .map_err(|e| WriteError::Parquet {
                path: self.path.clone(),
                message: e.to_string(),
            })
    }
}

/// Simulated or converted events can go straight into a store (tests, benchmarks). `finish` is
/// a no-op here: call [`lockstep_core::EventStoreBuilder::finish`] to get the store.
impl EventWriter for lockstep_core::EventStoreBuilder {
    fn write(&mut self, e: &TypedEvent<'_>) -> Result<(), WriteError> {
        self.push(e).map_err(|fe| WriteError::Io {
            path: "<memory>".into(),
            source: io::Error::other(fe.to_string()),
        })
    }

    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        Ok(())
    }
}
