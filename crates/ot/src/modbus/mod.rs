//! Modbus/TCP (MBAP over TCP, port 502 as a hint only).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe. The segment (or what the probe buffered of this
/// direction) must be a run of MBAP frames: protocol id 0, length
/// 2..=254, each frame ending where the next begins (the last may still be
/// arriving). The first frame's unit must be a station address (0..=247
/// or 255) and its PDU must fit the function's request or response
/// layout (either: captures start mid-flow and roles can look reversed),
/// length and byte count agreeing. A function without a fixed layout
/// (user-defined, reserved or scanned codes) proves little: the segment
/// must then be exactly whole frames, or hold a second whole frame, before
/// the probe commits (a frame still arriving: ask for more).
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    let mut off = 0usize;
    let mut whole = 0usize;
    let mut first: Option<Fit> = None;
    for _ in 0..64 {
        let rest = &d[off..];
        if rest.is_empty() {
            break;
        }
        // judge what header bytes there are
        if rest.len() >= 4 && (rest[2] != 0 || rest[3] != 0) {
            return ProbeResult::NoMatch;
        }
        if rest.len() < 6 {
            break;
        }
        let len = u16::from_be_bytes([rest[4], rest[5]]);
        if !(2..=parser::MAX_LEN).contains(&len) {
            return ProbeResult::NoMatch;
        }
        let end = 6 + len as usize;
        if first.is_none() {
            if rest.len() < 8 {
                break;
            }
            let unit = rest[6];
            if unit > 247 && unit != 255 {
                return ProbeResult::NoMatch;
            }
            let f = fit(rest[7], len as usize, &rest[8..end.min(rest.len())]);
            if f == Fit::No {
                return ProbeResult::NoMatch;
            }
            if f == Fit::Yes && rest.len() >= end {
                return ProbeResult::Match;
            }
            first = Some(f);
        }
        if rest.len() < end {
            break;
        }
        whole += 1;
        off += end;
    }
    match first {
        // whole frames only, ending with the segment, or a second one
        Some(Fit::Weak) if whole >= 2 || (whole == 1 && off == d.len()) => ProbeResult::Match,
        _ => ProbeResult::NeedMore,
    }
}

/// How a frame's PDU fits its function code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// not Modbus
    No,
    /// fits a fixed request or response layout (or too little is there
    /// yet to tell)
    Yes,
    /// a function without a fixed layout
    Weak,
}

/// Whether a PDU of function `fc`, MBAP length `len` (unit + PDU) and
/// data `b` (after the function code, as far as buffered) fits the
/// function's request or response layout.
fn fit(fc: u8, len: usize, b: &[u8]) -> Fit {
    let yes = |ok: bool| if ok { Fit::Yes } else { Fit::No };
    // the byte at `i` of the data plus `k`, as a length
    let bc = |i: usize, k: usize| b.get(i).map(|&x| x as usize + k);
    if fc & 0x80 != 0 {
        // exception response: one exception code (some servers add a
        // padding byte: ITI modbus_test_data_part1.pcap, 502 -> 4446)
        let ok = (len == 3 || len == 4) && b.first().is_none_or(|&e| matches!(e, 1..=8 | 10 | 11));
        return match (ok, parser::is_known_function(fc & 0x7f)) {
            (false, _) => Fit::No,
            (true, true) => Fit::Yes,
            // "illegal function" to a function scan
            (true, false) => Fit::Weak,
        };
    }
    let resp_bytes = bc(0, 3);
    match fc {
        1..=4 => {
            let even = fc <= 2 || b.first().is_none_or(|&x| x % 2 == 0);
            yes(len == 6 || (resp_bytes.is_none_or(|n| n == len) && even && len > 3))
        }
        5 | 6 => yes(len == 6),
        7 => yes(len == 2 || len == 3),
        11 => yes(len == 2 || len == 6),
        12 | 17 => yes(len == 2 || resp_bytes.is_none_or(|n| n == len && len > 3)),
        15 | 16 => yes(len == 6 || bc(4, 7).is_none_or(|n| n == len)),
        20 | 21 => yes(resp_bytes.is_none_or(|n| n == len)),
        22 => yes(len == 8),
        23 => yes(bc(8, 11).is_none_or(|n| n == len) || resp_bytes.is_none_or(|n| n == len)),
        24 => {
            let resp = b
                .get(..2)
                .map(|x| u16::from_be_bytes([x[0], x[1]]) as usize + 4);
            yes(len == 4 || resp.is_none_or(|n| n == len))
        }
        8 | 43 => yes(len >= 4),
        // user-defined, reserved or invalid codes (a function scan sends 0)
        _ => Fit::Weak,
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::ModbusState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "modbus",
    transports: &[Transport::Tcp],
    ports: &[502],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::Direction;

    fn pi(data: &[u8], dir: Direction) -> ProbeInput<'_> {
        ProbeInput {
            data,
            dir,
            transport: Transport::Tcp,
            client_port: 40000,
            server_port: 5020,
        }
    }

    #[test]
    fn probe_short_read_request_does_not_panic() {
        // found by the ot_modbus fuzz target: an 8-byte segment holding
        // only MBAP + function 3 with a length other than 6 made the
        // response-layout check read byte 8. Length 5 with function 3 is
        // the start of a one-register read response: wait for it.
        let seg = [0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x01, 0x03];
        assert_eq!(probe(&pi(&seg, Direction::ToServer)), ProbeResult::NeedMore);
        // with its byte count, it must agree with the length
        let bad = [0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x01, 0x03, 0x04];
        assert_eq!(probe(&pi(&bad, Direction::ToServer)), ProbeResult::NoMatch);
    }

    #[test]
    fn probe_by_content() {
        let req = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10];
        assert_eq!(probe(&pi(&req, Direction::ToServer)), ProbeResult::Match);
        assert_eq!(
            probe(&pi(&req[..5], Direction::ToServer)),
            ProbeResult::NeedMore
        );
        assert_eq!(
            probe(&pi(b"GET / HTTP/1.1\r\n", Direction::ToServer)),
            ProbeResult::NoMatch
        );
        // TLS client hello
        let tls = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc];
        assert_eq!(probe(&pi(&tls, Direction::ToServer)), ProbeResult::NoMatch);
        // read request with wrong length
        let bad = [0, 1, 0, 0, 0, 7, 1, 3, 0, 0, 0, 10, 0];
        assert_eq!(probe(&pi(&bad, Direction::ToServer)), ProbeResult::NoMatch);
    }
    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn ldap_with_long_form_lengths_is_not_modbus() {
        // zeek ldap/simpleauth.pcap frame 5 (3268 -> 25936, testdata/probes
        // NOTICE): BindResponse with 4-byte BER lengths, 30 84 00 00 00 10
        // 02 01 01 61 ... Read as MBAP: protocol id 0, length 16 = the
        // rest of the segment exactly, unit 2, function 1, byte count 1
        // (message id): 1 + 3 != 16, and 16 is no request length.
        let bind = hex("3084000000100201016184000000070a010004000400");
        for dir in [Direction::ToClient, Direction::ToServer] {
            assert_eq!(probe(&pi(&bind, dir)), ProbeResult::NoMatch);
        }
        // aduser1.pcap frame 47 (389 -> 54544): message id 4 bytes, so
        // function 4, byte count 0x55 against length 43
        let resp = hex(concat!(
            "30840000002b020455d69f6161840000001f0a0100040004008716a11430",
            "12a0030a0100a10b06092a864882f712010202"
        ));
        assert_eq!(probe(&pi(&resp, Direction::ToClient)), ProbeResult::NoMatch);
    }

    #[test]
    fn melsec_and_hart_ip_are_not_modbus() {
        // ITI MELSEC/melsoft_129_clean.pcap frame 3 (5001 -> 5562): starts
        // 57 00 00 00 00 11 11 07 (protocol id 0, length 17, function 7),
        // but read exception status is 2 or 3 bytes long, and the next
        // "frame" would have length 0
        let melsec = hex(concat!(
            "57000000001111070000ffff030000000000005a001c0216140000000000",
            "0000000000000000000000000411f33f0000000000000000000000000400"
        ));
        for dir in [Direction::ToClient, Direction::ToServer] {
            assert_eq!(probe(&pi(&melsec, dir)), ProbeResult::NoMatch);
        }
        // frame 1 (5562 -> 5001): function 0x7f, length 17 in 57 bytes
        let m1 = hex(concat!(
            "d70000000011117f000000a80300ffff03000024009c02181400000000",
            "0000000000000000000000000000000410f23f000000000000"
        ));
        assert_eq!(probe(&pi(&m1, Direction::ToServer)), ProbeResult::NoMatch);
        // ITI hart/hart_ip.pcap frame 76 (49559 -> 5094): HART-IP header
        // (version 1, session initiate), as MBAP length 2 with function
        // 13, then 5 bytes that are no MBAP header
        let hart = hex("010000000002000d0100007530");
        assert_eq!(probe(&pi(&hart, Direction::ToServer)), ProbeResult::NoMatch);
    }

    #[test]
    fn weak_function_needs_a_second_frame() {
        // a user-defined function (100) proves little alone: a frame that
        // fills the segment exactly, or a second one, is needed
        let one = [0, 1, 0, 0, 0, 4, 1, 100, 1, 2];
        assert_eq!(probe(&pi(&one, Direction::ToServer)), ProbeResult::Match);
        let next = [0, 2, 0, 0, 0, 4, 1, 100, 3, 4];
        let partial = [&one[..], &next[..5]].concat();
        assert_eq!(
            probe(&pi(&partial, Direction::ToServer)),
            ProbeResult::NeedMore
        );
        assert_eq!(
            probe(&pi(&one[..9], Direction::ToServer)),
            ProbeResult::NeedMore
        );
        let two = [one, next].concat();
        assert_eq!(probe(&pi(&two, Direction::ToServer)), ProbeResult::Match);
        // ITI bro/modbus/fuzz-72.pcap frames 6 and 7 (2582 -> 502): a
        // frame with length 4 in 12 bytes, then bytes that cannot be the
        // next MBAP header (length 0)
        let f6 = [0, 0, 0, 0, 0, 4, 1, 0x21, 0, 0, 0, 0];
        let f7 = [0, 0, 0, 0, 0, 6, 1, 0x22, 0, 0, 0, 0];
        assert_eq!(probe(&pi(&f6, Direction::ToClient)), ProbeResult::NeedMore);
        let both = [f6, f7].concat();
        assert_eq!(probe(&pi(&both, Direction::ToClient)), ProbeResult::NoMatch);
        // read holding registers response: byte count 4, length 7
        let resp = [0, 1, 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2];
        assert_eq!(probe(&pi(&resp, Direction::ToClient)), ProbeResult::Match);
        // exception response
        let exc = [0, 1, 0, 0, 0, 3, 1, 0x83, 2];
        assert_eq!(probe(&pi(&exc, Direction::ToClient)), ProbeResult::Match);
    }
}
