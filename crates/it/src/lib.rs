//! reefwatch-it: IT application-layer parsers (DNS, HTTP/1.x, TLS with
//! JA3/JA3S/JA4, SSH with HASSH, DHCP, and more) behind the
//! [`reefwatch_applayer`] contract.
//!
//! Each protocol lives in its own folder with `parser.rs` (zero-copy wire
//! views), `state.rs` (per-flow transactions, bounded) and `logger.rs`
//! (Suricata-compatible EVE fields).

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
#[allow(dead_code)]
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
