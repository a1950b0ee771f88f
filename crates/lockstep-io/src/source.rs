//! Opening inputs: files or stdin, with gzip / zstd recognised by their magic bytes (so a
//! compressed file is read correctly whatever its name), and a byte counter for progress.

use crate::ReadError;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Shared count of raw (compressed) bytes read so far.
#[derive(Debug, Clone, Default)]
pub struct ByteCounter(pub Arc<AtomicU64>);

impl ByteCounter {
    /// Bytes read so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counting<R> {
    inner: R,
    counter: Option<ByteCounter>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(c) = &self.counter {
            c.0.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

const BUF: usize = 1 << 20;

pub(crate) fn open_raw(
    path: &str,
    counter: Option<ByteCounter>,
) -> Result<Box<dyn Read + Send>, ReadError> {
    let inner: Box<dyn Read + Send> = if path == "-" {
        Box::new(io::stdin())
    } else {
        let f = std::fs::File::open(path).map_err(|source| ReadError::Open {
            path: path.into(),
            source,
        })?;
        if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(ReadError::Open {
                path: path.into(),
                source: io::Error::other("is a directory"),
            });
        }
        Box::new(f)
    };
    Ok(Box::new(Counting { inner, counter }))
}

/// Open a text input, decompressing gzip or zstd if the first bytes say so.
pub(crate) fn open_text(
    path: &str,
    counter: Option<ByteCounter>,
) -> Result<Box<dyn BufRead + Send>, ReadError> {
    let raw = open_raw(path, counter)?;
    let mut buffered = BufReader::with_capacity(BUF, raw);
    let head = buffered.fill_buf().map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    let out: Box<dyn BufRead + Send> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            BUF,
            flate2::bufread::MultiGzDecoder::new(buffered),
        ))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec =
            zstd::stream::read::Decoder::with_buffer(buffered).map_err(|source| ReadError::Io {
                path: path.into(),
                source,
            })?;
        Box::new(BufReader::with_capacity(BUF, dec))
    } else {
        Box::new(buffered)
    };
    Ok(out)
}

/// Read a whole input into memory (Parquet needs random access; stdin and compressed files
/// have none).
pub(crate) fn read_all(path: &str, counter: Option<ByteCounter>) -> Result<Vec<u8>, ReadError> {
    let mut r = open_text(path, counter)?;
    let mut v = Vec::new();
    r.read_to_end(&mut v).map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    Ok(v)
}
