//! A parsed rule: header, metadata, inspection lists per buffer, and the
//! non-buffer conditions.
use crate::keywords::buffer::{Buffer, Transform};
use crate::keywords::byte::{Base64Decode, ByteExtract, ByteJump, ByteTest, IsDataAt};
use crate::keywords::content::Content;
use crate::keywords::flow::{Flow, Flowbits, Flowint, StreamSize, Tag, Threshold, Xbits};
use crate::keywords::ics::{CipService, Modbus, S7Block};
use crate::keywords::packet::{AppLayerEvent, Asn1, Flags, SslState, SslVersions};
use crate::keywords::pcre::Pcre;
use crate::parse::header::{AppProto, Header};
use crate::parse::value::UintCmp;

/// `reference:<type>,<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    SrcIp,
    DestIp,
}

/// What identifies and describes the rule in alerts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Meta {
    pub sid: u32,
    pub gid: u32,
    pub rev: u32,
    pub msg: String,
    pub classtype: Option<String>,
    /// `priority:` or, when absent, the classtype's priority.
    pub priority: Option<u8>,
    pub references: Vec<Reference>,
    /// `metadata:` as (key, value) pairs in order.
    pub metadata: Vec<(String, String)>,
    pub target: Option<Target>,
}

/// One keyword of an inspection list, in rule order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BufMatch {
    Content(Content),
    Pcre(Pcre),
    ByteTest(ByteTest),
    ByteJump(ByteJump),
    ByteExtract(ByteExtract),
    IsDataAt(IsDataAt),
    /// `bsize`: the buffer's length.
    Bsize(UintCmp),
    Base64Decode(Base64Decode),
    Asn1(Asn1),
}

/// The matches on one buffer (after its transforms), in rule order;
/// relative keywords refer to the previous match of the same list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferList {
    pub buffer: Buffer,
    pub transforms: Vec<Transform>,
    pub matches: Vec<BufMatch>,
}

/// A keyword that is not evaluated on a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Flow(Flow),
    Flowbits(Flowbits),
    Xbits(Xbits),
    Flowint(Flowint),
    StreamSize(StreamSize),
    Dsize(UintCmp),
    Flags(Flags),
    Itype(UintCmp),
    Icode(UintCmp),
    IpProto(UintCmp),
    /// `urilen`; `raw` for the `,raw` form.
    Urilen {
        cmp: UintCmp,
        raw: bool,
    },
    SslState(SslState),
    SslVersion(SslVersions),
    TlsVersion(u16),
    AppLayerEvent(AppLayerEvent),
    Ftpbounce,
    Modbus(Modbus),
    Dnp3Func(u8),
    Dnp3Ind(u16),
    Dnp3Obj {
        group: u8,
        variation: u8,
    },
    EnipCommand(u16),
    CipService(CipService),
    /// `iec104.typeid`
    Iec104TypeId(UintCmp),
    /// `iec104.cot`
    Iec104Cot(UintCmp),
    /// `iec104.ca`
    Iec104Ca(UintCmp),
    /// `iec104.ioa`
    Iec104Ioa(UintCmp),
    /// `iec104.command`
    Iec104Command,
    /// `s7comm.function`
    S7Function(UintCmp),
    /// `s7comm.szl_id`
    S7SzlId(UintCmp),
    /// `s7comm.plc_stop`
    S7PlcStop,
    /// `s7comm.block`: download and/or upload
    S7Block(S7Block),
}

/// A rule as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub header: Header,
    pub meta: Meta,
    pub lists: Vec<BufferList>,
    pub conditions: Vec<Condition>,
    pub threshold: Option<Threshold>,
    pub detection_filter: Option<Threshold>,
    pub tag: Option<Tag>,
    /// `noalert` or `flowbits:noalert`.
    pub noalert: bool,
    /// Names of the `byte_extract` variables (index = `Num::Var`).
    pub byte_vars: Vec<String>,
    /// The application protocol of the header or implied by the keywords.
    pub app_proto: Option<AppProto>,
}

impl Rule {
    pub fn flow(&self) -> Option<&Flow> {
        self.conditions.iter().find_map(|c| match c {
            Condition::Flow(f) => Some(f),
            _ => None,
        })
    }
    /// All contents with their buffer, in rule order per list.
    pub fn contents(&self) -> impl Iterator<Item = (Buffer, &Content)> {
        self.lists.iter().flat_map(|l| {
            l.matches.iter().filter_map(move |m| match m {
                BufMatch::Content(c) => Some((l.buffer, c)),
                _ => None,
            })
        })
    }
}
