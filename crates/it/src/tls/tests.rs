use super::*;
use crate::testkit::Feeder;
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{Direction, TestSink};

fn record(ct: u8, payload: &[u8]) -> Vec<u8> {
    let mut r = vec![ct, 0x03, 0x03];
    r.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    r.extend_from_slice(payload);
    r
}

fn hs(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![ty];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

fn server_hello() -> Vec<u8> {
    let mut b = vec![0x03, 0x03];
    b.extend_from_slice(&[0x22; 32]);
    b.push(0);
    b.extend_from_slice(&[0xc0, 0x2f, 0x00]); // cipher c02f, null compression
    let ext = [
        0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,
    ];
    b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    b.extend_from_slice(&ext);
    b
}

fn cert_msg(der: &[u8]) -> Vec<u8> {
    let mut one = (der.len() as u32).to_be_bytes()[1..].to_vec();
    one.extend_from_slice(der);
    let mut body = (one.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&one);
    body
}

/// A real certificate's DER is not needed: the hand-built one from x509 tests shape.
fn tiny_cert() -> Vec<u8> {
    fn t(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![tag, body.len() as u8];
        v.extend_from_slice(body);
        v
    }
    let name = t(
        0x30,
        &t(
            0x31,
            &t(
                0x30,
                &[t(0x06, &[0x55, 4, 3]), t(0x13, b"srv.test")].concat(),
            ),
        ),
    );
    let validity = t(
        0x30,
        &[t(0x17, b"991231235959Z"), t(0x17, b"300101000000Z")].concat(),
    );
    let alg = t(0x30, &t(0x06, &[0x2a, 0x03]));
    let tbs = t(
        0x30,
        &[t(0x02, &[0x05]), alg.clone(), name.clone(), validity, name].concat(),
    );
    t(0x30, &[tbs, alg, t(0x03, &[0])].concat())
}

#[test]
fn tls12_handshake_event() {
    let ch = hs(1, &parser::tests::sample_client_hello());
    let client = [record(22, &ch), record(20, &[1]), record(22, &[0u8; 40])].concat();
    // ServerHello + Certificate + ServerHelloDone; the Certificate spans two records
    let flight = [
        hs(2, &server_hello()),
        hs(11, &cert_msg(&tiny_cert())),
        hs(14, &[]),
    ]
    .concat();
    let (a, b) = flight.split_at(60);
    let server = [
        record(22, a),
        record(22, b),
        record(20, &[1]),
        record(22, &[0u8; 40]),
    ]
    .concat();
    for piece in [1, 6, 100, 5000] {
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let mut f = Feeder::default();
        f.feed(
            p.as_mut(),
            Direction::ToServer,
            &client[..client.len() - 45],
            piece,
            &mut sink,
        );
        f.feed(p.as_mut(), Direction::ToClient, &server, piece, &mut sink);
        f.feed(
            p.as_mut(),
            Direction::ToServer,
            &client[client.len() - 45..],
            piece,
            &mut sink,
        );
        f.feed(
            p.as_mut(),
            Direction::ToServer,
            &record(23, &[9u8; 100]),
            piece,
            &mut sink,
        );
        p.on_close(&mut sink);
        assert_eq!(f.errors, 0);
        assert_eq!(sink.events.len(), 1, "piece {piece}");
        let ev = &sink.events[0].1;
        assert!(
            ev.starts_with(
                r#"{"subject":"CN=srv.test","issuerdn":"CN=srv.test","serial":"05","fingerprint":""#
            ),
            "{ev}"
        );
        assert!(ev.contains(r#""sni":"example.com","version":"TLS 1.2","notbefore":"1999-12-31T23:59:59","notafter":"2030-01-01T00:00:00""#), "{ev}");
        assert!(ev.contains(r#""ja3":{"hash":""#));
        assert!(
            ev.contains(r#""string":"771,4865-49199,0-10-11-13-16-43,29,0"}"#),
            "{ev}"
        );
        assert!(
            ev.contains(r#""ja3s":{"hash":""#) && ev.contains(r#""string":"771,49199,65281-11"}"#),
            "{ev}"
        );
        assert!(ev.contains(r#""ja4":"t13d0206h2_"#), "{ev}");
        assert!(ev.contains(r#""client_alpns":["h2"]"#));
        let names: Vec<_> = sink.buffers.iter().map(|b| b.0).collect();
        for n in [
            BufferId::TlsSni,
            BufferId::Ja3Hash,
            BufferId::Ja4Hash,
            BufferId::Ja3sHash,
            BufferId::TlsCertSubject,
            BufferId::TlsCertSerial,
            BufferId::TlsCerts,
        ] {
            assert!(names.contains(&n), "missing {n}");
        }
    }
}

#[test]
fn probes_and_garbage() {
    let i = ProbeInput {
        data: &[0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0, 0, 0x3c],
        dir: Direction::ToServer,
        transport: Transport::Tcp,
        client_port: 50000,
        server_port: 8080,
    };
    assert_eq!(probe(&i), ProbeResult::Match);
    assert_eq!(
        probe(&ProbeInput {
            data: b"GET / HTTP/1.1",
            ..i
        }),
        ProbeResult::NoMatch
    );
    assert_eq!(
        probe(&ProbeInput {
            data: &[0x16, 0x03],
            ..i
        }),
        ProbeResult::NeedMore
    );
    let mut p = new_parser();
    let mut sink = TestSink::default();
    assert_eq!(
        p.parse(Direction::ToServer, b"GET / HTTP/1.1\r\n\r\n", &mut sink),
        reefwatch_applayer::ParseResult::Error
    );
    // a hostile handshake length inside a valid record never panics
    let mut p = new_parser();
    let bad = record(22, &[1, 0xff, 0xff, 0xff, 3, 3]);
    assert_eq!(
        p.parse(Direction::ToServer, &bad, &mut sink),
        reefwatch_applayer::ParseResult::Done
    );
}
