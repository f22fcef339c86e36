//! Probe and state tests on annotated bytes (open62541_client-server_minimal.pcap,
//! cisagov/icsnpp-opcua-binary, frames 5-13).

use super::state::OpcuaState;
use super::*;
use reefwatch_applayer::{Direction, ParseResult, TestSink};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// HEL: "HEL" 'F', size 56, version 0, rbs/sbs 65535, mms/mcc 0,
/// endpoint URL (24 bytes) "opc.tcp://localhost:4840"
fn hel() -> Vec<u8> {
    hex(
        "48454c46 38000000 00000000 ffff0000 ffff0000 00000000 00000000
         18000000 6f70632e7463703a2f2f6c6f63616c686f73743a34383430",
    )
}

/// ACK: size 28, version 0, rbs/sbs 65535, mms/mcc 0
fn ack() -> Vec<u8> {
    hex("41434b46 1c000000 00000000 ffff0000 ffff0000 00000000 00000000")
}

/// OPN request: channel 0, policy URI (47 bytes) #None, null sender
/// certificate and thumbprint, seq 1, request id 1, type id 446
/// (OpenSecureChannelRequest), request header, protocol version 0,
/// request type Issue, mode None (1), null nonce, lifetime 600000
fn opn_req() -> Vec<u8> {
    hex("4f504e46 84000000 00000000 2f000000
         687474703a2f2f6f7063666f756e646174696f6e2e6f72672f55412f5365637572697479506f6c696379234e6f6e65
         ffffffff ffffffff 01000000 01000000
         0100be01 0000 0e3d96f275cad501 00000000 00000000 ffffffff 00000000 000000
         00000000 00000000 01000000 ffffffff c0270900")
}

/// OPN response: channel 5, type id 449, response header, version 0,
/// channel 5, token 5, created at, revised lifetime 600000, null nonce
fn opn_resp() -> Vec<u8> {
    hex("4f504e46 87000000 05000000 2f000000
         687474703a2f2f6f7063666f756e646174696f6e2e6f72672f55412f5365637572697479506f6c696379234e6f6e65
         ffffffff ffffffff 01000000 01000000
         0100c101 36ea9df275cad501 00000000 00000000 00 ffffffff 000000
         00000000 05000000 05000000 22ea9df275cad501 c0270900 ffffffff")
}

/// MSG: channel 5, token 5, seq 2, request id 2, type id 428
/// (GetEndpointsRequest), handle 1, timeout 10000, endpoint URL, no
/// locales, no profile URIs
fn get_endpoints() -> Vec<u8> {
    hex("4d534746 5d000000 05000000 05000000 02000000 02000000
         0100ac01 0000 92f29df275cad501 01000000 00000000 ffffffff 10270000 000000
         18000000 6f70632e7463703a2f2f6c6f63616c686f73743a34383430 ffffffff ffffffff")
}

fn pi(data: &[u8]) -> ProbeInput<'_> {
    ProbeInput {
        data,
        dir: Direction::ToServer,
        transport: Transport::Tcp,
        client_port: 40000,
        server_port: 48010,
    }
}

#[test]
fn probe_by_content() {
    assert_eq!(probe(&pi(&hel())), ProbeResult::Match);
    assert_eq!(probe(&pi(&ack())), ProbeResult::Match);
    assert_eq!(probe(&pi(&opn_req())), ProbeResult::Match);
    assert_eq!(probe(&pi(&hel()[..20])), ProbeResult::NeedMore);
    // the HEL endpoint URL must end the message
    let mut bad = hel();
    bad[28] = 0x17;
    assert_eq!(probe(&pi(&bad)), ProbeResult::NoMatch);
    // HEL version 1
    let mut bad = hel();
    bad[8] = 1;
    assert_eq!(probe(&pi(&bad)), ProbeResult::NoMatch);
    // MSG alone: whole and ending the segment
    assert_eq!(probe(&pi(&get_endpoints())), ProbeResult::Match);
    let two = [get_endpoints(), get_endpoints()[..10].to_vec()].concat();
    assert_eq!(probe(&pi(&two)), ProbeResult::NeedMore);
    // chunk type X
    let mut bad = get_endpoints();
    bad[3] = b'X';
    assert_eq!(probe(&pi(&bad)), ProbeResult::NoMatch);
    assert_eq!(probe(&pi(b"GET / HTTP/1.1\r\n")), ProbeResult::NoMatch);
    assert_eq!(probe(&pi(b"MSGF\xff\xff\xff\xff")), ProbeResult::NoMatch);
}

fn run(msgs: &[(Direction, Vec<u8>)]) -> (OpcuaState, TestSink) {
    let mut s = OpcuaState::new();
    let mut sink = TestSink::default();
    for (d, m) in msgs {
        assert_eq!(s.parse(*d, m, &mut sink), ParseResult::Done);
    }
    (s, sink)
}

#[test]
fn hello_and_secure_channel_transactions() {
    use Direction::*;
    let (_, sink) = run(&[
        (ToServer, hel()),
        (ToClient, ack()),
        (ToServer, opn_req()),
        (ToClient, opn_resp()),
    ]);
    assert_eq!(sink.events.len(), 2, "{:?}", sink.events);
    let h = &sink.events[0].1;
    assert!(
        h.starts_with(r#"{"id":1,"type":"hello","request":{"message_type":"HEL""#),
        "{h}"
    );
    assert!(
        h.contains(r#""endpoint_url":"opc.tcp://localhost:4840""#),
        "{h}"
    );
    assert!(h.contains(r#""response":{"message_type":"ACK""#), "{h}");
    let o = &sink.events[1].1;
    assert!(
        o.contains(r#""security_policy_uri":"http://opcfoundation.org/UA/SecurityPolicy#None""#),
        "{o}"
    );
    assert!(o.contains(r#""security_mode":"None""#), "{o}");
    assert!(
        o.contains(r#""channel_id":5,"token_id":5,"revised_lifetime":600000"#),
        "{o}"
    );
    assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
}

#[test]
fn request_split_anywhere_and_unanswered_at_close() {
    let m = get_endpoints();
    for cut in 1..m.len() {
        let mut s = OpcuaState::new();
        let mut sink = TestSink::default();
        let consumed = match s.parse(Direction::ToServer, &m[..cut], &mut sink) {
            ParseResult::Incomplete { consumed, needed } => {
                assert!(needed > 0);
                consumed
            }
            r => panic!("cut {cut}: {r:?}"),
        };
        assert_eq!(
            s.parse(Direction::ToServer, &m[consumed..], &mut sink),
            ParseResult::Done
        );
        assert!(sink.events.is_empty());
        s.on_close(&mut sink);
        assert_eq!(sink.events.len(), 1, "cut {cut}");
        let e = &sink.events[0].1;
        assert!(
            e.contains(r#""service":"GetEndpointsRequest","service_id":428,"request_handle":1"#),
            "{e}"
        );
        assert!(e.contains(r#""anomalies":["opcua.unanswered"]"#), "{e}");
    }
}

#[test]
fn chunks_are_reassembled() {
    // the GetEndpoints request cut after its type id into a C and an F
    // chunk (each with its own security headers)
    let m = get_endpoints();
    let hdr = &m[8..24];
    let (b1, b2) = m[24..].split_at(4);
    let mk = |c: u8, body: &[u8]| {
        let mut v = b"MSG".to_vec();
        v.push(c);
        v.extend_from_slice(&((24 + body.len()) as u32).to_le_bytes());
        v.extend_from_slice(hdr);
        v.extend_from_slice(body);
        v
    };
    let (mut s, mut sink) = run(&[(Direction::ToServer, [mk(b'C', b1), mk(b'F', b2)].concat())]);
    s.on_close(&mut sink);
    assert_eq!(sink.events.len(), 1);
    let e = &sink.events[0].1;
    assert!(
        e.contains(r#""chunk_count":2"#) && e.contains("GetEndpointsRequest"),
        "{e}"
    );
    // an abort chunk ends it
    let (_, sink) = run(&[(Direction::ToServer, [mk(b'C', b1), mk(b'A', b"")].concat())]);
    assert!(sink.anomalies.iter().any(|a| a == "opcua.chunk_aborted"));
}

#[test]
fn garbage_and_bounds() {
    let mut s = OpcuaState::new();
    let mut sink = TestSink::default();
    assert_eq!(
        s.parse(Direction::ToServer, b"GET / HTTP/1.1\r\n", &mut sink),
        ParseResult::Done
    );
    assert_eq!(s.malformed, 1);
    // 300 requests: the table stays bounded, the evicted are logged
    for i in 0..300u32 {
        let mut m = get_endpoints();
        m[20..24].copy_from_slice(&i.to_le_bytes());
        s.parse(Direction::ToServer, &m, &mut sink);
    }
    assert!(sink
        .anomalies
        .iter()
        .any(|a| a == "opcua.too_many_transactions"));
    assert_eq!(
        sink.events.len(),
        300 - reefwatch_applayer::MAX_TXS_PER_FLOW
    );
}

#[test]
fn mutated_conversations_never_panic() {
    // the messages above as one stream, with bytes flipped, cut and
    // repeated: through the probe and the parser the way the engine (and
    // the ot_opcua fuzz target) drives them, every event built and checked
    let base = [hel(), ack(), opn_req(), opn_resp(), get_endpoints()].concat();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut events = 0;
    for _ in 0..3000 {
        let mut d = vec![(next() & 0x7f) as u8, next() as u8];
        d.extend_from_slice(&base);
        for _ in 0..(next() % 6) {
            let i = (next() as usize) % d.len();
            d[i] = next() as u8;
        }
        if next() % 4 == 0 {
            let cut = (next() as usize) % d.len();
            d.truncate(cut.max(2));
        }
        events += reefwatch_applayer::fuzzing::drive(&PROTOCOL, &d);
    }
    assert!(events > 0);
}
