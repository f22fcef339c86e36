//! A flow a probe claimed wrongly fails over to `failed` during the
//! parser's probation (issue #15). The probe here claims every TCP flow
//! for the real Modbus parser, as a weak port-502 probe once did with
//! LDAP (zeek's simpleauth.pcap, testdata/probes), and the bytes are that
//! capture's real ones.

use super::*;
use reefwatch_applayer::TestSink;

fn greedy_probe(input: &ProbeInput<'_>) -> ProbeResult {
    match input.transport {
        Transport::Tcp => ProbeResult::Match,
        _ => ProbeResult::NoMatch,
    }
}

static GREEDY_MODBUS: ProtocolDef = ProtocolDef {
    name: "modbus",
    probe: greedy_probe,
    ..reefwatch_ot::modbus::PROTOCOL
};

/// The TCP payloads of a capture's first TCP flow in capture order, with
/// their direction (the first talker is the client).
fn payloads(name: &str) -> Vec<(Direction, Vec<u8>)> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name);
    let mut rd = reefwatch_capture::CaptureReader::open(&path).expect("fixture opens");
    let mut dec = reefwatch_decode::Decoder::new();
    let mut ports: Option<(u16, u16)> = None;
    let mut out = Vec::new();
    while let Some(p) = rd.next_packet().expect("fixture reads") {
        let pkt = dec.decode(p.linktype, p.data, p.ts_ns);
        if pkt.proto != 6 || pkt.payload.is_empty() {
            continue;
        }
        let (c, s) = *ports.get_or_insert((pkt.sport, pkt.dport));
        let d = match (pkt.sport, pkt.dport) {
            (a, b) if (a, b) == (c, s) => Direction::ToServer,
            (a, b) if (a, b) == (s, c) => Direction::ToClient,
            _ => continue,
        };
        out.push((d, pkt.payload.to_vec()));
    }
    out
}

/// Feed the payloads through a flow's app layer with `reg`: (app_proto,
/// counters).
fn run(reg: &Registry, data: &[(Direction, Vec<u8>)]) -> (&'static str, AppCounters) {
    let mut eve = EveOut::new(None);
    let mut counters = AppCounters::default();
    let (a, b) = ([10u8; 16], [20u8; 16]);
    let mut app = AppState::default();
    let mut app_proto = "";
    for (d, bytes) in data {
        let hdr = FlowHdr {
            flow_id: 1,
            client: &a,
            server: &b,
            cport: 40000,
            sport: 502,
            v6: false,
            ip_proto: 6,
            ts_ns: 0,
            pcap_cnt: 1,
        };
        let mut sink = Sink {
            eve: &mut eve,
            hdr,
            app_proto,
            counters: &mut counters,
            intel: None,
            parse: true,
            det: None,
            dir: *d,
            probation: false,
        };
        app.on_data(reg, *d, bytes, Transport::Tcp, &mut sink);
        app_proto = sink.app_proto;
    }
    (app.app_proto(reg), counters)
}

#[test]
fn a_wrong_claim_fails_over_before_filling_eve_with_anomalies() {
    let ldap = payloads("probes/simpleauth.pcap");
    assert!(ldap.len() >= 4, "{}", ldap.len());
    let reg = Registry {
        defs: vec![&GREEDY_MODBUS],
    };
    let (proto, c) = run(&reg, &ldap);
    assert_eq!(proto, "failed");
    assert_eq!(c.failovers, 1);
    // what the parser would have said had it kept the flow: more than
    // probation lets through
    let mut parser = (reefwatch_ot::modbus::PROTOCOL.new_parser)();
    let mut all = TestSink::default();
    for (d, bytes) in &ldap {
        parser.parse(*d, bytes, &mut all);
    }
    parser.on_close(&mut all);
    let ours = c.anomalies_total + c.trial_events;
    let alone = (all.anomalies.len() + all.events.len()) as u64;
    eprintln!("events+anomalies: {ours} with probation, {alone} by the parser alone");
    assert!(ours < alone, "{ours} >= {alone}");
}

#[test]
fn the_protocols_own_flows_stay_claimed() {
    let modbus = payloads("core/modbus_example.pcap");
    let reg = Registry {
        defs: vec![&GREEDY_MODBUS],
    };
    let (proto, c) = run(&reg, &modbus);
    assert_eq!(proto, "modbus");
    assert_eq!(c.failovers, 0);
    assert!(
        c.trial_events == PROBATION_EVENTS as u64,
        "{}",
        c.trial_events
    );
    assert_eq!(
        c.tx_events, 0,
        "EVE is off: nothing written or counted as written"
    );
}
