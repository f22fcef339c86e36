//! EtherNet/IP (encapsulation + CIP) over TCP or UDP (port 44818 as a hint
//! only).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe: a known encapsulation command, a defined status, options
/// 0, a length that fits the command (0 for List* requests, 4 for
/// RegisterSession with protocol version 1 and flags 0, ≥ 8 for
/// SendRRData/SendUnitData) and, when the whole header is there, a length
/// consistent with the bytes seen (UDP: equal). Over TCP a List* request
/// (a header of zeros bar the command and the sender context, which any
/// 24 bytes of zeros resemble) proves little: it needs a second message
/// behind it in the same direction; the answer, with its items, confirms
/// the other direction.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    probe_at(input, input.data, 0)
}

fn probe_at(input: &ProbeInput<'_>, d: &[u8], depth: u8) -> ProbeResult {
    if d.len() < 2 {
        return ProbeResult::NeedMore;
    }
    let cmd = u16::from_le_bytes([d[0], d[1]]);
    // An unknown command only on the registered port, with a whole
    // plausible header (vendors use reserved commands, e.g. 0x0001).
    let hinted = input.server_port == 44818
        && d.len() >= parser::HEADER_LEN
        && d[20..24] == [0, 0, 0, 0]
        && parser::HEADER_LEN + u16::from_le_bytes([d[2], d[3]]) as usize == d.len();
    if (!parser::is_known_command(cmd) || cmd == 0) && !hinted {
        return ProbeResult::NoMatch;
    }
    if d.len() < parser::HEADER_LEN {
        return ProbeResult::NeedMore;
    }
    let len = u16::from_le_bytes([d[2], d[3]]) as usize;
    let status = u32::from_le_bytes([d[8], d[9], d[10], d[11]]);
    let options = u32::from_le_bytes([d[20], d[21], d[22], d[23]]);
    if options != 0 || !matches!(status, 0..=3 | 0x64 | 0x65 | 0x69) {
        return ProbeResult::NoMatch;
    }
    let total = parser::HEADER_LEN + len;
    let ok = match cmd {
        // RegisterSession: protocol version 1, option flags 0
        0x65 => len == 4 && d.get(24..28).is_none_or(|v| v == [1, 0, 0, 0]),
        0x66 => len == 0,
        0x6f | 0x70 => len >= 8,
        0x63 | 0x04 | 0x64 => true,
        _ => true,
    };
    if !ok {
        return ProbeResult::NoMatch;
    }
    if input.transport == Transport::Udp {
        return if d.len() == total {
            ProbeResult::Match
        } else {
            ProbeResult::NoMatch
        };
    }
    if matches!(cmd, 0x63 | 0x04 | 0x64) && len == 0 {
        // a List* request: confirm with the next message
        if d.len() <= total || depth >= 4 {
            return ProbeResult::NeedMore;
        }
        return probe_at(input, &d[total..], depth + 1);
    }
    ProbeResult::Match
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::EnipState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "enip",
    transports: &[Transport::Tcp, Transport::Udp],
    ports: &[44818],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::Direction;

    #[test]
    fn probe_by_content() {
        let pi = |d, t| ProbeInput {
            data: d,
            dir: Direction::ToServer,
            transport: t,
            client_port: 1,
            server_port: 2000,
        };
        let mut reg = vec![0x65, 0, 4, 0];
        reg.extend_from_slice(&[0; 20]);
        reg.extend_from_slice(&[1, 0, 0, 0]);
        assert_eq!(probe(&pi(&reg, Transport::Tcp)), ProbeResult::Match);
        assert_eq!(
            probe(&pi(&reg[..10], Transport::Tcp)),
            ProbeResult::NeedMore
        );
        let mut li = vec![0x63, 0, 0, 0];
        li.extend_from_slice(&[0; 20]);
        assert_eq!(probe(&pi(&li, Transport::Udp)), ProbeResult::Match);
        assert_eq!(
            probe(&pi(b"GET / HTTP/1.1\r\n\r\nxxxxxxxxxx", Transport::Tcp)),
            ProbeResult::NoMatch
        );
        let mut bad = reg.clone();
        bad[20] = 1;
        assert_eq!(probe(&pi(&bad, Transport::Tcp)), ProbeResult::NoMatch);
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn mapi_list_identity_lookalike_needs_confirmation() {
        fn pi(d: &[u8]) -> ProbeInput<'_> {
            ProbeInput {
                data: d,
                dir: Direction::ToServer,
                transport: Transport::Tcp,
                client_port: 46348,
                server_port: 1076,
            }
        }
        // zeek dce-rpc/mapi.pcap frame 66 (46348 -> 1076, testdata/probes
        // NOTICE): 24 bytes of a MAPI/DCE-RPC exchange that read as an
        // EtherNet/IP ListIdentity request (command 0x63, length 0, status
        // 0, sender context 00 00 00 00 00 00 2c 0e, options 0)
        let li = hex("6300000000000000000000000000000000002c0e00000000");
        assert_eq!(probe(&pi(&li)), ProbeResult::NeedMore);
        // frame 67, the next bytes of that direction: no encapsulation
        // header (command 0x0e2a)
        let next = hex("2a0e1e0018024c0f0300001000100b0d0003000000000004000000");
        assert_eq!(
            probe(&pi(&[li.clone(), next].concat())),
            ProbeResult::NoMatch
        );
        // a ListIdentity followed by a RegisterSession does match
        let mut reg = vec![0x65, 0, 4, 0];
        reg.extend_from_slice(&[0; 20]);
        reg.extend_from_slice(&[1, 0, 0, 0]);
        assert_eq!(probe(&pi(&[li, reg.clone()].concat())), ProbeResult::Match);
        // RegisterSession with protocol version 2: no
        reg[24] = 2;
        assert_eq!(probe(&pi(&reg)), ProbeResult::NoMatch);
        // an undefined status: no
        let mut st = vec![0x6f, 0, 8, 0, 1, 0, 0, 0, 0x10, 0, 0, 0];
        st.extend_from_slice(&[0; 20]);
        assert_eq!(probe(&pi(&st)), ProbeResult::NoMatch);
    }
}
