//! Integration tests on real captures (testdata/ot, see NOTICE): the payload
//! feeds beside each capture are replayed through the parsers the way the
//! engine feeds them. Expected message counts are tshark 4.0's (the number
//! of messages `scripts/conformance-tshark.sh` counts for the file, after
//! its documented exclusions); field values were checked against tshark.

use reefwatch_ot::feed;
use serde_json::Value;
use std::path::PathBuf;

fn events(rel: &str) -> Vec<(u64, String, Value)> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ot")
        .join(format!("{rel}.feed.tsv"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let recs = feed::parse_records(&text);
    assert!(!recs.is_empty());
    let mut out = Vec::new();
    feed::run(&recs, true, &mut |e| {
        let v: Value = serde_json::from_str(&e.json).expect("valid JSON");
        out.push((e.frame, e.event_type.to_string(), v));
    });
    out
}

/// Events that stand for one message on the wire (as the conformance
/// modules count them).
fn is_message(t: &str, v: &Value) -> bool {
    match t {
        "modbus" | "enip" => matches!(v["type"].as_str(), Some("request") | Some("response")),
        "dnp3" => matches!(
            v["type"].as_str(),
            Some("link") | Some("request") | Some("response") | Some("unsolicited_response")
        ),
        "iec104" => v.get("apci").is_some(),
        "bacnet" => v["type"] != "unanswered",
        "mms" => v.get("pdu").is_some_and(|p| p != "acse"),
        "s7comm" => v["protocol"] == "s7comm" && v.get("rosctr_raw").is_some(),
        _ => false,
    }
}

fn count(ev: &[(u64, String, Value)], t: &str) -> usize {
    ev.iter()
        .filter(|(_, et, v)| et == t && is_message(et, v))
        .count()
}

#[test]
fn modbus_fixtures_match_tshark_counts() {
    for (f, n) in [
        (
            "modbus/icsnpp-modbus__testing__traces__modbus_example.pcap",
            48,
        ),
        (
            "modbus/iti__pcaps__ModbusTCP__modbus_test_data_part1.pcap",
            45,
        ),
        (
            "modbus/iti__pcaps__ModbusTCP__modbus_test_data_part2.pcap",
            281,
        ),
    ] {
        assert_eq!(count(&events(f), "modbus"), n, "{f}");
    }
    let ev = events("modbus/icsnpp-modbus__testing__traces__modbus_example.pcap");
    // first exchange: read coils unit 4 address 1 qty 1, answered with 1
    let (fr, _, req) = &ev[0];
    assert_eq!(*fr, 4);
    assert_eq!(req["request"]["read"]["address"], 1);
    let (_, _, resp) = &ev[1];
    assert_eq!(resp["id"], req["id"]);
    assert_eq!(resp["response"]["read"]["values"][0], 1);
    // writes are marked
    assert!(ev.iter().any(|(_, _, v)| v["operation"] == "write"));
}

#[test]
fn dnp3_fixtures() {
    for (f, n) in [
        // tshark: 727, plus 4 fragments whose transport sequence wraps from
        // 63 to 0 (frames 18, 114, 210, 810: tshark leaves them
        // unreassembled) and frame 311 (tshark reassembly overlap conflict)
        ("dnp3/icsnpp-dnp3__testing__traces__dnp3_example.pcap", 732),
        ("dnp3/iti__pcaps__bro__dnp3__dnp3_file_read.pcap", 11),
        ("dnp3/iti__pcaps__bro__dnp3__dnp3_read.pcap", 2),
        ("dnp3/iti__pcaps__bro__dnp3__dnp3_read_p20001.pcap", 2),
        ("dnp3/iti__pcaps__bro__dnp3__dnp3_select_operate.pcap", 4),
        ("dnp3/iti__pcaps__dnp3__auth_change_session_keys.pcap", 4),
        (
            "dnp3/iti__pcaps__dnp3__unsolcited_response_and_confirm.pcap",
            2,
        ),
    ] {
        assert_eq!(count(&events(f), "dnp3"), n, "{f}");
    }
    // non-standard port found by content; objects and points decoded
    let ev = events("dnp3/iti__pcaps__bro__dnp3__dnp3_read_p20001.pcap");
    let objs = &ev[0].2["application"]["objects"];
    assert_eq!(objs.as_array().map(|a| a.len()), Some(4));
    assert_eq!(objs[0]["group"], 60);
    let resp = &ev[1].2;
    assert_eq!(resp["type"], "response");
    assert_eq!(resp["id"], ev[0].2["id"]);
    assert_eq!(resp["link"]["crc_ok"], true);
    let pts = &resp["application"]["objects"][0]["points"];
    assert_eq!(pts.as_array().map(|a| a.len()), Some(9));
    // select/operate flagged as writes; SA recognised; unsolicited flagged
    let ev = events("dnp3/iti__pcaps__bro__dnp3__dnp3_select_operate.pcap");
    assert!(ev
        .iter()
        .any(|(_, _, v)| v["application"]["function"] == "operate" && v["operation"] == "write"));
    let ev = events("dnp3/iti__pcaps__dnp3__auth_change_session_keys.pcap");
    assert!(ev.iter().any(|(_, _, v)| v.get("authentication").is_some()));
    let ev = events("dnp3/iti__pcaps__dnp3__unsolcited_response_and_confirm.pcap");
    assert!(ev
        .iter()
        .any(|(_, _, v)| v["type"] == "unsolicited_response"));
}

#[test]
fn iec104_fixtures() {
    for (f, n) in [
        ("iec104/iti__pcaps__IEC60870-5-104__090813_diverse.pcap", 86),
        (
            "iec104/iti__pcaps__IEC60870-5-104__TestDissectIec104.pcap",
            65,
        ),
    ] {
        assert_eq!(count(&events(f), "iec104"), n, "{f}");
    }
    let ev = events("iec104/iti__pcaps__IEC60870-5-104__090813_diverse.pcap");
    let first = &ev[0].2;
    assert_eq!(first["apci"]["send_seq"], 77);
    assert_eq!(first["asdu"]["type"], "M_ME_NC_1");
    assert_eq!(first["asdu"]["objects"][0]["ioa"], 1300);
    assert_eq!(first["asdu"]["objects"][0]["value"], 30.0);
    // the single command with time tag: act, actcon, actterm share an id
    let cmds: Vec<&Value> = ev
        .iter()
        .map(|(_, _, v)| v)
        .filter(|v| v["asdu"]["type_id"] == 58)
        .collect();
    assert!(cmds.len() >= 3);
    assert_eq!(cmds[0]["asdu"]["cause_name"], "act");
    assert_eq!(cmds[0]["operation"], "write");
    assert_eq!(cmds[1]["id"], cmds[0]["id"]);
    assert!(ev
        .iter()
        .any(|(_, _, v)| v["apci"]["function"] == "TESTFR act"));
}

#[test]
fn s7comm_fixtures_and_identity() {
    for (f, n) in [
        ("s7comm/icsnpp-s7comm__tests__traces__s7ident.pcap", 22),
        ("s7comm/iti__pcaps__s7__s7comm_reading_plc_status.pcap", 144),
        ("s7comm/iti__pcaps__s7__snap7_s300_everything.pcapng", 64),
        (
            "s7comm-plus/icsnpp-s7comm__tests__traces__s7comm_plus.pcap",
            34,
        ),
    ] {
        assert_eq!(count(&events(f), "s7comm"), n, "{f}");
    }
    let ev = events("s7comm/icsnpp-s7comm__tests__traces__s7ident.pcap");
    let id = ev
        .iter()
        .find_map(|(_, _, v)| {
            v.get("identity")
                .filter(|i| i.get("order_number").is_some())
        })
        .expect("module identity");
    assert_eq!(id["order_number"], "6ES7 315-2EH14-0AB0");
    assert_eq!(id["firmware"], "V3.2.6");
    assert!(ev
        .iter()
        .any(|(_, _, v)| v["identity"]["module_name"] == "CPU 315-2 PN/DP"));
    assert!(ev
        .iter()
        .any(|(_, _, v)| v["protocol"] == "cotp" && v["cotp"]["type"] == "CR"));
    let ev = events("s7comm/iti__pcaps__s7__snap7_s300_everything.pcapng");
    for op in ["stop", "program_upload", "time_sync", "write"] {
        assert!(ev.iter().any(|(_, _, v)| v["operation"] == op), "{op}");
    }
    let ev = events("s7comm-plus/icsnpp-s7comm__tests__traces__s7comm_plus.pcap");
    assert!(ev
        .iter()
        .any(|(_, _, v)| v["protocol"] == "s7comm-plus" && v["s7comm_plus"]["version"] == 3));
}

#[test]
fn enip_fixtures() {
    for (f, n) in [
        (
            "enip-cip/icsnpp-enip__tests__traces__enip_cip_example.pcap",
            269,
        ),
        (
            "enip-cip/icsnpp-enip__tests__traces__multiple_service_packet_cip.pcapng",
            1,
        ),
        (
            "enip-cip/icsnpp-enip__tests__traces__set_attribute_single_service_cip.pcapng",
            1,
        ),
    ] {
        assert_eq!(count(&events(f), "enip"), n, "{f}");
    }
    let ev = events("enip-cip/icsnpp-enip__tests__traces__set_attribute_single_service_cip.pcapng");
    let c = &ev[0].2["request"]["cip"];
    assert_eq!(c["service"], "Set_Attribute_Single");
    assert_eq!(ev[0].2["operation"], "write");
    let ev = events("enip-cip/icsnpp-enip__tests__traces__multiple_service_packet_cip.pcapng");
    assert!(ev[0].2["request"]["cip"]["multiple"]
        .as_array()
        .is_some_and(|a| a.len() > 1));
    let ev = events("enip-cip/icsnpp-enip__tests__traces__enip_cip_example.pcap");
    let resp = ev
        .iter()
        .find(|(_, _, v)| v["type"] == "response" && v["request"]["cip"]["service_raw"] == 10)
        .expect("paired MSP response");
    // tshark (frame 4): Multiple Service Packet response, Number of
    // Services: 11, each a Get Attribute List response
    assert_eq!(resp.0, 4);
    let m = resp.2["response"]["cip"]["multiple"]
        .as_array()
        .expect("multiple");
    assert_eq!(m.len(), 11);
    assert!(m.iter().all(|s| s["service_raw"] == 3), "{m:?}");
}

/// The event of `frame` (bacnet: one per datagram).
fn at(ev: &[(u64, String, Value)], frame: u64) -> &Value {
    &ev.iter()
        .find(|(f, t, _)| *f == frame && t == "bacnet")
        .unwrap_or_else(|| panic!("no event at frame {frame}"))
        .2
}

#[test]
fn bacnet_fixtures_match_tshark() {
    // tshark 4.0: frames with a BVLC message
    for (f, n) in [
        (
            "bacnet/icsnpp-bacnet__testing__traces__bacnet_error_reject_abort.pcap",
            45,
        ),
        (
            "bacnet/icsnpp-bacnet__testing__traces__bacnet_segmented_data.pcap",
            20,
        ),
        ("bacnet/iti__pcaps__BACnet__bacnet_test.pcap", 22),
    ] {
        assert_eq!(count(&events(f), "bacnet"), n, "{f}");
    }
    let ev = events("bacnet/icsnpp-bacnet__testing__traces__bacnet_error_reject_abort.pcap");
    // frame 1: confirmed acknowledgeAlarm, invoke 24, control 0x04
    let a = at(&ev, 1);
    assert_eq!(a["npdu"]["control"], 4);
    assert_eq!(a["apdu"]["invoke_id"], 24);
    assert_eq!(a["apdu"]["service"], "acknowledgeAlarm");
    // frame 29: I-Am device 101, vendor 1337
    let a = &at(&ev, 29)["apdu"];
    assert_eq!(a["service"], "i-Am");
    assert_eq!(a["device"]["instance"], 101);
    assert_eq!(a["vendor_id"], 1337);
    // frame 13: ReadProperty device 101 vendor-name (121)
    let a = &at(&ev, 13)["apdu"];
    assert_eq!(a["object"]["instance"], 101);
    assert_eq!(a["property_raw"], 121);
    // frame 14: ReadPropertyMultiple refs 121, 70, 28, 76
    let props: Vec<u64> = at(&ev, 14)["apdu"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["property_raw"].as_u64().unwrap())
        .collect();
    assert_eq!(props, [121, 70, 28, 76]);
    // ReinitializeDevice (frame 19) and DCC (frame 17) are marked
    assert_eq!(at(&ev, 19)["operation"], "restart");
    assert_eq!(at(&ev, 17)["operation"], "config_change");
    // error class services (5) code password-failure (26); reject reason 9;
    // abort reason 0 — sent the same way as the requests in this trace, so
    // they answer nothing and are flagged
    let e = &at(&ev, 43)["apdu"];
    assert_eq!(e["error_class_raw"], 5);
    assert_eq!(e["error_code"], "password-failure");
    assert_eq!(at(&ev, 44)["apdu"]["reason"], "unrecognized-service");
    assert_eq!(at(&ev, 45)["apdu"]["reason_raw"], 0);
    assert!(at(&ev, 44)["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "bacnet.unsolicited_response"));

    let ev = events("bacnet/icsnpp-bacnet__testing__traces__bacnet_segmented_data.pcap");
    // frame 12 ReadProperty object-list of device 254, invoke 93; frame 13
    // the ComplexACK pairs with it
    let (req, ack) = (at(&ev, 12), at(&ev, 13));
    assert_eq!(req["apdu"]["invoke_id"], 93);
    assert_eq!(ack["type"], "response");
    assert_eq!(ack["id"], req["id"]);
    assert_eq!(ack["request"]["apdu"]["property"], "object-list");
    // frames 15..18: a segmented ComplexACK (invoke 94) with SegmentACKs
    let s = &at(&ev, 15)["apdu"];
    assert_eq!(s["segmented"], true);
    assert_eq!(s["more_follows"], true);
    assert_eq!(at(&ev, 16)["apdu"]["pdu_type"], "segment_ack");
    assert_eq!(at(&ev, 18)["id"], at(&ev, 14)["id"]);
    assert!(
        ev.iter().all(|(_, _, v)| v.get("anomalies").is_none()),
        "{ev:?}"
    );

    let ev = events("bacnet/iti__pcaps__BACnet__bacnet_test.pcap");
    for f in (4..=20).step_by(2) {
        let r = at(&ev, f);
        assert_eq!(r["id"], at(&ev, f - 1)["id"], "frame {f}");
        assert_eq!(r["apdu"]["object"]["instance"], 4194303);
    }
}

#[test]
fn opcua_fixtures_one_event_per_transaction() {
    // open62541 GetEndpoints: HEL/ACK, OPN, GetEndpoints, CLO (tshark: 7
    // messages, CLO alone)
    let ev = events("opcua/icsnpp-opcua__pcaps__open62541_client-server-getEndpoints.pcap");
    let ua: Vec<&Value> = ev.iter().filter(|e| e.1 == "opcua").map(|e| &e.2).collect();
    let kinds: Vec<&str> = ua.iter().map(|v| v["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "hello",
            "open_secure_channel",
            "service",
            "close_secure_channel"
        ]
    );
    let ge = &ua[2];
    assert_eq!(ge["request"]["service"], "GetEndpointsRequest");
    assert_eq!(ge["request"]["endpoint_url"], "opc.tcp://localhost:4840");
    assert_eq!(ge["response"]["endpoints"].as_array().unwrap().len(), 0);
    // the response event is the response's frame (15 in tshark)
    assert_eq!(
        ev.iter()
            .find(|e| e.1 == "opcua" && e.2["id"] == 3)
            .unwrap()
            .0,
        15
    );

    // python-opcua: a None channel, then Basic256Sha256: only channel facts
    let ev = events("opcua/icsnpp-opcua__pcaps__python_opcua-client-server_encrypted.pcap");
    let ua: Vec<&Value> = ev.iter().filter(|e| e.1 == "opcua").map(|e| &e.2).collect();
    // the server's identity from GetEndpoints on the None channel
    let ge = ua
        .iter()
        .find(|v| v["request"]["service"] == "GetEndpointsRequest")
        .unwrap();
    let ep = &ge["response"]["endpoints"][0];
    assert_eq!(
        ep["server"]["application_uri"],
        "urn:freeopcua:python:server"
    );
    assert_eq!(ep["server"]["application_name"], "FreeOpcUa Python Server");
    assert_eq!(ep["server_certificate"]["length"], 850);
    let opn: Vec<&&Value> = ua
        .iter()
        .filter(|v| v["type"] == "open_secure_channel")
        .collect();
    assert_eq!(opn.len(), 2);
    assert_eq!(
        opn[1]["request"]["security_policy_uri"],
        "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"
    );
    assert_eq!(opn[1]["request"]["sender_certificate"]["length"], 850);
    let sec: Vec<&&Value> = ua
        .iter()
        .filter(|v| v["type"] == "secure_message")
        .collect();
    assert!(!sec.is_empty());
    for v in sec {
        let m = v.get("request").or(v.get("response")).unwrap();
        assert_eq!(m["secured"], true);
        assert!(m.get("service").is_none() && m.get("request_id").is_none());
    }
}

#[test]
fn mms_fixtures_match_tshark() {
    for (f, n) in [
        ("mms/iti__pcaps__IEC61850__piccolo.pcap", 5),
        // tshark's 5 and the 4 PDUs of the first flow, picked up mid-stream,
        // which tshark leaves at the presentation layer (no context known)
        ("mms/iti__pcaps__IEC61850__iec.pcap", 9),
        (
            "mms/iti__pcaps__IEC61850__MMS_-_Specific_Commands__iec61850_get_name_list.pcap",
            5,
        ),
    ] {
        let ev = events(f);
        assert_eq!(count(&ev, "mms"), n, "{f}");
        assert!(!ev.iter().any(|(_, t, _)| t == "s7comm"), "{f}");
    }
    // piccolo: identify (frame 3) answered with the vendor, model and
    // revision tshark shows (frame 4)
    let ev = events("mms/iti__pcaps__IEC61850__piccolo.pcap");
    let (_, _, req) = ev.iter().find(|(f, t, _)| *f == 3 && t == "mms").unwrap();
    assert_eq!(req["service"], "identify");
    assert_eq!(req["operation"], "identify");
    let (_, _, rsp) = ev.iter().find(|(f, t, _)| *f == 4 && t == "mms").unwrap();
    assert_eq!(rsp["identity"]["vendor"], "INFO TECH");
    assert_eq!(rsp["identity"]["model"], "S61850 for PC");
    assert_eq!(rsp["identity"]["revision"], "0.0.1");
    assert_eq!(rsp["id"], req["id"]);
    // frame 2: initiate response inside the ACSE AARE (accepted)
    let (_, _, ini) = ev.iter().find(|(f, t, _)| *f == 2 && t == "mms").unwrap();
    assert_eq!(ini["pdu"], "initiate_response");
    assert_eq!(ini["acse"]["result"], 0);
    // iec.pcap: a write of an IEC 61850 nameplate attribute, integer 0
    let ev = events("mms/iti__pcaps__IEC61850__iec.pcap");
    let w = ev
        .iter()
        .map(|(_, _, v)| v)
        .find(|v| v["service"] == "write" && v["pdu"] == "confirmed_request")
        .unwrap();
    assert_eq!(w["variables"][0]["vmd"], "ACTSETGGIO80$DC$NamPlt$vendor");
    assert_eq!(w["values"][0]["type"], "integer");
    assert_eq!(w["operation"], "write");
}
