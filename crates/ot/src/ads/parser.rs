//! Beckhoff ADS/AMS wire format: a zero-copy view over the AMS/TCP header
//! (6 bytes) and the AMS header (32 bytes), the ADS command bodies, and the
//! UDP discovery/route datagrams of port 48899. All integers little-endian.
//!
//! ```text
//! AMS/TCP  0..2 reserved (0)   2..6 length (AMS header + data)
//! AMS      0..6 target net id  6..8 target port  8..14 source net id
//!          14..16 source port  16..18 command id  18..20 state flags
//!          20..24 data length  24..28 error code  28..32 invoke id
//! ```

use reefwatch_applayer::bytes::{le16, le32, le64, slice};
use reefwatch_applayer::Anomalies;

/// AMS/TCP header length.
pub const TCP_HDR_LEN: usize = 6;
/// AMS header length.
pub const AMS_HDR_LEN: usize = 32;
/// Largest AMS/TCP length accepted as framing (an ADS read of a whole
/// TwinCAT symbol table stays well below); larger is lost framing.
pub const MAX_AMS_LEN: u32 = 1 << 20;

mod field {
    use core::ops::Range;
    pub const RESERVED: Range<usize> = 0..2;
    pub const LENGTH: Range<usize> = 2..6;
    // AMS header, after the AMS/TCP header
    pub const TARGET_NET_ID: Range<usize> = 6..12;
    pub const TARGET_PORT: usize = 12;
    pub const SOURCE_NET_ID: Range<usize> = 14..20;
    pub const SOURCE_PORT: usize = 20;
    pub const COMMAND: usize = 22;
    pub const STATE_FLAGS: usize = 24;
    pub const DATA_LEN: usize = 26;
    pub const ERROR_CODE: usize = 30;
    pub const INVOKE_ID: usize = 34;
    pub const DATA: usize = 38;
}

/// State flag: the message is a response.
pub const SF_RESPONSE: u16 = 0x0001;
/// State flag: ADS command.
pub const SF_ADS_COMMAND: u16 = 0x0004;
/// State flag: the message came over UDP.
pub const SF_UDP: u16 = 0x0040;
/// Flags a valid AMS message can carry (response, no return, ADS command,
/// system command, high priority, timestamp added, UDP, init command,
/// broadcast).
pub const SF_KNOWN: u16 = 0x80ff;

/// Why a buffer is not (yet) an AMS/TCP frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// `needed` bytes in all are required.
    Truncated(usize),
    /// Reserved bytes not zero, or a length outside 32..=MAX_AMS_LEN.
    Bad,
}

/// A checked view over one AMS/TCP frame (header, AMS header, data).
#[derive(Debug, Clone, Copy)]
pub struct Frame<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Checks the AMS/TCP header and that the whole frame is in `buf`
    /// (the view covers exactly one frame).
    pub fn new_checked(buf: T) -> Result<Frame<T>, FrameError> {
        let b = buf.as_ref();
        if b.len() < TCP_HDR_LEN {
            return Err(FrameError::Truncated(TCP_HDR_LEN));
        }
        if b[field::RESERVED] != [0, 0] {
            return Err(FrameError::Bad);
        }
        let len = le32(b, field::LENGTH.start).unwrap_or(0);
        if (len as usize) < AMS_HDR_LEN || len > MAX_AMS_LEN {
            return Err(FrameError::Bad);
        }
        let total = TCP_HDR_LEN + len as usize;
        if b.len() < total {
            return Err(FrameError::Truncated(total));
        }
        Ok(Frame { buf })
    }
    fn b(&self) -> &[u8] {
        self.buf.as_ref()
    }
    fn u16_at(&self, off: usize) -> u16 {
        le16(self.b(), off).unwrap_or(0)
    }
    fn u32_at(&self, off: usize) -> u32 {
        le32(self.b(), off).unwrap_or(0)
    }
    /// AMS/TCP length: AMS header + data.
    pub fn length(&self) -> u32 {
        self.u32_at(field::LENGTH.start)
    }
    /// Bytes of the whole frame.
    pub fn total_len(&self) -> usize {
        TCP_HDR_LEN + self.length() as usize
    }
    pub fn target_net_id(&self) -> [u8; 6] {
        net_id(&self.b()[field::TARGET_NET_ID])
    }
    pub fn target_port(&self) -> u16 {
        self.u16_at(field::TARGET_PORT)
    }
    pub fn source_net_id(&self) -> [u8; 6] {
        net_id(&self.b()[field::SOURCE_NET_ID])
    }
    pub fn source_port(&self) -> u16 {
        self.u16_at(field::SOURCE_PORT)
    }
    pub fn command(&self) -> u16 {
        self.u16_at(field::COMMAND)
    }
    pub fn state_flags(&self) -> u16 {
        self.u16_at(field::STATE_FLAGS)
    }
    pub fn is_response(&self) -> bool {
        self.state_flags() & SF_RESPONSE != 0
    }
    /// The AMS header's data length (should equal `length() - 32`).
    pub fn data_len(&self) -> u32 {
        self.u32_at(field::DATA_LEN)
    }
    pub fn error_code(&self) -> u32 {
        self.u32_at(field::ERROR_CODE)
    }
    pub fn invoke_id(&self) -> u32 {
        self.u32_at(field::INVOKE_ID)
    }
    /// The ADS data: what the AMS/TCP length leaves after the AMS header.
    pub fn data(&self) -> &[u8] {
        &self.b()[field::DATA..self.total_len()]
    }
}

fn net_id(b: &[u8]) -> [u8; 6] {
    let mut n = [0u8; 6];
    n.copy_from_slice(&b[..6]);
    n
}

/// ADS command names (command id 0..=9).
pub fn command_name(c: u16) -> &'static str {
    match c {
        0 => "Invalid",
        1 => "ReadDeviceInfo",
        2 => "Read",
        3 => "Write",
        4 => "ReadState",
        5 => "WriteControl",
        6 => "AddDeviceNotification",
        7 => "DeleteDeviceNotification",
        8 => "DeviceNotification",
        9 => "ReadWrite",
        _ => "Unknown",
    }
}

/// ADS state names (`AdsState`).
pub fn ads_state_name(s: u16) -> &'static str {
    match s {
        0 => "Invalid",
        1 => "Idle",
        2 => "Reset",
        3 => "Init",
        4 => "Start",
        5 => "Run",
        6 => "Stop",
        7 => "SaveConfig",
        8 => "LoadConfig",
        9 => "PowerFailure",
        10 => "PowerGood",
        11 => "Error",
        12 => "Shutdown",
        13 => "Suspend",
        14 => "Resume",
        15 => "Config",
        16 => "Reconfig",
        17 => "Stopping",
        18 => "Incompatible",
        19 => "Exception",
        _ => "Unknown",
    }
}

/// What an ADS command body carries (request or response); lengths as the
/// wire states them, data left out (its length is `data_len`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Body {
    pub index_group: Option<u32>,
    pub index_offset: Option<u32>,
    /// Read length (Read, ReadWrite request) or data length (Write,
    /// WriteControl, responses with data).
    pub length: Option<u32>,
    /// ReadWrite request: bytes written.
    pub write_length: Option<u32>,
    /// ADS return code of a response.
    pub result: Option<u32>,
    pub ads_state: Option<u16>,
    pub device_state: Option<u16>,
    /// AddDeviceNotification response / DeleteDeviceNotification request.
    pub handle: Option<u32>,
    /// AddDeviceNotification request: transmission mode, max delay, cycle time.
    pub transmission_mode: Option<u32>,
    pub max_delay: Option<u32>,
    pub cycle_time: Option<u32>,
    /// ReadDeviceInfo response: major, minor, build.
    pub version: Option<(u8, u8, u16)>,
    /// DeviceNotification: stamps and samples in all.
    pub stamps: Option<u32>,
    pub samples: Option<u32>,
    /// DeviceNotification: first stamp's time (Windows FILETIME, 100 ns
    /// since 1601).
    pub timestamp: Option<u64>,
}

/// Most DeviceNotification stamps and samples walked per message.
pub const MAX_STAMPS: usize = 1024;

/// ReadDeviceInfo device name field length.
pub const DEVICE_NAME_LEN: usize = 16;

/// Parses a request body of command `cmd`. Sets anomalies for a body
/// shorter than its layout or whose stated lengths disagree.
pub fn parse_request(cmd: u16, d: &[u8], an: &mut Anomalies) -> Body {
    let mut b = Body::default();
    let need = |n: usize, an: &mut Anomalies| {
        if d.len() < n {
            an.set(A_TRUNCATED);
            false
        } else {
            true
        }
    };
    match cmd {
        2 if need(12, an) => {
            b.index_group = le32(d, 0);
            b.index_offset = le32(d, 4);
            b.length = le32(d, 8);
            if d.len() != 12 {
                an.set(A_LENGTH_MISMATCH);
            }
        }
        3 if need(12, an) => {
            b.index_group = le32(d, 0);
            b.index_offset = le32(d, 4);
            b.length = le32(d, 8);
            if b.length.map(|l| l as usize + 12) != Some(d.len()) {
                an.set(A_LENGTH_MISMATCH);
            }
        }
        5 if need(8, an) => {
            b.ads_state = le16(d, 0);
            b.device_state = le16(d, 2);
            b.length = le32(d, 4);
            if b.length.map(|l| l as usize + 8) != Some(d.len()) {
                an.set(A_LENGTH_MISMATCH);
            }
        }
        6 if need(24, an) => {
            b.index_group = le32(d, 0);
            b.index_offset = le32(d, 4);
            b.length = le32(d, 8);
            b.transmission_mode = le32(d, 12);
            b.max_delay = le32(d, 16);
            b.cycle_time = le32(d, 20);
        }
        7 if need(4, an) => b.handle = le32(d, 0),
        8 if need(8, an) => notification(d, &mut b, an),
        9 if need(16, an) => {
            b.index_group = le32(d, 0);
            b.index_offset = le32(d, 4);
            b.length = le32(d, 8);
            b.write_length = le32(d, 12);
            if b.write_length.map(|l| l as usize + 16) != Some(d.len()) {
                an.set(A_LENGTH_MISMATCH);
            }
        }
        1 | 4 if !d.is_empty() => an.set(A_LENGTH_MISMATCH),
        _ => {}
    }
    b
}

/// Walks a DeviceNotification: length, stamps, then per stamp a timestamp
/// and samples (handle, size, data), bounded by [`MAX_STAMPS`].
fn notification(d: &[u8], b: &mut Body, an: &mut Anomalies) {
    b.length = le32(d, 0);
    let stamps = le32(d, 4).unwrap_or(0);
    b.stamps = Some(stamps);
    if b.length.map(|l| l as usize + 4) != Some(d.len()) {
        an.set(A_LENGTH_MISMATCH);
    }
    let mut off = 8usize;
    let mut samples = 0u32;
    for i in 0..(stamps as usize).min(MAX_STAMPS) {
        let (Some(ts), Some(n)) = (le64(d, off), le32(d, off + 8)) else {
            an.set(A_TRUNCATED);
            break;
        };
        if i == 0 {
            b.timestamp = Some(ts);
        }
        off += 12;
        for _ in 0..(n as usize).min(MAX_STAMPS) {
            let Some(size) = le32(d, off + 4) else {
                an.set(A_TRUNCATED);
                b.samples = Some(samples);
                return;
            };
            off = off.saturating_add(8).saturating_add(size as usize);
            if off > d.len() {
                an.set(A_TRUNCATED);
                b.samples = Some(samples);
                return;
            }
            samples += 1;
        }
    }
    b.samples = Some(samples);
}

/// Parses a response body of command `cmd`; `name` receives the
/// ReadDeviceInfo device name (NUL-padded, 16 bytes).
pub fn parse_response<'a>(cmd: u16, d: &'a [u8], an: &mut Anomalies) -> (Body, Option<&'a [u8]>) {
    let mut b = Body::default();
    let mut name = None;
    if cmd == 0 || cmd > 9 || cmd == 8 {
        return (b, None);
    }
    if d.len() < 4 {
        an.set(A_TRUNCATED);
        return (b, None);
    }
    b.result = le32(d, 0);
    let ok = b.result == Some(0);
    match cmd {
        1 if ok || d.len() > 4 => {
            if d.len() < 8 + DEVICE_NAME_LEN {
                an.set(A_TRUNCATED);
            } else {
                b.version = Some((d[4], d[5], le16(d, 6).unwrap_or(0)));
                name = slice(d, 8, DEVICE_NAME_LEN);
            }
        }
        2 | 9 if ok || d.len() > 4 => {
            b.length = le32(d, 4);
            match b.length {
                Some(l) if l as usize + 8 == d.len() => {}
                Some(_) => an.set(A_LENGTH_MISMATCH),
                None => an.set(A_TRUNCATED),
            }
        }
        4 if ok || d.len() > 4 => {
            b.ads_state = le16(d, 4);
            b.device_state = le16(d, 6);
            if b.device_state.is_none() {
                an.set(A_TRUNCATED);
            }
        }
        6 if ok || d.len() > 4 => {
            b.handle = le32(d, 4);
            if b.handle.is_none() {
                an.set(A_TRUNCATED);
            }
        }
        _ => {}
    }
    (b, name)
}

/// UDP discovery / route service (port 48899): the cookie every datagram
/// starts with, as it is on the wire.
pub const UDP_COOKIE: [u8; 4] = [0x03, 0x66, 0x14, 0x71];
/// UDP header: cookie, invoke id, service, AMS net id, AMS port, tag count.
pub const UDP_HDR_LEN: usize = 24;
/// UDP service bit marking a response.
pub const UDP_RESPONSE: u32 = 0x8000_0000;
/// Most tags walked per datagram.
pub const MAX_UDP_TAGS: usize = 32;

/// UDP service names (service id without the response bit).
pub fn udp_service_name(s: u32) -> &'static str {
    match s & !UDP_RESPONSE {
        1 => "Discovery",
        6 => "AddRoute",
        7 => "DeleteRoute",
        _ => "Unknown",
    }
}

/// One tag of a UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag<'a> {
    pub id: u16,
    pub value: &'a [u8],
}

/// A UDP discovery/route datagram.
#[derive(Debug, Clone, Copy)]
pub struct UdpMsg<'a> {
    pub invoke_id: u32,
    pub service: u32,
    pub net_id: [u8; 6],
    pub port: u16,
    pub tag_count: u32,
    tags: &'a [u8],
}

impl<'a> UdpMsg<'a> {
    /// `None` when the datagram does not start with the cookie or is
    /// shorter than its header.
    pub fn parse(d: &'a [u8]) -> Option<UdpMsg<'a>> {
        if d.len() < UDP_HDR_LEN || d[..4] != UDP_COOKIE {
            return None;
        }
        Some(UdpMsg {
            invoke_id: le32(d, 4)?,
            service: le32(d, 8)?,
            net_id: net_id(&d[12..18]),
            port: le16(d, 18)?,
            tag_count: le32(d, 20)?,
            tags: &d[UDP_HDR_LEN..],
        })
    }
    pub fn is_response(&self) -> bool {
        self.service & UDP_RESPONSE != 0
    }
    /// The tags (id u16, length u16, value), at most [`MAX_UDP_TAGS`] and
    /// at most `tag_count` (the iterator's `truncated` tells whether one
    /// ran past the datagram).
    pub fn tags(&self) -> TagIter<'a> {
        TagIter {
            rest: self.tags,
            left: (self.tag_count as usize).min(MAX_UDP_TAGS),
            truncated: false,
        }
    }
}

/// Iterator over the tags of a UDP datagram.
#[derive(Debug, Clone)]
pub struct TagIter<'a> {
    rest: &'a [u8],
    left: usize,
    /// a tag ran past the datagram
    pub truncated: bool,
}

impl<'a> Iterator for TagIter<'a> {
    type Item = Tag<'a>;
    fn next(&mut self) -> Option<Tag<'a>> {
        if self.left == 0 || self.rest.is_empty() {
            return None;
        }
        self.left -= 1;
        let (Some(id), Some(len)) = (le16(self.rest, 0), le16(self.rest, 2)) else {
            self.truncated = true;
            self.rest = &[];
            return None;
        };
        let Some(value) = slice(self.rest, 4, len as usize) else {
            self.truncated = true;
            self.rest = &[];
            return None;
        };
        self.rest = &self.rest[4 + len as usize..];
        Some(Tag { id, value })
    }
}

/// Tag ids of the UDP service.
pub mod tag {
    pub const STATUS: u16 = 1;
    pub const PASSWORD: u16 = 2;
    pub const TC_VERSION: u16 = 3;
    pub const OS_VERSION: u16 = 4;
    pub const HOST_NAME: u16 = 5;
    pub const NET_ID: u16 = 7;
    pub const ROUTE_NAME: u16 = 12;
    pub const USER_NAME: u16 = 13;
}

pub const A_TRUNCATED: u32 = 0;
pub const A_LENGTH_MISMATCH: u32 = 1;
pub const A_UNKNOWN_COMMAND: u32 = 2;
pub const A_UNSOLICITED_RESPONSE: u32 = 3;
pub const A_UNANSWERED: u32 = 4;
pub const A_TOO_MANY_TXS: u32 = 5;
pub const A_ERROR_CODE: u32 = 6;
pub const A_COMMAND_MISMATCH: u32 = 7;
pub const A_CLEARTEXT_PASSWORD: u32 = 8;
pub const A_UNKNOWN_FLAGS: u32 = 9;

/// Anomaly names, bit `i` = `ANOMALY_NAMES[i]`.
pub const ANOMALY_NAMES: &[&str] = &[
    "ads.truncated",
    "ads.length_mismatch",
    "ads.unknown_command",
    "ads.unsolicited_response",
    "ads.unanswered",
    "ads.too_many_transactions",
    "ads.error_code",
    "ads.command_mismatch",
    "ads.cleartext_password",
    "ads.unknown_state_flags",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// ITI beckoff/beckoffiplinktc.pcapng frame 11 (49201 -> 48898): ADS
    /// Read request, invoke id 0xe3.
    pub const READ_REQ: [u8; 50] = [
        0x00, 0x00, // AMS/TCP reserved
        0x2c, 0x00, 0x00, 0x00, // length 44 = 32 + 12
        0x05, 0x0d, 0x75, 0x60, 0x01, 0x01, // target net id 5.13.117.96.1.1
        0x01, 0x00, // target port 1
        0xc0, 0xa8, 0x01, 0x63, 0x01, 0x01, // source 192.168.1.99.1.1
        0x0f, 0x80, // source port 32783
        0x02, 0x00, // command 2 = Read
        0x04, 0x00, // state flags: ADS command
        0x0c, 0x00, 0x00, 0x00, // data length 12
        0x00, 0x00, 0x00, 0x00, // error code
        0xe3, 0x00, 0x00, 0x00, // invoke id
        0x03, 0x00, 0x00, 0x00, // index group 3
        0x02, 0x00, 0x00, 0x00, // index offset 2
        0x04, 0x00, 0x00, 0x00, // length 4
    ];

    #[test]
    fn read_request_view() {
        let f = Frame::new_checked(&READ_REQ[..]).unwrap();
        assert_eq!(f.total_len(), 50);
        assert_eq!(f.target_net_id(), [5, 13, 117, 96, 1, 1]);
        assert_eq!(f.target_port(), 1);
        assert_eq!(f.source_port(), 32783);
        assert_eq!(f.command(), 2);
        assert!(!f.is_response());
        assert_eq!(f.data_len(), 12);
        assert_eq!(f.invoke_id(), 0xe3);
        let mut an = Anomalies::default();
        let b = parse_request(2, f.data(), &mut an);
        assert_eq!(b.index_group, Some(3));
        assert_eq!(b.index_offset, Some(2));
        assert_eq!(b.length, Some(4));
        assert!(an.is_empty());
    }

    #[test]
    fn truncated_and_bad_headers() {
        assert_eq!(
            Frame::new_checked(&READ_REQ[..20]).unwrap_err(),
            FrameError::Truncated(50)
        );
        assert_eq!(
            Frame::new_checked(&READ_REQ[..3]).unwrap_err(),
            FrameError::Truncated(6)
        );
        let mut bad = READ_REQ;
        bad[0] = 1;
        assert_eq!(Frame::new_checked(&bad[..]).unwrap_err(), FrameError::Bad);
        // length 31: shorter than the AMS header
        let short = [0u8, 0, 31, 0, 0, 0];
        assert_eq!(Frame::new_checked(&short[..]).unwrap_err(), FrameError::Bad);
    }

    #[test]
    fn device_info_response() {
        // result 0, version 2.11 build 2228, name "TCatPlcCtrl" NUL-padded
        let mut d = vec![0, 0, 0, 0, 2, 11, 0xb4, 0x08];
        let name = *b"TCatPlcCtrl\0\0\0\0\0";
        d.extend_from_slice(&name);
        let mut an = Anomalies::default();
        let (b, n) = parse_response(1, &d, &mut an);
        assert_eq!(b.result, Some(0));
        assert_eq!(b.version, Some((2, 11, 2228)));
        assert_eq!(n, Some(&name[..]));
        assert!(an.is_empty());
        // short name: truncated
        let (b, n) = parse_response(1, &d[..12], &mut an);
        assert_eq!((b.version, n), (None, None));
        assert!(an.has(A_TRUNCATED));
    }

    #[test]
    fn write_control_and_read_state() {
        // WriteControl: ADS state 6 (stop), device state 0, no data
        let wc = [6, 0, 0, 0, 0, 0, 0, 0];
        let mut an = Anomalies::default();
        let b = parse_request(5, &wc, &mut an);
        assert_eq!(
            (b.ads_state, b.device_state, b.length),
            (Some(6), Some(0), Some(0))
        );
        assert!(an.is_empty());
        // ReadState response: result 0, ADS state 5 (run), device state 2
        let rs = [0, 0, 0, 0, 5, 0, 2, 0];
        let (b, _) = parse_response(4, &rs, &mut an);
        assert_eq!((b.ads_state, b.device_state), (Some(5), Some(2)));
        assert_eq!(ads_state_name(5), "Run");
    }

    #[test]
    fn device_notification_walk() {
        let mut d = vec![];
        d.extend_from_slice(&0u32.to_le_bytes()); // length, fixed below
        d.extend_from_slice(&1u32.to_le_bytes()); // 1 stamp
        d.extend_from_slice(&0x01d2_0000_0000_0000u64.to_le_bytes()); // FILETIME
        d.extend_from_slice(&2u32.to_le_bytes()); // 2 samples
        for h in [7u32, 8] {
            d.extend_from_slice(&h.to_le_bytes()); // handle
            d.extend_from_slice(&2u32.to_le_bytes()); // size 2
            d.extend_from_slice(&[0xaa, 0xbb]);
        }
        let n = (d.len() - 4) as u32;
        d[..4].copy_from_slice(&n.to_le_bytes());
        let mut an = Anomalies::default();
        let b = parse_request(8, &d, &mut an);
        assert_eq!((b.stamps, b.samples), (Some(1), Some(2)));
        assert_eq!(b.timestamp, Some(0x01d2_0000_0000_0000));
        assert!(an.is_empty());
        // cut inside the second sample
        let b = parse_request(8, &d[..d.len() - 1], &mut an);
        assert_eq!(b.samples, Some(1));
        assert!(an.has(A_TRUNCATED) && an.has(A_LENGTH_MISMATCH));
    }

    #[test]
    fn udp_discovery_response() {
        // ITI beckoff/addroute.pcapng frame 128 (48899 -> 48899), first tags
        let d = [
            0x03, 0x66, 0x14, 0x71, // cookie
            0x00, 0x00, 0x00, 0x00, // invoke id
            0x01, 0x00, 0x00, 0x80, // service 1 | response
            0x05, 0x0d, 0x75, 0x60, 0x01, 0x01, // net id
            0x10, 0x27, // port 10000
            0x02, 0x00, 0x00, 0x00, // 2 tags
            0x05, 0x00, 0x0a, 0x00, // tag 5 (host name), 10 bytes
            b'C', b'X', b'_', b'0', b'D', b'7', b'5', b'6', b'0', 0x00, //
            0x03, 0x00, 0x04, 0x00, 0x02, 0x0b, 0xb4, 0x08, // TwinCAT 2.11.2228
        ];
        let m = UdpMsg::parse(&d).unwrap();
        assert!(m.is_response());
        assert_eq!(udp_service_name(m.service), "Discovery");
        assert_eq!(m.port, 10000);
        let tags: Vec<_> = m.tags().collect();
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].id, tag::HOST_NAME);
        assert_eq!(tags[0].value, b"CX_0D7560\0");
        assert_eq!(tags[1].value, [2, 11, 0xb4, 8]);
        // a tag running past the end
        let mut it = UdpMsg::parse(&d[..30]).unwrap().tags();
        assert!(it.next().is_none() && it.truncated);
        assert!(UdpMsg::parse(&d[..23]).is_none());
    }
}
