//! SMB EVE records (Suricata's `smb` field names), from a paired request
//! and its response.

use super::parser::*;
use super::tx::Req;
use reefwatch_applayer::JsonBuilder;

/// An SMB2/3 response and what the flow knows about it.
pub struct Smb2Response<'a> {
    pub id: u64,
    /// Dialect the server chose at NEGOTIATE.
    pub dialect: Option<u16>,
    pub header: &'a Header<'a>,
    pub req: &'a Req,
    /// NEGOTIATE response: the server GUID.
    pub server_guid: Option<&'a [u8]>,
    /// TREE_CONNECT response: the share type.
    pub share_type: Option<u8>,
    /// The share of the request's tree id.
    pub tree_share: Option<&'a str>,
    /// CREATE response: (action, size, file id).
    pub create: Option<(u32, u64, &'a [u8])>,
}

pub fn log_smb2(js: &mut JsonBuilder, r: &Smb2Response<'_>) {
    js.set_uint("id", r.id);
    if let Some(d) = r.dialect {
        js.set_str("dialect", &dialect_str(d));
    }
    js.set_str("command", command_str(r.header.command()));
    match status_str(r.header.status()) {
        Some(s) => js.set_str("status", s),
        None => js.set_fmt("status", format_args!("0x{:x}", r.header.status())),
    };
    js.set_fmt("status_code", format_args!("0x{:x}", r.header.status()));
    js.set_uint("session_id", r.header.session_id().max(r.req.session_id));
    js.set_uint("tree_id", r.req.tree_id.max(r.header.tree_id()) as u64);
    if !r.req.dialects.is_empty() {
        js.open_array("client_dialects");
        for d in &r.req.dialects {
            js.append_str(&dialect_str(*d));
        }
        js.close();
    }
    if let Some(g) = r.server_guid {
        // GUID text: little-endian first three groups
        let f = |range: core::ops::Range<usize>, le: bool| -> String {
            let mut b = g[range].to_vec();
            if le {
                b.reverse();
            }
            b.iter().map(|x| format!("{x:02x}")).collect()
        };
        js.set_fmt(
            "server_guid",
            format_args!(
                "{}-{}-{}-{}-{}",
                f(0..4, true),
                f(4..6, true),
                f(6..8, true),
                f(8..10, false),
                f(10..16, false)
            ),
        );
    }
    if let Some((d, u, host)) = &r.req.ntlmssp {
        js.open_object("ntlmssp");
        js.set_str("domain", d)
            .set_str("user", u)
            .set_str("host", host);
        js.close();
    }
    if let Some(s) = &r.req.share {
        js.set_str("share", s);
        if let Some(t) = r.share_type {
            js.set_str(
                "share_type",
                match t {
                    1 => "FILE",
                    2 => "PIPE",
                    3 => "PRINT",
                    _ => "UNKNOWN",
                },
            );
        }
    }
    if let Some(f) = &r.req.filename {
        js.set_str("filename", f);
        if let Some(s) = r.tree_share {
            js.set_str("share", s);
        }
        if let Some(d) = r.req.disposition {
            js.set_str("disposition", disposition_str(d));
        }
    }
    if let Some((_action, size, fid)) = r.create {
        js.set_uint("size", size);
        js.set_hex("fuid", fid);
    }
}

/// An SMB1 response; `dialect` is the one chosen at NEGOTIATE.
pub fn log_smb1(
    js: &mut JsonBuilder,
    id: u64,
    dialect: Option<&str>,
    h: &Smb1Header<'_>,
    req: &Req,
) {
    js.set_uint("id", id);
    if let Some(d) = dialect {
        js.set_str("dialect", d);
    }
    js.set_str("command", smb1_command_str(h.command()));
    match status_str(h.status()) {
        Some(s) => js.set_str("status", s),
        None => js.set_fmt("status", format_args!("0x{:x}", h.status())),
    };
    js.set_fmt("status_code", format_args!("0x{:x}", h.status()));
    js.set_uint("session_id", h.user_id() as u64);
    js.set_uint("tree_id", h.tree_id() as u64);
    if !req.smb1_dialects.is_empty() {
        js.open_array("client_dialects");
        for d in &req.smb1_dialects {
            js.append_str(d);
        }
        js.close();
    }
}
