//! HTTP EVE records with Suricata's field names (`http` and `fileinfo`).

use super::body::{FileDigests, FileTracker};
use super::tx::Tx;
use reefwatch_applayer::JsonBuilder;

/// Body of an `http` event.
pub fn log_http(js: &mut JsonBuilder, tx: &Tx) {
    write_http_fields(js, tx);
}

fn set_nonempty(js: &mut JsonBuilder, key: &str, v: &[u8]) {
    if !v.is_empty() {
        js.set_bytes_str(key, v);
    }
}

fn write_http_fields(js: &mut JsonBuilder, tx: &Tx) {
    set_nonempty(js, "hostname", tx.get(tx.host));
    if let Some(p) = tx.port {
        js.set_uint("http_port", p as u64);
    }
    set_nonempty(js, "url", tx.get(tx.uri));
    set_nonempty(js, "http_user_agent", tx.get(tx.user_agent));
    set_nonempty(js, "xff", tx.get(tx.xff));
    let ct = tx.get(tx.resp_content_type);
    set_nonempty(js, "http_content_type", ct);
    set_nonempty(js, "http_refer", tx.get(tx.referer));
    set_nonempty(js, "http_method", tx.get(tx.method));
    let proto = tx.get(tx.protocol);
    if !proto.is_empty() {
        js.set_bytes_str("protocol", proto);
    } else if !tx.has_request {
        set_nonempty(js, "protocol", tx.get(tx.resp_protocol));
    }
    if let Some(s) = tx.status {
        js.set_uint("status", s as u64);
    }
    set_nonempty(js, "redirect", tx.get(tx.location));
    js.set_uint("length", tx.resp_body_len);
}

/// Top-level members of a `fileinfo` event for one HTTP body.
pub fn log_fileinfo(js: &mut JsonBuilder, tx: &Tx, f: &FileTracker, dg: Option<&FileDigests>) {
    js.open_object("http");
    write_http_fields(js, tx);
    js.close();
    js.open_object("fileinfo");
    // Suricata names HTTP files after the URI path
    let uri = tx.get(tx.uri);
    let path = uri.split(|&c| c == b'?').next().unwrap_or(&[]);
    js.set_bytes_str("filename", path);
    js.set_bool("gaps", f.gaps);
    js.set_str(
        "state",
        if f.gaps || f.truncated {
            "TRUNCATED"
        } else {
            "CLOSED"
        },
    );
    if let Some(d) = dg {
        if let Some(h) = d.md5 {
            js.set_hex("md5", &h);
        }
        if let Some(h) = d.sha1 {
            js.set_hex("sha1", &h);
        }
        if let Some(h) = d.sha256 {
            js.set_hex("sha256", &h);
        }
    }
    js.set_bool("stored", false);
    js.set_uint("size", f.size);
    js.set_uint("tx_id", tx.id);
    js.close();
}
