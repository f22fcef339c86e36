//! reefwatch's own ICS keywords (`iec104.*`, `s7comm.*`; crates/detect
//! README, "ICS keywords") on real captures of testdata/ot, replayed
//! through reefwatch-ot's parsers (`feed::run_detect`) and inspected with
//! `Engine::inspect_tx`. Suricata has no parser for these protocols, so the
//! oracle is tshark 4.x: the expected number of transactions each rule
//! fires on is the number of ASDUs / S7 PDUs the display filter in the
//! comment beside it counts on the same capture (one event is one ASDU or
//! one PDU).
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

mod common;

use reefwatch_detect::parse::header::Protocol;
use reefwatch_detect::{parse_rule, Engine, FlowDetect, Scratch, Vars};
use reefwatch_ot::feed;

/// Alerts per sid of `rules` over every transaction of `capture`.
fn hits(capture: &str, rules: &[&str]) -> BTreeMap<u32, usize> {
    let v = Vars::suricata_defaults();
    let e = Engine::new(
        rules
            .iter()
            .map(|r| parse_rule(r, &v, None).unwrap_or_else(|e| panic!("{r}: {e:?}")))
            .collect(),
    );
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ot")
        .join(format!("{capture}.feed.tsv"));
    let recs = feed::parse_records(&std::fs::read_to_string(&p).unwrap());
    let mut s = Scratch::new(&e);
    let mut fd = FlowDetect::default();
    let mut out = Vec::new();
    let mut n: BTreeMap<u32, usize> = rules
        .iter()
        .map(|r| (parse_rule(r, &v, None).unwrap().meta.sid, 0))
        .collect();
    feed::run_detect(&recs, &mut |ev| {
        let Ok(Protocol::App(app)) = Protocol::parse(ev.app_proto) else {
            return;
        };
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        common::inspect_event(&e, &mut s, &mut fd, &ev, app, (a, 1), (a, 2), &mut out);
        for al in &out {
            *n.entry(e.rules()[al.rule as usize].meta.sid).or_default() += 1;
        }
    });
    n
}

#[test]
fn iec104_keywords_on_a_capture() {
    let r = |body: &str, sid: u32| format!("alert iec104 any any -> any any ({body} sid:{sid};)");
    let rules = [
        r("iec104.typeid:45;", 1),        // iec60870_asdu.typeid == 45
        r("iec104.typeid:C_SC_NA_1;", 2), // the same by name
        r("iec104.typeid:100;", 3),       // == 100 (interrogation)
        r("iec104.cot:act;", 4),          // iec60870_asdu.causetx == 6
        r("iec104.cot:spont;", 5),        // causetx == 3
        r("iec104.cot:20;", 6),           // causetx == 20 (inrogen)
        r("iec104.ca:3;", 7),             // iec60870_asdu.addr == 3: every ASDU
        r("iec104.ca:4;", 8),             // none
        r("iec104.ioa:1300;", 9),         // iec60870_asdu.ioa == 1300
        r("iec104.ioa:4500-4602;", 10),   // 4500 < ioa < 4602: 4501, 4600, 4601
        r("iec104.command;", 11),         // control-direction types with causetx 6 or 8
        r("iec104.command; iec104.typeid:100;", 12),
        r("iec104.typeid:13; iec104.cot:spont;", 13),
        r("iec104.typeid:>=45; iec104.cot:actterm;", 14), // causetx == 10
    ];
    let refs: Vec<&str> = rules.iter().map(String::as_str).collect();
    let n = hits(
        "iec104/iti__pcaps__IEC60870-5-104__090813_diverse.pcap",
        &refs,
    );
    let want: BTreeMap<u32, usize> = [
        (1, 5),
        (2, 5),
        (3, 3),
        (4, 19),
        (5, 18),
        (6, 2),
        (7, 72),
        (8, 0),
        (9, 9),
        (10, 21),
        (11, 19),
        (12, 1),
        (13, 10),
        (14, 11),
    ]
    .into_iter()
    .collect();
    assert_eq!(n, want);
}

#[test]
fn s7comm_keywords_on_a_capture() {
    let r = |body: &str, sid: u32| format!("alert s7comm any any -> any any ({body} sid:{sid};)");
    let rules = [
        r("s7comm.plc_stop;", 1),              // rosctr == 1 && param.func == 0x29
        r("s7comm.function:0x29;", 2),         // param.func == 0x29 (job and ack_data)
        r("s7comm.function:0x28;", 3),         // PI service, job and ack_data
        r("s7comm.block:upload;", 4),          // rosctr == 1 && func in {0x1d 0x1e 0x1f}
        r("s7comm.block:download;", 5),        // func in {0x1a 0x1b 0x1c}: none
        r("s7comm.block:download|upload;", 6), // as 4
        r("s7comm.szl_id:0x0011;", 7),         // s7comm.data.userdata.szl_id == 0x0011
        r("s7comm.szl_id:0x0424;", 8),
        r("s7comm.szl_id:0x0011; flow:to_server;", 9), // requests only
    ];
    let refs: Vec<&str> = rules.iter().map(String::as_str).collect();
    let n = hits("s7comm/iti__pcaps__s7__snap7_s300_everything.pcapng", &refs);
    let want: BTreeMap<u32, usize> = [
        (1, 1),
        (2, 2),
        (3, 6),
        (4, 13),
        (5, 0),
        (6, 13),
        (7, 4),
        (8, 2),
        (9, 2),
    ]
    .into_iter()
    .collect();
    assert_eq!(n, want);
}

/// The README's examples of these keywords load.
#[test]
fn readme_examples_parse() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(p).unwrap();
    let v = Vars::suricata_defaults();
    let rules: Vec<&str> = text.lines().filter(|l| l.starts_with("alert ")).collect();
    assert_eq!(rules.len(), 5);
    for r in rules {
        parse_rule(r, &v, None).unwrap_or_else(|e| panic!("{r}: {e:?}"));
    }
}
