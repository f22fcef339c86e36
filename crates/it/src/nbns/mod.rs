//! NetBIOS name service (RFC 1002) over UDP 137. Suricata has no EVE event
//! for it, so this parser only decodes the first-level-encoded names and
//! exposes them as the `nbns.name` sticky buffer (and `nbns.name_suffix`,
//! the 16th byte: 0x00 workstation, 0x20 file server, 0x1c domain
//! controllers …), feeding detection and the asset inventory.

use crate::dns::parser::{read_name, NameBuf, Packet};
use crate::util::StackBuf;
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{
    AppParser, Direction, EventSink, ParseResult, ProbeInput, ProbeResult, ProtocolDef, Transport,
};

/// Decode a first-level-encoded NetBIOS name (32 chars 'A'..'P') into the
/// 15-character name (trailing spaces trimmed) and the suffix byte.
pub fn decode_name(enc: &[u8]) -> Option<(StackBuf<16>, u8)> {
    let label = enc.split(|&c| c == b'.').next()?;
    if label.len() != 32 || !label.iter().all(|c| (b'A'..=b'P').contains(c)) {
        return None;
    }
    let mut out = StackBuf::<16>::new();
    let mut raw = [0u8; 16];
    for (i, pair) in label.chunks_exact(2).enumerate() {
        raw[i] = ((pair[0] - b'A') << 4) | (pair[1] - b'A');
    }
    let name = &raw[..15];
    let end = name.iter().rposition(|&c| c != b' ').map_or(0, |p| p + 1);
    out.extend(&name[..end]);
    Some((out, raw[15]))
}

#[derive(Default)]
struct NbnsState;

impl AppParser for NbnsState {
    fn parse(&mut self, _dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let Ok(p) = Packet::new_checked(data) else {
            out.anomaly("nbns.malformed_data");
            return ParseResult::Done;
        };
        let mut n = NameBuf::new();
        for q in p.questions() {
            read_name(data, q.name_off, &mut n);
            if let Some((name, suffix)) = decode_name(n.as_bytes()) {
                out.buffer(BufferId::NbnsName, name.as_bytes());
                out.buffer(BufferId::NbnsNameSuffix, &[suffix]);
            } else {
                out.anomaly("nbns.invalid_name");
            }
        }
        if let Some(end) = p.questions_end() {
            for r in p.records(end) {
                read_name(data, r.name_off, &mut n);
                if let Some((name, suffix)) = decode_name(n.as_bytes()) {
                    out.buffer(BufferId::NbnsName, name.as_bytes());
                    out.buffer(BufferId::NbnsNameSuffix, &[suffix]);
                }
            }
        }
        ParseResult::Done
    }
}

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    let Ok(p) = Packet::new_checked(i.data) else {
        return ProbeResult::NoMatch;
    };
    let mut n = NameBuf::new();
    let name_off = if p.qdcount() > 0 {
        p.questions().next().map(|q| q.name_off)
    } else {
        p.questions_end()
            .and_then(|e| p.records(e).next())
            .map(|r| r.name_off)
    };
    match name_off {
        Some(off) if read_name(i.data, off, &mut n) == 0 && decode_name(n.as_bytes()).is_some() => {
            ProbeResult::Match
        }
        _ => ProbeResult::NoMatch,
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(NbnsState)
}

pub const NBNS: ProtocolDef = ProtocolDef {
    name: "nbns",
    transports: &[Transport::Udp],
    ports: &[137],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::TestSink;

    #[test]
    fn name_query() {
        // query for "WORKGROUP<1d>"
        let mut m = vec![0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 32];
        let mut raw = *b"WORKGROUP      \x1d";
        raw[15] = 0x1d;
        for b in raw {
            m.push(b'A' + (b >> 4));
            m.push(b'A' + (b & 15));
        }
        m.extend_from_slice(&[0, 0, 0x20, 0, 1]);
        let i = ProbeInput {
            data: &m,
            dir: Direction::ToServer,
            transport: Transport::Udp,
            client_port: 137,
            server_port: 137,
        };
        assert_eq!(probe(&i), ProbeResult::Match);
        let mut p = new_parser();
        let mut sink = TestSink::default();
        p.parse(Direction::ToServer, &m, &mut sink);
        assert_eq!(sink.buffers[0], (BufferId::NbnsName, b"WORKGROUP".to_vec()));
        assert_eq!(sink.buffers[1], (BufferId::NbnsNameSuffix, vec![0x1d]));
        assert!(decode_name(b"ZZ").is_none());
    }
}
