//! reefwatch-it: IT application-layer parsers behind the
//! [`reefwatch_applayer`] contract, with Suricata-compatible EVE records.
//!
//! | protocol | transport | EVE event | sticky buffers (Suricata keyword names) |
//! |---|---|---|---|
//! | DNS | UDP, TCP | `dns` (v3: queries, answers, grouped, authorities, additionals) | `dns.query` |
//! | HTTP/1.x | TCP | `http`, `fileinfo` (size, MD5/SHA-1/SHA-256) | `http.method`, `http.uri`, `http.uri.raw`, `http.protocol`, `http.request_line`, `http.host`, `http.host.raw`, `http.user_agent`, `http.cookie`, `http.referer`, `http.content_type`, `http.content_len`, `http.accept`, `http.accept_enc`, `http.accept_lang`, `http.connection`, `http.header`, `http.header.raw`, `http.start`, `http.request_body`, `http.stat_code`, `http.stat_msg`, `http.response_line`, `http.server`, `http.location`, `http.response_body`, `file.data` |
//! | TLS | TCP | `tls` (cert subject/issuer/serial/fingerprint/validity, SNI, version, JA3, JA3S, JA4, ALPNs) | `tls.sni`, `tls.alpn`, `tls.cert_subject`, `tls.cert_issuer`, `tls.cert_serial`, `tls.cert_fingerprint`, `tls.certs`, `ja3.hash`, `ja3.string`, `ja3s.hash`, `ja3s.string`, `ja4.hash` |
//! | SSH | TCP | `ssh` (banners, HASSH) | `ssh.proto`, `ssh.software`, `ssh.hassh`, `ssh.hassh.string`, `ssh.hassh.server`, `ssh.hassh.server.string` |
//! | DHCP | UDP | `dhcp` | `dhcp.hostname`, `dhcp.vendor_class` |
//! | FTP | TCP | `ftp` | `ftp.command`, `ftp.command_data`, `ftp.completion_code`, `ftp.reply` |
//! | SMB2/3 | TCP | `smb` | `smb.share`, `smb.named_pipe`, `smb.ntlmssp_user`, `smb.ntlmssp_domain`, `file.name` |
//! | RDP | TCP | `rdp` | `rdp.cookie` |
//! | SNMP | UDP | `snmp` | `snmp.community`, `snmp.usm` |
//! | NTP | UDP | `ntp` | — |
//! | NetBIOS-NS | UDP | — (Suricata has none) | `nbns.name`, `nbns.name_suffix` |
//! | Telnet | TCP | — (Suricata has none) | `telnet.username` |
//!
//! Each buffer is a [`reefwatch_applayer::BufferId`] (the keyword names above
//! are its table's). Buffers are borrowed from the parsed bytes (or from a stack buffer for
//! normalised values such as `http.uri`) and delivered before the
//! transaction's event; body buffers arrive piece by piece as the body
//! streams in, up to the configured depth ([`config`]). Cleartext logins
//! (FTP, Telnet) raise `*.cleartext_credentials` anomalies.
//!
//! Each protocol lives in its own folder with `parser.rs` (zero-copy wire
//! views), `tx.rs` (the transaction type), `state.rs` (per-flow
//! transactions, bounded; calls the logger) and `logger.rs` (EVE fields,
//! from `tx.rs`'s types only); the small ones keep them in `mod.rs`.
#![forbid(unsafe_code)]

pub mod config;
pub mod dhcp;
pub mod dns;
pub mod ftp;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod nbns;
pub mod ntp;
pub mod rdp;
pub mod smb;
pub mod snmp;
pub mod ssh;
pub mod telnet;
#[cfg(test)]
pub(crate) mod testkit;
pub mod tls;
pub(crate) mod util;

use reefwatch_applayer::ProtocolDef;

static PROTOCOLS: &[ProtocolDef] = &[
    dns::DNS_UDP,
    dns::DNS_TCP,
    http::HTTP,
    tls::TLS,
    ssh::SSH,
    dhcp::DHCP,
    ftp::FTP,
    snmp::SNMP,
    rdp::RDP,
    smb::SMB,
    ntp::NTP,
    nbns::NBNS,
    telnet::TELNET,
];

/// Every IT protocol this crate parses, for the engine's registry. Names are
/// Suricata's `app_proto` values; a name may appear once per transport.
pub fn protocols() -> &'static [ProtocolDef] {
    PROTOCOLS
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_lists_every_protocol() {
        let names: Vec<&str> = super::protocols().iter().map(|p| p.name).collect();
        for n in [
            "dns", "http", "tls", "ssh", "dhcp", "ftp", "snmp", "rdp", "smb",
        ] {
            assert!(names.contains(&n), "{n} missing from protocols()");
        }
    }
}
