//! Protocol detection end to end on small real captures that a probe
//! used to claim wrongly (testdata/probes, credited in
//! testdata/probes/NOTICE). The expected label of each flow is what
//! tshark 4.0.17 dissects on it, mapped to our names as
//! scripts/detection-matrix.py does: a protocol we do not decode must come
//! out as "failed" (data seen, no protocol), never as one of ours.

use reefwatch_sensor::{analyze, AnalyzeOptions, EngineConfig};
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

/// (server port, app_proto) of every TCP/UDP flow, and all events.
fn run(name: &str) -> (Vec<(u64, String)>, Vec<Value>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/probes")
        .join(name);
    let buf = Shared::default();
    let dest: reefwatch_sensor::eve::EveDest = Arc::new(Mutex::new(Box::new(buf.clone())));
    analyze(AnalyzeOptions {
        inputs: vec![path],
        eve: Some(dest),
        threads: 1,
        engine: EngineConfig::default(),
        progress: false,
        intel: None,
        rules: None,
        rules_skipped: 0,
    });
    let bytes = buf.0.lock().unwrap().clone();
    let events: Vec<Value> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("EVE line is JSON"))
        .collect();
    let mut flows: Vec<(u64, String)> = events
        .iter()
        .filter(|e| e["event_type"] == "flow" && (e["proto"] == "TCP" || e["proto"] == "UDP"))
        .map(|e| {
            (
                e["dest_port"].as_u64().unwrap_or(0),
                e["app_proto"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    flows.sort();
    (flows, events)
}

fn label(flows: &[(u64, String)], port: u64) -> Vec<&str> {
    flows
        .iter()
        .filter(|(p, _)| *p == port)
        .map(|(_, a)| a.as_str())
        .collect()
}

#[test]
fn iec61850_mms_is_not_s7comm() {
    // one MMS association on 102: COTP CR/CC, then ISO session/presentation
    // (tshark: 4 MMS PDUs; ours since MMS exists)
    let (flows, events) = run("iti__pcaps__IEC61850__iec.pcap");
    assert_eq!(label(&flows, 102), ["mms"]);
    assert!(!events.iter().any(|e| e["event_type"] == "s7comm"));
    let mms = events.iter().filter(|e| e["event_type"] == "mms").count();
    assert!(mms >= 4, "{mms}");
    // anomalies are MMS's own (the session ACCEPT tshark calls malformed)
    assert!(events
        .iter()
        .filter(|e| e["event_type"] == "anomaly")
        .all(|e| e["anomaly"]["event"]
            .as_str()
            .unwrap_or("")
            .starts_with("mms.")));
}

#[test]
fn cotp_connect_attempts_are_not_s7comm() {
    // COTP CR/CC on 102 and nothing else (tshark: tpkt/cotp)
    let (flows, _) = run("iti__pcaps__profinet__Profinet_Failed.pcap");
    let l = label(&flows, 102);
    assert!(!l.is_empty());
    assert!(l.iter().all(|a| *a != "s7comm" && *a != "rdp"), "{l:?}");
}

#[test]
fn onc_rpc_mount_is_not_dns() {
    let (flows, _) = run("mount-unmount.pcap");
    let l = label(&flows, 20048);
    assert!(
        !l.is_empty() && l.iter().all(|a| *a == "failed"),
        "{flows:?}"
    );
    assert!(!flows.iter().any(|(_, a)| a == "dns"), "{flows:?}");
}

#[test]
fn opc_ua_is_not_dns() {
    // once labelled dns; since the OPC UA parser, every flow is opcua
    let (flows, _) = run("icsnpp-opcua__tests__traces__pending_overflow.pcap");
    let l = label(&flows, 4840);
    assert_eq!(l.len(), 12, "{flows:?}");
    assert!(l.iter().all(|a| *a == "opcua"), "{l:?}");
    assert!(!flows.iter().any(|(_, a)| a == "dns"), "{flows:?}");
}

#[test]
fn ldap_is_not_modbus() {
    // zeek simpleauth.pcap: a simple bind and a search on 3268
    let (flows, events) = run("simpleauth.pcap");
    assert_eq!(label(&flows, 3268), ["failed"]);
    assert!(!events.iter().any(|e| e["event_type"] == "modbus"));
}

#[test]
fn hart_ip_is_not_modbus() {
    let (flows, events) = run("iti__pcaps__hart__hart_ip.pcap");
    let l = label(&flows, 5094);
    assert!(
        !l.is_empty() && l.iter().all(|a| *a == "hart_ip"),
        "{flows:?}"
    );
    assert!(!events.iter().any(|e| e["event_type"] == "modbus"));
}

#[test]
fn rdp_confirm_with_a_bad_negotiation_is_not_rdp() {
    // zeek rdp-invalid-length.pcap: garbage to 3389, an X.224 CC whose
    // RDP negotiation length is 0 (tshark: tpkt/cotp, no rdp)
    let (flows, _) = run("rdp-invalid-length.pcap");
    assert_eq!(label(&flows, 3389), ["failed"]);
}

#[test]
fn buffered_request_keeps_its_packet_number() {
    // ITI EthernetIP/enip_test.pcap: a TCP ListIdentity request (frame 6)
    // proves little alone, so the probe waits; the reply (frame 7)
    // confirms. The request's event belongs to frame 6, as tshark says.
    let (flows, events) = run("iti__pcaps__EthernetIP__enip_test.pcap");
    assert_eq!(label(&flows, 44818), ["", "enip"]);
    let cnts: Vec<u64> = events
        .iter()
        .filter(|e| e["event_type"] == "enip")
        .map(|e| e["pcap_cnt"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(cnts, [6, 7], "{events:?}");
}
