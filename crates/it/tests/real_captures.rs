//! Real traffic through the parsers: transport payloads of small public
//! captures (testdata/it/*.pcap, credited in testdata/it/NOTICE) as
//! extracted by tshark 4.0.17 into testdata/it/*.feed, replayed flow by
//! flow like the engine does (probe by content, parse in order, keep
//! `Incomplete` remainders, close). Expected values come from tshark's
//! decode of the same captures (JA3/JA3S hashes, serials, answers).

use reefwatch_applayer::{
    Direction, ParseResult, ProbeInput, ProbeResult, ProtocolDef, TestSink, Transport,
};
use std::collections::HashMap;

struct Flow {
    client: (String, u16),
    parser: Option<(&'static ProtocolDef, Box<dyn reefwatch_applayer::AppParser>)>,
    pending: [Vec<u8>; 2],
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Replay a feed file; returns the sink with every flow's events.
fn replay(name: &str) -> TestSink {
    let path = format!(
        "{}/../../testdata/it/{name}.feed",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut flows: HashMap<(String, u16, String, u16), Flow> = HashMap::new();
    let mut order = Vec::new();
    let mut sink = TestSink::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 9 {
            continue;
        }
        let (src, sport, dst, dport) = (
            f[1].to_string(),
            f[2].parse().unwrap_or(0),
            f[3].to_string(),
            f[4].parse().unwrap_or(0),
        );
        let transport = if f[5] == "17" {
            Transport::Udp
        } else {
            Transport::Tcp
        };
        let syn_ack = f[6] == "1" && f[7] == "1";
        let data = unhex(f[8]);
        let a = (src.clone(), sport);
        let b = (dst.clone(), dport);
        let key = if a <= b {
            (a.0.clone(), a.1, b.0.clone(), b.1)
        } else {
            (b.0.clone(), b.1, a.0.clone(), a.1)
        };
        let flow = flows.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            Flow {
                client: if syn_ack { b.clone() } else { a.clone() },
                parser: None,
                pending: [Vec::new(), Vec::new()],
            }
        });
        if data.is_empty() {
            continue;
        }
        let dir = if a == flow.client {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let server_port = if dir == Direction::ToServer {
            dport
        } else {
            sport
        };
        if flow.parser.is_none() {
            let pi = ProbeInput {
                data: &data,
                dir,
                transport,
                client_port: flow.client.1,
                server_port,
            };
            let defs = reefwatch_it::protocols();
            let pick = defs
                .iter()
                .filter(|d| d.transports.contains(&transport) && d.ports.contains(&server_port))
                .chain(defs.iter().filter(|d| {
                    d.transports.contains(&transport) && !d.ports.contains(&server_port)
                }))
                .find(|d| (d.probe)(&pi) == ProbeResult::Match);
            match pick {
                Some(d) => flow.parser = Some((d, (d.new_parser)())),
                None => continue,
            }
        }
        let Some((_, p)) = flow.parser.as_mut() else {
            continue;
        };
        if transport == Transport::Udp {
            p.parse(dir, &data, &mut sink);
            continue;
        }
        let mut buf = std::mem::take(&mut flow.pending[dir.index()]);
        buf.extend_from_slice(&data);
        if let ParseResult::Incomplete { consumed, .. } = p.parse(dir, &buf, &mut sink) {
            flow.pending[dir.index()] = buf[consumed..].to_vec();
        }
    }
    for k in order {
        if let Some(mut f) = flows.remove(&k) {
            if let Some((_, mut p)) = f.parser.take() {
                p.on_close(&mut sink);
            }
        }
    }
    sink
}

fn events<'a>(s: &'a TestSink, t: &str) -> Vec<&'a str> {
    s.events
        .iter()
        .filter(|e| e.0 == t)
        .map(|e| e.1.as_str())
        .collect()
}

#[test]
fn tls12_ja3_ja3s_and_certificate() {
    let s = replay("tls1_1");
    let ev = events(&s, "tls");
    assert_eq!(ev.len(), 1, "{ev:?}");
    // values from tshark: tls.handshake.ja3 / ja3s, x509af.serialNumber
    assert!(
        ev[0].contains(r#""ja3":{"hash":"5eb6e1fe80f696450a62a48bb3d6a965""#),
        "{}",
        ev[0]
    );
    assert!(
        ev[0].contains(r#""ja3s":{"hash":"b5237e0430ad71aac52aa90b6627cb5f""#),
        "{}",
        ev[0]
    );
    assert!(
        ev[0].contains(r#""serial":"3D:1D:E4:4E:34:6E:CE:68""#),
        "{}",
        ev[0]
    );
    assert!(ev[0].contains(r#""version":"TLS 1.1""#), "{}", ev[0]);
    assert!(
        ev[0].contains(r#""notbefore":"2017-11-01T13:48:56","notafter":"2018-01-24T13:31:00""#),
        "{}",
        ev[0]
    );
    assert!(ev[0].contains(r#""ja4":"t11"#), "{}", ev[0]);
}

#[test]
fn tls13_ja3_ja3s() {
    let s = replay("tls13_wolfssl");
    let ev = events(&s, "tls");
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        ev[0].contains(r#""hash":"39cef737bf0cabc32c28f95d09b97702""#),
        "{}",
        ev[0]
    );
    assert!(
        ev[0].contains(r#""hash":"907bf3ecef1c987c889946b737b43de8""#),
        "{}",
        ev[0]
    );
    assert!(ev[0].contains(r#""version":"TLS 1.3""#), "{}", ev[0]);
    assert!(ev[0].contains(r#""ja4":"t13"#), "{}", ev[0]);
}

#[test]
fn dns_mx_with_additionals() {
    let s = replay("long-connection");
    let ev = events(&s, "dns");
    assert_eq!(ev.len(), 22, "{ev:?}"); // 11 queries, 11 responses (tshark: 22 dns frames)
    assert!(
        ev[1].contains(r#""rrtype":"MX""#) && ev[1].contains(r#""rdata":"smtp4.google.com""#),
        "{}",
        ev[1]
    );
    // the A records of the additional section (tshark dns.a)
    assert!(ev[1].contains(r#""additionals":[{"rrname":"smtp4.google.com","rrtype":"A","ttl":600,"rdata":"216.239.37.26"}"#), "{}", ev[1]);
}

#[test]
fn http_get_with_file() {
    let s = replay("get");
    let ev = events(&s, "http");
    assert_eq!(ev.len(), 1);
    assert!(
        ev[0].contains(r#""hostname":"bro.org","url":"/download/CHANGES.bro-aux.txt""#),
        "{}",
        ev[0]
    );
    assert!(
        ev[0].contains(r#""status":200"#) && ev[0].contains(r#""length":4705"#),
        "{}",
        ev[0]
    );
    let fi = events(&s, "fileinfo");
    assert_eq!(fi.len(), 1);
    assert!(
        fi[0].contains(r#""size":4705"#) && fi[0].contains(r#""state":"CLOSED""#),
        "{}",
        fi[0]
    );
}

#[test]
fn ftp_session_flags_cleartext_password() {
    let s = replay("retr");
    let ev = events(&s, "ftp");
    assert!(
        ev.iter()
            .any(|e| e.contains(r#""command":"USER","command_data":"anonymous""#)),
        "{ev:?}"
    );
    assert!(
        ev.iter().any(|e| e.contains(r#""command":"EPSV""#)
            && e.contains(r#""dynamic_port":38141,"mode":"passive""#)),
        "{ev:?}"
    );
    assert!(
        ev.iter().any(|e| e.contains(r#""command":"RETR""#)
            && e.contains(r#""completion_code":["150","226"]"#)),
        "{ev:?}"
    );
    assert!(s.anomalies.iter().any(|a| a == "ftp.cleartext_credentials"));
}

#[test]
fn dhcp_rdp_snmp_ntp() {
    let s = replay("dhcp_ack_subscriber_id_and_agent_remote_id");
    let ev = events(&s, "dhcp");
    assert!(
        ev[0].contains(r#""dhcp_type":"ack""#) && ev[0].contains(r#""assigned_ip":"192.168.0.10""#),
        "{ev:?}"
    );
    let s = replay("rdp-x509");
    let ev = events(&s, "rdp");
    assert!(
        ev.iter()
            .any(|e| e.contains(r#""client_name":"JOHN-PC-LAPTOP""#)),
        "{ev:?}"
    );
    let s = replay("snmpv1_get_short");
    let ev = events(&s, "snmp");
    assert!(
        ev.len() >= 2 && ev[0].contains(r#""community":"public""#),
        "{ev:?}"
    );
    let s = replay("ntp2");
    assert!(!events(&s, "ntp").is_empty());
}
