//! IEC 61850-9-2 Sampled Values (EtherType 0x88BA, VLAN-tagged or not), on
//! the engine's layer-2 path: one stream per (source MAC, APPID), counted,
//! with periodic summaries (not one event per frame).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{L2Parser, L2ProtocolDef};

/// An SV frame: the 8-byte header and a savPdu tag; the stream id is the
/// APPID.
pub fn stream_id(payload: &[u8]) -> Option<u16> {
    let h = crate::goose::parser::Header::new_checked(payload)?;
    (payload.get(crate::goose::parser::Header::LEN) == Some(&parser::TAG_SAV_PDU))
        .then(|| h.appid())
}

fn new_parser() -> Box<dyn L2Parser> {
    Box::new(state::SvState::new())
}

pub const PROTOCOL: L2ProtocolDef = L2ProtocolDef {
    name: "sv",
    ethertypes: &[parser::ETHERTYPE_SV],
    stream_id,
    new_parser,
};
