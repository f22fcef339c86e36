//! HTTP/1.x message heads: zero-copy views of the request line, status
//! line and header block. Bodies are framed in `state.rs`.
//!
//! Parsing is tolerant, as servers are: bare LF line ends are accepted,
//! extra spaces in the request line are skipped; oddities are reported as
//! anomaly bits rather than errors.

use crate::util::{parse_dec, starts_with_ci, trim_ows};
use reefwatch_applayer::Anomalies;

/// Largest head (request/status line plus headers) buffered before giving up.
pub const MAX_HEAD_LEN: usize = 64 * 1024;
/// Headers parsed per message; more are flagged and ignored.
pub const MAX_HEADERS: usize = 256;

// Anomaly bits of a message head (an [`Anomalies`] set).
pub const A_BARE_LF: u32 = 0;
pub const A_FOLDED_HEADER: u32 = 1;
pub const A_TOO_MANY_HEADERS: u32 = 2;
pub const A_INVALID_HEADER: u32 = 3;
pub const A_MISSING_PROTOCOL: u32 = 4;
pub const A_INVALID_STATUS: u32 = 5;
pub const A_DUPLICATE_CL: u32 = 6;
pub const A_INVALID_CL: u32 = 7;

/// Names of the anomaly bits (`http.<name>` in the anomaly stream), in the
/// order they are reported.
pub const ANOMALY_NAMES: &[&str] = &[
    "http.missing_cr",
    "http.folded_header",
    "http.too_many_headers",
    "http.invalid_header",
    "http.missing_protocol",
    "http.invalid_response_status",
    "http.duplicate_content_length",
    "http.invalid_content_length",
];

/// Methods recognised by the probe (requests with other tokens still parse
/// once the flow is HTTP).
pub const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"CONNECT",
    b"TRACE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"REPORT",
    b"SUBSCRIBE",
    b"NOTIFY",
    b"M-SEARCH",
    b"QUERY",
];

/// Find the end of the head starting at 0: returns the length including the
/// blank line, or `None` if the blank line has not arrived.
pub fn head_len(data: &[u8]) -> Option<usize> {
    head_len_from(data, 0)
}

/// Like [`head_len`], but the first `from` bytes are known to hold no
/// blank line yet (a resumed search: keeps a head arriving in many small
/// segments linear, not quadratic). The first line is never blank.
pub fn head_len_from(data: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3).min(data.len());
    for i in memchr::memchr_iter(b'\n', &data[start..]).map(|i| i + start) {
        if i == 0 {
            continue;
        }
        match data.get(i + 1..) {
            Some([b'\n', ..]) => return Some(i + 2),
            Some([b'\r', b'\n', ..]) => return Some(i + 3),
            _ => {}
        }
    }
    None
}

/// Split `data` into lines (without CR/LF); bounded by the input.
pub struct Lines<'a> {
    data: &'a [u8],
    pub bare_lf: bool,
}

impl<'a> Lines<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Lines {
            data,
            bare_lf: false,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.data.is_empty() {
            return None;
        }
        let (line, rest) = match memchr::memchr(b'\n', self.data) {
            Some(i) => (&self.data[..i], &self.data[i + 1..]),
            None => (self.data, &[][..]),
        };
        self.data = rest;
        Some(match line.last() {
            Some(b'\r') => &line[..line.len() - 1],
            _ => {
                self.bare_lf = true;
                line
            }
        })
    }
}

/// `METHOD SP URI [SP PROTOCOL]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestLine<'a> {
    pub line: &'a [u8],
    pub method: &'a [u8],
    pub uri: &'a [u8],
    /// Empty for HTTP/0.9 simple requests.
    pub protocol: &'a [u8],
}

impl<'a> RequestLine<'a> {
    pub fn parse(line: &'a [u8]) -> Option<(Self, Anomalies)> {
        let mut flags = Anomalies::default();
        let sp = memchr::memchr2(b' ', b'\t', line)?;
        let method = &line[..sp];
        if method.is_empty() || !method.iter().all(|&c| crate::util::is_token_char(c)) {
            return None;
        }
        let rest = trim_ows(&line[sp..]);
        // the URI is the next word; the protocol is the rest of the line
        // (as libhtp and Wireshark split it)
        let (uri, protocol) = match memchr::memchr2(b' ', b'\t', rest) {
            Some(i) => (&rest[..i], trim_ows(&rest[i + 1..])),
            None => (rest, &[][..]),
        };
        if protocol.is_empty() {
            flags.set(A_MISSING_PROTOCOL);
        }
        Some((
            RequestLine {
                line,
                method,
                uri,
                protocol,
            },
            flags,
        ))
    }
}

/// `PROTOCOL SP STATUS [SP REASON]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusLine<'a> {
    pub line: &'a [u8],
    pub protocol: &'a [u8],
    pub status_raw: &'a [u8],
    pub status: Option<u16>,
    pub reason: &'a [u8],
}

impl<'a> StatusLine<'a> {
    pub fn parse(line: &'a [u8]) -> Option<(Self, Anomalies)> {
        if !starts_with_ci(line, b"HTTP/") {
            return None;
        }
        let mut flags = Anomalies::default();
        let sp = memchr::memchr2(b' ', b'\t', line).unwrap_or(line.len());
        let protocol = &line[..sp];
        let rest = trim_ows(line.get(sp..).unwrap_or(&[]));
        let sp2 = memchr::memchr2(b' ', b'\t', rest).unwrap_or(rest.len());
        let status_raw = &rest[..sp2];
        let reason = trim_ows(rest.get(sp2..).unwrap_or(&[]));
        let status = parse_dec(status_raw)
            .filter(|&s| (100..=999).contains(&s))
            .map(|s| s as u16);
        if status.is_none() {
            flags.set(A_INVALID_STATUS);
        }
        Some((
            StatusLine {
                line,
                protocol,
                status_raw,
                status,
                reason,
            },
            flags,
        ))
    }
}

/// One header: name and value (value trimmed of surrounding whitespace).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: &'a [u8],
    pub value: &'a [u8],
}

/// Iterate the header lines of a head (after the start line). Folded
/// continuation lines are flagged and skipped (the first line's value is
/// kept, zero-copy); lines without a colon are flagged and skipped.
pub struct Headers<'a> {
    lines: Lines<'a>,
    count: usize,
    pub flags: Anomalies,
}

impl<'a> Headers<'a> {
    pub fn new(block: &'a [u8]) -> Self {
        Headers {
            lines: Lines::new(block),
            count: 0,
            flags: Anomalies::default(),
        }
    }
}

impl<'a> Iterator for Headers<'a> {
    type Item = Header<'a>;
    fn next(&mut self) -> Option<Header<'a>> {
        loop {
            let line = self.lines.next()?;
            if line.is_empty() {
                return None;
            }
            if self.lines.bare_lf {
                self.flags.set(A_BARE_LF);
            }
            if matches!(line[0], b' ' | b'\t') {
                self.flags.set(A_FOLDED_HEADER);
                continue;
            }
            let Some(colon) = memchr::memchr(b':', line) else {
                self.flags.set(A_INVALID_HEADER);
                continue;
            };
            if self.count >= MAX_HEADERS {
                self.flags.set(A_TOO_MANY_HEADERS);
                return None;
            }
            self.count += 1;
            let name = trim_ows(&line[..colon]);
            let value = trim_ows(&line[colon + 1..]);
            return Some(Header { name, value });
        }
    }
}

/// A parsed head: start line, the header block, and where it ends.
#[derive(Clone, Copy, Debug)]
pub struct Head<'a> {
    pub start_line: &'a [u8],
    /// Header lines (after the start line, up to but excluding the blank line).
    pub header_block: &'a [u8],
    /// Whole head including the blank line.
    pub raw: &'a [u8],
}

impl<'a> Head<'a> {
    /// `data` must begin at the start line; returns `None` until the blank line arrived.
    pub fn split(data: &'a [u8]) -> Option<Head<'a>> {
        Self::split_from(data, 0)
    }

    /// [`Head::split`] resuming a search over a prefix already scanned.
    pub fn split_from(data: &'a [u8], from: usize) -> Option<Head<'a>> {
        let len = head_len_from(data, from)?;
        let raw = &data[..len];
        let first_nl = memchr::memchr(b'\n', raw)?;
        let start_line = match raw[..first_nl].last() {
            Some(b'\r') => &raw[..first_nl - 1],
            _ => &raw[..first_nl],
        };
        // header block: after the start line, without the final blank line
        let after = &raw[first_nl + 1..];
        let block_end = after
            .len()
            .saturating_sub(if after.ends_with(b"\r\n") { 2 } else { 1 });
        Some(Head {
            start_line,
            header_block: &after[..block_end],
            raw,
        })
    }
}

/// Whether `data` starts like an HTTP request: known method + SP, or a
/// prefix of one. `None` means "need more bytes".
pub fn probe_request(data: &[u8]) -> Option<bool> {
    let data = &data[data
        .iter()
        .take_while(|&&c| c == b'\r' || c == b'\n')
        .count()..];
    for m in METHODS {
        if data.len() > m.len() {
            if data.starts_with(m) && matches!(data[m.len()], b' ' | b'\t') {
                return Some(true);
            }
        } else if m.starts_with(data) {
            return None;
        }
    }
    Some(false)
}

/// Whether `data` starts like an HTTP response.
pub fn probe_response(data: &[u8]) -> Option<bool> {
    const P: &[u8] = b"HTTP/";
    if data.len() < P.len() {
        return if P.starts_with(data) {
            None
        } else {
            Some(false)
        };
    }
    Some(data.starts_with(P))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &[u8] = b"GET /a/b?c=1 HTTP/1.1\r\n\
Host: www.example.com:8080\r\n\
User-Agent: curl/8.0\r\n folded\r\n\
Cookie: a=b\r\n\
\r\n\
BODY";

    #[test]
    fn request_head() {
        let h = Head::split(REQ).unwrap();
        assert_eq!(h.raw.len(), REQ.len() - 4);
        let (rl, f) = RequestLine::parse(h.start_line).unwrap();
        assert!(f.is_empty());
        assert_eq!(rl.method, b"GET");
        assert_eq!(rl.uri, b"/a/b?c=1");
        assert_eq!(rl.protocol, b"HTTP/1.1");
        let mut hs = Headers::new(h.header_block);
        let v: Vec<_> = hs.by_ref().collect();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].name, b"Host");
        assert_eq!(v[0].value, b"www.example.com:8080");
        assert_eq!(v[2].value, b"a=b");
        assert!(hs.flags.has(A_FOLDED_HEADER));
    }

    #[test]
    fn incomplete_and_bare_lf() {
        assert!(Head::split(b"GET / HTTP/1.1\r\nHost: x\r\n").is_none());
        let h = Head::split(b"GET / HTTP/1.0\nA: b\n\nrest").unwrap();
        assert_eq!(h.start_line, b"GET / HTTP/1.0");
        assert_eq!(h.header_block, b"A: b\n");
        let (rl, f) = RequestLine::parse(b"GET /x").unwrap();
        assert_eq!(rl.uri, b"/x");
        assert!(f.has(A_MISSING_PROTOCOL));
        assert!(RequestLine::parse(b"\x16\x03\x01 x").is_none());
    }

    #[test]
    fn resumed_head_search() {
        let h = b"GET / HTTP/1.1\r\nA: b\r\n\r\nrest";
        assert_eq!(head_len(h), Some(24));
        for from in 0..h.len() {
            let want = if from <= 24 { Some(24) } else { None };
            assert_eq!(head_len_from(h, from), want, "from {from}");
        }
        assert_eq!(head_len(b"\r\n\r\n"), Some(4));
        assert_eq!(head_len(b"GET /\n\nx"), Some(7));
    }

    #[test]
    fn status_line() {
        let (s, f) = StatusLine::parse(b"HTTP/1.1 404 Not Found").unwrap();
        assert_eq!(
            (s.status, s.reason, f),
            (Some(404), &b"Not Found"[..], Anomalies::default())
        );
        let (s, f) = StatusLine::parse(b"HTTP/1.1 abc").unwrap();
        assert_eq!(s.status, None);
        assert!(f.has(A_INVALID_STATUS));
        assert!(StatusLine::parse(b"SSH-2.0-x").is_none());
    }

    #[test]
    fn probes() {
        assert_eq!(probe_request(b"GET / HTTP/1.1"), Some(true));
        assert_eq!(probe_request(b"PO"), None);
        assert_eq!(probe_request(b"\x00\x01modbus"), Some(false));
        assert_eq!(probe_response(b"HTTP/1.1 200"), Some(true));
        assert_eq!(probe_response(b"HT"), None);
    }
}
