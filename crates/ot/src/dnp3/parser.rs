//! DNP3 wire format: data link frames (with CRC check), transport header,
//! application header and object headers with their points.
//!
//! ```text
//! link frame:  05 64 | LEN | CTRL | DST(le) | SRC(le) | CRC(le)   (10 bytes)
//!              then user data in blocks of ≤16 bytes, each followed by CRC
//!              LEN counts CTRL+DST+SRC+user data (5 + n), 5..=255
//! transport:   FIN(0x80) FIR(0x40) SEQ(6 bits), first user-data byte
//! application: AC(FIR FIN CON UNS SEQ4) FC [IIN1 IIN2 if response] objects
//! object:      GROUP VAR QUAL [range] then points ([prefix] data)
//! ```

use reefwatch_applayer::bytes::{le16, le32, le48, le64};
use reefwatch_applayer::Anomalies;

pub const START: [u8; 2] = [0x05, 0x64];
pub const HEADER_LEN: usize = 10;
/// Largest application fragment we reassemble (DNP3 default max is 2048).
pub const MAX_FRAGMENT: usize = 8192;

// Anomaly bits.
pub const A_BAD_HEADER_CRC: u32 = 0;
pub const A_BAD_DATA_CRC: u32 = 1;
pub const A_BAD_LENGTH: u32 = 2;
pub const A_LOST_SYNC: u32 = 3;
pub const A_TRANSPORT_SEQ: u32 = 4;
pub const A_FRAGMENT_TOO_LARGE: u32 = 5;
pub const A_UNKNOWN_OBJECT: u32 = 6;
pub const A_BAD_QUALIFIER: u32 = 7;
pub const A_TRUNCATED_OBJECT: u32 = 8;
pub const A_BAD_RANGE: u32 = 9;
pub const A_UNSOLICITED: u32 = 10;
pub const A_UNANSWERED: u32 = 11;
pub const A_TOO_MANY_TXS: u32 = 12;
pub const A_TRANSPORT_NO_FIR: u32 = 13;
pub const A_SHORT_APDU: u32 = 14;
pub const A_UNKNOWN_FUNCTION: u32 = 15;

pub const ANOMALY_NAMES: &[&str] = &[
    "dnp3.bad_link_header_crc",
    "dnp3.bad_link_data_crc",
    "dnp3.bad_link_length",
    "dnp3.lost_sync",
    "dnp3.transport_sequence_error",
    "dnp3.fragment_too_large",
    "dnp3.unknown_object",
    "dnp3.bad_qualifier",
    "dnp3.truncated_object",
    "dnp3.bad_range",
    "dnp3.unsolicited_response",
    "dnp3.unanswered_request",
    "dnp3.too_many_transactions",
    "dnp3.transport_segment_without_first",
    "dnp3.short_application_header",
    "dnp3.unknown_function",
];

static CRC_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u16;
        let mut j = 0;
        while j < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xa6bc
            } else {
                c >> 1
            };
            j += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// DNP3 CRC-16 (polynomial 0x3D65, reflected, complemented).
pub fn crc(data: &[u8]) -> u16 {
    let mut c: u16 = 0;
    for &b in data {
        c = (c >> 8) ^ CRC_TABLE[((c ^ b as u16) & 0xff) as usize];
    }
    !c
}

/// Total bytes on the wire of a link frame whose LEN field is `len`.
pub fn frame_len(len: u8) -> usize {
    let user = (len as usize).saturating_sub(5);
    HEADER_LEN + user + 2 * user.div_ceil(16)
}

/// Zero-copy view of one link frame.
#[derive(Debug, Clone, Copy)]
pub struct LinkFrame<T: AsRef<[u8]>> {
    buffer: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    Truncated(usize),
    BadStart,
    BadLength,
}

impl<T: AsRef<[u8]>> LinkFrame<T> {
    pub fn new_checked(buffer: T) -> Result<Self, LinkError> {
        let b = buffer.as_ref();
        if b.len() < 3 {
            if b.first().is_some_and(|&x| x != START[0]) || b.get(1).is_some_and(|&x| x != START[1])
            {
                return Err(LinkError::BadStart);
            }
            return Err(LinkError::Truncated(HEADER_LEN));
        }
        if b[0..2] != START {
            return Err(LinkError::BadStart);
        }
        if b[2] < 5 {
            return Err(LinkError::BadLength);
        }
        let total = frame_len(b[2]);
        if b.len() < total.max(HEADER_LEN) {
            return Err(LinkError::Truncated(total.max(HEADER_LEN)));
        }
        Ok(LinkFrame { buffer })
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn length(&self) -> u8 {
        self.b()[2]
    }
    pub fn control(&self) -> u8 {
        self.b()[3]
    }
    pub fn destination(&self) -> u16 {
        u16::from_le_bytes([self.b()[4], self.b()[5]])
    }
    pub fn source(&self) -> u16 {
        u16::from_le_bytes([self.b()[6], self.b()[7]])
    }
    pub fn total_len(&self) -> usize {
        frame_len(self.length())
    }
    pub fn header_crc_ok(&self) -> bool {
        let b = self.b();
        crc(&b[0..8]) == u16::from_le_bytes([b[8], b[9]])
    }
    pub fn user_data_len(&self) -> usize {
        self.length() as usize - 5
    }
    /// Copy the user data (CRCs removed) into `out`; returns the number of
    /// bytes and whether every block CRC matched.
    pub fn user_data(&self, out: &mut [u8; 250]) -> (usize, bool) {
        let b = self.b();
        let n = self.user_data_len();
        let mut ok = true;
        let mut pos = HEADER_LEN;
        let mut w = 0;
        while w < n {
            let blk = (n - w).min(16);
            let data = &b[pos..pos + blk];
            let c = u16::from_le_bytes([b[pos + blk], b[pos + blk + 1]]);
            if crc(data) != c {
                ok = false;
            }
            out[w..w + blk].copy_from_slice(data);
            w += blk;
            pos += blk + 2;
        }
        (n, ok)
    }
    pub fn dir(&self) -> bool {
        self.control() & 0x80 != 0
    }
    pub fn prm(&self) -> bool {
        self.control() & 0x40 != 0
    }
    pub fn fcb(&self) -> bool {
        self.control() & 0x20 != 0
    }
    pub fn fcv(&self) -> bool {
        self.control() & 0x10 != 0
    }
    pub fn link_function(&self) -> u8 {
        self.control() & 0x0f
    }
}

pub fn link_function_name(prm: bool, f: u8) -> &'static str {
    if prm {
        match f {
            0 => "reset_link_states",
            1 => "reset_user_process",
            2 => "test_link_states",
            3 => "confirmed_user_data",
            4 => "unconfirmed_user_data",
            9 => "request_link_status",
            _ => "reserved",
        }
    } else {
        match f {
            0 => "ack",
            1 => "nack",
            11 => "link_status",
            14 => "link_not_functioning",
            15 => "link_not_supported",
            _ => "reserved",
        }
    }
}

pub fn function_name(fc: u8) -> &'static str {
    match fc {
        0 => "confirm",
        1 => "read",
        2 => "write",
        3 => "select",
        4 => "operate",
        5 => "direct_operate",
        6 => "direct_operate_nr",
        7 => "immed_freeze",
        8 => "immed_freeze_nr",
        9 => "freeze_clear",
        10 => "freeze_clear_nr",
        11 => "freeze_at_time",
        12 => "freeze_at_time_nr",
        13 => "cold_restart",
        14 => "warm_restart",
        15 => "initialize_data",
        16 => "initialize_appl",
        17 => "start_appl",
        18 => "stop_appl",
        19 => "save_config",
        20 => "enable_unsolicited",
        21 => "disable_unsolicited",
        22 => "assign_class",
        23 => "delay_measure",
        24 => "record_current_time",
        25 => "open_file",
        26 => "close_file",
        27 => "delete_file",
        28 => "get_file_info",
        29 => "authenticate_file",
        30 => "abort_file",
        31 => "activate_config",
        32 => "authenticate_req",
        33 => "authenticate_req_nr",
        129 => "response",
        130 => "unsolicited_response",
        131 => "authenticate_resp",
        _ => "unknown",
    }
}

/// IIN bit names as Suricata writes them (IIN1 bit 0 first).
pub const IIN_NAMES: [&str; 16] = [
    "all_stations",
    "class_1_events",
    "class_2_events",
    "class_3_events",
    "need_time",
    "local_control",
    "device_trouble",
    "device_restart",
    "no_func_code_support",
    "object_unknown",
    "parameter_error",
    "event_buffer_overflow",
    "already_executing",
    "config_corrupt",
    "reserved_2",
    "reserved_1",
];

/// Application header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppHeader {
    pub control: u8,
    pub function: u8,
    /// IIN1 | IIN2 << 8 for responses.
    pub iin: Option<u16>,
}

impl AppHeader {
    pub fn parse(frag: &[u8]) -> Option<(AppHeader, usize)> {
        let control = *frag.first()?;
        let function = *frag.get(1)?;
        if is_response(function) {
            let iin = le16(frag, 2)?;
            Some((
                AppHeader {
                    control,
                    function,
                    iin: Some(iin),
                },
                4,
            ))
        } else {
            Some((
                AppHeader {
                    control,
                    function,
                    iin: None,
                },
                2,
            ))
        }
    }
    pub fn fir(&self) -> bool {
        self.control & 0x80 != 0
    }
    pub fn fin(&self) -> bool {
        self.control & 0x40 != 0
    }
    pub fn con(&self) -> bool {
        self.control & 0x20 != 0
    }
    pub fn uns(&self) -> bool {
        self.control & 0x10 != 0
    }
    pub fn seq(&self) -> u8 {
        self.control & 0x0f
    }
}

pub fn is_response(fc: u8) -> bool {
    matches!(fc, 129..=131)
}

/// Request functions whose object headers carry no point data.
pub fn headers_only(fc: u8) -> bool {
    matches!(fc, 1 | 7..=10 | 13..=23 | 30 | 31)
}

/// How the points of an object are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// No point data (class objects, requests for data).
    None,
    /// Fixed bytes per point.
    Fixed(usize),
    /// Packed: bits per point (1 or 2), no prefixes.
    Packed(usize),
    /// Device attribute (group 0): type, length, value.
    Attribute,
    /// Size comes from the size prefix (free format, files, SA).
    Prefixed,
    Unknown,
}

pub fn object_size(g: u8, v: u8) -> Size {
    use Size::*;
    match (g, v) {
        (0, 254) | (0, 255) => None,
        (0, _) => Attribute,
        (1, 1) | (10, 1) | (80, 1) => Packed(1),
        (3, 1) => Packed(2),
        (1, 2) | (3, 2) | (10, 2) => Fixed(1),
        (2, 1) | (4, 1) | (11, 1) | (13, 1) => Fixed(1),
        (2, 2) | (4, 2) | (11, 2) | (13, 2) => Fixed(7),
        (2, 3) | (4, 3) => Fixed(3),
        (12, 1) | (12, 2) => Fixed(11),
        (12, 3) => Packed(1),
        (20, 1) | (20, 3) | (22, 1) | (22, 3) | (23, 1) | (23, 3) => Fixed(5),
        (20, 2) | (20, 4) | (22, 2) | (22, 4) | (23, 2) | (23, 4) => Fixed(3),
        (20, 5) | (20, 7) => Fixed(4),
        (20, 6) | (20, 8) => Fixed(2),
        (21, 1) | (21, 3) => Fixed(5),
        (21, 2) | (21, 4) => Fixed(3),
        (21, 5) | (21, 7) => Fixed(11),
        (21, 6) | (21, 8) => Fixed(9),
        (21, 9) | (21, 11) => Fixed(4),
        (21, 10) | (21, 12) => Fixed(2),
        (22, 5) | (22, 7) | (23, 5) | (23, 7) => Fixed(11),
        (22, 6) | (22, 8) | (23, 6) | (23, 8) => Fixed(9),
        (30, 1) | (30, 5) => Fixed(5),
        (30, 2) => Fixed(3),
        (30, 3) => Fixed(4),
        (30, 4) => Fixed(2),
        (30, 6) => Fixed(9),
        (31, 1) | (31, 7) => Fixed(5),
        (31, 2) => Fixed(3),
        (31, 3) => Fixed(11),
        (31, 4) => Fixed(9),
        (31, 5) => Fixed(4),
        (31, 6) => Fixed(2),
        (31, 8) => Fixed(9),
        (32, 1) | (32, 5) | (33, 1) | (33, 5) => Fixed(5),
        (32, 2) | (33, 2) => Fixed(3),
        (32, 3) | (32, 7) | (33, 3) | (33, 7) => Fixed(11),
        (32, 4) | (33, 4) => Fixed(9),
        (32, 6) | (33, 6) => Fixed(9),
        (32, 8) | (33, 8) => Fixed(15),
        (34, 1) => Fixed(2),
        (34, 2) | (34, 3) => Fixed(4),
        (40, 1) | (40, 3) => Fixed(5),
        (40, 2) => Fixed(3),
        (40, 4) => Fixed(9),
        (41, 1) | (41, 3) => Fixed(5),
        (41, 2) => Fixed(3),
        (41, 4) => Fixed(9),
        (42, 1) | (42, 5) | (43, 1) | (43, 5) => Fixed(5),
        (42, 2) | (43, 2) => Fixed(3),
        (42, 3) | (42, 7) | (43, 3) | (43, 7) => Fixed(11),
        (42, 4) | (43, 4) => Fixed(9),
        (42, 6) | (43, 6) => Fixed(9),
        (42, 8) | (43, 8) => Fixed(15),
        (50, 1) | (50, 3) => Fixed(6),
        (50, 2) => Fixed(10),
        (50, 4) => Fixed(11),
        (51, 1) | (51, 2) => Fixed(6),
        (52, 1) | (52, 2) => Fixed(2),
        (60, _) => None,
        (110..=113, n) if n > 0 => Fixed(n as usize),
        (121, 1) => Fixed(7),
        (122, 1) => Fixed(7),
        (122, 2) => Fixed(13),
        (70, _) | (120, _) => Prefixed,
        _ => Unknown,
    }
}

pub fn group_name(g: u8) -> &'static str {
    match g {
        0 => "device_attributes",
        1 => "binary_input",
        2 => "binary_input_event",
        3 => "double_bit_binary_input",
        4 => "double_bit_binary_input_event",
        10 => "binary_output",
        11 => "binary_output_event",
        12 => "binary_command",
        13 => "binary_output_command_event",
        20 => "counter",
        21 => "frozen_counter",
        22 => "counter_event",
        23 => "frozen_counter_event",
        30 => "analog_input",
        31 => "frozen_analog_input",
        32 => "analog_input_event",
        33 => "frozen_analog_input_event",
        34 => "analog_input_deadband",
        40 => "analog_output_status",
        41 => "analog_output",
        42 => "analog_output_event",
        43 => "analog_output_command_event",
        50 => "time_and_date",
        51 => "time_and_date_cto",
        52 => "time_delay",
        60 => "class_data",
        70 => "file_control",
        80 => "internal_indications",
        110 => "octet_string",
        111 => "octet_string_event",
        112 => "virtual_terminal_output",
        113 => "virtual_terminal_event",
        120 => "authentication",
        121 => "security_statistic",
        122 => "security_statistic_event",
        _ => "unknown",
    }
}

/// Secure authentication (group 120) variation names.
pub fn auth_name(v: u8) -> &'static str {
    match v {
        1 => "challenge",
        2 => "reply",
        3 => "aggressive_mode_request",
        4 => "session_key_status_request",
        5 => "session_key_status",
        6 => "session_key_change",
        7 => "error",
        8 => "user_certificate",
        9 => "mac",
        10 => "user_status_change",
        11 => "update_key_change_request",
        12 => "update_key_change_reply",
        13 => "update_key_change",
        14 => "update_key_change_signature",
        15 => "update_key_change_confirmation",
        _ => "unknown",
    }
}

/// One object header with its point bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Object<'a> {
    pub group: u8,
    pub variation: u8,
    pub qualifier: u8,
    pub start: Option<u32>,
    pub stop: Option<u32>,
    /// Number of points (from range or count).
    pub count: u32,
    pub size: Size,
    /// Point bytes (prefixes included), empty for headers only.
    pub data: &'a [u8],
}

impl Object<'_> {
    pub fn prefix_code(&self) -> u8 {
        (self.qualifier >> 4) & 0x7
    }
    pub fn range_code(&self) -> u8 {
        self.qualifier & 0x0f
    }
}

fn prefix_len(p: u8) -> Option<usize> {
    match p {
        0 => Some(0),
        1 | 4 => Some(1),
        2 | 5 => Some(2),
        3 | 6 => Some(4),
        _ => None,
    }
}

fn read_uint(b: &[u8], at: usize, n: usize) -> Option<u32> {
    match n {
        0 => Some(0),
        1 => b.get(at).map(|&x| x as u32),
        2 => le16(b, at).map(|x| x as u32),
        4 => le32(b, at),
        _ => None,
    }
}

/// Iterates the objects of an application fragment (after the header).
/// Stops (with an anomaly flag) at the first object whose size is unknown
/// or that runs past the end.
pub struct ObjectIter<'a, 'b> {
    rest: &'a [u8],
    with_data: bool,
    pub anomalies: &'b mut Anomalies,
}

impl<'a, 'b> ObjectIter<'a, 'b> {
    pub fn new(objects: &'a [u8], function: u8, an: &'b mut Anomalies) -> Self {
        ObjectIter {
            rest: objects,
            with_data: is_response(function) || !headers_only(function),
            anomalies: an,
        }
    }
}

impl<'a> ObjectIter<'a, '_> {
    /// An object whose header was read but whose points cannot be located.
    fn header_only(group: u8, variation: u8, qualifier: u8) -> Object<'a> {
        Object {
            group,
            variation,
            qualifier,
            start: None,
            stop: None,
            count: 0,
            size: Size::Unknown,
            data: &[],
        }
    }
}

impl<'a> Iterator for ObjectIter<'a, '_> {
    type Item = Object<'a>;
    fn next(&mut self) -> Option<Object<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let b = self.rest;
        if b.len() < 3 {
            self.anomalies.set(A_TRUNCATED_OBJECT);
            self.rest = &[];
            return None;
        }
        let (group, variation, qualifier) = (b[0], b[1], b[2]);
        let pcode = (qualifier >> 4) & 0x7;
        let rcode = qualifier & 0x0f;
        let mut pos = 3;
        let (mut start, mut stop) = (None, None);
        let count: u32 = match rcode {
            3..=5 => {
                // absolute address: one point at that address
                let n = [1usize, 2, 4][(rcode % 3) as usize];
                let Some(a) = read_uint(b, pos, n) else {
                    self.anomalies.set(A_TRUNCATED_OBJECT);
                    self.rest = &[];
                    return Some(Self::header_only(group, variation, qualifier));
                };
                pos += n;
                start = Some(a);
                stop = Some(a);
                1
            }
            0..=2 => {
                let n = [1usize, 2, 4][rcode as usize];
                let (Some(s), Some(e)) = (read_uint(b, pos, n), read_uint(b, pos + n, n)) else {
                    self.anomalies.set(A_TRUNCATED_OBJECT);
                    self.rest = &[];
                    return Some(Self::header_only(group, variation, qualifier));
                };
                pos += 2 * n;
                start = Some(s);
                stop = Some(e);
                if e < s {
                    self.anomalies.set(A_BAD_RANGE);
                    self.rest = &[];
                    let mut o = Self::header_only(group, variation, qualifier);
                    o.start = start;
                    o.stop = stop;
                    return Some(o);
                }
                (e - s).saturating_add(1)
            }
            6 => 0,
            7..=9 | 0xb => {
                let n = match rcode {
                    7 | 0xb => 1,
                    8 => 2,
                    _ => 4,
                };
                let Some(c) = read_uint(b, pos, n) else {
                    self.anomalies.set(A_TRUNCATED_OBJECT);
                    self.rest = &[];
                    return Some(Self::header_only(group, variation, qualifier));
                };
                pos += n;
                c
            }
            _ => {
                self.anomalies.set(A_BAD_QUALIFIER);
                self.rest = &[];
                return Some(Self::header_only(group, variation, qualifier));
            }
        };
        let Some(plen) = prefix_len(pcode) else {
            self.anomalies.set(A_BAD_QUALIFIER);
            self.rest = &[];
            return Some(Self::header_only(group, variation, qualifier));
        };
        let mut size = object_size(group, variation);
        if (!self.with_data && !(4..=6).contains(&pcode)) || rcode == 6 {
            size = Size::None;
        }
        if matches!(size, Size::Fixed(_) | Size::Packed(_) | Size::Unknown)
            && (4..=6).contains(&pcode)
        {
            // size-prefixed objects carry their own length
            size = Size::Prefixed;
        }
        if size == Size::Prefixed && !(4..=6).contains(&pcode) {
            // free-format object without a size prefix: cannot be walked
            size = Size::Unknown;
        }
        let avail = b.len() - pos;
        let data_len: usize = match size {
            Size::None => 0,
            Size::Fixed(n) => {
                let per = n + plen;
                match (count as usize).checked_mul(per) {
                    Some(x) if x <= avail => x,
                    _ => {
                        self.anomalies.set(A_TRUNCATED_OBJECT);
                        avail - avail % per.max(1)
                    }
                }
            }
            Size::Packed(bits) => {
                if plen != 0 {
                    self.anomalies.set(A_BAD_QUALIFIER);
                }
                let need = (count as usize).saturating_mul(bits).div_ceil(8);
                if need > avail {
                    self.anomalies.set(A_TRUNCATED_OBJECT);
                    avail
                } else {
                    need
                }
            }
            Size::Prefixed | Size::Attribute => {
                // walk the points to find the end
                let mut p = pos;
                let mut ok = true;
                for _ in 0..count {
                    if size == Size::Attribute {
                        // prefix, type, length, value
                        let l = b.get(p + plen + 1).copied();
                        match l {
                            Some(l) if p + plen + 2 + l as usize <= b.len() => {
                                p += plen + 2 + l as usize
                            }
                            _ => {
                                ok = false;
                                break;
                            }
                        }
                    } else {
                        let Some(sz) = read_uint(b, p, plen) else {
                            ok = false;
                            break;
                        };
                        let sz = sz as usize;
                        match p.checked_add(plen + sz) {
                            Some(e) if e <= b.len() => p = e,
                            _ => {
                                ok = false;
                                break;
                            }
                        }
                    }
                }
                if !ok {
                    self.anomalies.set(A_TRUNCATED_OBJECT);
                }
                p - pos
            }
            Size::Unknown => {
                self.anomalies.set(A_UNKNOWN_OBJECT);
                let o = Object {
                    group,
                    variation,
                    qualifier,
                    start,
                    stop,
                    count,
                    size,
                    data: &b[pos..],
                };
                self.rest = &[];
                return Some(o);
            }
        };
        let o = Object {
            group,
            variation,
            qualifier,
            start,
            stop,
            count,
            size,
            data: &b[pos..pos + data_len],
        };
        self.rest = &b[pos + data_len..];
        if self.anomalies.has(A_TRUNCATED_OBJECT) {
            // what follows a truncated object is not an object header
            self.rest = &[];
        }
        Some(o)
    }
}

/// A decoded point value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    None,
    Uint(u64),
    Int(i64),
    Float(f64),
}

/// One point of an object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point<'a> {
    pub index: u32,
    pub prefix: Option<u32>,
    pub flags: Option<u8>,
    pub value: Value,
    /// DNP3 time: milliseconds since 1970-01-01 UTC (48 bits), or a 16-bit
    /// relative time for some event variations.
    pub time: Option<u64>,
    /// Extra fields: CROB control code, count, on/off times, status.
    pub crob: Option<(u8, u8, u32, u32, u8)>,
    pub status: Option<u8>,
    pub raw: &'a [u8],
}

/// Iterates the points of an object (bounded by its data).
pub struct PointIter<'a> {
    obj: Object<'a>,
    pos: usize,
    i: u32,
}

impl<'a> PointIter<'a> {
    pub fn new(obj: Object<'a>) -> Self {
        PointIter { obj, pos: 0, i: 0 }
    }
}

impl<'a> Iterator for PointIter<'a> {
    type Item = Point<'a>;
    fn next(&mut self) -> Option<Point<'a>> {
        let o = &self.obj;
        if self.i >= o.count {
            return None;
        }
        let base = o.start.unwrap_or(0);
        let index = base.wrapping_add(self.i);
        let d = o.data;
        match o.size {
            Size::Packed(bits) => {
                let bit = (self.i as usize).checked_mul(bits)?;
                let byte = *d.get(bit / 8)?;
                let v = (byte >> (bit % 8)) & if bits == 2 { 3 } else { 1 };
                self.i += 1;
                Some(Point {
                    index,
                    prefix: None,
                    flags: None,
                    value: Value::Uint(v as u64),
                    time: None,
                    crob: None,
                    status: None,
                    raw: &[],
                })
            }
            Size::Fixed(n) => {
                let plen = prefix_len(o.prefix_code())?;
                let prefix = if plen > 0 {
                    Some(read_uint(d, self.pos, plen)?)
                } else {
                    None
                };
                let raw = d.get(self.pos + plen..self.pos + plen + n)?;
                self.pos += plen + n;
                self.i += 1;
                let mut p = decode(o.group, o.variation, raw);
                p.index = prefix.unwrap_or(index);
                p.prefix = prefix;
                Some(p)
            }
            Size::Prefixed => {
                let plen = prefix_len(o.prefix_code())?;
                if !(4..=6).contains(&o.prefix_code()) {
                    return None;
                }
                let sz = read_uint(d, self.pos, plen)? as usize;
                let raw = d.get(self.pos + plen..self.pos + plen + sz)?;
                self.pos += plen + sz;
                self.i += 1;
                Some(Point {
                    index,
                    prefix: None,
                    flags: None,
                    value: Value::None,
                    time: None,
                    crob: None,
                    status: None,
                    raw,
                })
            }
            Size::Attribute => {
                let plen = prefix_len(o.prefix_code())?;
                let l = *d.get(self.pos + plen + 1)? as usize;
                let raw = d.get(self.pos + plen..self.pos + plen + 2 + l)?;
                self.pos += plen + 2 + l;
                self.i += 1;
                Some(Point {
                    index,
                    prefix: None,
                    flags: None,
                    value: Value::None,
                    time: None,
                    crob: None,
                    status: None,
                    raw,
                })
            }
            Size::None | Size::Unknown => None,
        }
    }
}

fn f32le(b: &[u8], at: usize) -> Option<f64> {
    le32(b, at).map(|x| f32::from_bits(x) as f64)
}
fn f64le(b: &[u8], at: usize) -> Option<f64> {
    le64(b, at).map(f64::from_bits)
}

/// Decode one fixed-size point `b` of group `g` variation `v`.
pub fn decode(g: u8, v: u8, b: &[u8]) -> Point<'_> {
    let mut p = Point {
        index: 0,
        prefix: None,
        flags: None,
        value: Value::None,
        time: None,
        crob: None,
        status: None,
        raw: b,
    };
    let u = |x: Option<u32>| x.map(|x| Value::Uint(x as u64)).unwrap_or(Value::None);
    let u16v = |x: Option<u16>| x.map(|x| Value::Uint(x as u64)).unwrap_or(Value::None);
    let i32v = |x: Option<u32>| {
        x.map(|x| Value::Int(x as i32 as i64))
            .unwrap_or(Value::None)
    };
    let i16v = |x: Option<u16>| {
        x.map(|x| Value::Int(x as i16 as i64))
            .unwrap_or(Value::None)
    };
    let fv = |x: Option<f64>| x.map(Value::Float).unwrap_or(Value::None);
    match (g, v) {
        // binary with flags: state is bit 7; double-bit: bits 6-7
        (1, 2) | (2, _) | (10, 2) | (11, _) | (13, _) => {
            let f = b.first().copied();
            p.flags = f;
            p.value = f
                .map(|f| Value::Uint((f >> 7) as u64))
                .unwrap_or(Value::None);
            if b.len() >= 7 {
                p.time = le48(b, 1);
            } else if b.len() >= 3 {
                p.time = le16(b, 1).map(|x| x as u64);
            }
        }
        (3, 2) | (4, _) => {
            let f = b.first().copied();
            p.flags = f;
            p.value = f
                .map(|f| Value::Uint(((f >> 6) & 3) as u64))
                .unwrap_or(Value::None);
            if b.len() >= 7 {
                p.time = le48(b, 1);
            } else if b.len() >= 3 {
                p.time = le16(b, 1).map(|x| x as u64);
            }
        }
        (12, 1) | (12, 2) if b.len() >= 11 => {
            p.crob = Some((
                b[0],
                b[1],
                le32(b, 2).unwrap_or(0),
                le32(b, 6).unwrap_or(0),
                b[10],
            ));
            p.status = Some(b[10]);
        }
        // counters
        (20, 1) | (21, 1) | (22, 1) | (23, 1) | (20, 3) | (21, 3) | (22, 3) | (23, 3) => {
            p.flags = b.first().copied();
            p.value = u(le32(b, 1));
        }
        (20, 2) | (21, 2) | (22, 2) | (23, 2) | (20, 4) | (21, 4) | (22, 4) | (23, 4) => {
            p.flags = b.first().copied();
            p.value = u16v(le16(b, 1));
        }
        (20, 5) | (20, 7) | (21, 9) | (21, 11) => p.value = u(le32(b, 0)),
        (20, 6) | (20, 8) | (21, 10) | (21, 12) => p.value = u16v(le16(b, 0)),
        (21, 5) | (21, 7) | (22, 5) | (22, 7) | (23, 5) | (23, 7) => {
            p.flags = b.first().copied();
            p.value = u(le32(b, 1));
            p.time = le48(b, 5);
        }
        (21, 6) | (21, 8) | (22, 6) | (22, 8) | (23, 6) | (23, 8) => {
            p.flags = b.first().copied();
            p.value = u16v(le16(b, 1));
            p.time = le48(b, 3);
        }
        // analogs
        (30, 1) | (31, 1) | (32, 1) | (33, 1) | (40, 1) | (42, 1) | (43, 1) => {
            p.flags = b.first().copied();
            p.value = i32v(le32(b, 1));
        }
        (30, 2) | (31, 2) | (32, 2) | (33, 2) | (40, 2) | (42, 2) | (43, 2) => {
            p.flags = b.first().copied();
            p.value = i16v(le16(b, 1));
        }
        (30, 3) | (31, 5) => p.value = i32v(le32(b, 0)),
        (30, 4) | (31, 6) => p.value = i16v(le16(b, 0)),
        (30, 5) | (31, 7) | (32, 5) | (33, 5) | (40, 3) | (42, 5) | (43, 5) => {
            p.flags = b.first().copied();
            p.value = fv(f32le(b, 1));
        }
        (30, 6) | (31, 8) | (32, 6) | (33, 6) | (40, 4) | (42, 6) | (43, 6) => {
            p.flags = b.first().copied();
            p.value = fv(f64le(b, 1));
        }
        (31, 3) | (32, 3) | (33, 3) | (42, 3) | (43, 3) => {
            p.flags = b.first().copied();
            p.value = i32v(le32(b, 1));
            p.time = le48(b, 5);
        }
        (31, 4) | (32, 4) | (33, 4) | (42, 4) | (43, 4) => {
            p.flags = b.first().copied();
            p.value = i16v(le16(b, 1));
            p.time = le48(b, 3);
        }
        (32, 7) | (33, 7) | (42, 7) | (43, 7) => {
            p.flags = b.first().copied();
            p.value = fv(f32le(b, 1));
            p.time = le48(b, 5);
        }
        (32, 8) | (33, 8) | (42, 8) | (43, 8) => {
            p.flags = b.first().copied();
            p.value = fv(f64le(b, 1));
            p.time = le48(b, 9);
        }
        (34, 1) => p.value = u16v(le16(b, 0)),
        (34, 2) => p.value = u(le32(b, 0)),
        (34, 3) => p.value = fv(f32le(b, 0)),
        (41, 1) => {
            p.value = i32v(le32(b, 0));
            p.status = b.get(4).copied();
        }
        (41, 2) => {
            p.value = i16v(le16(b, 0));
            p.status = b.get(2).copied();
        }
        (41, 3) => {
            p.value = fv(f32le(b, 0));
            p.status = b.get(4).copied();
        }
        (41, 4) => {
            p.value = fv(f64le(b, 0));
            p.status = b.get(8).copied();
        }
        (50, _) | (51, _) => p.time = le48(b, 0),
        (52, _) => p.value = u16v(le16(b, 0)),
        _ => {}
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    // Read class 1,2,3,0 request (dnp3_read.pcap frame 4):
    static READ_REQ: [u8; 27] = [
        0x05, 0x64, // start
        0x14, // length 20 = 5 + 15 user bytes
        0xc4, // DIR PRM unconfirmed user data
        0x02, 0x00, // destination 2
        0x03, 0x00, // source 3
        0x45, 0x03, // header CRC
        0xc7, // transport FIN FIR seq 7
        0xc8, 0x01, // app control FIR FIN seq 8, function read
        0x3c, 0x02, 0x06, // g60v2 all
        0x3c, 0x03, 0x06, // g60v3 all
        0x3c, 0x04, 0x06, // g60v4 all
        0x3c, 0x01, 0x06, // g60v1 all
        0x42, 0xac, // block CRC
    ];

    #[test]
    fn crc_matches_reference() {
        // header of READ_REQ
        assert_eq!(crc(&READ_REQ[0..8]), 0x0345);
    }

    #[test]
    fn link_frame_view() {
        let f = LinkFrame::new_checked(&READ_REQ[..]).unwrap();
        assert_eq!(f.length(), 20);
        assert_eq!(f.total_len(), 10 + 15 + 2);
        assert_eq!(f.destination(), 2);
        assert_eq!(f.source(), 3);
        assert!(f.dir() && f.prm());
        assert_eq!(f.link_function(), 4);
        assert!(f.header_crc_ok());
        let mut buf = [0u8; 250];
        let (n, ok) = f.user_data(&mut buf);
        assert_eq!(n, 15);
        assert!(ok);
        assert_eq!(buf[0], 0xc7);
        assert_eq!(
            LinkFrame::new_checked(&READ_REQ[..12]).unwrap_err(),
            LinkError::Truncated(27)
        );
        assert_eq!(
            LinkFrame::new_checked(&[0x05, 0x65, 0x05][..]).unwrap_err(),
            LinkError::BadStart
        );
    }

    #[test]
    fn read_request_objects() {
        // application fragment: c8 01 3c02 06 3c03 06 3c04 06 3c01 06
        let frag = [
            0xc8, 0x01, 0x3c, 0x02, 0x06, 0x3c, 0x03, 0x06, 0x3c, 0x04, 0x06, 0x3c, 0x01, 0x06,
        ];
        let (h, off) = AppHeader::parse(&frag).unwrap();
        assert_eq!(h.function, 1);
        assert!(h.fir() && h.fin());
        assert_eq!(h.seq(), 8);
        let mut an = Anomalies::default();
        let objs: Vec<_> = ObjectIter::new(&frag[off..], h.function, &mut an).collect();
        assert_eq!(objs.len(), 4);
        assert_eq!(
            (objs[0].group, objs[0].variation, objs[0].qualifier),
            (60, 2, 6)
        );
        assert!(an.is_empty());
    }

    #[test]
    fn response_binary_inputs_with_status() {
        // c8 81 IIN 0000; g1v2 q00 start 0 stop 2: 81 01 81
        let frag = [
            0xc8, 0x81, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x02, 0x81, 0x01, 0x81,
        ];
        let (h, off) = AppHeader::parse(&frag).unwrap();
        assert_eq!(h.iin, Some(0));
        let mut an = Anomalies::default();
        let objs: Vec<_> = ObjectIter::new(&frag[off..], h.function, &mut an).collect();
        assert_eq!(objs.len(), 1);
        let pts: Vec<_> = PointIter::new(objs[0]).collect();
        assert_eq!(pts.len(), 3);
        assert_eq!(pts[0].value, Value::Uint(1));
        assert_eq!(pts[1].value, Value::Uint(0));
        assert_eq!(pts[1].flags, Some(0x01));
        assert_eq!(pts[2].index, 2);
    }

    #[test]
    fn crob_with_index_prefix() {
        // direct operate: g12v1 q 0x28 (2-byte index prefix, 2-byte count) count 1
        // index 3, code 0x41 (latch on... pulse), count 1, on 100, off 0, status 0
        let frag = [
            0xc1, 0x05, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, 0x41, 0x01, 0x64, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let (h, off) = AppHeader::parse(&frag).unwrap();
        let mut an = Anomalies::default();
        let objs: Vec<_> = ObjectIter::new(&frag[off..], h.function, &mut an).collect();
        assert!(an.is_empty(), "{an:?}");
        let pts: Vec<_> = PointIter::new(objs[0]).collect();
        assert_eq!(pts.len(), 1);
        assert_eq!(pts[0].index, 3);
        assert_eq!(pts[0].crob, Some((0x41, 1, 100, 0, 0)));
    }

    #[test]
    fn analog_float_and_time() {
        // g30v5 flags 01 value 1.5f
        let b = [0x01, 0x00, 0x00, 0xc0, 0x3f];
        let p = decode(30, 5, &b);
        assert_eq!(p.value, Value::Float(1.5));
        assert_eq!(p.flags, Some(1));
        // g50v1: 6-byte ms timestamp
        let t = [0x00, 0x10, 0x00, 0x00, 0x00, 0x00];
        assert_eq!(decode(50, 1, &t).time, Some(0x1000));
    }

    #[test]
    fn bad_objects_flag_and_stop() {
        let mut an = Anomalies::default();
        // unknown group 99
        let n = ObjectIter::new(&[0x63, 0x01, 0x00, 0x00, 0x00, 1, 2], 0x81, &mut an).count();
        assert_eq!(n, 1);
        assert!(an.has(A_UNKNOWN_OBJECT));
        // bad range (stop < start)
        let mut an = Anomalies::default();
        let n = ObjectIter::new(&[0x1e, 0x01, 0x00, 0x05, 0x01], 0x81, &mut an).count();
        assert_eq!(n, 1);
        assert!(an.has(A_BAD_RANGE));
        // huge count, truncated data
        let mut an = Anomalies::default();
        let objs: Vec<_> = ObjectIter::new(
            &[0x1e, 0x01, 0x09, 0xff, 0xff, 0xff, 0xff, 1, 2, 3],
            0x81,
            &mut an,
        )
        .collect();
        assert!(an.has(A_TRUNCATED_OBJECT));
        assert!(PointIter::new(objs[0]).count() <= 1);
    }

    #[test]
    fn fuzz_like_inputs_do_not_panic() {
        let mut seed = 0x12345678u32;
        for _ in 0..20000 {
            let mut b = [0u8; 24];
            for x in b.iter_mut() {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                *x = seed as u8;
            }
            let mut an = Anomalies::default();
            for o in ObjectIter::new(&b, b[0], &mut an) {
                for _p in PointIter::new(o).take(100) {}
            }
        }
    }
}
