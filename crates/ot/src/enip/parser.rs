//! EtherNet/IP encapsulation and CIP.
//!
//! ```text
//! encapsulation (24 bytes, little endian):
//!   COMMAND(2) LENGTH(2) SESSION(4) STATUS(4) SENDER_CONTEXT(8) OPTIONS(4)
//!   then LENGTH bytes of command data
//! SendRRData / SendUnitData data:
//!   INTERFACE(4) TIMEOUT(2) CPF: COUNT(2) { TYPE(2) LEN(2) DATA }*
//!   0x00B2 unconnected data → CIP; 0x00B1 connected data → SEQ(2) + CIP;
//!   0x00A1 connected address → connection id (4)
//! CIP request:  SERVICE PATH_WORDS PATH(EPATH) DATA
//! CIP response: SERVICE|0x80 RESERVED STATUS EXT_WORDS EXT_STATUS DATA
//! ```

use reefwatch_applayer::bytes::{le16, le32};

pub const HEADER_LEN: usize = 24;
/// Largest encapsulated data accepted: the spec allows 65511 bytes (the
/// 16-bit length field could say 65535).
pub const MAX_MESSAGE: usize = 65511;

pub const A_BAD_COMMAND: u32 = 0;
pub const A_BAD_LENGTH: u32 = 1;
pub const A_BAD_CPF: u32 = 2;
pub const A_BAD_PATH: u32 = 3;
pub const A_NONZERO_STATUS: u32 = 4;
pub const A_UNSOLICITED_RESPONSE: u32 = 5;
pub const A_UNANSWERED: u32 = 6;
pub const A_TOO_MANY_TXS: u32 = 7;
pub const A_TRUNCATED_CIP: u32 = 8;
pub const A_CIP_ERROR: u32 = 9;

pub const ANOMALY_NAMES: &[&str] = &[
    "enip.unknown_command",
    "enip.bad_length",
    "enip.bad_cpf",
    "enip.bad_cip_path",
    "enip.error_status",
    "enip.unsolicited_response",
    "enip.unanswered_request",
    "enip.too_many_transactions",
    "enip.truncated_cip",
    "enip.cip_error_status",
];

/// Zero-copy view of one encapsulation message.
#[derive(Debug, Clone, Copy)]
pub struct Encap<T: AsRef<[u8]>> {
    buffer: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncapError {
    Truncated(usize),
}

impl<T: AsRef<[u8]>> Encap<T> {
    pub fn new_checked(buffer: T) -> Result<Self, EncapError> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(EncapError::Truncated(HEADER_LEN));
        }
        let total = HEADER_LEN + u16::from_le_bytes([b[2], b[3]]) as usize;
        if b.len() < total {
            return Err(EncapError::Truncated(total));
        }
        Ok(Encap { buffer })
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn command(&self) -> u16 {
        u16::from_le_bytes([self.b()[0], self.b()[1]])
    }
    pub fn length(&self) -> u16 {
        u16::from_le_bytes([self.b()[2], self.b()[3]])
    }
    pub fn session(&self) -> u32 {
        u32::from_le_bytes([self.b()[4], self.b()[5], self.b()[6], self.b()[7]])
    }
    pub fn status(&self) -> u32 {
        u32::from_le_bytes([self.b()[8], self.b()[9], self.b()[10], self.b()[11]])
    }
    pub fn sender_context(&self) -> &[u8] {
        &self.b()[12..20]
    }
    pub fn options(&self) -> u32 {
        u32::from_le_bytes([self.b()[20], self.b()[21], self.b()[22], self.b()[23]])
    }
    pub fn total_len(&self) -> usize {
        HEADER_LEN + self.length() as usize
    }
    pub fn data(&self) -> &[u8] {
        &self.b()[HEADER_LEN..self.total_len()]
    }
}

pub fn command_name(c: u16) -> &'static str {
    match c {
        0x0000 => "NOP",
        0x0004 => "ListServices",
        0x0063 => "ListIdentity",
        0x0064 => "ListInterfaces",
        0x0065 => "RegisterSession",
        0x0066 => "UnregisterSession",
        0x006f => "SendRRData",
        0x0070 => "SendUnitData",
        0x0072 => "IndicateStatus",
        0x0073 => "Cancel",
        _ => "unknown",
    }
}

pub fn is_known_command(c: u16) -> bool {
    command_name(c) != "unknown"
}

pub fn status_name(s: u32) -> &'static str {
    match s {
        0x0000 => "success",
        0x0001 => "invalid_command",
        0x0002 => "insufficient_memory",
        0x0003 => "incorrect_data",
        0x0064 => "invalid_session",
        0x0065 => "invalid_length",
        0x0069 => "unsupported_protocol_revision",
        _ => "unknown",
    }
}

/// One CPF item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpfItem<'a> {
    pub type_id: u16,
    pub data: &'a [u8],
}

/// Iterates the common packet format items of `d` (starting at the count).
pub struct CpfIter<'a> {
    rest: &'a [u8],
    left: u16,
    pub bad: bool,
}

impl<'a> CpfIter<'a> {
    pub fn new(d: &'a [u8]) -> Self {
        CpfIter {
            left: le16(d, 0).unwrap_or(0).min(16),
            rest: d.get(2..).unwrap_or(&[]),
            bad: d.len() < 2,
        }
    }
}

impl<'a> Iterator for CpfIter<'a> {
    type Item = CpfItem<'a>;
    fn next(&mut self) -> Option<CpfItem<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let t = le16(self.rest, 0);
        let l = le16(self.rest, 2);
        let (Some(t), Some(l)) = (t, l) else {
            self.bad = true;
            self.left = 0;
            return None;
        };
        let Some(data) = self.rest.get(4..4 + l as usize) else {
            self.bad = true;
            self.left = 0;
            return None;
        };
        self.rest = &self.rest[4 + l as usize..];
        Some(CpfItem { type_id: t, data })
    }
}

/// Logical path of a CIP request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CipPath<'a> {
    pub class: Option<u32>,
    pub instance: Option<u32>,
    pub attribute: Option<u32>,
    pub member: Option<u32>,
    pub connection_point: Option<u32>,
    /// First ANSI extended symbolic segment (tag name).
    pub symbol: Option<&'a [u8]>,
    pub port: Option<u16>,
    pub bad: bool,
}

/// Parse an EPATH (`p` = path bytes).
pub fn parse_path(p: &[u8]) -> CipPath<'_> {
    let mut r = CipPath::default();
    let mut i = 0usize;
    let mut guard = 0;
    while i < p.len() && guard < 64 {
        guard += 1;
        let seg = p[i];
        match seg {
            0x20 | 0x24 | 0x28 | 0x2c | 0x30 => {
                let Some(&v) = p.get(i + 1) else {
                    r.bad = true;
                    break;
                };
                set_logical(&mut r, seg, v as u32);
                i += 2;
            }
            0x21 | 0x25 | 0x29 | 0x2d | 0x31 => {
                let Some(v) = le16(p, i + 2) else {
                    r.bad = true;
                    break;
                };
                set_logical(&mut r, seg & 0xfc, v as u32);
                i += 4;
            }
            0x22 | 0x26 | 0x2a | 0x2e | 0x32 => {
                let Some(v) = le32(p, i + 2) else {
                    r.bad = true;
                    break;
                };
                set_logical(&mut r, seg & 0xfc, v);
                i += 6;
            }
            0x91 => {
                let Some(&l) = p.get(i + 1) else {
                    r.bad = true;
                    break;
                };
                let l = l as usize;
                let Some(s) = p.get(i + 2..i + 2 + l) else {
                    r.bad = true;
                    break;
                };
                if r.symbol.is_none() {
                    r.symbol = Some(s);
                }
                i += 2 + l + (l & 1);
            }
            0x00..=0x1f => {
                // port segment: bit 4 = extended link address size follows
                let port = (seg & 0x0f) as u16;
                r.port = Some(port);
                if seg & 0x10 != 0 {
                    let Some(&l) = p.get(i + 1) else {
                        r.bad = true;
                        break;
                    };
                    let l = l as usize;
                    i += 2 + l + (l & 1);
                } else {
                    i += 2;
                }
            }
            0x34 | 0x80 | 0x81 => {
                // electronic key / simple data segments: skip by size
                let Some(&l) = p.get(i + 1) else {
                    r.bad = true;
                    break;
                };
                i += if seg == 0x34 { 10 } else { 2 + 2 * l as usize };
            }
            _ => {
                r.bad = true;
                break;
            }
        }
    }
    r
}

fn set_logical(r: &mut CipPath<'_>, seg: u8, v: u32) {
    // the first class/instance/attribute of a path is the target
    match seg {
        0x20 => {
            r.class.get_or_insert(v);
        }
        0x24 => {
            r.instance.get_or_insert(v);
        }
        0x28 => r.member = Some(v),
        0x2c => r.connection_point = Some(v),
        0x30 => {
            r.attribute.get_or_insert(v);
        }
        _ => {}
    }
}

/// A CIP message (request or response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cip<'a> {
    pub service: u8,
    pub response: bool,
    pub path: CipPath<'a>,
    pub path_bytes: &'a [u8],
    pub general_status: Option<u8>,
    pub ext_status: &'a [u8],
    pub data: &'a [u8],
}

impl<'a> Cip<'a> {
    pub fn parse(b: &'a [u8]) -> Option<Cip<'a>> {
        let sc = *b.first()?;
        if sc & 0x80 != 0 {
            let st = *b.get(2)?;
            let n = *b.get(3)? as usize * 2;
            let ext = b.get(4..4 + n)?;
            Some(Cip {
                service: sc & 0x7f,
                response: true,
                path: CipPath::default(),
                path_bytes: &[],
                general_status: Some(st),
                ext_status: ext,
                data: &b[4 + n..],
            })
        } else {
            let n = *b.get(1)? as usize * 2;
            let pb = b.get(2..2 + n)?;
            Some(Cip {
                service: sc,
                response: false,
                path: parse_path(pb),
                path_bytes: pb,
                general_status: None,
                ext_status: &[],
                data: &b[2 + n..],
            })
        }
    }

    /// Embedded request of an Unconnected Send (class 6, service 0x52).
    pub fn unconnected_send_embedded(&self) -> Option<&'a [u8]> {
        if self.response || self.service != 0x52 || self.path.class != Some(6) {
            return None;
        }
        let d = self.data;
        let size = le16(d, 2)? as usize;
        d.get(4..4 + size)
    }

    /// Offsets of the embedded services of a Multiple Service Packet.
    pub fn multiple(&self) -> Option<MultipleIter<'a>> {
        if self.service != 0x0a {
            return None;
        }
        if !self.response && self.path.class != Some(2) {
            return None;
        }
        let d = self.data;
        let n = le16(d, 0)?;
        Some(MultipleIter {
            d,
            n: n.min(256),
            i: 0,
        })
    }
}

pub struct MultipleIter<'a> {
    d: &'a [u8],
    n: u16,
    i: u16,
}

impl<'a> Iterator for MultipleIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.i >= self.n {
            return None;
        }
        let k = self.i as usize;
        self.i += 1;
        let start = le16(self.d, 2 + 2 * k)? as usize;
        let end = if self.i < self.n {
            le16(self.d, 2 + 2 * (k + 1))? as usize
        } else {
            self.d.len()
        };
        if start >= end {
            self.n = 0;
            return None;
        }
        self.d.get(start..end)
    }
}

pub fn service_name(sc: u8, class: Option<u32>, symbolic: bool) -> &'static str {
    match (sc, class) {
        (0x4e, Some(6)) => "Forward_Close",
        (0x52, Some(6)) => "Unconnected_Send",
        (0x54, Some(6)) => "Forward_Open",
        (0x5b, Some(6)) => "Large_Forward_Open",
        (0x4c, _) if symbolic || class == Some(0x6b) => "Read_Tag",
        (0x4d, _) if symbolic || class == Some(0x6b) => "Write_Tag",
        (0x4e, _) if symbolic => "Read_Modify_Write_Tag",
        (0x52, _) if symbolic => "Read_Tag_Fragmented",
        (0x53, _) if symbolic => "Write_Tag_Fragmented",
        (0x55, _) => "Get_Instance_Attribute_List",
        _ => match sc {
            0x01 => "Get_Attributes_All",
            0x02 => "Set_Attributes_All",
            0x03 => "Get_Attribute_List",
            0x04 => "Set_Attribute_List",
            0x05 => "Reset",
            0x06 => "Start",
            0x07 => "Stop",
            0x08 => "Create",
            0x09 => "Delete",
            0x0a => "Multiple_Service_Packet",
            0x0d => "Apply_Attributes",
            0x0e => "Get_Attribute_Single",
            0x10 => "Set_Attribute_Single",
            0x11 => "Find_Next_Object_Instance",
            0x14 => "Error_Response",
            0x15 => "Restore",
            0x16 => "Save",
            0x17 => "No_Operation",
            0x18 => "Get_Member",
            0x19 => "Set_Member",
            0x1a => "Insert_Member",
            0x1b => "Remove_Member",
            0x1c => "GroupSync",
            0x4b..=0x63 => "Vendor_Specific",
            _ => "unknown",
        },
    }
}

pub fn class_name(c: u32) -> &'static str {
    match c {
        0x01 => "Identity",
        0x02 => "Message Router",
        0x03 => "DeviceNet",
        0x04 => "Assembly",
        0x05 => "Connection",
        0x06 => "Connection Manager",
        0x07 => "Register",
        0x08 => "Discrete Input Point",
        0x09 => "Discrete Output Point",
        0x0a => "Analog Input Point",
        0x0b => "Analog Output Point",
        0x0e => "Presence Sensing",
        0x0f => "Parameter",
        0x10 => "Parameter Group",
        0x12 => "Group",
        0x1d => "Discrete Input Group",
        0x1e => "Discrete Output Group",
        0x1f => "Discrete Group",
        0x37 => "File",
        0x43 => "Time Sync",
        0x47 => "Device Level Ring",
        0x48 => "QoS",
        0x4d => "Port Manager",
        0x67 => "PCCC",
        0x6b => "Symbol",
        0x6c => "Template",
        0x8b => "Wall Clock Time",
        0x8e => "Controller",
        0xa1 => "Firmware Update",
        0xac => "Controller Info",
        0xf4 => "Port",
        0xf5 => "TCP/IP Interface",
        0xf6 => "Ethernet Link",
        _ => "unknown",
    }
}

pub fn general_status_name(s: u8) -> &'static str {
    match s {
        0x00 => "success",
        0x01 => "connection_failure",
        0x02 => "resource_unavailable",
        0x03 => "invalid_parameter_value",
        0x04 => "path_segment_error",
        0x05 => "path_destination_unknown",
        0x06 => "partial_transfer",
        0x07 => "connection_lost",
        0x08 => "service_not_supported",
        0x09 => "invalid_attribute_value",
        0x0a => "attribute_list_error",
        0x0b => "already_in_requested_mode",
        0x0c => "object_state_conflict",
        0x0d => "object_already_exists",
        0x0e => "attribute_not_settable",
        0x0f => "privilege_violation",
        0x10 => "device_state_conflict",
        0x11 => "reply_data_too_large",
        0x13 => "not_enough_data",
        0x14 => "attribute_not_supported",
        0x15 => "too_much_data",
        0x16 => "object_does_not_exist",
        0x1e => "embedded_service_error",
        0x1f => "vendor_specific_error",
        0x20 => "invalid_parameter",
        _ => "other",
    }
}

/// ListIdentity response item (type 0x000C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity<'a> {
    pub protocol_version: u16,
    pub ip: [u8; 4],
    pub port: u16,
    pub vendor_id: u16,
    pub device_type: u16,
    pub product_code: u16,
    pub revision: (u8, u8),
    pub status: u16,
    pub serial: u32,
    pub product_name: &'a [u8],
    pub state: Option<u8>,
}

impl<'a> Identity<'a> {
    pub fn parse(d: &'a [u8]) -> Option<Identity<'a>> {
        let n = *d.get(32)? as usize;
        Some(Identity {
            protocol_version: le16(d, 0)?,
            port: u16::from_be_bytes([*d.get(4)?, *d.get(5)?]),
            ip: [*d.get(6)?, *d.get(7)?, *d.get(8)?, *d.get(9)?],
            vendor_id: le16(d, 18)?,
            device_type: le16(d, 20)?,
            product_code: le16(d, 22)?,
            revision: (*d.get(24)?, *d.get(25)?),
            status: le16(d, 26)?,
            serial: le32(d, 28)?,
            product_name: d.get(33..33 + n)?,
            state: d.get(33 + n).copied(),
        })
    }
}

pub fn device_type_name(t: u16) -> &'static str {
    match t {
        0x00 => "Generic Device",
        0x02 => "AC Drive",
        0x03 => "Motor Overload",
        0x04 => "Limit Switch",
        0x05 => "Inductive Proximity Switch",
        0x06 => "Photoelectric Sensor",
        0x07 => "General Purpose Discrete I/O",
        0x0c => "Communications Adapter",
        0x0e => "Programmable Logic Controller",
        0x13 => "DC Drive",
        0x18 => "Human-Machine Interface",
        0x1b => "Pneumatic Valve",
        0x21 => "Managed Ethernet Switch",
        0x2b => "Generic Device (keyable)",
        _ => "other",
    }
}

/// A few vendor ids (ODVA) seen in ICS networks.
pub fn vendor_name(v: u16) -> Option<&'static str> {
    Some(match v {
        1 => "Rockwell Automation/Allen-Bradley",
        2 => "Namco Controls",
        5 => "Rockwell Automation/Reliance Electric",
        40 => "WAGO",
        44 => "Danfoss",
        47 => "Omron",
        48 => "Turck",
        49 => "Grayhill",
        50 => "Real Time Automation",
        52 => "Parker Hannifin",
        58 => "Rockwell Automation",
        73 => "Molex",
        90 => "HMS Industrial Networks",
        108 => "Beckhoff",
        119 => "Keyence",
        243 => "Schneider Electric",
        283 => "Hilscher",
        356 => "Fanuc",
        674 => "Moxa",
        772 => "Siemens",
        808 => "SICK",
        1105 => "Cisco",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // RegisterSession request: cmd 0x65, len 4, session 0, status 0,
    // context 8 bytes, options 0, data: version 1, options 0.
    static REGISTER: [u8; 28] = [
        0x65, 0x00, 0x04, 0x00, // command, length
        0x00, 0x00, 0x00, 0x00, // session
        0x00, 0x00, 0x00, 0x00, // status
        1, 2, 3, 4, 5, 6, 7, 8, // sender context
        0x00, 0x00, 0x00, 0x00, // options
        0x01, 0x00, 0x00, 0x00, // protocol version 1, options 0
    ];

    #[test]
    fn encap_view() {
        let e = Encap::new_checked(&REGISTER[..]).unwrap();
        assert_eq!(e.command(), 0x65);
        assert_eq!(command_name(e.command()), "RegisterSession");
        assert_eq!(e.length(), 4);
        assert_eq!(e.sender_context(), &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(e.data(), &[1, 0, 0, 0]);
        assert_eq!(
            Encap::new_checked(&REGISTER[..27]).unwrap_err(),
            EncapError::Truncated(28)
        );
    }

    #[test]
    fn cip_request_path_and_response() {
        // Get_Attribute_Single class 1 instance 1 attribute 7
        let req = [0x0e, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07];
        let c = Cip::parse(&req).unwrap();
        assert!(!c.response);
        assert_eq!(c.service, 0x0e);
        assert_eq!(
            (c.path.class, c.path.instance, c.path.attribute),
            (Some(1), Some(1), Some(7))
        );
        assert_eq!(
            service_name(c.service, c.path.class, false),
            "Get_Attribute_Single"
        );
        // response: 8e 00 00 00 data
        let resp = [0x8e, 0x00, 0x00, 0x00, 0x41, 0x42];
        let r = Cip::parse(&resp).unwrap();
        assert!(r.response);
        assert_eq!(r.general_status, Some(0));
        assert_eq!(r.data, b"AB");
        // 16-bit class, symbolic tag
        let p = parse_path(&[0x21, 0x00, 0x6b, 0x00, 0x91, 0x03, b'T', b'a', b'g', 0x00]);
        assert_eq!(p.class, Some(0x6b));
        assert_eq!(p.symbol, Some(&b"Tag"[..]));
        assert!(!p.bad);
        assert!(parse_path(&[0x20]).bad);
    }

    #[test]
    fn unconnected_send_and_multiple() {
        // Unconnected Send to CM (class 6 inst 1), embedded Get_Attributes_All class 1 inst 1
        let us = [
            0x52, 0x02, 0x20, 0x06, 0x24, 0x01, // service, path
            0x0a, 0xf0, // priority/tick, timeout
            0x06, 0x00, // embedded size 6
            0x01, 0x02, 0x20, 0x01, 0x24, 0x01, // embedded request
            0x01, 0x00, 0x01, 0x00, // route path: 1 word, port 1 slot 0
        ];
        let c = Cip::parse(&us).unwrap();
        let e = Cip::parse(c.unconnected_send_embedded().unwrap()).unwrap();
        assert_eq!(e.service, 1);
        assert_eq!(e.path.class, Some(1));
        // MSP with 2 services
        let msp = [
            0x0a, 0x02, 0x20, 0x02, 0x24, 0x01, // service, path to message router
            0x02, 0x00, 0x06, 0x00, 0x0c, 0x00, // count 2, offsets 6, 12
            0x0e, 0x02, 0x20, 0x01, 0x24, 0x01, // Get_Attribute_Single id
            0x01, 0x02, 0x20, 0x01, 0x24, 0x01, // Get_Attributes_All
        ];
        let c = Cip::parse(&msp).unwrap();
        let v: Vec<_> = c
            .multiple()
            .unwrap()
            .filter_map(Cip::parse)
            .map(|x| x.service)
            .collect();
        assert_eq!(v, vec![0x0e, 0x01]);
    }

    #[test]
    fn list_identity_item() {
        let mut d = vec![0x01, 0x00]; // protocol version
        d.extend_from_slice(&[0x00, 0x02, 0xaf, 0x12, 192, 168, 1, 10]); // sockaddr family, port, ip
        d.extend_from_slice(&[0; 8]);
        d.extend_from_slice(&[0x01, 0x00, 0x0e, 0x00, 0x36, 0x00, 20, 11]); // vendor 1, PLC, code 54, rev 20.11
        d.extend_from_slice(&[0x60, 0x30, 0x78, 0x56, 0x34, 0x12]); // status, serial
        d.push(9);
        d.extend_from_slice(b"1756-L61/");
        d.push(3);
        let id = Identity::parse(&d).unwrap();
        assert_eq!(id.vendor_id, 1);
        assert_eq!(id.product_code, 54);
        assert_eq!(id.revision, (20, 11));
        assert_eq!(id.serial, 0x12345678);
        assert_eq!(id.product_name, b"1756-L61/");
        assert_eq!(id.ip, [192, 168, 1, 10]);
        assert_eq!(id.state, Some(3));
        assert!(Identity::parse(&d[..30]).is_none());
    }
}
