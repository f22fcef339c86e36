//! TLS session facts that make the flow's one `tls` record: what the ClientHello, ServerHello and
//! leaf certificate said. The state fills them and hands the logger a [`TlsRecord`].

use super::x509::CertInfo;

#[derive(Default)]
pub struct ClientInfo {
    pub version: u16,
    pub sni: Option<Vec<u8>>,
    pub ja3_string: String,
    pub ja3_hash: String,
    pub ja4: String,
    pub alpns: Vec<Vec<u8>>,
}

#[derive(Default)]
pub struct ServerInfo {
    pub version: u16,
    pub selected_version: Option<u16>,
    pub cipher: u16,
    pub ja3s_string: String,
    pub ja3s_hash: String,
    pub alpn: Option<Vec<u8>>,
}

/// What the `tls` record is written from, borrowed from the state when the
/// flow's record is due.
pub struct TlsRecord<'a> {
    pub client: Option<&'a ClientInfo>,
    pub server: Option<&'a ServerInfo>,
    /// The leaf certificate.
    pub cert: Option<&'a CertInfo>,
    /// The version the server chose (or the client offered, or SSLv2).
    pub version: Option<u16>,
    pub session_resumed: bool,
}
