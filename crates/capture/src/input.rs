//! A large reusable read buffer refilled by compaction.
//!
//! Records are handed out as slices of `buf`; when a record does not fit in
//! what is buffered, the unread tail is moved to the front and the rest of
//! the buffer is filled with one or more `read` calls. Nothing is allocated
//! per record; the buffer only grows (once, bounded by the caller's limit)
//! for a block larger than its initial size.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Initial buffer size: large enough for any packet record (256 KiB bound)
/// many times over, small enough to stay in L2/L3 between `read` and parse.
pub(crate) const BUF_SIZE: usize = 1 << 20;
/// Size the buffer starts with: small inputs (most test captures, fuzz
/// inputs) never pay for the full buffer; the first refill of a larger
/// input grows it to [`BUF_SIZE`].
pub(crate) const INITIAL_BUF_SIZE: usize = 64 << 10;

pub(crate) struct Input {
    src: Box<dyn Read + Send>,
    pub(crate) buf: Vec<u8>,
    /// Start of unread bytes in `buf`.
    pub(crate) pos: usize,
    /// End of valid bytes in `buf`.
    pub(crate) end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// Never move buffered bytes (records already handed out by position
    /// stay valid): a part of a file read in parallel (`parts.rs`).
    append_only: bool,
}

impl Input {
    pub(crate) fn new(src: Box<dyn Read + Send>) -> Input {
        let buf = vec![0u8; INITIAL_BUF_SIZE];
        Input {
            src,
            buf,
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            append_only: false,
        }
    }

    /// An input over bytes already read: `buf[..end]` holds the stream from
    /// offset `base`, reading resumes at `buf[pos]`, and `src` goes on
    /// after `buf[end - 1]`. Append-only: a record that runs past `end`
    /// grows the buffer instead of moving what is in it.
    pub(crate) fn over(
        src: Box<dyn Read + Send>,
        buf: Vec<u8>,
        pos: usize,
        end: usize,
        base: u64,
    ) -> Input {
        debug_assert!(pos <= end && end <= buf.len());
        Input {
            src,
            buf,
            pos,
            end,
            base,
            eof: false,
            append_only: true,
        }
    }

    /// Unread buffered bytes.
    #[inline]
    pub(crate) fn avail(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or(&[])
    }

    /// Stream offset of the next unread byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(self.pos + n <= self.end);
        self.pos = (self.pos + n).min(self.end);
    }

    /// Make at least `n` unread bytes available. Returns `Ok(false)` when
    /// the input ends first (then `avail()` holds whatever was left).
    /// The caller bounds `n`.
    #[inline(always)]
    pub(crate) fn fill(&mut self, n: usize) -> io::Result<bool> {
        if self.end - self.pos >= n {
            return Ok(true);
        }
        self.fill_slow(n)
    }

    #[inline(never)]
    fn fill_slow(&mut self, n: usize) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        // Compact: move the unread tail to the front.
        if self.pos > 0 && !self.append_only {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.base > 0 && self.buf.len() < BUF_SIZE && !self.append_only {
            // A whole initial buffer has been consumed: a large input.
            self.grow(BUF_SIZE);
        }
        let want = self.pos + n;
        while self.end < want {
            if self.end == self.buf.len() {
                // Grow only as data actually arrives, so a corrupt length
                // cannot make us allocate more than the input holds (and
                // never more than the caller's bound `n`).
                self.grow((self.buf.len() * 2).max(1).min(want.next_power_of_two()));
            }
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(k) => self.end += k.min(self.buf.len() - self.end),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

impl Input {
    /// Hand over the buffer: the unread bytes move to the start of `spare`
    /// (grown to the buffer's size if smaller), which becomes the buffer;
    /// the old one is returned as it was, so byte ranges of records already
    /// consumed from it stay valid in it.
    pub(crate) fn swap_buffer(&mut self, mut spare: Vec<u8>) -> Vec<u8> {
        if spare.len() < self.buf.len() {
            spare = vec![0u8; self.buf.len()];
        }
        let tail = self.end - self.pos;
        spare[..tail].copy_from_slice(&self.buf[self.pos..self.end]);
        self.base += self.pos as u64;
        self.end = tail;
        self.pos = 0;
        std::mem::replace(&mut self.buf, spare)
    }

    /// Replace the buffer by a larger zeroed one (`vec!` of zeros is a
    /// calloc: pages are mapped lazily, unlike `resize`), keeping the
    /// buffered bytes `[0, end)`; called right after compaction.
    fn grow(&mut self, len: usize) {
        let mut bigger = vec![0u8; len];
        let keep = self.end.min(len);
        bigger[..keep].copy_from_slice(&self.buf[..keep]);
        self.buf = bigger;
    }
}

/// Counts bytes read from the raw (possibly compressed) input, for progress.
pub(crate) struct Counting<R> {
    pub(crate) inner: R,
    pub(crate) count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(out)?;
        self.count.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }
}

/// Read up to `out.len()` bytes, stopping early only at end of input.
pub(crate) fn read_up_to(r: &mut dyn Read, out: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < out.len() {
        match r.read(&mut out[got..]) {
            Ok(0) => break,
            Ok(k) => got += k.min(out.len() - got),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
