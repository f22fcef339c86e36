//! What the sensor knows about one event, as plain borrowed fields, and its
//! conversion to STIX cyber-observables (for the full evaluator and for
//! sightings).

use std::net::IpAddr;

use serde_json::{json, Map, Value};

use crate::model::sco_id;
use crate::time::format_timestamp;

/// One sensor event (flow, DNS query, HTTP request, TLS handshake, file …).
/// The sensor fills what it has and leaves the rest `None`/empty; nothing
/// is copied until an indicator matches.
///
/// | field | STIX observable it stands for |
/// |---|---|
/// | `src_ip`, `dst_ip` | `ipv4-addr`/`ipv6-addr:value`, `network-traffic:src_ref`/`dst_ref` |
/// | `src_port`, `dst_port`, `protocols` | `network-traffic:src_port`, `dst_port`, `protocols` (lower case, e.g. `["ipv4","tcp","http"]`) |
/// | `domain` | `domain-name:value` (`dns.query`, `tls.sni`, `http.host`); compared case-insensitively, trailing dot ignored |
/// | `url` | `url:value` (full URL, e.g. `http://host/path?q`) |
/// | `http_method`, `http_uri` | `network-traffic:extensions.'http-request-ext'.request_method` / `request_value` |
/// | `user_agent` | `x-user-agent:value` and `…'http-request-ext'.request_header.'User-Agent'[*]` |
/// | `md5`, `sha1`, `sha256` (hex) | `file:hashes.MD5` / `'SHA-1'` / `'SHA-256'` |
/// | `file_name` | `file:name` |
/// | `x509_sha1` (hex), `x509_serial`, `x509_subject`, `x509_issuer` | `x509-certificate:hashes.'SHA-1'`, `serial_number`, `subject`, `issuer` |
/// | `ja3`, `ja4` | custom `x-ja3:value`, `x-ja4:value` |
#[derive(Clone, Copy, Debug, Default)]
pub struct Observation<'a> {
    /// Event time, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    pub src_ip: Option<IpAddr>,
    pub dst_ip: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub protocols: &'a [&'a str],
    pub domain: Option<&'a [u8]>,
    pub url: Option<&'a [u8]>,
    pub http_method: Option<&'a [u8]>,
    pub http_uri: Option<&'a [u8]>,
    pub user_agent: Option<&'a [u8]>,
    pub md5: Option<&'a str>,
    pub sha1: Option<&'a str>,
    pub sha256: Option<&'a str>,
    pub file_name: Option<&'a [u8]>,
    pub x509_sha1: Option<&'a str>,
    pub x509_serial: Option<&'a [u8]>,
    pub x509_subject: Option<&'a [u8]>,
    pub x509_issuer: Option<&'a [u8]>,
    pub ja3: Option<&'a str>,
    pub ja4: Option<&'a str>,
    /// Suricata flow_id, carried into sightings' observed-data as `x_flow_id`.
    pub flow_id: Option<u64>,
}

/// Bits for the SCO types an observation provides / a pattern uses.
pub mod types {
    pub const IPV4: u32 = 1 << 0;
    pub const IPV6: u32 = 1 << 1;
    pub const NETWORK_TRAFFIC: u32 = 1 << 2;
    pub const DOMAIN: u32 = 1 << 3;
    pub const URL: u32 = 1 << 4;
    pub const FILE: u32 = 1 << 5;
    pub const X509: u32 = 1 << 6;
    pub const USER_AGENT: u32 = 1 << 7;
    pub const JA3: u32 = 1 << 8;
    pub const JA4: u32 = 1 << 9;
    /// A type the sensor never produces.
    pub const OTHER: u32 = 1 << 31;

    pub fn of(name: &str) -> u32 {
        match name {
            "ipv4-addr" => IPV4,
            "ipv6-addr" => IPV6,
            "network-traffic" => NETWORK_TRAFFIC,
            "domain-name" => DOMAIN,
            "url" => URL,
            "file" => FILE,
            "x509-certificate" => X509,
            "x-user-agent" => USER_AGENT,
            "x-ja3" => JA3,
            "x-ja4" => JA4,
            _ => OTHER,
        }
    }
}

fn lossy_string(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Lower-cases a domain into `buf` and drops one trailing dot.
pub fn normalize_domain<'b>(d: &[u8], buf: &'b mut [u8; 256]) -> Option<&'b [u8]> {
    let d = d.strip_suffix(b".").unwrap_or(d);
    if d.is_empty() || d.len() > 255 {
        return None;
    }
    let out = &mut buf[..d.len()];
    for (o, c) in out.iter_mut().zip(d) {
        *o = c.to_ascii_lowercase();
    }
    Some(out)
}

impl Observation<'_> {
    /// The SCO types this observation provides.
    pub fn type_mask(&self) -> u32 {
        use types::*;
        let mut m = 0;
        for ip in [self.src_ip, self.dst_ip].into_iter().flatten() {
            m |= if ip.is_ipv4() { IPV4 } else { IPV6 };
        }
        if self.src_ip.is_some() || self.dst_ip.is_some() || self.dst_port.is_some() {
            m |= NETWORK_TRAFFIC;
        }
        if self.domain.is_some() {
            m |= DOMAIN;
        }
        if self.url.is_some() {
            m |= URL;
        }
        if self.md5.is_some()
            || self.sha1.is_some()
            || self.sha256.is_some()
            || self.file_name.is_some()
        {
            m |= FILE;
        }
        if self.x509_sha1.is_some()
            || self.x509_serial.is_some()
            || self.x509_subject.is_some()
            || self.x509_issuer.is_some()
        {
            m |= X509;
        }
        if self.user_agent.is_some() {
            m |= USER_AGENT;
        }
        if self.ja3.is_some() {
            m |= JA3;
        }
        if self.ja4.is_some() {
            m |= JA4;
        }
        m
    }

    /// The observation as STIX 2.1 cyber-observables with deterministic ids
    /// (network-traffic first, then the objects it references, then the rest).
    pub fn to_scos(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let ip_obj = |ip: IpAddr| {
            let ty = if ip.is_ipv4() {
                "ipv4-addr"
            } else {
                "ipv6-addr"
            };
            let v = ip.to_string();
            json!({"type": ty, "spec_version": "2.1", "id": sco_id(ty, &json!({"value": v})), "value": v})
        };
        let src = self.src_ip.map(ip_obj);
        let dst = self.dst_ip.map(ip_obj);
        if src.is_some() || dst.is_some() {
            let mut nt = Map::new();
            nt.insert("type".into(), "network-traffic".into());
            nt.insert("spec_version".into(), "2.1".into());
            if let Some(s) = &src {
                nt.insert("src_ref".into(), s["id"].clone());
            }
            if let Some(d) = &dst {
                nt.insert("dst_ref".into(), d["id"].clone());
            }
            if let Some(p) = self.src_port {
                nt.insert("src_port".into(), p.into());
            }
            if let Some(p) = self.dst_port {
                nt.insert("dst_port".into(), p.into());
            }
            let protos: Vec<Value> = if self.protocols.is_empty() {
                vec![Value::from(
                    if self.src_ip.or(self.dst_ip).is_some_and(|i| i.is_ipv6()) {
                        "ipv6"
                    } else {
                        "ipv4"
                    },
                )]
            } else {
                self.protocols
                    .iter()
                    .map(|p| Value::from(p.to_ascii_lowercase()))
                    .collect()
            };
            nt.insert("protocols".into(), Value::Array(protos));
            if self.http_method.is_some() || self.http_uri.is_some() || self.user_agent.is_some() {
                let mut h = Map::new();
                h.insert(
                    "request_method".into(),
                    lossy_string(self.http_method.unwrap_or(b"get"))
                        .to_ascii_lowercase()
                        .into(),
                );
                h.insert(
                    "request_value".into(),
                    lossy_string(self.http_uri.unwrap_or(b"/")).into(),
                );
                let mut hdr = Map::new();
                // Header values are lists of strings (the STIX 2.1 schema).
                if let Some(d) = self.domain {
                    hdr.insert("Host".into(), json!([lossy_string(d)]));
                }
                if let Some(ua) = self.user_agent {
                    hdr.insert("User-Agent".into(), json!([lossy_string(ua)]));
                }
                if !hdr.is_empty() {
                    h.insert("request_header".into(), Value::Object(hdr));
                }
                let mut ext = Map::new();
                ext.insert("http-request-ext".into(), Value::Object(h));
                nt.insert("extensions".into(), Value::Object(ext));
            }
            // id-contributing properties (STIX 2.1): start, end, src_ref,
            // dst_ref, src_port, dst_port, protocols, extensions.
            let mut idp = nt.clone();
            idp.remove("type");
            idp.remove("spec_version");
            let id = sco_id("network-traffic", &Value::Object(idp));
            nt.insert("id".into(), id.into());
            out.push(Value::Object(nt));
        }
        out.extend(src);
        if let Some(d) = dst {
            if !out.iter().any(|o| o["id"] == d["id"]) {
                out.push(d);
            }
        }
        let simple = |ty: &str, v: String| {
            let mut o = json!({"type": ty, "spec_version": "2.1", "id": sco_id(ty, &json!({"value": v})), "value": v});
            if let Some(ext) = super::custom::sco_extensions(ty) {
                o["extensions"] = ext;
            }
            o
        };
        if let Some(d) = self.domain {
            let mut buf = [0u8; 256];
            let v = normalize_domain(d, &mut buf)
                .map(lossy_string)
                .unwrap_or_else(|| lossy_string(d));
            out.push(simple("domain-name", v));
        }
        if let Some(u) = self.url {
            out.push(simple("url", lossy_string(u)));
        }
        if let Some(ua) = self.user_agent {
            out.push(simple("x-user-agent", lossy_string(ua)));
        }
        if let Some(j) = self.ja3 {
            out.push(simple("x-ja3", j.to_ascii_lowercase()));
        }
        if let Some(j) = self.ja4 {
            out.push(simple("x-ja4", j.to_string()));
        }
        let mut hashes = Map::new();
        for (k, v) in [
            ("MD5", self.md5),
            ("SHA-1", self.sha1),
            ("SHA-256", self.sha256),
        ] {
            if let Some(v) = v {
                hashes.insert(k.into(), v.to_ascii_lowercase().into());
            }
        }
        if !hashes.is_empty() || self.file_name.is_some() {
            let mut f = Map::new();
            f.insert("type".into(), "file".into());
            f.insert("spec_version".into(), "2.1".into());
            let mut idp = Map::new();
            if !hashes.is_empty() {
                f.insert("hashes".into(), Value::Object(hashes.clone()));
                idp.insert("hashes".into(), Value::Object(hashes));
            }
            if let Some(n) = self.file_name {
                f.insert("name".into(), lossy_string(n).into());
                idp.insert("name".into(), lossy_string(n).into());
            }
            f.insert("id".into(), sco_id("file", &Value::Object(idp)).into());
            out.push(Value::Object(f));
        }
        if self.x509_sha1.is_some()
            || self.x509_serial.is_some()
            || self.x509_subject.is_some()
            || self.x509_issuer.is_some()
        {
            let mut x = Map::new();
            if let Some(h) = self.x509_sha1 {
                x.insert("hashes".into(), json!({"SHA-1": h.to_ascii_lowercase()}));
            }
            if let Some(v) = self.x509_serial {
                x.insert("serial_number".into(), lossy_string(v).into());
            }
            if let Some(v) = self.x509_subject {
                x.insert("subject".into(), lossy_string(v).into());
            }
            if let Some(v) = self.x509_issuer {
                x.insert("issuer".into(), lossy_string(v).into());
            }
            let id = sco_id("x509-certificate", &Value::Object(x.clone()));
            x.insert("type".into(), "x509-certificate".into());
            x.insert("spec_version".into(), "2.1".into());
            x.insert("id".into(), id.into());
            out.push(Value::Object(x));
        }
        out
    }

    /// An observed-data object for this observation referencing `scos`.
    pub fn observed_data(&self, id: &str, scos: &[Value], created: &str) -> Value {
        let t = format_timestamp(i128::from(self.ts_ns));
        let mut od = json!({
            "type": "observed-data", "spec_version": "2.1", "id": id,
            "created": created, "modified": created,
            "first_observed": t, "last_observed": t, "number_observed": 1,
            "object_refs": scos.iter().map(|o| o["id"].clone()).collect::<Vec<_>>()
        });
        if let Some(f) = self.flow_id {
            od["x_flow_id"] = f.into();
        }
        od
    }
}
