//! Shared intelligence on the packet path: sticky buffers and flow
//! endpoints become STIX observations ([`reefwatch_stix::intel`]); each
//! match writes an EVE `alert` and counts toward a STIX sighting.
//!
//! Matching happens once per new flow (endpoints) and once per transaction
//! (dns/http/tls/file/… fields), never per packet. The set is shared by the
//! workers behind a mutex taken only for those calls.

use crate::eve::{EveOut, FlowHdr};
use reefwatch_applayer::BufferId;
use reefwatch_stix::intel::{Hit, IntelSet, Observation};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

pub type SharedIntel = Arc<Mutex<IntelSet>>;

/// Fields gathered from sticky buffers until the transaction's event.
#[derive(Default)]
struct Scratch {
    any: bool,
    domain: Vec<u8>,
    host: Vec<u8>,
    uri: Vec<u8>,
    method: Vec<u8>,
    ua: Vec<u8>,
    url: Vec<u8>,
    file_name: Vec<u8>,
    md5: String,
    sha1: String,
    sha256: String,
    x509_sha1: String,
    x509_serial: Vec<u8>,
    x509_subject: Vec<u8>,
    x509_issuer: Vec<u8>,
    ja3: String,
    ja4: String,
}

impl Scratch {
    fn clear(&mut self) {
        if !self.any {
            return;
        }
        self.any = false;
        for v in [
            &mut self.domain,
            &mut self.host,
            &mut self.uri,
            &mut self.method,
            &mut self.ua,
            &mut self.url,
            &mut self.file_name,
            &mut self.x509_serial,
            &mut self.x509_subject,
            &mut self.x509_issuer,
        ] {
            v.clear();
        }
        for s in [
            &mut self.md5,
            &mut self.sha1,
            &mut self.sha256,
            &mut self.x509_sha1,
            &mut self.ja3,
            &mut self.ja4,
        ] {
            s.clear();
        }
    }
}

/// Lower-case hex without separators (`47:75:05` → `477505`).
fn plain_hex(out: &mut String, data: &[u8]) {
    out.clear();
    for &b in data {
        if b.is_ascii_hexdigit() {
            out.push(b.to_ascii_lowercase() as char);
        }
    }
}

fn ascii(out: &mut String, data: &[u8]) {
    out.clear();
    out.extend(
        data.iter()
            .filter(|b| b.is_ascii_graphic())
            .map(|&b| b as char),
    );
}

fn opt(v: &[u8]) -> Option<&[u8]> {
    (!v.is_empty()).then_some(v)
}

fn opt_s(v: &str) -> Option<&str> {
    (!v.is_empty()).then_some(v)
}

/// Per-worker matching context.
pub struct IntelCtx {
    set: SharedIntel,
    hits: Vec<Hit>,
    scratch: Scratch,
    /// (flow_id, indicator) pairs already alerted: one alert per indicator
    /// per flow (sightings still count every matching observation).
    alerted: hashbrown::HashSet<(u64, u32), foldhash::fast::FixedState>,
    pub alerts: u64,
    /// reused for an alert's members
    members: reefwatch_applayer::JsonBuilder,
}

const MAX_ALERTED: usize = 1 << 20;

fn ip_of(a: &[u8; 16], v6: bool) -> IpAddr {
    if v6 {
        IpAddr::from(*a)
    } else {
        IpAddr::from([a[0], a[1], a[2], a[3]])
    }
}

impl IntelCtx {
    pub fn new(set: SharedIntel) -> Self {
        IntelCtx {
            set,
            hits: Vec::new(),
            scratch: Scratch::default(),
            alerted: Default::default(),
            alerts: 0,
            members: reefwatch_applayer::JsonBuilder::new_object(),
        }
    }

    /// A sticky buffer of the transaction being parsed.
    pub fn on_buffer(&mut self, id: BufferId, data: &[u8]) {
        let s = &mut self.scratch;
        let dst: &mut Vec<u8> = match id {
            BufferId::DnsQuery | BufferId::TlsSni => &mut s.domain,
            BufferId::HttpHost => &mut s.host,
            BufferId::HttpUri => &mut s.uri,
            BufferId::HttpMethod => &mut s.method,
            BufferId::HttpUserAgent => &mut s.ua,
            BufferId::FileName => &mut s.file_name,
            BufferId::TlsCertSerial => &mut s.x509_serial,
            BufferId::TlsCertSubject => &mut s.x509_subject,
            BufferId::TlsCertIssuer => &mut s.x509_issuer,
            BufferId::TlsCertFingerprint => {
                plain_hex(&mut s.x509_sha1, data);
                s.any = true;
                return;
            }
            BufferId::FileMd5 => {
                plain_hex(&mut s.md5, data);
                s.any = true;
                return;
            }
            BufferId::FileSha1 => {
                plain_hex(&mut s.sha1, data);
                s.any = true;
                return;
            }
            BufferId::FileSha256 => {
                plain_hex(&mut s.sha256, data);
                s.any = true;
                return;
            }
            BufferId::Ja3Hash => {
                ascii(&mut s.ja3, data);
                s.any = true;
                return;
            }
            BufferId::Ja4Hash => {
                ascii(&mut s.ja4, data);
                s.any = true;
                return;
            }
            _ => return,
        };
        dst.clear();
        dst.extend_from_slice(&data[..data.len().min(8192)]);
        s.any = true;
    }

    /// A transaction's event is being written: match what it carried.
    pub fn on_transaction(&mut self, eve: &mut EveOut, hdr: &FlowHdr<'_>, app_proto: &str) {
        if !self.scratch.any {
            return;
        }
        let s = &mut self.scratch;
        if !s.host.is_empty() {
            if s.domain.is_empty() {
                s.domain.extend_from_slice(&s.host);
            }
            s.url.clear();
            s.url.extend_from_slice(if hdr.sport == 443 {
                b"https://"
            } else {
                b"http://"
            });
            s.url.extend_from_slice(&s.host);
            if hdr.sport != 80 && hdr.sport != 443 {
                let _ = std::io::Write::write_fmt(&mut s.url, format_args!(":{}", hdr.sport));
            }
            s.url.extend_from_slice(&s.uri);
        }
        let l3 = if hdr.v6 { "ipv6" } else { "ipv4" };
        let l4 = if hdr.ip_proto == 17 { "udp" } else { "tcp" };
        let protos = [l3, l4, app_proto];
        let obs = Observation {
            ts_ns: hdr.ts_ns,
            src_ip: Some(ip_of(hdr.client, hdr.v6)),
            dst_ip: Some(ip_of(hdr.server, hdr.v6)),
            src_port: Some(hdr.cport),
            dst_port: Some(hdr.sport),
            protocols: &protos,
            domain: opt(&s.domain),
            url: opt(&s.url),
            http_method: opt(&s.method),
            http_uri: opt(&s.uri),
            user_agent: opt(&s.ua),
            md5: opt_s(&s.md5),
            sha1: opt_s(&s.sha1),
            sha256: opt_s(&s.sha256),
            file_name: opt(&s.file_name),
            x509_sha1: opt_s(&s.x509_sha1),
            x509_serial: opt(&s.x509_serial),
            x509_subject: opt(&s.x509_subject),
            x509_issuer: opt(&s.x509_issuer),
            ja3: opt_s(&s.ja3),
            ja4: opt_s(&s.ja4),
            flow_id: Some(hdr.flow_id),
        };
        self.hits.clear();
        if let Ok(mut set) = self.set.lock() {
            set.observe(&obs, &mut self.hits);
        }
        self.scratch.clear();
        self.write_alerts(eve, hdr, app_proto);
    }

    /// A new flow: match its endpoints (ipv4/ipv6-addr, network-traffic).
    pub fn on_new_flow(&mut self, eve: &mut EveOut, hdr: &FlowHdr<'_>) {
        let l3 = if hdr.v6 { "ipv6" } else { "ipv4" };
        let l4 = match hdr.ip_proto {
            6 => "tcp",
            17 => "udp",
            1 => "icmp",
            58 => "ipv6-icmp",
            _ => "",
        };
        let protos = [l3, l4];
        let n = if l4.is_empty() { 1 } else { 2 };
        let obs = Observation {
            ts_ns: hdr.ts_ns,
            src_ip: Some(ip_of(hdr.client, hdr.v6)),
            dst_ip: Some(ip_of(hdr.server, hdr.v6)),
            src_port: (hdr.cport != 0).then_some(hdr.cport),
            dst_port: (hdr.sport != 0).then_some(hdr.sport),
            protocols: &protos[..n],
            flow_id: Some(hdr.flow_id),
            ..Default::default()
        };
        self.hits.clear();
        if let Ok(mut set) = self.set.lock() {
            set.observe(&obs, &mut self.hits);
        }
        self.write_alerts(eve, hdr, "");
    }

    fn write_alerts(&mut self, eve: &mut EveOut, hdr: &FlowHdr<'_>, app_proto: &str) {
        for h in &self.hits {
            if self.alerted.len() >= MAX_ALERTED {
                self.alerted.clear();
            }
            if !self.alerted.insert((hdr.flow_id, h.signature_id)) {
                continue;
            }
            self.alerts += 1;
            if !eve.enabled() {
                continue;
            }
            // the members of `alert` after `action`, then the one writer
            let js = &mut self.members;
            js.reset_object();
            js.set_uint("gid", 1)
                .set_uint("signature_id", u64::from(h.signature_id))
                .set_uint("rev", 1);
            match h.name() {
                Some(name) => {
                    js.set_fmt("signature", format_args!("REEFWATCH STIX indicator {name}"))
                }
                None => js.set_fmt(
                    "signature",
                    format_args!("REEFWATCH STIX indicator {}", h.indicator_id()),
                ),
            }
            .set_str("category", "Threat Intelligence Match")
            .set_uint("severity", 2);
            js.open_object("metadata");
            h.write_alert_metadata(js);
            js.close();
            crate::rules::write_alert(
                eve,
                hdr,
                true,
                app_proto,
                "allowed",
                &js.as_str()[1..],
                None,
                None,
            );
        }
    }
}
