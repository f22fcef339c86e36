//! IEC 61850-8-1 GOOSE (EtherType 0x88B8, VLAN-tagged or not), on the
//! engine's layer-2 path: one stream per (source MAC, APPID).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{L2Parser, L2ProtocolDef};

/// A GOOSE frame: the 8-byte header and a goosePdu or gseMngtPdu tag. The
/// stream id is the APPID.
pub fn stream_id(payload: &[u8]) -> Option<u16> {
    let h = parser::Header::new_checked(payload)?;
    match payload.get(parser::Header::LEN)? {
        &parser::TAG_GOOSE_PDU | &parser::TAG_GSE_MNGT_PDU => Some(h.appid()),
        _ => None,
    }
}

fn new_parser() -> Box<dyn L2Parser> {
    Box::new(state::GooseState::new())
}

pub const PROTOCOL: L2ProtocolDef = L2ProtocolDef {
    name: "goose",
    ethertypes: &[parser::ETHERTYPE_GOOSE],
    stream_id,
    new_parser,
};
