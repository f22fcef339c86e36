//! IEC 60870-5-104 wire format: APCI and ASDU.
//!
//! ```text
//! APDU:  68 | LEN (4..=253) | CF1 CF2 CF3 CF4 | ASDU (LEN-4, I-format only)
//!   I: CF1 bit0 = 0, N(S) = (CF1|CF2<<8)>>1, N(R) = (CF3|CF4<<8)>>1
//!   S: CF1 = 0x01,   N(R) as above
//!   U: CF1 & 3 = 3,  function bits STARTDT/STOPDT/TESTFR act/con
//! ASDU:  TYPE | VSQ (SQ bit7, count) | COT (cause 6b, P/N, T) | ORIG |
//!        CA (2, le) | objects: IOA (3, le) + element [IOA + element ...]
//! ```

use reefwatch_applayer::bytes::{le16, le24, le32};

pub const START: u8 = 0x68;
pub const APCI_LEN: usize = 6;

pub const A_BAD_LENGTH: u32 = 0;
pub const A_LOST_SYNC: u32 = 1;
pub const A_UNKNOWN_TYPE: u32 = 2;
pub const A_TRUNCATED_ASDU: u32 = 3;
pub const A_TRAILING_BYTES: u32 = 4;
pub const A_SEQUENCE_GAP: u32 = 5;
pub const A_BAD_U_FUNCTION: u32 = 6;
pub const A_UNKNOWN_COT: u32 = 7;
pub const A_NEGATIVE_CONFIRM: u32 = 8;
pub const A_UNANSWERED: u32 = 9;
pub const A_TOO_MANY_TXS: u32 = 10;
pub const A_UNEXPECTED_CONFIRM: u32 = 11;

pub const ANOMALY_NAMES: &[&str] = &[
    "iec104.bad_length",
    "iec104.lost_sync",
    "iec104.unknown_type_id",
    "iec104.truncated_asdu",
    "iec104.trailing_bytes",
    "iec104.sequence_gap",
    "iec104.bad_u_function",
    "iec104.unknown_cause",
    "iec104.negative_confirm",
    "iec104.unanswered_command",
    "iec104.too_many_transactions",
    "iec104.unexpected_confirm",
];

/// Zero-copy view of one APDU.
#[derive(Debug, Clone, Copy)]
pub struct Apdu<T: AsRef<[u8]>> {
    buffer: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApduError {
    Truncated(usize),
    BadStart,
    BadLength,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    I { ns: u16, nr: u16 },
    S { nr: u16 },
    U { function: u8 },
}

impl<T: AsRef<[u8]>> Apdu<T> {
    pub fn new_checked(buffer: T) -> Result<Self, ApduError> {
        let b = buffer.as_ref();
        match b.first() {
            None => return Err(ApduError::Truncated(2)),
            Some(&x) if x != START => return Err(ApduError::BadStart),
            _ => {}
        }
        let Some(&len) = b.get(1) else {
            return Err(ApduError::Truncated(2));
        };
        if len < 4 {
            return Err(ApduError::BadLength);
        }
        if b.len() < 2 + len as usize {
            return Err(ApduError::Truncated(2 + len as usize));
        }
        Ok(Apdu { buffer })
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn length(&self) -> u8 {
        self.b()[1]
    }
    pub fn total_len(&self) -> usize {
        2 + self.length() as usize
    }
    pub fn format(&self) -> Format {
        let b = self.b();
        let cf1 = b[2];
        let nr = u16::from_le_bytes([b[4], b[5]]) >> 1;
        if cf1 & 1 == 0 {
            Format::I {
                ns: u16::from_le_bytes([b[2], b[3]]) >> 1,
                nr,
            }
        } else if cf1 & 3 == 1 {
            Format::S { nr }
        } else {
            Format::U { function: cf1 }
        }
    }
    /// ASDU bytes (I-format), possibly empty.
    pub fn asdu(&self) -> &[u8] {
        &self.b()[APCI_LEN..self.total_len()]
    }
}

pub fn u_function_name(f: u8) -> &'static str {
    match f & 0xfc {
        0x04 => "STARTDT act",
        0x08 => "STARTDT con",
        0x10 => "STOPDT act",
        0x20 => "STOPDT con",
        0x40 => "TESTFR act",
        0x80 => "TESTFR con",
        _ => "unknown",
    }
}

/// ASDU header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsduHeader {
    pub type_id: u8,
    pub sq: bool,
    pub count: u8,
    pub cause: u8,
    pub negative: bool,
    pub test: bool,
    pub originator: u8,
    pub common_address: u16,
}

pub const ASDU_HEADER_LEN: usize = 6;

impl AsduHeader {
    pub fn parse(b: &[u8]) -> Option<AsduHeader> {
        if b.len() < ASDU_HEADER_LEN {
            return None;
        }
        Some(AsduHeader {
            type_id: b[0],
            sq: b[1] & 0x80 != 0,
            count: b[1] & 0x7f,
            cause: b[2] & 0x3f,
            negative: b[2] & 0x40 != 0,
            test: b[2] & 0x80 != 0,
            originator: b[3],
            common_address: u16::from_le_bytes([b[4], b[5]]),
        })
    }
}

/// Element size (bytes, without IOA) of a type id; None when unknown or
/// variable.
pub fn element_size(t: u8) -> Option<usize> {
    Some(match t {
        1 | 3 => 1,
        2 | 4 => 4,
        5 => 2,
        6 => 5,
        7 => 5,
        8 => 8,
        9 | 11 => 3,
        10 | 12 => 6,
        13 => 5,
        14 => 8,
        15 => 5,
        16 => 8,
        17 => 6,
        18 | 19 => 7,
        20 => 5,
        21 => 2,
        30 | 31 => 8,
        32 => 9,
        33 => 12,
        34 | 35 => 10,
        36 => 12,
        37 => 12,
        38 => 10,
        39 | 40 => 11,
        45..=47 => 1,
        48 | 49 => 3,
        50 => 5,
        51 => 4,
        58..=60 => 8,
        61 | 62 => 10,
        63 => 12,
        64 => 11,
        70 => 1,
        100 | 101 => 1,
        102 => 0,
        103 => 7,
        104 => 2,
        105 => 1,
        106 => 2,
        107 => 9,
        110 | 111 => 3,
        112 => 5,
        113 => 1,
        120 => 6,
        121 => 7,
        122 | 124 => 4,
        123 => 5,
        126 => 13,
        127 => 16,
        _ => return None,
    })
}

/// Whether an APDU may start at `b`: the start byte and a length of
/// 4..=253. The control field is not judged (malformed frames are decoded
/// and flagged, as tshark does); the confirmation is that the length lands
/// on the end of the bytes or on another start (see [`resync`]). `None`:
/// `b` is too short to tell.
pub fn apci_plausible(b: &[u8]) -> Option<bool> {
    if *b.first()? != START {
        return Some(false);
    }
    Some((4..=253).contains(b.get(1)?))
}

/// Where framing resumes in bytes that do not start with an APDU (a capture
/// that began mid-stream, a gap, garbage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resync {
    /// An APDU starts at this offset: plausible, and followed by the end of
    /// the bytes or by the start of another plausible APDU.
    At(usize),
    /// A candidate starts at `from`, but deciding needs `needed` more bytes.
    NeedMore { from: usize, needed: usize },
    /// No APDU starts anywhere in the bytes.
    NotFound,
}

/// Find the next APDU start: a 0x68 byte whose APCI is plausible and whose
/// length lands on the end of the bytes or on a second plausible APCI (the
/// confirmation, when the bytes hold one). A 0x68 inside data is skipped
/// when its length leads nowhere.
pub fn resync(b: &[u8]) -> Resync {
    let mut p = 0;
    while let Some(i) = b.get(p..).and_then(|r| r.iter().position(|&x| x == START)) {
        let at = p + i;
        let cand = &b[at..];
        match apci_plausible(cand) {
            None => {
                return Resync::NeedMore {
                    from: at,
                    needed: 2 - cand.len(),
                }
            }
            Some(false) => {}
            Some(true) => {
                let end = 2 + cand[1] as usize;
                if cand.len() < end {
                    return Resync::NeedMore {
                        from: at,
                        needed: end - cand.len(),
                    };
                }
                // the last APDU of the bytes (nothing to confirm with), or
                // the next one begins (None: too short to judge further)
                if apci_plausible(&cand[end..]) != Some(false) {
                    return Resync::At(at);
                }
            }
        }
        p = at + 1;
    }
    Resync::NotFound
}

pub fn type_name(t: u8) -> &'static str {
    match t {
        1 => "M_SP_NA_1",
        2 => "M_SP_TA_1",
        3 => "M_DP_NA_1",
        4 => "M_DP_TA_1",
        5 => "M_ST_NA_1",
        6 => "M_ST_TA_1",
        7 => "M_BO_NA_1",
        8 => "M_BO_TA_1",
        9 => "M_ME_NA_1",
        10 => "M_ME_TA_1",
        11 => "M_ME_NB_1",
        12 => "M_ME_TB_1",
        13 => "M_ME_NC_1",
        14 => "M_ME_TC_1",
        15 => "M_IT_NA_1",
        16 => "M_IT_TA_1",
        17 => "M_EP_TA_1",
        18 => "M_EP_TB_1",
        19 => "M_EP_TC_1",
        20 => "M_PS_NA_1",
        21 => "M_ME_ND_1",
        30 => "M_SP_TB_1",
        31 => "M_DP_TB_1",
        32 => "M_ST_TB_1",
        33 => "M_BO_TB_1",
        34 => "M_ME_TD_1",
        35 => "M_ME_TE_1",
        36 => "M_ME_TF_1",
        37 => "M_IT_TB_1",
        38 => "M_EP_TD_1",
        39 => "M_EP_TE_1",
        40 => "M_EP_TF_1",
        45 => "C_SC_NA_1",
        46 => "C_DC_NA_1",
        47 => "C_RC_NA_1",
        48 => "C_SE_NA_1",
        49 => "C_SE_NB_1",
        50 => "C_SE_NC_1",
        51 => "C_BO_NA_1",
        58 => "C_SC_TA_1",
        59 => "C_DC_TA_1",
        60 => "C_RC_TA_1",
        61 => "C_SE_TA_1",
        62 => "C_SE_TB_1",
        63 => "C_SE_TC_1",
        64 => "C_BO_TA_1",
        70 => "M_EI_NA_1",
        100 => "C_IC_NA_1",
        101 => "C_CI_NA_1",
        102 => "C_RD_NA_1",
        103 => "C_CS_NA_1",
        104 => "C_TS_NA_1",
        105 => "C_RP_NA_1",
        106 => "C_CD_NA_1",
        107 => "C_TS_TA_1",
        110 => "P_ME_NA_1",
        111 => "P_ME_NB_1",
        112 => "P_ME_NC_1",
        113 => "P_AC_NA_1",
        120 => "F_FR_NA_1",
        121 => "F_SR_NA_1",
        122 => "F_SC_NA_1",
        123 => "F_LS_NA_1",
        124 => "F_AF_NA_1",
        125 => "F_SG_NA_1",
        126 => "F_DR_TA_1",
        127 => "F_SC_NB_1",
        _ => "unknown",
    }
}

pub fn cause_name(c: u8) -> &'static str {
    match c {
        1 => "per/cyc",
        2 => "back",
        3 => "spont",
        4 => "init",
        5 => "req",
        6 => "act",
        7 => "actcon",
        8 => "deact",
        9 => "deactcon",
        10 => "actterm",
        11 => "retrem",
        12 => "retloc",
        13 => "file",
        20 => "inrogen",
        21..=36 => "inro",
        37 => "reqcogen",
        38..=41 => "reqco",
        44 => "unknown_type",
        45 => "unknown_cause",
        46 => "unknown_common_address",
        47 => "unknown_ioa",
        _ => "unknown",
    }
}

/// Control-direction types (commands, parameters, system, file).
pub fn is_command(t: u8) -> bool {
    matches!(t, 45..=69 | 100..=127)
}

/// One information object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InfoObject<'a> {
    pub ioa: u32,
    pub element: &'a [u8],
}

/// Iterates information objects (SQ=0: IOA per object; SQ=1: one IOA,
/// consecutive addresses).
pub struct ObjectIter<'a> {
    rest: &'a [u8],
    size: usize,
    sq: bool,
    left: u8,
    next_ioa: u32,
    first: bool,
}

impl<'a> ObjectIter<'a> {
    pub fn new(h: &AsduHeader, objects: &'a [u8]) -> Self {
        ObjectIter {
            rest: objects,
            size: element_size(h.type_id).unwrap_or(0),
            sq: h.sq,
            left: if element_size(h.type_id).is_some() {
                h.count
            } else {
                0
            },
            next_ioa: 0,
            first: true,
        }
    }
}

impl<'a> Iterator for ObjectIter<'a> {
    type Item = InfoObject<'a>;
    fn next(&mut self) -> Option<InfoObject<'a>> {
        if self.left == 0 {
            return None;
        }
        if !self.sq || self.first {
            self.next_ioa = le24(self.rest, 0)?;
            self.rest = &self.rest[3..];
            self.first = false;
        }
        let element = self.rest.get(..self.size)?;
        self.rest = &self.rest[self.size..];
        self.left -= 1;
        let o = InfoObject {
            ioa: self.next_ioa,
            element,
        };
        self.next_ioa = self.next_ioa.wrapping_add(1) & 0xff_ffff;
        Some(o)
    }
}

/// Bytes the objects of an ASDU should take.
pub fn expected_objects_len(h: &AsduHeader) -> Option<usize> {
    let s = element_size(h.type_id)?;
    let n = h.count as usize;
    Some(if h.sq { 3 + n * s } else { n * (3 + s) })
}

/// Decoded value of an element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    None,
    Uint(u64),
    Int(i64),
    Float(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Element {
    pub value: Value,
    /// Quality descriptor (QDS/SIQ/DIQ quality bits) when present.
    pub quality: Option<u8>,
    /// Command qualifier (select/execute bit and QU), QOI, QCC, …
    pub qualifier: Option<u8>,
    pub select: Option<bool>,
    pub time: Option<Cp56>,
}

/// CP56Time2a.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cp56 {
    pub ms: u16,
    pub minute: u8,
    pub hour: u8,
    pub day: u8,
    pub month: u8,
    pub year: u8,
    pub invalid: bool,
}

impl Cp56 {
    pub fn parse(b: &[u8]) -> Option<Cp56> {
        let b = b.get(..7)?;
        Some(Cp56 {
            ms: u16::from_le_bytes([b[0], b[1]]),
            minute: b[2] & 0x3f,
            invalid: b[2] & 0x80 != 0,
            hour: b[3] & 0x1f,
            day: b[4] & 0x1f,
            month: b[5] & 0x0f,
            year: b[6] & 0x7f,
        })
    }
}

fn time_at(e: &[u8], at: usize) -> Option<Cp56> {
    Cp56::parse(e.get(at..)?)
}

/// Decode an element of type `t`.
pub fn decode(t: u8, e: &[u8]) -> Element {
    let mut el = Element {
        value: Value::None,
        quality: None,
        qualifier: None,
        select: None,
        time: None,
    };
    let b0 = e.first().copied();
    match t {
        1 | 2 | 30 => {
            el.value = b0
                .map(|x| Value::Uint((x & 1) as u64))
                .unwrap_or(Value::None);
            el.quality = b0.map(|x| x & 0xf0);
        }
        3 | 4 | 31 => {
            el.value = b0
                .map(|x| Value::Uint((x & 3) as u64))
                .unwrap_or(Value::None);
            el.quality = b0.map(|x| x & 0xf0);
        }
        5 | 6 | 32 => {
            // VTI: 7-bit signed value, bit 7 transient
            el.value = b0
                .map(|x| Value::Int((((x & 0x7f) << 1) as i8 >> 1) as i64))
                .unwrap_or(Value::None);
            el.quality = e.get(1).copied();
        }
        7 | 8 | 33 | 51 | 64 => {
            el.value = le32(e, 0)
                .map(|x| Value::Uint(x as u64))
                .unwrap_or(Value::None);
            if t < 50 {
                el.quality = e.get(4).copied();
            }
        }
        9 | 10 | 34 | 48 | 61 | 110 => {
            el.value = le16(e, 0)
                .map(|x| Value::Float(x as i16 as f64 / 32768.0))
                .unwrap_or(Value::None);
            if t == 48 || t == 61 || t == 110 {
                el.qualifier = e.get(2).copied();
                if t != 110 {
                    el.select = el.qualifier.map(|q| q & 0x80 != 0);
                }
            } else {
                el.quality = e.get(2).copied();
            }
        }
        21 => {
            el.value = le16(e, 0)
                .map(|x| Value::Float(x as i16 as f64 / 32768.0))
                .unwrap_or(Value::None);
        }
        11 | 12 | 35 | 49 | 62 | 111 => {
            el.value = le16(e, 0)
                .map(|x| Value::Int(x as i16 as i64))
                .unwrap_or(Value::None);
            if t == 49 || t == 62 || t == 111 {
                el.qualifier = e.get(2).copied();
                if t != 111 {
                    el.select = el.qualifier.map(|q| q & 0x80 != 0);
                }
            } else {
                el.quality = e.get(2).copied();
            }
        }
        13 | 14 | 36 | 50 | 63 | 112 => {
            el.value = le32(e, 0)
                .map(|x| Value::Float(f32::from_bits(x) as f64))
                .unwrap_or(Value::None);
            if t == 50 || t == 63 || t == 112 {
                el.qualifier = e.get(4).copied();
                if t != 112 {
                    el.select = el.qualifier.map(|q| q & 0x80 != 0);
                }
            } else {
                el.quality = e.get(4).copied();
            }
        }
        15 | 16 | 37 => {
            el.value = le32(e, 0)
                .map(|x| Value::Int(x as i32 as i64))
                .unwrap_or(Value::None);
            el.quality = e.get(4).copied();
        }
        45 | 58 => {
            el.value = b0
                .map(|x| Value::Uint((x & 1) as u64))
                .unwrap_or(Value::None);
            el.qualifier = b0;
            el.select = b0.map(|x| x & 0x80 != 0);
        }
        46 | 47 | 59 | 60 => {
            el.value = b0
                .map(|x| Value::Uint((x & 3) as u64))
                .unwrap_or(Value::None);
            el.qualifier = b0;
            el.select = b0.map(|x| x & 0x80 != 0);
        }
        70 | 100 | 101 | 105 | 113 => {
            el.qualifier = b0;
        }
        103 => el.time = Cp56::parse(e),
        104 | 106 => {
            el.value = le16(e, 0)
                .map(|x| Value::Uint(x as u64))
                .unwrap_or(Value::None);
        }
        107 => {
            el.value = le16(e, 0)
                .map(|x| Value::Uint(x as u64))
                .unwrap_or(Value::None);
            el.time = time_at(e, 2);
        }
        _ => {}
    }
    // CP56 time tags at the end of the element.
    let tail = match t {
        30 | 31 => Some(1),
        32 => Some(2),
        33 | 36 | 37 | 63 => Some(5),
        34 | 35 | 62 | 61 => Some(3),
        58..=60 => Some(1),
        64 => Some(4),
        _ => None,
    };
    if let Some(at) = tail {
        el.time = time_at(e, at);
    }
    el
}

#[cfg(test)]
mod tests {
    use super::*;

    // 090813_diverse.pcap frame 1: I(77,20), M_ME_NC_1, 2 objects.
    static MEAS: [u8; 28] = [
        0x68, 0x1a, // start, length 26
        0x9a, 0x00, 0x28, 0x00, // I-format N(S)=77 N(R)=20
        0x0d, // type 13 M_ME_NC_1
        0x02, // SQ=0, 2 objects
        0x01, 0x00, // COT per/cyc, originator 0
        0x03, 0x00, // common address 3
        0x14, 0x05, 0x00, // IOA 1300
        0x00, 0x00, 0xf0, 0x41, 0x00, // 30.0, QDS 0
        0x15, 0x05, 0x00, // IOA 1301
        0x00, 0x00, 0x31, 0x44, 0x00, // 708.0, QDS 0
    ];

    #[test]
    fn i_frame_with_measurements() {
        let a = Apdu::new_checked(&MEAS[..]).unwrap();
        assert_eq!(a.format(), Format::I { ns: 77, nr: 20 });
        let h = AsduHeader::parse(a.asdu()).unwrap();
        assert_eq!(h.type_id, 13);
        assert_eq!(h.count, 2);
        assert_eq!(h.cause, 1);
        assert_eq!(h.common_address, 3);
        assert_eq!(expected_objects_len(&h), Some(16));
        let objs: Vec<_> = ObjectIter::new(&h, &a.asdu()[ASDU_HEADER_LEN..]).collect();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].ioa, 1300);
        assert_eq!(decode(13, objs[0].element).value, Value::Float(30.0));
        assert_eq!(decode(13, objs[1].element).value, Value::Float(708.0));
    }

    #[test]
    fn s_and_u_frames() {
        let s = [0x68, 0x04, 0x01, 0x00, 0x9c, 0x00];
        assert_eq!(
            Apdu::new_checked(&s[..]).unwrap().format(),
            Format::S { nr: 78 }
        );
        let u = [0x68, 0x04, 0x43, 0x00, 0x00, 0x00];
        let f = Apdu::new_checked(&u[..]).unwrap().format();
        assert_eq!(f, Format::U { function: 0x43 });
        assert_eq!(u_function_name(0x43), "TESTFR act");
        assert_eq!(u_function_name(0x07), "STARTDT act");
        assert_eq!(
            Apdu::new_checked(&u[..3]).unwrap_err(),
            ApduError::Truncated(6)
        );
        assert_eq!(
            Apdu::new_checked(&[0x68, 0x02][..]).unwrap_err(),
            ApduError::BadLength
        );
    }

    #[test]
    fn sequence_of_elements_and_command() {
        // SQ=1: M_SP_NA_1 3 elements from IOA 10
        let h = AsduHeader::parse(&[1, 0x83, 20, 0, 1, 0]).unwrap();
        let d = [10, 0, 0, 1, 0, 1];
        let v: Vec<_> = ObjectIter::new(&h, &d)
            .map(|o| (o.ioa, o.element[0]))
            .collect();
        assert_eq!(v, vec![(10, 1), (11, 0), (12, 1)]);
        // C_SC_NA_1 select, ON
        let e = decode(45, &[0x81]);
        assert_eq!(e.value, Value::Uint(1));
        assert_eq!(e.select, Some(true));
        assert!(is_command(45) && !is_command(13));
    }

    #[test]
    fn cp56_time() {
        // 2009-08-13 10:20:30.500 → ms 30500 = 0x7724
        let t = Cp56::parse(&[0x24, 0x77, 20, 10, 13, 8, 9]).unwrap();
        assert_eq!(
            (t.ms, t.minute, t.hour, t.day, t.month, t.year),
            (30500, 20, 10, 13, 8, 9)
        );
    }

    #[test]
    fn truncated_objects_stop() {
        let h = AsduHeader::parse(&[13, 0x05, 1, 0, 1, 0]).unwrap();
        let d = [1, 0, 0, 0, 0, 0x80, 0x3f, 0, 2, 0];
        assert_eq!(ObjectIter::new(&h, &d).count(), 1);
        let h = AsduHeader::parse(&[200, 0x7f, 1, 0, 1, 0]).unwrap();
        assert_eq!(ObjectIter::new(&h, &d).count(), 0);
    }
}
