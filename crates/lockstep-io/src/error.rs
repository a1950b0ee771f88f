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
    pub path: String,
    pub location: Location,
    pub column: String,
    pub value: String,
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

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: cannot open: {source}")]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: read failed: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot tell the format from the name; use --format csv|jsonl|parquet")]
    UnknownFormat { path: String },
    #[error("{path}: no events (the input is empty)")]
    Empty { path: String },
    #[error("{path}: missing required column `{column}` (found: {found})")]
    MissingColumn {
        path: String,
        column: &'static str,
        found: String,
    },
    #[error("{0}")]
    BadRow(BadRow),
    #[error(
        "{path}: {count} bad rows exceed --max-bad-rows {limit}; first: {}",
        first.first().map(|b| b.to_string()).unwrap_or_default()
    )]
    TooManyBadRows {
        path: String,
        count: u64,
        limit: u64,
        first: Vec<BadRow>,
    },
    #[error("{path}: parquet: {message}")]
    Parquet { path: String, message: String },
}

impl ReadError {
    /// Whether the error is about the file's contents (as opposed to opening or reading it).
    pub fn is_data_error(&self) -> bool {
        !matches!(self, ReadError::Open { .. } | ReadError::Io { .. })
    }
}
