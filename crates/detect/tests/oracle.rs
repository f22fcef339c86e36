//! The matcher against Suricata 8.0.6 on real captures, without the
//! sensor: decode each packet (reefwatch-decode, reefwatch-capture), run
//! inspect_packet with the three ICMP/UDP packet rules of
//! testdata/rules/oracle-packet.rules, and compare (pcap_cnt, sid) with
//! Suricata's recorded alerts (testdata/rules/*.expected.jsonl).
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use reefwatch_capture::CaptureReader;
use reefwatch_decode::{Decoder, L3};
use reefwatch_detect::{Engine, FlowDetect, PacketView, RuleSet, Scratch, Vars};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rules")
}

fn field(line: &str, name: &str) -> Option<u64> {
    let at = line.find(name)? + name.len();
    let rest = line[at..].trim_start_matches([':', ' ', '"']);
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// `"2003-06-11T00:06:08.793044+0000"` → µs since the epoch (UTC).
fn ts_us(line: &str) -> u64 {
    let at = line.find("\"timestamp\": \"").unwrap() + 14;
    let t = &line[at..at + 26];
    let n = |a: usize, b: usize| t[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    // days from civil (proleptic Gregorian)
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let secs = days * 86400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19);
    (secs * 1_000_000 + n(20, 26)) as u64
}

fn run(capture: &str, expected: &str) {
    let mut set = RuleSet::new();
    // as Suricata was run: stock vars, EXTERNAL_NET any
    let mut vars = Vars::suricata_defaults();
    vars.set_address("EXTERNAL_NET", "any");
    set.load_file(&dir().join("oracle-packet.rules"), &vars, None)
        .unwrap();
    assert_eq!(set.rules.len(), 3);
    let e = Engine::new(set.rules);
    let mut s = Scratch::new(&e);
    let mut out = Vec::new();
    let mut got = Vec::new();
    let mut rd = CaptureReader::open(&dir().join(capture)).unwrap();
    let mut dec = Decoder::new();
    while let Some(pk) = rd.next_packet().unwrap() {
        let d = dec.decode(pk.linktype, pk.data, pk.ts_ns);
        let addr = |a: [u8; 16]| match d.l3 {
            L3::Ipv4 => Some(IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))),
            L3::Ipv6 => Some(IpAddr::V6(Ipv6Addr::from(a))),
            _ => None,
        };
        let (Some(src), Some(dst)) = (addr(d.src), addr(d.dst)) else {
            continue;
        };
        let icmp = matches!(d.proto, 1 | 58).then_some((d.icmp_type, d.icmp_code));
        let p = PacketView {
            ts_ns: pk.ts_ns,
            src,
            dst,
            sport: d.sport,
            dport: d.dport,
            ip_proto: d.proto,
            tcp_flags: d.tcp.map(|t| t.flags),
            icmp,
            // Suricata's ICMP payload follows the 8-byte header; decode's
            // body starts after type, code, checksum (4 bytes)
            payload: if icmp.is_some() {
                d.payload.get(4..).unwrap_or(&[])
            } else {
                d.payload
            },
            to_server: None,
            established: false,
            app_proto: None,
            stream_bytes: [0, 0],
            flow_id: 0,
        };
        out.clear();
        // no flow state in this test: a fresh FlowDetect per packet
        e.inspect_packet(&p, &mut FlowDetect::default(), &mut s, &mut out);
        for a in &out {
            // Suricata logs no pcap_cnt for tunnelled packets: key by time then
            let key = if d.tunnel_depth > 0 {
                (pk.ts_ns / 1000) as u64
            } else {
                pk.index
            };
            got.push((key, e.rules()[a.rule as usize].meta.sid as u64));
        }
    }
    let text = std::fs::read_to_string(dir().join(expected)).unwrap();
    let mut want: Vec<(u64, u64)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let key = field(l, "\"pcap_cnt\"").unwrap_or_else(|| ts_us(l));
            (key, field(l, "\"signature_id\"").unwrap())
        })
        .collect();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want, "{capture}");
}

#[test]
fn icmp_ping_rules_in_gre_tunnels_as_suricata() {
    run("gre-sample.pcap", "gre-sample.expected.jsonl");
}

#[test]
fn snmp_public_as_suricata() {
    run("leak_test.pcapng", "leak_test.expected.jsonl");
}
