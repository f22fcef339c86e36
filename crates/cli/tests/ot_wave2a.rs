//! Omron FINS, HART-IP and MELSEC end to end: the binary on the fixtures
//! of testdata/ot (see its NOTICE). Message counts and field values are
//! tshark 4.0's (`scripts/conformance-tshark.sh --only omron,hart_ip`:
//! every message found, all compared fields agree); MELSEC has no
//! dissector in tshark and no MC protocol capture is shared, so the
//! MELSOFT captures check that nothing claims them (issue #15: they were
//! labelled modbus).

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn eve(rel: &str) -> Vec<Value> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ot")
        .join(rel);
    let out = Command::new(env!("CARGO_BIN_EXE_reefwatch"))
        .args(["analyze", p.to_str().unwrap(), "--eve", "-", "-q"])
        .output()
        .expect("run reefwatch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("EVE line is JSON"))
        .collect()
}

fn of<'a>(ev: &'a [Value], t: &str) -> Vec<&'a Value> {
    ev.iter().filter(|e| e["event_type"] == t).collect()
}

fn messages(ev: &[Value], t: &str) -> usize {
    of(ev, t)
        .iter()
        .filter(|e| e[t]["type"] != "unanswered")
        .count()
}

fn flow_protos(ev: &[Value]) -> Vec<String> {
    of(ev, "flow")
        .iter()
        .map(|e| e["app_proto"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn omron_fins_udp_and_tcp() {
    // tshark: 243, 16 and 6 (2 node address, 2 TCP frames, 2 UDP) omron
    // messages
    for (f, n) in [
        ("omron-fins/icsnpp-fins__testing__traces__omron.pcap", 243),
        (
            "omron-fins/icsnpp-fins__testing__traces__omron_fins_tcp_commands_responses.pcap",
            16,
        ),
        ("omron-fins/iti__pcaps__omron__omron_test.pcap", 6),
    ] {
        let ev = eve(f);
        assert_eq!(messages(&ev, "omron"), n, "{f}");
        assert!(!flow_protos(&ev).iter().any(|p| p == "modbus"));
    }
    let ev = eve("omron-fins/iti__pcaps__omron__omron_test.pcap");
    let o = of(&ev, "omron");
    // frame 7: node address data send, client node 251, server node 200
    let na = o
        .iter()
        .find(|e| e["omron"]["tcp"]["command"] == 1)
        .expect("node address");
    assert_eq!(na["pcap_cnt"], 7);
    assert_eq!(na["omron"]["client_node"], 251);
    assert_eq!(na["omron"]["server_node"], 200);
    // frame 9: controller data read over TCP, paired with frame 8's
    // command by SID 5: model CP1L-EL20DR-D, version 01.00
    let r = o.iter().find(|e| e["pcap_cnt"] == 9).expect("frame 9");
    let x = &r["omron"];
    assert_eq!(x["type"], "response");
    assert_eq!(x["operation"], "identify");
    assert_eq!(x["request"]["sid"], 5);
    assert_eq!(x["response"]["end_code_raw"], 0);
    assert_eq!(x["response"]["identity"]["model"], "CP1L-EL20DR-D");
    assert_eq!(x["response"]["identity"]["version"], "01.00");
    assert!(x.get("anomalies").is_none(), "{x}");
    // UDP frame 18 answers frame 17 (SID 0xef, sent to node 0 = local)
    let u = o.iter().find(|e| e["pcap_cnt"] == 18).expect("frame 18");
    assert_eq!(
        u["omron"]["id"],
        o.iter().find(|e| e["pcap_cnt"] == 17).unwrap()["omron"]["id"]
    );
    assert!(u["omron"].get("anomalies").is_none());
    // run and stop are operations; clock write a time sync
    let ev = eve("omron-fins/icsnpp-fins__testing__traces__omron_fins_tcp_commands_responses.pcap");
    let ops: Vec<_> = of(&ev, "omron")
        .iter()
        .filter(|e| e["omron"]["type"] == "request")
        .map(|e| e["omron"]["operation"].as_str().unwrap_or("").to_string())
        .collect();
    for want in ["run", "stop", "identify", "time_sync"] {
        assert!(ops.iter().any(|o| o == want), "{want}: {ops:?}");
    }
}

#[test]
fn hart_ip_tcp_and_udp_sessions() {
    // tshark: 49 hart_ip messages, one of them quoted in an ICMP error
    let ev = eve("hart-ip/iti__pcaps__hart__hart_ip.pcap");
    assert_eq!(messages(&ev, "hart_ip"), 48);
    let protos = flow_protos(&ev);
    assert_eq!(protos.iter().filter(|p| *p == "hart_ip").count(), 3);
    assert!(!protos.iter().any(|p| p == "modbus"));
    let h = of(&ev, "hart_ip");
    // frame 81 (TCP): command 0 response to the short-address request of
    // frame 80: identity of the device
    let r = h.iter().find(|e| e["pcap_cnt"] == 81).expect("frame 81");
    let x = &r["hart_ip"];
    assert_eq!(x["type"], "response");
    assert_eq!(x["operation"], "identify");
    assert_eq!(x["request"]["sequence"], 3);
    assert_eq!(x["request"]["polling_address"], 0);
    assert_eq!(x["pdu"]["command"], 0);
    assert_eq!(x["pdu"]["checksum_ok"], true);
    let id = &x["identity"];
    assert_eq!(id["manufacturer_id"], 38);
    assert_eq!(id["expanded_device_type"], 0x264e);
    assert_eq!(id["device_id"], 0xd2);
    assert_eq!(id["universal_revision"], 7);
    // frame 102: command 20, long tag "wihartgw"
    let t = h.iter().find(|e| e["pcap_cnt"] == 102).expect("frame 102");
    assert_eq!(t["hart_ip"]["long_tag"], "wihartgw");
    // the TCP session: initiate (frame 78: 60000 ms timer) ... close
    let i = h.iter().find(|e| e["pcap_cnt"] == 78).unwrap();
    assert_eq!(i["hart_ip"]["session"]["inactivity_close_timer"], 60000);
    let c = h.iter().find(|e| e["pcap_cnt"] == 113).unwrap();
    assert_eq!(c["hart_ip"]["header"]["message_id"], "session_close");
    assert!(h
        .iter()
        .filter(|e| e["proto"] == "TCP")
        .all(|e| e["hart_ip"].get("anomalies").is_none()));
}

#[test]
fn melsoft_is_not_modbus_nor_melsec() {
    for f in [
        "melsec/melsoft_129_clean-first200.pcap",
        "melsec/iti__pcaps__MELSEC__melsoft_UDP_clean_2.pcap",
    ] {
        let ev = eve(f);
        let protos = flow_protos(&ev);
        assert!(!protos.is_empty());
        assert!(
            protos.iter().all(|p| p.is_empty() || p == "failed"),
            "{f}: {protos:?}"
        );
        assert!(of(&ev, "modbus").is_empty() && of(&ev, "melsec").is_empty());
    }
}
