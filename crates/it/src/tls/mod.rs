//! TLS (SSLv2 hello detection, SSLv3, TLS 1.0–1.3) with JA3/JA3S/JA4 and
//! the server certificate for TLS ≤ 1.2.

pub mod ja;
pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;
pub mod x509;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    let d = i.data;
    if d.len() < parser::RECORD_HEADER_LEN {
        // 0x16 0x03 prefix
        return match d {
            [] | [0x16] | [0x16, 0x03] => ProbeResult::NeedMore,
            [0x16, 0x03, v, ..] if *v <= 4 => ProbeResult::NeedMore,
            [b0, _, 1, ..] if b0 & 0x80 != 0 => ProbeResult::NeedMore,
            [b0, ..] if b0 & 0x80 != 0 && d.len() < 3 => ProbeResult::NeedMore,
            _ => ProbeResult::NoMatch,
        };
    }
    if let Some(h) = parser::RecordHeader::parse(d) {
        if h.content_type == parser::CT_HANDSHAKE && h.plausible() {
            // first handshake message must be a hello
            return match d.get(5) {
                None => ProbeResult::NeedMore,
                Some(&t) if t == parser::HS_CLIENT_HELLO || t == parser::HS_SERVER_HELLO => {
                    ProbeResult::Match
                }
                Some(_) => ProbeResult::NoMatch,
            };
        }
    }
    // SSLv2-compatible ClientHello
    if d[0] & 0x80 != 0 && d[2] == 1 && d[3] == 3
        || (d[0] & 0x80 != 0 && d[2] == 1 && d[3] == 0 && d[4] == 2)
    {
        return ProbeResult::Match;
    }
    ProbeResult::NoMatch
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::TlsState::new())
}

pub const TLS: ProtocolDef = ProtocolDef {
    name: "tls",
    transports: &[Transport::Tcp],
    ports: &[443, 465, 636, 853, 993, 995, 8443, 4443],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests;
