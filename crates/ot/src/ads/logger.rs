//! ADS EVE output (`event_type: ads`): one event per transaction, written
//! when the response arrives (`"type": "transaction"`), or alone for a
//! request never answered (`unanswered`, at flow end or eviction), a
//! response without its request (`unsolicited`), a DeviceNotification
//! (`notification`: sent without a response) and a UDP discovery/route
//! datagram (`udp`).
//!
//! ```text
//! {"id":1,"type":"transaction","command":"Read","command_id":2,"invoke_id":227,
//!  "request":{"target":{"net_id":"5.13.117.96.1.1","port":1},"source":{…},
//!   "state_flags":4,"length":44,"data_len":12,"error_code":0,"index_group":3,"index_offset":2,"read_length":4},
//!  "response":{…,"result":0,"result_name":"no_error","data_length":4},
//!  "identity":{"device_name":"TCatPlcCtrl","version":"2.11.2228"}}
//! ```

use super::parser::*;
use super::tx::{Addr, Msg, Pending};
use crate::common::{set_trimmed, Operation};
use reefwatch_applayer::{Anomalies, EventSink, JsonBuilder};

/// Longest UDP tag string logged (bytes).
const MAX_TAG_STR: usize = 128;

/// Names of the common ADS return codes (Beckhoff "ADS Return Codes").
pub fn error_name(e: u32) -> &'static str {
    match e {
        0x0 => "no_error",
        0x1 => "internal_error",
        0x6 => "target_port_not_found",
        0x7 => "target_machine_not_found",
        0x8 => "unknown_command_id",
        0x12 => "port_disabled",
        0x13 => "port_already_connected",
        0x700 => "device_error",
        0x701 => "service_not_supported",
        0x702 => "invalid_index_group",
        0x703 => "invalid_index_offset",
        0x704 => "invalid_access",
        0x705 => "invalid_size",
        0x706 => "invalid_data",
        0x707 => "not_ready",
        0x708 => "busy",
        0x709 => "invalid_context",
        0x70a => "no_memory",
        0x70b => "invalid_parameter",
        0x70c => "not_found",
        0x70d => "syntax_error",
        0x70e => "incompatible",
        0x70f => "exists",
        0x710 => "symbol_not_found",
        0x711 => "symbol_version_invalid",
        0x712 => "invalid_state",
        0x713 => "transmission_mode_not_supported",
        0x714 => "notification_handle_invalid",
        0x715 => "client_unknown",
        0x716 => "no_more_handles",
        0x717 => "invalid_watch_size",
        0x718 => "not_initialized",
        0x719 => "timeout",
        0x71a => "no_interface",
        0x71b => "invalid_interface",
        0x71c => "invalid_class_id",
        0x71d => "invalid_object_id",
        0x71e => "pending",
        0x71f => "aborted",
        0x720 => "signal_warning",
        0x721 => "invalid_array_index",
        0x722 => "symbol_not_active",
        0x723 => "access_denied",
        0x724 => "license_not_found",
        0x725 => "license_expired",
        0x726 => "license_exceeded",
        0x727 => "license_invalid",
        0x740 => "client_error",
        0x741 => "client_invalid_parameter",
        0x745 => "client_timeout",
        0x746 => "client_port_not_open",
        0x748 => "client_sync_timeout",
        _ => "other",
    }
}

fn net_id_str(js: &mut JsonBuilder, key: &str, n: &[u8; 6]) {
    js.set_fmt(
        key,
        format_args!("{}.{}.{}.{}.{}.{}", n[0], n[1], n[2], n[3], n[4], n[5]),
    );
}

fn addr(js: &mut JsonBuilder, key: &str, a: &Addr) {
    js.open_object(key);
    net_id_str(js, "net_id", &a.net_id);
    js.set_uint("port", a.port as u64);
    js.close();
}

fn code(js: &mut JsonBuilder, key: &str, name_key: &str, v: u32) {
    js.set_uint(key, v as u64);
    js.set_str(name_key, error_name(v));
}

/// The message object (`request` or `response`).
fn message(js: &mut JsonBuilder, key: &str, m: &Msg) {
    let b = &m.body;
    let resp = m.state_flags & SF_RESPONSE != 0;
    js.open_object(key);
    addr(js, "target", &m.target);
    addr(js, "source", &m.source);
    js.set_uint("state_flags", m.state_flags as u64);
    js.set_uint("length", m.length as u64);
    js.set_uint("data_len", m.data_len as u64);
    code(js, "error_code", "error", m.error_code);
    if let Some(r) = b.result {
        code(js, "result", "result_name", r);
    }
    if let Some(g) = b.index_group {
        js.set_uint("index_group", g as u64);
    }
    if let Some(o) = b.index_offset {
        js.set_uint("index_offset", o as u64);
    }
    if let Some(l) = b.length {
        let k = match m.command {
            2 | 9 if !resp => "read_length",
            6 => "notification_length",
            _ => "data_length",
        };
        js.set_uint(k, l as u64);
    }
    if let Some(l) = b.write_length {
        js.set_uint("write_length", l as u64);
    }
    if let Some(s) = b.ads_state {
        js.set_uint("ads_state_raw", s as u64);
        js.set_str("ads_state", ads_state_name(s));
    }
    if let Some(s) = b.device_state {
        js.set_uint("device_state", s as u64);
    }
    if let Some(h) = b.handle {
        js.set_uint("handle", h as u64);
    }
    if let Some(t) = b.transmission_mode {
        js.set_uint("transmission_mode", t as u64);
    }
    if let Some(t) = b.max_delay {
        js.set_uint("max_delay", t as u64);
    }
    if let Some(t) = b.cycle_time {
        js.set_uint("cycle_time", t as u64);
    }
    if let Some(s) = b.stamps {
        js.set_uint("stamps", s as u64);
    }
    if let Some(s) = b.samples {
        js.set_uint("samples", s as u64);
    }
    if let Some(t) = b.timestamp {
        js.set_uint("timestamp", t);
    }
    js.close();
}

fn identity(js: &mut JsonBuilder, m: &Msg) {
    let Some((major, minor, build)) = m.body.version else {
        return;
    };
    js.open_object("identity");
    if m.has_device_name {
        // a C string in a 16-byte field: what follows the NUL is no name
        let n = &m.device_name;
        let end = n.iter().position(|&c| c == 0).unwrap_or(n.len());
        set_trimmed(js, "device_name", &n[..end]);
    }
    js.set_fmt("version", format_args!("{major}.{minor}.{build}"));
    js.close();
}

fn head(js: &mut JsonBuilder, id: u64, ty: &str, m: &Msg, op: Option<Operation>) {
    js.set_uint("id", id);
    js.set_str("type", ty);
    js.set_str("command", command_name(m.command));
    js.set_uint("command_id", m.command as u64);
    js.set_uint("invoke_id", m.invoke_id as u64);
    if let Some(o) = op {
        js.set_str("operation", o.as_str());
    }
}

/// A request and its response.
pub fn log_transaction(p: &Pending, resp: &Msg, an: Anomalies, out: &mut dyn EventSink) {
    out.event("ads", &mut |js: &mut JsonBuilder| {
        head(js, p.id, "transaction", &p.req, p.operation);
        message(js, "request", &p.req);
        message(js, "response", resp);
        identity(js, resp);
        an.log(ANOMALY_NAMES, js);
    });
}

/// A message that is a transaction alone: `ty` is `unanswered` (a
/// request), `unsolicited` (a response) or `notification`.
pub fn log_single(
    id: u64,
    ty: &str,
    m: &Msg,
    op: Option<Operation>,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("ads", &mut |js: &mut JsonBuilder| {
        head(js, id, ty, m, op);
        let key = if m.state_flags & SF_RESPONSE != 0 {
            "response"
        } else {
            "request"
        };
        message(js, key, m);
        identity(js, m);
        an.log(ANOMALY_NAMES, js);
    });
}

fn tag_str(js: &mut JsonBuilder, key: &str, v: &[u8]) {
    set_trimmed(js, key, &v[..v.len().min(MAX_TAG_STR)]);
}

/// A UDP discovery / route datagram.
pub fn log_udp(
    id: u64,
    m: &UdpMsg<'_>,
    op: Option<Operation>,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("ads", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str("type", "udp");
        js.set_str("service", udp_service_name(m.service));
        js.set_uint("service_id", (m.service & !UDP_RESPONSE) as u64);
        js.set_bool("response", m.is_response());
        js.set_uint("invoke_id", m.invoke_id as u64);
        if let Some(o) = op {
            js.set_str("operation", o.as_str());
        }
        js.open_object("source");
        net_id_str(js, "net_id", &m.net_id);
        js.set_uint("port", m.port as u64);
        js.close();
        js.set_uint("tag_count", m.tag_count as u64);
        let mut ident = false;
        for t in m.tags() {
            match t.id {
                tag::STATUS => {
                    if let Some(s) = reefwatch_applayer::bytes::le32(t.value, 0) {
                        code(js, "status", "status_name", s);
                    }
                }
                tag::PASSWORD => {
                    js.set_bool("password_present", true);
                }
                tag::ROUTE_NAME => tag_str(js, "route_name", t.value),
                tag::USER_NAME => tag_str(js, "user_name", t.value),
                tag::NET_ID if t.value.len() == 6 => {
                    let mut n = [0u8; 6];
                    n.copy_from_slice(t.value);
                    net_id_str(js, "route_net_id", &n);
                }
                tag::HOST_NAME | tag::TC_VERSION | tag::OS_VERSION => ident = true,
                _ => {}
            }
        }
        if ident {
            js.open_object("identity");
            for t in m.tags() {
                match t.id {
                    tag::HOST_NAME => tag_str(js, "host_name", t.value),
                    tag::TC_VERSION if t.value.len() >= 4 => {
                        let b = reefwatch_applayer::bytes::le16(t.value, 2).unwrap_or(0);
                        js.set_fmt(
                            "twincat_version",
                            format_args!("{}.{}.{}", t.value[0], t.value[1], b),
                        );
                    }
                    tag::OS_VERSION if t.value.len() >= 20 => {
                        let r = |o| reefwatch_applayer::bytes::le32(t.value, o).unwrap_or(0);
                        js.set_fmt("os_version", format_args!("{}.{}.{}", r(4), r(8), r(12)));
                        js.set_uint("os_platform", r(16) as u64);
                    }
                    _ => {}
                }
            }
            js.close();
        }
        an.log(ANOMALY_NAMES, js);
    });
}
