//! MMS EVE output (`event_type: mms`): one event per PDU so each joins its
//! packet (`pcap_cnt`), as Modbus and BACnet do; a response carries the
//! request's summary under `"request"` and shares its `id`, so it alone is
//! a full transaction record. At flow end open requests are logged with
//! `"status": "unanswered"`.
//!
//! ```text
//! {"id":1,"pdu":"confirmed_request","invoke_id":0,"service":"write","service_raw":5,
//!  "operation":"write","variables":[{"domain":"LD","item":"X$Y"}|{"vmd":"mu"}],
//!  "variable_count":1,"variable_list":{…},
//!  "values":[{"type":"integer","value":0},{"type":"structure","items":[…]}],
//!  "value_count":1,"values_omitted":0,
//!  "identity":{"vendor":…,"model":…,"revision":…},"error":{…},"reject":{…},
//!  "session":"data","acse":{…},"anomalies":[…]}
//! ```

use super::ber::{self, Tlv, MAX_DEPTH};
use super::names::*;
use super::osi::{spdu_name, Upper};
use super::parser::{ObjName, Pdu, ANOMALY_NAMES};
use super::tx::Pending;
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, EventSink, JsonBuilder};

/// Values (all nesting levels together) written per event; items past it
/// are counted in `values_omitted` / `omitted`.
pub const MAX_VALUES: usize = 64;
/// Identifiers of a getNameList response written per event.
pub const MAX_IDENTIFIERS: usize = 64;

pub struct Msg<'a> {
    pub pdu: &'a Pdu<'a>,
    pub upper: &'a Upper<'a>,
    pub id: u64,
    pub operation: Option<Operation>,
    pub request: Option<Pending>,
}

fn obj(js: &mut JsonBuilder, n: ObjName<'_>) {
    match n {
        ObjName::Vmd(i) => {
            js.set_bytes_str("vmd", i);
        }
        ObjName::Domain(d, i) => {
            js.set_bytes_str("domain", d);
            js.set_bytes_str("item", i);
        }
        ObjName::Aa(i) => {
            js.set_bytes_str("aa", i);
        }
    }
}

fn op(js: &mut JsonBuilder, o: Option<Operation>) {
    if let Some(o) = o {
        js.set_str("operation", o.as_str());
    }
}

fn service(js: &mut JsonBuilder, kind: u32, s: u32) {
    let name = if kind == 3 {
        unconfirmed_name(s)
    } else {
        service_name(s)
    };
    js.set_str("service", name);
    js.set_uint("service_raw", s as u64);
}

/// Days since 1970-01-01 to (year, month, day) (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// An IEC 61850 / MMS UtcTime (seconds since 1970 (0..4), fraction of a
/// second in 24 bits (4..7), quality (7)) as `"key":"YYYY-MM-DDTHH:MM:SS.ffffffZ"`
/// (microseconds, truncated); GOOSE's `t` and SV's `refrTm` too. `v` must
/// hold at least 7 octets (else nothing is written).
pub(crate) fn utc_time(js: &mut JsonBuilder, key: &str, v: &[u8]) {
    let [a, b, c, d, f0, f1, f2, ..] = *v else {
        return;
    };
    let secs = u32::from_be_bytes([a, b, c, d]) as i64;
    let frac = u32::from_be_bytes([0, f0, f1, f2]) as u64;
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    js.set_fmt(
        key,
        format_args!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
            s / 3600,
            s / 60 % 60,
            s % 60,
            (frac * 1_000_000) >> 24
        ),
    );
}

fn value(js: &mut JsonBuilder, t: &Tlv<'_>, depth: usize, budget: &mut usize) {
    js.set_str("type", data_type_name(t.tag));
    let v = t.value;
    match t.tag {
        1 | 2 => {
            if depth >= MAX_DEPTH {
                js.set_bool("truncated", true);
                return;
            }
            let mut n = 0u64;
            let mut omitted = 0u64;
            js.open_array("items");
            for c in t.children() {
                n += 1;
                if *budget == 0 {
                    omitted += 1;
                    continue;
                }
                *budget -= 1;
                js.start_object();
                value(js, &c, depth + 1, budget);
                js.close();
            }
            js.close();
            js.set_uint("count", n);
            if omitted > 0 {
                js.set_uint("omitted", omitted);
            }
        }
        3 => {
            js.set_bool("value", v.first().is_some_and(|&b| b != 0));
        }
        5 => match ber::int(v) {
            Some(i) => {
                js.set_int("value", i);
            }
            None => {
                js.set_hex("raw", v);
            }
        },
        6 | 13 => match ber::uint(v) {
            Some(i) => {
                js.set_uint("value", i);
            }
            None => {
                js.set_hex("raw", v);
            }
        },
        7 => {
            let f = match v {
                [8, a, b, c, d] => Some(f32::from_be_bytes([*a, *b, *c, *d]) as f64),
                [11, r @ ..] if r.len() == 8 => {
                    let mut x = [0u8; 8];
                    x.copy_from_slice(r);
                    Some(f64::from_be_bytes(x))
                }
                _ => None,
            };
            match f.filter(|f| f.is_finite()) {
                Some(f) => {
                    js.set_float("value", f);
                }
                None => {
                    js.set_hex("raw", v);
                }
            }
        }
        4 => {
            if let Some((&pad, bits)) = v.split_first() {
                js.set_hex("value", bits);
                js.set_uint("padding", pad as u64);
            }
        }
        10 | 11 | 16 => {
            js.set_bytes_str("value", v);
        }
        17 if v.len() == 8 => {
            utc_time(js, "value", v);
            js.set_uint("quality", v[7] as u64);
        }
        _ => {
            js.set_hex("value", v);
        }
    }
}

/// MMS `Data` values, one after another in `data`, as `"values": [...]`
/// (typed, at most [`MAX_VALUES`] over all nesting levels, depth bounded
/// by [`MAX_DEPTH`]), `"value_count"` and `"values_omitted"`. GOOSE's
/// `allData` is the same encoding.
pub(crate) fn values(js: &mut JsonBuilder, data: &[u8], access_results: bool) {
    let mut budget = MAX_VALUES;
    let mut n = 0u64;
    let mut omitted = 0u64;
    js.open_array("values");
    for t in ber::Iter::new(data) {
        n += 1;
        if budget == 0 {
            omitted += 1;
            continue;
        }
        budget -= 1;
        js.start_object();
        if access_results && t.is_ctx(0) && !t.constructed {
            js.set_str("type", "failure");
            let c = t.uint().unwrap_or(u64::MAX);
            js.set_uint("error_raw", c);
            js.set_str("error", data_access_error_name(c));
        } else {
            value(js, &t, 0, &mut budget);
        }
        js.close();
    }
    js.close();
    js.set_uint("value_count", n);
    js.set_uint("values_omitted", omitted);
}

fn upper(js: &mut JsonBuilder, u: &Upper<'_>) {
    if let Some(s) = u.spdu {
        js.set_str("session", spdu_name(s));
    }
    if let Some(a) = &u.acse {
        js.open_object("acse");
        js.set_str("type", a.kind.name());
        if let Some(r) = a.result {
            js.set_uint("result", r);
        }
        if let Some(r) = a.reason {
            js.set_uint("reason", r);
        }
        if a.authenticated {
            js.set_bool("authentication", true);
        }
        if let Some(m) = a.auth_mechanism {
            js.set_hex("mechanism", m);
        }
        js.close();
    }
}

fn initiate(js: &mut JsonBuilder, t: &Tlv<'_>) {
    js.open_object("initiate");
    for c in t.children() {
        let k = match c.tag {
            0 => "local_detail",
            1 => "max_serv_outstanding_calling",
            2 => "max_serv_outstanding_called",
            3 => "data_structure_nesting_level",
            _ => {
                for d in c.children() {
                    match d.tag {
                        0 => {
                            js.set_uint("version", d.uint().unwrap_or(0));
                        }
                        1 => {
                            js.set_hex("parameter_cbb", d.value.get(1..).unwrap_or(&[]));
                        }
                        2 => {
                            js.set_hex("services_supported", d.value.get(1..).unwrap_or(&[]));
                        }
                        _ => {}
                    }
                }
                continue;
            }
        };
        js.set_uint(k, c.uint().unwrap_or(0));
    }
    js.close();
}

pub fn log_pdu(m: &Msg<'_>, an: Anomalies, out: &mut dyn EventSink) {
    let p = m.pdu;
    out.event("mms", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", m.id);
        js.set_str("pdu", pdu_name(p.kind));
        if let Some(i) = p.invoke_id {
            js.set_uint("invoke_id", i);
        }
        if let Some(s) = p.service {
            service(js, p.kind, s);
        }
        op(js, m.operation);
        let d = &p.detail;
        if let Some(l) = d.list_name {
            js.open_object("variable_list");
            obj(js, l);
            js.close();
        }
        if d.names.count > 0 {
            js.open_array("variables");
            for n in d.names.iter() {
                js.start_object();
                obj(js, n);
                js.close();
            }
            js.close();
            js.set_uint("variable_count", d.names.count as u64);
        }
        if let Some(data) = d.data {
            values(js, data, d.access_results);
        }
        if let Some(w) = d.write_results {
            js.open_array("results");
            for (i, t) in ber::Iter::new(w).enumerate() {
                if i >= MAX_VALUES {
                    break;
                }
                if t.is_ctx(0) {
                    js.append_str(data_access_error_name(t.uint().unwrap_or(u64::MAX)));
                } else {
                    js.append_str("success");
                }
            }
            js.close();
        }
        if d.vendor.is_some() || d.model.is_some() || d.revision.is_some() {
            js.open_object("identity");
            for (k, v) in [
                ("vendor", d.vendor),
                ("model", d.model),
                ("revision", d.revision),
            ] {
                if let Some(v) = v {
                    js.set_bytes_str(k, v);
                }
            }
            js.close();
        }
        if let Some(ids) = d.identifiers {
            let mut n = 0u64;
            js.open_array("identifiers");
            for t in ber::Iter::new(ids) {
                if n < MAX_IDENTIFIERS as u64 {
                    js.append_bytes_str(t.value);
                }
                n += 1;
            }
            js.close();
            js.set_uint("identifier_count", n);
            js.set_uint(
                "identifiers_omitted",
                n.saturating_sub(MAX_IDENTIFIERS as u64),
            );
        }
        if let Some(b) = d.more_follows {
            js.set_bool("more_follows", b);
        }
        if let Some(c) = d.object_class {
            js.set_uint("object_class", c);
        }
        for (k, v) in [
            ("scope_domain", d.scope_domain),
            ("program_invocation", d.program),
            ("domain", d.domain),
        ] {
            if let Some(v) = v {
                js.set_bytes_str(k, v);
            }
        }
        if let Some(f) = d.file {
            js.open_array("file_name");
            for t in ber::Iter::new(f).take(8) {
                js.append_bytes_str(t.value);
            }
            js.close();
        }
        if let Some(f) = d.frsm_id {
            js.set_uint("frsm_id", f);
        }
        if let Some(t) = &p.initiate {
            initiate(js, t);
        }
        if let Some((class, code)) = p.error {
            js.open_object("error");
            js.set_str("class", error_class_name(class));
            js.set_uint("class_raw", class as u64);
            if let Some(c) = code {
                js.set_uint("code", c);
            }
            js.close();
        }
        if let Some((t, r)) = p.reject {
            js.open_object("reject");
            js.set_str("type", pdu_name(t.saturating_sub(1)));
            js.set_uint("type_raw", t as u64);
            if let Some(r) = r {
                js.set_uint("reason", r);
            }
            js.close();
        }
        upper(js, m.upper);
        if let Some(r) = &m.request {
            js.open_object("request");
            js.set_str("pdu", pdu_name(r.kind));
            if let Some(s) = r.service {
                service(js, 0, s);
            }
            js.close();
        }
        an.log(ANOMALY_NAMES, js);
    });
}

/// An association-control message without an MMS PDU (release, abort).
pub fn log_acse(id: u64, u: &Upper<'_>, an: Anomalies, out: &mut dyn EventSink) {
    out.event("mms", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", id);
        js.set_str("pdu", "acse");
        upper(js, u);
        an.log(ANOMALY_NAMES, js);
    });
}

pub fn log_unanswered(p: &Pending, an: Anomalies, out: &mut dyn EventSink) {
    an.report(ANOMALY_NAMES, out);
    if !out.wants_events() {
        return;
    }
    out.event("mms", &mut |js: &mut JsonBuilder| {
        js.set_uint("id", p.id);
        js.set_str("status", "unanswered");
        op(js, p.operation);
        js.open_object("request");
        js.set_str("pdu", pdu_name(p.kind));
        if let Some(i) = p.invoke_id {
            js.set_uint("invoke_id", i);
        }
        if let Some(s) = p.service {
            service(js, 0, s);
        }
        js.close();
        an.log(ANOMALY_NAMES, js);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(18_262), (2020, 1, 1));
        assert_eq!(civil(-1), (1969, 12, 31));
    }
}
