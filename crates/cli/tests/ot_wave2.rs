//! OT wave 2 end to end: the binary on the fixtures of testdata/ot (NOTICE),
//! event counts and values checked against tshark 4.0's decode.

use std::path::PathBuf;
use std::process::Command;

fn eve(p: &str) -> Vec<serde_json::Value> {
    let f = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ot")
        .join(p);
    let out = Command::new(env!("CARGO_BIN_EXE_reefwatch"))
        .args(["analyze", "--eve", "-", "-q"])
        .arg(f)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn ads_transactions_and_identity() {
    let ev = eve("ads/iti__pcaps__beckoff__beckoffiplinktc.pcapng");
    let ads: Vec<_> = ev.iter().filter(|e| e["event_type"] == "ads").collect();
    let n = |ty: &str| ads.iter().filter(|e| e["ads"]["type"] == ty).count();
    // tshark -Y 'ams.state_response==1': 43 responses, each paired with its
    // request; one request (the last) is never answered
    assert_eq!(n("transaction"), 43);
    assert_eq!(n("unanswered"), 1);
    // UDP 48899 discovery request and response (no tshark dissector)
    assert_eq!(n("udp"), 2);
    // tshark frame 9: ReadState response, AdsState 5, DeviceState 2
    let rs = ads.iter().find(|e| e["pcap_cnt"] == 9).unwrap();
    assert_eq!(rs["ads"]["command"], "ReadState");
    assert_eq!(rs["ads"]["response"]["ads_state"], "Run");
    assert_eq!(rs["ads"]["response"]["device_state"], 2);
    // ReadDeviceInfo responses (ams.ads_devicename, ams.ads_version*)
    let names: Vec<_> = ads
        .iter()
        .filter_map(|e| e["ads"]["identity"]["device_name"].as_str())
        .collect();
    assert_eq!(names, ["PLC Server", "I/O Server"]);
    let d = ads
        .iter()
        .find(|e| e["proto"] == "UDP" && e["ads"]["response"] == true);
    assert_eq!(
        d.unwrap()["ads"]["identity"]["twincat_version"],
        "2.11.2228"
    );
}
