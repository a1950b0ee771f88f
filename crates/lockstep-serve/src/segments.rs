//! Durable, append-only event segments: one Parquet file per accepted batch under
//! `DIR/segments/`, in the file contract's columns plus `event_id`, so `lockstep detect
//! DIR/segments/*.parquet` reads them as they are.
//!
//! Durability: a batch is written to a hidden temporary file, `fsync`ed, renamed to its final
//! name and the directory `fsync`ed; only then is it acknowledged. A crash before the rename
//! leaves a temporary file that the next start deletes (that batch was never acknowledged, and
//! a client re-sends it); after the rename the batch is whole. Idempotence: the ids of stored
//! events are kept as 128-bit hashes (two SipHash-1-3 digests with distinct prefixes; ids are
//! never compared by a weaker 64-bit hash, whose collisions would silently drop events), rebuilt
//! from the segments' `event_id` column at start.

use crate::ServeError;
use arrow_array::builder::StringBuilder;
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use hashbrown::HashSet;
use lockstep_core::TypedEvent;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The 128-bit identity of an `event_id`.
pub fn id_hash(id: &str) -> u128 {
    let half = |prefix: u8| {
        #[allow(deprecated)] // SipHasher13 with fixed keys: stable across runs and releases.
        let mut h = std::hash::SipHasher::new_with_keys(0x6c6f636b, 0x73746570);
        prefix.hash(&mut h);
        id.hash(&mut h);
        h.finish()
    };
    ((half(1) as u128) << 64) | half(2) as u128
}

/// The segment schema: the event columns `lockstep-io` writes, then `event_id`.
pub fn segment_schema() -> SchemaRef {
    let base = lockstep_io::write::event_schema();
    let mut fields: Vec<Field> = base.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new("event_id", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// Rows of one batch, columnar, before they are written.
#[derive(Default)]
pub struct SegmentBatch {
    columns: lockstep_io::write::EventColumns,
    event_id: StringBuilder,
    /// Rows appended.
    pub rows: usize,
    /// Newest event time appended.
    pub newest_ts: Option<i64>,
    /// Ids of the rows appended (hashes), to add to the store's set once durable.
    pub ids: Vec<u128>,
    /// The same rows for the in-memory window of live passes.
    events: lockstep_core::EventBatch,
}

impl SegmentBatch {
    /// Append one validated event (an invalid one is refused whole).
    pub fn push(
        &mut self,
        e: &TypedEvent<'_>,
        event_id: Option<&str>,
    ) -> Result<(), lockstep_core::FieldError> {
        self.events.push(e)?;
        self.columns.push(e);
        self.event_id.append_option(event_id);
        if let Some(id) = event_id {
            self.ids.push(id_hash(id));
        }
        self.rows += 1;
        self.newest_ts = Some(self.newest_ts.map_or(e.ts, |t| t.max(e.ts)));
        Ok(())
    }

    /// The rows appended, for the in-memory window (taken once, before the batch is written).
    pub fn take_events(&mut self) -> lockstep_core::EventBatch {
        std::mem::take(&mut self.events)
    }

    fn finish(mut self) -> Result<RecordBatch, arrow_schema::ArrowError> {
        let mut cols = self.columns.finish();
        cols.push(Arc::new(self.event_id.finish()) as ArrayRef);
        RecordBatch::try_new(segment_schema(), cols)
    }
}

/// The segments directory and what is stored in it.
pub struct Segments {
    dir: PathBuf,
    next: u64,
    ids: HashSet<u128>,
    paths: Vec<PathBuf>,
    /// Newest event time in each segment (same order as `paths`).
    newest: Vec<i64>,
    /// Events stored.
    pub events: u64,
    /// Newest event time stored.
    pub newest_ts: Option<i64>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ServeError + '_ {
    move |source| ServeError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn pq(path: &Path) -> impl Fn(String) -> ServeError + '_ {
    move |message| ServeError::Segment {
        path: path.display().to_string(),
        message,
    }
}

impl Segments {
    /// Open (or create) `data/segments`: delete unacknowledged temporary files, read every
    /// segment's ids, row count and newest time.
    pub fn open(data: &Path) -> Result<Segments, ServeError> {
        let dir = data.join("segments");
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let p = entry.map_err(io(&dir))?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with(".tmp-") {
                std::fs::remove_file(&p).map_err(io(&p))?;
            } else if name.starts_with("seg-") && name.ends_with(".parquet") {
                paths.push(p);
            }
        }
        paths.sort();
        let mut s = Segments {
            dir,
            next: 0,
            ids: HashSet::new(),
            paths: Vec::new(),
            newest: Vec::new(),
            events: 0,
            newest_ts: None,
        };
        for p in paths {
            let seq: u64 = p
                .file_stem()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("seg-"))
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| pq(&p)("not a segment name (seg-NNNNNNNNNN.parquet)".into()))?;
            s.next = s.next.max(seq + 1);
            let newest = s.load(&p)?;
            s.paths.push(p);
            s.newest.push(newest);
        }
        Ok(s)
    }

    /// Read one segment's ids and times; returns its newest event time.
    fn load(&mut self, p: &Path) -> Result<i64, ServeError> {
        let mut newest = i64::MIN;
        let f = File::open(p).map_err(io(p))?;
        let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| pq(p)(e.to_string()))?;
        let schema = b.schema().clone();
        let want = ["ts", "event_id"];
        let roots: Vec<usize> = want
            .iter()
            .filter_map(|n| schema.index_of(n).ok())
            .collect();
        let mask = ProjectionMask::roots(b.parquet_schema(), roots);
        let reader = b
            .with_projection(mask)
            .build()
            .map_err(|e| pq(p)(e.to_string()))?;
        for batch in reader {
            let batch = batch.map_err(|e| pq(p)(e.to_string()))?;
            self.events += batch.num_rows() as u64;
            if let Some(ts) = batch
                .column_by_name("ts")
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
            {
                for t in ts.iter().flatten() {
                    newest = newest.max(t);
                    self.newest_ts = Some(self.newest_ts.map_or(t, |n| n.max(t)));
                }
            }
            if let Some(ids) = batch
                .column_by_name("event_id")
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            {
                for id in ids.iter().flatten() {
                    self.ids.insert(id_hash(id));
                }
            }
        }
        Ok(newest)
    }

    /// Whether an event with this id hash is stored.
    pub fn contains(&self, id: u128) -> bool {
        self.ids.contains(&id)
    }

    /// The segment files, oldest first.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// The segments holding any event at or after `since` (a segment is read whole).
    pub fn paths_since(&self, since: i64) -> Vec<PathBuf> {
        self.paths
            .iter()
            .zip(&self.newest)
            .filter(|(_, &n)| n >= since)
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Write a batch durably (see the module doc); returns once it survives a crash.
    pub fn append(&mut self, batch: SegmentBatch) -> Result<(), ServeError> {
        if batch.rows == 0 {
            return Ok(());
        }
        let (rows, newest, ids) = (batch.rows, batch.newest_ts, batch.ids.clone());
        let tmp = self.dir.join(format!(".tmp-{:010}.parquet", self.next));
        let fin = self.dir.join(format!("seg-{:010}.parquet", self.next));
        let record = batch.finish().map_err(|e| pq(&tmp)(e.to_string()))?;
        let f = File::create(&tmp).map_err(io(&tmp))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let mut w = ArrowWriter::try_new(
            f.try_clone().map_err(io(&tmp))?,
            record.schema(),
            Some(props),
        )
        .map_err(|e| pq(&tmp)(e.to_string()))?;
        w.write(&record).map_err(|e| pq(&tmp)(e.to_string()))?;
        w.close().map_err(|e| pq(&tmp)(e.to_string()))?;
        f.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &fin).map_err(io(&fin))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))?;
        self.next += 1;
        self.paths.push(fin);
        self.newest.push(newest.unwrap_or(i64::MIN));
        self.events += rows as u64;
        if let Some(t) = newest {
            self.newest_ts = Some(self.newest_ts.map_or(t, |n| n.max(t)));
        }
        self.ids.extend(ids);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::Action;

    #[test]
    fn segments_survive_reopen_and_drop_torn_writes() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Segments::open(dir.path()).unwrap();
        let mut b = SegmentBatch::default();
        b.push(&TypedEvent::new(5, "a", Action::Like, "v"), Some("e1"))
            .unwrap();
        b.push(&TypedEvent::new(9, "b", Action::View, "v"), None)
            .unwrap();
        s.append(b).unwrap();
        // A torn write from a crash: never acknowledged, removed at start.
        std::fs::write(dir.path().join("segments/.tmp-0000000009.parquet"), b"junk").unwrap();
        let s = Segments::open(dir.path()).unwrap();
        assert_eq!((s.events, s.newest_ts), (2, Some(9)));
        assert!(s.contains(id_hash("e1")));
        assert!(!s.contains(id_hash("e2")));
        assert_eq!(s.paths().len(), 1);
        assert_eq!(s.paths_since(9).len(), 1);
        assert!(s.paths_since(10).is_empty());
        assert!(!dir.path().join("segments/.tmp-0000000009.parquet").exists());
        // The segment is an ordinary event file.
        let (store, _) = lockstep_io::read_events(
            s.paths()[0].to_str().unwrap(),
            &lockstep_io::ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn id_hashes_differ_and_are_stable() {
        assert_ne!(id_hash("a"), id_hash("b"));
        assert_eq!(id_hash("a"), id_hash("a"));
        assert_ne!(id_hash("a") >> 64, id_hash("a") & u64::MAX as u128);
    }
}
