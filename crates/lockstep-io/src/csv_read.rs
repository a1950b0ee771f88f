//! CSV (or TSV) with a header row. The delimiter is sniffed from the header line.

use crate::{BadRow, Location, ReadError, RowSink};
use lockstep_core::{RawEvent, COLUMNS, COLUMN_COUNT, REQUIRED_COLUMNS};
use std::io::BufRead;

/// Column positions of the contract columns in a header, in [`COLUMNS`] order.
pub(crate) fn map_header<'h>(
    path: &str,
    names: impl Iterator<Item = &'h str>,
) -> Result<[Option<usize>; COLUMN_COUNT], ReadError> {
    let mut idx = [None; COLUMN_COUNT];
    let mut found = Vec::new();
    for (i, name) in names.enumerate() {
        let n = name
            .trim()
            .trim_start_matches('\u{feff}')
            .to_ascii_lowercase();
        if let Some(c) = COLUMNS.iter().position(|&c| c == n) {
            idx[c].get_or_insert(i);
        }
        found.push(n);
    }
    for (c, &name) in COLUMNS.iter().enumerate().take(REQUIRED_COLUMNS.len()) {
        if idx[c].is_none() {
            let f = found.join(", ");
            return Err(ReadError::MissingColumn {
                path: path.into(),
                column: name,
                found: if f.is_empty() {
                    "nothing".into()
                } else {
                    lockstep_core::clip_value(&f)
                },
            });
        }
    }
    Ok(idx)
}

pub(crate) fn read_csv(
    path: &str,
    mut input: Box<dyn BufRead + Send>,
    sink: &mut RowSink,
) -> Result<(), ReadError> {
    let head = input.fill_buf().map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let delimiter = if !first_line.contains(&b',') && first_line.contains(&b'\t') {
        b'\t'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(input);
    let header = rdr.byte_headers().map_err(|e| csv_err(path, e))?.clone();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(ReadError::Empty { path: path.into() });
    }
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let idx = map_header(path, names.iter().map(|s| s.as_str()))?;
    let n_fields = header.len();
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_err(path, e)),
        }
        let line = rec.position().map_or(0, |p| p.line());
        let loc = Location::Line(line);
        match fields(&rec, &idx, n_fields) {
            Ok(raw) => sink.row(loc, &raw)?,
            Err((column, value, reason)) => sink.unparsable_row(BadRow {
                path: path.into(),
                location: loc,
                column: column.into(),
                value,
                reason,
            })?,
        }
    }
    Ok(())
}

type FieldFail = (&'static str, String, String);

#[inline]
fn fields<'r>(
    rec: &'r csv::ByteRecord,
    idx: &[Option<usize>; COLUMN_COUNT],
    n_fields: usize,
) -> Result<RawEvent<'r>, FieldFail> {
    let get = |c: usize| -> Result<Option<&'r str>, FieldFail> {
        let Some(i) = idx[c] else { return Ok(None) };
        match rec.get(i) {
            None if c < REQUIRED_COLUMNS.len() => Err((
                COLUMNS[c],
                String::new(),
                format!(
                    "too few fields (header has {n_fields}, row has {})",
                    rec.len()
                ),
            )),
            None => Ok(Some("")),
            Some(b) => std::str::from_utf8(b).map(Some).map_err(|_| {
                (
                    COLUMNS[c],
                    String::from_utf8_lossy(b).into_owned(),
                    "invalid UTF-8".to_string(),
                )
            }),
        }
    };
    let mut cells = [None; COLUMN_COUNT];
    for (c, cell) in cells.iter_mut().enumerate() {
        *cell = get(c)?;
    }
    Ok(RawEvent::from_cells(cells))
}

fn csv_err(path: &str, e: csv::Error) -> ReadError {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => ReadError::Io {
            path: path.into(),
            source,
        },
        other => ReadError::BadRow(BadRow {
            path: path.into(),
            location: Location::Line(line.unwrap_or(0)),
            column: "-".into(),
            value: String::new(),
            reason: format!("{other:?}"),
        }),
    }
}
