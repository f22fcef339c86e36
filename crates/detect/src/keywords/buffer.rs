//! Inspection buffers (Suricata's sticky buffers and their legacy content
//! modifiers) and transforms.
use crate::error::{ErrorKind, ParseError, Result};
use crate::parse::value::{strip_quotes, unescape_string};

/// The buffer a list of matches inspects.
///
/// `Payload` is the packet payload or the reassembled stream (Suricata's
/// `pmatch` list); every other variant is a sticky buffer filled by an
/// application-layer parser (or, for `Base64Data`, by `base64_decode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Buffer {
    Payload,
    HttpUri,
    HttpUriRaw,
    HttpMethod,
    HttpHeader,
    HttpHeaderRaw,
    HttpCookie,
    HttpUserAgent,
    HttpHost,
    HttpHostRaw,
    HttpRequestBody,
    /// `file_data` / `file.data`, and `http.response_body` /
    /// `http_server_body` (Suricata sets the file_data list for those).
    FileData,
    HttpStatCode,
    HttpStatMsg,
    HttpContentType,
    HttpContentLen,
    HttpReferer,
    HttpHeaderNames,
    HttpRequestLine,
    HttpResponseLine,
    HttpStart,
    HttpProtocol,
    HttpLocation,
    HttpServer,
    HttpAccept,
    HttpAcceptEnc,
    HttpAcceptLang,
    HttpConnection,
    DnsQuery,
    TlsSni,
    TlsCertSubject,
    TlsCertIssuer,
    TlsCertSerial,
    TlsCertFingerprint,
    TlsCerts,
    Ja3Hash,
    Ja3String,
    Ja3sHash,
    Ja3sString,
    SshProto,
    SshSoftware,
    Dnp3Data,
    Base64Data,
}

/// Sticky buffer names, current and legacy, with their buffer.
const STICKY: &[(&str, Buffer)] = &[
    ("http.uri", Buffer::HttpUri),
    ("http.uri.raw", Buffer::HttpUriRaw),
    ("http.method", Buffer::HttpMethod),
    ("http.header", Buffer::HttpHeader),
    ("http.header.raw", Buffer::HttpHeaderRaw),
    ("http.cookie", Buffer::HttpCookie),
    ("http.user_agent", Buffer::HttpUserAgent),
    ("http.host", Buffer::HttpHost),
    ("http.host.raw", Buffer::HttpHostRaw),
    ("http.request_body", Buffer::HttpRequestBody),
    ("http_request_body", Buffer::HttpRequestBody),
    ("file_data", Buffer::FileData),
    ("file.data", Buffer::FileData),
    ("http.response_body", Buffer::FileData),
    ("http_response_body", Buffer::FileData),
    ("http.stat_code", Buffer::HttpStatCode),
    ("http.stat_msg", Buffer::HttpStatMsg),
    ("http.content_type", Buffer::HttpContentType),
    ("http_content_type", Buffer::HttpContentType),
    ("http.content_len", Buffer::HttpContentLen),
    ("http_content_len", Buffer::HttpContentLen),
    ("http.referer", Buffer::HttpReferer),
    ("http_referer", Buffer::HttpReferer),
    ("http.header_names", Buffer::HttpHeaderNames),
    ("http_header_names", Buffer::HttpHeaderNames),
    ("http.request_line", Buffer::HttpRequestLine),
    ("http_request_line", Buffer::HttpRequestLine),
    ("http.response_line", Buffer::HttpResponseLine),
    ("http_response_line", Buffer::HttpResponseLine),
    ("http.start", Buffer::HttpStart),
    ("http_start", Buffer::HttpStart),
    ("http.protocol", Buffer::HttpProtocol),
    ("http_protocol", Buffer::HttpProtocol),
    ("http.location", Buffer::HttpLocation),
    ("http_location", Buffer::HttpLocation),
    ("http.server", Buffer::HttpServer),
    ("http_server", Buffer::HttpServer),
    ("http.accept", Buffer::HttpAccept),
    ("http_accept", Buffer::HttpAccept),
    ("http.accept_enc", Buffer::HttpAcceptEnc),
    ("http_accept_enc", Buffer::HttpAcceptEnc),
    ("http.accept_lang", Buffer::HttpAcceptLang),
    ("http_accept_lang", Buffer::HttpAcceptLang),
    ("http.connection", Buffer::HttpConnection),
    ("http_connection", Buffer::HttpConnection),
    ("dns.query", Buffer::DnsQuery),
    ("dns_query", Buffer::DnsQuery),
    ("tls.sni", Buffer::TlsSni),
    ("tls_sni", Buffer::TlsSni),
    ("tls.cert_subject", Buffer::TlsCertSubject),
    ("tls_cert_subject", Buffer::TlsCertSubject),
    ("tls.cert_issuer", Buffer::TlsCertIssuer),
    ("tls_cert_issuer", Buffer::TlsCertIssuer),
    ("tls.cert_serial", Buffer::TlsCertSerial),
    ("tls_cert_serial", Buffer::TlsCertSerial),
    ("tls.cert_fingerprint", Buffer::TlsCertFingerprint),
    ("tls_cert_fingerprint", Buffer::TlsCertFingerprint),
    ("tls.certs", Buffer::TlsCerts),
    ("ja3.hash", Buffer::Ja3Hash),
    ("ja3_hash", Buffer::Ja3Hash),
    ("ja3.string", Buffer::Ja3String),
    ("ja3_string", Buffer::Ja3String),
    ("ja3s.hash", Buffer::Ja3sHash),
    ("ja3s_hash", Buffer::Ja3sHash),
    ("ja3s.string", Buffer::Ja3sString),
    ("ja3s_string", Buffer::Ja3sString),
    ("ssh.proto", Buffer::SshProto),
    ("ssh_proto", Buffer::SshProto),
    ("ssh.software", Buffer::SshSoftware),
    ("ssh_software", Buffer::SshSoftware),
    ("dnp3.data", Buffer::Dnp3Data),
    ("dnp3_data", Buffer::Dnp3Data),
    ("base64_data", Buffer::Base64Data),
];

/// Legacy content modifiers: `content:"x"; http_uri;` moves the previous
/// content into the buffer.
const LEGACY: &[(&str, Buffer)] = &[
    ("http_uri", Buffer::HttpUri),
    ("http_raw_uri", Buffer::HttpUriRaw),
    ("http_method", Buffer::HttpMethod),
    ("http_header", Buffer::HttpHeader),
    ("http_raw_header", Buffer::HttpHeaderRaw),
    ("http_cookie", Buffer::HttpCookie),
    ("http_user_agent", Buffer::HttpUserAgent),
    ("http_host", Buffer::HttpHost),
    ("http_raw_host", Buffer::HttpHostRaw),
    ("http_client_body", Buffer::HttpRequestBody),
    ("http_server_body", Buffer::FileData),
    ("http_stat_code", Buffer::HttpStatCode),
    ("http_stat_msg", Buffer::HttpStatMsg),
];

impl Buffer {
    /// The buffer a sticky-buffer keyword selects.
    pub fn sticky(name: &str) -> Option<Buffer> {
        STICKY.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }
    /// The buffer a legacy content modifier moves the previous content to.
    pub fn legacy_modifier(name: &str) -> Option<Buffer> {
        LEGACY.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }
    /// Suricata's canonical name of the buffer.
    pub fn name(self) -> &'static str {
        if self == Buffer::Payload {
            return "payload";
        }
        STICKY
            .iter()
            .find(|(n, b)| *b == self && n.contains('.'))
            .or_else(|| STICKY.iter().find(|(_, b)| *b == self))
            .map_or("?", |(n, _)| n)
    }
    /// Whether the buffer comes from the HTTP parser.
    pub fn is_http(self) -> bool {
        self.name().starts_with("http") || self == Buffer::FileData
    }
    /// Whether the buffer is filled per transaction by an app-layer parser.
    pub fn is_app_layer(self) -> bool {
        !matches!(self, Buffer::Payload | Buffer::Base64Data)
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
        assert_eq!(Buffer::sticky("http.uri"), Some(Buffer::HttpUri));
        assert_eq!(Buffer::sticky("dns_query"), Some(Buffer::DnsQuery));
        assert_eq!(Buffer::sticky("file.data"), Buffer::sticky("file_data"));
        assert_eq!(Buffer::sticky("http_uri"), None);
        assert_eq!(Buffer::legacy_modifier("http_uri"), Some(Buffer::HttpUri));
        assert_eq!(
            Buffer::legacy_modifier("http_client_body"),
            Some(Buffer::HttpRequestBody)
        );
        assert_eq!(Buffer::HttpUri.name(), "http.uri");
        assert_eq!(Buffer::TlsCerts.name(), "tls.certs");
        assert!(Buffer::HttpCookie.is_http() && !Buffer::DnsQuery.is_http());
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
