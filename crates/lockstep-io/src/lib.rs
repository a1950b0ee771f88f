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

mod csv_read;
mod error;
mod jsonl_read;
mod parquet_read;
mod source;
pub mod write;

pub use error::{BadRow, Location, ReadError};
pub use source::ByteCounter;
pub use write::{open_event_writer, EventWriter, WriteError};

use lockstep_core::{EventStore, EventStoreBuilder, FieldError, RawEvent};

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
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

/// Row sink shared by the format readers: validates, appends, counts and applies the bad-row
/// policy in one place.
pub(crate) struct RowSink<'a> {
    builder: &'a mut EventStoreBuilder,
    max_bad_rows: u64,
    pub(crate) report: ReadReport,
}

impl<'a> RowSink<'a> {
    fn new(builder: &'a mut EventStoreBuilder, path: &str, max_bad_rows: u64) -> Self {
        RowSink {
            builder,
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
        self.report.rows += 1;
        match self.builder.push_raw(raw) {
            Ok(()) => {
                self.report.events += 1;
                Ok(())
            }
            Err(e) => self.field_error(loc, e),
        }
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
    let mut sink = RowSink::new(builder, path, opts.max_bad_rows);
    match format {
        Format::Csv => {
            let input = source::open_text(path, opts.progress.clone())?;
            csv_read::read_csv(path, input, &mut sink)?;
        }
        Format::Jsonl => {
            let input = source::open_text(path, opts.progress.clone())?;
            jsonl_read::read_jsonl(path, input, &mut sink)?;
        }
        Format::Parquet => parquet_read::read_parquet(path, opts.progress.clone(), &mut sink)?,
    }
    Ok(sink.report)
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
