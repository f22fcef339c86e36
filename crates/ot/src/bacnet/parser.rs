//! BACnet/IP wire format (ASHRAE 135 annex J, clauses 6 and 20).
//!
//! ```text
//!  BVLC  | 0x81 | function | length (u16, whole datagram) | [origin ip:port (Forwarded-NPDU)]
//!  NPDU  | 0x01 | control | [DNET DLEN DADR] | [SNET SLEN SADR] | [hop count] | [msg type [vendor]]
//!  APDU  | type<<4|flags | ... invoke id, service choice, tagged parameters
//! ```
//! [`parse`] decodes one datagram into a [`Message`] (owned, bounded);
//! parsed-but-odd input sets anomaly bits, it never fails the flow.

use super::services::{self, Detail};
use reefwatch_applayer::bytes::be16;
use reefwatch_applayer::Anomalies;

pub const BVLC_TYPE: u8 = 0x81;
/// NPDU addresses kept (MS/TP 1, B/IP 6, Ethernet 6 bytes); longer ones are
/// truncated and flagged.
pub const MAX_ADDR: usize = 8;

// Anomaly bits.
pub const A_BVLC_LENGTH: u32 = 0;
pub const A_UNKNOWN_BVLC_FUNCTION: u32 = 1;
pub const A_NPDU_VERSION: u32 = 2;
pub const A_NPDU_RESERVED_BITS: u32 = 3;
pub const A_TRUNCATED: u32 = 4;
pub const A_ADDRESS_LENGTH: u32 = 5;
pub const A_UNKNOWN_PDU_TYPE: u32 = 6;
pub const A_BAD_TAG: u32 = 7;
pub const A_TRAILING_DATA: u32 = 8;
pub const A_UNSOLICITED_RESPONSE: u32 = 9;
pub const A_ADDRESS_MISMATCH: u32 = 10;
pub const A_UNANSWERED: u32 = 11;
pub const A_TOO_MANY_TXS: u32 = 12;
pub const A_NOT_BVLC: u32 = 13;

/// Names of the anomaly bits (`bacnet.<name>`).
pub const ANOMALY_NAMES: &[&str] = &[
    "bacnet.bvlc_length_mismatch",
    "bacnet.unknown_bvlc_function",
    "bacnet.invalid_npdu_version",
    "bacnet.npdu_reserved_bits",
    "bacnet.truncated",
    "bacnet.invalid_address_length",
    "bacnet.unknown_pdu_type",
    "bacnet.invalid_tag",
    "bacnet.trailing_data",
    "bacnet.unsolicited_response",
    "bacnet.address_mismatch",
    "bacnet.unanswered_request",
    "bacnet.too_many_transactions",
    "bacnet.not_bvlc",
];

/// BVLC functions that carry an NPDU.
pub fn bvlc_has_npdu(f: u8) -> bool {
    matches!(f, 0x04 | 0x09 | 0x0a | 0x0b)
}

pub fn bvlc_known(f: u8) -> bool {
    f <= 0x0c
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bvlc {
    pub function: u8,
    pub length: u16,
    /// Forwarded-NPDU: the originating B/IP address.
    pub origin: Option<([u8; 4], u16)>,
    /// BVLC-Result code; Register-Foreign-Device time-to-live.
    pub value: Option<u16>,
}

/// A network address (DADR/SADR): `len` bytes of `bytes` are valid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Addr {
    pub len: u8,
    pub bytes: [u8; MAX_ADDR],
}

impl Addr {
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..(self.len as usize).min(MAX_ADDR)]
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Npdu {
    pub version: u8,
    pub control: u8,
    pub dnet: Option<u16>,
    pub dadr: Addr,
    pub snet: Option<u16>,
    pub sadr: Addr,
    pub hop_count: Option<u8>,
    /// Network-layer message type (control bit 7).
    pub message_type: Option<u8>,
    pub vendor_id: Option<u16>,
}

impl Npdu {
    pub fn is_network_message(&self) -> bool {
        self.control & 0x80 != 0
    }
    pub fn expecting_reply(&self) -> bool {
        self.control & 0x04 != 0
    }
    pub fn priority(&self) -> u8 {
        self.control & 0x03
    }
}

pub const PDU_CONFIRMED: u8 = 0;
pub const PDU_UNCONFIRMED: u8 = 1;
pub const PDU_SIMPLE_ACK: u8 = 2;
pub const PDU_COMPLEX_ACK: u8 = 3;
pub const PDU_SEGMENT_ACK: u8 = 4;
pub const PDU_ERROR: u8 = 5;
pub const PDU_REJECT: u8 = 6;
pub const PDU_ABORT: u8 = 7;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Apdu {
    pub pdu_type: u8,
    /// Low nibble of the first octet (SEG/MOR/SA, NAK/SRV).
    pub flags: u8,
    pub invoke_id: Option<u8>,
    pub service: Option<u8>,
    /// Confirmed request: max segments accepted (raw 3 bits), max APDU
    /// length accepted (raw 4 bits).
    pub max_segments: Option<u8>,
    pub max_apdu: Option<u8>,
    pub sequence_number: Option<u8>,
    pub window_size: Option<u8>,
    /// Reject/abort reason.
    pub reason: Option<u8>,
    pub detail: Detail,
}

impl Apdu {
    pub fn segmented(&self) -> bool {
        matches!(self.pdu_type, PDU_CONFIRMED | PDU_COMPLEX_ACK) && self.flags & 0x08 != 0
    }
    pub fn more_follows(&self) -> bool {
        matches!(self.pdu_type, PDU_CONFIRMED | PDU_COMPLEX_ACK) && self.flags & 0x04 != 0
    }
    /// A response to a confirmed request.
    pub fn is_response(&self) -> bool {
        matches!(
            self.pdu_type,
            PDU_SIMPLE_ACK | PDU_COMPLEX_ACK | PDU_ERROR | PDU_REJECT
        ) || (matches!(self.pdu_type, PDU_SEGMENT_ACK | PDU_ABORT) && self.flags & 0x01 != 0)
    }
}

/// One decoded datagram.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub bvlc: Bvlc,
    pub npdu: Option<Npdu>,
    pub apdu: Option<Apdu>,
}

/// Decode one BVLC datagram. `None` when it is not BACnet/IP at all (first
/// octet not 0x81 or shorter than the BVLC header).
pub fn parse(d: &[u8], an: &mut Anomalies) -> Option<Message> {
    if d.len() < 4 || d[0] != BVLC_TYPE {
        return None;
    }
    let function = d[1];
    let length = be16(d, 2)?;
    let mut m = Message {
        bvlc: Bvlc {
            function,
            length,
            ..Default::default()
        },
        ..Default::default()
    };
    if length as usize != d.len() {
        an.set(A_BVLC_LENGTH);
    }
    // A wrong length is flagged; the datagram bounds the message (as
    // tshark decodes it).
    if !bvlc_known(function) {
        an.set(A_UNKNOWN_BVLC_FUNCTION);
        return Some(m);
    }
    let mut off = 4;
    match function {
        0x00 | 0x05 => {
            m.bvlc.value = be16(d, 4);
            if m.bvlc.value.is_none() {
                an.set(A_TRUNCATED);
            }
            return Some(m);
        }
        0x04 => {
            if d.len() < 10 {
                an.set(A_TRUNCATED);
                return Some(m);
            }
            m.bvlc.origin = Some(([d[4], d[5], d[6], d[7]], be16(d, 8)?));
            off = 10;
        }
        f if !bvlc_has_npdu(f) => return Some(m),
        _ => {}
    }
    let Some((npdu, apdu_off)) = parse_npdu(&d[off..], an) else {
        an.set(A_TRUNCATED);
        return Some(m);
    };
    m.npdu = Some(npdu);
    if !npdu.is_network_message() {
        m.apdu = parse_apdu(&d[off + apdu_off..], an);
    }
    Some(m)
}

/// Decode the NPDU header: the header and the offset of what follows.
pub fn parse_npdu(d: &[u8], an: &mut Anomalies) -> Option<(Npdu, usize)> {
    let version = *d.first()?;
    let control = *d.get(1)?;
    if version != 1 {
        an.set(A_NPDU_VERSION);
    }
    if control & 0x50 != 0 {
        an.set(A_NPDU_RESERVED_BITS);
    }
    let mut n = Npdu {
        version,
        control,
        ..Default::default()
    };
    let mut p = 2;
    let addr = |p: &mut usize, an: &mut Anomalies| -> Option<(u16, Addr)> {
        let net = be16(d, *p)?;
        let len = *d.get(*p + 2)? as usize;
        let bytes = d.get(*p + 3..*p + 3 + len)?;
        *p += 3 + len;
        let mut a = Addr::default();
        if len > MAX_ADDR {
            an.set(A_ADDRESS_LENGTH);
        }
        let k = len.min(MAX_ADDR);
        a.bytes[..k].copy_from_slice(&bytes[..k]);
        a.len = k as u8;
        Some((net, a))
    };
    if control & 0x20 != 0 {
        let (net, a) = addr(&mut p, an)?;
        n.dnet = Some(net);
        n.dadr = a;
    }
    if control & 0x08 != 0 {
        let (net, a) = addr(&mut p, an)?;
        if a.len == 0 || net == 0xffff {
            // SLEN 0 and SNET 0xFFFF are invalid (6.2.2).
            an.set(A_ADDRESS_LENGTH);
        }
        n.snet = Some(net);
        n.sadr = a;
    }
    if n.dnet.is_some() {
        n.hop_count = Some(*d.get(p)?);
        p += 1;
    }
    if control & 0x80 != 0 {
        let t = *d.get(p)?;
        p += 1;
        n.message_type = Some(t);
        if t >= 0x80 {
            n.vendor_id = Some(be16(d, p)?);
            p += 2;
        }
    }
    Some((n, p))
}

/// Decode an APDU; `None` (with `truncated` set) when even its header does
/// not fit.
pub fn parse_apdu(d: &[u8], an: &mut Anomalies) -> Option<Apdu> {
    let Some(&b0) = d.first() else {
        an.set(A_TRUNCATED);
        return None;
    };
    let mut a = Apdu {
        pdu_type: b0 >> 4,
        flags: b0 & 0x0f,
        ..Default::default()
    };
    let g = |i: usize| d.get(i).copied();
    let body = match a.pdu_type {
        PDU_CONFIRMED => {
            let (Some(b1), Some(id)) = (g(1), g(2)) else {
                an.set(A_TRUNCATED);
                return Some(a);
            };
            a.max_segments = Some((b1 >> 4) & 0x07);
            a.max_apdu = Some(b1 & 0x0f);
            a.invoke_id = Some(id);
            let mut p = 3;
            if a.flags & 0x08 != 0 {
                a.sequence_number = g(3);
                a.window_size = g(4);
                p = 5;
            }
            a.service = g(p);
            p + 1
        }
        PDU_UNCONFIRMED => {
            a.service = g(1);
            2
        }
        PDU_SIMPLE_ACK => {
            a.invoke_id = g(1);
            a.service = g(2);
            3
        }
        PDU_COMPLEX_ACK => {
            a.invoke_id = g(1);
            let mut p = 2;
            if a.flags & 0x08 != 0 {
                a.sequence_number = g(2);
                a.window_size = g(3);
                p = 4;
            }
            a.service = g(p);
            p + 1
        }
        PDU_SEGMENT_ACK => {
            a.invoke_id = g(1);
            a.sequence_number = g(2);
            a.window_size = g(3);
            4
        }
        PDU_ERROR => {
            a.invoke_id = g(1);
            a.service = g(2);
            3
        }
        PDU_REJECT | PDU_ABORT => {
            a.invoke_id = g(1);
            a.reason = g(2);
            3
        }
        _ => {
            an.set(A_UNKNOWN_PDU_TYPE);
            return Some(a);
        }
    };
    if body > d.len() {
        an.set(A_TRUNCATED);
        return Some(a);
    }
    let rest = &d[body..];
    // Only the first segment of a segmented message starts the parameters.
    let first_segment = !a.segmented() || a.sequence_number == Some(0);
    if let (Some(s), true) = (a.service, first_segment) {
        a.detail = services::decode(a.pdu_type, s, rest, !a.more_follows(), an);
    } else if matches!(a.pdu_type, PDU_SEGMENT_ACK | PDU_REJECT | PDU_ABORT) && !rest.is_empty() {
        an.set(A_TRAILING_DATA);
    }
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bacnet::tags::ObjectId;

    #[test]
    fn who_is_broadcast() {
        // Original-Broadcast-NPDU, len 12; NPDU v1 control 0x20 DNET 0xffff
        // DLEN 0 hop 255; unconfirmed Who-Is (8), low 0 .. high 4194303
        let d = [
            0x81, 0x0b, 0x00, 0x12, 0x01, 0x20, 0xff, 0xff, 0x00, 0xff, 0x10, 0x08, 0x09, 0x00,
            0x1b, 0x3f, 0xff, 0xff,
        ];
        let mut an = Anomalies::default();
        let m = parse(&d, &mut an).unwrap();
        assert!(an.is_empty(), "{an:?}");
        let n = m.npdu.unwrap();
        assert_eq!(
            (n.dnet, n.dadr.len, n.hop_count),
            (Some(0xffff), 0, Some(255))
        );
        let a = m.apdu.unwrap();
        assert_eq!((a.pdu_type, a.service), (PDU_UNCONFIRMED, Some(8)));
        assert_eq!(
            a.detail,
            Detail::WhoIs {
                low: Some(0),
                high: Some(4194303)
            }
        );
    }

    #[test]
    fn read_property_request_and_forwarded() {
        // Forwarded-NPDU from 192.168.1.10:47808, confirmed ReadProperty
        // invoke 1 of device,1 present-value... object analog-input 0,
        // property 85
        let d = [
            0x81, 0x04, 0x00, 0x17, 192, 168, 1, 10, 0xba, 0xc0, 0x01, 0x04, 0x00, 0x05, 0x01,
            0x0c, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x19, 0x55,
        ];
        let mut an = Anomalies::default();
        let m = parse(&d, &mut an).unwrap();
        assert!(an.is_empty(), "{an:?}");
        assert_eq!(m.bvlc.origin, Some(([192, 168, 1, 10], 47808)));
        assert!(m.npdu.unwrap().expecting_reply());
        let a = m.apdu.unwrap();
        assert_eq!(
            (a.invoke_id, a.service, a.max_apdu),
            (Some(1), Some(12), Some(5))
        );
        match a.detail {
            Detail::Property(p) => {
                assert_eq!(p.object, Some(ObjectId::default()));
                assert_eq!(p.property, Some(85));
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn odd_headers_are_flags() {
        let mut an = Anomalies::default();
        // length field says 10, datagram 6; NPDU version 2, reserved bit
        let m = parse(&[0x81, 0x0a, 0x00, 0x0a, 0x02, 0x44], &mut an).unwrap();
        assert!(an.has(A_BVLC_LENGTH) && an.has(A_NPDU_VERSION) && an.has(A_NPDU_RESERVED_BITS));
        assert!(m.npdu.is_some());
        assert!(an.has(A_TRUNCATED));
        // DLEN past the end
        let mut an = Anomalies::default();
        let m = parse(
            &[0x81, 0x0a, 0x00, 0x09, 0x01, 0x20, 0x00, 0x05, 0x09],
            &mut an,
        )
        .unwrap();
        assert!(m.npdu.is_none() && an.has(A_TRUNCATED));
        assert!(parse(&[0x82, 0x0a, 0, 4], &mut an).is_none());
        // every prefix of a valid message parses without panicking
        let d = [
            0x81, 0x0a, 0x00, 0x11, 0x01, 0x04, 0x00, 0x05, 0x01, 0x0f, 0x0c, 0x00, 0x80, 0x00,
            0x01, 0x19, 0x55,
        ];
        for i in 0..d.len() {
            let _ = parse(&d[..i], &mut Anomalies::default());
        }
    }
}
