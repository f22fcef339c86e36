//! HART-IP wire format (HCF_SPEC-85): the 8-byte header and the bodies of
//! session initiate, pass-through (a HART token-passing PDU) and the
//! others.
//!
//! ```text
//!  0    1    2    3    4     6       8
//!  +----+----+----+----+-----+-------+---------------------+
//!  |VER |TYPE| ID |STAT| SEQ | COUNT | body (COUNT - 8)    |
//!  +----+----+----+----+-----+-------+---------------------+
//! COUNT is the whole message's length, header included.
//!
//! Pass-through body (HART PDU):
//!  +-----+-------------+-----+---+----+-------------------+------+
//!  |DELIM| addr (1|5)  | exp |CMD| BC | [RC DS] data      | CKSUM|
//!  +-----+-------------+-----+---+----+-------------------+------+
//! DELIM: bit 7 long (5-byte) address, bits 6..5 expansion bytes, bits
//! 2..0 frame type (1 burst, 2 STX request, 6 ACK response). BC counts
//! the response code and device status of an ACK. CKSUM is the XOR of
//! every byte from DELIM on.
//! ```

use reefwatch_applayer::bytes::{be16, be32};
use reefwatch_applayer::Anomalies;

mod field {
    pub const VERSION: usize = 0;
    pub const TYPE: usize = 1;
    pub const ID: usize = 2;
    pub const STATUS: usize = 3;
    pub const SEQ: usize = 4;
    pub const COUNT: usize = 6;
}

/// Header length.
pub const HDR_LEN: usize = 8;
/// Largest message accepted (the spec's pass-through PDUs are < 300
/// bytes; audit logs are longer): past this, framing is lost.
pub const MAX_MSG_LEN: usize = 8192;
/// Most data bytes of a HART PDU (BC is one byte).
pub const MAX_PDU_DATA: usize = 255;

pub const TYPE_REQUEST: u8 = 0;
pub const TYPE_RESPONSE: u8 = 1;
pub const TYPE_NOTIFICATION: u8 = 2;
pub const TYPE_ERROR: u8 = 3;
pub const TYPE_NAK: u8 = 15;

pub const ID_SESSION_INITIATE: u8 = 0;
pub const ID_SESSION_CLOSE: u8 = 1;
pub const ID_KEEP_ALIVE: u8 = 2;
pub const ID_PASS_THROUGH: u8 = 3;
pub const ID_DIRECT_PDU: u8 = 4;
pub const ID_READ_AUDIT_LOG: u8 = 128;

// Anomaly bits.
pub const A_BAD_VERSION: u32 = 0;
pub const A_UNKNOWN_TYPE: u32 = 1;
pub const A_UNKNOWN_ID: u32 = 2;
pub const A_INVALID_LENGTH: u32 = 3;
pub const A_BAD_CHECKSUM: u32 = 4;
pub const A_UNSOLICITED_RESPONSE: u32 = 5;
pub const A_UNANSWERED: u32 = 6;
pub const A_TOO_MANY_TXS: u32 = 7;
pub const A_NO_SESSION: u32 = 8;
pub const A_AFTER_CLOSE: u32 = 9;
pub const A_BAD_HEADER: u32 = 10;
pub const A_BAD_DELIMITER: u32 = 11;
pub const A_COMMAND_MISMATCH: u32 = 12;

/// Names of the anomaly bits (`hart_ip.<name>`).
pub const ANOMALY_NAMES: &[&str] = &[
    "hart_ip.unknown_version",
    "hart_ip.unknown_message_type",
    "hart_ip.unknown_message_id",
    "hart_ip.invalid_length",
    "hart_ip.bad_checksum",
    "hart_ip.unsolicited_response",
    "hart_ip.unanswered_request",
    "hart_ip.too_many_transactions",
    "hart_ip.no_session",
    "hart_ip.message_after_close",
    "hart_ip.bad_header",
    "hart_ip.bad_delimiter",
    "hart_ip.command_mismatch",
];

/// Zero-copy view of one HART-IP message.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    b: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// Need this many bytes in total.
    Truncated(usize),
    /// COUNT below 8 or above [`MAX_MSG_LEN`].
    BadLength,
}

impl<'a> Header<'a> {
    /// Check that the header is there, COUNT is sane and the whole
    /// message is in `b`.
    pub fn new_checked(b: &'a [u8]) -> Result<Header<'a>, HeaderError> {
        let Some(n) = be16(b, field::COUNT) else {
            return Err(HeaderError::Truncated(HDR_LEN));
        };
        let n = n as usize;
        if !(HDR_LEN..=MAX_MSG_LEN).contains(&n) {
            return Err(HeaderError::BadLength);
        }
        if b.len() < n {
            return Err(HeaderError::Truncated(n));
        }
        Ok(Header { b: &b[..n] })
    }
    pub fn version(&self) -> u8 {
        self.b[field::VERSION]
    }
    pub fn msg_type(&self) -> u8 {
        self.b[field::TYPE]
    }
    pub fn msg_id(&self) -> u8 {
        self.b[field::ID]
    }
    pub fn status(&self) -> u8 {
        self.b[field::STATUS]
    }
    pub fn seq(&self) -> u16 {
        u16::from_be_bytes([self.b[field::SEQ], self.b[field::SEQ + 1]])
    }
    pub fn len(&self) -> usize {
        self.b.len()
    }
    pub fn is_empty(&self) -> bool {
        false
    }
    pub fn body(&self) -> &'a [u8] {
        &self.b[HDR_LEN..]
    }
}

pub fn type_known(t: u8) -> bool {
    matches!(t, 0..=3 | 15)
}

pub fn type_name(t: u8) -> &'static str {
    match t {
        TYPE_REQUEST => "request",
        TYPE_RESPONSE => "response",
        TYPE_NOTIFICATION => "notification",
        TYPE_ERROR => "error",
        TYPE_NAK => "nak",
        _ => "unknown",
    }
}

pub fn id_name(id: u8) -> &'static str {
    match id {
        ID_SESSION_INITIATE => "session_initiate",
        ID_SESSION_CLOSE => "session_close",
        ID_KEEP_ALIVE => "keep_alive",
        ID_PASS_THROUGH => "pass_through",
        ID_DIRECT_PDU => "direct_pdu",
        ID_READ_AUDIT_LOG => "read_audit_log",
        _ => "unknown",
    }
}

pub fn id_known(id: u8) -> bool {
    id_name(id) != "unknown"
}

/// A HART device address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address {
    /// Polling address 0..63.
    Short(u8),
    /// Expanded device type (14 bits) and device id (24 bits).
    Long { device_type: u16, device_id: u32 },
}

/// A decoded HART token-passing PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pdu<'a> {
    pub delimiter: u8,
    /// 1 burst, 2 STX (request), 6 ACK (response).
    pub frame_type: u8,
    pub address: Address,
    /// Master address bit (primary master) and burst mode bit.
    pub primary_master: bool,
    pub burst: bool,
    /// Command number (for command 31, the 16-bit extended command).
    pub command: u16,
    pub response_code: Option<u8>,
    pub device_status: Option<u8>,
    pub data: &'a [u8],
    pub checksum_ok: bool,
}

/// Frame type names.
pub fn frame_type_name(f: u8) -> &'static str {
    match f {
        1 => "burst",
        2 => "stx",
        6 => "ack",
        _ => "unknown",
    }
}

/// Bytes a PDU with delimiter `delim` and byte count `bc` takes:
/// delimiter, address, expansion, command, byte count, data, checksum.
pub fn pdu_len(delim: u8, bc: u8) -> usize {
    let addr = if delim & 0x80 != 0 { 5 } else { 1 };
    let exp = ((delim >> 5) & 3) as usize;
    1 + addr + exp + 2 + bc as usize + 1
}

/// Decode a HART PDU (pass-through body). `None` when it is too short
/// for its own lengths or its frame type is not one of the spec's.
pub fn parse_pdu<'a>(b: &'a [u8], an: &mut Anomalies) -> Option<Pdu<'a>> {
    let delim = *b.first()?;
    let frame_type = delim & 7;
    if !matches!(frame_type, 1 | 2 | 6) {
        an.set(A_BAD_DELIMITER);
        return None;
    }
    let long = delim & 0x80 != 0;
    let alen = if long { 5 } else { 1 };
    let exp = ((delim >> 5) & 3) as usize;
    let a = b.get(1..1 + alen)?;
    let mut off = 1 + alen + exp;
    let cmd = *b.get(off)?;
    let bc = *b.get(off + 1)? as usize;
    off += 2;
    let total = off + bc + 1;
    if b.len() < total {
        an.set(A_INVALID_LENGTH);
        return None;
    }
    if b.len() > total {
        an.set(A_INVALID_LENGTH);
    }
    let checksum_ok = b[..total - 1].iter().fold(0u8, |x, &y| x ^ y) == b[total - 1];
    if !checksum_ok {
        an.set(A_BAD_CHECKSUM);
    }
    let mut data = &b[off..off + bc];
    let (mut rc, mut ds) = (None, None);
    if frame_type != 2 {
        if data.len() < 2 {
            an.set(A_INVALID_LENGTH);
        } else {
            rc = Some(data[0]);
            ds = Some(data[1]);
            data = &data[2..];
        }
    }
    let mut command = cmd as u16;
    if cmd == 31 && data.len() >= 2 {
        command = u16::from_be_bytes([data[0], data[1]]);
        data = &data[2..];
    }
    let address = if long {
        Address::Long {
            device_type: u16::from_be_bytes([a[0] & 0x3f, a[1]]),
            device_id: u32::from_be_bytes([0, a[2], a[3], a[4]]),
        }
    } else {
        Address::Short(a[0] & 0x3f)
    };
    Some(Pdu {
        delimiter: delim,
        frame_type,
        address,
        primary_master: a[0] & 0x80 != 0,
        burst: a[0] & 0x40 != 0,
        command,
        response_code: rc,
        device_status: ds,
        data,
        checksum_ok,
    })
}

/// Session initiate body: host type and inactivity close timer (ms).
pub fn session_initiate(body: &[u8]) -> Option<(u8, u32)> {
    Some((*body.first()?, be32(body, 1)?))
}

/// Identity from a command 0 (read unique identifier) response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub expanded_device_type: u16,
    pub universal_revision: u8,
    pub device_revision: u8,
    pub software_revision: u8,
    pub hardware_revision: u8,
    pub device_id: u32,
    pub manufacturer_id: u16,
    pub private_label: Option<u16>,
    pub device_profile: Option<u8>,
}

/// Command 0 response data (after response code and device status).
pub fn identity(d: &[u8]) -> Option<Identity> {
    if d.len() < 12 {
        return None;
    }
    // HART 5 responses end at byte 11 with an 8-bit device type and
    // manufacturer; HART 6/7 have 254 first and an expanded type
    let hart7 = d.len() >= 19;
    Some(Identity {
        expanded_device_type: u16::from_be_bytes([d[1], d[2]]),
        universal_revision: d[4],
        device_revision: d[5],
        software_revision: d[6],
        hardware_revision: d[7] >> 3,
        device_id: u32::from_be_bytes([0, d[9], d[10], d[11]]),
        manufacturer_id: if hart7 {
            u16::from_be_bytes([d[17], d[18]])
        } else {
            d[1] as u16
        },
        private_label: if d.len() >= 21 {
            Some(u16::from_be_bytes([d[19], d[20]]))
        } else {
            None
        },
        device_profile: d.get(21).copied(),
    })
}

/// Unpack HART packed ASCII (four 6-bit characters in three bytes) into
/// `out`; returns the characters written.
pub fn unpack_ascii(p: &[u8], out: &mut [u8]) -> usize {
    let mut n = 0;
    for ch in p.chunks_exact(3) {
        let v = u32::from_be_bytes([0, ch[0], ch[1], ch[2]]);
        for i in (0..4).rev() {
            if n == out.len() {
                return n;
            }
            let c = ((v >> (6 * i)) & 0x3f) as u8;
            out[n] = if c & 0x20 == 0 { c | 0x40 } else { c };
            n += 1;
        }
    }
    n
}

/// Names of the common HART commands.
pub fn command_name(c: u16) -> &'static str {
    match c {
        0 => "read_unique_identifier",
        1 => "read_primary_variable",
        2 => "read_loop_current_and_percent_of_range",
        3 => "read_dynamic_variables_and_loop_current",
        6 => "write_polling_address",
        7 => "read_loop_configuration",
        8 => "read_dynamic_variable_classifications",
        9 => "read_device_variables_with_status",
        11 => "read_unique_identifier_with_tag",
        12 => "read_message",
        13 => "read_tag_descriptor_date",
        14 => "read_primary_variable_transducer_information",
        15 => "read_device_information",
        16 => "read_final_assembly_number",
        17 => "write_message",
        18 => "write_tag_descriptor_date",
        19 => "write_final_assembly_number",
        20 => "read_long_tag",
        21 => "read_unique_identifier_with_long_tag",
        22 => "write_long_tag",
        33 => "read_device_variables",
        34 => "write_primary_variable_damping_value",
        35 => "write_primary_variable_range_values",
        36 => "set_primary_variable_upper_range_value",
        37 => "set_primary_variable_lower_range_value",
        38 => "reset_configuration_changed_flag",
        40 => "enter_exit_fixed_current_mode",
        41 => "perform_self_test",
        42 => "perform_device_reset",
        43 => "set_primary_variable_zero",
        44 => "write_primary_variable_units",
        45 => "trim_loop_current_zero",
        46 => "trim_loop_current_gain",
        47 => "write_primary_variable_transfer_function",
        48 => "read_additional_device_status",
        49 => "write_primary_variable_transducer_serial_number",
        50 => "read_dynamic_variable_assignments",
        51 => "write_dynamic_variable_assignments",
        53 => "write_device_variable_units",
        59 => "write_number_of_response_preambles",
        79 => "write_device_variable",
        89 => "set_real_time_clock",
        90 => "read_real_time_clock",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn session_initiate_request() {
        // ITI hart/hart_ip.pcap frame 1 (49905 -> 5094):
        // 01 00 00 00   version 1, request, session initiate, status 0
        // 00 02 00 0d   sequence 2, byte count 13
        // 01 00007530   primary host, inactivity close timer 30000 ms
        let b = hex("010000000002000d0100007530");
        let h = Header::new_checked(&b).unwrap();
        assert_eq!((h.version(), h.msg_type(), h.msg_id()), (1, 0, 0));
        assert_eq!((h.seq(), h.len()), (2, 13));
        assert_eq!(session_initiate(h.body()), Some((1, 30000)));
        assert_eq!(
            Header::new_checked(&b[..12]).unwrap_err(),
            HeaderError::Truncated(13)
        );
        let mut z = b.clone();
        z[7] = 4;
        assert_eq!(Header::new_checked(&z).unwrap_err(), HeaderError::BadLength);
    }

    #[test]
    fn pass_through_command_0() {
        // frame 3: pass-through request, sequence 3, 17 bytes; PDU:
        // 82           STX, long address
        // 26 4e 00 00 d2  primary master, device type 0x264e, id 0x0000d2
        // 00 00        command 0, byte count 0
        // 38           checksum
        let b = hex("010003000003001182264e0000d2000038");
        let h = Header::new_checked(&b).unwrap();
        let mut an = Anomalies::default();
        let p = parse_pdu(h.body(), &mut an).unwrap();
        assert!(an.is_empty() && p.checksum_ok);
        assert_eq!(p.frame_type, 2);
        assert_eq!(p.command, 0);
        assert_eq!(
            p.address,
            Address::Long {
                device_type: 0x264e,
                device_id: 0xd2
            }
        );
        assert!(!p.primary_master);
        assert_eq!(pdu_len(0x82, 0), h.body().len());
        // frame 4: the ACK: byte count 24, response code 0, device status
        // 0xd0, then the command 0 data
        let r = hex(concat!(
            "010103000003002986264e0000d2001800d0fe264e050704010e0c0000d2",
            "05020002d00026002684e4"
        ));
        let h = Header::new_checked(&r).unwrap();
        let p = parse_pdu(h.body(), &mut an).unwrap();
        assert!(an.is_empty(), "{an:?}");
        assert_eq!((p.response_code, p.device_status), (Some(0), Some(0xd0)));
        let id = identity(p.data).unwrap();
        assert_eq!(id.expanded_device_type, 0x264e);
        assert_eq!((id.universal_revision, id.device_revision), (7, 4));
        assert_eq!(id.software_revision, 1);
        assert_eq!(id.device_id, 0xd2);
        assert_eq!(id.manufacturer_id, 38);
        assert_eq!(id.private_label, Some(38));
        assert_eq!(id.device_profile, Some(132));
        // a flipped byte breaks the checksum
        let mut bad = r.clone();
        bad[20] ^= 1;
        let h = Header::new_checked(&bad).unwrap();
        let mut an = Anomalies::default();
        assert!(!parse_pdu(h.body(), &mut an).unwrap().checksum_ok);
        assert!(an.has(A_BAD_CHECKSUM));
    }

    #[test]
    fn short_address_and_packed_ascii() {
        // TCP frame 80: STX short address 0, command 0, checksum 02
        let mut an = Anomalies::default();
        let stx = hex("0200000002");
        let p = parse_pdu(&stx, &mut an).unwrap();
        assert_eq!(p.address, Address::Short(0));
        assert!(p.checksum_ok);
        // packed "ABCD": 000001 000010 000011 000100
        let mut out = [0u8; 8];
        assert_eq!(unpack_ascii(&[0x04, 0x20, 0xc4], &mut out), 4);
        assert_eq!(&out[..4], b"ABCD");
        // frame type 3 is no HART frame; a PDU shorter than its count
        assert!(parse_pdu(&hex("0300000003"), &mut an).is_none());
        assert!(an.has(A_BAD_DELIMITER));
        let mut an = Anomalies::default();
        assert!(parse_pdu(&hex("02000005"), &mut an).is_none());
        assert!(an.has(A_INVALID_LENGTH));
    }
}
