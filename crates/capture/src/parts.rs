//! A classic pcap file read in parts, by several threads at once.
//!
//! With one thread the copy out of the page cache (`read`) is most of the
//! reading; several threads can each copy a part of the file in parallel.
//! Only finding the records is sequential: part `k` holds the records that
//! *start* in its byte range, and where the first one starts is known once
//! part `k - 1` has been scanned. So a thread reads ([`PcapParts::read`])
//! whichever part it claimed, then waits for the [`PartCursor`] of the
//! part before and scans its own ([`PcapParts::scan`]), which gives the
//! cursor for the next.
//!
//! Records and errors are exactly those [`CaptureReader`] gives (the scan
//! runs the same record parser over the part's bytes); a record running
//! past the part's bytes (more than [`SLACK`] past its range) is completed
//! by reading on, and a file cut short gives the same `Truncated` error at
//! the same byte offset and packet number. The file is read as it was when
//! opened: bytes appended later (a capture still being written) are not.

use crate::input::Input;
use crate::{pcap, pcap_next, CaptureError, CaptureReader, Chunk, Format};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// Bytes of a file per part.
pub const PART_LEN: u64 = 1 << 20;
/// Bytes read past a part's range, so that its last record is usually whole
/// without a second read.
pub const SLACK: usize = 64 << 10;

/// A classic (uncompressed) pcap in a regular file, to be read in parts.
pub struct PcapParts {
    file: Arc<File>,
    name: String,
    h: pcap::PcapHeader,
    len: u64,
    part_len: u64,
    slack: usize,
}

/// Where the records of the next part start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartCursor {
    /// Byte offset of the next record in the file.
    pub offset: u64,
    /// Packets of the file before it.
    pub count: u64,
    /// The file ended (cleanly or with an error): later parts hold nothing.
    pub done: bool,
}

/// The bytes of one part, read but not yet scanned.
pub struct PartBuf {
    k: u64,
    buf: Vec<u8>,
    filled: usize,
    err: Option<io::Error>,
}

impl PcapParts {
    /// The file as parts if `reader` (just opened from `path`) reads a
    /// classic pcap from a regular file without decompression; otherwise
    /// the reader back, to be read as a stream.
    pub fn from_reader(
        reader: CaptureReader,
        path: &Path,
    ) -> Result<PcapParts, Box<CaptureReader>> {
        let h = match (&reader.format, reader.gzip, reader.raw_len) {
            (Format::Pcap(h), false, Some(_)) if reader.count == 0 => *h,
            _ => return Err(Box::new(reader)),
        };
        let Ok(file) = File::open(path) else {
            return Err(Box::new(reader));
        };
        match file.metadata() {
            Ok(m) if m.is_file() => Ok(PcapParts {
                file: Arc::new(file),
                name: reader.name.clone(),
                h,
                len: m.len(),
                part_len: PART_LEN,
                slack: SLACK,
            }),
            _ => Err(Box::new(reader)),
        }
    }

    /// Other part and slack sizes than [`PART_LEN`] and [`SLACK`] (tests:
    /// many small parts, records across their ends).
    pub fn with_part_len(mut self, part_len: u64, slack: usize) -> Self {
        self.part_len = part_len.max(1);
        self.slack = slack;
        self
    }

    /// Name of the input, as used in errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// File size when opened.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// Number of parts (0 for a file with only its header).
    pub fn parts(&self) -> u64 {
        self.len
            .saturating_sub(pcap::FILE_HEADER_LEN as u64)
            .div_ceil(self.part_len)
    }

    /// The cursor of part 0.
    pub fn start(&self) -> PartCursor {
        PartCursor {
            offset: pcap::FILE_HEADER_LEN as u64,
            count: 0,
            done: self.parts() == 0,
        }
    }

    /// Byte range of part `k`: the file is read as it was when opened (the
    /// last record that starts before that end is read whole; what is
    /// appended after it is not read).
    fn range(&self, k: u64) -> (u64, u64) {
        let start = pcap::FILE_HEADER_LEN as u64 + k * self.part_len;
        (start, (start + self.part_len).min(self.len))
    }

    /// Read part `k`'s bytes (and [`SLACK`] more) into `spare` (any `Vec`;
    /// pass a scanned chunk's buffer to avoid allocating). An I/O error is
    /// kept for [`scan`](Self::scan) to report where it stands in order.
    pub fn read(&self, k: u64, spare: Vec<u8>) -> PartBuf {
        let (start, _) = self.range(k);
        let full = self.part_len as usize + self.slack;
        let want = full.min(self.len.saturating_sub(start) as usize);
        let mut buf = spare;
        if buf.len() < want {
            // zeroed (calloc) rather than resized: pages are mapped lazily
            buf = vec![0u8; full];
        }
        let mut filled = 0;
        let mut err = None;
        while filled < want {
            match self
                .file
                .read_at(&mut buf[filled..want], start + filled as u64)
            {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        PartBuf {
            k,
            buf,
            filled,
            err,
        }
    }

    /// The records of part `b` that start in its range, from `cur` (the
    /// cursor part `b.k - 1` gave, or [`start`](Self::start)): the chunk,
    /// the cursor of the next part, and the error that ended the file here
    /// (named as [`CaptureReader`] names it).
    pub fn scan(&self, b: PartBuf, cur: PartCursor) -> (Chunk, PartCursor, Option<CaptureError>) {
        let (start, end) = self.range(b.k);
        let mut recs = Vec::new();
        let first = cur.count + 1;
        let last = b.k + 1 >= self.parts();
        if cur.done || cur.offset >= end {
            // the file ended, or a record before runs over this whole part
            let chunk = Chunk {
                buf: b.buf,
                recs,
                first,
            };
            let next = PartCursor {
                done: cur.done || last,
                ..cur
            };
            return (chunk, next, None);
        }
        debug_assert!(cur.offset >= start);
        let mut input = if cur.offset <= start + b.filled as u64 {
            let pos = (cur.offset - start) as usize;
            let src: Box<dyn Read + Send> = match b.err {
                Some(e) => Box::new(Failing(Some(e))),
                None => Box::new(FileFrom {
                    file: self.file.clone(),
                    at: start + b.filled as u64,
                }),
            };
            Input::over(src, b.buf, pos, b.filled, start)
        } else {
            // the part's bytes end before its first record starts (the file
            // was shorter when this part was read): read from the record on
            let src = Box::new(FileFrom {
                file: self.file.clone(),
                at: cur.offset,
            });
            Input::over(src, b.buf, 0, 0, cur.offset)
        };
        let mut err = None;
        let mut done = false;
        while input.offset() < end {
            match pcap_next(&mut input, &self.h) {
                Ok(Some(rec)) => recs.push(rec),
                Ok(None) => {
                    done = true;
                    break;
                }
                Err((e, off)) => {
                    let n = cur.count + recs.len() as u64 + 1;
                    err = Some(e.into_capture(&self.name, off, n));
                    done = true;
                    break;
                }
            }
        }
        let next = PartCursor {
            offset: input.offset(),
            count: cur.count + recs.len() as u64,
            done: done || last,
        };
        let chunk = Chunk {
            buf: input.buf,
            recs,
            first,
        };
        (chunk, next, err)
    }
}

/// Reads a file on from an offset (positioned reads: the file is shared).
struct FileFrom {
    file: Arc<File>,
    at: u64,
}

impl Read for FileFrom {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(out, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// The error a part's read met, returned when the scan gets there.
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}
