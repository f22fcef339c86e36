//! MELSEC EVE output (`event_type: melsec`): one event per frame
//! (`"type"`: `request`, `response`, `unanswered` at flow end); a
//! response repeats its request's summary, so it alone is a full
//! transaction record (as `modbus`).

use super::parser::*;
use super::tx::PendingRequest;
use crate::common::{set_trimmed, Operation};
use reefwatch_applayer::{Anomalies, EventSink, JsonBuilder};

/// Data bytes logged (hex, or the ASCII text) per frame at most.
pub const MAX_DATA_LOGGED: usize = 256;

fn op(js: &mut JsonBuilder, o: Option<Operation>) {
    if let Some(o) = o {
        js.set_str("operation", o.as_str());
    }
}

fn frame_hdr(js: &mut JsonBuilder, kind: Kind, ascii: bool, serial: Option<u16>, r: &Route) {
    js.set_str("frame", kind.as_str());
    js.set_str("encoding", if ascii { "ascii" } else { "binary" });
    if let Some(s) = serial {
        js.set_uint("serial", s as u64);
    }
    js.set_uint("network", r.network as u64);
    js.set_uint("pc", r.pc as u64);
    js.set_uint("module_io", r.module_io as u64);
    js.set_uint("station", r.station as u64);
}

fn summary(js: &mut JsonBuilder, p: &PendingRequest) {
    frame_hdr(js, p.kind, p.ascii, p.serial, &p.route);
    js.set_uint("monitoring_timer", p.timer as u64);
    js.set_uint("command_raw", p.command as u64);
    js.set_str("command", command_name(p.command));
    js.set_uint("subcommand", p.subcommand as u64);
    if let Some(d) = &p.device {
        js.open_object("device");
        js.set_uint("code_raw", d.code as u64);
        js.set_str("code", device_name(d.code));
        js.set_uint("head", d.head as u64);
        js.set_uint("points", d.points as u64);
        js.set_str("unit", if d.bits { "bit" } else { "word" });
        js.close();
    }
}

fn data(js: &mut JsonBuilder, ascii: bool, d: &[u8]) {
    if d.is_empty() {
        return;
    }
    js.set_uint("data_len", d.len() as u64);
    let d = &d[..d.len().min(MAX_DATA_LOGGED)];
    if ascii {
        js.set_bytes_str("data", d);
    } else {
        js.set_hex("data", d);
    }
}

pub fn log_request(p: &PendingRequest, f: &Frame<'_>, an: Anomalies, out: &mut dyn EventSink) {
    out.event("melsec", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("type", "request");
        op(js, p.operation);
        js.open_object("request");
        summary(js, p);
        js.set_uint("data_length", f.data_len as u64);
        let d = match (f.command, &p.device) {
            // the written values after the device
            (0x0401 | 0x1401, Some(_)) => {
                let w = f.fields().width(if p.subcommand & 2 != 0 { 8 } else { 6 });
                f.data.get(w..).unwrap_or(&[])
            }
            _ => f.data,
        };
        data(js, f.ascii, d);
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}

pub fn log_response(
    id: u64,
    p: Option<&PendingRequest>,
    f: &Frame<'_>,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("melsec", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str("type", "response");
        if let Some(p) = p {
            op(js, p.operation);
            js.open_object("request");
            summary(js, p);
            js.close();
        }
        js.open_object("response");
        frame_hdr(js, f.kind, f.ascii, f.serial, &f.route);
        js.set_uint("data_length", f.data_len as u64);
        js.set_uint("end_code", f.end_code as u64);
        let fl = f.fields();
        if f.end_code != 0 {
            // error information: the request's route, command, subcommand
            let w = |n| fl.width(n);
            if let (Some(c), Some(s)) = (fl.u16(w(5)), fl.u16(w(7))) {
                js.open_object("error");
                js.set_uint("network", fl.u8(0).unwrap_or(0) as u64);
                js.set_uint("station", fl.u8(w(4)).unwrap_or(0) as u64);
                js.set_uint("command_raw", c as u64);
                js.set_str("command", command_name(c));
                js.set_uint("subcommand", s as u64);
                js.close();
            }
        } else if p.is_some_and(|p| p.command == 0x0101) {
            if let Some((name, code)) = cpu_model(&fl) {
                js.open_object("identity");
                set_trimmed(js, "model", name);
                js.set_uint("model_code", code as u64);
                js.close();
            }
        } else {
            data(js, f.ascii, f.data);
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
    out.event("melsec", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("type", "unanswered");
        op(js, p.operation);
        js.open_object("request");
        summary(js, p);
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}
