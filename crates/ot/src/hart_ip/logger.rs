//! HART-IP EVE output (`event_type: hart_ip`): one event per message
//! (`"type"`: `request`, `response`, `notification`, `error`, `nak`, or
//! `unanswered` at flow end); a response repeats its request's summary,
//! so it alone is a full transaction record (as `modbus`).

use super::parser::*;
use super::tx::PendingRequest;
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, EventSink, JsonBuilder};

/// Data bytes logged (hex) per PDU at most (a PDU carries ≤ 255).
pub const MAX_DATA_LOGGED: usize = 255;

fn op(js: &mut JsonBuilder, o: Option<Operation>) {
    if let Some(o) = o {
        js.set_str("operation", o.as_str());
    }
}

fn address(js: &mut JsonBuilder, a: &Address) {
    match *a {
        Address::Short(p) => {
            js.set_uint("polling_address", p as u64);
        }
        Address::Long {
            device_type,
            device_id,
        } => {
            js.set_uint("expanded_device_type", device_type as u64);
            js.set_uint("device_id", device_id as u64);
        }
    }
}

fn request_summary(js: &mut JsonBuilder, p: &PendingRequest) {
    js.open_object("request");
    js.set_uint("sequence", p.seq as u64);
    js.set_uint("message_id_raw", p.msg_id as u64);
    js.set_str("message_id", id_name(p.msg_id));
    if let Some(c) = p.command {
        js.set_uint("command", c as u64);
        js.set_str("command_name", command_name(c));
    }
    if let Some(a) = &p.address {
        address(js, a);
    }
    js.close();
}

fn pdu(js: &mut JsonBuilder, p: &Pdu<'_>) {
    js.open_object("pdu");
    js.set_uint("delimiter", p.delimiter as u64);
    js.set_str("frame_type", frame_type_name(p.frame_type));
    address(js, &p.address);
    js.set_bool("primary_master", p.primary_master);
    js.set_bool("burst_mode", p.burst);
    js.set_uint("command", p.command as u64);
    js.set_str("command_name", command_name(p.command));
    if let Some(rc) = p.response_code {
        js.set_uint("response_code", rc as u64);
    }
    if let Some(ds) = p.device_status {
        js.set_uint("device_status", ds as u64);
    }
    js.set_uint("data_len", p.data.len() as u64);
    if !p.data.is_empty() {
        js.set_hex("data", &p.data[..p.data.len().min(MAX_DATA_LOGGED)]);
    }
    js.set_bool("checksum_ok", p.checksum_ok);
    js.close();
    if p.frame_type == 2 {
        return;
    }
    let ok = p.response_code.is_some_and(|rc| rc & 0x80 == 0 && rc < 32);
    if !ok {
        return;
    }
    if p.command == 0 || p.command == 11 || p.command == 21 {
        if let Some(id) = identity(p.data) {
            js.open_object("identity");
            js.set_uint("expanded_device_type", id.expanded_device_type as u64);
            js.set_uint("manufacturer_id", id.manufacturer_id as u64);
            if let Some(l) = id.private_label {
                js.set_uint("private_label", l as u64);
            }
            js.set_uint("device_id", id.device_id as u64);
            js.set_uint("universal_revision", id.universal_revision as u64);
            js.set_uint("device_revision", id.device_revision as u64);
            js.set_uint("software_revision", id.software_revision as u64);
            js.set_uint("hardware_revision", id.hardware_revision as u64);
            if let Some(d) = id.device_profile {
                js.set_uint("device_profile", d as u64);
            }
            js.close();
        }
    }
    if p.command == 13 && p.data.len() >= 6 {
        let mut tag = [0u8; 8];
        let n = unpack_ascii(&p.data[..6], &mut tag);
        crate::common::set_trimmed(js, "tag", &tag[..n]);
    }
    if p.command == 20 && !p.data.is_empty() {
        let d = &p.data[..p.data.len().min(32)];
        let n = d.iter().position(|&c| c == 0).unwrap_or(d.len());
        crate::common::set_trimmed(js, "long_tag", &d[..n]);
    }
}

/// One HART-IP message. `kind` is its `"type"`.
#[allow(clippy::too_many_arguments)]
pub fn log_message(
    id: u64,
    kind: &'static str,
    h: &Header<'_>,
    pending: Option<&PendingRequest>,
    operation: Option<Operation>,
    body: &Body<'_>,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("hart_ip", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str("type", kind);
        op(js, operation.or(pending.and_then(|p| p.operation)));
        js.open_object("header");
        js.set_uint("version", h.version() as u64);
        js.set_uint("message_type_raw", h.msg_type() as u64);
        js.set_str("message_type", type_name(h.msg_type()));
        js.set_uint("message_id_raw", h.msg_id() as u64);
        js.set_str("message_id", id_name(h.msg_id()));
        js.set_uint("status", h.status() as u64);
        js.set_uint("sequence", h.seq() as u64);
        js.set_uint("byte_count", h.len() as u64);
        js.close();
        if let Some(p) = pending {
            request_summary(js, p);
        }
        match body {
            Body::Session { host_type, timer } => {
                js.open_object("session");
                js.set_uint("host_type", *host_type as u64);
                js.set_uint("inactivity_close_timer", *timer as u64);
                js.close();
            }
            Body::Pdu(p) => pdu(js, p),
            Body::Other(d) if !d.is_empty() => {
                js.set_uint("data_len", d.len() as u64);
                js.set_hex("data", &d[..d.len().min(MAX_DATA_LOGGED)]);
            }
            Body::Other(_) => {}
        }
        an.log(ANOMALY_NAMES, js);
    });
}

/// What a message's body decoded to.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Session { host_type: u8, timer: u32 },
    Pdu(Pdu<'a>),
    Other(&'a [u8]),
}

pub fn log_unanswered(p: &PendingRequest, an: Anomalies, out: &mut dyn EventSink) {
    an.report(ANOMALY_NAMES, out);
    if !out.wants_events() {
        return;
    }
    out.event("hart_ip", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("type", "unanswered");
        op(js, p.operation);
        request_summary(js, p);
        an.log(ANOMALY_NAMES, js);
    });
}
