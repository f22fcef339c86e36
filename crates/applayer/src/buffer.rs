//! Sticky buffers, declared once: each [`BufferId`] is one typed id with its
//! Suricata keyword name in a single table. Parsers expose buffers through
//! [`crate::EventSink::buffer`] by id; intelligence matching and the rule
//! engine index by id (a dense `0..BufferId::COUNT` range) and map rule
//! keywords to ids with [`BufferId::from_name`]. A misspelt id does not
//! compile; a new buffer is one line in the table below.

macro_rules! buffers {
    ($( $(#[$doc:meta])* $id:ident => $name:literal, )*) => {
        /// A sticky buffer a parser exposes (Suricata's keyword in
        /// [`BufferId::name`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #[repr(u8)]
        pub enum BufferId {
            $( $(#[$doc])* $id, )*
        }

        /// `(id, keyword)` for every buffer, in id order.
        const TABLE: &[(BufferId, &str)] = &[ $( (BufferId::$id, $name), )* ];
    };
}

buffers! {
    // DNS
    /// Each query name, decompressed, dotted.
    DnsQuery => "dns.query",
    // HTTP requests
    HttpMethod => "http.method",
    /// Normalised (percent-decoded, dot segments removed) request URI.
    HttpUri => "http.uri",
    HttpUriRaw => "http.uri.raw",
    HttpProtocol => "http.protocol",
    HttpRequestLine => "http.request_line",
    /// Normalised (lower-case, no port) Host header.
    HttpHost => "http.host",
    HttpHostRaw => "http.host.raw",
    HttpUserAgent => "http.user_agent",
    /// Cookie (request) or Set-Cookie (response) value.
    HttpCookie => "http.cookie",
    HttpReferer => "http.referer",
    HttpContentType => "http.content_type",
    HttpContentLen => "http.content_len",
    HttpAccept => "http.accept",
    HttpAcceptEnc => "http.accept_enc",
    HttpAcceptLang => "http.accept_lang",
    HttpConnection => "http.connection",
    /// The header block of a request or response.
    HttpHeader => "http.header",
    HttpHeaderRaw => "http.header.raw",
    /// The header names of a request or response, each followed by CRLF,
    /// the block starting with CRLF (Suricata's layout).
    HttpHeaderNames => "http.header_names",
    /// Start line and headers of a request or response.
    HttpStart => "http.start",
    HttpRequestBody => "http.request_body",
    // HTTP responses
    HttpStatCode => "http.stat_code",
    HttpStatMsg => "http.stat_msg",
    HttpResponseLine => "http.response_line",
    HttpServer => "http.server",
    HttpLocation => "http.location",
    HttpResponseBody => "http.response_body",
    // files (HTTP bodies, SMB names)
    FileData => "file.data",
    FileName => "file.name",
    /// Lower-case hex MD5 of a whole file.
    FileMd5 => "file.md5",
    FileSha1 => "file.sha1",
    FileSha256 => "file.sha256",
    // TLS
    TlsSni => "tls.sni",
    TlsAlpn => "tls.alpn",
    TlsCertSubject => "tls.cert_subject",
    TlsCertIssuer => "tls.cert_issuer",
    TlsCertSerial => "tls.cert_serial",
    TlsCertFingerprint => "tls.cert_fingerprint",
    /// Each certificate of the chain, DER.
    TlsCerts => "tls.certs",
    Ja3Hash => "ja3.hash",
    Ja3String => "ja3.string",
    Ja3sHash => "ja3s.hash",
    Ja3sString => "ja3s.string",
    Ja4Hash => "ja4.hash",
    // SSH
    SshProto => "ssh.proto",
    SshSoftware => "ssh.software",
    SshHassh => "ssh.hassh",
    SshHasshString => "ssh.hassh.string",
    SshHasshServer => "ssh.hassh.server",
    SshHasshServerString => "ssh.hassh.server.string",
    // DHCP
    DhcpHostname => "dhcp.hostname",
    DhcpVendorClass => "dhcp.vendor_class",
    // FTP
    FtpCommand => "ftp.command",
    FtpCommandData => "ftp.command_data",
    FtpCompletionCode => "ftp.completion_code",
    FtpReply => "ftp.reply",
    // SMB
    SmbShare => "smb.share",
    SmbNamedPipe => "smb.named_pipe",
    SmbNtlmsspUser => "smb.ntlmssp_user",
    SmbNtlmsspDomain => "smb.ntlmssp_domain",
    // RDP
    RdpCookie => "rdp.cookie",
    // SNMP
    SnmpCommunity => "snmp.community",
    SnmpUsm => "snmp.usm",
    // DNP3
    /// The application-layer data of a DNP3 fragment (link-layer CRCs
    /// removed).
    Dnp3Data => "dnp3.data",
    // NetBIOS name service (no Suricata keyword; named in its style)
    NbnsName => "nbns.name",
    /// The 16th byte of a NetBIOS name (its service type).
    NbnsNameSuffix => "nbns.name_suffix",
    // Telnet (no Suricata keyword; named in its style)
    TelnetUsername => "telnet.username",
}

impl BufferId {
    /// Number of ids; [`BufferId::index`] is below it.
    pub const COUNT: usize = TABLE.len();

    /// Every id, in index order.
    pub fn all() -> impl Iterator<Item = BufferId> {
        TABLE.iter().map(|&(id, _)| id)
    }

    /// Dense index (`0..COUNT`), for per-buffer tables.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The Suricata keyword (`"http.uri"`, `"dns.query"` …).
    #[inline]
    pub fn name(self) -> &'static str {
        TABLE[self.index()].1
    }

    /// The id of a keyword (rule parsing); `None` when no parser exposes it.
    pub fn from_name(name: &str) -> Option<BufferId> {
        TABLE.iter().find(|(_, n)| *n == name).map(|&(id, _)| id)
    }
}

impl core::fmt::Display for BufferId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_id_order_and_names_are_unique() {
        for (i, &(id, name)) in TABLE.iter().enumerate() {
            assert_eq!(id.index(), i, "{name} out of order");
            assert_eq!(id.name(), name);
            assert_eq!(BufferId::from_name(name), Some(id));
            assert!(
                name.contains('.')
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b"._0123456789".contains(&b)),
                "{name} is not a keyword"
            );
        }
        let mut names: Vec<&str> = TABLE.iter().map(|t| t.1).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BufferId::COUNT);
        assert_eq!(BufferId::all().count(), BufferId::COUNT);
    }

    #[test]
    fn keywords() {
        assert_eq!(BufferId::HttpUri.name(), "http.uri");
        assert_eq!(BufferId::DnsQuery.to_string(), "dns.query");
        assert_eq!(BufferId::from_name("tls.sni"), Some(BufferId::TlsSni));
        assert_eq!(
            BufferId::from_name("ssh.hassh.server.string"),
            Some(BufferId::SshHasshServerString)
        );
        assert_eq!(BufferId::from_name("http.url"), None);
    }
}
