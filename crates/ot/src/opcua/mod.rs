//! OPC UA binary over TCP (UA-TCP + UA Secure Conversation, port 4840 as a
//! hint only): HEL/ACK/ERR/RHE, OpenSecureChannel (policy URI, mode),
//! CloseSecureChannel, MSG with chunking; on None-mode channels the
//! services and their main parameters (GetEndpoints, CreateSession,
//! ActivateSession with the identity token type, Browse, Read, Write, Call,
//! CreateSubscription, Publish); on Sign/SignAndEncrypt channels the
//! secure-channel facts only.

pub mod logger;
pub mod parser;
pub mod services;
pub mod state;
pub mod tx;

use parser::{header, MsgType, HEADER_LEN};
use reefwatch_applayer::bytes::le32;
use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Policy URIs all start with this.
const POLICY_PREFIX: &[u8] = b"http://opcfoundation.org/UA/SecurityPolicy#";

/// Whether a whole message's fields agree with its type and size.
fn consistent(h: &parser::Header, m: &[u8]) -> bool {
    let size = h.size as usize;
    // a String (i32 length, -1 null) at `off` ending at `end`
    let str_at = |off: usize| -> Option<usize> {
        let n = le32(m, off)? as i32;
        Some(off + 4 + n.max(0) as usize)
    };
    match h.msg_type {
        // version 0, then the endpoint URL fills the message
        MsgType::Hel => le32(m, 8) == Some(0) && str_at(28) == Some(size),
        MsgType::Ack => le32(m, 8) == Some(0) && size == 28,
        MsgType::Err => str_at(12) == Some(size),
        MsgType::Rhe => str_at(8).and_then(str_at) == Some(size),
        MsgType::Opn => {
            let n = le32(m, 12).unwrap_or(0) as usize;
            n >= POLICY_PREFIX.len()
                && m.get(16..16 + POLICY_PREFIX.len()) == Some(POLICY_PREFIX)
                && 16 + n <= size
        }
        MsgType::Clo | MsgType::Msg => true,
    }
}

/// Content probe: the segment must be a run of UA-TCP messages — type
/// HEL/ACK/ERR/RHE/OPN/CLO/MSG, chunk type F (C/A too on secure-channel
/// messages), a size within bounds — each ending where the next begins
/// (the last may still be arriving). The first message, once whole, must
/// agree with its type: HEL/ACK version 0, the HEL endpoint URL or the
/// ERR reason ending the message, an OPN with a security policy URI. A
/// MSG/CLO proves less: the segment must then end on a message or hold
/// two whole ones.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    if input.transport != Transport::Tcp {
        return ProbeResult::NoMatch;
    }
    let d = input.data;
    let mut off = 0usize;
    let mut whole = 0usize;
    let mut weak = false;
    for _ in 0..16 {
        let rest = &d[off..];
        if rest.is_empty() {
            break;
        }
        let h = match header(rest) {
            Ok(h) => h,
            Err(true) => return ProbeResult::NoMatch,
            Err(false) => break,
        };
        let n = h.size as usize;
        if rest.len() < n {
            break;
        }
        if whole == 0 {
            if !consistent(&h, &rest[..n]) {
                return ProbeResult::NoMatch;
            }
            weak = matches!(h.msg_type, MsgType::Clo | MsgType::Msg);
            if !weak {
                return ProbeResult::Match;
            }
        }
        whole += 1;
        off += n;
    }
    if whole >= 2 || (whole == 1 && weak && off == d.len() && off >= HEADER_LEN) {
        ProbeResult::Match
    } else {
        ProbeResult::NeedMore
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::OpcuaState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "opcua",
    transports: &[Transport::Tcp],
    ports: &[4840],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests;
