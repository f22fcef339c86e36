//! EtherNet/IP EVE output (`event_type: enip`), following Suricata's
//! schema: `request` / `response` objects with `command`, `status`, `cip`
//! (`service`, `class_name`, `path` segments, `status`, `status_extended`,
//! `multiple`), `register_session`, `identity`. One event per
//! encapsulation message (`type` says which); a response event repeats the
//! request summary. reefwatch adds `id` (pairing), `session`,
//! `sender_context`, `connection_id`, `sequence`, raw codes, class /
//! instance / attribute numbers, tag names, Unconnected Send `embedded`
//! requests, `operation`, `anomalies`.

use super::parser::*;
use super::tx::PendingRequest;
use crate::common::{set_trimmed, Operation};
use reefwatch_applayer::bytes::le16;
use reefwatch_applayer::Anomalies;
use reefwatch_applayer::{EventSink, JsonBuilder};

pub struct Msg<'a, 'b> {
    pub encap: &'b Encap<&'a [u8]>,
    pub cip: Option<Cip<'a>>,
    pub connection_id: Option<u32>,
    pub seq: Option<u16>,
    pub response: bool,
    pub id: u64,
    pub operation: Option<Operation>,
    pub request: Option<PendingRequest>,
}

const MAX_MULTIPLE: usize = 64;

fn path(js: &mut JsonBuilder, p: &CipPath<'_>) {
    js.open_array("path");
    for (name, v) in [
        ("class", p.class),
        ("instance", p.instance),
        ("attribute", p.attribute),
        ("member", p.member),
        ("connection_point", p.connection_point),
    ] {
        if let Some(v) = v {
            js.start_object();
            js.set_str("segment_type", name);
            js.set_uint("value", v as u64);
            js.close();
        }
    }
    js.close();
}

fn cip_obj(js: &mut JsonBuilder, c: &Cip<'_>, req_class: Option<u32>, depth: u8) {
    let class = if c.response { req_class } else { c.path.class };
    js.set_str(
        "service",
        service_name(c.service, class, c.path.symbol.is_some()),
    );
    js.set_uint("service_raw", c.service as u64);
    if !c.response {
        if let Some(cl) = c.path.class {
            js.set_str("class_name", class_name(cl));
            js.set_uint("class", cl as u64);
        }
        if let Some(i) = c.path.instance {
            js.set_uint("instance", i as u64);
        }
        if let Some(a) = c.path.attribute {
            js.set_uint("attribute", a as u64);
        }
        if let Some(s) = c.path.symbol {
            js.set_bytes_str("tag", s);
        }
        if c.path.class.is_some() || c.path.instance.is_some() {
            path(js, &c.path);
        }
    } else if let Some(st) = c.general_status {
        js.set_str("status", general_status_name(st));
        js.set_uint("status_raw", st as u64);
        if let Some(x) = le16(c.ext_status, 0) {
            js.set_fmt("status_extended", format_args!("0x{x:04x}"));
        }
    }
    if depth >= 3 {
        return;
    }
    if let Some(e) = c.unconnected_send_embedded().and_then(Cip::parse) {
        js.open_object("embedded");
        cip_obj(js, &e, None, depth + 1);
        js.close();
    }
    if let Some(it) = c.multiple() {
        js.open_array("multiple");
        for m in it.take(MAX_MULTIPLE) {
            if let Some(x) = Cip::parse(m) {
                js.start_object();
                cip_obj(js, &x, None, depth + 1);
                js.close();
            }
        }
        js.close();
    }
}

fn identity(js: &mut JsonBuilder, id: &Identity<'_>) {
    js.open_object("identity");
    js.set_uint("protocol_version", id.protocol_version as u64);
    match vendor_name(id.vendor_id) {
        Some(n) => js.set_str("vendor_id", n),
        None => js.set_fmt("vendor_id", format_args!("{}", id.vendor_id)),
    };
    js.set_uint("vendor_id_raw", id.vendor_id as u64);
    js.set_str("device_type", device_type_name(id.device_type));
    js.set_uint("device_type_raw", id.device_type as u64);
    js.set_uint("product_code", id.product_code as u64);
    js.set_fmt(
        "revision",
        format_args!("{}.{}", id.revision.0, id.revision.1),
    );
    js.set_uint("status", id.status as u64);
    js.set_uint("serial", id.serial as u64);
    js.set_fmt("serial_hex", format_args!("0x{:08x}", id.serial));
    set_trimmed(js, "product_name", id.product_name);
    if let Some(s) = id.state {
        js.set_uint("state", s as u64);
    }
    js.set_fmt(
        "address",
        format_args!("{}.{}.{}.{}", id.ip[0], id.ip[1], id.ip[2], id.ip[3]),
    );
    js.set_uint("port", id.port as u64);
    js.close();
}

pub fn log_message(m: &Msg<'_, '_>, an: Anomalies, out: &mut dyn EventSink) {
    let e = m.encap;
    let cmd = e.command();
    out.event("enip", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", m.id);
        js.set_str("type", if m.response { "response" } else { "request" });
        if let Some(o) = m.operation {
            js.set_str("operation", o.as_str());
        }
        js.set_fmt("session", format_args!("0x{:08x}", e.session()));
        js.set_hex("sender_context", e.sender_context());
        if let Some(c) = m.connection_id {
            js.set_fmt("connection_id", format_args!("0x{c:08x}"));
        }
        if let Some(s) = m.seq {
            js.set_uint("sequence", s as u64);
        }
        if let Some(p) = &m.request {
            request_summary(js, p);
        }
        js.open_object(if m.response { "response" } else { "request" });
        js.set_str("command", command_name(cmd));
        js.set_uint("command_raw", cmd as u64);
        js.set_uint("length", e.length() as u64);
        js.set_str("status", status_name(e.status()));
        js.set_uint("status_raw", e.status() as u64);
        match cmd {
            0x65 => {
                if let (Some(v), Some(o)) = (le16(e.data(), 0), le16(e.data(), 2)) {
                    js.open_object("register_session");
                    js.set_uint("protocol_version", v as u64);
                    js.set_uint("options", o as u64);
                    js.close();
                }
            }
            0x63 if m.response => {
                for it in CpfIter::new(e.data()) {
                    if it.type_id == 0x0c {
                        if let Some(id) = Identity::parse(it.data) {
                            identity(js, &id);
                            break;
                        }
                    }
                }
            }
            0x04 if m.response => {
                for it in CpfIter::new(e.data()) {
                    if it.type_id == 0x100 && it.data.len() >= 4 {
                        js.open_object("list_services");
                        js.set_uint("protocol_version", le16(it.data, 0).unwrap_or(0) as u64);
                        js.set_uint("capabilities", le16(it.data, 2).unwrap_or(0) as u64);
                        set_trimmed(js, "service_name", &it.data[4..]);
                        js.close();
                        break;
                    }
                }
            }
            _ => {}
        }
        if let Some(c) = &m.cip {
            js.open_object("cip");
            let rc = m.request.and_then(|p| p.class);
            cip_obj(js, c, rc, 0);
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
    out.event("enip", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("type", "unanswered");
        if let Some(o) = p.operation {
            js.set_str("operation", o.as_str());
        }
        request_summary(js, p);
        an.log(ANOMALY_NAMES, js);
    });
}

/// The `request` object a response or an unanswered event carries: the
/// request's command and CIP service/class.
fn request_summary(js: &mut JsonBuilder, p: &PendingRequest) {
    js.open_object("request");
    js.set_str("command", command_name(p.command));
    if let Some(s) = p.service {
        js.open_object("cip");
        js.set_str("service", service_name(s, p.class, false));
        js.set_uint("service_raw", s as u64);
        if let Some(c) = p.class {
            js.set_str("class_name", class_name(c));
            js.set_uint("class", c as u64);
        }
        js.close();
    }
    js.close();
}
