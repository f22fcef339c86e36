//! TLS EVE records with Suricata's field names.

use super::parser::version_str;
use super::tx::TlsRecord;
use reefwatch_applayer::JsonBuilder;

pub fn log_tls(js: &mut JsonBuilder, st: &TlsRecord<'_>) {
    if let Some(c) = st.cert {
        js.set_str("subject", &c.subject);
        js.set_str("issuerdn", &c.issuer);
        js.set_str("serial", &c.serial);
        js.set_str("fingerprint", &c.fingerprint);
    }
    if let Some(sni) = st.client.and_then(|c| c.sni.as_deref()) {
        js.set_bytes_str("sni", sni);
    }
    if let Some(v) = st.version {
        js.set_str("version", version_str(v));
    }
    if let Some(c) = st.cert {
        if !c.not_before.is_empty() {
            js.set_str("notbefore", &c.not_before);
        }
        if !c.not_after.is_empty() {
            js.set_str("notafter", &c.not_after);
        }
    }
    if st.session_resumed {
        js.set_bool("session_resumed", true);
    }
    if let Some(c) = st.client {
        if !c.ja3_hash.is_empty() {
            js.open_object("ja3");
            js.set_str("hash", &c.ja3_hash)
                .set_str("string", &c.ja3_string);
            js.close();
        }
    }
    if let Some(s) = st.server {
        js.open_object("ja3s");
        js.set_str("hash", &s.ja3s_hash)
            .set_str("string", &s.ja3s_string);
        js.close();
    }
    if let Some(c) = st.client {
        if !c.ja4.is_empty() {
            js.set_str("ja4", &c.ja4);
        }
        if !c.alpns.is_empty() {
            js.open_array("client_alpns");
            for a in &c.alpns {
                js.append_bytes_str(a);
            }
            js.close();
        }
    }
    if let Some(a) = st.server.and_then(|s| s.alpn.as_deref()) {
        js.open_array("server_alpns");
        js.append_bytes_str(a);
        js.close();
    }
}
