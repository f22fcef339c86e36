//! OPC UA binary (UA-TCP + UA Secure Conversation): the 8-byte transport
//! header view, the asymmetric/symmetric security headers, and a bounded
//! little-endian reader for the built-in types (String, NodeId, Variant,
//! DataValue, ExtensionObject, DiagnosticInfo). Every read is checked; a
//! failed read is `None`, never a panic.

use reefwatch_applayer::bytes::{le16, le32, le64, slice};

/// Smallest transport message (HEL/ACK/ERR/... header alone).
pub const HEADER_LEN: usize = 8;
/// Largest message size accepted (bigger: lost framing, resynchronise).
pub const MAX_MESSAGE_SIZE: u32 = 1 << 24;
/// Most chunks one message is reassembled from.
pub const MAX_CHUNKS: u32 = 64;
/// Most bytes of one reassembled message body kept.
pub const MAX_BODY: usize = 1 << 20;
/// Most array elements logged (the rest are counted as omitted).
pub const MAX_ITEMS: usize = 16;
/// Most bytes of a logged string.
pub const MAX_STR: usize = 256;
/// Nesting bound for DiagnosticInfo / Variant-in-Variant.
pub const MAX_DEPTH: u32 = 4;

pub const A_BAD_HEADER: u32 = 0;
pub const A_TRUNCATED: u32 = 1;
pub const A_UNKNOWN_SERVICE: u32 = 2;
pub const A_UNANSWERED: u32 = 3;
pub const A_UNSOLICITED: u32 = 4;
pub const A_TOO_MANY_TXS: u32 = 5;
pub const A_TOO_MANY_CHUNKS: u32 = 6;
pub const A_CHUNK_ABORTED: u32 = 7;
pub const A_SERVICE_MISMATCH: u32 = 8;
pub const A_BAD_VERSION: u32 = 9;
pub const A_TRAILING: u32 = 10;

pub const ANOMALY_NAMES: &[&str] = &[
    "opcua.bad_header",
    "opcua.truncated",
    "opcua.unknown_service",
    "opcua.unanswered",
    "opcua.unsolicited_response",
    "opcua.too_many_transactions",
    "opcua.too_many_chunks",
    "opcua.chunk_aborted",
    "opcua.service_mismatch",
    "opcua.bad_protocol_version",
    "opcua.trailing_data",
];

/// Transport message types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgType {
    Hel,
    Ack,
    Err,
    Rhe,
    Opn,
    Clo,
    Msg,
}

impl MsgType {
    pub fn from_bytes(b: &[u8]) -> Option<MsgType> {
        Some(match b.get(..3)? {
            b"HEL" => MsgType::Hel,
            b"ACK" => MsgType::Ack,
            b"ERR" => MsgType::Err,
            b"RHE" => MsgType::Rhe,
            b"OPN" => MsgType::Opn,
            b"CLO" => MsgType::Clo,
            b"MSG" => MsgType::Msg,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            MsgType::Hel => "HEL",
            MsgType::Ack => "ACK",
            MsgType::Err => "ERR",
            MsgType::Rhe => "RHE",
            MsgType::Opn => "OPN",
            MsgType::Clo => "CLO",
            MsgType::Msg => "MSG",
        }
    }
    /// Whether the message runs over a secure channel (has a channel id).
    pub fn secure(self) -> bool {
        matches!(self, MsgType::Opn | MsgType::Clo | MsgType::Msg)
    }
}

/// A checked view of one transport message: type, chunk type, size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub msg_type: MsgType,
    pub chunk: u8,
    pub size: u32,
}

/// Judge a header: `Err(true)` not OPC UA, `Err(false)` too short.
pub fn header(b: &[u8]) -> Result<Header, bool> {
    if b.len() < HEADER_LEN {
        if b.len() >= 3 && MsgType::from_bytes(b).is_none() {
            return Err(true);
        }
        return Err(false);
    }
    let t = MsgType::from_bytes(b).ok_or(true)?;
    let chunk = b[3];
    let size = le32(b, 4).ok_or(false)?;
    let chunk_ok = if t.secure() {
        matches!(chunk, b'F' | b'C' | b'A')
    } else {
        chunk == b'F'
    };
    let min = match t {
        MsgType::Hel => 32,
        MsgType::Ack => 28,
        MsgType::Err => 16,
        MsgType::Rhe => 16,
        MsgType::Opn => 24,
        MsgType::Clo | MsgType::Msg => 24,
    };
    if !chunk_ok || size < min || size > MAX_MESSAGE_SIZE {
        return Err(true);
    }
    Ok(Header {
        msg_type: t,
        chunk,
        size,
    })
}

/// Bounded little-endian reader over one message body.
#[derive(Clone, Copy, Debug)]
pub struct Rd<'a> {
    pub b: &'a [u8],
    pub pos: usize,
}

impl<'a> Rd<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Rd { b, pos: 0 }
    }
    pub fn rest(&self) -> usize {
        self.b.len().saturating_sub(self.pos)
    }
    pub fn u8(&mut self) -> Option<u8> {
        let v = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }
    pub fn u16(&mut self) -> Option<u16> {
        let v = le16(self.b, self.pos)?;
        self.pos += 2;
        Some(v)
    }
    pub fn u32(&mut self) -> Option<u32> {
        let v = le32(self.b, self.pos)?;
        self.pos += 4;
        Some(v)
    }
    pub fn i32(&mut self) -> Option<i32> {
        self.u32().map(|v| v as i32)
    }
    pub fn u64(&mut self) -> Option<u64> {
        let v = le64(self.b, self.pos)?;
        self.pos += 8;
        Some(v)
    }
    pub fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let v = slice(self.b, self.pos, n)?;
        self.pos += n;
        Some(v)
    }
    /// String / ByteString / XmlElement: i32 length, -1 is null.
    pub fn bytes(&mut self) -> Option<Option<&'a [u8]>> {
        let n = self.i32()?;
        if n < 0 {
            return Some(None);
        }
        self.take(n as usize).map(Some)
    }
    /// An array length (-1 null = 0), bounded by what is left (every
    /// element takes at least one byte).
    pub fn count(&mut self) -> Option<u32> {
        let n = self.i32()?;
        if n < 0 {
            return Some(0);
        }
        if n as usize > self.rest() {
            return None;
        }
        Some(n as u32)
    }
    pub fn string(&mut self) -> Option<Option<String>> {
        Some(self.bytes()?.map(text))
    }
    pub fn node_id(&mut self) -> Option<NodeId> {
        let mask = self.u8()?;
        self.node_id_body(mask & 0x0f)
    }
    fn node_id_body(&mut self, enc: u8) -> Option<NodeId> {
        Some(match enc {
            0 => NodeId::Numeric(0, self.u8()? as u32),
            1 => {
                let ns = self.u8()? as u16;
                NodeId::Numeric(ns, self.u16()? as u32)
            }
            2 => {
                let ns = self.u16()?;
                NodeId::Numeric(ns, self.u32()?)
            }
            3 => {
                let ns = self.u16()?;
                NodeId::String(ns, self.bytes()?.map(text).unwrap_or_default())
            }
            4 => {
                let ns = self.u16()?;
                let g = self.take(16)?;
                let mut a = [0u8; 16];
                a.copy_from_slice(g);
                NodeId::Guid(ns, a)
            }
            5 => {
                let ns = self.u16()?;
                NodeId::Opaque(ns, self.bytes()?.map_or(0, |b| b.len()))
            }
            _ => return None,
        })
    }
    pub fn expanded_node_id(&mut self) -> Option<NodeId> {
        let mask = self.u8()?;
        let id = self.node_id_body(mask & 0x0f)?;
        if mask & 0x80 != 0 {
            self.bytes()?;
        }
        if mask & 0x40 != 0 {
            self.u32()?;
        }
        Some(id)
    }
    pub fn localized_text(&mut self) -> Option<Option<String>> {
        let mask = self.u8()?;
        if mask & 1 != 0 {
            self.bytes()?;
        }
        if mask & 2 != 0 {
            return self.string();
        }
        Some(None)
    }
    pub fn qualified_name(&mut self) -> Option<()> {
        self.u16()?;
        self.bytes()?;
        Some(())
    }
    /// ExtensionObject: its type id and body.
    pub fn extension_object(&mut self) -> Option<(NodeId, Option<&'a [u8]>)> {
        let t = self.node_id()?;
        let enc = self.u8()?;
        let body = match enc {
            0 => None,
            1 | 2 => self.bytes()?,
            _ => return None,
        };
        Some((t, body))
    }
    pub fn diagnostic_info(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mask = self.u8()?;
        for bit in [1u8, 2, 4, 8] {
            if mask & bit != 0 {
                self.u32()?;
            }
        }
        if mask & 0x10 != 0 {
            self.bytes()?;
        }
        if mask & 0x20 != 0 {
            self.u32()?;
        }
        if mask & 0x40 != 0 {
            self.diagnostic_info(depth + 1)?;
        }
        Some(())
    }
    pub fn diagnostic_infos(&mut self) -> Option<()> {
        for _ in 0..self.count()? {
            self.diagnostic_info(0)?;
        }
        Some(())
    }
    /// A Variant: its value (arrays: the first element, with the count).
    pub fn variant(&mut self, depth: u32) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mask = self.u8()?;
        let ty = mask & 0x3f;
        let mut v = if mask & 0x80 != 0 {
            let n = self.count()?;
            let mut first = None;
            for i in 0..n {
                let e = self.scalar(ty, depth)?;
                if i == 0 {
                    first = Some(Box::new(e.data));
                }
            }
            Value {
                ty,
                data: Data::Array(n, first),
            }
        } else {
            self.scalar(ty, depth)?
        };
        if mask & 0x40 != 0 {
            for _ in 0..self.count()? {
                self.u32()?;
            }
        }
        v.ty = ty;
        Some(v)
    }
    fn scalar(&mut self, ty: u8, depth: u32) -> Option<Value> {
        let data = match ty {
            0 => Data::Null,
            1 => Data::Bool(self.u8()? != 0),
            2 => Data::Int(self.u8()? as i8 as i64),
            3 => Data::UInt(self.u8()? as u64),
            4 => Data::Int(self.u16()? as i16 as i64),
            5 => Data::UInt(self.u16()? as u64),
            6 => Data::Int(self.i32()? as i64),
            7 => Data::UInt(self.u32()? as u64),
            8 => Data::Int(self.u64()? as i64),
            9 => Data::UInt(self.u64()?),
            10 => Data::Float(f32::from_bits(self.u32()?) as f64),
            11 => Data::Float(self.f64()?),
            12 => Data::Str(self.string()?.unwrap_or_default()),
            13 => Data::Int(self.u64()? as i64),
            14 => Data::Node(NodeId::Guid(0, {
                let mut a = [0u8; 16];
                a.copy_from_slice(self.take(16)?);
                a
            })),
            15 | 16 => Data::Bytes(self.bytes()?.map_or(0, |b| b.len())),
            17 => Data::Node(self.node_id()?),
            18 => Data::Node(self.expanded_node_id()?),
            19 => Data::UInt(self.u32()? as u64),
            20 => {
                self.u16()?;
                Data::Str(self.string()?.unwrap_or_default())
            }
            21 => Data::Str(self.localized_text()?.unwrap_or_default()),
            22 => {
                let (t, b) = self.extension_object()?;
                Data::Extension(t, b.map_or(0, |b| b.len()))
            }
            23 => {
                let dv = self.data_value(depth + 1)?;
                dv.value.map(|v| v.data).unwrap_or(Data::Null)
            }
            24 => self.variant(depth + 1)?.data,
            25 => {
                self.diagnostic_info(depth + 1)?;
                Data::Null
            }
            _ => return None,
        };
        Some(Value { ty, data })
    }
    pub fn data_value(&mut self, depth: u32) -> Option<DataValue> {
        let mask = self.u8()?;
        let value = if mask & 1 != 0 {
            Some(self.variant(depth)?)
        } else {
            None
        };
        let status = if mask & 2 != 0 {
            Some(self.u32()?)
        } else {
            None
        };
        if mask & 4 != 0 {
            self.u64()?;
        }
        if mask & 0x10 != 0 {
            self.u16()?;
        }
        if mask & 8 != 0 {
            self.u64()?;
        }
        if mask & 0x20 != 0 {
            self.u16()?;
        }
        Some(DataValue { value, status })
    }
}

/// Bytes as text, bounded, lossy.
pub fn text(b: &[u8]) -> String {
    let b = &b[..b.len().min(MAX_STR)];
    String::from_utf8_lossy(b).into_owned()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeId {
    Numeric(u16, u32),
    String(u16, String),
    Guid(u16, [u8; 16]),
    /// opaque (ByteString) id: its length
    Opaque(u16, usize),
}

impl NodeId {
    pub fn numeric(&self) -> Option<u32> {
        match self {
            NodeId::Numeric(0, n) => Some(*n),
            _ => None,
        }
    }
}

impl core::fmt::Display for NodeId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let ns = match self {
            NodeId::Numeric(n, _)
            | NodeId::String(n, _)
            | NodeId::Guid(n, _)
            | NodeId::Opaque(n, _) => *n,
        };
        if ns != 0 {
            write!(f, "ns={ns};")?;
        }
        match self {
            NodeId::Numeric(_, i) => write!(f, "i={i}"),
            NodeId::String(_, s) => write!(f, "s={s}"),
            NodeId::Guid(_, g) => {
                // Data1..3 little-endian, Data4 as bytes
                let d1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
                let d2 = u16::from_le_bytes([g[4], g[5]]);
                let d3 = u16::from_le_bytes([g[6], g[7]]);
                write!(f, "g={d1:08x}-{d2:04x}-{d3:04x}-{:02x}{:02x}-", g[8], g[9])?;
                g[10..].iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
            NodeId::Opaque(_, n) => write!(f, "b=<{n} bytes>"),
        }
    }
}

/// A decoded value with its built-in type id.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub ty: u8,
    pub data: Data,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    /// ByteString / XmlElement: length
    Bytes(usize),
    Node(NodeId),
    /// ExtensionObject: type id, body length
    Extension(NodeId, usize),
    /// array: element count, first element
    Array(u32, Option<Box<Data>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct DataValue {
    pub value: Option<Value>,
    pub status: Option<u32>,
}

/// Name of a built-in type id.
pub fn type_name(t: u8) -> &'static str {
    const N: [&str; 26] = [
        "Null",
        "Boolean",
        "SByte",
        "Byte",
        "Int16",
        "UInt16",
        "Int32",
        "UInt32",
        "Int64",
        "UInt64",
        "Float",
        "Double",
        "String",
        "DateTime",
        "Guid",
        "ByteString",
        "XmlElement",
        "NodeId",
        "ExpandedNodeId",
        "StatusCode",
        "QualifiedName",
        "LocalizedText",
        "ExtensionObject",
        "DataValue",
        "Variant",
        "DiagnosticInfo",
    ];
    N.get(t as usize).copied().unwrap_or("unknown")
}

/// `(request id, response id, name)` of the services (binary encoding ids).
pub const SERVICES: &[(u32, u32, &str)] = &[
    (422, 425, "FindServers"),
    (12208, 12209, "FindServersOnNetwork"),
    (428, 431, "GetEndpoints"),
    (437, 440, "RegisterServer"),
    (446, 449, "OpenSecureChannel"),
    (452, 455, "CloseSecureChannel"),
    (461, 464, "CreateSession"),
    (467, 470, "ActivateSession"),
    (473, 476, "CloseSession"),
    (479, 482, "Cancel"),
    (488, 491, "AddNodes"),
    (494, 497, "AddReferences"),
    (500, 503, "DeleteNodes"),
    (506, 509, "DeleteReferences"),
    (527, 530, "Browse"),
    (533, 536, "BrowseNext"),
    (554, 557, "TranslateBrowsePathsToNodeIds"),
    (560, 563, "RegisterNodes"),
    (566, 569, "UnregisterNodes"),
    (615, 618, "QueryFirst"),
    (621, 624, "QueryNext"),
    (631, 634, "Read"),
    (664, 667, "HistoryRead"),
    (673, 676, "Write"),
    (700, 703, "HistoryUpdate"),
    (712, 715, "Call"),
    (751, 754, "CreateMonitoredItems"),
    (763, 766, "ModifyMonitoredItems"),
    (769, 772, "SetMonitoringMode"),
    (775, 778, "SetTriggering"),
    (781, 784, "DeleteMonitoredItems"),
    (787, 790, "CreateSubscription"),
    (793, 796, "ModifySubscription"),
    (799, 802, "SetPublishingMode"),
    (826, 829, "Publish"),
    (832, 835, "Republish"),
    (841, 844, "TransferSubscriptions"),
    (847, 850, "DeleteSubscriptions"),
];

/// The ServiceFault response type id.
pub const SERVICE_FAULT: u32 = 397;

/// `(name, is_request)` of a service type id.
pub fn service(id: u32) -> Option<(&'static str, bool)> {
    if id == SERVICE_FAULT {
        return Some(("ServiceFault", false));
    }
    SERVICES.iter().find_map(|&(q, r, n)| {
        if q == id {
            Some((n, true))
        } else if r == id {
            Some((n, false))
        } else {
            None
        }
    })
}

/// The request id a response id answers.
pub fn request_of(response: u32) -> Option<u32> {
    SERVICES.iter().find(|s| s.1 == response).map(|s| s.0)
}

/// Name of a few status codes (the rest are written as hex only).
pub fn status_name(s: u32) -> Option<&'static str> {
    Some(match s {
        0 => "Good",
        0x8001_0000 => "BadUnexpectedError",
        0x8002_0000 => "BadInternalError",
        0x8003_0000 => "BadOutOfMemory",
        0x800A_0000 => "BadTimeout",
        0x800B_0000 => "BadServiceUnsupported",
        0x800D_0000 => "BadServerHalted",
        0x8010_0000 => "BadCertificateInvalid",
        0x801F_0000 => "BadIdentityTokenInvalid",
        0x8020_0000 => "BadIdentityTokenRejected",
        0x8021_0000 => "BadSecureChannelIdInvalid",
        0x8022_0000 => "BadInvalidTimestamp",
        0x8024_0000 => "BadNonceInvalid",
        0x8025_0000 => "BadSessionIdInvalid",
        0x8026_0000 => "BadSessionClosed",
        0x8027_0000 => "BadSessionNotActivated",
        0x8028_0000 => "BadSubscriptionIdInvalid",
        0x8033_0000 => "BadNodeIdInvalid",
        0x8034_0000 => "BadNodeIdUnknown",
        0x8035_0000 => "BadAttributeIdInvalid",
        0x803B_0000 => "BadNotWritable",
        0x806D_0000 => "BadTooManyOperations",
        0x8079_0000 => "BadNoSubscription",
        0x807E_0000 => "BadTcpMessageTypeInvalid",
        0x807F_0000 => "BadTcpSecureChannelUnknown",
        0x8080_0000 => "BadTcpMessageTooLarge",
        0x8082_0000 => "BadTcpInternalError",
        0x8083_0000 => "BadTcpEndpointUrlInvalid",
        0x8086_0000 => "BadSecurityChecksFailed",
        0x80AB_0000 => "BadSecurityModeRejected",
        0x80AC_0000 => "BadSecurityPolicyRejected",
        0x80BE_0000 => "BadProtocolVersionUnsupported",
        _ => return None,
    })
}

/// Security policy URI prefix; `#None` is the only one left readable.
pub const POLICY_NONE: &[u8] = b"http://opcfoundation.org/UA/SecurityPolicy#None";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_checks() {
        // "HEL" 'F' size 56 (LE)
        let h = header(b"HELF\x38\x00\x00\x00").unwrap();
        assert_eq!(h.msg_type, MsgType::Hel);
        assert_eq!(h.size, 56);
        // HEL must be a final chunk
        assert_eq!(header(b"HELC\x38\x00\x00\x00"), Err(true));
        // size below the HEL minimum
        assert_eq!(header(b"HELF\x10\x00\x00\x00"), Err(true));
        assert_eq!(header(b"MSGC\x18\x00\x00\x00").unwrap().chunk, b'C');
        assert_eq!(header(b"GET / HT"), Err(true));
        assert_eq!(header(b"MS"), Err(false));
        assert_eq!(header(b"XYZ"), Err(true));
    }

    #[test]
    fn readers_are_bounded() {
        // String length 5 with 2 bytes present
        let mut r = Rd::new(&[5, 0, 0, 0, b'a', b'b']);
        assert_eq!(r.string(), None);
        // null string
        assert_eq!(Rd::new(&[0xff, 0xff, 0xff, 0xff]).string(), Some(None));
        // four-byte NodeId ns=1 i=0x0102
        assert_eq!(
            Rd::new(&[0x01, 0x01, 0x02, 0x01]).node_id(),
            Some(NodeId::Numeric(1, 0x0102))
        );
        // string NodeId ns=2 "ab"
        let n = Rd::new(&[3, 2, 0, 2, 0, 0, 0, b'a', b'b'])
            .node_id()
            .unwrap();
        assert_eq!(n.to_string(), "ns=2;s=ab");
        // array count larger than the rest
        assert_eq!(Rd::new(&[0xff, 0xff, 0xff, 0x7f]).count(), None);
        // Variant Int32 -2, Double array [1.5]
        let v = Rd::new(&[6, 0xfe, 0xff, 0xff, 0xff]).variant(0).unwrap();
        assert_eq!((v.ty, v.data), (6, Data::Int(-2)));
        let mut d = vec![0x8b, 1, 0, 0, 0];
        d.extend_from_slice(&1.5f64.to_le_bytes());
        let v = Rd::new(&d).variant(0).unwrap();
        assert_eq!(v.data, Data::Array(1, Some(Box::new(Data::Float(1.5)))));
        // nested Variant past the depth bound
        let deep = [24u8; 16];
        assert_eq!(Rd::new(&deep).variant(0), None);
    }

    #[test]
    fn services() {
        assert_eq!(service(428), Some(("GetEndpoints", true)));
        assert_eq!(service(431), Some(("GetEndpoints", false)));
        assert_eq!(service(397), Some(("ServiceFault", false)));
        assert_eq!(request_of(634), Some(631));
        assert_eq!(service(1), None);
    }
}
