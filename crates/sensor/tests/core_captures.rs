//! End-to-end tests of the sensor core over small real captures
//! (testdata/core, credited in testdata/core/NOTICE). Expected values were
//! taken from tshark 4.0.17: `capinfos -c` and
//! `tshark -q -z conv,tcp -z conv,udp` (frames/bytes per direction).

use reefwatch_sensor::{analyze, AnalyzeOptions, AppLayerMode, EngineConfig, Summary};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);
impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn run(paths: &[PathBuf], threads: usize) -> (Summary, Vec<Value>) {
    run_cfg(paths, threads, EngineConfig::default())
}

fn run_cfg(paths: &[PathBuf], threads: usize, engine: EngineConfig) -> (Summary, Vec<Value>) {
    let buf = Shared::default();
    let dest: reefwatch_sensor::eve::EveDest = Arc::new(Mutex::new(Box::new(buf.clone())));
    let s = analyze(AnalyzeOptions {
        inputs: paths.to_vec(),
        eve: Some(dest),
        threads,
        engine,
        progress: false,
        intel: None,
        rules: None,
        rules_skipped: 0,
    });
    let bytes = buf.0.lock().unwrap().clone();
    let events = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).expect("every EVE line is JSON"))
        .collect();
    (s, events)
}

/// (client ip, client port, server ip, server port, pkts ts, bytes ts, pkts tc, bytes tc)
type Conv = (&'static str, u64, &'static str, u64, u64, u64, u64, u64);

fn check_flows(events: &[Value], expected: &[Conv], proto: &str) {
    let flows: Vec<&Value> = events
        .iter()
        .filter(|e| e["event_type"] == "flow" && e["proto"] == proto)
        .collect();
    assert_eq!(flows.len(), expected.len(), "number of {proto} flows");
    for &(cip, cport, sip, sport, pts, bts, ptc, btc) in expected {
        let f = flows
            .iter()
            .find(|f| {
                f["src_ip"] == cip
                    && f["src_port"] == cport
                    && f["dest_ip"] == sip
                    && f["dest_port"] == sport
            })
            .unwrap_or_else(|| panic!("flow {cip}:{cport} -> {sip}:{sport} missing"));
        let fl = &f["flow"];
        assert_eq!(
            (
                fl["pkts_toserver"].as_u64(),
                fl["bytes_toserver"].as_u64(),
                fl["pkts_toclient"].as_u64(),
                fl["bytes_toclient"].as_u64()
            ),
            (Some(pts), Some(bts), Some(ptc), Some(btc)),
            "counts of {cip}:{cport} -> {sip}:{sport}"
        );
        assert!(f["flow_id"].as_u64().is_some());
        assert!(fl["start"].as_str().unwrap().ends_with("+0000"));
    }
}

#[test]
fn dnp3_counts_match_tshark() {
    let (s, ev) = run(&[testdata("core/dnp3_file_read.pcap")], 1);
    assert_eq!(s.traffic.pkts, 30);
    assert_eq!(s.traffic.flows, 1);
    check_flows(
        &ev,
        &[(
            "130.126.142.250",
            50276,
            "130.126.140.229",
            20000,
            13,
            943,
            17,
            2042,
        )],
        "TCP",
    );
    let flow = ev.iter().find(|e| e["event_type"] == "flow").unwrap();
    assert_eq!(
        flow["app_proto"], "dnp3",
        "DNP3 found by content on port 20000"
    );
    assert_eq!(ev.last().unwrap()["event_type"], "stats");
}

#[test]
fn iec104_six_connections_match_tshark() {
    let (s, ev) = run(&[testdata("core/iec104_dissect.pcap")], 1);
    assert_eq!(s.traffic.pkts, 147);
    check_flows(
        &ev,
        &[
            (
                "172.27.248.109",
                1578,
                "172.27.248.79",
                2404,
                28,
                1758,
                19,
                1297,
            ),
            (
                "172.27.248.109",
                1568,
                "172.27.248.79",
                2404,
                17,
                1040,
                12,
                674,
            ),
            (
                "172.27.248.109",
                1572,
                "172.27.248.79",
                2404,
                15,
                940,
                10,
                572,
            ),
            (
                "172.27.248.109",
                1571,
                "172.27.248.79",
                2404,
                10,
                609,
                7,
                398,
            ),
            (
                "172.27.248.109",
                1570,
                "172.27.248.79",
                2404,
                10,
                624,
                6,
                344,
            ),
            (
                "172.27.248.109",
                1577,
                "172.27.248.79",
                2404,
                8,
                493,
                5,
                284,
            ),
        ],
        "TCP",
    );
}

#[test]
fn modbus_counts_match_tshark_with_two_threads() {
    for threads in [1, 2] {
        let (s, ev) = run(&[testdata("core/modbus_example.pcap")], threads);
        assert_eq!(s.traffic.pkts, 100);
        check_flows(
            &ev,
            &[
                ("127.0.0.1", 47785, "127.0.0.1", 502, 50, 3600, 48, 3569),
                ("192.168.1.6", 37699, "3.15.227.20", 502, 1, 78, 1, 75),
            ],
            "TCP",
        );
        // pcap_cnt on every packet-triggered event is a valid packet number
        for e in ev.iter().filter(|e| e["event_type"] == "modbus") {
            let n = e["pcap_cnt"].as_u64().expect("pcap_cnt");
            assert!((1..=100).contains(&n));
        }
    }
}

#[test]
fn pcapng_s7_counts_match_tshark() {
    let (s, ev) = run(&[testdata("core/s7_snap7_everything.pcapng")], 1);
    assert_eq!(s.traffic.pkts, 64);
    check_flows(
        &ev,
        &[(
            "134.217.61.131",
            51212,
            "134.217.61.211",
            102,
            32,
            2944,
            32,
            4268,
        )],
        "TCP",
    );
}

#[test]
fn directory_with_a_bad_file_processes_the_rest() {
    let dir = std::env::temp_dir().join(format!("rw-core-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(testdata("core/dnp3_file_read.pcap"), dir.join("a.pcap")).unwrap();
    std::fs::copy(testdata("core/modbus_example.pcap"), dir.join("b.pcap")).unwrap();
    // a capture whose second record claims a 4 GB length
    let mut bad = std::fs::read(testdata("core/dnp3_file_read.pcap")).unwrap();
    let first_len = u32::from_le_bytes([bad[32], bad[33], bad[34], bad[35]]) as usize;
    let second = 24 + 16 + first_len;
    bad[second + 8..second + 12].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    std::fs::write(dir.join("c.pcap"), &bad).unwrap();
    // files that are not captures inside a directory are skipped (README, MANIFEST…)
    std::fs::write(dir.join("README.txt"), b"not a capture").unwrap();
    let (s, ev) = run(std::slice::from_ref(&dir), 1);
    assert_eq!(
        s.traffic.pkts, 131,
        "30 + 100 + the one record before the corrupt length"
    );
    assert_eq!(s.exit_code(), 0);
    assert!(
        s.warnings
            .iter()
            .any(|e| e.contains("c.pcap") && e.contains("offset")),
        "{:?}",
        s.warnings
    );
    // pcap_cnt keeps counting across files
    let max = ev
        .iter()
        .filter_map(|e| e["pcap_cnt"].as_u64())
        .max()
        .unwrap();
    assert!(max > 30 && max <= 131);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn non_capture_file_is_an_error_with_status_2() {
    let path = std::env::temp_dir().join(format!("rw-notcap-{}.pcap", std::process::id()));
    std::fs::write(&path, b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let (s, _) = run(&[path.clone(), testdata("core/dnp3_file_read.pcap")], 1);
    assert_eq!(s.traffic.pkts, 30, "the good input is still processed");
    assert_eq!(s.exit_code(), 2);
    assert!(s.errors[0].contains("rw-notcap"), "{:?}", s.errors);
    std::fs::remove_file(&path).ok();
}

#[test]
fn truncated_capture_keeps_what_was_read() {
    let src = std::fs::read(testdata("core/iec104_dissect.pcap")).unwrap();
    let cut = &src[..src.len() - 7];
    let path = std::env::temp_dir().join(format!("rw-trunc-{}.pcap", std::process::id()));
    std::fs::write(&path, cut).unwrap();
    let (s, _) = run(std::slice::from_ref(&path), 1);
    assert_eq!(s.traffic.pkts, 146);
    assert_eq!(s.exit_code(), 0);
    assert_eq!(s.warnings.len(), 1);
    assert!(s.warnings[0].contains("offset"), "{}", s.warnings[0]);
    std::fs::remove_file(&path).ok();
}

#[test]
fn summary_shares_and_json() {
    let (s, _) = run(&[testdata("core/modbus_example.pcap")], 1);
    let modbus = s
        .traffic
        .by_proto
        .iter()
        .find(|p| p.name == "modbus")
        .expect("modbus share");
    assert_eq!(modbus.flows, 2);
    assert_eq!(modbus.pkts, 100);
    let j: Value = serde_json::from_str(&s.to_json()).unwrap();
    assert_eq!(j["packets"], 100);
    assert!(s.to_text().contains("modbus"));
}

#[test]
fn vlan_and_mpls_counts_match_tshark() {
    let (s, ev) = run(&[testdata("core/mixed-vlan-mpls.pcap")], 1);
    assert_eq!(s.traffic.pkts, 47);
    check_flows(
        &ev,
        &[
            (
                "141.42.64.125",
                56730,
                "125.190.109.199",
                80,
                12,
                898,
                10,
                10085,
            ),
            ("10.20.80.1", 50343, "10.0.0.15", 80, 7, 661, 7, 4081),
            ("10.1.2.1", 11001, "10.34.0.1", 23, 11, 678, 0, 0),
        ],
        "TCP",
    );
    assert_eq!(s.decoder.mpls, 11);
}

#[test]
fn ipv6_fragments_reassembled_like_tshark() {
    // tshark conv,udp: the reassembled response counts once, with the
    // length of the frame that completed it; the incomplete train does not.
    let (s, ev) = run(&[testdata("core/ipv6-fragmented-dns.pcap")], 1);
    assert_eq!(s.traffic.pkts, 8);
    check_flows(
        &ev,
        &[
            (
                "2001:470:1f11:81f:d138:5f55:6d4:1fe2",
                51850,
                "2607:f740:b::f93",
                53,
                1,
                135,
                1,
                385,
            ),
            (
                "2001:470:1f11:81f:d138:5f55:6d4:1fe2",
                51851,
                "2607:f740:b::f93",
                53,
                2,
                272,
                1,
                436,
            ),
        ],
        "UDP",
    );
    assert_eq!(s.decoder.reassembled, 1);
}

/// pcap_cnt of the events of one type, in output order.
fn pcap_cnts(ev: &[Value], event_type: &str, pick: impl Fn(&Value) -> bool) -> Vec<u64> {
    ev.iter()
        .filter(|e| e["event_type"] == event_type && pick(e))
        .map(|e| e["pcap_cnt"].as_u64().expect("pcap_cnt"))
        .collect()
}

#[test]
fn data_after_a_capture_hole_keeps_its_packet_number() {
    // step7_s300_AuthPassword: the capture starts mid-stream and frame 3
    // (client data) arrives beside a hole that frame 4's ACK later gives
    // up. tshark 4.0 decodes an S7comm-plus PDU in each of frames 1..6
    // (`tshark -Y s7comm -T fields -e frame.number`); the PDU of frame 3
    // must carry pcap_cnt 3, not the number of the packet that released it.
    let (_, ev) = run(
        &[testdata(
            "ot/s7comm/iti__pcaps__s7__step7_s300_AuthPassword.pcapng",
        )],
        1,
    );
    let mut got = pcap_cnts(&ev, "s7comm", |e| e["s7comm"].get("rosctr_raw").is_some());
    got.sort_unstable();
    got.dedup();
    assert_eq!(got, vec![1, 2, 3, 4, 5, 6], "{ev:#?}");
}

#[test]
fn iec104_picked_up_mid_stream() {
    // 090813_diverse cut to start mid-stream (scripts/gen/cut-midstream.py):
    // no handshake, each side's first bytes the end of an APDU. The frames
    // in which tshark 4.0 decodes APDUs (`tshark -Y iec60870_104 -T fields
    // -e frame.number -e iec60870_104.type`, one per APDU) are the events'
    // pcap_cnt, each once.
    let (_, ev) = run(&[testdata("ot/iec104/iec104-090813-midstream-cut.pcap")], 1);
    let got = pcap_cnts(&ev, "iec104", |_| true);
    let mut want: Vec<u64> = (5..=121).step_by(2).collect();
    want.extend((124..=152).step_by(2));
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, want, "{got:?}");
}

#[test]
fn dnp3_frames_with_a_bad_header_crc_on_port_20000() {
    // opendnp3 conformance 6.6.2.4: frames 4 and 8 carry a link header
    // with a corrupt CRC, frames 6 and 10 a valid header (len=5, which
    // tshark decodes and marks malformed). The flow must still be DNP3:
    // the bad frames are flagged, the good ones decoded at their packets.
    let (_, ev) = run(
        &[testdata(
            "ot/dnp3/iti__pcaps__dnp3__opendnp3-3__conformance__6.6.2.4__dump.pcap",
        )],
        1,
    );
    let good = pcap_cnts(&ev, "dnp3", |e| e["dnp3"]["link"]["crc_ok"] == true);
    let bad = pcap_cnts(&ev, "dnp3", |e| e["dnp3"]["link"]["crc_ok"] == false);
    assert_eq!(good, vec![6, 10]);
    assert_eq!(bad, vec![4, 8]);
    for e in ev.iter().filter(|e| e["event_type"] == "dnp3") {
        assert_eq!(e["dnp3"]["src"], 1);
        assert_eq!(e["dnp3"]["dst"], 1024);
        assert_eq!(e["dnp3"]["control"]["function_code"], 4);
    }
    let anomalies = pcap_cnts(&ev, "anomaly", |e| {
        e["anomaly"]["event"] == "dnp3.bad_link_header_crc"
    });
    assert_eq!(anomalies, vec![4, 8]);
}

#[test]
fn anomalies_do_not_depend_on_output() {
    // With EVE off and no intel, parsers skip what only outputs consume
    // (JA3/JA4, certificate strings, ...). The anomalies they count must
    // stay the same as with full EVE.
    let dirs = [testdata("it"), testdata("ot"), testdata("core")];
    let (with_eve, _) = run(&dirs, 1);
    let without = analyze(AnalyzeOptions {
        inputs: dirs.to_vec(),
        eve: None,
        threads: 1,
        engine: EngineConfig {
            app_layer: AppLayerMode::Full,
            ..EngineConfig::default()
        },
        progress: false,
        intel: None,
        rules: None,
        rules_skipped: 0,
    });
    assert!(without.app_layer_parsed);
    let sorted = |s: &Summary| {
        let mut v = s.app_anomalies.clone();
        v.sort();
        v
    };
    assert!(!with_eve.app_anomalies.is_empty());
    assert_eq!(sorted(&with_eve), sorted(&without));
    assert_eq!(with_eve.parse_errors, without.parse_errors);
    assert_eq!(with_eve.traffic.pkts, without.traffic.pkts);
    assert_eq!(with_eve.traffic.flows, without.traffic.flows);
}

#[test]
fn eve_off_detects_protocols_without_parsing() {
    // Nothing consumes transactions with EVE off and no intel: flows are
    // only classified. The protocol table, flow, packet and byte counts
    // must be those of a full parse; no transaction is parsed.
    let dirs = [testdata("it"), testdata("ot"), testdata("core")];
    let with = |mode: AppLayerMode| {
        analyze(AnalyzeOptions {
            inputs: dirs.to_vec(),
            eve: None,
            threads: 1,
            engine: EngineConfig {
                app_layer: mode,
                ..EngineConfig::default()
            },
            progress: false,
            intel: None,
            rules: None,
            rules_skipped: 0,
        })
    };
    let full = with(AppLayerMode::Full);
    let auto = with(AppLayerMode::Auto);
    assert!(full.app_layer_parsed && !auto.app_layer_parsed);
    assert!(!full.app_anomalies.is_empty());
    assert_eq!(auto.app_events, 0);
    assert!(auto.app_anomalies.is_empty());
    let table = |s: &Summary| {
        let mut v: Vec<_> = s
            .traffic
            .by_proto
            .iter()
            .map(|p| (p.name, p.flows, p.pkts, p.bytes))
            .collect();
        v.sort();
        v
    };
    assert!(table(&full).iter().any(|p| p.0 == "modbus"));
    assert_eq!(table(&full), table(&auto));
    assert_eq!(
        (full.traffic.pkts, full.traffic.bytes, full.traffic.flows),
        (auto.traffic.pkts, auto.traffic.bytes, auto.traffic.flows)
    );
    assert_eq!(full.traffic.tcp_midstream, auto.traffic.tcp_midstream);
    // detection only takes its own per-packet path for most packets
    // (Worker::track_fast): every packet-level counter must agree
    let t = |s: &Summary| {
        let w = &s.traffic;
        (
            (w.tcp_syn, w.tcp_synack, w.tcp_rst, w.non_ip),
            (w.flows_tcp, w.flows_udp, w.flows_icmp, w.flows_other),
            (w.first_ts, w.last_ts),
        )
    };
    assert_eq!(t(&full), t(&auto));
    assert_eq!(format!("{:?}", full.decoder), format!("{:?}", auto.decoder));
    assert!(auto.to_text().contains("transactions not parsed"));

    // `detect` with EVE on: flow events carry app_proto, no transactions
    let buf = Shared::default();
    let dest: reefwatch_sensor::eve::EveDest = Arc::new(Mutex::new(Box::new(buf.clone())));
    analyze(AnalyzeOptions {
        inputs: vec![testdata("core")],
        eve: Some(dest),
        threads: 1,
        engine: EngineConfig {
            app_layer: AppLayerMode::Detect,
            ..EngineConfig::default()
        },
        progress: false,
        intel: None,
        rules: None,
        rules_skipped: 0,
    });
    let bytes = buf.0.lock().unwrap().clone();
    let ev: Vec<Value> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let types: std::collections::BTreeSet<&str> =
        ev.iter().filter_map(|e| e["event_type"].as_str()).collect();
    assert!(
        types
            .iter()
            .all(|t| ["flow", "anomaly", "stats"].contains(t)),
        "{types:?}"
    );
    assert!(ev
        .iter()
        .any(|e| e["event_type"] == "flow" && e["app_proto"] == "modbus"));
}

#[test]
fn threads_see_what_one_thread_sees() {
    // Many files (pcap and pcapng, truncated ones too, with time ranges
    // that overlap and jump) through the chunk hand-off to 2 and 3 workers
    // (the reading thread is one of them). Every worker's flow clock runs
    // on all packets, so flows time out where they do with one thread:
    // the same counts and, flow ids aside (numbered per worker), the same
    // events with the same packet numbers, in another order.
    let dirs = [
        testdata("core"),
        testdata("ot"),
        testdata("it"),
        testdata("capture"),
    ];
    let (s1, ev1) = run(&dirs, 1);
    let (s3, ev3) = run(&dirs, 3);
    let (s2, ev2) = run(&dirs, 2);
    // pcap files read in parts of 1500 bytes: records across part ends
    let small_parts = EngineConfig {
        read_part: 1500,
        ..EngineConfig::default()
    };
    let (s3p, ev3p) = run_cfg(&dirs, 3, small_parts);
    assert!(ev1.len() > 1000 && ev3.len() > 1000);
    assert_eq!(
        (s1.traffic.pkts, s1.traffic.bytes, s1.files),
        (s3.traffic.pkts, s3.traffic.bytes, s3.files)
    );
    let flows = |s: &Summary| {
        let t = &s.traffic;
        (
            t.flows,
            t.flows_tcp,
            t.flows_udp,
            t.tcp_midstream,
            t.tcp_gaps,
        )
    };
    assert!(s1.traffic.flows > 50);
    assert_eq!(flows(&s1), flows(&s3));
    assert_eq!(flows(&s1), flows(&s2));
    assert_eq!(flows(&s1), flows(&s3p));
    assert_eq!(
        (s1.traffic.pkts, s1.traffic.bytes, s1.files, &s1.warnings),
        (
            s3p.traffic.pkts,
            s3p.traffic.bytes,
            s3p.files,
            &s3p.warnings
        )
    );
    let events = |ev: &[Value]| {
        let mut v: Vec<String> = ev
            .iter()
            .filter(|e| e["event_type"] != "stats")
            .map(|e| {
                let mut e = e.clone();
                e.as_object_mut().map(|o| o.remove("flow_id"));
                e.to_string()
            })
            .collect();
        v.sort();
        v
    };
    let e1 = events(&ev1);
    assert!(e1.iter().any(|e| e.contains("\"reason\":\"timeout\"")));
    assert!(
        e1 == events(&ev3),
        "EVE events differ between 1 and 3 threads"
    );
    assert!(
        e1 == events(&ev2),
        "EVE events differ between 1 and 2 threads"
    );
    assert!(
        e1 == events(&ev3p),
        "EVE events differ with small read parts"
    );
    let shares = |s: &Summary| {
        let mut v: Vec<_> = s
            .traffic
            .by_proto
            .iter()
            .map(|p| (p.name, p.pkts, p.bytes))
            .collect();
        v.sort();
        v
    };
    assert_eq!(shares(&s1), shares(&s3));
    assert!(!s1.warnings.is_empty());
    assert_eq!(s1.warnings, s3.warnings);
    assert_eq!(s1.errors, s3.errors);

    // EVE off: the workers take the detection-only path; the same split
    // by app_proto, the same decoder counters, as one thread's with EVE
    let off = |threads: usize| {
        analyze(AnalyzeOptions {
            inputs: dirs.to_vec(),
            eve: None,
            threads,
            engine: EngineConfig::default(),
            progress: false,
            intel: None,
            rules: None,
            rules_skipped: 0,
        })
    };
    // (gaps only count where bytes are still reassembled: fewer here)
    let off1 = off(1);
    let (a, b) = (flows(&off1), flows(&s1));
    assert_eq!((a.0, a.1, a.2, a.3), (b.0, b.1, b.2, b.3));
    for s in [&off1, &off(2), &off(3)] {
        assert!(!s.app_layer_parsed);
        assert_eq!(flows(s), flows(&off1));
        assert_eq!(
            (s.traffic.pkts, s.traffic.bytes),
            (s1.traffic.pkts, s1.traffic.bytes)
        );
        assert_eq!(shares(s), shares(&s1));
        assert_eq!(format!("{:?}", s.decoder), format!("{:?}", s1.decoder));
    }
}

/// IPv6 tunnelled in AYIYA over UDP (SixXS; testdata/it/ayiya3.pcap, from
/// Zeek's test traces): the TCP flow inside is keyed by the inner addresses
/// with tshark's frame and byte counts (`tshark -q -z conv,tcp`), and its
/// HTTP transactions are the three tshark shows (`-Y http.request`; the
/// events at the response frames 23, 27 and 31), on one and on two threads.
#[test]
fn http_inside_ayiya_matches_tshark() {
    for threads in [1, 2] {
        let (s, ev) = run(&[testdata("it/ayiya3.pcap")], threads);
        assert_eq!(s.traffic.pkts, 35);
        check_flows(
            &ev,
            &[(
                "2001:4978:f:4c::2",
                53382,
                "2001:4860:b002::68",
                80,
                10,
                4465,
                11,
                6275,
            )],
            "TCP",
        );
        let http: Vec<(u64, String, String)> = ev
            .iter()
            .filter(|e| e["event_type"] == "http")
            .map(|e| {
                (
                    e["pcap_cnt"].as_u64().unwrap(),
                    e["http"]["url"].as_str().unwrap().to_string(),
                    e["http"]["hostname"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert_eq!(http.len(), 3, "{http:?}");
        assert_eq!((http[0].0, http[0].1.as_str()), (23, "/"));
        assert_eq!(http[0].2, "ipv6.google.com");
        assert_eq!(http[1].0, 27);
        assert!(http[1]
            .1
            .starts_with("/csi?v=3&s=webhp&action=&tran=undefined&e=17259,"));
        assert_eq!(http[2].0, 31);
        assert_eq!(
            http[2].1,
            "/gen_204?atyp=i&ct=fade&cad=1254&ei=BUz2Su7PMJTglQfz3NzCAw&zx=1257655303600"
        );
        for e in ev.iter().filter(|e| e["event_type"] == "http") {
            assert_eq!(e["src_ip"], "2001:4978:f:4c::2");
            assert_eq!(e["dest_ip"], "2001:4860:b002::68");
        }
    }
}
