//! Mitsubishi MELSEC communication protocol (MC protocol) / SLMP: 3E and
//! 4E frames, binary and ASCII (SLMP reference manual SH-080956ENG,
//! MC protocol reference SH-080008).
//!
//! ```text
//! 3E binary request (little endian):
//!  0     2   3   4       6   7       9       11      13      15
//!  +-----+---+---+-------+---+-------+-------+-------+-------+------
//!  |50 00|NET|PC |MOD IO |ST | LEN   | TIMER |  CMD  | SUB   | data
//!  +-----+---+---+-------+---+-------+-------+-------+-------+------
//! 3E binary response: D0 00, NET, PC, MOD IO, ST, LEN, END CODE, data
//! (an error response's data: NET PC IO ST CMD SUB of the request).
//! 4E: 54 00 / D4 00, SERIAL (2), 00 00, then as 3E.
//! LEN counts the bytes after itself.
//! ASCII: the same fields as upper-case hexadecimal text, most
//! significant digit first ("5000" "00" "FF" "03FF" "00" "0018" ...),
//! LEN counting characters.
//! ```
//! [`Frame::parse`] checks the lengths once and yields a plain
//! representation of either encoding; [`DeviceAccess::parse`] decodes the
//! device of batch read/write commands.

use reefwatch_applayer::Anomalies;

/// Largest request/response data length accepted (LEN): the largest
/// SLMP batch transfer (960 words, 7168 bits in ASCII) with room.
pub const MAX_DATA_LEN: usize = 8192;

// Anomaly bits.
pub const A_INVALID_LENGTH: u32 = 0;
pub const A_UNKNOWN_COMMAND: u32 = 1;
pub const A_UNSOLICITED_RESPONSE: u32 = 2;
pub const A_UNANSWERED: u32 = 3;
pub const A_TOO_MANY_TXS: u32 = 4;
pub const A_BAD_FRAME: u32 = 5;
pub const A_BAD_FIXED: u32 = 6;
pub const A_POINTS_MISMATCH: u32 = 7;
pub const A_ADDRESS_MISMATCH: u32 = 8;
pub const A_BAD_ASCII: u32 = 9;

/// Names of the anomaly bits (`melsec.<name>`).
pub const ANOMALY_NAMES: &[&str] = &[
    "melsec.invalid_length",
    "melsec.unknown_command",
    "melsec.unsolicited_response",
    "melsec.unanswered_request",
    "melsec.too_many_transactions",
    "melsec.bad_frame",
    "melsec.nonzero_fixed_field",
    "melsec.points_mismatch",
    "melsec.address_mismatch",
    "melsec.bad_ascii",
];

/// 3E or 4E.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    #[default]
    E3,
    E4,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::E3 => "3E",
            Kind::E4 => "4E",
        }
    }
}

/// The request's routing fields (network, PC, module I/O, station).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Route {
    pub network: u8,
    pub pc: u8,
    pub module_io: u16,
    pub station: u8,
}

/// One frame, either encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Frame<'a> {
    pub kind: Kind,
    pub ascii: bool,
    pub response: bool,
    pub serial: Option<u16>,
    pub route: Route,
    /// LEN as sent.
    pub data_len: u16,
    /// Request: monitoring timer (units of 250 ms), command, subcommand.
    pub timer: u16,
    pub command: u16,
    pub subcommand: u16,
    /// Response: end code.
    pub end_code: u16,
    /// What follows (request data after the subcommand, response data
    /// after the end code), still in the frame's encoding.
    pub data: &'a [u8],
    /// Bytes of the whole frame.
    pub total_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Need this many bytes in total.
    Truncated(usize),
    /// Not an MC protocol frame (subheader, fixed field, digits, LEN).
    Bad,
}

/// A reader of fixed-width fields in either encoding: binary fields are
/// little endian, ASCII fields hexadecimal text (2 characters a byte),
/// most significant first.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    pub b: &'a [u8],
    pub ascii: bool,
}

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl<'a> Fields<'a> {
    /// Width in the frame of a field of `n` bytes.
    pub fn width(&self, n: usize) -> usize {
        if self.ascii {
            2 * n
        } else {
            n
        }
    }
    /// An `n`-byte (n ≤ 4) unsigned field at byte offset `off` of the
    /// frame (offsets are in the frame's own units).
    pub fn uint(&self, off: usize, n: usize) -> Option<u32> {
        let w = self.width(n);
        let s = self.b.get(off..off.checked_add(w)?)?;
        if self.ascii {
            let mut v = 0u32;
            for &c in s {
                v = (v << 4) | hexval(c)? as u32;
            }
            Some(v)
        } else {
            Some(s.iter().rev().fold(0u32, |v, &x| (v << 8) | x as u32))
        }
    }
    pub fn u8(&self, off: usize) -> Option<u8> {
        self.uint(off, 1).map(|v| v as u8)
    }
    pub fn u16(&self, off: usize) -> Option<u16> {
        self.uint(off, 2).map(|v| v as u16)
    }
}

impl<'a> Frame<'a> {
    /// Parse the frame at the start of `b` (the whole frame must be
    /// there: `Truncated` says how many bytes it takes).
    pub fn parse(b: &'a [u8]) -> Result<Frame<'a>, FrameError> {
        let ascii = match b.first() {
            Some(0x50 | 0xd0 | 0x54 | 0xd4) => false,
            Some(b'5' | b'D') => true,
            Some(_) => return Err(FrameError::Bad),
            None => return Err(FrameError::Truncated(2)),
        };
        let f = Fields { b, ascii };
        let w = |n| f.width(n);
        let need = |n: usize| {
            if b.len() < n {
                Err(FrameError::Truncated(n))
            } else {
                Ok(())
            }
        };
        need(w(2))?;
        let sub = if ascii {
            // "5000" / "D000" / "5400" / "D400", read as written
            f.uint(0, 2).ok_or(FrameError::Bad)? as u16
        } else {
            u16::from_be_bytes([b[0], b[1]])
        };
        let (kind, response) = match sub {
            0x5000 => (Kind::E3, false),
            0xd000 => (Kind::E3, true),
            0x5400 => (Kind::E4, false),
            0xd400 => (Kind::E4, true),
            _ => return Err(FrameError::Bad),
        };
        let mut off = w(2);
        let mut serial = None;
        if kind == Kind::E4 {
            need(off + w(4))?;
            serial = Some(f.u16(off).ok_or(FrameError::Bad)?);
            if f.u16(off + w(2)).ok_or(FrameError::Bad)? != 0 {
                return Err(FrameError::Bad);
            }
            off += w(4);
        }
        need(off + w(7))?;
        let route = Route {
            network: f.u8(off).ok_or(FrameError::Bad)?,
            pc: f.u8(off + w(1)).ok_or(FrameError::Bad)?,
            module_io: f.u16(off + w(2)).ok_or(FrameError::Bad)?,
            station: f.u8(off + w(4)).ok_or(FrameError::Bad)?,
        };
        let data_len = f.u16(off + w(5)).ok_or(FrameError::Bad)?;
        off += w(7);
        let dl = data_len as usize;
        let min = if response { w(2) } else { w(6) };
        if dl < min || dl > MAX_DATA_LEN {
            return Err(FrameError::Bad);
        }
        let total = off + dl;
        need(total)?;
        let mut fr = Frame {
            kind,
            ascii,
            response,
            serial,
            route,
            data_len,
            total_len: total,
            ..Frame::default()
        };
        let bad = FrameError::Bad;
        if response {
            fr.end_code = f.u16(off).ok_or(bad)?;
            fr.data = &b[off + w(2)..total];
        } else {
            fr.timer = f.u16(off).ok_or(bad)?;
            fr.command = f.u16(off + w(2)).ok_or(bad)?;
            fr.subcommand = f.u16(off + w(4)).ok_or(bad)?;
            fr.data = &b[off + w(6)..total];
        }
        Ok(fr)
    }

    pub fn fields(&self) -> Fields<'a> {
        Fields {
            b: self.data,
            ascii: self.ascii,
        }
    }
}

/// Name of a command.
pub fn command_name(c: u16) -> &'static str {
    match c {
        0x0401 => "batch_read",
        0x1401 => "batch_write",
        0x0403 => "random_read",
        0x1402 => "random_write",
        0x0406 => "block_read",
        0x1406 => "block_write",
        0x0801 => "monitor_register",
        0x0802 => "monitor",
        0x0101 => "read_cpu_model",
        0x1001 => "remote_run",
        0x1002 => "remote_stop",
        0x1003 => "remote_pause",
        0x1005 => "remote_latch_clear",
        0x1006 => "remote_reset",
        0x0619 => "loopback_test",
        0x0601 => "read_intelligent_module_buffer",
        0x1601 => "write_intelligent_module_buffer",
        0x0613 => "read_buffer_memory",
        0x1613 => "write_buffer_memory",
        0x1617 => "clear_error",
        0x1630 => "remote_password_unlock",
        0x1631 => "remote_password_lock",
        0x1810 => "read_directory",
        0x1811 => "search_directory",
        0x1820 => "create_file",
        0x1822 => "delete_file",
        0x1824 => "copy_file",
        0x1825 => "change_file_attribute",
        0x1826 => "change_file_date",
        0x1827 => "open_file",
        0x1828 => "read_file",
        0x1829 => "write_file",
        0x182a => "close_file",
        0x0201..=0x0206 => "file_control_legacy",
        _ => "unknown",
    }
}

pub fn is_known_command(c: u16) -> bool {
    command_name(c) != "unknown"
}

/// Binary device codes and their names (ASCII codes are the names,
/// padded with `*`).
const DEVICES: &[(u8, &str)] = &[
    (0x91, "SM"),
    (0xa9, "SD"),
    (0x9c, "X"),
    (0x9d, "Y"),
    (0x90, "M"),
    (0x92, "L"),
    (0x93, "F"),
    (0x94, "V"),
    (0xa0, "B"),
    (0xa8, "D"),
    (0xb4, "W"),
    (0xc1, "TS"),
    (0xc0, "TC"),
    (0xc2, "TN"),
    (0xc7, "SS"),
    (0xc6, "SC"),
    (0xc8, "SN"),
    (0xc4, "CS"),
    (0xc3, "CC"),
    (0xc5, "CN"),
    (0xa1, "SB"),
    (0xb5, "SW"),
    (0x98, "S"),
    (0xa2, "DX"),
    (0xa3, "DY"),
    (0xcc, "Z"),
    (0xaf, "R"),
    (0xb0, "ZR"),
];

pub fn device_name(code: u8) -> &'static str {
    DEVICES
        .iter()
        .find(|d| d.0 == code)
        .map_or("unknown", |d| d.1)
}

/// Binary code of an ASCII device name (`"D*"`, `"SM"`, `"X*"`).
fn device_code_ascii(s: &[u8]) -> Option<u8> {
    let n = if s.get(1) == Some(&b'*') { 1 } else { 2 };
    let name = s.get(..n)?;
    DEVICES.iter().find(|d| d.1.as_bytes() == name).map(|d| d.0)
}

/// Devices whose numbers are hexadecimal (in ASCII frames too).
fn hex_numbered(code: u8) -> bool {
    matches!(code, 0x9c | 0x9d | 0xa0 | 0xb4 | 0xa1 | 0xb5 | 0xa2 | 0xa3)
}

/// Whether a device holds bits (M, X, Y ... contacts and coils).
pub fn is_bit_device(code: u8) -> bool {
    matches!(
        code,
        0x91 | 0x9c
            | 0x9d
            | 0x90
            | 0x92
            | 0x93
            | 0x94
            | 0xa0
            | 0xc1
            | 0xc0
            | 0xc7
            | 0xc6
            | 0xc4
            | 0xc3
            | 0xa1
            | 0x98
            | 0xa2
            | 0xa3
    )
}

/// The device a batch read/write addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceAccess {
    pub code: u8,
    pub head: u32,
    pub points: u16,
    /// Bit units (subcommand bit 0).
    pub bits: bool,
}

impl DeviceAccess {
    /// Device, head number and points at the start of a batch command's
    /// data (subcommand 0000/0001: 3-byte number and 1-byte code;
    /// 0002/0003 (iQ-R): 4-byte number and 2-byte code). The rest is the
    /// written data.
    pub fn parse<'a>(f: &Fields<'a>, subcommand: u16) -> Option<(DeviceAccess, &'a [u8])> {
        let wide = subcommand & 0x0002 != 0;
        let bits = subcommand & 0x0001 != 0;
        let (code, head, after) = if f.ascii {
            let (cw, nw) = if wide { (4, 8) } else { (2, 6) };
            let code = device_code_ascii(f.b.get(..cw)?)?;
            let num = f.b.get(cw..cw + nw)?;
            let mut head = 0u32;
            for &c in num {
                let d = hexval(c)? as u32;
                if !hex_numbered(code) && d > 9 {
                    return None;
                }
                head = head.checked_mul(if hex_numbered(code) { 16 } else { 10 })? + d;
            }
            (code, head, cw + nw)
        } else if wide {
            (f.b.get(4).copied()?, f.uint(0, 4)?, 6)
        } else {
            (f.b.get(3).copied()?, f.uint(0, 3)?, 4)
        };
        let points = f.u16(after)?;
        let rest = f.b.get(after + f.width(2)..)?;
        Some((
            DeviceAccess {
                code,
                head,
                points,
                bits,
            },
            rest,
        ))
    }

    /// Bytes (binary) or characters (ASCII) the written data of a batch
    /// write of this access takes.
    pub fn write_len(&self, ascii: bool) -> usize {
        let p = self.points as usize;
        match (self.bits, ascii) {
            // binary bit units: two points a byte
            (true, false) => p.div_ceil(2),
            // ASCII bit units: a character a point
            (true, true) => p,
            (false, false) => 2 * p,
            (false, true) => 4 * p,
        }
    }
}

/// Model name and code of a read CPU model response.
pub fn cpu_model<'a>(f: &Fields<'a>) -> Option<(&'a [u8], u16)> {
    let name = f.b.get(..16)?;
    let code = Fields {
        b: &f.b[16..],
        ascii: f.ascii,
    }
    .u16(0)?;
    Some((name, code))
}

/// Validate a request's command-specific data; set anomaly bits.
pub fn check_request(fr: &Frame<'_>, an: &mut Anomalies) -> Option<DeviceAccess> {
    if !is_known_command(fr.command) {
        an.set(A_UNKNOWN_COMMAND);
    }
    let f = fr.fields();
    match fr.command {
        0x0401 | 0x1401 => {
            let Some((d, rest)) = DeviceAccess::parse(&f, fr.subcommand) else {
                an.set(A_INVALID_LENGTH);
                return None;
            };
            let want = if fr.command == 0x0401 {
                0
            } else {
                d.write_len(fr.ascii)
            };
            if rest.len() != want {
                an.set(A_POINTS_MISMATCH);
            }
            Some(d)
        }
        0x1001 if fr.data.len() != f.width(4) => {
            an.set(A_INVALID_LENGTH);
            None
        }
        0x1002 | 0x1005 | 0x1006 | 0x1003 if fr.data.len() != f.width(2) => {
            an.set(A_INVALID_LENGTH);
            None
        }
        0x0101 if !fr.data.is_empty() => {
            an.set(A_INVALID_LENGTH);
            None
        }
        _ => None,
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

    // Built from the SLMP reference manual's frame layout (no MC
    // protocol capture is in the shared set and tshark 4.0 has no
    // dissector for it).

    #[test]
    fn batch_read_3e_binary() {
        // 50 00        subheader, 3E request
        // 00 ff ff 03 00  network 0, PC 0xff, module I/O 0x03ff, station 0
        // 0c 00        LEN 12
        // 10 00        monitoring timer 16 (4 s)
        // 01 04 00 00  batch read, word units
        // 64 00 00 a8  D100
        // 0a 00        10 points
        let b = hex("500000ffff03000c00100001040000640000a80a00");
        let f = Frame::parse(&b).unwrap();
        assert_eq!((f.kind, f.ascii, f.response), (Kind::E3, false, false));
        assert_eq!(
            f.route,
            Route {
                network: 0,
                pc: 0xff,
                module_io: 0x3ff,
                station: 0
            }
        );
        assert_eq!((f.timer, f.command, f.subcommand), (16, 0x0401, 0));
        assert_eq!(f.total_len, b.len());
        let mut an = Anomalies::default();
        let d = check_request(&f, &mut an).unwrap();
        assert!(an.is_empty());
        assert_eq!((d.code, d.head, d.points, d.bits), (0xa8, 100, 10, false));
        assert_eq!(Frame::parse(&b[..20]), Err(FrameError::Truncated(21)));
        assert_eq!(Frame::parse(&b[..5]), Err(FrameError::Truncated(9)));
    }

    #[test]
    fn batch_read_3e_ascii() {
        // the same request in ASCII: LEN 0x18 = 24 characters
        let b = b"500000FF03FF000018001004010000D*000100000A";
        let f = Frame::parse(b).unwrap();
        assert!(f.ascii);
        assert_eq!((f.command, f.subcommand, f.timer), (0x0401, 0, 16));
        assert_eq!(f.route.module_io, 0x3ff);
        let mut an = Anomalies::default();
        let d = check_request(&f, &mut an).unwrap();
        assert!(an.is_empty(), "{an:?}");
        assert_eq!((d.code, d.head, d.points), (0xa8, 100, 10));
        // a non-hex digit in a field
        let mut bad = b.to_vec();
        bad[5] = b'G';
        assert_eq!(Frame::parse(&bad), Err(FrameError::Bad));
    }

    #[test]
    fn batch_write_bits_4e_and_response() {
        // 54 00 34 12 00 00  4E request, serial 0x1234
        // 00 ff ff 03 00 0e 00 10 00  route, LEN 14, timer 16
        // 01 14 01 00  batch write, bit units
        // 00 00 00 90  M0
        // 03 00        3 points: 2 bytes of data (1,0 | 1)
        // 10 10
        let b = hex("54003412000000ffff03000e001000011401000000009003001010");
        let f = Frame::parse(&b).unwrap();
        assert_eq!((f.kind, f.serial), (Kind::E4, Some(0x1234)));
        let mut an = Anomalies::default();
        let d = check_request(&f, &mut an).unwrap();
        assert!(an.is_empty(), "{an:?}");
        assert!(d.bits && d.code == 0x90 && d.points == 3);
        // one data byte missing
        let mut short = b.clone();
        short.pop();
        short[11] -= 1;
        let f = Frame::parse(&short).unwrap();
        let mut an = Anomalies::default();
        check_request(&f, &mut an);
        assert!(an.has(A_POINTS_MISMATCH));
        // D4 00 34 12 00 00  4E response, serial 0x1234, LEN 2, end 0
        let r = hex("d4003412000000ffff030002000000");
        let f = Frame::parse(&r).unwrap();
        assert!(f.response);
        assert_eq!((f.serial, f.end_code, f.data.len()), (Some(0x1234), 0, 0));
        // the fixed 00 00 after the serial must be zero
        let mut bad = r.clone();
        bad[4] = 1;
        assert_eq!(Frame::parse(&bad), Err(FrameError::Bad));
    }

    #[test]
    fn cpu_model_response_and_errors() {
        // D0 00 00 ff ff 03 00 | LEN 20 | end 0000 | "Q03UDECPU" padded
        // to 16 with spaces | model code 0x0268
        let mut b = hex("d00000ffff030014000000");
        b.extend_from_slice(b"Q03UDECPU       ");
        b.extend_from_slice(&[0x68, 0x02]);
        let f = Frame::parse(&b).unwrap();
        let (name, code) = cpu_model(&f.fields()).unwrap();
        assert_eq!((name, code), (&b"Q03UDECPU       "[..], 0x0268));
        // an error response: end code 0xc059, then the request's route,
        // command and subcommand
        let e = hex("d00000ffff03000b0059c000ffff030001040000");
        let f = Frame::parse(&e).unwrap();
        assert_eq!(f.end_code, 0xc059);
        assert_eq!(f.data.len(), 9);
        // LEN below a request's minimum, bad subheader
        assert_eq!(
            Frame::parse(&hex("500000ffff0300040010000101")),
            Err(FrameError::Bad)
        );
        assert_eq!(Frame::parse(&hex("5700")), Err(FrameError::Bad));
    }

    #[test]
    fn remote_operations_check_their_data() {
        // remote RUN: mode 0001 (no force), clear mode 00, fixed 00
        let b = hex("500000ffff03000a0010000110000001000000");
        let f = Frame::parse(&b).unwrap();
        let mut an = Anomalies::default();
        assert!(check_request(&f, &mut an).is_none());
        assert!(an.is_empty(), "{an:?}");
        // remote STOP with a byte too many
        let b = hex("500000ffff03000900100002100000010000");
        let f = Frame::parse(&b).unwrap();
        let mut an = Anomalies::default();
        check_request(&f, &mut an);
        assert!(an.has(A_INVALID_LENGTH));
    }
}
