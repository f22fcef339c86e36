//! Modbus/TCP wire format: the MBAP header and the PDU.
//!
//! ```text
//!  0      2      4      6    7    8
//!  +------+------+------+----+----+-----------------+
//!  | TID  | PID  | LEN  |UNIT| FC | data (LEN-2)    |
//!  +------+------+------+----+----+-----------------+
//! ```
//! `LEN` counts the unit id, function code and data (2..=254 by the spec).
//! [`Frame`] is a zero-copy view whose length is checked once in
//! [`Frame::new_checked`]; [`Request::parse`] and [`Response::parse`] decode
//! the function-specific data into a plain representation that borrows the
//! value bytes.

use reefwatch_applayer::bytes::be16;
use reefwatch_applayer::Anomalies;

mod field {
    use core::ops::Range;
    pub const TID: Range<usize> = 0..2;
    pub const PID: Range<usize> = 2..4;
    pub const LEN: Range<usize> = 4..6;
    pub const UNIT: usize = 6;
    pub const FC: usize = 7;
    pub const DATA: usize = 8;
}

/// MBAP header length (up to and including the unit id).
pub const MBAP_LEN: usize = 7;
/// Largest `LEN` value the spec allows (unit id + 253-byte PDU).
pub const MAX_LEN: u16 = 254;

// Anomaly bits.
pub const A_BAD_PROTOCOL_ID: u32 = 0;
pub const A_LENGTH_TOO_LARGE: u32 = 1;
pub const A_INVALID_LENGTH: u32 = 2;
pub const A_INVALID_VALUE: u32 = 3;
pub const A_UNKNOWN_FUNCTION: u32 = 4;
pub const A_UNSOLICITED_RESPONSE: u32 = 5;
pub const A_FUNCTION_MISMATCH: u32 = 6;
pub const A_INVALID_EXCEPTION: u32 = 7;
pub const A_UNANSWERED: u32 = 8;
pub const A_TOO_MANY_TXS: u32 = 9;

/// Names of the anomaly bits (`modbus.<name>` in the anomaly stream).
pub const ANOMALY_NAMES: &[&str] = &[
    "modbus.invalid_protocol_id",
    "modbus.length_too_large",
    "modbus.invalid_length",
    "modbus.invalid_value",
    "modbus.unknown_function",
    "modbus.unsolicited_response",
    "modbus.function_mismatch",
    "modbus.invalid_exception_code",
    "modbus.unanswered_request",
    "modbus.too_many_transactions",
];

/// Zero-copy view of one MBAP frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Need at least this many bytes in total for the frame.
    Truncated(usize),
    /// LEN field is below 2 (no unit id + function code).
    BadLength,
}

impl<T: AsRef<[u8]>> Frame<T> {
    pub fn new_unchecked(buffer: T) -> Frame<T> {
        Frame { buffer }
    }

    /// Check that the header is present, LEN ≥ 2 and the whole frame is in
    /// `buffer`. Accessors below then cannot panic.
    pub fn new_checked(buffer: T) -> Result<Frame<T>, FrameError> {
        let f = Self::new_unchecked(buffer);
        f.check_len()?;
        Ok(f)
    }

    pub fn check_len(&self) -> Result<(), FrameError> {
        let b = self.buffer.as_ref();
        if b.len() < field::DATA {
            return Err(FrameError::Truncated(field::DATA));
        }
        let len = self.length();
        if len < 2 {
            return Err(FrameError::BadLength);
        }
        if b.len() < self.total_len() {
            return Err(FrameError::Truncated(self.total_len()));
        }
        Ok(())
    }

    pub fn transaction_id(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[field::TID.start], b[field::TID.start + 1]])
    }
    pub fn protocol_id(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[field::PID.start], b[field::PID.start + 1]])
    }
    pub fn length(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[field::LEN.start], b[field::LEN.start + 1]])
    }
    pub fn unit_id(&self) -> u8 {
        self.buffer.as_ref()[field::UNIT]
    }
    pub fn function_code(&self) -> u8 {
        self.buffer.as_ref()[field::FC]
    }
    /// Bytes of the whole frame (header + PDU).
    pub fn total_len(&self) -> usize {
        field::UNIT + self.length() as usize
    }
    /// Function-specific data after the function code.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..self.total_len()]
    }
}

/// Function code names as Suricata writes them (`function_code`).
pub fn function_name(fc: u8) -> &'static str {
    match fc & 0x7f {
        1 => "RdCoils",
        2 => "RdDiscreteInputs",
        3 => "RdHoldRegs",
        4 => "RdInputRegs",
        5 => "WrSingleCoil",
        6 => "WrSingleReg",
        7 => "RdExcStatus",
        8 => "Diagnostic",
        9 => "Program484",
        10 => "Poll484",
        11 => "GetCommEventCtr",
        12 => "GetCommEventLog",
        13 => "ProgramController",
        14 => "PollController",
        15 => "WrMultCoils",
        16 => "WrMultRegs",
        17 => "ReportServerID",
        18 => "Program884",
        19 => "ResetCommLink",
        20 => "RdFileRec",
        21 => "WrFileRec",
        22 => "MaskWrReg",
        23 => "RdWrMultRegs",
        24 => "RdFIFOQueue",
        43 => "MEI",
        90 => "UMAS",
        _ => "Unknown",
    }
}

/// Suricata's `category`.
pub fn function_category(fc: u8) -> &'static str {
    match fc & 0x7f {
        1..=24 | 43 => "PUBLIC_ASSIGNED",
        65..=72 | 100..=110 => "USER_DEFINED",
        _ => "RESERVED",
    }
}

/// Suricata's `access_type`.
pub fn access_type(fc: u8) -> &'static str {
    match fc & 0x7f {
        1 => "READ | COILS",
        2 => "READ | DISCRETES",
        3 => "READ | HOLDING",
        4 => "READ | INPUT",
        5 => "WRITE | SINGLE | COILS",
        6 => "WRITE | SINGLE | HOLDING",
        15 => "WRITE | MULTIPLE | COILS",
        16 => "WRITE | MULTIPLE | HOLDING",
        22 => "WRITE | SINGLE | HOLDING",
        23 => "READ | WRITE | MULTIPLE | HOLDING",
        24 => "READ | HOLDING",
        _ => "NONE",
    }
}

pub fn is_known_function(fc: u8) -> bool {
    matches!(fc & 0x7f, 1..=24 | 43 | 90 | 65..=72 | 100..=110)
}

pub fn exception_name(code: u8) -> &'static str {
    match code {
        1 => "IllegalFunction",
        2 => "IllegalDataAddress",
        3 => "IllegalDataValue",
        4 => "ServerDeviceFail",
        5 => "Ack",
        6 => "ServerDeviceBusy",
        7 => "NegativeAck",
        8 => "MemParityErr",
        10 => "GatewayPathUnavailable",
        11 => "GatewayTargetFailToResp",
        _ => "Unknown",
    }
}

/// Values carried by a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Values<'a> {
    #[default]
    None,
    /// Packed coil/discrete bits, LSB first; `count` bits are meaningful
    /// (0 = unknown, use all bits).
    Bits(&'a [u8], u16),
    /// Big-endian 16-bit registers.
    Registers(&'a [u8]),
}

impl<'a> Values<'a> {
    pub fn count(&self) -> usize {
        match *self {
            Values::None => 0,
            Values::Bits(b, n) => {
                if n == 0 {
                    b.len() * 8
                } else {
                    (n as usize).min(b.len() * 8)
                }
            }
            Values::Registers(r) => r.len() / 2,
        }
    }
    pub fn get(&self, i: usize) -> Option<u16> {
        match *self {
            Values::None => None,
            Values::Bits(b, _) => {
                if i >= self.count() {
                    return None;
                }
                Some(((b.get(i / 8)? >> (i % 8)) & 1) as u16)
            }
            Values::Registers(r) => be16(r, i.checked_mul(2)?),
        }
    }
    pub fn raw(&self) -> &'a [u8] {
        match *self {
            Values::None => &[],
            Values::Bits(b, _) => b,
            Values::Registers(r) => r,
        }
    }
}

/// A decoded request PDU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Request<'a> {
    pub function: u8,
    /// Read start address and quantity (functions 1–4, 23, 24).
    pub read_address: Option<u16>,
    pub read_quantity: Option<u16>,
    /// Write start address and quantity (functions 5, 6, 15, 16, 22, 23).
    pub write_address: Option<u16>,
    pub write_quantity: Option<u16>,
    pub write_values: Values<'a>,
    /// Mask write (22).
    pub and_mask: Option<u16>,
    pub or_mask: Option<u16>,
    /// Diagnostic (8) sub-function.
    pub subfunction: Option<u16>,
    /// MEI (43) type and, for 14, read device id code / object id.
    pub mei_type: Option<u8>,
    pub read_device_id_code: Option<u8>,
    pub object_id: Option<u8>,
    /// UMAS (90) function code.
    pub umas_function: Option<u8>,
    /// Remaining function data (diagnostic data, file records …).
    pub data: &'a [u8],
}

/// One object of a MEI Read Device Identification response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceIdObject<'a> {
    pub id: u8,
    pub value: &'a [u8],
}

/// A decoded response PDU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Response<'a> {
    pub function: u8,
    pub exception: Option<u8>,
    /// Values read (1–4, 23, 24) or echoed (5, 6).
    pub values: Values<'a>,
    /// Echoed write address/quantity (5, 6, 15, 16, 22).
    pub write_address: Option<u16>,
    pub write_quantity: Option<u16>,
    pub subfunction: Option<u16>,
    pub mei_type: Option<u8>,
    pub read_device_id_code: Option<u8>,
    pub conformity_level: Option<u8>,
    pub more_follows: Option<u8>,
    pub next_object_id: Option<u8>,
    /// Raw object list of a device identification response; iterate with
    /// [`DeviceIdIter`].
    pub device_id_objects: &'a [u8],
    pub device_id_count: u8,
    pub umas_function: Option<u8>,
    pub data: &'a [u8],
}

/// Iterates the objects of a MEI 14 response without allocating.
pub struct DeviceIdIter<'a> {
    rest: &'a [u8],
    left: u8,
}

impl<'a> DeviceIdIter<'a> {
    pub fn new(r: &Response<'a>) -> Self {
        DeviceIdIter {
            rest: r.device_id_objects,
            left: r.device_id_count,
        }
    }
}

impl<'a> Iterator for DeviceIdIter<'a> {
    type Item = DeviceIdObject<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 || self.rest.len() < 2 {
            return None;
        }
        let id = self.rest[0];
        let len = self.rest[1] as usize;
        let value = self.rest.get(2..2 + len)?;
        self.rest = &self.rest[2 + len..];
        self.left -= 1;
        Some(DeviceIdObject { id, value })
    }
}

pub fn device_id_object_name(id: u8) -> &'static str {
    match id {
        0 => "vendor_name",
        1 => "product_code",
        2 => "revision",
        3 => "vendor_url",
        4 => "product_name",
        5 => "model_name",
        6 => "user_application_name",
        _ => "other",
    }
}

impl<'a> Request<'a> {
    /// Decode request data `d` (after the function code).
    pub fn parse(fc: u8, d: &'a [u8], an: &mut Anomalies) -> Request<'a> {
        let mut r = Request {
            function: fc,
            ..Default::default()
        };
        let need = |n: usize, an: &mut Anomalies| {
            if d.len() < n {
                an.set(A_INVALID_LENGTH);
                false
            } else {
                true
            }
        };
        match fc {
            1..=4 => {
                if need(4, an) {
                    r.read_address = be16(d, 0);
                    r.read_quantity = be16(d, 2);
                    let q = r.read_quantity.unwrap_or(0);
                    let max = if fc <= 2 { 2000 } else { 125 };
                    if q == 0 || q > max {
                        an.set(A_INVALID_VALUE);
                    }
                    if d.len() != 4 {
                        an.set(A_INVALID_LENGTH);
                    }
                }
            }
            5 | 6 => {
                if need(4, an) {
                    r.write_address = be16(d, 0);
                    r.write_quantity = Some(1);
                    if fc == 5 {
                        let v = be16(d, 2).unwrap_or(0);
                        if v != 0xff00 && v != 0 {
                            an.set(A_INVALID_VALUE);
                        }
                        r.write_values = Values::Bits(&d[2..3], 1);
                    } else {
                        r.write_values = Values::Registers(&d[2..4]);
                    }
                    if d.len() != 4 {
                        an.set(A_INVALID_LENGTH);
                    }
                }
            }
            15 | 16 => {
                if need(5, an) {
                    r.write_address = be16(d, 0);
                    let q = be16(d, 2).unwrap_or(0);
                    r.write_quantity = Some(q);
                    let bc = d[4] as usize;
                    let expect = if fc == 15 {
                        (q as usize).div_ceil(8)
                    } else {
                        q as usize * 2
                    };
                    if bc != expect || d.len() != 5 + bc {
                        an.set(A_INVALID_LENGTH);
                    }
                    let end = (5 + bc).min(d.len());
                    let vals = &d[5..end];
                    r.write_values = if fc == 15 {
                        Values::Bits(vals, q)
                    } else {
                        Values::Registers(&vals[..vals.len() & !1])
                    };
                }
            }
            22 => {
                if need(6, an) {
                    r.write_address = be16(d, 0);
                    r.write_quantity = Some(1);
                    r.and_mask = be16(d, 2);
                    r.or_mask = be16(d, 4);
                }
            }
            23 => {
                if need(9, an) {
                    r.read_address = be16(d, 0);
                    r.read_quantity = be16(d, 2);
                    r.write_address = be16(d, 4);
                    let q = be16(d, 6).unwrap_or(0);
                    r.write_quantity = Some(q);
                    let bc = d[8] as usize;
                    if bc != q as usize * 2 || d.len() != 9 + bc {
                        an.set(A_INVALID_LENGTH);
                    }
                    let end = (9 + bc).min(d.len());
                    let vals = &d[9..end];
                    r.write_values = Values::Registers(&vals[..vals.len() & !1]);
                }
            }
            24 => {
                if need(2, an) {
                    r.read_address = be16(d, 0);
                }
            }
            8 => {
                if need(2, an) {
                    r.subfunction = be16(d, 0);
                    r.data = &d[2..];
                }
            }
            43 => {
                if need(1, an) {
                    r.mei_type = Some(d[0]);
                    if d[0] == 14 {
                        if d.len() >= 3 {
                            r.read_device_id_code = Some(d[1]);
                            r.object_id = Some(d[2]);
                        } else {
                            an.set(A_INVALID_LENGTH);
                        }
                    }
                    r.data = &d[1..];
                }
            }
            90 => {
                // UMAS (Schneider): session id, UMAS function, data.
                if need(2, an) {
                    r.umas_function = Some(d[1]);
                    r.data = &d[2..];
                }
            }
            7 | 11 | 12 | 17 => {
                if !d.is_empty() {
                    an.set(A_INVALID_LENGTH);
                }
            }
            _ => {
                if !is_known_function(fc) {
                    an.set(A_UNKNOWN_FUNCTION);
                }
                r.data = d;
            }
        }
        r
    }
}

impl<'a> Response<'a> {
    /// Decode response data `d`. `req` is the matched request, when known,
    /// for functions whose response layout depends on it.
    pub fn parse(fc: u8, d: &'a [u8], req_qty: Option<u16>, an: &mut Anomalies) -> Response<'a> {
        let mut r = Response {
            function: fc & 0x7f,
            ..Default::default()
        };
        if fc & 0x80 != 0 {
            match d.first() {
                Some(&c) => {
                    r.exception = Some(c);
                    if !matches!(c, 1..=8 | 10 | 11) {
                        an.set(A_INVALID_EXCEPTION);
                    }
                    if d.len() != 1 {
                        an.set(A_INVALID_LENGTH);
                    }
                }
                None => an.set(A_INVALID_LENGTH),
            }
            return r;
        }
        match fc {
            1..=4 | 23 => {
                if let Some(&bc) = d.first() {
                    let bc = bc as usize;
                    if d.len() != 1 + bc {
                        an.set(A_INVALID_LENGTH);
                    }
                    let end = (1 + bc).min(d.len());
                    let v = &d[1..end];
                    r.values = if fc <= 2 {
                        Values::Bits(v, req_qty.unwrap_or(0))
                    } else {
                        if bc & 1 != 0 {
                            an.set(A_INVALID_LENGTH);
                        }
                        Values::Registers(&v[..v.len() & !1])
                    };
                } else {
                    an.set(A_INVALID_LENGTH);
                }
            }
            5 | 6 => {
                if d.len() >= 4 {
                    r.write_address = be16(d, 0);
                    r.write_quantity = Some(1);
                    r.values = if fc == 5 {
                        Values::Bits(&d[2..3], 1)
                    } else {
                        Values::Registers(&d[2..4])
                    };
                } else {
                    an.set(A_INVALID_LENGTH);
                }
            }
            15 | 16 => {
                if d.len() >= 4 {
                    r.write_address = be16(d, 0);
                    r.write_quantity = be16(d, 2);
                } else {
                    an.set(A_INVALID_LENGTH);
                }
            }
            22 => {
                if d.len() >= 6 {
                    r.write_address = be16(d, 0);
                    r.write_quantity = Some(1);
                } else {
                    an.set(A_INVALID_LENGTH);
                }
            }
            24 => {
                // byte count (2), FIFO count (2), registers
                if d.len() >= 4 {
                    let v = &d[4..];
                    r.values = Values::Registers(&v[..v.len() & !1]);
                } else {
                    an.set(A_INVALID_LENGTH);
                }
            }
            8 => {
                if d.len() >= 2 {
                    r.subfunction = be16(d, 0);
                    r.data = &d[2..];
                } else {
                    an.set(A_INVALID_LENGTH);
                }
            }
            43 => {
                if let Some(&t) = d.first() {
                    r.mei_type = Some(t);
                    r.data = &d[1..];
                    if t == 14 {
                        if d.len() >= 6 {
                            r.read_device_id_code = Some(d[1]);
                            r.conformity_level = Some(d[2]);
                            r.more_follows = Some(d[3]);
                            r.next_object_id = Some(d[4]);
                            r.device_id_count = d[5];
                            r.device_id_objects = &d[6..];
                            // Validate the object list once.
                            let mut rest = &d[6..];
                            for _ in 0..d[5] {
                                if rest.len() < 2 || rest.len() < 2 + rest[1] as usize {
                                    an.set(A_INVALID_LENGTH);
                                    break;
                                }
                                rest = &rest[2 + rest[1] as usize..];
                            }
                        } else {
                            an.set(A_INVALID_LENGTH);
                        }
                    }
                } else {
                    an.set(A_INVALID_LENGTH);
                }
            }
            90 => {
                if d.len() >= 2 {
                    r.umas_function = Some(d[1]);
                    r.data = &d[2..];
                } else {
                    an.set(A_INVALID_LENGTH);
                }
            }
            _ => {
                if !is_known_function(fc) {
                    an.set(A_UNKNOWN_FUNCTION);
                }
                r.data = d;
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Read Holding Registers request: tid 1, pid 0, len 6, unit 17,
    // fc 3, address 0x006b, quantity 3.
    static READ_HOLD_REQ: [u8; 12] = [
        0x00, 0x01, // transaction id
        0x00, 0x00, // protocol id
        0x00, 0x06, // length
        0x11, // unit id
        0x03, // function: read holding registers
        0x00, 0x6b, // start address 107
        0x00, 0x03, // quantity 3
    ];

    // Its response: byte count 6, registers 0x022b 0x0000 0x0064.
    static READ_HOLD_RESP: [u8; 15] = [
        0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x11, // MBAP
        0x03, // function
        0x06, // byte count
        0x02, 0x2b, 0x00, 0x00, 0x00, 0x64, // registers
    ];

    #[test]
    fn frame_view() {
        let f = Frame::new_checked(&READ_HOLD_REQ[..]).unwrap();
        assert_eq!(f.transaction_id(), 1);
        assert_eq!(f.protocol_id(), 0);
        assert_eq!(f.length(), 6);
        assert_eq!(f.unit_id(), 0x11);
        assert_eq!(f.function_code(), 3);
        assert_eq!(f.total_len(), 12);
        assert_eq!(f.data(), &[0x00, 0x6b, 0x00, 0x03]);
        assert_eq!(
            Frame::new_checked(&READ_HOLD_REQ[..11]).unwrap_err(),
            FrameError::Truncated(12)
        );
        assert_eq!(
            Frame::new_checked(&READ_HOLD_REQ[..5]).unwrap_err(),
            FrameError::Truncated(8)
        );
    }

    #[test]
    fn read_holding_request_and_response() {
        let mut an = Anomalies::default();
        let f = Frame::new_checked(&READ_HOLD_REQ[..]).unwrap();
        let r = Request::parse(f.function_code(), f.data(), &mut an);
        assert_eq!(r.read_address, Some(107));
        assert_eq!(r.read_quantity, Some(3));
        assert!(an.is_empty());
        let f = Frame::new_checked(&READ_HOLD_RESP[..]).unwrap();
        let r = Response::parse(f.function_code(), f.data(), Some(3), &mut an);
        assert!(an.is_empty());
        assert_eq!(r.values.count(), 3);
        assert_eq!(r.values.get(0), Some(0x022b));
        assert_eq!(r.values.get(2), Some(0x64));
        assert_eq!(r.values.get(3), None);
    }

    #[test]
    fn write_multiple_coils() {
        // fc 15, address 19, quantity 10, byte count 2, bits cd 01
        let d = [0x00, 0x13, 0x00, 0x0a, 0x02, 0xcd, 0x01];
        let mut an = Anomalies::default();
        let r = Request::parse(15, &d, &mut an);
        assert!(an.is_empty());
        assert_eq!(r.write_address, Some(19));
        assert_eq!(r.write_quantity, Some(10));
        assert_eq!(r.write_values.count(), 10);
        // 0xcd = 1100_1101 → bits LSB first: 1,0,1,1,0,0,1,1
        let bits: Vec<u16> = (0..10).filter_map(|i| r.write_values.get(i)).collect();
        assert_eq!(bits, vec![1, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
        // byte count lies: flagged, no panic
        let d = [0x00, 0x13, 0x00, 0x0a, 0x09, 0xcd];
        let mut an = Anomalies::default();
        let r = Request::parse(15, &d, &mut an);
        assert!(an.has(A_INVALID_LENGTH));
        assert_eq!(r.write_values.raw(), &[0xcd]);
    }

    #[test]
    fn exception_response() {
        // fc 0x83 (exception to 3), code 2 illegal data address
        let mut an = Anomalies::default();
        let r = Response::parse(0x83, &[0x02], None, &mut an);
        assert_eq!(r.function, 3);
        assert_eq!(r.exception, Some(2));
        assert_eq!(exception_name(2), "IllegalDataAddress");
        assert!(an.is_empty());
        let r = Response::parse(0x83, &[0x33], None, &mut an);
        assert_eq!(r.exception, Some(0x33));
        assert!(an.has(A_INVALID_EXCEPTION));
    }

    #[test]
    fn mei_device_identification() {
        // fc 43 response: MEI 14, code 1, conformity 0x01, more 0, next 0,
        // 3 objects: 0 "ACME", 1 "P1", 2 "V1.0"
        let d = [
            0x0e, 0x01, 0x01, 0x00, 0x00, 0x03, // header
            0x00, 0x04, b'A', b'C', b'M', b'E', // vendor name
            0x01, 0x02, b'P', b'1', // product code
            0x02, 0x04, b'V', b'1', b'.', b'0', // revision
        ];
        let mut an = Anomalies::default();
        let r = Response::parse(43, &d, None, &mut an);
        assert!(an.is_empty());
        let objs: Vec<_> = DeviceIdIter::new(&r).collect();
        assert_eq!(objs.len(), 3);
        assert_eq!(objs[0].value, b"ACME");
        assert_eq!(objs[2].id, 2);
        // truncated object list is flagged and iteration stops
        let mut an = Anomalies::default();
        let r = Response::parse(43, &d[..15], None, &mut an);
        assert!(an.has(A_INVALID_LENGTH));
        assert_eq!(DeviceIdIter::new(&r).count(), 1);
    }

    #[test]
    fn short_data_is_flagged_not_panicking() {
        for fc in 0..=255u8 {
            for len in 0..10 {
                let d = [0xffu8; 10];
                let mut an = Anomalies::default();
                let _ = Request::parse(fc, &d[..len], &mut an);
                let _ = Response::parse(fc, &d[..len], Some(2000), &mut an);
            }
        }
    }
}
