//! `accounts.parquet` and `videos.parquet` (`detect --parquet`): the rows of `accounts.csv` and
//! `videos.csv`, in the same order, with typed columns — scores and rates as floats (not rounded
//! to 4 places), `flagged` as a boolean, counts as unsigned integers, and null where the CSV cell
//! is empty (no group, no timed views). For the analysts who load the results into a notebook or a
//! warehouse rather than a spreadsheet; at 4 million accounts the Parquet file is read in a
//! fraction of the CSV's time.

use crate::metrics::VideoMetrics;
use crate::{push_reasons, WriteError, VIDEO_COLUMNS};
use arrow_array::builder::{
    BooleanBuilder, Float32Builder, Float64Builder, StringBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use lockstep_core::EventStore;
use lockstep_detect::Detection;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

/// Rows per record batch (and so the writer's memory, beyond the file's own buffers).
const BATCH: usize = 64 * 1024;

fn pq_err(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> WriteError + '_ {
    move |e| WriteError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    }
}

fn arrow_err(path: &Path) -> impl Fn(arrow_schema::ArrowError) -> WriteError + '_ {
    move |e| WriteError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    }
}

fn writer(path: &Path, schema: &Arc<Schema>) -> Result<ArrowWriter<std::fs::File>, WriteError> {
    let f = std::fs::File::create(path).map_err(|source| WriteError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    ArrowWriter::try_new(f, schema.clone(), Some(props)).map_err(pq_err(path))
}

/// `accounts.parquet`: account, score, flagged, group, reasons, events, evidence; rows in
/// `ranked` order, as `accounts.csv`.
pub fn write_accounts_parquet(
    path: &Path,
    store: &EventStore,
    det: &Detection,
    ranked: &[u32],
) -> Result<(), WriteError> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("account", DataType::Utf8, false),
        Field::new("score", DataType::Float32, false),
        Field::new("flagged", DataType::Boolean, false),
        Field::new("group", DataType::Utf8, true),
        Field::new("reasons", DataType::Utf8, false),
        Field::new("events", DataType::UInt32, false),
        Field::new("evidence", DataType::Float32, false),
    ]));
    let mut w = writer(path, &schema)?;
    let mut cell = String::new();
    for chunk in ranked.chunks(BATCH) {
        let (mut account, mut score, mut flagged) = (
            StringBuilder::new(),
            Float32Builder::new(),
            BooleanBuilder::new(),
        );
        let (mut group, mut reasons, mut events, mut evidence) = (
            StringBuilder::new(),
            StringBuilder::new(),
            UInt32Builder::new(),
            Float32Builder::new(),
        );
        for &a in chunk {
            let v = &det.accounts[a as usize];
            account.append_value(store.accounts.name(a));
            score.append_value(v.score);
            flagged.append_value(v.flagged);
            group.append_option(v.group.map(|g| det.groups[g].id.as_str()));
            cell.clear();
            push_reasons(&mut cell, det, a);
            reasons.append_value(&cell);
            events.append_value(store.events_of_account(a).len() as u32);
            evidence.append_value(v.evidence);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(account.finish()),
            Arc::new(score.finish()),
            Arc::new(flagged.finish()),
            Arc::new(group.finish()),
            Arc::new(reasons.finish()),
            Arc::new(events.finish()),
            Arc::new(evidence.finish()),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).map_err(arrow_err(path))?;
        w.write(&batch).map_err(pq_err(path))?;
    }
    w.close().map_err(pq_err(path))?;
    Ok(())
}

/// `videos.parquet`: the columns of `videos.csv`, typed.
pub fn write_videos_parquet(
    path: &Path,
    store: &EventStore,
    videos: &[VideoMetrics],
) -> Result<(), WriteError> {
    // VIDEO_COLUMNS: target, 8 counts, 9 rates (the two completion rates nullable), 2 followers.
    let (counts_cols, rates_cols) = (&VIDEO_COLUMNS[1..9], &VIDEO_COLUMNS[9..18]);
    let mut fields = vec![Field::new(VIDEO_COLUMNS[0], DataType::Utf8, false)];
    fields.extend(
        counts_cols
            .iter()
            .map(|n| Field::new(*n, DataType::UInt64, false)),
    );
    // The completion rates are null for a video without timed views, as their CSV cells are empty.
    fields.extend(
        rates_cols
            .iter()
            .enumerate()
            .map(|(i, n)| Field::new(*n, DataType::Float64, i < 2)),
    );
    fields.extend(
        VIDEO_COLUMNS[18..]
            .iter()
            .map(|n| Field::new(*n, DataType::UInt64, false)),
    );
    let schema = Arc::new(Schema::new(fields));
    let mut w = writer(path, &schema)?;
    for chunk in videos.chunks(BATCH) {
        let mut target = StringBuilder::new();
        let mut counts: Vec<UInt64Builder> = (0..counts_cols.len() + 2)
            .map(|_| UInt64Builder::new())
            .collect();
        let mut rates: Vec<Float64Builder> = (0..rates_cols.len())
            .map(|_| Float64Builder::new())
            .collect();
        for m in chunk {
            target.append_value(store.targets.name(m.target));
            let ints = m
                .counts()
                .into_iter()
                .chain([m.followers, m.clean_followers]);
            for (b, v) in counts.iter_mut().zip(ints) {
                b.append_value(v);
            }
            rates[0].append_option(m.completion_rate());
            rates[1].append_option(m.clean_completion_rate());
            let floats = [
                m.inflation(),
                m.flagged_view_share(),
                m.flagged_like_share(),
                m.weighted_views,
                m.weighted_likes,
                m.weighted_comments,
                m.weighted_shares,
            ];
            for (b, v) in rates[2..].iter_mut().zip(floats) {
                b.append_value(v);
            }
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(target.finish())];
        let mut finished: Vec<ArrayRef> = counts
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let followers = finished.split_off(counts_cols.len());
        columns.extend(finished);
        columns.extend(rates.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        columns.extend(followers);
        let batch = RecordBatch::try_new(schema.clone(), columns).map_err(arrow_err(path))?;
        w.write(&batch).map_err(pq_err(path))?;
    }
    w.close().map_err(pq_err(path))?;
    Ok(())
}
