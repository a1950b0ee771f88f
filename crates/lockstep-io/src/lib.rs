//! Reading event logs into an [`EventStore`], and writing them (for the simulator and converters).
//!
//! Formats: CSV (header required), JSONL (one object a line) and Parquet, chosen by file
//! extension or explicitly. `.gz` and `.zst` compressed text is read transparently; `-` is stdin.
//! Columns are those of [`lockstep_core::COLUMNS`]; extra columns are ignored.
//!
//! Contract for bad input: a row that cannot become an event is an error naming the file, the
//! line (or Parquet row), the column and the value. With `max_bad_rows = N` up to N such rows are
//! skipped, counted in [`ReadReport`], and their first examples kept; row N+1 is fatal.
//!
//! ```no_run
//! use lockstep_io::{read_events, ReadOptions};
//! let (store, report) = read_events("events.csv.gz", &ReadOptions::default())?;
//! println!("{} events, {} bad rows skipped", store.len(), report.bad_rows);
//! # Ok::<(), lockstep_io::ReadError>(())
//! ```

#![deny(missing_docs)]

mod csv_read;
mod error;
mod jsonl_read;
mod parquet_read;
mod source;
pub mod write;

pub use error::{BadRow, Location, ReadError};
pub use source::ByteCounter;
pub use write::{open_event_writer, EventWriter, WriteError};

use lockstep_core::{
    EventBatch, EventStore, EventStoreBuilder, FieldError, Numbers, RawEvent, TypedEvent,
};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header (tab-separated is sniffed).
    Csv,
    /// JSON Lines: one object per line.
    Jsonl,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// The format named by a path's extension, looking through `.gz` / `.zst`.
    pub fn from_path(path: &str) -> Option<Format> {
        let p = path.to_ascii_lowercase();
        let p = p
            .strip_suffix(".gz")
            .or_else(|| p.strip_suffix(".zst"))
            .unwrap_or(&p);
        if p.ends_with(".csv") || p.ends_with(".tsv") {
            Some(Format::Csv)
        } else if p.ends_with(".jsonl") || p.ends_with(".ndjson") || p.ends_with(".json") {
            Some(Format::Jsonl)
        } else if p.ends_with(".parquet") || p.ends_with(".pq") {
            Some(Format::Parquet)
        } else {
            None
        }
    }

    /// A format by name: `csv`, `jsonl` (or `json`, `ndjson`), `parquet`.
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "csv" | "tsv" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }
}

/// How to read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Force a format; otherwise it comes from the extension (and stdin defaults to CSV).
    pub format: Option<Format>,
    /// Bad rows to skip before failing (0: the first bad row is fatal).
    pub max_bad_rows: u64,
    /// Counts compressed bytes read from the file, for progress bars.
    pub progress: Option<ByteCounter>,
}

/// What a read did.
#[derive(Debug, Clone, Default)]
pub struct ReadReport {
    /// The input.
    pub path: String,
    /// Data rows seen (good and bad).
    pub rows: u64,
    /// Events added to the store.
    pub events: u64,
    /// Rows skipped under `max_bad_rows`.
    pub bad_rows: u64,
    /// The first few skipped rows.
    pub examples: Vec<BadRow>,
}

/// How many bad-row examples a report keeps.
pub const MAX_EXAMPLES: usize = 5;

/// Row sink shared by the format readers: validates, batches, counts and applies the bad-row
/// policy in one place.
pub(crate) struct RowSink {
    /// Validated rows waiting to be interned in bulk.
    batch: EventBatch,
    /// Full batches go to the interning thread; emptied ones come back for reuse.
    full: SyncSender<EventBatch>,
    empty: Receiver<EventBatch>,
    max_bad_rows: u64,
    pub(crate) report: ReadReport,
}

/// Rows per bulk append (and a cap on the batch's string bytes).
const BATCH_ROWS: usize = 32 * 1024;
const BATCH_BYTES: usize = 16 << 20;

impl RowSink {
    fn new(
        full: SyncSender<EventBatch>,
        empty: Receiver<EventBatch>,
        path: &str,
        max_bad_rows: u64,
    ) -> Self {
        RowSink {
            batch: EventBatch::default(),
            full,
            empty,
            max_bad_rows,
            report: ReadReport {
                path: path.to_string(),
                ..Default::default()
            },
        }
    }

    /// One data row.
    #[inline]
    pub(crate) fn row(&mut self, loc: Location, raw: &RawEvent<'_>) -> Result<(), ReadError> {
        self.row_with(loc, raw, &Numbers::default())
    }

    /// One data row whose numeric columns the reader holds as numbers (see
    /// [`TypedEvent::from_raw_with`]).
    #[inline]
    pub(crate) fn row_with(
        &mut self,
        loc: Location,
        raw: &RawEvent<'_>,
        numbers: &Numbers,
    ) -> Result<(), ReadError> {
        self.report.rows += 1;
        match TypedEvent::from_raw_with(raw, numbers).and_then(|e| self.batch.push(&e)) {
            Ok(()) => {
                self.report.events += 1;
                if self.batch.len() >= BATCH_ROWS || self.batch.arena_len() >= BATCH_BYTES {
                    self.flush();
                }
                Ok(())
            }
            Err(e) => self.field_error(loc, e),
        }
    }

    /// Hand the pending rows to the interning thread (which has hung up only after an error it
    /// will report itself).
    fn flush(&mut self) {
        let next = self.empty.try_recv().unwrap_or_default();
        let full = std::mem::replace(&mut self.batch, next);
        let _ = self.full.send(full);
    }

    /// Flush what is pending and return the report.
    fn finish(mut self) -> ReadReport {
        if !self.batch.is_empty() {
            self.flush();
        }
        self.report
    }

    /// A row rejected by the reader itself (a null or missing required value), counted as a row.
    pub(crate) fn bad_field(&mut self, loc: Location, e: FieldError) -> Result<(), ReadError> {
        self.report.rows += 1;
        self.field_error(loc, e)
    }

    fn field_error(&mut self, loc: Location, e: FieldError) -> Result<(), ReadError> {
        self.bad(BadRow {
            path: self.report.path.clone(),
            location: loc,
            column: e.column.to_string(),
            value: e.value,
            reason: e.reason.to_string(),
        })
    }

    /// A row that failed before it could be split into fields (counted as a row).
    pub(crate) fn unparsable_row(&mut self, bad: BadRow) -> Result<(), ReadError> {
        self.report.rows += 1;
        self.bad(bad)
    }

    fn bad(&mut self, bad: BadRow) -> Result<(), ReadError> {
        self.report.bad_rows += 1;
        if self.max_bad_rows == 0 {
            return Err(ReadError::BadRow(bad));
        }
        if self.report.examples.len() < MAX_EXAMPLES {
            self.report.examples.push(bad);
        }
        if self.report.bad_rows > self.max_bad_rows {
            return Err(ReadError::TooManyBadRows {
                path: self.report.path.clone(),
                count: self.report.bad_rows,
                limit: self.max_bad_rows,
                first: std::mem::take(&mut self.report.examples),
            });
        }
        Ok(())
    }
}

/// Read one file (or `-` for stdin) into `builder`. Several files may be read into one builder.
pub fn read_into(
    path: &str,
    opts: &ReadOptions,
    builder: &mut EventStoreBuilder,
) -> Result<ReadReport, ReadError> {
    let format = match opts.format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None if path == "-" => Format::Csv,
        None => return Err(ReadError::UnknownFormat { path: path.into() }),
    };
    if format == Format::Parquet {
        if let Some(rows) = parquet_read::row_count(path) {
            builder.reserve(rows);
        }
    }
    // Parsing and validation on this thread; interning (the other half of the cost) on a
    // second one, batch by batch.
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = sync_channel::<EventBatch>(2);
        let (empty_tx, empty_rx) = channel::<EventBatch>();
        let worker = scope.spawn(move || -> Result<(), FieldError> {
            for mut batch in full_rx {
                builder.append(&mut batch)?;
                let _ = empty_tx.send(batch);
            }
            Ok(())
        });
        let mut sink = RowSink::new(full_tx, empty_rx, path, opts.max_bad_rows);
        let read = match format {
            Format::Csv => source::open_text(path, opts.progress.clone())
                .and_then(|input| csv_read::read_csv(path, input, &mut sink)),
            Format::Jsonl => source::open_text(path, opts.progress.clone())
                .and_then(|input| jsonl_read::read_jsonl(path, input, &mut sink)),
            Format::Parquet => parquet_read::read_parquet(path, opts.progress.clone(), &mut sink),
        };
        let report = sink.finish();
        let interned = worker.join().expect("the interning thread does not panic");
        read?;
        interned.map_err(|e| {
            ReadError::BadRow(BadRow {
                path: path.into(),
                location: Location::Row(report.rows),
                column: e.column.to_string(),
                value: e.value,
                reason: e.reason.to_string(),
            })
        })?;
        Ok(report)
    })
}

/// Read one file into a new store. An input with no rows at all is [`ReadError::Empty`].
pub fn read_events(path: &str, opts: &ReadOptions) -> Result<(EventStore, ReadReport), ReadError> {
    let mut b = EventStoreBuilder::new();
    let report = read_into(path, opts, &mut b)?;
    if b.is_empty() {
        return Err(ReadError::Empty { path: path.into() });
    }
    Ok((b.finish(), report))
}
