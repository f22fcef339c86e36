//! The ICS keywords on real captures, with Suricata 8.0.6 as the oracle.
//!
//! Each capture's payload feed (testdata/ot, see its NOTICE) is replayed
//! through reefwatch-ot's parsers with a sink that wants facts
//! (`feed::run_detect`); every transaction event is inspected by an
//! `Engine` built from testdata/rules/ics-keywords.rules with
//! `Engine::inspect_tx`, its buffers and facts in a `TxView`. The set of
//! sids that fire per capture must equal the set of sids of Suricata's
//! alerts on the same capture (testdata/rules/expected-ics, copied from
//! ../shared/rules/expected/ics-keywords; a capture without a file had no
//! alert).
//!
//! Suricata only sees flows it identifies: with its stock configuration a
//! TCP flow whose handshake was not captured is not reassembled
//! (`stream.midstream: false`) and the OT protocols are detected on their
//! standard ports only (502, 20000, 44818). Its probes are also stricter:
//! the captures of [`NOT_IDENTIFIED`] have flows it never takes for the
//! protocol. Alerts of ours on such flows are counted apart and printed,
//! not compared.
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::PathBuf;

mod common;

use reefwatch_detect::parse::header::Protocol;
use reefwatch_detect::{Engine, FlowDetect, RuleSet, Scratch, Vars};
use reefwatch_ot::feed;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn engine() -> Engine {
    let mut vars = Vars::suricata_defaults();
    vars.set_address("EXTERNAL_NET", "any");
    let mut rs = RuleSet::new();
    let n = rs
        .load_file(&root().join("rules/ics-keywords.rules"), &vars, None)
        .unwrap();
    assert_eq!(n, 45, "skipped: {:?}", rs.skipped);
    Engine::new(rs.rules)
}

/// Captures whose flows Suricata does not identify although the handshake
/// and the standard port are there, and why.
const NOT_IDENTIFIED: &[(&str, &str)] = &[(
    "modbus/iti__pcaps__ModbusTCP__modbus_test_data_part2.pcap",
    "a function-code scan: the first request is function 0 (answered by \
     exception 0x80), which sawp-modbus's probe rejects, so Suricata never \
     detects Modbus on the flow (0 alerts on the capture)",
)];

fn standard_port(app: &str, port: u16) -> bool {
    matches!(
        (app, port),
        ("modbus", 502) | ("dnp3", 20000) | ("enip", 44818)
    )
}

struct Outcome {
    /// sids on the flows Suricata identifies
    seen: BTreeSet<u32>,
    /// sid -> alerts on flows Suricata does not identify
    apart: BTreeMap<u32, usize>,
    events: usize,
}

/// Replays `capture` (a path under testdata/ot) and inspects every event.
fn run(e: &Engine, capture: &str) -> Outcome {
    let p = root().join("ot").join(format!("{capture}.feed.tsv"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let recs = feed::parse_records(&text);
    let mut flows: BTreeMap<(String, u16, String, u16), FlowDetect> = BTreeMap::new();
    let mut s = Scratch::new(e);
    let mut out = Vec::new();
    let mut o = Outcome {
        seen: BTreeSet::new(),
        apart: BTreeMap::new(),
        events: 0,
    };
    let rules = e.rules();
    feed::run_detect(&recs, &mut |ev| {
        o.events += 1;
        let Ok(Protocol::App(app)) = Protocol::parse(ev.app_proto) else {
            return;
        };
        let (c, cp, sv, sp) = &ev.flow;
        let (ca, sa): (IpAddr, IpAddr) = (c.parse().unwrap(), sv.parse().unwrap());
        let (src, dst, sport, dport) = if ev.to_server {
            (ca, sa, *cp, *sp)
        } else {
            (sa, ca, *sp, *cp)
        };
        let fd = flows.entry(ev.flow.clone()).or_default();
        common::inspect_event(
            e,
            &mut s,
            fd,
            &ev,
            app,
            (src, sport),
            (dst, dport),
            &mut out,
        );
        let identified = ev.handshake
            && standard_port(ev.app_proto, *sp)
            && !NOT_IDENTIFIED.iter().any(|(c, _)| *c == capture);
        for a in &out {
            let sid = rules[a.rule as usize].meta.sid;
            if identified {
                o.seen.insert(sid);
            } else {
                *o.apart.entry(sid).or_default() += 1;
            }
        }
    });
    o
}

fn expected(capture: &str) -> BTreeSet<u32> {
    let name = capture.rsplit('/').next().unwrap();
    let p = root()
        .join("rules/expected-ics")
        .join(format!("{name}.jsonl"));
    let Ok(text) = std::fs::read_to_string(&p) else {
        return BTreeSet::new(); // no alert
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["signature_id"].as_u64().unwrap() as u32
        })
        .collect()
}

const CAPTURES: &[&str] = &[
    "modbus/icsnpp-modbus__testing__traces__modbus_example.pcap",
    "modbus/iti__pcaps__ModbusTCP__modbus_test_data_part1.pcap",
    "modbus/iti__pcaps__ModbusTCP__modbus_test_data_part2.pcap",
    "dnp3/iti__pcaps__bro__dnp3__dnp3_file_read.pcap",
    "dnp3/iti__pcaps__bro__dnp3__dnp3_read.pcap",
    "dnp3/iti__pcaps__bro__dnp3__dnp3_read_p20001.pcap",
    "dnp3/iti__pcaps__bro__dnp3__dnp3_select_operate.pcap",
    "dnp3/iti__pcaps__dnp3__auth_change_session_keys.pcap",
    "dnp3/iti__pcaps__dnp3__unsolcited_response_and_confirm.pcap",
    "dnp3/icsnpp-dnp3__testing__traces__dnp3_example.pcap",
    "enip-cip/icsnpp-enip__tests__traces__enip_cip_example.pcap",
    "enip-cip/icsnpp-enip__tests__traces__multiple_service_packet_cip.pcapng",
    "enip-cip/icsnpp-enip__tests__traces__set_attribute_single_service_cip.pcapng",
];

#[test]
fn ics_keyword_sids_match_suricata_per_capture() {
    let e = engine();
    let mut failures = Vec::new();
    let (mut agree, mut nonempty) = (0, 0);
    for cap in CAPTURES {
        let o = run(&e, cap);
        let want = expected(cap);
        assert!(o.events > 0, "{cap}: no events");
        nonempty += usize::from(!want.is_empty());
        println!(
            "{cap}: events {} suricata {:?} ours {:?} apart {:?}",
            o.events, want, o.seen, o.apart
        );
        if o.seen == want {
            agree += 1;
        } else {
            failures.push(format!(
                "{cap}: missing {:?}, extra {:?}",
                want.difference(&o.seen).collect::<Vec<_>>(),
                o.seen.difference(&want).collect::<Vec<_>>()
            ));
        }
    }
    println!(
        "sid sets agree on {agree}/{} captures ({nonempty} with Suricata alerts)",
        CAPTURES.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The comparison can fail: a rule set without the modbus rules misses
/// the modbus capture's sids.
#[test]
fn oracle_comparison_detects_a_missing_rule() {
    let mut vars = Vars::suricata_defaults();
    vars.set_address("EXTERNAL_NET", "any");
    let mut rs = RuleSet::new();
    rs.load_file(&root().join("rules/ics-keywords.rules"), &vars, None)
        .unwrap();
    rs.rules.retain(|r| r.meta.sid != 9100001);
    let e = Engine::new(rs.rules);
    let cap = "modbus/icsnpp-modbus__testing__traces__modbus_example.pcap";
    let o = run(&e, cap);
    assert!(expected(cap).contains(&9100001));
    assert!(!o.seen.contains(&9100001));
    assert_ne!(o.seen, expected(cap));
}
