//! COTP, the ISO 8073 / X.224 connection-oriented transport (class 0 as
//! carried in TPKT): TPDU header view and representation, DT reassembly,
//! and the content walk both S7comm and MMS probes start with.
//!
//! ```text
//! LI(1)  TYPE(1) ...                       LI = header length after LI
//! DT:    02 F0 NR|EOT                      EOT = 0x80, NR = 7-bit number
//! CR/CC: LI E0/D0 DST-REF(2) SRC-REF(2) CLASS(1) params (code, len, value):
//!        C1 calling TSAP, C2 called TSAP, C0 TPDU size (2^n)
//! DR/DC/ER/ED/EA/RJ/AK: type in the high nibble
//! ```

use super::tpkt;
use reefwatch_applayer::ProbeResult;

/// Byte ranges of a TPDU header.
pub mod field {
    use core::ops::Range;
    pub const LI: usize = 0;
    pub const TYPE: usize = 1;
    /// DT: TPDU number and EOT bit.
    pub const DT_NR: usize = 2;
    /// CR/CC fixed part after the type: references and class.
    pub const DST_REF: Range<usize> = 2..4;
    pub const SRC_REF: Range<usize> = 4..6;
    pub const CLASS: usize = 6;
    /// CR/CC: first variable-part parameter (after LI, type, refs, class).
    pub const CONNECT_PARAMS: usize = 7;
}

/// TPDU codes (high nibble of the type octet).
pub mod code {
    pub const CR: u8 = 0xe0;
    pub const CC: u8 = 0xd0;
    pub const DR: u8 = 0x80;
    pub const DC: u8 = 0xc0;
    pub const DT: u8 = 0xf0;
    pub const ER: u8 = 0x70;
    pub const ED: u8 = 0x10;
    pub const EA: u8 = 0x20;
    pub const RJ: u8 = 0x50;
    pub const AK: u8 = 0x60;
}

/// CR/CC parameter codes.
pub mod param {
    pub const TPDU_SIZE: u8 = 0xc0;
    pub const CALLING_TSAP: u8 = 0xc1;
    pub const CALLED_TSAP: u8 = 0xc2;
}

/// DT header length indicator (class 0).
pub const DT_LI: usize = 2;
/// EOT bit of the DT number octet.
pub const EOT: u8 = 0x80;
/// CR/CC variable-part parameters read at most.
pub const MAX_CONNECT_PARAMS: usize = 16;
/// Largest DT-reassembled user data kept per direction.
pub const MAX_REASSEMBLED: usize = 65536;
/// TPKT packets a probe walks before the first DT.
pub const MAX_PROBE_TPDUS: usize = 8;

/// Zero-copy view of a TPDU: the length indicator and the header it
/// announces are in the buffer.
#[derive(Debug, Clone, Copy)]
pub struct CotpHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> CotpHeader<T> {
    /// `None` when the LI is 0 (no type octet) or its header is cut.
    pub fn new_checked(buffer: T) -> Option<Self> {
        let b = buffer.as_ref();
        let li = *b.get(field::LI)? as usize;
        if li == 0 || b.len() < 1 + li {
            return None;
        }
        Some(CotpHeader { buffer })
    }
    pub fn li(&self) -> usize {
        self.buffer.as_ref()[field::LI] as usize
    }
    pub fn pdu_type(&self) -> u8 {
        self.buffer.as_ref()[field::TYPE]
    }
    /// The header after the LI octet (type first).
    pub fn header(&self) -> &[u8] {
        &self.buffer.as_ref()[1..1 + self.li()]
    }
    /// The user data after the header.
    pub fn user_data(&self) -> &[u8] {
        &self.buffer.as_ref()[1 + self.li()..]
    }
}

/// A COTP TPDU (the representation; borrows its TSAPs and user data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cotp<'a> {
    /// Data: EOT flag, TPDU number, user data.
    Data {
        eot: bool,
        tpdu_nr: u8,
        data: &'a [u8],
    },
    /// Connection request/confirm (0xE0 / 0xD0) with TSAPs.
    Connect {
        confirm: bool,
        calling_tsap: Option<&'a [u8]>,
        called_tsap: Option<&'a [u8]>,
        tpdu_size: Option<u8>,
    },
    /// Other TPDU types (DR, DC, ER, ED …).
    Other { pdu_type: u8 },
}

impl<'a> Cotp<'a> {
    /// `None` when the header is cut (LI 0, LI past the data, a DT without
    /// its number octet).
    pub fn parse(b: &'a [u8]) -> Option<Cotp<'a>> {
        let h = CotpHeader::new_checked(b)?;
        let t = h.pdu_type();
        let hdr = &b[1..1 + h.li()];
        match t & 0xf0 {
            code::DT => {
                let nr = *hdr.get(field::DT_NR - 1)?;
                Some(Cotp::Data {
                    eot: nr & EOT != 0,
                    tpdu_nr: nr & 0x7f,
                    data: &b[1 + h.li()..],
                })
            }
            code::CR | code::CC => {
                let mut calling = None;
                let mut called = None;
                let mut size = None;
                let mut p = hdr.get(field::CONNECT_PARAMS - 1..).unwrap_or(&[]);
                for _ in 0..MAX_CONNECT_PARAMS {
                    if p.len() < 2 {
                        break;
                    }
                    let (c, l) = (p[0], p[1] as usize);
                    let Some(v) = p.get(2..2 + l) else { break };
                    match c {
                        param::CALLING_TSAP => calling = Some(v),
                        param::CALLED_TSAP => called = Some(v),
                        param::TPDU_SIZE => size = v.first().copied(),
                        _ => {}
                    }
                    p = &p[2 + l..];
                }
                Some(Cotp::Connect {
                    confirm: t & 0xf0 == code::CC,
                    calling_tsap: calling,
                    called_tsap: called,
                    tpdu_size: size,
                })
            }
            _ => Some(Cotp::Other { pdu_type: t }),
        }
    }
}

pub fn cotp_type_name(t: u8) -> &'static str {
    match t & 0xf0 {
        code::CR => "CR",
        code::CC => "CC",
        code::DR => "DR",
        code::DC => "DC",
        code::DT => "DT",
        code::ER => "ER",
        code::ED => "ED",
        code::EA => "EA",
        code::RJ => "RJ",
        code::AK => "AK",
        _ => "unknown",
    }
}

/// DT user data joined across TPDUs without EOT, bounded by
/// [`MAX_REASSEMBLED`]; one per direction.
#[derive(Debug, Default)]
pub struct Reassembly {
    buf: Vec<u8>,
}

/// What [`Reassembly::push`] made of a DT.
#[derive(Debug, PartialEq, Eq)]
pub enum Joined {
    /// Not the last TPDU of the message: kept.
    Pending,
    /// The message is the DT's own user data (nothing was kept before).
    Whole,
    /// The message is in the buffer returned by [`Reassembly::take`].
    Buffered,
    /// Past [`MAX_REASSEMBLED`]: what was kept is dropped.
    TooLarge,
}

impl Reassembly {
    pub fn push(&mut self, eot: bool, data: &[u8]) -> Joined {
        if !eot {
            if self.buf.len() + data.len() > MAX_REASSEMBLED {
                self.buf.clear();
                return Joined::TooLarge;
            }
            self.buf.extend_from_slice(data);
            return Joined::Pending;
        }
        if self.buf.is_empty() {
            return Joined::Whole;
        }
        if self.buf.len() + data.len() > MAX_REASSEMBLED {
            self.buf.clear();
            return Joined::TooLarge;
        }
        self.buf.extend_from_slice(data);
        Joined::Buffered
    }

    /// The joined message after [`Joined::Buffered`]; hand it back with
    /// [`Reassembly::restore`] so its allocation is reused.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    pub fn restore(&mut self, mut buf: Vec<u8>) {
        buf.clear();
        self.buf = buf;
    }

    /// Drop a partial message (gap in the stream).
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

/// The first DT of a stream, as far as buffered: its user data, the user
/// data length the TPDU announces, and its EOT flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstData<'a> {
    pub data: &'a [u8],
    pub total: usize,
    pub eot: bool,
}

/// Content walk over the TPKT packets buffered so far: version 3, reserved
/// 0, sane lengths, COTP with a consistent LI. Connection TPDUs (CR, CC,
/// DR, DC, ER) prove nothing and are stepped over; the first DT is
/// returned for the protocol to judge. `Err` is the probe's answer when
/// there is no DT to judge (need more, or not ISO transport).
pub fn first_data(mut d: &[u8]) -> Result<FirstData<'_>, ProbeResult> {
    for _ in 0..MAX_PROBE_TPDUS {
        if d.is_empty() {
            return Err(ProbeResult::NeedMore);
        }
        if d[tpkt::field::VERSION] != tpkt::VERSION
            || d.get(tpkt::field::RESERVED).is_some_and(|&x| x != 0)
        {
            return Err(ProbeResult::NoMatch);
        }
        if d.len() < tpkt::HEADER_LEN + 3 {
            return Err(ProbeResult::NeedMore);
        }
        let len = u16::from_be_bytes([d[2], d[3]]) as usize;
        let li = d[tpkt::HEADER_LEN] as usize;
        // COTP header (li bytes after the LI octet) within the TPKT
        if len < tpkt::HEADER_LEN + 3 || li < 2 || tpkt::HEADER_LEN + 1 + li > len {
            return Err(ProbeResult::NoMatch);
        }
        let t = d[tpkt::HEADER_LEN + 1];
        match t & 0xf0 {
            code::DT => {
                if li != DT_LI {
                    return Err(ProbeResult::NoMatch);
                }
                let eot = d[tpkt::HEADER_LEN + 2] & EOT != 0;
                let start = tpkt::HEADER_LEN + 1 + DT_LI;
                let end = len.min(d.len());
                return Ok(FirstData {
                    data: &d[start..end],
                    total: len - start,
                    eot,
                });
            }
            // CR, CC, DR, DC, ER: fixed part of at least 6 octets
            code::CR | code::CC | code::DR | code::DC | code::ER if li >= 6 => {}
            _ => return Err(ProbeResult::NoMatch),
        }
        if d.len() < len {
            return Err(ProbeResult::NeedMore);
        }
        d = &d[len..];
    }
    Err(ProbeResult::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dt_view_and_repr() {
        let b = [
            0x02, // LI 2
            0xf0, // DT
            0x80, // EOT, TPDU number 0
            0x32, 0x01, // user data
        ];
        let h = CotpHeader::new_checked(&b[..]).unwrap();
        assert_eq!((h.li(), h.pdu_type()), (2, 0xf0));
        assert_eq!(h.header(), &[0xf0, 0x80]);
        assert_eq!(h.user_data(), &[0x32, 0x01]);
        assert_eq!(
            Cotp::parse(&b),
            Some(Cotp::Data {
                eot: true,
                tpdu_nr: 0,
                data: &[0x32, 0x01]
            })
        );
        // DT without EOT, TPDU number 5
        assert_eq!(
            Cotp::parse(&[0x02, 0xf0, 0x05]),
            Some(Cotp::Data {
                eot: false,
                tpdu_nr: 5,
                data: &[]
            })
        );
        // LI 1: a DT without its number octet
        assert_eq!(Cotp::parse(&[0x01, 0xf0]), None);
        // LI 0 (ITI mms-killRequest.pcap frame 6: 00 d0 80): no type octet
        assert_eq!(Cotp::parse(&[0x00, 0xd0, 0x80]), None);
        assert!(CotpHeader::new_checked(&[0x00u8][..]).is_none());
        // LI past the data
        assert_eq!(Cotp::parse(&[0x05, 0xf0, 0x80]), None);
        assert_eq!(Cotp::parse(&[]), None);
    }

    #[test]
    fn connect_tsaps() {
        let b = [
            0x11, // LI 17
            0xe0, // CR
            0x00, 0x00, // dst-ref
            0x00, 0x01, // src-ref
            0x00, // class 0
            0xc0, 0x01, 0x0a, // TPDU size 2^10
            0xc1, 0x02, 0x01, 0x00, // calling TSAP 0100
            0xc2, 0x02, 0x01, 0x02, // called TSAP 0102
        ];
        let Some(Cotp::Connect {
            confirm,
            calling_tsap,
            called_tsap,
            tpdu_size,
        }) = Cotp::parse(&b)
        else {
            panic!()
        };
        assert!(!confirm);
        assert_eq!(calling_tsap, Some(&[0x01, 0x00][..]));
        assert_eq!(called_tsap, Some(&[0x01, 0x02][..]));
        assert_eq!(tpdu_size, Some(0x0a));
        // a parameter length past the header stops the walk
        let mut cut = b;
        cut[15] = 9;
        let Some(Cotp::Connect { called_tsap, .. }) = Cotp::parse(&cut) else {
            panic!()
        };
        assert_eq!(called_tsap, None);
        // DR: other
        assert_eq!(
            Cotp::parse(&[0x06, 0x80, 0, 1, 0, 2, 0]),
            Some(Cotp::Other { pdu_type: 0x80 })
        );
        assert_eq!(cotp_type_name(0x80), "DR");
        assert_eq!(cotp_type_name(0xd0), "CC");
        assert_eq!(cotp_type_name(0x00), "unknown");
    }

    #[test]
    fn reassembly_bounded() {
        let mut r = Reassembly::default();
        assert_eq!(r.push(true, b"x"), Joined::Whole);
        assert_eq!(r.push(false, b"ab"), Joined::Pending);
        assert_eq!(r.push(true, b"cd"), Joined::Buffered);
        let m = r.take();
        assert_eq!(m, b"abcd");
        r.restore(m);
        assert_eq!(r.push(true, b"x"), Joined::Whole);
        let big = vec![0u8; MAX_REASSEMBLED];
        assert_eq!(r.push(false, &big), Joined::Pending);
        assert_eq!(r.push(false, b"y"), Joined::TooLarge);
        assert_eq!(r.push(true, b"z"), Joined::Whole);
        assert_eq!(r.push(false, &big), Joined::Pending);
        assert_eq!(r.push(true, b"z"), Joined::TooLarge);
        assert_eq!(r.push(false, b"q"), Joined::Pending);
        r.clear();
        assert_eq!(r.push(true, b"z"), Joined::Whole);
    }

    #[test]
    fn walk_to_first_dt() {
        // ITI IEC61850/iec.pcap frame 13: CR (TPKT 19, LI 14), then a DT
        let cr = [
            0x03, 0x00, 0x00, 0x13, // TPKT, length 19
            0x0e, 0xe0, 0x00, 0x00, 0x00, 0x06, 0x00, // LI 14, CR, refs, class 0
            0xc1, 0x02, 0x00, 0x02, 0xc2, 0x02, 0x00, 0x01, // TSAPs
        ];
        let dt = [
            0x03, 0x00, 0x00, 0x0a, // TPKT, length 10
            0x02, 0xf0, 0x80, // DT, EOT
            0x0d, 0xad, 0x05, // first user data bytes (session CONNECT)
        ];
        assert_eq!(first_data(&cr), Err(ProbeResult::NeedMore));
        let both = [&cr[..], &dt[..]].concat();
        assert_eq!(
            first_data(&both),
            Ok(FirstData {
                data: &[0x0d, 0xad, 0x05],
                total: 3,
                eot: true
            })
        );
        // cut inside the DT: what is there, and the announced total
        assert_eq!(first_data(&both[..27]).unwrap().data, &[0x0d]);
        assert_eq!(first_data(&both[..27]).unwrap().total, 3);
        assert_eq!(first_data(&dt[..5]), Err(ProbeResult::NeedMore));
        assert_eq!(first_data(b"GET /"), Err(ProbeResult::NoMatch));
        // reserved octet not 0
        assert_eq!(first_data(&[3, 1, 0, 10]), Err(ProbeResult::NoMatch));
        // DT with LI 3
        assert_eq!(
            first_data(&[3, 0, 0, 8, 3, 0xf0, 0x80, 0]),
            Err(ProbeResult::NoMatch)
        );
        // COTP LI 0 (tshark: tpkt:data)
        assert_eq!(
            first_data(&[3, 0, 0, 5, 0, 0xd0, 0x80]),
            Err(ProbeResult::NoMatch)
        );
    }
}
