//! BACnet EVE output (`event_type: bacnet`): one event per message so each
//! joins its packet (`pcap_cnt`), as Modbus does; `"type"` is `request`
//! (confirmed), `unconfirmed`, `response`, `message` (BVLC-only or
//! network-layer) or `unanswered` (at flow end). A response event carries
//! the request's summary under `"request"` and shares its `id`, so it alone
//! is a full transaction record.
//!
//! ```text
//! {"id":1,"type":"response","operation":…,
//!  "bvlc":{"function":…,"function_raw":…,"length":…,"origin":"ip:port"},
//!  "npdu":{"control":…,"dnet":…,"dadr":"hex",…,"message_type":…},
//!  "apdu":{"pdu_type":…,"invoke_id":…,"service":…,<service fields>},
//!  "request":{"apdu":{…}},"anomalies":[…]}
//! ```

use super::names::*;
use super::parser::*;
use super::services::{Detail, PropRef, Property, MAX_REFS};
use super::state::Pending;
use super::tags::{app_tag_name, ObjectId};
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, EventSink, JsonBuilder};

fn object(js: &mut JsonBuilder, key: &str, o: Option<ObjectId>) {
    if let Some(o) = o {
        js.open_object(key);
        js.set_str("type", object_type(o.object_type));
        js.set_uint("type_raw", o.object_type as u64);
        js.set_uint("instance", o.instance as u64);
        js.close();
    }
}

fn opt_uint(js: &mut JsonBuilder, key: &str, v: Option<u32>) {
    if let Some(v) = v {
        js.set_uint(key, v as u64);
    }
}

fn prop(js: &mut JsonBuilder, p: Option<u32>) {
    if let Some(p) = p {
        js.set_str("property", property(p));
        js.set_uint("property_raw", p as u64);
    }
}

fn bvlc(js: &mut JsonBuilder, b: &Bvlc) {
    js.open_object("bvlc");
    js.set_str("function", bvlc_function(b.function));
    js.set_uint("function_raw", b.function as u64);
    js.set_uint("length", b.length as u64);
    if let Some((ip, port)) = b.origin {
        js.set_fmt(
            "origin",
            format_args!("{}.{}.{}.{}:{}", ip[0], ip[1], ip[2], ip[3], port),
        );
    }
    match b.function {
        0x00 => opt_uint(js, "result_code", b.value.map(u32::from)),
        0x05 => opt_uint(js, "ttl", b.value.map(u32::from)),
        _ => {}
    }
    js.close();
}

fn npdu(js: &mut JsonBuilder, n: &Npdu) {
    js.open_object("npdu");
    js.set_uint("version", n.version as u64);
    js.set_uint("control", n.control as u64);
    js.set_bool("expecting_reply", n.expecting_reply());
    js.set_uint("priority", n.priority() as u64);
    if let Some(d) = n.dnet {
        js.set_uint("dnet", d as u64);
        js.set_hex("dadr", n.dadr.as_slice());
    }
    if let Some(s) = n.snet {
        js.set_uint("snet", s as u64);
        js.set_hex("sadr", n.sadr.as_slice());
    }
    if let Some(h) = n.hop_count {
        js.set_uint("hop_count", h as u64);
    }
    if let Some(t) = n.message_type {
        js.set_str("message_type", network_message(t));
        js.set_uint("message_type_raw", t as u64);
    }
    if let Some(v) = n.vendor_id {
        js.set_uint("vendor_id", v as u64);
    }
    js.close();
}

fn apdu(js: &mut JsonBuilder, a: &Apdu) {
    js.open_object("apdu");
    js.set_str("pdu_type", pdu_type(a.pdu_type));
    js.set_uint("pdu_type_raw", a.pdu_type as u64);
    if let Some(i) = a.invoke_id {
        js.set_uint("invoke_id", i as u64);
    }
    if matches!(a.pdu_type, PDU_CONFIRMED | PDU_COMPLEX_ACK) {
        js.set_bool("segmented", a.segmented());
        js.set_bool("more_follows", a.more_follows());
    }
    if a.pdu_type == PDU_CONFIRMED {
        js.set_bool("segmented_response_accepted", a.flags & 0x02 != 0);
    }
    if let Some(m) = a.max_segments {
        js.set_uint("max_segments_raw", m as u64);
    }
    if let Some(m) = a.max_apdu {
        js.set_uint("max_apdu_raw", m as u64);
    }
    opt_uint(js, "sequence_number", a.sequence_number.map(u32::from));
    opt_uint(js, "window_size", a.window_size.map(u32::from));
    if matches!(a.pdu_type, PDU_SEGMENT_ACK | PDU_ABORT) {
        js.set_bool("server", a.flags & 0x01 != 0);
    }
    if a.pdu_type == PDU_SEGMENT_ACK {
        js.set_bool("negative", a.flags & 0x02 != 0);
    }
    if let Some(s) = a.service {
        let name = if a.pdu_type == PDU_UNCONFIRMED {
            unconfirmed_service(s)
        } else {
            confirmed_service(s)
        };
        js.set_str("service", name);
        js.set_uint("service_raw", s as u64);
    }
    if let Some(r) = a.reason {
        let name = if a.pdu_type == PDU_REJECT {
            reject_reason(r)
        } else {
            abort_reason(r)
        };
        js.set_str("reason", name);
        js.set_uint("reason_raw", r as u64);
    }
    detail(js, &a.detail);
    js.close();
}

fn property_fields(js: &mut JsonBuilder, p: &Property) {
    object(js, "object", p.object);
    prop(js, p.property);
    opt_uint(js, "array_index", p.index);
    if let Some(v) = &p.value {
        js.open_object("value");
        js.set_str("tag", app_tag_name(v.tag));
        js.set_uint("tag_raw", v.tag as u64);
        js.set_str("value", &v.text);
        js.set_uint("count", p.values as u64);
        js.close();
    }
    opt_uint(js, "priority", p.priority);
}

fn refs(js: &mut JsonBuilder, refs: &[PropRef], omitted: u32) {
    js.open_array("properties");
    for r in refs.iter().take(MAX_REFS) {
        js.start_object();
        object(js, "object", r.object);
        prop(js, r.property);
        opt_uint(js, "array_index", r.index);
        js.close();
    }
    js.close();
    if omitted > 0 {
        js.set_uint("properties_omitted", omitted as u64);
    }
}

fn detail(js: &mut JsonBuilder, d: &Detail) {
    match d {
        Detail::None => {}
        Detail::WhoIs { low, high } => {
            opt_uint(js, "low_limit", *low);
            opt_uint(js, "high_limit", *high);
        }
        Detail::IAm {
            device,
            max_apdu,
            segmentation: seg,
            vendor_id,
        } => {
            object(js, "device", *device);
            opt_uint(js, "max_apdu", *max_apdu);
            if let Some(s) = seg {
                js.set_str("segmentation", segmentation(*s));
                js.set_uint("segmentation_raw", *s as u64);
            }
            opt_uint(js, "vendor_id", *vendor_id);
        }
        Detail::WhoHas {
            low,
            high,
            object: o,
            name,
        } => {
            opt_uint(js, "low_limit", *low);
            opt_uint(js, "high_limit", *high);
            object(js, "object", *o);
            if let Some(n) = name {
                js.set_str("object_name", n);
            }
        }
        Detail::IHave {
            device,
            object: o,
            name,
        } => {
            object(js, "device", *device);
            object(js, "object", *o);
            if let Some(n) = name {
                js.set_str("object_name", n);
            }
        }
        Detail::Property(p) => property_fields(js, p),
        Detail::Refs { refs: r, omitted } => refs(js, r, *omitted),
        Detail::Reinitialize { state, password } => {
            if let Some(s) = state {
                js.set_str("state", reinitialize_state(*s));
                js.set_uint("state_raw", *s as u64);
            }
            js.set_bool("password", *password);
        }
        Detail::CommunicationControl {
            duration,
            enable,
            password,
        } => {
            opt_uint(js, "duration_minutes", *duration);
            if let Some(e) = enable {
                js.set_str("enable_disable", enable_disable(*e));
                js.set_uint("enable_disable_raw", *e as u64);
            }
            js.set_bool("password", *password);
        }
        Detail::File {
            object: o,
            stream,
            start,
            count,
            data_len,
            end_of_file,
        } => {
            object(js, "file", *o);
            js.set_str("access", if *stream { "stream" } else { "record" });
            if let Some(s) = start {
                js.set_int("start", *s as i64);
            }
            opt_uint(js, "count", *count);
            opt_uint(js, "data_length", *data_len);
            if let Some(e) = end_of_file {
                js.set_bool("end_of_file", *e);
            }
        }
        Detail::SubscribeCov {
            process_id,
            object: o,
            confirmed,
            lifetime,
        } => {
            opt_uint(js, "process_id", *process_id);
            object(js, "object", *o);
            if let Some(c) = confirmed {
                js.set_bool("confirmed_notifications", *c);
            }
            opt_uint(js, "lifetime", *lifetime);
        }
        Detail::TimeSync { date, time } => {
            if let Some([y, m, d, _]) = date {
                js.set_fmt("date", format_args!("{}-{m:02}-{d:02}", 1900 + *y as u32));
            }
            if let Some([h, m, s, c]) = time {
                js.set_fmt("time", format_args!("{h:02}:{m:02}:{s:02}.{c:02}"));
            }
        }
        Detail::Error { class, code } => {
            if let Some(c) = class {
                js.set_str("error_class", error_class(*c));
                js.set_uint("error_class_raw", *c as u64);
            }
            if let Some(c) = code {
                js.set_str("error_code", error_code(*c));
                js.set_uint("error_code_raw", *c as u64);
            }
        }
    }
}

fn body(js: &mut JsonBuilder, m: &Message) {
    bvlc(js, &m.bvlc);
    if let Some(n) = &m.npdu {
        npdu(js, n);
    }
    if let Some(a) = &m.apdu {
        apdu(js, a);
    }
}

fn op(js: &mut JsonBuilder, o: Option<Operation>) {
    if let Some(o) = o {
        js.set_str("operation", o.as_str());
    }
}

/// One message; `req`: the open request a response answers.
pub fn log_message(
    id: u64,
    kind: &'static str,
    m: &Message,
    req: Option<&Pending>,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("bacnet", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str("type", kind);
        match req {
            Some(p) => op(js, p.operation),
            None => op(js, m.apdu.as_ref().and_then(super::state::operation)),
        }
        body(js, m);
        if let Some(p) = req {
            js.open_object("request");
            body(js, &p.msg);
            js.close();
        }
        an.log(ANOMALY_NAMES, js);
    });
}

pub fn log_unanswered(p: &Pending, an: Anomalies, out: &mut dyn EventSink) {
    an.report(ANOMALY_NAMES, out);
    if !out.wants_events() {
        return;
    }
    out.event("bacnet", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("type", "unanswered");
        op(js, p.operation);
        js.open_object("request");
        body(js, &p.msg);
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}
