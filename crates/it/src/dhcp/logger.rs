//! DHCP EVE records with Suricata's field names (extended form).

use super::parser::*;
use crate::util::{be32, ipv4_str};
use reefwatch_applayer::JsonBuilder;

fn set_ip(js: &mut JsonBuilder, key: &str, a: [u8; 4]) {
    js.set_bytes_str(key, ipv4_str(a).as_bytes());
}

fn ip_of(v: &[u8]) -> Option<[u8; 4]> {
    v.get(..4).map(|s| [s[0], s[1], s[2], s[3]])
}

pub fn log_dhcp(js: &mut JsonBuilder, p: &Packet<'_>) {
    js.set_str("type", if p.op() == 2 { "reply" } else { "request" });
    js.set_uint("id", p.xid() as u64);
    js.set_hex_sep("client_mac", p.chaddr(), b':');
    set_ip(js, "assigned_ip", p.yiaddr());
    set_ip(js, "client_ip", p.ciaddr());
    if p.giaddr() != [0; 4] {
        set_ip(js, "relay_ip", p.giaddr());
    }
    if p.siaddr() != [0; 4] {
        set_ip(js, "next_server_ip", p.siaddr());
    }
    let mut opts = p.options();
    // one pass over the options, in wire order (bounded by the datagram)
    for (code, v) in opts.by_ref() {
        match code {
            OPT_MSG_TYPE => {
                if let Some(&t) = v.first() {
                    js.set_str("dhcp_type", msg_type_str(t));
                }
            }
            OPT_CLIENT_ID => {
                js.set_hex_sep("client_id", v.get(1..).unwrap_or(&[]), b':');
            }
            OPT_HOSTNAME => {
                js.set_bytes_str("hostname", v);
            }
            OPT_VENDOR_CLASS => {
                js.set_bytes_str("vendor_class_identifier", v);
            }
            OPT_REQUESTED_IP => {
                if let Some(a) = ip_of(v) {
                    set_ip(js, "requested_ip", a);
                }
            }
            OPT_LEASE_TIME | OPT_RENEWAL | OPT_REBINDING => {
                if let Some(t) = be32(v, 0) {
                    let key = match code {
                        OPT_LEASE_TIME => "lease_time",
                        OPT_RENEWAL => "renewal_time",
                        _ => "rebinding_time",
                    };
                    js.set_uint(key, t as u64);
                }
            }
            OPT_SUBNET_MASK => {
                if let Some(a) = ip_of(v) {
                    set_ip(js, "subnet_mask", a);
                }
            }
            OPT_ROUTERS | OPT_DNS => {
                js.open_array(if code == OPT_ROUTERS {
                    "routers"
                } else {
                    "dns_servers"
                });
                for c in v.chunks_exact(4).take(64) {
                    js.append_bytes_str(ipv4_str([c[0], c[1], c[2], c[3]]).as_bytes());
                }
                js.close();
            }
            OPT_PARAMS => {
                js.open_array("params");
                for &c in v {
                    if let Some(n) = param_str(c) {
                        js.append_str(n);
                    }
                }
                js.close();
            }
            _ => {}
        }
    }
}
