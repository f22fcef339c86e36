//! DNP3 EVE output (`event_type: dnp3`), following Suricata's schema: one
//! event per application fragment with `type` (`request`, `response`,
//! `unsolicited_response`), link `src`/`dst`/`control`, `iin` and
//! `application` (control, function_code, objects with points).
//! reefwatch adds: `id` (request/response pairing), `function` (name),
//! `link` (`crc_ok`, transport header, segment count), point values,
//! `authentication` for secure-authentication objects, `operation`,
//! `anomalies`; and `type: "link"` events for link-layer-only frames.

use super::parser::*;
use super::tx::{LinkInfo, PendingRequest};
use crate::common::Operation;
use reefwatch_applayer::Anomalies;
use reefwatch_applayer::{EventSink, JsonBuilder};

/// Points logged per object at most.
const MAX_POINTS: usize = 512;

fn control(js: &mut JsonBuilder, c: u8) {
    let prm = c & 0x40 != 0;
    js.open_object("control");
    js.set_bool("dir", c & 0x80 != 0);
    js.set_bool("pri", prm);
    js.set_bool("fcb", c & 0x20 != 0);
    js.set_bool("fcv", c & 0x10 != 0);
    js.set_uint("function_code", (c & 0x0f) as u64);
    js.set_str("function", link_function_name(prm, c & 0x0f));
    js.close();
}

fn link_obj(js: &mut JsonBuilder, l: &LinkInfo) {
    js.set_uint("src", l.src as u64);
    js.set_uint("dst", l.dst as u64);
    control(js, l.control);
    js.open_object("link");
    js.set_bool("crc_ok", l.crc_ok);
    if let Some(t) = l.transport {
        js.open_object("transport");
        js.set_bool("fin", t & 0x80 != 0);
        js.set_bool("fir", t & 0x40 != 0);
        js.set_uint("sequence", (t & 0x3f) as u64);
        js.close();
        js.set_uint("segments", l.segments as u64);
    }
    js.close();
}

pub fn log_link(l: &LinkInfo, an: Anomalies, out: &mut dyn EventSink) {
    out.event("dnp3", &mut |js: &mut JsonBuilder| {
        js.set_str("type", "link");
        link_obj(js, l);
        an.log(ANOMALY_NAMES, js);
    });
}

pub fn log_unanswered(p: &PendingRequest, an: Anomalies, out: &mut dyn EventSink) {
    an.report(ANOMALY_NAMES, out);
    if !out.wants_events() {
        return;
    }
    out.event("dnp3", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("type", "unanswered");
        if let Some(o) = p.operation {
            js.set_str("operation", o.as_str());
        }
        js.open_object("application");
        js.set_uint("function_code", p.function as u64);
        js.set_str("function", function_name(p.function));
        js.open_object("control");
        js.set_uint("sequence", p.seq as u64);
        js.close();
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}

fn value(js: &mut JsonBuilder, v: Value) {
    match v {
        Value::None => {}
        Value::Uint(x) => {
            js.set_uint("value", x);
        }
        Value::Int(x) => {
            js.set_int("value", x);
        }
        Value::Float(x) => {
            if x.is_finite() {
                js.set_float("value", x);
            } else {
                js.set_str(
                    "value",
                    if x.is_nan() {
                        "NaN"
                    } else if x > 0.0 {
                        "inf"
                    } else {
                        "-inf"
                    },
                );
            }
        }
    }
}

fn points(js: &mut JsonBuilder, o: &Object<'_>) {
    if matches!(o.size, Size::None | Size::Unknown)
        || o.data.is_empty() && !matches!(o.size, Size::Packed(_))
    {
        return;
    }
    js.open_array("points");
    let mut n = 0;
    for p in PointIter::new(*o) {
        if n == MAX_POINTS {
            break;
        }
        n += 1;
        js.start_object();
        js.set_uint("index", p.index as u64);
        if let Some(pf) = p.prefix {
            js.set_uint("prefix", pf as u64);
        }
        value(js, p.value);
        if let Some(f) = p.flags {
            js.set_uint("flags", f as u64);
        }
        if let Some(t) = p.time {
            js.set_uint("timestamp", t);
        }
        if let Some((code, count, on, off, status)) = p.crob {
            js.set_uint("control_code", code as u64);
            js.set_uint("count", count as u64);
            js.set_uint("on_time", on as u64);
            js.set_uint("off_time", off as u64);
            js.set_uint("status", status as u64);
        } else if let Some(s) = p.status {
            js.set_uint("status", s as u64);
        }
        match o.size {
            Size::Prefixed | Size::Attribute => {
                let raw = p.raw;
                js.set_uint("size", raw.len() as u64);
                if o.group == 0 && raw.len() >= 2 {
                    js.set_uint("data_type", raw[0] as u64);
                    let v = &raw[2..];
                    if raw[0] == 1 {
                        js.set_bytes_str("string", v);
                    } else {
                        js.set_hex("data", v);
                    }
                } else if o.group == 70 && o.variation == 3 && raw.len() >= 2 {
                    // file command: name offset/size then strings; show text
                    js.set_hex("data", &raw[..raw.len().min(256)]);
                } else {
                    js.set_hex("data", &raw[..raw.len().min(256)]);
                }
            }
            Size::Fixed(_) if matches!(o.group, 110..=113) => {
                js.set_bytes_str("octets", p.raw);
            }
            _ => {}
        }
        js.close();
    }
    js.close();
    if n == MAX_POINTS && (o.count as usize) > MAX_POINTS {
        js.set_bool("points_truncated", true);
    }
}

#[allow(clippy::too_many_arguments)]
pub fn log_fragment(
    kind: &str,
    id: u64,
    op: Option<Operation>,
    link: &LinkInfo,
    h: &AppHeader,
    objects: &[u8],
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("dnp3", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str("type", kind);
        if let Some(o) = op {
            js.set_str("operation", o.as_str());
        }
        link_obj(js, link);
        if let Some(iin) = h.iin {
            js.open_object("iin");
            js.set_uint("raw", iin as u64);
            if iin != 0 {
                js.open_array("indicators");
                for (i, n) in IIN_NAMES.iter().enumerate() {
                    if iin & (1 << i) != 0 {
                        js.append_str(n);
                    }
                }
                js.close();
            }
            js.close();
        }
        js.open_object("application");
        js.open_object("control");
        js.set_bool("fir", h.fir());
        js.set_bool("fin", h.fin());
        js.set_bool("con", h.con());
        js.set_bool("uns", h.uns());
        js.set_uint("sequence", h.seq() as u64);
        js.close();
        js.set_uint("function_code", h.function as u64);
        js.set_str("function", function_name(h.function));
        let mut oan = Anomalies::default();
        let mut any = false;
        let mut auth: Option<u8> = None;
        for o in ObjectIter::new(objects, h.function, &mut oan) {
            if !any {
                js.open_array("objects");
                any = true;
            }
            if o.group == 120 && auth.is_none() {
                auth = Some(o.variation);
            }
            js.start_object();
            js.set_uint("group", o.group as u64);
            js.set_uint("variation", o.variation as u64);
            js.set_str("name", group_name(o.group));
            js.set_uint("qualifier", o.qualifier as u64);
            js.set_uint("prefix_code", o.prefix_code() as u64);
            js.set_uint("range_code", o.range_code() as u64);
            if let (Some(s), Some(e)) = (o.start, o.stop) {
                js.set_uint("start", s as u64);
                js.set_uint("stop", e as u64);
            }
            js.set_uint("count", o.count as u64);
            points(js, &o);
            js.close();
        }
        if any {
            js.close();
        }
        js.set_bool(
            "complete",
            !oan.has(A_TRUNCATED_OBJECT)
                && !oan.has(A_UNKNOWN_OBJECT)
                && !oan.has(A_BAD_QUALIFIER)
                && !oan.has(A_BAD_RANGE),
        );
        js.close();
        if auth.is_some() || matches!(h.function, 32 | 33 | 131) {
            js.open_object("authentication");
            if let Some(v) = auth {
                js.set_uint("variation", v as u64);
                js.set_str("message", auth_name(v));
            }
            js.close();
        }
        an.log(ANOMALY_NAMES, js);
    });
}
