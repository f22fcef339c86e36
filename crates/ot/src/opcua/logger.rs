//! OPC UA EVE output (`event_type: opcua`): one event per transaction,
//! written when it completes (the response's packet; unanswered requests at
//! flow end), with `request` and `response` objects as Suricata's
//! transaction loggers write them. `type`: `hello`, `open_secure_channel`,
//! `close_secure_channel`, `service`, `secure_message` (Sign /
//! SignAndEncrypt channels: channel facts only), `error`, `reverse_hello`.
//!
//! ```text
//! {"id":3,"type":"service","operation":…,
//!  "request":{"message_type":"MSG","chunk_count":1,"size":93,
//!    "secure_channel_id":5,"security_token_id":5,"sequence_number":2,
//!    "request_id":2,"service":"GetEndpointsRequest","service_id":428,
//!    "request_handle":1,"endpoint_url":"opc.tcp://…"},
//!  "response":{…,"service_result":{"code":0,"name":"Good"},
//!    "endpoints":[{"endpoint_url":…,"server":{"application_uri":…,
//!    "product_uri":…,"application_name":…},"server_certificate":
//!    {"present":true,"length":1000},…}],"endpoints_omitted":0},
//!  "anomalies":[…]}
//! ```
//! Values are written with their built-in type (`{"type":"Double",
//! "value":1.5}`); arrays keep `MAX_ITEMS` elements and say how many were
//! left out (`*_omitted`).

use super::parser::*;
use super::tx::*;
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, EventSink, JsonBuilder};

fn opt_str(js: &mut JsonBuilder, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        js.set_str(k, v);
    }
}

fn certificate(js: &mut JsonBuilder, k: &str, len: Option<usize>) {
    js.open_object(k);
    js.set_bool("present", len.is_some_and(|n| n > 0));
    js.set_uint("length", len.unwrap_or(0) as u64);
    js.close();
}

fn status(js: &mut JsonBuilder, k: &str, s: u32) {
    js.open_object(k);
    js.set_uint("code", s as u64);
    js.set_fmt("hex", format_args!("0x{s:08x}"));
    if let Some(n) = status_name(s) {
        js.set_str("name", n);
    }
    js.close();
}

fn security_mode(m: u32) -> &'static str {
    match m {
        1 => "None",
        2 => "Sign",
        3 => "SignAndEncrypt",
        _ => "Invalid",
    }
}

fn token_type(t: u32) -> &'static str {
    match t {
        321 => "AnonymousIdentityToken",
        324 => "UserNameIdentityToken",
        327 => "X509IdentityToken",
        940 => "IssuedIdentityToken",
        _ => "unknown",
    }
}

fn user_token_type(t: u32) -> &'static str {
    match t {
        0 => "Anonymous",
        1 => "UserName",
        2 => "Certificate",
        3 => "IssuedToken",
        _ => "unknown",
    }
}

fn data(js: &mut JsonBuilder, d: &Data) {
    match d {
        Data::Null => {
            js.set_null("value");
        }
        Data::Bool(b) => {
            js.set_bool("value", *b);
        }
        Data::Int(i) => {
            js.set_int("value", *i);
        }
        Data::UInt(u) => {
            js.set_uint("value", *u);
        }
        Data::Float(f) => {
            js.set_float("value", *f);
        }
        Data::Str(s) => {
            js.set_str("value", s);
        }
        Data::Bytes(n) => {
            js.set_uint("length", *n as u64);
        }
        Data::Node(n) => {
            js.set_fmt("value", format_args!("{n}"));
        }
        Data::Extension(t, n) => {
            js.set_fmt("type_id", format_args!("{t}"));
            js.set_uint("length", *n as u64);
        }
        Data::Array(n, first) => {
            js.set_bool("array", true);
            js.set_uint("count", *n as u64);
            if let Some(f) = first {
                js.open_object("first");
                data(js, f);
                js.close();
            }
        }
    }
}

fn value(js: &mut JsonBuilder, k: &str, v: &Value) {
    js.open_object(k);
    js.set_str("type", type_name(v.ty));
    data(js, &v.data);
    js.close();
}

fn app(js: &mut JsonBuilder, k: &str, a: &App) {
    js.open_object(k);
    opt_str(js, "application_uri", &a.uri);
    opt_str(js, "product_uri", &a.product_uri);
    opt_str(js, "application_name", &a.name);
    js.set_uint("application_type", a.app_type as u64);
    js.close();
}

fn endpoints(js: &mut JsonBuilder, eps: &[Endpoint], omitted: u32) {
    js.open_array("endpoints");
    for e in eps {
        js.start_object();
        opt_str(js, "endpoint_url", &e.url);
        app(js, "server", &e.server);
        certificate(js, "server_certificate", e.certificate_len);
        js.set_str("security_mode", security_mode(e.security_mode));
        opt_str(js, "security_policy_uri", &e.security_policy);
        js.open_array("user_token_types");
        for t in &e.user_token_types {
            js.append_str(user_token_type(*t));
        }
        js.close();
        js.set_uint("security_level", e.security_level as u64);
        js.close();
    }
    js.close();
    js.set_uint("endpoints_omitted", omitted as u64);
}

fn omitted(js: &mut JsonBuilder, k: &str, count: u32, kept: usize) {
    js.set_uint(k, count.saturating_sub(kept as u32) as u64);
}

fn detail(js: &mut JsonBuilder, d: &Detail) {
    match d {
        Detail::None => {}
        Detail::OpenRequest {
            request_type,
            security_mode: m,
            lifetime,
        } => {
            js.set_str(
                "request_type",
                if *request_type == 0 { "Issue" } else { "Renew" },
            );
            js.set_str("security_mode", security_mode(*m));
            js.set_uint("requested_lifetime", *lifetime as u64);
        }
        Detail::OpenResponse {
            channel_id,
            token_id,
            revised_lifetime,
        } => {
            js.set_uint("channel_id", *channel_id as u64);
            js.set_uint("token_id", *token_id as u64);
            js.set_uint("revised_lifetime", *revised_lifetime as u64);
        }
        Detail::GetEndpoints { endpoint_url } => opt_str(js, "endpoint_url", endpoint_url),
        Detail::Endpoints {
            endpoints: e,
            omitted,
        } => endpoints(js, e, *omitted),
        Detail::CreateSession {
            client,
            endpoint_url,
            session_name,
            certificate_len,
        } => {
            app(js, "client", client);
            opt_str(js, "endpoint_url", endpoint_url);
            opt_str(js, "session_name", session_name);
            certificate(js, "client_certificate", *certificate_len);
        }
        Detail::SessionCreated {
            session_id,
            timeout,
            certificate_len,
            endpoints: e,
            omitted,
        } => {
            js.set_fmt("session_id", format_args!("{session_id}"));
            js.set_float("revised_session_timeout", *timeout);
            certificate(js, "server_certificate", *certificate_len);
            endpoints(js, e, *omitted);
        }
        Detail::ActivateSession {
            token_type: t,
            policy_id,
            user_name,
        } => {
            if let Some(t) = t {
                js.set_str("identity_token", token_type(*t));
                js.set_uint("identity_token_type_id", *t as u64);
            }
            opt_str(js, "policy_id", policy_id);
            opt_str(js, "user_name", user_name);
        }
        Detail::Nodes { nodes, count } => {
            js.open_array("nodes");
            for (n, a) in nodes {
                js.start_object();
                js.set_fmt("node_id", format_args!("{n}"));
                if let Some(a) = a {
                    js.set_uint("attribute_id", *a as u64);
                }
                js.close();
            }
            js.close();
            js.set_uint("node_count", *count as u64);
            omitted(js, "nodes_omitted", *count, nodes.len());
        }
        Detail::Write { items, count } => {
            js.open_array("nodes");
            for (n, a, v) in items {
                js.start_object();
                js.set_fmt("node_id", format_args!("{n}"));
                js.set_uint("attribute_id", *a as u64);
                if let Some(v) = v {
                    value(js, "value", v);
                }
                js.close();
            }
            js.close();
            js.set_uint("node_count", *count as u64);
            omitted(js, "nodes_omitted", *count, items.len());
        }
        Detail::Values { values, count } => {
            js.open_array("values");
            for v in values {
                js.start_object();
                if let Some(v) = &v.value {
                    js.set_str("type", type_name(v.ty));
                    data(js, &v.data);
                }
                if let Some(s) = v.status {
                    status(js, "status", s);
                }
                js.close();
            }
            js.close();
            js.set_uint("value_count", *count as u64);
            omitted(js, "values_omitted", *count, values.len());
        }
        Detail::Call { methods, count } => {
            js.open_array("methods");
            for (o, m, a) in methods {
                js.start_object();
                js.set_fmt("object_id", format_args!("{o}"));
                js.set_fmt("method_id", format_args!("{m}"));
                js.set_uint("input_argument_count", *a as u64);
                js.close();
            }
            js.close();
            js.set_uint("method_count", *count as u64);
            omitted(js, "methods_omitted", *count, methods.len());
        }
        Detail::CreateSubscription {
            publishing_interval,
            lifetime_count,
            max_keep_alive_count,
            max_notifications,
            publishing_enabled,
            priority,
        } => {
            js.set_float("publishing_interval", *publishing_interval);
            js.set_uint("lifetime_count", *lifetime_count as u64);
            js.set_uint("max_keep_alive_count", *max_keep_alive_count as u64);
            js.set_uint("max_notifications_per_publish", *max_notifications as u64);
            js.set_bool("publishing_enabled", *publishing_enabled);
            js.set_uint("priority", *priority as u64);
        }
        Detail::SubscriptionCreated {
            subscription_id,
            publishing_interval,
            lifetime_count,
            max_keep_alive_count,
        } => {
            js.set_uint("subscription_id", *subscription_id as u64);
            js.set_float("publishing_interval", *publishing_interval);
            js.set_uint("lifetime_count", *lifetime_count as u64);
            js.set_uint("max_keep_alive_count", *max_keep_alive_count as u64);
        }
        Detail::Publish { acknowledgements } => {
            js.set_uint("acknowledgement_count", *acknowledgements as u64);
        }
        Detail::Published {
            subscription_id,
            sequence_number,
            more_notifications,
            notifications,
        } => {
            js.set_uint("subscription_id", *subscription_id as u64);
            js.set_uint("notification_sequence_number", *sequence_number as u64);
            js.set_bool("more_notifications", *more_notifications);
            js.set_uint("notification_count", *notifications as u64);
        }
        Detail::Results { results, count } => {
            js.open_array("results");
            for r in results {
                js.append_uint(*r as u64);
            }
            js.close();
            js.set_uint("result_count", *count as u64);
            omitted(js, "results_omitted", *count, results.len());
        }
    }
}

fn message(js: &mut JsonBuilder, k: &str, m: &Message) {
    js.open_object(k);
    js.set_str("message_type", m.msg_type.as_str());
    js.set_uint("chunk_count", m.chunks as u64);
    js.set_uint("size", m.size as u64);
    if let Some(h) = &m.hello {
        js.set_uint("version", h.version as u64);
        js.set_uint("receive_buffer_size", h.receive_buffer_size as u64);
        js.set_uint("send_buffer_size", h.send_buffer_size as u64);
        js.set_uint("max_message_size", h.max_message_size as u64);
        js.set_uint("max_chunk_count", h.max_chunk_count as u64);
        opt_str(js, "endpoint_url", &h.endpoint_url);
    }
    if let Some((code, reason)) = &m.error {
        status(js, "error", *code);
        opt_str(js, "reason", reason);
    }
    if let Some((s, e)) = &m.reverse_hello {
        opt_str(js, "server_uri", s);
        opt_str(js, "endpoint_url", e);
    }
    if let Some(c) = m.channel_id {
        js.set_uint("secure_channel_id", c as u64);
    }
    if let Some(t) = m.token_id {
        js.set_uint("security_token_id", t as u64);
    }
    if m.msg_type == MsgType::Opn {
        opt_str(js, "security_policy_uri", &m.security_policy);
        certificate(js, "sender_certificate", m.sender_certificate_len);
        js.set_uint(
            "receiver_thumbprint_length",
            m.receiver_thumbprint_len.unwrap_or(0) as u64,
        );
    }
    if m.msg_type.secure() {
        js.set_bool("secured", m.secured);
    }
    if let Some(s) = m.sequence_number {
        js.set_uint("sequence_number", s as u64);
    }
    if let Some(r) = m.request_id {
        js.set_uint("request_id", r as u64);
    }
    if let Some(s) = m.service_id {
        match service(s) {
            Some(("ServiceFault", _)) => {
                js.set_str("service", "ServiceFault");
            }
            Some((n, q)) => {
                js.set_fmt(
                    "service",
                    format_args!("{n}{}", if q { "Request" } else { "Response" }),
                );
            }
            None => {}
        }
        js.set_uint("service_id", s as u64);
    }
    if let Some(h) = m.request_handle {
        js.set_uint("request_handle", h as u64);
    }
    if let Some(t) = m.timeout_hint {
        js.set_uint("timeout_hint", t as u64);
    }
    if let Some(s) = m.service_result {
        status(js, "service_result", s);
    }
    detail(js, &m.detail);
    js.close();
}

/// One transaction; `req`/`resp` absent for one-message transactions.
pub fn log_tx(
    id: u64,
    kind: &'static str,
    op: Option<Operation>,
    req: Option<&Message>,
    resp: Option<&Message>,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    if !out.wants_events() {
        return;
    }
    let mut all = an;
    for m in [req, resp].into_iter().flatten() {
        all.merge(m.anomalies);
    }
    out.event("opcua", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str("type", kind);
        if let Some(o) = op {
            js.set_str("operation", o.as_str());
        }
        if let Some(m) = req {
            message(js, "request", m);
        }
        if let Some(m) = resp {
            message(js, "response", m);
        }
        all.log(ANOMALY_NAMES, js);
    });
}

pub fn log_unanswered(p: &Pending, an: Anomalies, out: &mut dyn EventSink) {
    an.report(ANOMALY_NAMES, out);
    p.msg.anomalies.report(ANOMALY_NAMES, out);
    let kind = match p.msg.msg_type {
        MsgType::Hel => "hello",
        MsgType::Opn => "open_secure_channel",
        _ => "service",
    };
    log_tx(p.id, kind, p.operation, Some(&p.msg), None, an, out);
}
