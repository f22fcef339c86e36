//! IEC 60870-5-104 EVE output (`event_type: iec104`), one event per APDU:
//! `apci` (type I/S/U, send/receive sequence numbers, U function), `asdu`
//! (type id and name, SQ, count, cause of transmission, negative/test bits,
//! originator, common address, information objects with IOA and decoded
//! value, quality, qualifier, select/execute, CP56 time), `command`
//! (control direction type), `id` (command ↔ confirmation ↔ termination
//! pairing, U act ↔ con), `operation`, `anomalies`.

use super::parser::*;
use super::tx::PendingCommand;
use crate::common::Operation;
use reefwatch_applayer::Anomalies;
use reefwatch_applayer::{EventSink, JsonBuilder};

const MAX_OBJECTS: usize = 256;

fn time(js: &mut JsonBuilder, key: &str, t: &Cp56) {
    js.set_fmt(
        key,
        format_args!(
            "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            t.year % 100,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.ms / 1000,
            t.ms % 1000
        ),
    );
}

pub fn log_apdu(
    a: &Apdu<&[u8]>,
    fmt: Format,
    h: Option<&AsduHeader>,
    id: Option<u64>,
    op: Option<Operation>,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("iec104", &mut |js: &mut JsonBuilder| {
        if let Some(i) = id {
            js.set_uint("id", i);
        }
        if let Some(o) = op {
            js.set_str("operation", o.as_str());
        }
        js.open_object("apci");
        js.set_uint("length", a.length() as u64);
        match fmt {
            Format::I { ns, nr } => {
                js.set_str("type", "I");
                js.set_uint("send_seq", ns as u64);
                js.set_uint("recv_seq", nr as u64);
            }
            Format::S { nr } => {
                js.set_str("type", "S");
                js.set_uint("recv_seq", nr as u64);
            }
            Format::U { function } => {
                js.set_str("type", "U");
                js.set_uint("function_raw", function as u64);
                js.set_str("function", u_function_name(function));
            }
        }
        js.close();
        if let Some(h) = h {
            js.set_bool("command", is_command(h.type_id));
            js.open_object("asdu");
            js.set_uint("type_id", h.type_id as u64);
            js.set_str("type", type_name(h.type_id));
            js.set_bool("sq", h.sq);
            js.set_uint("count", h.count as u64);
            js.set_uint("cause", h.cause as u64);
            js.set_str("cause_name", cause_name(h.cause));
            js.set_bool("negative", h.negative);
            js.set_bool("test", h.test);
            js.set_uint("originator", h.originator as u64);
            js.set_uint("common_address", h.common_address as u64);
            let objs = &a.asdu()[ASDU_HEADER_LEN..];
            let mut any = false;
            for (n, o) in ObjectIter::new(h, objs).enumerate() {
                if n == MAX_OBJECTS {
                    break;
                }
                if !any {
                    js.open_array("objects");
                    any = true;
                }
                js.start_object();
                js.set_uint("ioa", o.ioa as u64);
                let e = decode(h.type_id, o.element);
                match e.value {
                    Value::None => {}
                    Value::Uint(v) => {
                        js.set_uint("value", v);
                    }
                    Value::Int(v) => {
                        js.set_int("value", v);
                    }
                    Value::Float(v) => {
                        if v.is_finite() {
                            js.set_float("value", v);
                        } else {
                            js.set_str("value", "NaN");
                        }
                    }
                }
                if let Some(q) = e.quality {
                    js.set_uint("quality", q as u64);
                    if q & 0x80 != 0 {
                        js.set_bool("invalid", true);
                    }
                }
                if let Some(q) = e.qualifier {
                    js.set_uint("qualifier", q as u64);
                }
                if let Some(s) = e.select {
                    js.set_str("select_execute", if s { "select" } else { "execute" });
                }
                if let Some(t) = &e.time {
                    time(js, "time", t);
                }
                if matches!(h.type_id, 120..=127) {
                    js.set_hex("data", o.element);
                }
                js.close();
            }
            if any {
                js.close();
            }
            js.close();
        }
        an.log(ANOMALY_NAMES, js);
    });
}

pub fn log_unanswered(p: &PendingCommand, an: Anomalies, out: &mut dyn EventSink) {
    an.report(ANOMALY_NAMES, out);
    if !out.wants_events() {
        return;
    }
    out.event("iec104", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("status", "unanswered");
        if let Some(o) = p.operation {
            js.set_str("operation", o.as_str());
        }
        js.set_bool("command", true);
        js.open_object("asdu");
        js.set_uint("type_id", p.type_id as u64);
        js.set_str("type", type_name(p.type_id));
        js.set_uint("cause", p.cause as u64);
        js.set_uint("common_address", p.common_address as u64);
        js.open_array("objects");
        js.start_object();
        js.set_uint("ioa", p.ioa as u64);
        js.close();
        js.close();
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}
