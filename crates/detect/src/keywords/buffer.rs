//! Inspection buffers (Suricata's sticky buffers and their legacy content
//! modifiers) and transforms.
use crate::error::{ErrorKind, ParseError, Result};
use crate::parse::header::AppProto;
use crate::parse::value::{strip_quotes, unescape_string};
pub use reefwatch_applayer::BufferId;

/// The buffer a list of matches inspects.
///
/// `Payload` is the packet payload or the reassembled stream (Suricata's
/// `pmatch` list); `Base64Data` is what `base64_decode` produced; every
/// other buffer is a sticky buffer an application-layer parser exposes,
/// by its one typed id ([`BufferId`], whose table holds Suricata's
/// keyword names). Only the legacy spellings live here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Buffer {
    Payload,
    Base64Data,
    App(BufferId),
}

/// Sticky-buffer spellings that are not a [`BufferId`] keyword: the
/// underscore forms of Suricata 5/6 and the names Suricata maps to another
/// list (`http.response_body` and `http_response_body` are the file_data
/// list, as `file_data` is).
const ALIASES: &[(&str, BufferId)] = &[
    ("http_request_body", BufferId::HttpRequestBody),
    ("file_data", BufferId::FileData),
    ("http.response_body", BufferId::FileData),
    ("http_response_body", BufferId::FileData),
    ("http_content_type", BufferId::HttpContentType),
    ("http_content_len", BufferId::HttpContentLen),
    ("http_referer", BufferId::HttpReferer),
    ("http_header_names", BufferId::HttpHeaderNames),
    ("http_request_line", BufferId::HttpRequestLine),
    ("http_response_line", BufferId::HttpResponseLine),
    ("http_start", BufferId::HttpStart),
    ("http_protocol", BufferId::HttpProtocol),
    ("http_location", BufferId::HttpLocation),
    ("http_server", BufferId::HttpServer),
    ("http_accept", BufferId::HttpAccept),
    ("http_accept_enc", BufferId::HttpAcceptEnc),
    ("http_accept_lang", BufferId::HttpAcceptLang),
    ("http_connection", BufferId::HttpConnection),
    ("dns_query", BufferId::DnsQuery),
    ("tls_sni", BufferId::TlsSni),
    ("tls_cert_subject", BufferId::TlsCertSubject),
    ("tls_cert_issuer", BufferId::TlsCertIssuer),
    ("tls_cert_serial", BufferId::TlsCertSerial),
    ("tls_cert_fingerprint", BufferId::TlsCertFingerprint),
    ("ja3_hash", BufferId::Ja3Hash),
    ("ja3_string", BufferId::Ja3String),
    ("ja3s_hash", BufferId::Ja3sHash),
    ("ja3s_string", BufferId::Ja3sString),
    ("ssh_proto", BufferId::SshProto),
    ("ssh_software", BufferId::SshSoftware),
    ("dnp3_data", BufferId::Dnp3Data),
];

/// Legacy content modifiers: `content:"x"; http_uri;` moves the previous
/// content into the buffer.
const LEGACY: &[(&str, BufferId)] = &[
    ("http_uri", BufferId::HttpUri),
    ("http_raw_uri", BufferId::HttpUriRaw),
    ("http_method", BufferId::HttpMethod),
    ("http_header", BufferId::HttpHeader),
    ("http_raw_header", BufferId::HttpHeaderRaw),
    ("http_cookie", BufferId::HttpCookie),
    ("http_user_agent", BufferId::HttpUserAgent),
    ("http_host", BufferId::HttpHost),
    ("http_raw_host", BufferId::HttpHostRaw),
    ("http_client_body", BufferId::HttpRequestBody),
    ("http_server_body", BufferId::FileData),
    ("http_stat_code", BufferId::HttpStatCode),
    ("http_stat_msg", BufferId::HttpStatMsg),
];

impl Buffer {
    /// The buffer a sticky-buffer keyword selects.
    pub fn sticky(name: &str) -> Option<Buffer> {
        if name == "base64_data" {
            return Some(Buffer::Base64Data);
        }
        // http.response_body is a BufferId of its own (the HTTP parser
        // exposes it), but rules inspect it as the file_data list
        if let Some((_, id)) = ALIASES.iter().find(|(n, _)| *n == name) {
            return Some(Buffer::App(*id));
        }
        BufferId::from_name(name).map(Buffer::App)
    }
    /// The buffer a legacy content modifier moves the previous content to.
    pub fn legacy_modifier(name: &str) -> Option<Buffer> {
        LEGACY
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| Buffer::App(*b))
    }
    /// Suricata's canonical name of the buffer.
    pub fn name(self) -> &'static str {
        match self {
            Buffer::Payload => "payload",
            Buffer::Base64Data => "base64_data",
            Buffer::App(id) => id.name(),
        }
    }
    /// The app-layer id, if this is a sticky buffer.
    pub fn app(self) -> Option<BufferId> {
        match self {
            Buffer::App(id) => Some(id),
            _ => None,
        }
    }
    /// Whether the buffer comes from the HTTP parser.
    pub fn is_http(self) -> bool {
        self.name().starts_with("http.") || self == Buffer::App(BufferId::FileData)
    }
    /// Whether the buffer is filled per transaction by an app-layer parser.
    pub fn is_app_layer(self) -> bool {
        matches!(self, Buffer::App(_))
    }
    /// The application protocol whose parser fills the buffer (`None`
    /// for the payload, base64_data and the protocol-neutral `file.*`).
    pub fn proto(self) -> Option<AppProto> {
        let Buffer::App(id) = self else { return None };
        let name = id.name();
        let family = name.split('.').next().unwrap_or("");
        Some(match family {
            "http" => AppProto::Http,
            "dns" => AppProto::Dns,
            "tls" | "ja3" | "ja3s" | "ja4" => AppProto::Tls,
            "ssh" => AppProto::Ssh,
            "dhcp" => AppProto::Dhcp,
            "ftp" => AppProto::Ftp,
            "smb" => AppProto::Smb,
            "rdp" => AppProto::Rdp,
            "snmp" => AppProto::Snmp,
            "dnp3" => AppProto::Dnp3,
            "telnet" => AppProto::Telnet,
            _ => return None,
        })
    }
}

/// A transform applied to a sticky buffer before its matches run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Transform {
    /// Prepends a `.` (so `.example.com` with endswith matches the domain and
    /// its subdomains only).
    Dotprefix,
    ToLowercase,
    ToUppercase,
    StripWhitespace,
    CompressWhitespace,
    UrlDecode,
    HeaderLowercase,
    StripPseudoHeaders,
    ToMd5,
    ToSha1,
    ToSha256,
    /// `xor:"0d0ac8ff"`: XOR with the repeating key.
    Xor(Vec<u8>),
    /// `pcrexform:"…"`: the first capture group replaces the buffer.
    Pcrexform(String),
    FromBase64,
}

impl Transform {
    /// Parses a transform keyword, `None` if `name` is not one.
    pub fn parse(name: &str, value: Option<&str>) -> Option<Result<Transform>> {
        let simple = match name {
            "dotprefix" => Some(Transform::Dotprefix),
            "to_lowercase" => Some(Transform::ToLowercase),
            "to_uppercase" => Some(Transform::ToUppercase),
            "strip_whitespace" => Some(Transform::StripWhitespace),
            "compress_whitespace" => Some(Transform::CompressWhitespace),
            "url_decode" => Some(Transform::UrlDecode),
            "header_lowercase" => Some(Transform::HeaderLowercase),
            "strip_pseudo_headers" => Some(Transform::StripPseudoHeaders),
            "to_md5" => Some(Transform::ToMd5),
            "to_sha1" => Some(Transform::ToSha1),
            "to_sha256" => Some(Transform::ToSha256),
            "xor" | "pcrexform" | "from_base64" => None,
            _ => return None,
        };
        if let Some(t) = simple {
            if value.is_some() {
                return Some(Err(ParseError::new("takes no value").at(name)));
            }
            return Some(Ok(t));
        }
        Some(
            match (name, value) {
                ("xor", Some(v)) => parse_xor_key(strip_quotes(v)).map(Transform::Xor),
                ("pcrexform", Some(v)) => unescape_string(v).map(Transform::Pcrexform),
                ("from_base64", None) => Ok(Transform::FromBase64),
                ("from_base64", Some(_)) => Err(ParseError::kind(
                    ErrorKind::Unsupported,
                    "from_base64 options are not supported",
                )),
                _ => Err(ParseError::new("needs a value")),
            }
            .map_err(|e| e.at(name)),
        )
    }
}

fn parse_xor_key(k: &str) -> Result<Vec<u8>> {
    if k.is_empty() || !k.len().is_multiple_of(2) || k.len() > 510 {
        return Err(ParseError::new("key must be an even number of hex digits"));
    }
    (0..k.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&k[i..i + 2], 16)
                .map_err(|_| ParseError::new("key must be hex digits"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sticky_and_legacy_names() {
        let app = Buffer::App;
        assert_eq!(Buffer::sticky("http.uri"), Some(app(BufferId::HttpUri)));
        assert_eq!(Buffer::sticky("dns_query"), Some(app(BufferId::DnsQuery)));
        assert_eq!(Buffer::sticky("file.data"), Buffer::sticky("file_data"));
        assert_eq!(
            Buffer::sticky("http.response_body"),
            Buffer::sticky("file_data")
        );
        assert_eq!(Buffer::sticky("dnp3.data"), Buffer::sticky("dnp3_data"));
        assert_eq!(Buffer::sticky("base64_data"), Some(Buffer::Base64Data));
        assert_eq!(Buffer::sticky("http_uri"), None);
        assert_eq!(
            Buffer::legacy_modifier("http_uri"),
            Some(app(BufferId::HttpUri))
        );
        assert_eq!(
            Buffer::legacy_modifier("http_client_body"),
            Some(app(BufferId::HttpRequestBody))
        );
        assert_eq!(app(BufferId::HttpUri).name(), "http.uri");
        assert_eq!(app(BufferId::TlsCerts).name(), "tls.certs");
        assert!(app(BufferId::HttpCookie).is_http() && !app(BufferId::DnsQuery).is_http());
        assert_eq!(app(BufferId::Ja3Hash).proto(), Some(AppProto::Tls));
        assert_eq!(app(BufferId::FileName).proto(), None);
        // every alias names an id whose protocol agrees with the spelling
        for (n, id) in ALIASES {
            assert_eq!(Buffer::sticky(n), Some(app(*id)), "{n}");
        }
    }

    #[test]
    fn transforms() {
        assert_eq!(
            Transform::parse("dotprefix", None).unwrap(),
            Ok(Transform::Dotprefix)
        );
        assert!(Transform::parse("dotprefix", Some("x")).unwrap().is_err());
        assert_eq!(
            Transform::parse("xor", Some("\"0d0ac8ff\"")).unwrap(),
            Ok(Transform::Xor(vec![0x0d, 0x0a, 0xc8, 0xff]))
        );
        assert!(Transform::parse("xor", Some("\"0d0\"")).unwrap().is_err());
        assert!(Transform::parse("content", None).is_none());
    }
}
