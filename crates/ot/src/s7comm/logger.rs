//! S7comm EVE output (`event_type: s7comm`). One event per S7 PDU
//! (`protocol: "s7comm"`), per COTP connection TPDU (`protocol: "cotp"`,
//! with TSAPs and rack/slot) and per S7comm-plus frame (`protocol:
//! "s7comm-plus"`). S7 fields: `rosctr`, `pdu_ref`, `function`, `items`
//! (area, db, byte/bit address, transport size, length), `setup`
//! (negotiated PDU size), `error`, `userdata` (group, subfunction, SZL id and
//! index, return code), `identity` (order number, firmware, module names
//! from SZL 0x0011/0x001C), `block`, `pi_service`, `id` (pairing), and for
//! acks the matched `request`.

use super::parser::*;
use super::tx::PendingRequest;
use crate::common::{set_trimmed, Operation};
use crate::iso::cotp::{cotp_type_name, Cotp};
use reefwatch_applayer::bytes::be16;
use reefwatch_applayer::Anomalies;
use reefwatch_applayer::{EventSink, JsonBuilder};

pub struct Msg<'a> {
    pub header: S7Header,
    pub params: &'a [u8],
    pub data: &'a [u8],
    pub function: Option<u8>,
    pub userdata: Option<UserdataParam>,
    pub ud_data: Option<UserdataData<'a>>,
    pub szl: Option<(u16, u16)>,
    /// The SZL data continues an earlier response (no SZL header here).
    pub szl_continued: bool,
    pub id: u64,
    pub operation: Option<Operation>,
    pub request: Option<PendingRequest>,
}

const MAX_ITEMS: usize = 64;

fn op(js: &mut JsonBuilder, o: Option<Operation>) {
    if let Some(o) = o {
        js.set_str("operation", o.as_str());
    }
}

fn identity(js: &mut JsonBuilder, id: &Identity<'_>) {
    js.open_object("identity");
    if let Some(v) = id.order_number {
        set_trimmed(js, "order_number", v);
    }
    if let Some(v) = id.hardware_order_number {
        set_trimmed(js, "hardware_order_number", v);
    }
    if let Some((a, b, c)) = id.firmware {
        js.set_fmt("firmware", format_args!("V{a}.{b}.{c}"));
    }
    if let Some((a, b, c)) = id.hardware_version {
        js.set_fmt("hardware_version", format_args!("{a}.{b}.{c}"));
    }
    for (k, v) in [
        ("system_name", id.system_name),
        ("module_name", id.module_name),
        ("plant_id", id.plant_id),
        ("copyright", id.copyright),
        ("serial_number", id.serial_number),
        ("module_type", id.module_type),
    ] {
        if let Some(v) = v {
            set_trimmed(js, k, v);
        }
    }
    js.close();
}

pub fn log_s7(m: &Msg<'_>, an: Anomalies, out: &mut dyn EventSink) {
    let h = &m.header;
    out.event("s7comm", &mut |js: &mut JsonBuilder| {
        js.set_str("protocol", "s7comm");
        js.set_uint("id", m.id);
        js.set_str("rosctr", rosctr_name(h.rosctr));
        js.set_uint("rosctr_raw", h.rosctr as u64);
        js.set_uint("pdu_ref", h.pdu_ref as u64);
        op(js, m.operation);
        if let (Some(c), Some(e)) = (h.error_class, h.error_code) {
            if c != 0 || e != 0 {
                js.open_object("error");
                js.set_uint("class", c as u64);
                js.set_uint("code", e as u64);
                js.close();
            }
        }
        if h.rosctr != 7 {
            if let Some(f) = m.function {
                js.set_uint("function_raw", f as u64);
                js.set_str("function", function_name(f));
                match f {
                    0x04 | 0x05 if h.rosctr == 1 => {
                        js.set_uint("item_count", m.params.get(1).copied().unwrap_or(0) as u64);
                        js.open_array("items");
                        for it in ItemIter::new(m.params).take(MAX_ITEMS) {
                            js.start_object();
                            js.set_uint("syntax_id", it.syntax_id as u64);
                            if it.syntax_id == 0x10 {
                                js.set_str("area", area_name(it.area));
                                js.set_uint("area_raw", it.area as u64);
                                js.set_uint("db", it.db as u64);
                                js.set_uint("byte", (it.address >> 3) as u64);
                                js.set_uint("bit", (it.address & 7) as u64);
                                js.set_uint("transport_size", it.transport_size as u64);
                                js.set_uint("length", it.length as u64);
                            }
                            js.close();
                        }
                        js.close();
                    }
                    0x04 | 0x05 => {
                        js.set_uint("item_count", m.params.get(1).copied().unwrap_or(0) as u64);
                        // return codes of each item (data part)
                        js.open_array("return_codes");
                        let mut d = m.data;
                        let n = m.params.get(1).copied().unwrap_or(0);
                        for _ in 0..n.min(MAX_ITEMS as u8) {
                            let Some(&rc) = d.first() else { break };
                            js.append_uint(rc as u64);
                            if f == 0x05 {
                                d = &d[1..];
                                continue;
                            }
                            let ts = d.get(1).copied().unwrap_or(0);
                            let len = be16(d, 2).unwrap_or(0) as usize;
                            let bytes = if matches!(ts, 3..=5) {
                                len.div_ceil(8)
                            } else {
                                len
                            };
                            let step = 4 + bytes + (bytes & 1);
                            d = d.get(step..).unwrap_or(&[]);
                        }
                        js.close();
                    }
                    0xf0 => {
                        js.open_object("setup");
                        if let Some(v) = be16(m.params, 2) {
                            js.set_uint("max_amq_caller", v as u64);
                        }
                        if let Some(v) = be16(m.params, 4) {
                            js.set_uint("max_amq_callee", v as u64);
                        }
                        if let Some(v) = be16(m.params, 6) {
                            js.set_uint("pdu_length", v as u64);
                        }
                        js.close();
                    }
                    0x28 if h.rosctr == 1 => {
                        if let Some(n) = pi_service_name(m.params) {
                            js.set_bytes_str("pi_service", n);
                        }
                    }
                    0x29 if h.rosctr == 1 => {
                        if let Some(n) = m.params.get(7..) {
                            js.set_bytes_str("pi_service", n);
                        }
                    }
                    _ => {
                        if let Some(n) = block_filename(m.params) {
                            js.set_bytes_str("block", n);
                        }
                    }
                }
            }
        }
        if let Some(u) = &m.userdata {
            js.open_object("userdata");
            js.set_str(
                "type",
                match u.kind {
                    4 => "request",
                    8 => "response",
                    0 => "push",
                    _ => "unknown",
                },
            );
            js.set_uint("group", u.group as u64);
            js.set_str("group_name", group_name(u.group));
            js.set_uint("subfunction", u.subfunction as u64);
            js.set_str("subfunction_name", subfunction_name(u.group, u.subfunction));
            js.set_uint("sequence", u.sequence as u64);
            if let Some(d) = &m.ud_data {
                js.set_uint("return_code", d.return_code as u64);
            }
            if let Some((id, idx)) = m.szl {
                js.set_uint("szl_id", id as u64);
                js.set_uint("szl_index", idx as u64);
                if m.szl_continued {
                    js.set_bool("szl_continued", true);
                }
            }
            js.close();
            if let (Some((id, _)), Some(d)) = (m.szl, &m.ud_data) {
                if u.kind == 8 && !m.szl_continued {
                    if let Some(ident) = szl_identity(id, d.payload) {
                        identity(js, &ident);
                    }
                }
            }
        }
        if let Some(r) = &m.request {
            js.open_object("request");
            js.set_str("rosctr", rosctr_name(r.rosctr));
            if r.rosctr == 1 {
                js.set_str("function", function_name(r.function));
            } else {
                js.set_uint("group", r.group as u64);
                js.set_uint("subfunction", r.subfunction as u64);
                if let Some(s) = r.szl_id {
                    js.set_uint("szl_id", s as u64);
                }
            }
            js.close();
        }
        an.log(ANOMALY_NAMES, js);
    });
}

pub fn log_cotp(c: &Cotp<'_>, out: &mut dyn EventSink) {
    out.event("s7comm", &mut |js: &mut JsonBuilder| {
        js.set_str("protocol", "cotp");
        js.open_object("cotp");
        match c {
            Cotp::Connect {
                confirm,
                calling_tsap,
                called_tsap,
                tpdu_size,
            } => {
                js.set_str("type", if *confirm { "CC" } else { "CR" });
                if let Some(t) = calling_tsap {
                    js.set_hex("calling_tsap", t);
                }
                if let Some(t) = called_tsap {
                    js.set_hex("called_tsap", t);
                    if t.len() == 2 {
                        js.set_uint("rack", (t[1] >> 5) as u64);
                        js.set_uint("slot", (t[1] & 0x1f) as u64);
                    } else if t.iter().all(|c| (0x20..0x7f).contains(c)) {
                        js.set_bytes_str("called_tsap_text", t);
                    }
                }
                if let Some(s) = tpdu_size {
                    js.set_uint("tpdu_size", 1u64 << (*s).min(16));
                }
            }
            Cotp::Other { pdu_type } => {
                js.set_str("type", cotp_type_name(*pdu_type));
            }
            Cotp::Data { .. } => {
                js.set_str("type", "DT");
            }
        }
        js.close();
    });
}

pub fn log_plus(h: &PlusHeader, p: &[u8], out: &mut dyn EventSink) {
    out.event("s7comm", &mut |js: &mut JsonBuilder| {
        js.set_str("protocol", "s7comm-plus");
        js.open_object("s7comm_plus");
        js.set_uint("version", h.version as u64);
        js.set_uint("data_length", h.data_len as u64);
        if let Some(o) = h.opcode {
            js.set_uint("opcode_raw", o as u64);
            js.set_str("opcode", plus_opcode_name(o));
        }
        if let Some(f) = h.function {
            js.set_uint("function_raw", f as u64);
            js.set_str("function", plus_function_name(f));
        }
        if let Some(s) = h.sequence {
            js.set_uint("sequence", s as u64);
        }
        js.close();
        if let Some(o) = find_order_number(p) {
            js.open_object("identity");
            set_trimmed(js, "order_number", o);
            js.close();
        }
        if h.function == Some(0x04f2) || h.function == Some(0x0542) {
            js.set_str("operation", Operation::Write.as_str());
        }
    });
}

pub fn log_unanswered(p: &PendingRequest, an: Anomalies, out: &mut dyn EventSink) {
    an.report(ANOMALY_NAMES, out);
    if !out.wants_events() {
        return;
    }
    out.event("s7comm", &mut |js: &mut JsonBuilder| {
        js.set_str("protocol", "s7comm");
        js.set_uint("id", p.id);
        js.set_str("status", "unanswered");
        op(js, p.operation);
        js.open_object("request");
        js.set_str("rosctr", rosctr_name(p.rosctr));
        js.set_uint("pdu_ref", p.pdu_ref as u64);
        if p.rosctr == 1 {
            js.set_str("function", function_name(p.function));
        } else {
            js.set_uint("group", p.group as u64);
            js.set_uint("subfunction", p.subfunction as u64);
        }
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}
