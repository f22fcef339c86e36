//! reefwatch-capture: read capture files — pcap (both byte orders,
//! microsecond and nanosecond magics, the "modified" variant), pcapng
//! (several sections with their own byte order, several interfaces with
//! their own link type, `if_tsresol` incl. power-of-2 resolutions,
//! `if_tsoffset`), gzip of either (flate2, pure-Rust backend), and stdin.
//!
//! # Why hand-written
//!
//! The `pcap-parser` crate was the first choice. It is not used because
//! the sensor needs, at its very bottom, all of the following at once and
//! `pcap-parser` gives them only partly or at extra cost: byte offsets of
//! each record in the (decompressed) input for error messages; a hard bound
//! on record sizes checked *before* any buffer grows (its `PcapError::
//! BufferTooSmall` asks the caller to grow, which a corrupt `caplen` of
//! 0xFFFFFFF0 would turn into gigabytes); the distinction between a
//! truncated tail (`Truncated`) and a malformed length (`Corrupt`) as
//! Wireshark makes it; and a per-interface precomputed timestamp
//! conversion (multiply, divide or shift, no 128-bit division per
//! packet). Both formats are small (two header layouts, five block
//! types), so the reader is written here in the smoltcp `wire` style:
//! byte-range constants per field, lengths checked once, annotated byte
//! arrays as tests.
//!
//! # Speed
//!
//! One reusable 1 MiB buffer (see `input.rs`), refilled by moving the
//! unread tail to the front; records are returned as slices of it
//! ([`Packet::data`]); no allocation per packet.
//!
//! # Parity with Wireshark
//!
//! Packet counts equal `capinfos -c` on all 804 captures of the project's
//! shared corpus (`tests/shared_corpus.rs`), including a capture cut short
//! (every complete packet is delivered, then `Truncated`). As Wireshark
//! does: pre-2.3 pcap files get their swapped length fields swapped back;
//! the pcap link-type field is masked to its low 26 bits (the top bits
//! carry FCS information); pcapng blocks whose lengths are below 12, not a
//! multiple of 4, or disagree with the trailing copy are `Corrupt`; a new
//! SHB starts a new set of interfaces and may change the byte order.
//! Simple packet blocks carry no timestamp: their `ts_ns` is 0.
//!
//! # Bounds
//!
//! A packet's captured length may not exceed [`MAX_CAPLEN`] (256 KiB, as
//! Wireshark's `WTAP_MAX_PACKET_SIZE_STANDARD`); a pcapng block may not
//! exceed [`MAX_BLOCK_LEN`] (16 MiB); a section may not describe more than
//! [`MAX_INTERFACES`] interfaces. Beyond that the input is `Corrupt`.
#![forbid(unsafe_code)]

mod bytes;
mod error;
mod input;
#[cfg(unix)]
pub mod parts;
mod pcap;
mod pcapng;

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use error::CaptureError;
use error::RawError;
use input::{Counting, Input};

/// DLT link-type values as in pcap headers (1 Ethernet, 113 Linux SLL,
/// 276 SLL2, 101 raw IP, 228 IPv4, 229 IPv6, 0 NULL, 108 LOOP, 12/14 raw
/// on some OSes…).
pub type LinkType = u32;

/// Largest captured length accepted for one packet (256 KiB).
pub const MAX_CAPLEN: u32 = 262_144;
/// Largest pcapng block accepted (16 MiB).
pub const MAX_BLOCK_LEN: u32 = 16 << 20;
/// Most interfaces one pcapng section may describe.
pub const MAX_INTERFACES: usize = 1 << 16;

/// One packet record, borrowing its bytes from the reader's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Captured bytes (zero-copy).
    pub data: &'a [u8],
    /// Timestamp, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// Original length on the wire.
    pub orig_len: u32,
    /// Link type (per interface for pcapng).
    pub linktype: LinkType,
    /// 1-based packet number within this input (EPB, SPB, PB only).
    pub index: u64,
    /// Byte offset of the record within the (decompressed) input.
    pub offset: u64,
}

enum Format {
    Pcap(pcap::PcapHeader),
    Pcapng(NgState),
}

struct NgState {
    be: bool,
    interfaces: Vec<pcapng::Interface>,
}

/// Where the last record is in the buffer and what it says.
struct Rec {
    start: usize,
    end: usize,
    ts_ns: i64,
    orig_len: u32,
    linktype: u32,
    offset: u64,
}

/// Reads one capture input, packet by packet.
pub struct CaptureReader {
    name: String,
    input: Input,
    format: Format,
    count: u64,
    done: bool,
    raw_pos: Arc<AtomicU64>,
    raw_len: Option<u64>,
    gzip: bool,
    /// records of the last [`CaptureReader::next_batch`]
    batch: Vec<Rec>,
    /// an error met while batching, returned by the next call
    pending_err: Option<CaptureError>,
}

/// Packets handed out together by [`CaptureReader::next_batch`], borrowing
/// the reader's buffer: a consumer can look ahead at the next packets
/// (to prefetch their flows) without copying them.
pub struct Batch<'a> {
    buf: &'a [u8],
    recs: &'a [Rec],
    /// packet number of the first
    first: u64,
}

impl<'a> Batch<'a> {
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Packet `i` (`i < len()`).
    #[inline]
    pub fn get(&self, i: usize) -> Packet<'a> {
        let r = &self.recs[i];
        Packet {
            data: self.buf.get(r.start..r.end).unwrap_or(&[]),
            ts_ns: r.ts_ns,
            orig_len: r.orig_len,
            linktype: r.linktype,
            index: self.first + i as u64,
            offset: r.offset,
        }
    }
}

/// Packets that own their bytes: what [`CaptureReader::next_chunk`] hands
/// over (the reader's whole buffer, without copying), for sharing between
/// threads.
pub struct Chunk {
    buf: Vec<u8>,
    recs: Vec<Rec>,
    first: u64,
}

impl Chunk {
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Packet `i` (`i < len()`).
    #[inline]
    pub fn get(&self, i: usize) -> Packet<'_> {
        Batch {
            buf: &self.buf,
            recs: &self.recs,
            first: self.first,
        }
        .get(i)
    }

    /// Timestamp of packet `i` (`i < len()`), without touching its bytes.
    #[inline]
    pub fn ts_ns(&self, i: usize) -> i64 {
        self.recs[i].ts_ns
    }

    /// The buffer, to give back to [`CaptureReader::next_chunk`] as its
    /// spare.
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("name", &self.name)
            .field("packets", &self.count)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

type RecResult = Result<Option<Rec>, (RawError, u64)>;

impl CaptureReader {
    /// Open a capture file; `"-"` reads stdin. The format is detected by
    /// magic (pcap, pcapng, gzip of either).
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        if path.as_os_str() == "-" {
            return CaptureReader::from_read("<stdin>", Box::new(std::io::stdin()));
        }
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| CaptureError::Io {
            file: name.clone(),
            offset: None,
            packet: 1,
            source,
        })?;
        let len = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        let mut r = CaptureReader::from_read(&name, Box::new(file))?;
        r.raw_len = len;
        Ok(r)
    }

    /// Read a capture from any byte stream; `name` is used in errors.
    pub fn from_read(name: &str, r: Box<dyn Read + Send>) -> Result<CaptureReader, CaptureError> {
        let raw_pos = Arc::new(AtomicU64::new(0));
        let mut raw: Box<dyn Read + Send> = Box::new(Counting {
            inner: r,
            count: raw_pos.clone(),
        });
        let io_err = |source| CaptureError::Io {
            file: name.to_string(),
            offset: Some(0),
            packet: 1,
            source,
        };
        let mut magic = [0u8; 4];
        let k = input::read_up_to(&mut *raw, &mut magic).map_err(io_err)?;
        let gzip = k >= 2 && magic[..2] == [0x1f, 0x8b];
        let mut src: Box<dyn Read + Send> = Box::new(Cursor::new(magic[..k].to_vec()).chain(raw));
        if gzip {
            src = Box::new(flate2::read::MultiGzDecoder::new(src));
        }
        let mut input = Input::new(src);
        let not_capture = |what: String| CaptureError::NotACapture {
            file: name.to_string(),
            what,
        };
        let at_start = |e: RawError| e.into_capture(name, 0, 1);
        input.fill(4).map_err(|e| at_start(e.into()))?;
        let head = input.avail();
        if head.is_empty() {
            return Err(not_capture(if gzip {
                "empty gzip stream".into()
            } else {
                "empty file".into()
            }));
        }
        let format = if pcap::magic_kind(head).is_some() {
            if !input
                .fill(pcap::FILE_HEADER_LEN)
                .map_err(|e| at_start(e.into()))?
            {
                return Err(at_start(RawError::Truncated(format!(
                    "pcap file header: {} of 24 bytes",
                    input.avail().len()
                ))));
            }
            let h = pcap::PcapHeader::parse(input.avail())
                .ok_or_else(|| at_start(RawError::Corrupt("pcap file header unreadable".into())))?;
            input.consume(pcap::FILE_HEADER_LEN);
            Format::Pcap(h)
        } else if head.len() >= 4 && bytes::u32_at(head, 0, false) == pcapng::BT_SHB {
            if !input.fill(12).map_err(|e| at_start(e.into()))? {
                return Err(at_start(RawError::Truncated(format!(
                    "pcapng section header: {} of 28 bytes",
                    input.avail().len()
                ))));
            }
            let be = pcapng::shb_byte_order(input.avail()).ok_or_else(|| {
                not_capture("pcapng block type without the byte-order magic".into())
            })?;
            Format::Pcapng(NgState {
                be,
                interfaces: Vec::new(),
            })
        } else {
            return Err(not_capture(describe_magic(head, gzip)));
        };
        Ok(CaptureReader {
            name: name.to_string(),
            input,
            format,
            count: 0,
            done: false,
            raw_pos,
            raw_len: None,
            gzip,
            batch: Vec::new(),
            pending_err: None,
        })
    }

    /// The next packet; `Ok(None)` at a clean end. An `Err` describes a
    /// truncated or corrupt input (file, byte offset, packet number); every
    /// packet before it has been returned, and later calls return
    /// `Ok(None)`.
    #[inline]
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        Ok(self.next_rec()?.map(|rec| Packet {
            data: self.input.buf.get(rec.start..rec.end).unwrap_or(&[]),
            ts_ns: rec.ts_ns,
            orig_len: rec.orig_len,
            linktype: rec.linktype,
            index: self.count,
            offset: rec.offset,
        }))
    }

    /// The next record (reading input as needed), counted; `Ok(None)` at
    /// the end and after an error.
    #[inline]
    fn next_rec(&mut self) -> Result<Option<Rec>, CaptureError> {
        if let Some(e) = self.pending_err.take() {
            return Err(e);
        }
        self.next_rec_from(false)
    }

    /// [`next_rec`](Self::next_rec); with `buffered_only` (pcapng), `None`
    /// also when the next block is not whole in the buffer (reading more
    /// would move the records already handed out).
    #[inline]
    fn next_rec_from(&mut self, buffered_only: bool) -> Result<Option<Rec>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let r = match &self.format {
            Format::Pcap(h) => {
                let h = *h;
                pcap_next(&mut self.input, &h)
            }
            Format::Pcapng(_) => self.pcapng_next(buffered_only),
        };
        match r {
            Ok(Some(rec)) => {
                self.count += 1;
                Ok(Some(rec))
            }
            Ok(None) => {
                self.done = !buffered_only;
                Ok(None)
            }
            Err((e, offset)) => {
                self.done = true;
                Err(e.into_capture(&self.name, offset, self.count + 1))
            }
        }
    }

    /// Up to `max` packets (at least one unless the input is over): the
    /// next one as [`next_packet`](Self::next_packet) reads it, then those
    /// that follow it whole in the read buffer (pcap records, pcapng blocks
    /// up to the next section header). Errors as `next_packet`'s: a record
    /// that cannot follow in this batch is read, or reported, by the next
    /// call.
    pub fn next_batch(&mut self, max: usize) -> Result<Batch<'_>, CaptureError> {
        self.batch.clear();
        let first = self.count + 1;
        if max > 0 {
            if let Some(rec) = self.next_rec()? {
                self.batch.push(rec);
            }
            match (&self.format, self.batch.is_empty()) {
                (_, true) => {}
                (Format::Pcap(h), false) => {
                    let h = *h;
                    while self.batch.len() < max {
                        match pcap_next_buffered(&mut self.input, &h) {
                            Some(rec) => {
                                self.count += 1;
                                self.batch.push(rec);
                            }
                            None => break,
                        }
                    }
                }
                (Format::Pcapng(_), false) => {
                    // blocks whole in the buffer; an error among them comes
                    // with the next call, after the packets before it
                    while self.batch.len() < max {
                        match self.next_rec_from(true) {
                            Ok(Some(rec)) => self.batch.push(rec),
                            Ok(None) => break,
                            Err(e) => {
                                self.pending_err = Some(e);
                                break;
                            }
                        }
                    }
                }
            }
        }
        Ok(Batch {
            buf: &self.input.buf,
            recs: &self.batch,
            first,
        })
    }

    /// Every packet whole in the read buffer (at least one unless the
    /// input is over: `Ok(None)`), handed over with the buffer itself; the
    /// reader goes on in `spare` (any `Vec`, grown as needed; pass the
    /// buffer of a chunk that is done with to avoid allocating). Errors as
    /// [`next_batch`](Self::next_batch)'s.
    pub fn next_chunk(&mut self, spare: Vec<u8>) -> Result<Option<Chunk>, CaptureError> {
        let first = self.count + 1;
        if self.next_batch(usize::MAX)?.is_empty() {
            return Ok(None);
        }
        let recs = std::mem::take(&mut self.batch);
        let buf = self.input.swap_buffer(spare);
        Ok(Some(Chunk { buf, recs, first }))
    }

    /// Bytes of the underlying (possibly compressed) input consumed so far.
    pub fn input_position(&self) -> u64 {
        self.raw_pos.load(Ordering::Relaxed)
    }

    /// Total size of the underlying input, when known (regular files).
    pub fn input_len(&self) -> Option<u64> {
        self.raw_len
    }

    /// Name of the input, as used in errors (`"<stdin>"` for stdin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Packets returned so far.
    pub fn packets_read(&self) -> u64 {
        self.count
    }

    /// True when the input is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// `"pcap"`, `"pcap-nsec"` or `"pcapng"`.
    pub fn format_name(&self) -> &'static str {
        match &self.format {
            Format::Pcap(h) if h.nano => "pcap-nsec",
            Format::Pcap(_) => "pcap",
            Format::Pcapng(_) => "pcapng",
        }
    }

    /// For pcap, the link type of the file header; for pcapng, of the first
    /// interface seen so far (None before the first IDB).
    pub fn linktype(&self) -> Option<LinkType> {
        match &self.format {
            Format::Pcap(h) => Some(h.linktype),
            Format::Pcapng(ng) => ng.interfaces.first().map(|i| i.linktype),
        }
    }

    fn pcapng_next(&mut self, buffered_only: bool) -> RecResult {
        let Format::Pcapng(ng) = &mut self.format else {
            return Ok(None);
        };
        let input = &mut self.input;
        // Every iteration consumes at least 12 bytes or returns.
        loop {
            if buffered_only {
                // only a whole block, in the section's byte order
                let a = input.avail();
                if a.len() < pcapng::MIN_BLOCK_LEN
                    || bytes::u32_at(a, pcapng::field::TYPE, ng.be) == pcapng::BT_SHB
                {
                    return Ok(None);
                }
                let len = bytes::u32_at(a, pcapng::field::LEN, ng.be) as usize;
                if len < pcapng::MIN_BLOCK_LEN || len > a.len() {
                    return Ok(None);
                }
            }
            let off = input.offset();
            let fail = |e: RawError| Err((e, off));
            let io = |e: std::io::Error| (RawError::from(e), off);
            if !input.fill(8).map_err(io)? {
                let left = input.avail().len();
                if left == 0 {
                    return Ok(None);
                }
                return fail(RawError::Truncated(format!(
                    "pcapng block header: {left} of 8 bytes"
                )));
            }
            let head = input.avail();
            let btype = bytes::u32_at(head, pcapng::field::TYPE, ng.be);
            if btype == pcapng::BT_SHB {
                if !input.fill(12).map_err(io)? {
                    return fail(RawError::Truncated("pcapng section header".into()));
                }
                match pcapng::shb_byte_order(input.avail()) {
                    Some(be) => ng.be = be,
                    None => {
                        return fail(RawError::Corrupt(
                            "pcapng section header without the byte-order magic".into(),
                        ))
                    }
                }
            }
            let be = ng.be;
            let len = bytes::u32_at(input.avail(), pcapng::field::LEN, be);
            if (len as usize) < pcapng::MIN_BLOCK_LEN {
                return fail(RawError::Corrupt(format!(
                    "pcapng block (type {btype:#x}) length {len} is below the minimum of 12"
                )));
            }
            if len & 3 != 0 {
                return fail(RawError::Corrupt(format!(
                    "pcapng block (type {btype:#x}) length {len} is not a multiple of 4"
                )));
            }
            if len > MAX_BLOCK_LEN {
                return fail(RawError::Corrupt(format!(
                    "pcapng block (type {btype:#x}) length {len} exceeds the {MAX_BLOCK_LEN}-byte limit"
                )));
            }
            let len = len as usize;
            if !input.fill(len).map_err(io)? {
                return fail(RawError::Truncated(format!(
                    "pcapng block (type {btype:#x}) of {len} bytes: {} bytes left",
                    input.avail().len()
                )));
            }
            let start = input.pos;
            let b = input.avail().get(..len).unwrap_or(&[]);
            let trailer = bytes::u32_at(b, len - 4, be) as usize;
            if trailer != len {
                return fail(RawError::Corrupt(format!(
                    "pcapng block (type {btype:#x}) trailing length {trailer} differs from leading length {len}"
                )));
            }
            match btype {
                pcapng::BT_EPB | pcapng::BT_PB => {
                    if len < pcapng::EPB_MIN_LEN {
                        return fail(RawError::Corrupt(format!(
                            "packet block of {len} bytes is below the minimum of 32"
                        )));
                    }
                    let iface = if btype == pcapng::BT_EPB {
                        bytes::u32_at(b, pcapng::field::EPB_IFACE, be)
                    } else {
                        bytes::u16_at(b, pcapng::field::PB_IFACE, be) as u32
                    };
                    let caplen = bytes::u32_at(b, pcapng::field::EPB_CAPLEN, be);
                    let orig_len = bytes::u32_at(b, pcapng::field::EPB_ORIGLEN, be);
                    let ts = ((bytes::u32_at(b, pcapng::field::EPB_TS_HIGH, be) as u64) << 32)
                        | bytes::u32_at(b, pcapng::field::EPB_TS_LOW, be) as u64;
                    let Some(ifc) = ng.interfaces.get(iface as usize) else {
                        return fail(RawError::Corrupt(format!(
                            "packet on interface {iface} but the section describes {}",
                            ng.interfaces.len()
                        )));
                    };
                    if caplen > MAX_CAPLEN {
                        return fail(RawError::Corrupt(format!(
                            "captured length {caplen} exceeds the {MAX_CAPLEN}-byte limit"
                        )));
                    }
                    if caplen as usize > len - pcapng::EPB_MIN_LEN {
                        return fail(RawError::Corrupt(format!(
                            "captured length {caplen} does not fit in a block of {len} bytes"
                        )));
                    }
                    let data = start + pcapng::field::EPB_DATA;
                    input.consume(len);
                    return Ok(Some(Rec {
                        start: data,
                        end: data + caplen as usize,
                        ts_ns: ifc.ts.to_ns(ts),
                        orig_len,
                        linktype: ifc.linktype,
                        offset: off,
                    }));
                }
                pcapng::BT_SPB => {
                    if len < pcapng::SPB_MIN_LEN {
                        return fail(RawError::Corrupt(format!(
                            "simple packet block of {len} bytes is below the minimum of 16"
                        )));
                    }
                    let Some(ifc) = ng.interfaces.first() else {
                        return fail(RawError::Corrupt(
                            "simple packet block before any interface description".into(),
                        ));
                    };
                    let orig_len = bytes::u32_at(b, pcapng::field::SPB_ORIGLEN, be);
                    let mut caplen = (len - pcapng::SPB_MIN_LEN).min(orig_len as usize);
                    if ifc.snaplen != 0 {
                        caplen = caplen.min(ifc.snaplen as usize);
                    }
                    if caplen > MAX_CAPLEN as usize {
                        return fail(RawError::Corrupt(format!(
                            "captured length {caplen} exceeds the {MAX_CAPLEN}-byte limit"
                        )));
                    }
                    let data = start + pcapng::field::SPB_DATA;
                    input.consume(len);
                    return Ok(Some(Rec {
                        start: data,
                        end: data + caplen,
                        // SPBs carry no timestamp.
                        ts_ns: 0,
                        orig_len,
                        linktype: ifc.linktype,
                        offset: off,
                    }));
                }
                pcapng::BT_SHB => {
                    if len < pcapng::SHB_MIN_LEN {
                        return fail(RawError::Corrupt(format!(
                            "pcapng section header of {len} bytes is below the minimum of 28"
                        )));
                    }
                    let major = pcapng::shb_major(b, be);
                    if major != 1 {
                        return fail(RawError::Corrupt(format!(
                            "pcapng major version {major} is not supported"
                        )));
                    }
                    ng.interfaces.clear();
                }
                pcapng::BT_IDB => {
                    if ng.interfaces.len() >= MAX_INTERFACES {
                        return fail(RawError::Corrupt(format!(
                            "more than {MAX_INTERFACES} interfaces in one section"
                        )));
                    }
                    match pcapng::parse_idb(b, be) {
                        Ok(i) => ng.interfaces.push(i),
                        Err(what) => return fail(RawError::Corrupt(what)),
                    }
                }
                _ => {}
            }
            input.consume(len);
        }
    }
}

/// The next pcap record if it is whole in the buffer and sound, without
/// reading input (so earlier records' bytes stay where they are); `None`
/// otherwise, consuming nothing ([`pcap_next`] then reads or reports).
#[inline(always)]
fn pcap_next_buffered(input: &mut Input, h: &pcap::PcapHeader) -> Option<Rec> {
    let hl = h.rec_hdr_len;
    let avail = input.avail();
    if avail.len() < hl {
        return None;
    }
    let mut r = pcap::RecordHeader::parse(avail, h.be);
    r.fix_old_lengths(h);
    if r.incl_len > MAX_CAPLEN || avail.len() - hl < r.incl_len as usize {
        return None;
    }
    let offset = input.offset();
    let start = input.pos + hl;
    input.consume(hl + r.incl_len as usize);
    Some(Rec {
        start,
        end: start + r.incl_len as usize,
        ts_ns: r.ts_ns(h.nano),
        orig_len: r.orig_len,
        linktype: h.linktype,
        offset,
    })
}

#[inline(always)]
fn pcap_next(input: &mut Input, h: &pcap::PcapHeader) -> RecResult {
    if let Some(rec) = pcap_next_buffered(input, h) {
        return Ok(Some(rec));
    }
    let off = input.offset();
    let hl = h.rec_hdr_len;
    let io = |e: std::io::Error| (RawError::from(e), off);
    if !input.fill(hl).map_err(io)? {
        let left = input.avail().len();
        if left == 0 {
            return Ok(None);
        }
        return Err((
            RawError::Truncated(format!("pcap record header: {left} of {hl} bytes")),
            off,
        ));
    }
    let mut r = pcap::RecordHeader::parse(input.avail(), h.be);
    r.fix_old_lengths(h);
    if r.incl_len > MAX_CAPLEN {
        return Err((
            RawError::Corrupt(format!(
                "captured length {} exceeds the {MAX_CAPLEN}-byte limit",
                r.incl_len
            )),
            off,
        ));
    }
    let total = hl + r.incl_len as usize;
    if !input.fill(total).map_err(io)? {
        return Err((
            RawError::Truncated(format!(
                "pcap record of {} bytes: {} bytes left",
                r.incl_len,
                input.avail().len().saturating_sub(hl)
            )),
            off,
        ));
    }
    let start = input.pos + hl;
    input.consume(total);
    Ok(Some(Rec {
        start,
        end: start + r.incl_len as usize,
        ts_ns: r.ts_ns(h.nano),
        orig_len: r.orig_len,
        linktype: h.linktype,
        offset: off,
    }))
}

/// Name a few well-known non-capture magics for a better message.
fn describe_magic(b: &[u8], gzip: bool) -> String {
    let hex: Vec<String> = b.iter().take(4).map(|x| format!("{x:02x}")).collect();
    let hex = hex.join(" ");
    let known = if b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        " (zstd-compressed: decompress it first)"
    } else if b.starts_with(&[0xfd, b'7', b'z', b'X']) {
        " (xz-compressed: decompress it first)"
    } else if b.starts_with(b"BZh") {
        " (bzip2-compressed: decompress it first)"
    } else if b.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        " (lz4-compressed: decompress it first)"
    } else if b.starts_with(b"snoo") {
        " (snoop format is not supported)"
    } else {
        ""
    };
    let inner = if gzip { "gzip stream holds " } else { "" };
    format!("{inner}unknown magic {hex}{known}")
}

/// Packets per [`CaptureReader::next_batch`] the sensor (and the floor)
/// read.
pub const BATCH: usize = 32;

/// Read every record of `path` and do nothing else: the read-only floor of
/// the sensor for benchmarks. Returns (packets, captured bytes).
pub fn read_floor(path: &Path) -> Result<(u64, u64), CaptureError> {
    let mut r = CaptureReader::open(path)?;
    let mut packets = 0u64;
    let mut bytes = 0u64;
    // the same reads the sensor makes
    loop {
        let b = r.next_batch(BATCH)?;
        if b.is_empty() {
            break;
        }
        for i in 0..b.len() {
            packets += 1;
            bytes += b.get(i).data.len() as u64;
        }
    }
    Ok((packets, bytes))
}

/// Most directory levels [`expand_inputs`] descends.
pub const MAX_DIR_DEPTH: usize = 32;

/// Expand files and directories (recursively) into the capture files to
/// read, ordered by the timestamp of each file's first packet (files
/// without packets last; ties by path).
///
/// Paths named explicitly that cannot be opened as captures are returned
/// as errors. Inside directories, files that are not captures at all
/// (unknown magic: READMEs, manifests) are skipped silently; other failures
/// are returned as errors. Symbolic links to directories are not followed.
pub fn expand_inputs(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<CaptureError>) {
    let e = expand_inputs_reporting(paths);
    (e.files, e.errors)
}

/// What [`expand_inputs_reporting`] found.
#[derive(Debug, Default)]
pub struct Expanded {
    /// captures to read, in order
    pub files: Vec<PathBuf>,
    /// inputs that cannot be read (a directory with no capture is one)
    pub errors: Vec<CaptureError>,
    /// files in a directory named like a capture (`.pcap`, `.pcapng`,
    /// `.cap`, `.gz`, …) that are not one, with the reason; other
    /// non-capture files of a directory are skipped without a word
    pub skipped: Vec<CaptureError>,
}

/// Whether a file name says "capture".
fn capture_named(p: &Path) -> bool {
    let n = p
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let n = n.strip_suffix(".gz").unwrap_or(&n);
    [".pcap", ".pcapng", ".cap", ".ntar", ".dmp", ".gz"]
        .iter()
        .any(|x| n.ends_with(x))
}

/// [`expand_inputs`], also telling which files of a directory were
/// skipped and why. A FIFO or other non-regular file is not peeked at
/// (reading it would consume it): it is read first, like stdin.
pub fn expand_inputs_reporting(paths: &[PathBuf]) -> Expanded {
    let mut found: Vec<(Option<i64>, PathBuf)> = Vec::new();
    let mut errors = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        if p.as_os_str() != "-" && p.is_dir() {
            let mut files = Vec::new();
            walk(p, 0, &mut files, &mut errors);
            files.sort();
            let before = found.len();
            for f in files {
                match first_ts(&f) {
                    Ok(ts) => found.push((ts, f)),
                    Err(e) if e.is_not_a_capture() => {
                        if capture_named(&f) {
                            skipped.push(e);
                        }
                    }
                    Err(e) => errors.push(e),
                }
            }
            if found.len() == before {
                errors.push(CaptureError::Io {
                    file: p.display().to_string(),
                    offset: None,
                    packet: 1,
                    source: std::io::Error::other("no capture file in this directory"),
                });
            }
        } else if p.as_os_str() == "-"
            || std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir())
        {
            // stdin or a FIFO cannot be peeked without consuming it; keep
            // it first.
            found.push((Some(i64::MIN), p.clone()));
        } else {
            match first_ts(p) {
                Ok(ts) => found.push((ts, p.clone())),
                Err(e) => errors.push(e),
            }
        }
    }
    found.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    Expanded {
        files: found.into_iter().map(|(_, p)| p).collect(),
        errors,
        skipped,
    }
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, errors: &mut Vec<CaptureError>) {
    let name = dir.display().to_string();
    if depth > MAX_DIR_DEPTH {
        errors.push(CaptureError::Io {
            file: name,
            offset: None,
            packet: 1,
            source: std::io::Error::other(format!(
                "directory nesting deeper than {MAX_DIR_DEPTH} levels"
            )),
        });
        return;
    }
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(source) => {
            errors.push(CaptureError::Io {
                file: name,
                offset: None,
                packet: 1,
                source,
            });
            return;
        }
    };
    for entry in rd.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, depth + 1, out, errors);
        } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
            out.push(path);
        }
    }
}

/// Timestamp of the first packet, `None` if the file has none or the first
/// record is unreadable (reading it will report that).
fn first_ts(path: &Path) -> Result<Option<i64>, CaptureError> {
    let mut r = CaptureReader::open(path)?;
    Ok(r.next_packet().ok().flatten().map(|p| p.ts_ns))
}

#[cfg(test)]
mod tests;
