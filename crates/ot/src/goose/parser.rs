//! IEC 61850-8-1 GOOSE on Ethernet (EtherType 0x88B8): the 8-byte header
//! GOOSE and Sampled Values share ([`Header`]), and the goosePdu read into
//! a zero-copy [`GoosePdu`] with the bounded BER reader of
//! [`crate::mms::ber`].
//!
//! ```text
//! header:   APPID(0..2) Length(2..4, from APPID to the end) Reserved1(4..6,
//!           bit 15 = Simulation, Ed. 2) Reserved2(6..8)
//! goosePdu: [APPLICATION 1] IMPLICIT SEQUENCE {           61 len
//!   gocbRef [0] VisibleString, timeAllowedToLive [1] INTEGER (ms),
//!   datSet [2] VisibleString, goID [3] VisibleString OPTIONAL,
//!   t [4] UtcTime, stNum [5], sqNum [6], simulation [7] BOOLEAN,
//!   confRev [8], ndsCom [9] BOOLEAN, numDatSetEntries [10],
//!   allData [11] SEQUENCE OF Data (MMS Data), security [12] OPTIONAL }
//! gseMngtPdu: [APPLICATION 0] (GSE management): recognised, not decoded
//! ```

use crate::mms::ber::{self, Tlv};
use reefwatch_applayer::bytes::be16;
use reefwatch_applayer::Anomalies;

pub const ETHERTYPE_GOOSE: u16 = 0x88b8;

/// Longest visible string kept (gocbRef, datSet, goID are at most 129 in
/// the standard: VisibleString129).
pub const MAX_NAME: usize = 129;

pub const A_MALFORMED: u32 = 0;
pub const A_BAD_LENGTH: u32 = 1;
pub const A_MISSING_FIELD: u32 = 2;
pub const A_ENTRIES_MISMATCH: u32 = 3;
pub const A_NAME_TOO_LONG: u32 = 4;
/// Stream checks (state.rs).
pub const A_SQNUM_RESET: u32 = 5;
pub const A_DUPLICATE: u32 = 6;
pub const A_SQNUM_GAP: u32 = 7;
pub const A_STNUM_BACK: u32 = 8;
pub const A_STNUM_GAP: u32 = 9;
pub const A_STNUM_WITHOUT_SQNUM_RESET: u32 = 10;
pub const A_TTL_EXPIRED: u32 = 11;
pub const A_NEW_SOURCE_MAC: u32 = 12;
pub const A_CONFREV_CHANGED: u32 = 13;
pub const A_GOCBREF_CHANGED: u32 = 14;

pub const ANOMALY_NAMES: &[&str] = &[
    "goose.malformed",
    "goose.bad_length",
    "goose.missing_field",
    "goose.entries_mismatch",
    "goose.name_too_long",
    "goose.sqnum_reset",
    "goose.duplicate",
    "goose.sqnum_gap",
    "goose.stnum_back",
    "goose.stnum_gap",
    "goose.stnum_without_sqnum_reset",
    "goose.ttl_expired",
    "goose.new_source_mac",
    "goose.confrev_changed",
    "goose.gocbref_changed",
];

/// The header GOOSE and Sampled Values share (IEC 61850-8-1 / 9-2).
#[derive(Clone, Copy, Debug)]
pub struct Header<'a>(&'a [u8]);

impl<'a> Header<'a> {
    pub const LEN: usize = 8;
    const APPID: usize = 0;
    const LENGTH: usize = 2;
    const RESERVED1: usize = 4;
    const RESERVED2: usize = 6;

    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::LEN).then_some(Header(b))
    }
    pub fn appid(&self) -> u16 {
        be16(self.0, Self::APPID).unwrap_or(0)
    }
    /// Octets from APPID to the end of the APDU, as the sender says.
    pub fn length(&self) -> u16 {
        be16(self.0, Self::LENGTH).unwrap_or(0)
    }
    pub fn reserved1(&self) -> u16 {
        be16(self.0, Self::RESERVED1).unwrap_or(0)
    }
    pub fn reserved2(&self) -> u16 {
        be16(self.0, Self::RESERVED2).unwrap_or(0)
    }
    /// Reserved1 bit 15 (IEC 61850-8-1 Ed. 2): the frame is simulated.
    pub fn simulated(&self) -> bool {
        self.reserved1() & 0x8000 != 0
    }
    /// The APDU: what the length announces (bounded by the frame; an
    /// Ethernet pad past it is left out), and whether the length agreed
    /// with the frame (not longer than it, not shorter than the header).
    pub fn apdu(&self) -> (&'a [u8], bool) {
        let len = self.length() as usize;
        if len < Self::LEN || len > self.0.len() {
            (&self.0[Self::LEN..], false)
        } else {
            (&self.0[Self::LEN..len], true)
        }
    }
}

/// PDU tags (first octet of the APDU).
pub const TAG_GOOSE_PDU: u8 = 0x61;
pub const TAG_GSE_MNGT_PDU: u8 = 0x60;

/// A goosePdu's fields, borrowed from the frame. Missing fields are `None`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GoosePdu<'a> {
    pub gocb_ref: Option<&'a [u8]>,
    pub time_allowed_to_live: Option<u64>,
    pub dat_set: Option<&'a [u8]>,
    pub go_id: Option<&'a [u8]>,
    /// UtcTime, 8 octets (seconds, fraction, quality)
    pub t: Option<&'a [u8]>,
    pub st_num: Option<u64>,
    pub sq_num: Option<u64>,
    pub simulation: Option<bool>,
    pub conf_rev: Option<u64>,
    pub nds_com: Option<bool>,
    pub num_dat_set_entries: Option<u64>,
    /// allData's content (MMS Data TLVs one after another)
    pub all_data: Option<&'a [u8]>,
    /// Data values in allData (top level)
    pub data_count: u64,
    pub security: bool,
}

/// What one frame's APDU is.
#[derive(Clone, Copy, Debug)]
pub enum Apdu<'a> {
    Goose(GoosePdu<'a>),
    /// GSE management (GetGoReference …), tag only
    Management,
}

/// Parse one GOOSE frame's payload (after the EtherType): the header and
/// the PDU. Sets anomaly bits in `an` for what is odd; `None` when there is
/// not even a header and a PDU tag.
pub fn parse<'a>(payload: &'a [u8], an: &mut Anomalies) -> Option<(Header<'a>, Apdu<'a>)> {
    let h = Header::new_checked(payload)?;
    let (apdu, len_ok) = h.apdu();
    if !len_ok {
        an.set(A_BAD_LENGTH);
    }
    match apdu.first() {
        Some(&TAG_GOOSE_PDU) => {}
        Some(&TAG_GSE_MNGT_PDU) => return Some((h, Apdu::Management)),
        _ => {
            an.set(A_MALFORMED);
            return None;
        }
    }
    let pdu = match ber::read(apdu) {
        Ok((t, _)) => t,
        Err(_) => {
            an.set(A_MALFORMED);
            return Some((h, Apdu::Goose(GoosePdu::default())));
        }
    };
    Some((h, Apdu::Goose(goose_pdu(&pdu, an))))
}

fn name<'a>(t: &Tlv<'a>, an: &mut Anomalies) -> &'a [u8] {
    if t.value.len() > MAX_NAME {
        an.set(A_NAME_TOO_LONG);
    }
    t.value
}

fn goose_pdu<'a>(pdu: &Tlv<'a>, an: &mut Anomalies) -> GoosePdu<'a> {
    let mut g = GoosePdu::default();
    let mut it = pdu.children();
    for c in it.by_ref() {
        if c.class != ber::Class::Context {
            an.set(A_MALFORMED);
            continue;
        }
        match c.tag {
            0 => g.gocb_ref = Some(name(&c, an)),
            1 => g.time_allowed_to_live = c.uint(),
            2 => g.dat_set = Some(name(&c, an)),
            3 => g.go_id = Some(name(&c, an)),
            4 => {
                if c.value.len() == 8 {
                    g.t = Some(c.value);
                } else {
                    an.set(A_MALFORMED);
                }
            }
            5 => g.st_num = c.uint(),
            6 => g.sq_num = c.uint(),
            7 => g.simulation = c.boolean(),
            8 => g.conf_rev = c.uint(),
            9 => g.nds_com = c.boolean(),
            10 => g.num_dat_set_entries = c.uint(),
            11 => {
                let mut n = 0;
                let mut d = ber::Iter::new(c.value);
                for _ in d.by_ref() {
                    n += 1;
                }
                if d.error().is_some() {
                    an.set(A_MALFORMED);
                }
                g.all_data = Some(c.value);
                g.data_count = n;
            }
            12 => g.security = true,
            _ => an.set(A_MALFORMED),
        }
    }
    if it.error().is_some() {
        an.set(A_MALFORMED);
    }
    if g.gocb_ref.is_none()
        || g.time_allowed_to_live.is_none()
        || g.dat_set.is_none()
        || g.t.is_none()
        || g.st_num.is_none()
        || g.sq_num.is_none()
        || g.conf_rev.is_none()
        || g.num_dat_set_entries.is_none()
        || g.all_data.is_none()
    {
        an.set(A_MISSING_FIELD);
    }
    if let (Some(n), Some(_)) = (g.num_dat_set_entries, g.all_data) {
        if n != g.data_count {
            an.set(A_ENTRIES_MISMATCH);
        }
    }
    g
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The GOOSE frame of the ITI capture GOOSE_DEMO.pcap, after the
    /// EtherType (VLAN 10; tshark: APPID 0x2000, length 108, gocbRef "111",
    /// TTL 10000, datSet "222", goID "333", t 2011-05-26 00:55:54.859,
    /// stNum 1, sqNum 1, confRev 1, 10 booleans, all false).
    #[rustfmt::skip]
    pub(crate) const DEMO: &[u8] = &[
        0x20, 0x00,             // APPID 0x2000
        0x00, 0x6c,             // length 108
        0x00, 0x00, 0x00, 0x00, // reserved 1, 2
        0x61, 0x62,             // goosePdu, 98 octets
        0x80, 0x03, b'1', b'1', b'1',                  // [0] gocbRef "111"
        0x81, 0x05, 0x00, 0x00, 0x00, 0x27, 0x10,      // [1] timeAllowedToLive 10000
        0x82, 0x03, b'2', b'2', b'2',                  // [2] datSet "222"
        0x83, 0x03, b'3', b'3', b'3',                  // [3] goID "333"
        0x84, 0x08, 0x4d, 0xdd, 0xa5, 0x1a, 0xdb, 0xe7, 0x6d, 0x00, // [4] t
        0x85, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01,      // [5] stNum 1
        0x86, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01,      // [6] sqNum 1
        0x87, 0x01, 0x00,                              // [7] simulation false
        0x88, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01,      // [8] confRev 1
        0x89, 0x01, 0x00,                              // [9] ndsCom false
        0x8a, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0a,      // [10] numDatSetEntries 10
        0xab, 0x1e,                                    // [11] allData, 30 octets:
        0x83, 0x01, 0x00, 0x83, 0x01, 0x00, 0x83, 0x01, 0x00, 0x83, 0x01, 0x00,
        0x83, 0x01, 0x00, 0x83, 0x01, 0x00, 0x83, 0x01, 0x00, 0x83, 0x01, 0x00,
        0x83, 0x01, 0x00, 0x83, 0x01, 0x00,            //   10 x boolean false
    ];

    /// A TLV (short length form).
    pub(crate) fn tlv(tag: u8, v: &[u8]) -> Vec<u8> {
        let mut out = vec![tag, v.len() as u8];
        out.extend_from_slice(v);
        out
    }

    /// A GOOSE frame payload built from IEC 61850-8-1 (not captured):
    /// `fields` are the goosePdu's TLVs; the header's length is computed.
    pub(crate) fn frame(appid: u16, reserved1: u16, fields: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = fields.concat();
        let mut pdu = vec![0x61, 0x81, body.len() as u8];
        pdu.extend_from_slice(&body);
        let mut f = appid.to_be_bytes().to_vec();
        f.extend_from_slice(&((8 + pdu.len()) as u16).to_be_bytes());
        f.extend_from_slice(&reserved1.to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(&pdu);
        f
    }

    /// goosePdu fields of a typical frame with stNum/sqNum/TTL given, and
    /// allData of typed values: boolean true, bit-string (3 unused bits),
    /// integer -5, unsigned 456, float 123.456, visible-string "hi",
    /// utc-time, structure {false, 7}.
    pub(crate) fn fields(st: u8, sq: u8, ttl_ms: u16) -> Vec<Vec<u8>> {
        let data = [
            tlv(0x83, &[1]),
            tlv(0x84, &[3, 0x40]),
            tlv(0x85, &[0xfb]),
            tlv(0x86, &[0x01, 0xc8]),
            tlv(0x87, &[0x08, 0x42, 0xf6, 0xe9, 0x79]),
            tlv(0x8a, b"hi"),
            tlv(0x91, &[0x4d, 0xdd, 0xa5, 0x1a, 0xdb, 0xe7, 0x6d, 0x00]),
            tlv(0xa2, &[tlv(0x83, &[0]), tlv(0x85, &[7])].concat()),
        ]
        .concat();
        vec![
            tlv(0x80, b"IED1LD0/LLN0$GO$gcb1"),
            tlv(0x81, &ttl_ms.to_be_bytes()),
            tlv(0x82, b"IED1LD0/LLN0$DS1"),
            tlv(0x83, b"IED1_GO1"),
            tlv(0x84, &[0x4d, 0xdd, 0xa5, 0x1a, 0xdb, 0xe7, 0x6d, 0x00]),
            tlv(0x85, &[st]),
            tlv(0x86, &[sq]),
            tlv(0x87, &[0]),
            tlv(0x88, &[2]),
            tlv(0x89, &[0]),
            tlv(0x8a, &[8]),
            tlv(0xab, &data),
        ]
    }

    #[test]
    fn header_and_pdu_of_a_captured_frame() {
        let mut an = Anomalies::default();
        let (h, a) = parse(DEMO, &mut an).unwrap();
        assert_eq!((h.appid(), h.length(), h.simulated()), (0x2000, 108, false));
        let Apdu::Goose(g) = a else {
            panic!("not a goosePdu")
        };
        assert_eq!(g.gocb_ref, Some(&b"111"[..]));
        assert_eq!(g.dat_set, Some(&b"222"[..]));
        assert_eq!(g.go_id, Some(&b"333"[..]));
        assert_eq!(g.time_allowed_to_live, Some(10_000));
        assert_eq!(
            (g.st_num, g.sq_num, g.conf_rev),
            (Some(1), Some(1), Some(1))
        );
        assert_eq!((g.simulation, g.nds_com), (Some(false), Some(false)));
        assert_eq!((g.num_dat_set_entries, g.data_count), (Some(10), 10));
        assert_eq!(g.t.map(|t| t.len()), Some(8));
        assert!(an.is_empty(), "{an:?}");
    }

    #[test]
    fn simulation_bit_and_built_frame() {
        let f = frame(0x0101, 0x8000, &fields(3, 0, 2000));
        let mut an = Anomalies::default();
        let (h, a) = parse(&f, &mut an).unwrap();
        assert!(h.simulated());
        let Apdu::Goose(g) = a else {
            panic!("not a goosePdu")
        };
        assert_eq!(
            (g.st_num, g.sq_num, g.time_allowed_to_live),
            (Some(3), Some(0), Some(2000))
        );
        assert_eq!((g.num_dat_set_entries, g.data_count), (Some(8), 8));
        assert!(an.is_empty(), "{an:?}");
    }

    #[test]
    fn odd_frames_are_flagged_not_fatal() {
        // length past the frame; entries announced 11 but 10 there
        let mut f = DEMO.to_vec();
        f[3] = 0xff;
        f[DEMO.len() - 33] = 11;
        let mut an = Anomalies::default();
        let (_, a) = parse(&f, &mut an).unwrap();
        assert!(matches!(a, Apdu::Goose(_)));
        assert!(an.has(A_BAD_LENGTH) && an.has(A_ENTRIES_MISMATCH), "{an:?}");
        // cut anywhere: never a panic; a cut PDU is flagged
        for n in 0..DEMO.len() {
            let mut an = Anomalies::default();
            let _ = parse(&DEMO[..n], &mut an);
            if n > 8 {
                assert!(!an.is_empty(), "cut at {n}");
            }
        }
        // not a PDU tag
        let mut an = Anomalies::default();
        assert!(parse(&[0, 1, 0, 9, 0, 0, 0, 0, 0x30], &mut an).is_none());
        assert!(an.has(A_MALFORMED));
        // GSE management
        let mut an = Anomalies::default();
        let (_, a) = parse(&[0, 1, 0, 10, 0, 0, 0, 0, 0x60, 0], &mut an).unwrap();
        assert!(matches!(a, Apdu::Management));
    }
}
