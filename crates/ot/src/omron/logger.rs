//! Omron FINS EVE output (`event_type: omron`): one event per message
//! (`"type"`: `request`, `response`, `unanswered` at flow end,
//! `node_address` for the FINS/TCP node address exchange), each joining
//! its packet; a response repeats its command's summary, so it alone is a
//! full transaction record (as `modbus`).

use super::parser::*;
use super::tx::PendingRequest;
use crate::common::{set_trimmed, Operation};
use reefwatch_applayer::{Anomalies, EventSink, JsonBuilder};

/// Data bytes logged (hex) per message at most.
pub const MAX_DATA_LOGGED: usize = 256;

/// The FINS/TCP header a frame came in (None: UDP).
#[derive(Debug, Clone, Copy)]
pub struct TcpInfo {
    pub command: u32,
    pub error_code: u32,
}

fn addr(js: &mut JsonBuilder, key: &str, a: Addr) {
    js.open_object(key);
    js.set_uint("network", a.0 as u64);
    js.set_uint("node", a.1 as u64);
    js.set_uint("unit", a.2 as u64);
    js.close();
}

fn op(js: &mut JsonBuilder, o: Option<Operation>) {
    if let Some(o) = o {
        js.set_str("operation", o.as_str());
    }
}

fn tcp(js: &mut JsonBuilder, t: Option<TcpInfo>) {
    if let Some(t) = t {
        js.open_object("tcp");
        js.set_uint("command", t.command as u64);
        js.set_str("command_name", tcp_command_name(t.command));
        js.set_uint("error_code", t.error_code as u64);
        js.close();
    }
}

#[allow(clippy::too_many_arguments)]
fn header(js: &mut JsonBuilder, icf: u8, gct: u8, dst: Addr, src: Addr, sid: u8, cmd: u16) {
    js.set_uint("icf", icf as u64);
    js.set_uint("gct", gct as u64);
    addr(js, "destination", dst);
    addr(js, "source", src);
    js.set_uint("sid", sid as u64);
    js.set_uint("command_raw", cmd as u64);
    js.set_str("command", command_name(cmd));
}

fn mem(js: &mut JsonBuilder, key: &str, m: &MemArea) {
    js.open_object(key);
    js.set_uint("area_raw", m.area as u64);
    js.set_str("area", area_name(m.area));
    js.set_uint("address", m.address as u64);
    js.set_uint("bit", m.bit as u64);
    js.set_uint("count", m.count as u64);
    js.close();
}

fn clock(js: &mut JsonBuilder, c: &[u8; 7]) {
    // BCD: yy mm dd hh mm [ss] [weekday]
    let bcd = |b: u8| (b >> 4) as u32 * 10 + (b & 0x0f) as u32;
    let year = bcd(c[0]);
    let year = if year < 70 { 2000 + year } else { 1900 + year };
    let sec = if c[5] == 0xff { 0 } else { bcd(c[5]) };
    js.set_fmt(
        "clock",
        format_args!(
            "{year:04}-{:02}-{:02}T{:02}:{:02}:{sec:02}",
            bcd(c[1]),
            bcd(c[2]),
            bcd(c[3]),
            bcd(c[4])
        ),
    );
}

fn summary(js: &mut JsonBuilder, p: &PendingRequest) {
    header(js, p.icf, p.gct, p.dst, p.src, p.sid, p.command);
    if let Some(m) = &p.mem {
        mem(js, "memory", m);
    }
    if let Some(m) = &p.mem_to {
        mem(js, "memory_to", m);
    }
    if p.command == 0x0104 {
        js.set_uint("items", p.items as u64);
    }
    if let Some((area, word, n)) = p.param {
        js.open_object("parameter_area");
        js.set_uint("area_code", area as u64);
        js.set_uint("word", word as u64);
        js.set_uint("count", (n & 0x7fff) as u64);
        js.close();
    }
    if let Some((prog, word, n)) = p.program {
        js.open_object("program_area");
        js.set_uint("program", prog as u64);
        js.set_uint("word", word as u64);
        js.set_uint("count", n as u64);
        js.close();
    }
    if let Some(m) = p.mode {
        js.set_uint("mode", m as u64);
    }
    if let Some(c) = &p.clock {
        clock(js, c);
    }
    if p.file_name_len > 0 {
        set_trimmed(js, "file_name", p.file_name());
    }
}

fn data(js: &mut JsonBuilder, d: &[u8]) {
    if !d.is_empty() {
        js.set_uint("data_len", d.len() as u64);
        js.set_hex("data", &d[..d.len().min(MAX_DATA_LOGGED)]);
    }
}

pub fn log_request(
    p: &PendingRequest,
    m: &Message<'_>,
    t: Option<TcpInfo>,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("omron", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("type", "request");
        op(js, p.operation);
        tcp(js, t);
        js.open_object("request");
        summary(js, p);
        js.set_bool("response_required", m.icf & ICF_NO_RESPONSE == 0);
        data(js, m.data);
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}

pub fn log_response(
    id: u64,
    p: Option<&PendingRequest>,
    m: &Message<'_>,
    t: Option<TcpInfo>,
    an: Anomalies,
    out: &mut dyn EventSink,
) {
    out.event("omron", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str("type", "response");
        if let Some(p) = p {
            op(js, p.operation);
        }
        tcp(js, t);
        if let Some(p) = p {
            js.open_object("request");
            summary(js, p);
            js.close();
        }
        js.open_object("response");
        header(js, m.icf, m.gct, m.dst, m.src, m.sid, m.command);
        if let Some(ec) = m.end_code {
            js.set_uint("end_code_raw", ec as u64);
            js.set_str("end_code", end_code_name(ec & 0x7f3f));
            js.set_bool("relay_error", ec & 0x8000 != 0);
            js.set_bool("fatal_cpu_error", ec & 0x0080 != 0);
            js.set_bool("non_fatal_cpu_error", ec & 0x0040 != 0);
        }
        if !m.model.is_empty() {
            js.open_object("identity");
            set_trimmed(js, "model", cstr(m.model));
            set_trimmed(js, "version", cstr(m.version));
            js.close();
        }
        if let Some(c) = &m.clock {
            clock(js, c);
        }
        data(js, m.data);
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}

/// A fixed-size string field up to its first NUL.
fn cstr(b: &[u8]) -> &[u8] {
    let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..n]
}

pub fn log_unanswered(p: &PendingRequest, an: Anomalies, out: &mut dyn EventSink) {
    an.report(ANOMALY_NAMES, out);
    if !out.wants_events() {
        return;
    }
    out.event("omron", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("type", "unanswered");
        op(js, p.operation);
        js.open_object("request");
        summary(js, p);
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}

/// A FINS/TCP message without a FINS frame (node address exchange,
/// error notification, connection confirmation).
pub fn log_tcp_only(id: u64, t: TcpInfo, d: &[u8], an: Anomalies, out: &mut dyn EventSink) {
    out.event("omron", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str(
            "type",
            match t.command {
                TCP_NODE_ADDR_CLIENT | TCP_NODE_ADDR_SERVER => "node_address",
                _ => "tcp",
            },
        );
        tcp(js, Some(t));
        let be = |o: usize| {
            d.get(o..o + 4)
                .map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]))
        };
        if t.command <= TCP_NODE_ADDR_SERVER {
            if let Some(c) = be(0) {
                js.set_uint("client_node", c as u64);
            }
            if let Some(s) = be(4) {
                js.set_uint("server_node", s as u64);
            }
        } else {
            data(js, d);
        }
        an.log(ANOMALY_NAMES, js);
    });
}
