//! The matcher against Suricata's documented semantics (docs.suricata.io,
//! "Payload Keywords"); each case names the rule of the docs it checks.
use std::net::{IpAddr, Ipv4Addr};

use reefwatch_detect::{parse_rule, Engine, FlowDetect, PacketView, Rule, Scratch, Vars};

fn rule(body: &str) -> Rule {
    let text = format!("alert tcp any any -> any any ({body} sid:1;)");
    parse_rule(&text, &Vars::suricata_defaults(), None).unwrap()
}

fn pkt(payload: &[u8]) -> PacketView<'_> {
    PacketView {
        ts_ns: 0,
        src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        sport: 1234,
        dport: 80,
        ip_proto: 6,
        tcp_flags: Some(0x18),
        icmp: None,
        payload,
        to_server: Some(true),
        established: true,
        app_proto: None,
        stream_bytes: [0, 0],
        flow_id: 1,
    }
}

fn hits(rules: &[&str], payload: &[u8]) -> Vec<u32> {
    let e = Engine::new(rules.iter().map(|r| rule(r)).collect());
    let mut s = Scratch::new(&e);
    let mut f = FlowDetect::default();
    let mut out = Vec::new();
    e.inspect_packet(&pkt(payload), &mut f, &mut s, &mut out);
    out.iter().map(|a| a.rule).collect()
}

fn m(body: &str, payload: &[u8]) -> bool {
    !hits(&[body], payload).is_empty()
}

#[test]
fn content_modifiers() {
    assert!(m("content:\"abc\";", b"xxabcxx"));
    assert!(!m("content:\"ABC\";", b"xxabcxx"));
    assert!(m("content:\"ABC\"; nocase;", b"xxabcxx"));
    // depth 3: only the first 3 bytes; offset 2 depth 3: bytes 2..5
    assert!(m("content:\"abc\"; depth:3;", b"abcd"));
    assert!(!m("content:\"abc\"; depth:3;", b"xabc"));
    assert!(m("content:\"abc\"; offset:2; depth:3;", b"xxabc"));
    assert!(!m("content:\"abc\"; offset:3; depth:3;", b"xxabc"));
    // startswith / endswith
    assert!(m("content:\"GET\"; startswith;", b"GET /"));
    assert!(!m("content:\"GET\"; startswith;", b" GET /"));
    assert!(m("content:\"end\"; endswith;", b"the end"));
    assert!(!m("content:\"end\"; endswith;", b"the end."));
    // endswith retries later occurrences
    assert!(m("content:\"ab\"; endswith;", b"ab ab"));
}

#[test]
fn relative_contents_and_the_recursive_retry() {
    // docs: content:"one"; content:"two"; distance:0; within:3 ...
    assert!(m(
        "content:\"ab\"; content:\"cd\"; distance:0; within:2;",
        b"ab xx abcd"
    ));
    // the first "ab" fails within, the retry at the second "ab" matches
    assert!(!m(
        "content:\"ab\"; content:\"cd\"; distance:0; within:2;",
        b"ab xx cd"
    ));
    // distance 1: skips one byte
    assert!(m(
        "content:\"a\"; content:\"c\"; distance:1; within:1;",
        b"abc"
    ));
    assert!(!m(
        "content:\"a\"; content:\"b\"; distance:1; within:1;",
        b"abc"
    ));
    // negative distance
    assert!(m(
        "content:\"cd\"; content:\"ab\"; distance:-4; within:2;",
        b"abcd"
    ));
    // three-step chain needing retries at two levels
    assert!(m(
        "content:\"a\"; content:\"b\"; distance:0; within:1; content:\"c\"; distance:0; within:1;",
        b"ab ax abc"
    ));
}

#[test]
fn negated_contents() {
    assert!(m("content:\"abc\"; content:!\"evil\";", b"abc good"));
    assert!(!m("content:\"abc\"; content:!\"evil\";", b"abc evil"));
    // a relative negation only looks in its window
    assert!(m(
        "content:\"abc\"; content:!\"x\"; distance:0; within:2;",
        b"abcyyx"
    ));
    assert!(!m(
        "content:\"abc\"; content:!\"x\"; distance:0; within:2;",
        b"abcyx"
    ));
}

#[test]
fn pcre_and_byte_keywords() {
    assert!(m("content:\"id=\"; pcre:\"/id=[0-9]{3}/\";", b"?id=123"));
    assert!(!m("content:\"id=\"; pcre:\"/id=[0-9]{3}/\";", b"?id=12x"));
    // /R: relative to the previous match; ^ anchors there
    assert!(m("content:\"id=\"; pcre:\"/^[0-9]+/R\";", b"?id=42"));
    assert!(!m("content:\"id=\"; pcre:\"/^[0-9]+/R\";", b"?id=x42"));
    assert!(m("content:\"x\"; pcre:!\"/evil/i\";", b"x good"));
    assert!(!m("content:\"x\"; pcre:!\"/evil/i\";", b"x EVIL"));
    // byte_test: 2 bytes big-endian at offset 1 > 0x100
    assert!(m("content:\"Z\"; byte_test:2,>,256,1;", b"Z\x01\x02"));
    assert!(!m("content:\"Z\"; byte_test:2,>,256,1;", b"Z\x00\x02"));
    assert!(m(
        "content:\"Z\"; byte_test:2,=,513,1,little;",
        b"Z\x01\x02"
    ));
    assert!(m(
        "content:\"len=\"; byte_test:3,=,123,0,relative,string,dec;",
        b"len=123"
    ));
    // byte_jump: length byte then skip it, content relative after
    assert!(m(
        "content:\"L\"; byte_jump:1,0,relative; content:\"OK\"; within:2;",
        b"L\x03abcOK"
    ));
    assert!(!m(
        "content:\"L\"; byte_jump:1,0,relative; content:\"OK\"; within:2;",
        b"L\x02abcOK"
    ));
    // byte_extract a length, used as within
    assert!(m(
        "content:\"L\"; byte_extract:1,0,n,relative; content:\"Q\"; distance:1; within:n;",
        b"L\x03abQ"
    ));
    assert!(!m(
        "content:\"L\"; byte_extract:1,0,n,relative; content:\"Q\"; distance:1; within:n;",
        b"L\x01abQ"
    ));
    // isdataat
    assert!(m("content:\"ab\"; isdataat:2,relative;", b"abxx"));
    assert!(!m("content:\"ab\"; isdataat:3,relative;", b"abxx"));
    assert!(m("content:\"ab\"; isdataat:!3,relative;", b"abxx"));
}

#[test]
fn header_conditions_flowbits_pass() {
    assert!(m("dsize:>3; content:\"ab\";", b"abcd"));
    assert!(!m("dsize:<3; content:\"ab\";", b"abcd"));
    assert!(m("flow:established,to_server; content:\"ab\";", b"ab"));
    assert!(!m("flow:to_client; content:\"ab\";", b"ab"));
    assert!(m("flags:PA; content:\"ab\";", b"ab"));
    assert!(!m("flags:S; content:\"ab\";", b"ab"));
    // flowbits: a noalert setter enables the checker in the same flow
    let e = Engine::new(vec![
        rule("content:\"login\"; flowbits:set,auth; flowbits:noalert;"),
        parse_rule(
            "alert tcp any any -> any any (content:\"cmd\"; flowbits:isset,auth; sid:2;)",
            &Vars::suricata_defaults(),
            None,
        )
        .unwrap(),
    ]);
    let mut s = Scratch::new(&e);
    let mut f = FlowDetect::default();
    let mut out = Vec::new();
    e.inspect_packet(&pkt(b"cmd"), &mut f, &mut s, &mut out);
    assert!(out.is_empty());
    e.inspect_packet(&pkt(b"login"), &mut f, &mut s, &mut out);
    assert!(out.is_empty(), "noalert");
    assert_eq!(f.flowbit_count(), 1);
    e.inspect_packet(&pkt(b"cmd"), &mut f, &mut s, &mut out);
    assert_eq!(out.iter().map(|a| a.rule).collect::<Vec<_>>(), vec![1]);
    // pass ends detection for the flow
    let e = Engine::new(vec![
        parse_rule(
            "pass tcp any any -> any any (content:\"ok\"; sid:3;)",
            &Vars::suricata_defaults(),
            None,
        )
        .unwrap(),
        rule("content:\"ok\";"),
    ]);
    let mut s = Scratch::new(&e);
    let mut f = FlowDetect::default();
    let mut out = Vec::new();
    e.inspect_packet(&pkt(b"ok"), &mut f, &mut s, &mut out);
    assert!(f.passed());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].rule, 0);
}

#[test]
fn tx_rules_on_buffers_and_facts() {
    use reefwatch_applayer::{BufferId, Fact, ModbusAccess, ModbusTable};
    use reefwatch_detect::parse::header::AppProto;
    use reefwatch_detect::TxView;
    let v = Vars::suricata_defaults();
    let e = Engine::new(vec![
        parse_rule(
            "alert modbus any any -> any any (modbus: access write holding, address 1, value >1000; sid:10;)",
            &v,
            None,
        )
        .unwrap(),
        parse_rule(
            "alert http any any -> any any (http.uri; content:\"/admin\"; startswith; sid:11;)",
            &v,
            None,
        )
        .unwrap(),
    ]);
    let mut s = Scratch::new(&e);
    let mut f = FlowDetect::default();
    let mut out = Vec::new();
    let mut p = pkt(b"");
    p.app_proto = Some(AppProto::Modbus);
    let write = |value| Fact::Modbus {
        request: true,
        function: 6,
        subfunction: None,
        unit: 1,
        access: Some(ModbusAccess {
            write: true,
            table: ModbusTable::Holding,
            // PDU address 0: register 1 in the keyword's 1-based numbers
            address: 0,
            quantity: 1,
            value: Some(value),
        }),
        rw_write: None,
    };
    let facts = [write(999)];
    let tx = TxView {
        buffers: &[],
        facts: &facts,
        to_server: true,
    };
    e.inspect_tx(&p, &tx, &mut f, &mut s, &mut out);
    assert!(out.is_empty());
    let facts = [write(1001)];
    let tx = TxView {
        buffers: &[],
        facts: &facts,
        to_server: true,
    };
    e.inspect_tx(&p, &tx, &mut f, &mut s, &mut out);
    assert_eq!(out.len(), 1);
    assert!(out[0].tx && out[0].rule == 0);
    out.clear();
    p.app_proto = Some(AppProto::Http);
    let bufs: [(BufferId, &[u8]); 2] = [
        (BufferId::HttpUri, b"/x/admin"),
        (BufferId::HttpUri, b"/admin/x"),
    ];
    let tx = TxView {
        buffers: &bufs,
        facts: &[],
        to_server: true,
    };
    e.inspect_tx(&p, &tx, &mut f, &mut s, &mut out);
    assert_eq!(
        out.iter().map(|a| a.rule).collect::<Vec<_>>(),
        vec![1],
        "one instance matches"
    );
}

#[test]
fn threshold_limits_alerts_not_matches() {
    let e = Engine::new(vec![rule(
        "content:\"x\"; threshold: type limit, track by_src, count 2, seconds 60;",
    )]);
    let mut s = Scratch::new(&e);
    let mut f = FlowDetect::default();
    let mut n = 0;
    for _ in 0..5 {
        let mut out = Vec::new();
        e.inspect_packet(&pkt(b"x"), &mut f, &mut s, &mut out);
        n += out.len();
    }
    assert_eq!(n, 2);
}
