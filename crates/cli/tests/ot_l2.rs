//! The layer-2 path end to end: GOOSE captures through the binary, values
//! checked against what tshark 4.x decodes of the same frames
//! (`tshark -r F -Y goose -T fields -e goose.appid -e goose.gocbRef …`).

use serde_json::Value;
use std::process::Command;

fn eve(file: &str) -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ot/goose/").to_string() + file;
    let out = Command::new(env!("CARGO_BIN_EXE_reefwatch"))
        .args(["analyze", &path, "--eve", "-", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn goose(ev: &[Value]) -> Vec<&Value> {
    ev.iter().filter(|e| e["event_type"] == "goose").collect()
}

#[test]
fn goose_state_events_retransmissions_and_a_sqnum_reset() {
    let ev = eve("iti__pcaps__IEC61850__GOOSE__GOOSE.pcap");
    let g = goose(&ev);
    // tshark: 8 frames, APPID 1, one gocbRef, stNum 1 throughout; sqNum
    // 10, 11, 12, then 1..5 (frame 4: reset without a new stNum)
    assert_eq!(g.len(), 3, "{g:?}");
    let first = &g[0];
    assert_eq!(first["pcap_cnt"], 1);
    assert_eq!(first["ether"]["src_mac"], "00:a0:f4:08:2f:77");
    let o = &first["goose"];
    assert_eq!(o["kind"], "new_stream");
    assert_eq!(o["appid"], 1);
    assert_eq!(o["length"], 145);
    assert_eq!(o["gocb_ref"], "GEDeviceF650/LLN0$GO$gcb01");
    assert_eq!(o["dat_set"], "GEDeviceF650/LLN0$GOOSE1");
    assert_eq!(o["go_id"], "F650_GOOSE1");
    assert_eq!(o["time_allowed_to_live"], 40000);
    assert_eq!(o["t"], "2000-01-02T02:46:11.258165Z");
    assert_eq!(
        (o["st_num"].as_u64(), o["sq_num"].as_u64()),
        (Some(1), Some(10))
    );
    assert_eq!(o["conf_rev"], 1);
    assert_eq!(o["num_dat_set_entries"], 8);
    assert_eq!(o["value_count"], 8);
    assert_eq!(
        o["values"][0],
        serde_json::json!({"type": "boolean", "value": false})
    );
    assert_eq!(o["values"][1]["type"], "bit-string");
    assert_eq!(o["values"][1]["padding"], 3);
    let reset = &g[1];
    assert_eq!(reset["pcap_cnt"], 4);
    assert_eq!(reset["goose"]["kind"], "anomaly");
    assert_eq!(reset["goose"]["sq_num"], 1);
    assert_eq!(reset["goose"]["time_allowed_to_live"], 1000);
    assert_eq!(reset["goose"]["anomalies"][0], "goose.sqnum_reset");
    let end = &g[2]["goose"];
    assert_eq!(end["kind"], "end");
    assert_eq!(
        (end["frames"].as_u64(), end["retransmissions"].as_u64()),
        (Some(8), Some(7))
    );
    assert!(ev
        .iter()
        .any(|e| e["event_type"] == "anomaly" && e["anomaly"]["event"] == "goose.sqnum_reset"));
}

#[test]
fn goose_vlan_tagged() {
    let ev = eve("iti__pcaps__IEC61850__GOOSE__GOOSE_DEMO.pcap");
    let g = goose(&ev);
    // tshark: VLAN 10, APPID 0x2000, gocbRef 111, datSet 222, goID 333,
    // TTL 10000, stNum 1, sqNum 1, 10 booleans
    assert_eq!(g[0]["vlan"][0], 10);
    let o = &g[0]["goose"];
    assert_eq!(o["appid"], 0x2000);
    assert_eq!(
        (
            o["gocb_ref"].as_str(),
            o["dat_set"].as_str(),
            o["go_id"].as_str()
        ),
        (Some("111"), Some("222"), Some("333"))
    );
    assert_eq!(o["time_allowed_to_live"], 10000);
    assert_eq!(o["value_count"], 10);
    assert_eq!(o["t"], "2011-05-26T00:55:54.859000Z");
    assert_eq!(g[1]["goose"]["frames"], 1);
}
