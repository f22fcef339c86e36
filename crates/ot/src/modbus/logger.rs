//! Modbus EVE output (`event_type: modbus`), following Suricata's schema:
//! `{"id", "request": {...}, "response": {...}}`. reefwatch logs one event
//! per message so each joins its packet (`pcap_cnt`): `"type"` says which
//! message completed the event (`request`, `response`, or `unanswered` at
//! flow end). A response event repeats the request summary, so it alone is
//! a full transaction record.

use super::parser::*;
use super::tx::PendingRequest;
use crate::common::{set_trimmed, Operation};
use reefwatch_applayer::Anomalies;
use reefwatch_applayer::{EventSink, JsonBuilder};

/// Values logged per message at most (a Modbus PDU carries ≤ 2000 bits).
const MAX_VALUES: usize = 2000;

fn values(js: &mut JsonBuilder, v: &Values<'_>) {
    let n = v.count().min(MAX_VALUES);
    if n == 0 {
        return;
    }
    js.open_array("values");
    for i in 0..n {
        if let Some(x) = v.get(i) {
            js.append_uint(x as u64);
        }
    }
    js.close();
}

fn header(js: &mut JsonBuilder, tid: u16, unit: u8, fc: u8) {
    js.set_uint("transaction_id", tid as u64);
    js.set_uint("protocol_id", 0);
    js.set_uint("unit_id", unit as u64);
    js.set_uint("function_raw", fc as u64);
    js.set_str("function_code", function_name(fc));
    js.set_str("category", function_category(fc));
    js.set_str("access_type", access_type(fc));
}

fn op(js: &mut JsonBuilder, o: Option<Operation>) {
    if let Some(o) = o {
        js.set_str("operation", o.as_str());
    }
}

fn request_summary(js: &mut JsonBuilder, p: &PendingRequest) {
    js.open_object("request");
    header(js, p.transaction_id, p.unit_id, p.function);
    if let (Some(a), Some(q)) = (p.read_address, p.read_quantity) {
        js.open_object("read");
        js.set_uint("address", a as u64);
        js.set_uint("quantity", q as u64);
        js.close();
    }
    if let Some(a) = p.write_address {
        js.open_object("write");
        js.set_uint("address", a as u64);
        if let Some(q) = p.write_quantity {
            js.set_uint("quantity", q as u64);
        }
        js.close();
    }
    if let Some(s) = p.subfunction {
        js.open_object("diagnostic");
        js.set_uint("raw", s as u64);
        js.set_str("code", diagnostic_name(s));
        js.close();
    }
    if let Some(m) = p.mei_type {
        js.open_object("mei");
        js.set_uint("raw", m as u64);
        js.set_str("code", mei_name(m));
        js.close();
    }
    if let Some(u) = p.umas_function {
        js.open_object("umas");
        js.set_uint("function_raw", u as u64);
        js.set_str("function", umas_name(u));
        js.close();
    }
    js.close();
}

pub fn diagnostic_name(s: u16) -> &'static str {
    match s {
        0 => "ReturnQueryData",
        1 => "RestartCommunicationsOption",
        2 => "ReturnDiagnosticRegister",
        3 => "ChangeAsciiInputDelimiter",
        4 => "ForceListenOnlyMode",
        10 => "ClearCountersAndDiagnosticRegister",
        11 => "ReturnBusMessageCount",
        12 => "ReturnBusCommunicationErrorCount",
        13 => "ReturnBusExceptionErrorCount",
        14 => "ReturnServerMessageCount",
        15 => "ReturnServerNoResponseCount",
        16 => "ReturnServerNAKCount",
        17 => "ReturnServerBusyCount",
        18 => "ReturnBusCharacterOverrunCount",
        20 => "ClearOverrunCounterAndFlag",
        _ => "Unknown",
    }
}

pub fn mei_name(m: u8) -> &'static str {
    match m {
        13 => "CANopenGeneralReference",
        14 => "ReadDeviceId",
        _ => "Unknown",
    }
}

pub fn umas_name(u: u8) -> &'static str {
    match u {
        0x01 => "init_comm",
        0x02 => "read_id",
        0x03 => "read_project_info",
        0x04 => "read_plc_info",
        0x06 => "read_card_info",
        0x0a => "repeat",
        0x10 => "take_plc_reservation",
        0x11 => "release_plc_reservation",
        0x12 => "keep_alive",
        0x20 => "read_memory_block",
        0x21 => "write_memory_block",
        0x22 => "read_variables",
        0x23 => "write_variables",
        0x24 => "read_coils_registers",
        0x25 => "write_coils_registers",
        0x30 => "initialize_upload",
        0x31 => "upload_block",
        0x32 => "end_upload",
        0x33 => "initialize_download",
        0x34 => "download_block",
        0x35 => "end_download",
        0x39 => "read_ethernet_master_data",
        0x40 => "start_plc",
        0x41 => "stop_plc",
        0x50 => "monitor_plc",
        0x58 => "check_plc",
        0x70 => "read_io_object",
        0x71 => "write_io_object",
        0x73 => "get_status_module",
        0xfe => "response_ok",
        0xfd => "response_error",
        _ => "unknown",
    }
}

pub fn log_request(
    id: u64,
    f: &Frame<&[u8]>,
    r: &Request<'_>,
    p: &PendingRequest,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("modbus", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str("type", "request");
        op(js, p.operation);
        js.open_object("request");
        header(js, f.transaction_id(), f.unit_id(), r.function);
        if let (Some(a), Some(q)) = (r.read_address, r.read_quantity) {
            js.open_object("read");
            js.set_uint("address", a as u64);
            js.set_uint("quantity", q as u64);
            js.close();
        } else if let Some(a) = r.read_address {
            js.open_object("read");
            js.set_uint("address", a as u64);
            js.close();
        }
        if let Some(a) = r.write_address {
            js.open_object("write");
            js.set_uint("address", a as u64);
            if let Some(q) = r.write_quantity {
                js.set_uint("quantity", q as u64);
            }
            if matches!(r.function, 5 | 6) {
                if let Some(v) = be16_pair(r) {
                    js.set_uint("data", v as u64);
                }
            }
            if let (Some(a), Some(o)) = (r.and_mask, r.or_mask) {
                js.set_uint("and_mask", a as u64);
                js.set_uint("or_mask", o as u64);
            }
            values(js, &r.write_values);
            js.close();
        }
        if let Some(s) = r.subfunction {
            js.open_object("diagnostic");
            js.set_uint("raw", s as u64);
            js.set_str("code", diagnostic_name(s));
            js.set_hex("data", r.data);
            js.close();
        }
        if let Some(m) = r.mei_type {
            js.open_object("mei");
            js.set_uint("raw", m as u64);
            js.set_str("code", mei_name(m));
            if let Some(c) = r.read_device_id_code {
                js.set_uint("read_device_id_code", c as u64);
            }
            if let Some(o) = r.object_id {
                js.set_uint("object_id", o as u64);
            }
            js.set_hex("data", r.data);
            js.close();
        }
        if let Some(u) = r.umas_function {
            js.open_object("umas");
            js.set_uint("function_raw", u as u64);
            js.set_str("function", umas_name(u));
            js.close();
        }
        if r.subfunction.is_none() && r.mei_type.is_none() && !r.data.is_empty() {
            js.set_hex("data", &r.data[..r.data.len().min(512)]);
        }
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}

fn be16_pair(r: &Request<'_>) -> Option<u16> {
    match r.write_values {
        Values::Registers(b) if b.len() >= 2 => Some(u16::from_be_bytes([b[0], b[1]])),
        // single coil: 0xff00 = on
        Values::Bits(b, 1) if !b.is_empty() => Some(if b[0] == 0xff { 0xff00 } else { 0 }),
        _ => None,
    }
}

pub fn log_response(
    id: u64,
    f: &Frame<&[u8]>,
    r: &Response<'_>,
    p: Option<&PendingRequest>,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("modbus", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str("type", "response");
        if let Some(p) = p {
            op(js, p.operation);
            request_summary(js, p);
        }
        js.open_object("response");
        header(js, f.transaction_id(), f.unit_id(), f.function_code());
        if let Some(e) = r.exception {
            js.open_object("exception");
            js.set_uint("raw", e as u64);
            js.set_str("code", exception_name(e));
            js.close();
        }
        if r.values != Values::None && !matches!(r.function, 5 | 6) {
            js.open_object("read");
            if let Some(p) = p {
                if let Some(a) = p.read_address {
                    js.set_uint("address", a as u64);
                }
            }
            js.set_uint("quantity", r.values.count() as u64);
            js.set_hex("data", r.values.raw());
            values(js, &r.values);
            js.close();
        }
        if let Some(a) = r.write_address {
            js.open_object("write");
            js.set_uint("address", a as u64);
            if let Some(q) = r.write_quantity {
                js.set_uint("quantity", q as u64);
            }
            if matches!(r.function, 5 | 6) {
                if let Values::Registers(b) = r.values {
                    if b.len() >= 2 {
                        js.set_uint("data", u16::from_be_bytes([b[0], b[1]]) as u64);
                    }
                } else if let Values::Bits(b, _) = r.values {
                    if let Some(&x) = b.first() {
                        js.set_uint("data", if x == 0xff { 0xff00 } else { 0 });
                    }
                }
            }
            js.close();
        }
        if let Some(s) = r.subfunction {
            js.open_object("diagnostic");
            js.set_uint("raw", s as u64);
            js.set_str("code", diagnostic_name(s));
            js.set_hex("data", r.data);
            js.close();
        }
        if let Some(m) = r.mei_type {
            js.open_object("mei");
            js.set_uint("raw", m as u64);
            js.set_str("code", mei_name(m));
            if let Some(c) = r.read_device_id_code {
                js.set_uint("read_device_id_code", c as u64);
            }
            if let Some(c) = r.conformity_level {
                js.set_uint("conformity_level", c as u64);
            }
            if let Some(c) = r.more_follows {
                js.set_bool("more_follows", c != 0);
            }
            if let Some(c) = r.next_object_id {
                js.set_uint("next_object_id", c as u64);
            }
            js.close();
            if m == 14 {
                js.open_object("device_identification");
                for o in DeviceIdIter::new(r) {
                    let name = device_id_object_name(o.id);
                    if name == "other" {
                        continue;
                    }
                    set_trimmed(js, name, o.value);
                }
                js.open_array("objects");
                for o in DeviceIdIter::new(r) {
                    js.start_object();
                    js.set_uint("id", o.id as u64);
                    js.set_bytes_str("value", o.value);
                    js.close();
                }
                js.close();
                js.close();
            }
        }
        if let Some(u) = r.umas_function {
            js.open_object("umas");
            js.set_uint("function_raw", u as u64);
            js.set_str("function", umas_name(u));
            js.close();
        }
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}

pub fn log_unanswered(p: &PendingRequest, an: Anomalies, out: &mut dyn EventSink) {
    an.report(ANOMALY_NAMES, out);
    if !out.wants_events() {
        return;
    }
    out.event("modbus", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("type", "unanswered");
        op(js, p.operation);
        request_summary(js, p);
        an.log(ANOMALY_NAMES, js);
    });
}
