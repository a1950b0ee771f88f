//! Durable, append-only event segments: one Parquet file per accepted batch under
//! `DIR/segments/` (`seg-N.parquet`, N the batch's sequence number), in the file contract's
//! columns plus `event_id`, so `lockstep detect DIR/segments/*.parquet` reads them as they are.
//! Runs of small segments are merged in the background into `seg-N-M.parquet` (batches N to M,
//! rows in batch order; see [`Segments::plan_compaction`]): a merged file is durable before the
//! files it replaces are deleted, and [`Segments::open`] deletes any left by a crash between.
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
    /// Rows in each segment.
    rows: Vec<u64>,
    /// The batch sequence numbers each segment holds, first and last (one batch: equal).
    seqs: Vec<(u64, u64)>,
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
        let mut found: Vec<((u64, u64), PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let p = entry.map_err(io(&dir))?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with(".tmp-") {
                std::fs::remove_file(&p).map_err(io(&p))?;
            } else if name.starts_with("seg-") && name.ends_with(".parquet") {
                let seqs = parse_name(name).ok_or_else(|| {
                    pq(&p)("not a segment name (seg-N.parquet or seg-N-M.parquet)".into())
                })?;
                found.push((seqs, p));
            }
        }
        // A merged segment holds the batches of the ones it replaced; those still present were
        // left by a crash between the merge and their deletion: delete them now.
        found.sort_by_key(|&((first, last), _)| (first, std::cmp::Reverse(last)));
        let mut kept: Vec<((u64, u64), PathBuf)> = Vec::with_capacity(found.len());
        for (seqs, p) in found {
            match kept.last() {
                Some(&((_, last), _)) if seqs.1 <= last => {
                    std::fs::remove_file(&p).map_err(io(&p))?;
                }
                _ => kept.push((seqs, p)),
            }
        }
        let mut s = Segments {
            dir,
            next: 0,
            ids: HashSet::new(),
            paths: Vec::new(),
            newest: Vec::new(),
            rows: Vec::new(),
            seqs: Vec::new(),
            events: 0,
            newest_ts: None,
        };
        for (seqs, p) in kept {
            s.next = s.next.max(seqs.1 + 1);
            let before = s.events;
            let newest = s.load(&p)?;
            s.rows.push(s.events - before);
            s.paths.push(p);
            s.newest.push(newest);
            s.seqs.push(seqs);
        }
        if !s.paths.is_empty() {
            File::open(&s.dir)
                .and_then(|d| d.sync_all())
                .map_err(io(&s.dir))?;
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
        write_durably(&self.dir, &tmp, &fin, |w| {
            w.write(&record).map_err(|e| pq(&tmp)(e.to_string()))
        })?;
        self.seqs.push((self.next, self.next));
        self.next += 1;
        self.paths.push(fin);
        self.newest.push(newest.unwrap_or(i64::MIN));
        self.rows.push(rows as u64);
        self.events += rows as u64;
        if let Some(t) = newest {
            self.newest_ts = Some(self.newest_ts.map_or(t, |n| n.max(t)));
        }
        self.ids.extend(ids);
        Ok(())
    }
}

/// `seg-N.parquet` → (N, N); `seg-N-M.parquet` → (N, M).
fn parse_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_prefix("seg-")?.strip_suffix(".parquet")?;
    match stem.split_once('-') {
        None => stem.parse().ok().map(|n| (n, n)),
        Some((a, b)) => {
            let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
            (a <= b).then_some((a, b))
        }
    }
}

/// A run of consecutive small segments to merge into one (see [`Segments::plan_compaction`]).
#[derive(Debug, Clone)]
pub struct Compaction {
    /// Index of the first segment of the run.
    at: usize,
    paths: Vec<PathBuf>,
    seqs: (u64, u64),
    rows: u64,
    newest: i64,
}

/// A segment under this many rows is small: it is merged with its small neighbours.
const SMALL_ROWS: u64 = 1 << 16;
/// A merge stops growing at this many rows. Large enough that one merge can take in the
/// thousands of one-batch segments a fast feed leaves between two slow passes (a 262k cap left
/// 5,308 segments after 11.6M events in batches of 1,000, against 51 with this one).
const MERGED_ROWS: u64 = 1 << 20;
/// Small segments in a row before they are merged.
const MIN_RUN: usize = 16;

impl Segments {
    /// The oldest run of at least 16 consecutive small segments (under 65,536 rows each), up to
    /// 1,048,576 rows in all, if there is one. Small batches (a live feed posting every few
    /// hundred milliseconds) would otherwise leave one file each: 925k events arrived as 6,984
    /// segments in the replay benchmark, and reading them back dominated restart and flush. A
    /// merged segment is itself small until it reaches 65,536 rows, so merges compound (16
    /// batches, then 16 merges of them, …) and each row is rewritten O(log) times.
    pub fn plan_compaction(&self) -> Option<Compaction> {
        let mut i = 0;
        while i < self.paths.len() {
            if self.rows[i] >= SMALL_ROWS {
                i += 1;
                continue;
            }
            let (mut j, mut rows) = (i, 0u64);
            while j < self.paths.len()
                && self.rows[j] < SMALL_ROWS
                && rows + self.rows[j] <= MERGED_ROWS
            {
                rows += self.rows[j];
                j += 1;
            }
            if j - i >= MIN_RUN {
                return Some(Compaction {
                    at: i,
                    paths: self.paths[i..j].to_vec(),
                    seqs: (self.seqs[i].0, self.seqs[j - 1].1),
                    rows,
                    newest: self.newest[i..j].iter().copied().max().unwrap_or(i64::MIN),
                });
            }
            i = j.max(i + 1);
        }
        None
    }

    /// The segments directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Swap a merged segment in for the run it replaces (written by [`merge`]), then delete the
    /// run's files. Only appends may have happened since the plan; a crash before the deletes
    /// is repaired by [`Segments::open`].
    pub fn commit_compaction(&mut self, c: Compaction, merged: PathBuf) -> Result<(), ServeError> {
        let end = c.at + c.paths.len();
        if self.paths.get(c.at..end) != Some(&c.paths[..]) {
            return Err(pq(&merged)(
                "the segments changed under a compaction".into(),
            ));
        }
        self.paths.splice(c.at..end, [merged]);
        self.newest.splice(c.at..end, [c.newest]);
        self.rows.splice(c.at..end, [c.rows]);
        self.seqs.splice(c.at..end, [c.seqs]);
        for p in &c.paths {
            std::fs::remove_file(p).map_err(io(p))?;
        }
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))
    }
}

/// Write the run's rows, in order, into one segment named for its batches (temporary file,
/// `fsync`, rename, directory `fsync` — as for a batch). Reads and writes only files no one
/// changes, so it runs without the segments lock.
pub fn merge(dir: &Path, c: &Compaction) -> Result<PathBuf, ServeError> {
    let tmp = dir.join(format!(
        ".tmp-merge-{:010}-{:010}.parquet",
        c.seqs.0, c.seqs.1
    ));
    let fin = dir.join(format!("seg-{:010}-{:010}.parquet", c.seqs.0, c.seqs.1));
    write_durably(dir, &tmp, &fin, |w| {
        for p in &c.paths {
            let r = File::open(p).map_err(io(p))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(r)
                .and_then(|b| b.build())
                .map_err(|e| pq(p)(e.to_string()))?;
            for batch in reader {
                let batch = batch.map_err(|e| pq(p)(e.to_string()))?;
                w.write(&batch).map_err(|e| pq(&tmp)(e.to_string()))?;
            }
        }
        Ok(())
    })?;
    Ok(fin)
}

/// Write a segment so that it survives a crash whole or not at all: `fill` writes the rows
/// into `tmp` (segment schema, Snappy), which is closed and `fsync`ed, renamed to `fin`, and
/// the directory `fsync`ed.
fn write_durably(
    dir: &Path,
    tmp: &Path,
    fin: &Path,
    fill: impl FnOnce(&mut ArrowWriter<File>) -> Result<(), ServeError>,
) -> Result<(), ServeError> {
    let f = File::create(tmp).map_err(io(tmp))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut w = ArrowWriter::try_new(
        f.try_clone().map_err(io(tmp))?,
        segment_schema(),
        Some(props),
    )
    .map_err(|e| pq(tmp)(e.to_string()))?;
    fill(&mut w)?;
    w.close().map_err(|e| pq(tmp)(e.to_string()))?;
    f.sync_all().map_err(io(tmp))?;
    std::fs::rename(tmp, fin).map_err(io(fin))?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
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

    /// Batches `from..to` of three events each (event i·3+k at time i·3+k).
    fn tiny_batches(s: &mut Segments, from: usize, to: usize) {
        for i in from..to {
            let mut b = SegmentBatch::default();
            for k in 0..3 {
                let e = TypedEvent::new((i * 3 + k) as i64, "a", Action::Like, "v");
                b.push(&e, Some(&format!("e{i}-{k}"))).unwrap();
            }
            s.append(b).unwrap();
        }
    }

    #[test]
    fn small_segments_merge_and_a_crash_mid_merge_is_repaired_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Segments::open(dir.path()).unwrap();
        tiny_batches(&mut s, 0, 10);
        assert!(
            s.plan_compaction().is_none(),
            "fewer than 16 small segments stay"
        );
        tiny_batches(&mut s, 10, 40);
        let c = s.plan_compaction().unwrap();
        assert_eq!((c.paths.len(), c.rows, c.seqs), (40, 120, (0, 39)));
        let merged = merge(s.dir(), &c).unwrap();
        // A crash here: the merged file and the run it replaces are both on disk.
        let reopened = Segments::open(dir.path()).unwrap();
        assert_eq!((reopened.events, reopened.paths().len()), (120, 1));
        assert_eq!(reopened.seqs, vec![(0, 39)]);
        // The repaired directory holds the merged file only.
        let files = std::fs::read_dir(dir.path().join("segments"))
            .unwrap()
            .count();
        assert_eq!(files, 1);
        assert!(merged.exists());
        // Without a crash: commit swaps it in; appends continue after it.
        let mut s = reopened;
        tiny_batches(&mut s, 40, 41);
        assert_eq!(s.seqs.last(), Some(&(40, 40)));
        let s = Segments::open(dir.path()).unwrap();
        assert_eq!(
            (s.events, s.paths().len(), s.newest_ts),
            (123, 2, Some(122))
        );
        assert!(s.contains(id_hash("e0-0")) && s.contains(id_hash("e39-2")));
        // Every row, in batch order.
        let (store, _) = lockstep_io::read_events(
            s.paths()[0].to_str().unwrap(),
            &lockstep_io::ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(store.ts, (0..120).collect::<Vec<i64>>());
    }

    #[test]
    fn commit_compaction_swaps_the_run_and_deletes_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Segments::open(dir.path()).unwrap();
        tiny_batches(&mut s, 0, 20);
        let c = s.plan_compaction().unwrap();
        let merged = merge(s.dir(), &c).unwrap();
        tiny_batches(&mut s, 20, 22); // appends while the merge ran
        s.commit_compaction(c, merged).unwrap();
        assert_eq!(s.paths().len(), 3);
        assert_eq!(s.seqs, vec![(0, 19), (20, 20), (21, 21)]);
        let files = std::fs::read_dir(dir.path().join("segments"))
            .unwrap()
            .count();
        assert_eq!(files, 3);
        assert_eq!(Segments::open(dir.path()).unwrap().events, 66);
    }

    #[test]
    fn id_hashes_differ_and_are_stable() {
        assert_ne!(id_hash("a"), id_hash("b"));
        assert_eq!(id_hash("a"), id_hash("a"));
        assert_ne!(id_hash("a") >> 64, id_hash("a") & u64::MAX as u128);
    }
}
