//! pcapng (draft-ietf-opsawg-pcapng) blocks.
//!
//! ```text
//! every block                       SHB body (type 0x0A0D0D0A)
//!  0..4  block type                  8..12  byte-order magic 0x1A2B3C4D
//!  4..8  block total length (N)     12..14  major (1)  14..16 minor
//!  8..N-4 body                       16..24 section length (-1 = unknown)
//!  N-4..N block total length again   24..   options
//!
//! IDB (1)                  EPB (6)                    SPB (3)
//!  8..10  linktype          8..12  interface id        8..12 original length
//! 10..12  reserved         12..16  timestamp (high)   12..   data (interface 0)
//! 12..16  snaplen          16..20  timestamp (low)
//! 16..    options          20..24  captured length    PB (2, obsolete)
//!                          24..28  original length     8..10 interface id
//!                          28..    data, options      10..12 drops
//!                                                     12..28 as EPB 12..28
//! ```
//! Options: code u16, length u16, value padded to 4 bytes; code 0 ends.
//! IDB options used here: `if_tsresol` (9, one byte: bit 7 clear = 10^-n s,
//! set = 2^-n s; default 10^-6) and `if_tsoffset` (14, i64 seconds added
//! to every timestamp).

use crate::bytes::{u16_at, u32_at, u64_at};

pub(crate) const BT_SHB: u32 = 0x0A0D_0D0A;
pub(crate) const BT_IDB: u32 = 0x0000_0001;
pub(crate) const BT_PB: u32 = 0x0000_0002;
pub(crate) const BT_SPB: u32 = 0x0000_0003;
pub(crate) const BT_EPB: u32 = 0x0000_0006;

pub(crate) const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Smallest block: type, length, trailing length.
pub(crate) const MIN_BLOCK_LEN: usize = 12;
pub(crate) const SHB_MIN_LEN: usize = 28;
pub(crate) const IDB_MIN_LEN: usize = 20;
pub(crate) const EPB_MIN_LEN: usize = 32;
pub(crate) const SPB_MIN_LEN: usize = 16;

pub(crate) mod field {
    pub const TYPE: usize = 0;
    pub const LEN: usize = 4;
    // SHB
    pub const SHB_BOM: usize = 8;
    pub const SHB_MAJOR: usize = 12;
    // IDB
    pub const IDB_LINKTYPE: usize = 8;
    pub const IDB_SNAPLEN: usize = 12;
    pub const IDB_OPTIONS: usize = 16;
    // EPB
    pub const EPB_IFACE: usize = 8;
    pub const EPB_TS_HIGH: usize = 12;
    pub const EPB_TS_LOW: usize = 16;
    pub const EPB_CAPLEN: usize = 20;
    pub const EPB_ORIGLEN: usize = 24;
    pub const EPB_DATA: usize = 28;
    // PB (obsolete)
    pub const PB_IFACE: usize = 8;
    // SPB
    pub const SPB_ORIGLEN: usize = 8;
    pub const SPB_DATA: usize = 12;
}

pub(crate) const OPT_ENDOFOPT: u16 = 0;
pub(crate) const OPT_IF_TSRESOL: u16 = 9;
pub(crate) const OPT_IF_TSOFFSET: u16 = 14;

/// Byte order of a section from its SHB prefix (at least 12 bytes):
/// `Some(big_endian)`, `None` if the byte-order magic is wrong.
pub(crate) fn shb_byte_order(b: &[u8]) -> Option<bool> {
    if u32_at(b, field::SHB_BOM, false) == BYTE_ORDER_MAGIC && b.len() >= 12 {
        Some(false)
    } else if u32_at(b, field::SHB_BOM, true) == BYTE_ORDER_MAGIC && b.len() >= 12 {
        Some(true)
    } else {
        None
    }
}

/// Major version of a section (SHB block `b`, at least 16 bytes).
pub(crate) fn shb_major(b: &[u8], be: bool) -> u16 {
    u16_at(b, field::SHB_MAJOR, be)
}

/// Conversion of raw timestamp units to nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    /// 10^-n s with n <= 9: multiply by 10^(9-n).
    Mul(u64),
    /// 10^-n s with 9 < n <= 19: divide by 10^(n-9).
    Div(u64),
    /// 2^-n s: (units * 1e9) >> n.
    Pow2(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TsConv {
    pub scale: Scale,
    pub offset_ns: i64,
}

impl Default for TsConv {
    fn default() -> Self {
        TsConv {
            scale: Scale::Mul(1000),
            offset_ns: 0,
        }
    }
}

impl TsConv {
    /// From the `if_tsresol` byte; `Err` names the problem.
    pub(crate) fn from_tsresol(v: u8) -> Result<Scale, String> {
        let n = (v & 0x7f) as u32;
        if v & 0x80 == 0 {
            if n <= 9 {
                Ok(Scale::Mul(10u64.pow(9 - n)))
            } else if n <= 19 {
                Ok(Scale::Div(10u64.pow(n - 9)))
            } else {
                Err(format!("if_tsresol 10^-{n} is too fine"))
            }
        } else if n <= 63 {
            Ok(Scale::Pow2(n))
        } else {
            Err(format!("if_tsresol 2^-{n} is too fine"))
        }
    }

    /// Nanoseconds since the epoch, saturating at the `i64` range.
    #[inline(always)]
    pub(crate) fn to_ns(self, units: u64) -> i64 {
        let ns: u128 = match self.scale {
            Scale::Mul(m) => match units.checked_mul(m) {
                Some(v) => v as u128,
                None => units as u128 * m as u128,
            },
            Scale::Div(d) => (units / d) as u128,
            Scale::Pow2(n) => (units as u128 * 1_000_000_000u128) >> n,
        };
        let ns = if ns > i64::MAX as u128 {
            i64::MAX
        } else {
            ns as i64
        };
        ns.saturating_add(self.offset_ns)
    }
}

/// One interface of the current section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interface {
    pub linktype: u32,
    pub snaplen: u32,
    pub ts: TsConv,
}

/// Parse an IDB (`b` is the whole block, length already checked to be
/// at least [`IDB_MIN_LEN`] and equal to the block length).
pub(crate) fn parse_idb(b: &[u8], be: bool) -> Result<Interface, String> {
    if b.len() < IDB_MIN_LEN {
        return Err(format!("interface description block of {} bytes", b.len()));
    }
    let linktype = u16_at(b, field::IDB_LINKTYPE, be) as u32;
    let snaplen = u32_at(b, field::IDB_SNAPLEN, be);
    let mut ts = TsConv::default();
    let opts = b.get(field::IDB_OPTIONS..b.len() - 4).unwrap_or(&[]);
    let mut seen_resol = false;
    let mut seen_offset = false;
    for (code, val) in Options::new(opts, be) {
        match code {
            OPT_ENDOFOPT => break,
            OPT_IF_TSRESOL if !seen_resol => {
                seen_resol = true;
                if let Some(&v) = val.first() {
                    ts.scale = TsConv::from_tsresol(v)?;
                }
            }
            OPT_IF_TSOFFSET if !seen_offset && val.len() >= 8 => {
                seen_offset = true;
                let secs = u64_at(val, 0, be) as i64;
                ts.offset_ns = secs.saturating_mul(1_000_000_000);
            }
            _ => {}
        }
    }
    Ok(Interface {
        linktype,
        snaplen,
        ts,
    })
}

/// Iterator over `(code, value)` of an option list. Stops (without error:
/// options are advisory) at the end of the list or at an option whose
/// length runs past it.
pub(crate) struct Options<'a> {
    b: &'a [u8],
    be: bool,
}

impl<'a> Options<'a> {
    pub(crate) fn new(b: &'a [u8], be: bool) -> Self {
        Options { b, be }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        if self.b.len() < 4 {
            return None;
        }
        let code = u16_at(self.b, 0, self.be);
        let len = u16_at(self.b, 2, self.be) as usize;
        let val = self.b.get(4..4 + len)?;
        let padded = 4 + ((len + 3) & !3);
        self.b = self.b.get(padded..).unwrap_or(&[]);
        Some((code, val))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IDB, little-endian, Ethernet, snaplen 262144, if_tsresol = 9
    /// (nanoseconds), if_tsoffset = 100 s.
    const IDB_LE: [u8; 44] = [
        0x01, 0x00, 0x00, 0x00, // block type IDB
        0x2c, 0x00, 0x00, 0x00, // block total length 44
        0x01, 0x00, // linktype 1
        0x00, 0x00, // reserved
        0x00, 0x00, 0x04, 0x00, // snaplen 262144
        0x09, 0x00, 0x01, 0x00, // option if_tsresol, length 1
        0x09, 0x00, 0x00, 0x00, // value 9 (10^-9), padding
        0x0e, 0x00, 0x08, 0x00, // option if_tsoffset, length 8
        0x64, 0, 0, 0, 0, 0, 0, 0, // 100 seconds
        0x00, 0x00, 0x00, 0x00, // opt_endofopt
        0x2c, 0x00, 0x00, 0x00, // block total length 44
    ];

    #[test]
    fn idb_with_tsresol_and_tsoffset() {
        let i = parse_idb(&IDB_LE, false).expect("idb");
        assert_eq!(i.linktype, 1);
        assert_eq!(i.snaplen, 262_144);
        assert_eq!(i.ts.scale, Scale::Mul(1));
        assert_eq!(i.ts.offset_ns, 100_000_000_000);
        assert_eq!(i.ts.to_ns(5), 100_000_000_005);
    }

    #[test]
    fn idb_option_running_past_end_is_ignored() {
        let mut b = IDB_LE;
        b[18] = 0xff; // if_tsresol length 255: runs past the block
        let i = parse_idb(&b, false).expect("idb");
        assert_eq!(i.ts, TsConv::default());
    }

    #[test]
    fn tsresol_values() {
        assert_eq!(TsConv::from_tsresol(6), Ok(Scale::Mul(1000)));
        assert_eq!(TsConv::from_tsresol(0), Ok(Scale::Mul(1_000_000_000)));
        assert_eq!(TsConv::from_tsresol(12), Ok(Scale::Div(1000)));
        assert_eq!(TsConv::from_tsresol(0x80 | 20), Ok(Scale::Pow2(20)));
        assert!(TsConv::from_tsresol(20).is_err());
        assert!(TsConv::from_tsresol(0x80 | 64).is_err());
        // 2^-20 s units: 1.5 s = 1.5 * 2^20 units.
        let c = TsConv {
            scale: Scale::Pow2(20),
            offset_ns: 0,
        };
        assert_eq!(c.to_ns(3 << 19), 1_500_000_000);
        // 10^-12 (picoseconds)
        let c = TsConv {
            scale: Scale::Div(1000),
            offset_ns: -1_000_000_000,
        };
        assert_eq!(c.to_ns(2_000_000_000_000), 1_000_000_000);
        // Saturation, not overflow.
        let c = TsConv {
            scale: Scale::Mul(1_000_000_000),
            offset_ns: i64::MAX,
        };
        assert_eq!(c.to_ns(u64::MAX), i64::MAX);
    }

    #[test]
    fn shb_byte_orders() {
        let le = [
            0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a,
        ];
        let be = [
            0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0x1c, 0x1a, 0x2b, 0x3c, 0x4d,
        ];
        assert_eq!(shb_byte_order(&le), Some(false));
        assert_eq!(shb_byte_order(&be), Some(true));
        assert_eq!(shb_byte_order(&le[..11]), None);
        let mut bad = le;
        bad[8] = 0;
        assert_eq!(shb_byte_order(&bad), None);
    }
}
