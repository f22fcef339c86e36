//! Omron FINS wire format: the FINS/TCP header (TCP only) and the FINS
//! frame (header, command code, end code of responses, parameters).
//!
//! ```text
//! FINS/TCP header (16 bytes, big endian):
//!  0        4        8        12       16
//!  +--------+--------+--------+--------+------------------+
//!  | "FINS" | LENGTH | COMMAND| ERROR  | data (LENGTH-8)  |
//!  +--------+--------+--------+--------+------------------+
//! LENGTH counts the bytes after itself (command, error code, data).
//!
//! FINS frame (UDP payload, or FINS/TCP command 2's data):
//!  0   1   2   3   4   5   6   7   8   9   10  12      14
//!  +---+---+---+---+---+---+---+---+---+---+---+-------+------------
//!  |ICF|RSV|GCT|DNA|DA1|DA2|SNA|SA1|SA2|SID|MRC SRC| (end code) params
//!  +---+---+---+---+---+---+---+---+---+---+---+-------+------------
//! ICF: bit 7 gateway, bit 6 response, bits 5..1 reserved (0), bit 0
//! response not required. Responses carry a 2-byte end code after the
//! command code.
//! ```
//! [`TcpHeader`] and [`Header`] are zero-copy views whose lengths are
//! checked once; [`Message::parse`] decodes the parameters of the
//! commands into a plain representation that borrows the bytes.

use reefwatch_applayer::bytes::{be16, be32, slice};
use reefwatch_applayer::Anomalies;

mod field {
    use core::ops::Range;
    pub const MAGIC: Range<usize> = 0..4;
    pub const LENGTH: usize = 4;
    pub const COMMAND: usize = 8;
    pub const ERROR: usize = 12;

    pub const ICF: usize = 0;
    pub const RSV: usize = 1;
    pub const GCT: usize = 2;
    pub const DNA: usize = 3;
    pub const DA1: usize = 4;
    pub const DA2: usize = 5;
    pub const SNA: usize = 6;
    pub const SA1: usize = 7;
    pub const SA2: usize = 8;
    pub const SID: usize = 9;
    pub const MRC: usize = 10;
    pub const SRC: usize = 11;
}

/// "FINS" at the start of every FINS/TCP header.
pub const TCP_MAGIC: &[u8; 4] = b"FINS";
/// FINS/TCP header length.
pub const TCP_HDR_LEN: usize = 16;
/// FINS header plus command code.
pub const HDR_LEN: usize = 12;
/// Largest FINS frame (2012 bytes: header, command, 2000 bytes of data
/// by the spec) with some room; a FINS/TCP length past this is lost
/// framing.
pub const MAX_FRAME: usize = 4096;
/// FINS/TCP LENGTH values accepted (command + error code + frame).
pub const MAX_TCP_LENGTH: u32 = (MAX_FRAME + 8) as u32;

/// FINS/TCP commands.
pub const TCP_NODE_ADDR_CLIENT: u32 = 0;
pub const TCP_NODE_ADDR_SERVER: u32 = 1;
pub const TCP_FRAME_SEND: u32 = 2;
pub const TCP_FRAME_SEND_ERROR: u32 = 3;
pub const TCP_CONNECTION_CONFIRM: u32 = 6;

/// ICF bits.
pub const ICF_GATEWAY: u8 = 0x80;
pub const ICF_RESPONSE: u8 = 0x40;
pub const ICF_RESERVED: u8 = 0x3e;
pub const ICF_NO_RESPONSE: u8 = 0x01;
/// Largest gateway count (GCT) the spec allows.
pub const MAX_GCT: u8 = 7;

// Anomaly bits.
pub const A_RESERVED_BITS: u32 = 0;
pub const A_UNKNOWN_COMMAND: u32 = 1;
pub const A_INVALID_LENGTH: u32 = 2;
pub const A_UNSOLICITED_RESPONSE: u32 = 3;
pub const A_ADDRESS_MISMATCH: u32 = 4;
pub const A_UNANSWERED: u32 = 5;
pub const A_TOO_MANY_TXS: u32 = 6;
pub const A_TCP_ERROR: u32 = 7;
pub const A_BAD_TCP_HEADER: u32 = 8;
pub const A_UNKNOWN_TCP_COMMAND: u32 = 9;
pub const A_GATEWAY_COUNT: u32 = 10;

/// Names of the anomaly bits (`omron.<name>`).
pub const ANOMALY_NAMES: &[&str] = &[
    "omron.reserved_bits_set",
    "omron.unknown_command",
    "omron.invalid_length",
    "omron.unsolicited_response",
    "omron.address_mismatch",
    "omron.unanswered_request",
    "omron.too_many_transactions",
    "omron.tcp_error_code",
    "omron.bad_tcp_header",
    "omron.unknown_tcp_command",
    "omron.gateway_count_too_large",
];

/// Zero-copy view of a FINS/TCP header and its data.
#[derive(Debug, Clone, Copy)]
pub struct TcpHeader<T: AsRef<[u8]>> {
    buffer: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpError {
    /// Need this many bytes in total.
    Truncated(usize),
    /// No "FINS" magic, or a length below 8 or above [`MAX_TCP_LENGTH`].
    Bad,
}

impl<T: AsRef<[u8]>> TcpHeader<T> {
    /// Check magic, a sane LENGTH and that the whole message is in
    /// `buffer` (the magic and length are judged as soon as they are
    /// there, so lost framing is found without waiting).
    pub fn new_checked(buffer: T) -> Result<TcpHeader<T>, TcpError> {
        let b = buffer.as_ref();
        let m = b.len().min(4);
        if b[..m] != TCP_MAGIC[..m] {
            return Err(TcpError::Bad);
        }
        let Some(len) = be32(b, field::LENGTH) else {
            return Err(TcpError::Truncated(TCP_HDR_LEN));
        };
        if !(8..=MAX_TCP_LENGTH).contains(&len) {
            return Err(TcpError::Bad);
        }
        let total = 8 + len as usize;
        if b.len() < total.max(TCP_HDR_LEN) {
            return Err(TcpError::Truncated(total.max(TCP_HDR_LEN)));
        }
        Ok(TcpHeader { buffer })
    }
    pub fn length(&self) -> u32 {
        be32(self.buffer.as_ref(), field::LENGTH).unwrap_or(0)
    }
    pub fn command(&self) -> u32 {
        be32(self.buffer.as_ref(), field::COMMAND).unwrap_or(0)
    }
    pub fn error_code(&self) -> u32 {
        be32(self.buffer.as_ref(), field::ERROR).unwrap_or(0)
    }
    /// Bytes of the whole message.
    pub fn total_len(&self) -> usize {
        8 + self.length() as usize
    }
    /// The data after the 16-byte header.
    pub fn data(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        b.get(TCP_HDR_LEN..self.total_len()).unwrap_or(&[])
    }
}

/// Debug aid and check of the magic bytes (for tests).
pub fn tcp_magic_ok(b: &[u8]) -> bool {
    b.get(field::MAGIC) == Some(&TCP_MAGIC[..])
}

pub fn tcp_command_name(c: u32) -> &'static str {
    match c {
        TCP_NODE_ADDR_CLIENT => "node_address_client",
        TCP_NODE_ADDR_SERVER => "node_address_server",
        TCP_FRAME_SEND => "frame_send",
        TCP_FRAME_SEND_ERROR => "frame_send_error",
        TCP_CONNECTION_CONFIRM => "connection_confirmation",
        _ => "unknown",
    }
}

/// Zero-copy view of a FINS header and command code.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    b: &'a [u8],
}

impl<'a> Header<'a> {
    /// A FINS frame of at least [`HDR_LEN`] bytes.
    pub fn new_checked(b: &'a [u8]) -> Option<Header<'a>> {
        (b.len() >= HDR_LEN).then_some(Header { b })
    }
    pub fn icf(&self) -> u8 {
        self.b[field::ICF]
    }
    pub fn rsv(&self) -> u8 {
        self.b[field::RSV]
    }
    pub fn gct(&self) -> u8 {
        self.b[field::GCT]
    }
    /// Destination (network, node, unit).
    pub fn dst(&self) -> Addr {
        Addr(self.b[field::DNA], self.b[field::DA1], self.b[field::DA2])
    }
    /// Source (network, node, unit).
    pub fn src(&self) -> Addr {
        Addr(self.b[field::SNA], self.b[field::SA1], self.b[field::SA2])
    }
    pub fn sid(&self) -> u8 {
        self.b[field::SID]
    }
    pub fn command(&self) -> u16 {
        u16::from_be_bytes([self.b[field::MRC], self.b[field::SRC]])
    }
    pub fn is_response(&self) -> bool {
        self.icf() & ICF_RESPONSE != 0
    }
    /// What follows the command code (end code first in a response).
    pub fn rest(&self) -> &'a [u8] {
        &self.b[HDR_LEN..]
    }
}

/// A FINS address: network, node, unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Addr(pub u8, pub u8, pub u8);

/// Name of a FINS command code.
pub fn command_name(c: u16) -> &'static str {
    match c {
        0x0101 => "memory_area_read",
        0x0102 => "memory_area_write",
        0x0103 => "memory_area_fill",
        0x0104 => "multiple_memory_area_read",
        0x0105 => "memory_area_transfer",
        0x0201 => "parameter_area_read",
        0x0202 => "parameter_area_write",
        0x0203 => "parameter_area_clear",
        0x0220 => "data_link_table_read",
        0x0221 => "data_link_table_write",
        0x0304 => "program_area_protect",
        0x0305 => "program_area_protect_clear",
        0x0306 => "program_area_read",
        0x0307 => "program_area_write",
        0x0308 => "program_area_clear",
        0x0401 => "run",
        0x0402 => "stop",
        0x0501 => "controller_data_read",
        0x0502 => "connection_data_read",
        0x0601 => "controller_status_read",
        0x0603 => "network_status_read",
        0x0620 => "cycle_time_read",
        0x0701 => "clock_read",
        0x0702 => "clock_write",
        0x0801 => "loopback_test",
        0x0802 => "broadcast_test_results_read",
        0x0803 => "broadcast_test_data_send",
        0x0920 => "message_read",
        0x0c01 => "access_right_acquire",
        0x0c02 => "access_right_forced_acquire",
        0x0c03 => "access_right_release",
        0x2101 => "error_clear",
        0x2102 => "error_log_read",
        0x2103 => "error_log_clear",
        0x2201 => "file_name_read",
        0x2202 => "single_file_read",
        0x2203 => "single_file_write",
        0x2204 => "file_memory_format",
        0x2205 => "file_delete",
        0x2206 => "volume_label_create_delete",
        0x2207 => "file_copy",
        0x2208 => "file_name_change",
        0x2209 => "file_data_check",
        0x220a => "memory_area_file_transfer",
        0x220b => "parameter_area_file_transfer",
        0x220c => "program_area_file_transfer",
        0x220f => "file_memory_index_read",
        0x2210 => "file_memory_read",
        0x2211 => "file_memory_write",
        0x2215 => "create_delete_directory",
        0x2301 => "forced_set_reset",
        0x2302 => "forced_set_reset_cancel",
        0x230a => "multiple_forced_status_read",
        0x2601 => "name_set",
        0x2602 => "name_delete",
        0x2603 => "name_read",
        _ => "unknown",
    }
}

pub fn is_known_command(c: u16) -> bool {
    command_name(c) != "unknown"
}

/// Name of a memory area code (CS/CJ and CV series).
pub fn area_name(a: u8) -> &'static str {
    match a {
        0x30 | 0x31 | 0x32 | 0x33 | 0xb0 | 0xb1 | 0xb2 | 0xb3 | 0x00 | 0x80 => "cio_work_hr_ar",
        0x02 | 0x82 | 0x42 | 0xc2 => "dm",
        0x09 | 0x89 | 0x06 | 0x46 | 0x86 | 0x07 | 0x47 | 0x87 => "timer_counter",
        0x20..=0x2f | 0x90..=0x97 | 0xa0..=0xaf | 0x50..=0x5f | 0x60..=0x6f => "em",
        0x98 | 0xbc | 0xdc => "em_current",
        0x01 | 0x81 | 0x04 | 0x84 => "task_flag",
        0x03 | 0x83 | 0x43 | 0xc3 => "transition",
        0xdd | 0xdf => "index_register",
        0xe0..=0xef => "data_register",
        0xf0 | 0x10 | 0x11 | 0x1b => "special",
        _ => "unknown",
    }
}

/// Main end code (MRES) meanings; `code` is the 2-byte end code with the
/// relay (0x8000) and CPU error (0x0080, 0x0040) flags cleared.
pub fn end_code_name(code: u16) -> &'static str {
    match code >> 8 {
        0x00 => match code {
            0x0000 => "normal_completion",
            0x0001 => "service_canceled",
            _ => "normal_completion_other",
        },
        0x01 => "local_node_error",
        0x02 => "destination_node_error",
        0x03 => "controller_error",
        0x04 => "service_unsupported",
        0x05 => "routing_table_error",
        0x10 => "command_format_error",
        0x11 => "parameter_error",
        0x20 => "read_not_possible",
        0x21 => "write_not_possible",
        0x22 => "not_executable_in_current_mode",
        0x23 => "no_such_device",
        0x24 => "cannot_start_stop",
        0x25 => "unit_error",
        0x26 => "command_error",
        0x30 => "access_right_error",
        0x40 => "abort",
        _ => "unknown",
    }
}

/// Whether a main end code (MRES) is one the spec defines.
pub fn end_code_known(mres: u8) -> bool {
    matches!(
        mres & 0x7f,
        0x00..=0x05 | 0x10 | 0x11 | 0x20..=0x26 | 0x30 | 0x40
    )
}

/// Memory area access (0101..0105).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemArea {
    pub area: u8,
    pub address: u16,
    pub bit: u8,
    pub count: u16,
}

/// A decoded FINS frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Message<'a> {
    pub icf: u8,
    pub gct: u8,
    pub dst: Addr,
    pub src: Addr,
    pub sid: u8,
    pub command: u16,
    pub response: bool,
    /// End code of a response (raw, flags included).
    pub end_code: Option<u16>,
    pub mem: Option<MemArea>,
    /// Destination of a memory area transfer (0105).
    pub mem_to: Option<MemArea>,
    /// Items of a multiple memory area read (0104) request.
    pub items: u16,
    /// Parameter area code, beginning word, word count (0201..0203).
    pub param: Option<(u16, u16, u16)>,
    /// Program number, beginning word, count (0306, 0307).
    pub program: Option<(u16, u32, u16)>,
    /// Run mode (0401: 2 = monitor, 4 = run).
    pub mode: Option<u8>,
    /// Controller data read (0501) response: model and version.
    pub model: &'a [u8],
    pub version: &'a [u8],
    /// Clock (0701 response, 0702 request): y, m, d, h, min, s, weekday.
    pub clock: Option<[u8; 7]>,
    /// File name of the file memory commands.
    pub file_name: &'a [u8],
    /// Data bytes of writes and read responses.
    pub data: &'a [u8],
}

/// Decode a FINS frame; `None` when shorter than the header. Odd but
/// parsable content sets bits in `an`.
pub fn parse<'a>(b: &'a [u8], an: &mut Anomalies) -> Option<Message<'a>> {
    let h = Header::new_checked(b)?;
    if h.icf() & ICF_RESERVED != 0 || h.rsv() != 0 {
        an.set(A_RESERVED_BITS);
    }
    if h.gct() > MAX_GCT {
        an.set(A_GATEWAY_COUNT);
    }
    let mut m = Message {
        icf: h.icf(),
        gct: h.gct(),
        dst: h.dst(),
        src: h.src(),
        sid: h.sid(),
        command: h.command(),
        response: h.is_response(),
        ..Message::default()
    };
    if !is_known_command(m.command) {
        an.set(A_UNKNOWN_COMMAND);
    }
    let mut p = h.rest();
    if m.response {
        let Some(ec) = be16(p, 0) else {
            an.set(A_INVALID_LENGTH);
            return Some(m);
        };
        m.end_code = Some(ec);
        p = &p[2..];
        response_params(&mut m, p, an);
    } else {
        request_params(&mut m, p, an);
    }
    Some(m)
}

fn mem_area(p: &[u8], off: usize) -> Option<MemArea> {
    let s = slice(p, off, 6)?;
    Some(MemArea {
        area: s[0],
        address: u16::from_be_bytes([s[1], s[2]]),
        bit: s[3],
        count: u16::from_be_bytes([s[4], s[5]]),
    })
}

/// Whether `n` data bytes fit `count` items of a memory area: bit areas
/// (codes below 0x80) take a byte per item, word areas two (four for
/// the double-word areas of some series).
fn data_fits(area: u8, count: u16, n: usize) -> bool {
    let c = count as usize;
    if area < 0x80 {
        n == c
    } else {
        n == 2 * c || n == 4 * c
    }
}

fn request_params<'a>(m: &mut Message<'a>, p: &'a [u8], an: &mut Anomalies) {
    let short = |an: &mut Anomalies, need: usize| {
        if p.len() < need {
            an.set(A_INVALID_LENGTH);
            true
        } else {
            false
        }
    };
    match m.command {
        0x0101..=0x0103 => {
            if short(an, 6) {
                return;
            }
            let mem = mem_area(p, 0);
            m.mem = mem;
            m.data = &p[6..];
            if let (0x0101, Some(_)) = (m.command, mem) {
                if p.len() != 6 {
                    an.set(A_INVALID_LENGTH);
                }
            }
            if let (0x0102, Some(a)) = (m.command, mem) {
                if !data_fits(a.area, a.count, m.data.len()) {
                    an.set(A_INVALID_LENGTH);
                }
            }
        }
        0x0104 => {
            if p.is_empty() || !p.len().is_multiple_of(4) {
                an.set(A_INVALID_LENGTH);
            }
            m.items = (p.len() / 4) as u16;
            m.mem = p.get(..4).map(|s| MemArea {
                area: s[0],
                address: u16::from_be_bytes([s[1], s[2]]),
                bit: s[3],
                count: 1,
            });
        }
        0x0105 => {
            if short(an, 10) {
                return;
            }
            let count = u16::from_be_bytes([p[8], p[9]]);
            let a = |o: usize| MemArea {
                area: p[o],
                address: u16::from_be_bytes([p[o + 1], p[o + 2]]),
                bit: p[o + 3],
                count,
            };
            m.mem = Some(a(0));
            m.mem_to = Some(a(4));
        }
        0x0201..=0x0203 => {
            if short(an, 6) {
                return;
            }
            let area = u16::from_be_bytes([p[0], p[1]]);
            let word = u16::from_be_bytes([p[2], p[3]]);
            let n = u16::from_be_bytes([p[4], p[5]]);
            m.param = Some((area, word, n));
            m.data = &p[6..];
        }
        0x0306 | 0x0307 => {
            if short(an, 8) {
                return;
            }
            let prog = u16::from_be_bytes([p[0], p[1]]);
            let word = u32::from_be_bytes([p[2], p[3], p[4], p[5]]);
            let n = u16::from_be_bytes([p[6], p[7]]);
            m.program = Some((prog, word, n));
            m.data = &p[8..];
            if m.command == 0x0307 && m.data.len() != n as usize {
                an.set(A_INVALID_LENGTH);
            }
        }
        0x0401 => {
            if p.len() >= 3 {
                m.mode = Some(p[2]);
            } else if !p.is_empty() && p.len() != 2 {
                an.set(A_INVALID_LENGTH);
            }
        }
        0x0702 => {
            if p.len() < 5 || p.len() > 7 {
                an.set(A_INVALID_LENGTH);
                return;
            }
            let mut c = [0xffu8; 7];
            c[..p.len()].copy_from_slice(p);
            m.clock = Some(c);
        }
        0x2202 | 0x2203 | 0x2205 | 0x2208 | 0x2209 => {
            // disk number (2), then a 12-byte file name (8.3)
            let off = if m.command == 0x2205 { 4 } else { 2 };
            m.file_name = slice(p, off, 12).unwrap_or(&[]);
            m.data = p.get(off + 12..).unwrap_or(&[]);
        }
        _ => m.data = p,
    }
}

fn response_params<'a>(m: &mut Message<'a>, p: &'a [u8], an: &mut Anomalies) {
    match m.command {
        0x0501 if p.len() >= 40 => {
            m.model = &p[..20];
            m.version = &p[20..40];
        }
        0x0501 if !p.is_empty() => an.set(A_INVALID_LENGTH),
        0x0701 if p.len() >= 6 => {
            let mut c = [0xffu8; 7];
            let n = p.len().min(7);
            c[..n].copy_from_slice(&p[..n]);
            m.clock = Some(c);
        }
        _ => m.data = p,
    }
}

/// How the length of a frame's parameters fits its command, for the
/// probe: `Some(true)` a fixed layout fits, `Some(false)` it cannot be
/// this command, `None` the command has no fixed length.
pub fn request_fits(command: u16, p: &[u8]) -> Option<bool> {
    let n = p.len();
    Some(match command {
        0x0101 => n == 6,
        0x0102 => {
            let Some(a) = mem_area(p, 0) else {
                return Some(false);
            };
            let d = n - 6;
            d > 0 && data_fits(a.area, a.count, d)
        }
        0x0103 => n == 8,
        0x0104 => n > 0 && n.is_multiple_of(4),
        0x0105 => n == 10,
        0x0201 | 0x0203 => n == 6 || n >= 8,
        0x0304 | 0x0305 => n == 14 || n == 15,
        0x0306 => n == 8,
        0x0308 => n == 3,
        0x0401 => n == 0 || n == 2 || n == 3,
        0x0402 => n == 0 || n == 2,
        0x0501 => n <= 1,
        0x0502 => n <= 2,
        0x0601 | 0x0701 | 0x2103 | 0x0802 | 0x2602 | 0x2603 | 0x2302 | 0x0603 => n == 0,
        0x0620 => n == 1,
        0x0702 => (5..=7).contains(&n),
        0x0920 | 0x0c01 | 0x0c02 | 0x0c03 | 0x2101 => n == 2,
        0x2102 => n == 4,
        _ => return None,
    })
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
    fn controller_data_read_over_tcp() {
        // ITI omron/omron_test.pcap frame 8 (17134 -> 9600):
        // 46494e53        "FINS"
        // 00000015        length 21
        // 00000002        command 2: FINS frame send
        // 00000000        error code 0
        // 80 00 02        ICF (gateway, command, response required), RSV, GCT 2
        // 00 c8 00        DNA 0, DA1 200, DA2 0 (CPU)
        // 00 00 ef        SNA 0, SA1 0, SA2 0xef
        // 05              SID 5
        // 05 01           controller data read
        // 00              parameter: read everything
        let b = hex("46494e5300000015000000020000000080000200c8000000ef05050100");
        let t = TcpHeader::new_checked(&b[..]).unwrap();
        assert_eq!((t.length(), t.command(), t.error_code()), (21, 2, 0));
        assert_eq!(t.total_len(), b.len());
        let mut an = Anomalies::default();
        let m = parse(t.data(), &mut an).unwrap();
        assert!(an.is_empty());
        assert_eq!(m.icf, 0x80);
        assert!(!m.response);
        assert_eq!(m.dst, Addr(0, 0xc8, 0));
        assert_eq!(m.src, Addr(0, 0, 0xef));
        assert_eq!((m.sid, m.command), (5, 0x0501));
        assert_eq!(request_fits(m.command, &[0]), Some(true));
    }

    #[test]
    fn controller_data_read_response() {
        // frame 9: ICF c0 (response), end code 0000, model
        // "CP1L-EL20DR-D" (20 bytes, NUL/space padded), version "01.00"
        let b = hex(concat!(
            "c0000200fbef00c800050501",
            "0000",
            "4350314c2d454c323044522d440000002020202030312e3030000000000030312e3036000000000000"
        ));
        let mut an = Anomalies::default();
        let m = parse(&b, &mut an).unwrap();
        assert!(m.response && an.is_empty());
        assert_eq!(m.end_code, Some(0));
        assert_eq!(&m.model[..13], b"CP1L-EL20DR-D");
        assert_eq!(&m.version[..5], b"01.00");
        assert_eq!(m.src, Addr(0, 0xc8, 0));
    }

    #[test]
    fn memory_area_read_and_write() {
        // icsnpp omron.pcap frame 5: 80 00 02 | 00 00 00 | 00 00 7a | SID 0x7a?
        // read DM (0x82) address 0xcccc bit 0, 1 item
        let b = hex("8000020000000000007a010182cccc000001");
        let mut an = Anomalies::default();
        let m = parse(&b, &mut an).unwrap();
        assert!(an.is_empty());
        assert_eq!(
            m.mem,
            Some(MemArea {
                area: 0x82,
                address: 0xcccc,
                bit: 0,
                count: 1
            })
        );
        // write CIO (0xb0) word 100, 2 words: 4 data bytes
        let w = hex("8000020000000000007a0102b000640000020001aaaa");
        let mut an = Anomalies::default();
        let m = parse(&w, &mut an).unwrap();
        assert!(an.is_empty(), "{an:?}");
        assert_eq!(m.data, &[0, 1, 0xaa, 0xaa]);
        assert_eq!(request_fits(0x0102, &w[12..]), Some(true));
        // the same with a byte missing
        let mut an = Anomalies::default();
        parse(&w[..w.len() - 1], &mut an).unwrap();
        assert!(an.has(A_INVALID_LENGTH));
    }

    #[test]
    fn odd_frames_are_flagged() {
        // reserved ICF bit and RSV set, GCT 9, unknown command 0x7777
        let b = hex("8201090000000000007a7777");
        let mut an = Anomalies::default();
        let m = parse(&b, &mut an).unwrap();
        assert!(an.has(A_RESERVED_BITS) && an.has(A_GATEWAY_COUNT));
        assert!(an.has(A_UNKNOWN_COMMAND));
        assert_eq!(m.command, 0x7777);
        // a response without its end code
        let mut an = Anomalies::default();
        parse(&hex("c000020000000000007a0401"), &mut an).unwrap();
        assert!(an.has(A_INVALID_LENGTH));
        assert!(parse(&b[..11], &mut an).is_none());
    }

    #[test]
    fn tcp_header_checks() {
        // node address data send, client to server (frame 6): length 12,
        // command 0, error 0, client node 0
        let b = hex("46494e530000000c000000000000000000000000");
        let t = TcpHeader::new_checked(&b[..]).unwrap();
        assert_eq!(t.command(), TCP_NODE_ADDR_CLIENT);
        assert_eq!(t.data(), &[0, 0, 0, 0]);
        assert_eq!(
            TcpHeader::new_checked(&b[..10]).unwrap_err(),
            TcpError::Truncated(20)
        );
        assert_eq!(
            TcpHeader::new_checked(&b"FINX"[..]).unwrap_err(),
            TcpError::Bad
        );
        assert_eq!(
            TcpHeader::new_checked(&b"FI"[..]).unwrap_err(),
            TcpError::Truncated(16)
        );
        let mut big = b.clone();
        big[4] = 0x10;
        assert_eq!(TcpHeader::new_checked(&big[..]).unwrap_err(), TcpError::Bad);
        assert!(tcp_magic_ok(&b));
    }
}
