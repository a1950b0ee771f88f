//! Errors of reading event files. Every message names the file, and for row-level problems the
//! line (text formats, 1-based, counting the header) or row (Parquet, 0-based), the column and the
//! offending value.

use std::fmt;

/// Where in a file a bad row sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// 1-based line of a text file (the CSV header is line 1).
    Line(u64),
    /// 0-based row of a Parquet file.
    Row(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// One row that could not become an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// The input.
    pub path: String,
    /// The line (CSV, JSONL) or row (Parquet).
    pub location: Location,
    /// The column of the bad cell (`-` when the row as a whole is bad).
    pub column: String,
    /// The bad value.
    pub value: String,
    /// Why it cannot be an event.
    pub reason: String,
}

impl fmt::Display for BadRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = lockstep_core::clip_value(&self.value);
        write!(
            f,
            "{}: {}: column `{}`: {} (value {:?})",
            self.path, self.location, self.column, self.reason, v
        )
    }
}

/// Why an input could not be read. Every variant names the file; data errors also name the
/// line or row, the column and the value.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened.
    #[error("{path}: cannot open: {source}")]
    Open {
        /// The input.
        path: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Reading failed part-way (a broken pipe, a truncated compressed stream).
    #[error("{path}: read failed: {source}")]
    Io {
        /// The input.
        path: String,
        /// What the operating system or decompressor said.
        #[source]
        source: std::io::Error,
    },
    /// Neither the name nor `--format` tells the format.
    #[error("{path}: cannot tell the format from the name; use --format csv|jsonl|parquet")]
    UnknownFormat {
        /// The input.
        path: String,
    },
    /// The input holds no events.
    #[error("{path}: no events (the input is empty)")]
    Empty {
        /// The input.
        path: String,
    },
    /// A required column is not in the header or schema.
    #[error("{path}: missing required column `{column}` (found: {found})")]
    MissingColumn {
        /// The input.
        path: String,
        /// The missing column.
        column: &'static str,
        /// The columns that are there.
        found: String,
    },
    /// A row that cannot become an event (and no leniency was asked for).
    #[error("{0}")]
    BadRow(BadRow),
    /// More bad rows than `--max-bad-rows` allows.
    #[error(
        "{path}: {count} bad rows exceed --max-bad-rows {limit}; first: {}",
        first.first().map(|b| b.to_string()).unwrap_or_default()
    )]
    TooManyBadRows {
        /// The input.
        path: String,
        /// Bad rows seen.
        count: u64,
        /// The limit given.
        limit: u64,
        /// The first bad rows, as examples.
        first: Vec<BadRow>,
    },
    /// The Parquet file is malformed or has a column of an unsupported type.
    #[error("{path}: parquet: {message}")]
    Parquet {
        /// The input.
        path: String,
        /// What the Parquet reader said.
        message: String,
    },
}

impl ReadError {
    /// Whether the error is about the file's contents (as opposed to opening or reading it).
    pub fn is_data_error(&self) -> bool {
        !matches!(self, ReadError::Open { .. } | ReadError::Io { .. })
    }
}
