//! Classic libpcap file format: 24-byte file header, then records of a
//! 16-byte header (24 for the "modified" Kuznetzov variant) plus data.
//!
//! ```text
//! file header            record header
//!  0..4   magic           0..4   ts_sec   (unsigned seconds)
//!  4..6   version major   4..8   ts_usec / ts_nsec (by magic)
//!  6..8   version minor   8..12  incl_len (captured bytes that follow)
//!  8..12  thiszone        12..16 orig_len (length on the wire)
//! 12..16  sigfigs        [16..24 modified format only: ifindex, protocol,
//! 16..20  snaplen                 pkt_type, pad]
//! 20..24  linktype (low 26 bits; top bits carry FCS information)
//! ```

use crate::bytes::u32_at;

/// Magic as read little-endian from a little-endian file, microseconds.
pub(crate) const MAGIC_MICRO: u32 = 0xa1b2_c3d4;
/// Nanosecond-resolution magic.
pub(crate) const MAGIC_NANO: u32 = 0xa1b2_3c4d;
/// Alexey Kuznetzov's "modified" pcap: 8 more bytes per record header.
pub(crate) const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

pub(crate) const FILE_HEADER_LEN: usize = 24;
pub(crate) const RECORD_HEADER_LEN: usize = 16;
pub(crate) const MODIFIED_RECORD_HEADER_LEN: usize = 24;

pub(crate) mod field {
    use std::ops::Range;
    pub const MAGIC: Range<usize> = 0..4;
    pub const SNAPLEN: usize = 16;
    pub const LINKTYPE: usize = 20;
    pub const VERSION_MAJOR: usize = 4;
    pub const VERSION_MINOR: usize = 6;
    // record header
    pub const TS_SEC: usize = 0;
    pub const TS_FRAC: usize = 4;
    pub const INCL_LEN: usize = 8;
    pub const ORIG_LEN: usize = 12;
}

/// Link-type field: the low 26 bits; bits 26..32 hold FCS-length info.
const LINKTYPE_MASK: u32 = 0x03FF_FFFF;

/// Parsed pcap file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PcapHeader {
    pub be: bool,
    pub nano: bool,
    /// Length of each record header (16, or 24 for the modified format).
    pub rec_hdr_len: usize,
    pub version: (u16, u16),
    pub snaplen: u32,
    pub linktype: u32,
    /// Version 2.0..=2.3: writers before 2.3 stored `orig_len` where
    /// `incl_len` belongs and vice versa (libpcap and Wireshark swap them
    /// back: always before 2.3, when `incl_len > orig_len` in 2.3).
    pub old_lengths: bool,
}

/// Recognise a pcap magic in the first four bytes: `Some((big_endian,
/// nano, modified))`.
pub(crate) fn magic_kind(b: &[u8]) -> Option<(bool, bool, bool)> {
    let m = b.get(field::MAGIC)?;
    let le = u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
    let be = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
    for (v, is_be) in [(le, false), (be, true)] {
        match v {
            MAGIC_MICRO => return Some((is_be, false, false)),
            MAGIC_NANO => return Some((is_be, true, false)),
            MAGIC_MODIFIED => return Some((is_be, false, true)),
            _ => {}
        }
    }
    None
}

impl PcapHeader {
    /// Parse the 24-byte file header; `None` if `b` is too short or the
    /// magic is not a pcap magic.
    pub(crate) fn parse(b: &[u8]) -> Option<PcapHeader> {
        if b.len() < FILE_HEADER_LEN {
            return None;
        }
        let (be, nano, modified) = magic_kind(b)?;
        let u16_at = |off: usize| crate::bytes::u16_at(b, off, be);
        let version = (u16_at(field::VERSION_MAJOR), u16_at(field::VERSION_MINOR));
        Some(PcapHeader {
            old_lengths: version.0 == 2 && version.1 <= 3,
            be,
            nano,
            rec_hdr_len: if modified {
                MODIFIED_RECORD_HEADER_LEN
            } else {
                RECORD_HEADER_LEN
            },
            version,
            snaplen: u32_at(b, field::SNAPLEN, be),
            linktype: u32_at(b, field::LINKTYPE, be) & LINKTYPE_MASK,
        })
    }
}

/// Fields of one record header (`b` must hold at least 16 bytes; shorter
/// input yields zeros, never a panic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordHeader {
    pub ts_sec: u32,
    pub ts_frac: u32,
    pub incl_len: u32,
    pub orig_len: u32,
}

impl RecordHeader {
    #[inline(always)]
    pub(crate) fn parse(b: &[u8], be: bool) -> RecordHeader {
        RecordHeader {
            ts_sec: u32_at(b, field::TS_SEC, be),
            ts_frac: u32_at(b, field::TS_FRAC, be),
            incl_len: u32_at(b, field::INCL_LEN, be),
            orig_len: u32_at(b, field::ORIG_LEN, be),
        }
    }

    /// Undo the length swap of pre-2.3 writers (see
    /// [`PcapHeader::old_lengths`]).
    #[inline(always)]
    pub(crate) fn fix_old_lengths(&mut self, h: &PcapHeader) {
        if h.old_lengths && (h.version.1 < 3 || self.incl_len > self.orig_len) {
            std::mem::swap(&mut self.incl_len, &mut self.orig_len);
        }
    }

    /// Nanoseconds since the epoch. Cannot overflow: u32 seconds * 1e9 plus
    /// u32 fraction * 1000 stays far below `i64::MAX`.
    #[inline(always)]
    pub(crate) fn ts_ns(&self, nano: bool) -> i64 {
        let frac = if nano {
            self.ts_frac as i64
        } else {
            self.ts_frac as i64 * 1000
        };
        self.ts_sec as i64 * 1_000_000_000 + frac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Little-endian, microsecond pcap header, snaplen 65535, Ethernet.
    const HDR_LE: [u8; 24] = [
        0xd4, 0xc3, 0xb2, 0xa1, // magic (LE micro)
        0x02, 0x00, 0x04, 0x00, // version 2.4
        0x00, 0x00, 0x00, 0x00, // thiszone
        0x00, 0x00, 0x00, 0x00, // sigfigs
        0xff, 0xff, 0x00, 0x00, // snaplen 65535
        0x01, 0x00, 0x00, 0x00, // linktype 1 (Ethernet)
    ];

    /// Big-endian, nanosecond pcap header, snaplen 262144, raw IP (101),
    /// with FCS bits set in the link-type field.
    const HDR_BE_NANO: [u8; 24] = [
        0xa1, 0xb2, 0x3c, 0x4d, // magic (BE nano)
        0x00, 0x02, 0x00, 0x04, // version 2.4
        0x00, 0x00, 0x00, 0x00, // thiszone
        0x00, 0x00, 0x00, 0x00, // sigfigs
        0x00, 0x04, 0x00, 0x00, // snaplen 262144
        0x14, 0x00, 0x00, 0x65, // FCS flag bits + linktype 101
    ];

    #[test]
    fn header_le_micro() {
        let h = PcapHeader::parse(&HDR_LE).expect("pcap header");
        assert!(!h.be && !h.nano);
        assert_eq!(h.rec_hdr_len, 16);
        assert_eq!(h.version, (2, 4));
        assert_eq!(h.snaplen, 65535);
        assert_eq!(h.linktype, 1);
    }

    #[test]
    fn header_be_nano() {
        let h = PcapHeader::parse(&HDR_BE_NANO).expect("pcap header");
        assert!(h.be && h.nano);
        assert_eq!(h.snaplen, 262_144);
        assert_eq!(h.linktype, 101);
    }

    #[test]
    fn header_modified_and_short_and_bad_magic() {
        let mut m = HDR_LE;
        m[..4].copy_from_slice(&[0x34, 0xcd, 0xb2, 0xa1]);
        assert_eq!(PcapHeader::parse(&m).map(|h| h.rec_hdr_len), Some(24));
        assert_eq!(PcapHeader::parse(&HDR_LE[..23]), None);
        let mut bad = HDR_LE;
        bad[0] = 0;
        assert_eq!(PcapHeader::parse(&bad), None);
    }

    #[test]
    fn record_header_both_orders() {
        let le: [u8; 16] = [
            0x10, 0x00, 0x00, 0x00, // ts_sec 16
            0x40, 0x42, 0x0f, 0x00, // ts_usec 1_000_000 (odd but accepted)
            0x3c, 0x00, 0x00, 0x00, // incl_len 60
            0x40, 0x00, 0x00, 0x00, // orig_len 64
        ];
        let r = RecordHeader::parse(&le, false);
        assert_eq!(r.incl_len, 60);
        assert_eq!(r.orig_len, 64);
        assert_eq!(r.ts_ns(false), 17_000_000_000);
        let be: [u8; 16] = [
            0xff, 0xff, 0xff, 0xff, // ts_sec u32::MAX (year 2106)
            0xff, 0xff, 0xff, 0xff, // ts_nsec u32::MAX
            0x00, 0x00, 0x00, 0x01, // incl_len 1
            0x00, 0x00, 0x00, 0x02, // orig_len 2
        ];
        let r = RecordHeader::parse(&be, true);
        assert_eq!(r.incl_len, 1);
        assert_eq!(
            r.ts_ns(true),
            u32::MAX as i64 * 1_000_000_000 + u32::MAX as i64
        );
        assert_eq!(
            r.ts_ns(false),
            u32::MAX as i64 * 1_000_000_000 + u32::MAX as i64 * 1000
        );
    }
}
