//! HTTP/1.x per-flow state: a queue of transactions (pipelining, bounded
//! by [`reefwatch_applayer::MAX_TXS_PER_FLOW`]), body framing (Content-Length, chunked,
//! until-close), body inspection up to a configured depth, file hashing and
//! optional gzip/deflate decoding.

use super::body::{normalize_host, normalize_uri, uri_needs_normalizing, Decoder, FileTracker};
use super::logger;
use super::parser::{self, Head, Headers, RequestLine, StatusLine, MAX_HEAD_LEN};
use super::tx::Tx;
use crate::util::{parse_dec, parse_hex, StackBuf};
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{Anomalies, AppParser, Direction, EventSink, ParseResult, TxTable};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    Length(u64),
    Chunked(Chunk),
    UntilClose,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Head,
    Body(Body),
    /// After CONNECT/Upgrade: not HTTP any more, bytes are ignored.
    Tunnel,
    /// Lost framing (gap or garbage): look for the next message start.
    Resync,
}

pub struct HttpState {
    /// Open transactions, oldest first; ids count from 0.
    txs: TxTable<Tx>,
    phase: [Phase; 2],
    /// tx id currently receiving bytes, per direction
    cur: [Option<u64>; 2],
    /// bytes of a pending head already searched for its end, per direction
    head_scanned: [usize; 2],
}

impl Default for HttpState {
    fn default() -> Self {
        Self::new()
    }
}

fn header_is(h: &parser::Header<'_>, name: &[u8]) -> bool {
    h.name.eq_ignore_ascii_case(name)
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Body framing from the headers; returns (mode, anomaly flags).
fn body_framing(
    block: &[u8],
    mut out: Option<&mut dyn EventSink>,
) -> (Option<Body>, Option<u64>, Anomalies) {
    let mut flags = Anomalies::default();
    let mut cl: Option<u64> = None;
    let mut chunked = false;
    for h in Headers::new(block) {
        if header_is(&h, b"content-length") {
            match parse_dec(h.value) {
                Some(v) => {
                    if cl.is_some_and(|c| c != v) {
                        flags.set(parser::A_DUPLICATE_CL);
                    }
                    cl = Some(v);
                }
                None => flags.set(parser::A_INVALID_CL),
            }
        } else if header_is(&h, b"transfer-encoding") && contains_ci(h.value, b"chunked") {
            chunked = true;
        }
    }
    if chunked && cl.is_some() {
        if let Some(o) = out.as_mut() {
            o.anomaly("http.request_smuggling");
        }
    }
    let mode = if chunked {
        Some(Body::Chunked(Chunk::Size))
    } else {
        cl.map(Body::Length)
    };
    (mode, cl, flags)
}

/// Wrapper so `expose` can be called with the sink only when a buffer is non-empty.
fn expose(out: &mut dyn EventSink, id: BufferId, v: &[u8]) {
    if !v.is_empty() {
        out.buffer(id, v);
    }
}

/// Longest `http.header_names` buffer built (a longer one is cut).
const MAX_HEADER_NAMES: usize = 4096;

/// `http.header_names` as Suricata builds it, when something inspects it:
/// `\r\n`, each header's name followed by `\r\n`, then `\r\n`.
fn expose_header_names(out: &mut dyn EventSink, header_block: &[u8]) {
    if header_block.is_empty() || !out.wants_buffer(BufferId::HttpHeaderNames) {
        return;
    }
    let mut names = StackBuf::<MAX_HEADER_NAMES>::new();
    names.extend(b"\r\n");
    for h in Headers::new(header_block) {
        names.extend(h.name);
        names.extend(b"\r\n");
    }
    names.extend(b"\r\n");
    out.buffer(BufferId::HttpHeaderNames, names.as_bytes());
}

impl HttpState {
    pub fn new() -> Self {
        HttpState {
            txs: TxTable::with_first_id(0),
            phase: [Phase::Head, Phase::Head],
            cur: [None, None],
            head_scanned: [0, 0],
        }
    }

    fn tx_mut(&mut self, id: Option<u64>) -> Option<&mut Tx> {
        let id = id?;
        self.txs.find_mut(|t| t.id == id)
    }

    fn new_tx(&mut self, out: &mut dyn EventSink) -> u64 {
        let id = self.txs.next_id();
        let evicted = self.txs.push(Tx {
            id,
            ..Default::default()
        });
        if let Some(mut old) = evicted {
            out.anomaly("http.too_many_transactions");
            self.complete(&mut old, out);
        }
        id
    }

    /// Log a finished transaction (files first, then the `http` event).
    fn complete(&mut self, tx: &mut Tx, out: &mut dyn EventSink) {
        if !out.wants_events() {
            return;
        }
        for dir in [Direction::ToServer, Direction::ToClient] {
            let f = match dir {
                Direction::ToServer => tx.req_file.take(),
                Direction::ToClient => tx.resp_file.take(),
            };
            if let Some(mut f) = f {
                if f.size > 0 {
                    let dg = f.finish();
                    if let Some(d) = dg.as_ref() {
                        // as lower-case hex text, like Suricata's
                        // file.md5/sha1/sha256 keywords compare them
                        let mut hex = String::with_capacity(64);
                        let mut put = |id: BufferId, h: &[u8]| {
                            hex.clear();
                            crate::util::hex_lower(h, &mut hex);
                            out.buffer(id, hex.as_bytes());
                        };
                        if let Some(h) = d.md5 {
                            put(BufferId::FileMd5, &h);
                        }
                        if let Some(h) = d.sha1 {
                            put(BufferId::FileSha1, &h);
                        }
                        if let Some(h) = d.sha256 {
                            put(BufferId::FileSha256, &h);
                        }
                    }
                    out.event_toplevel("fileinfo", &mut |js| {
                        logger::log_fileinfo(js, tx, &f, dg.as_ref())
                    });
                }
            }
        }
        out.event("http", &mut |js| logger::log_http(js, tx));
    }

    /// Finish the response of the tx at the head of the queue and log it.
    fn finish_response(&mut self, id: u64, out: &mut dyn EventSink) {
        if let Some(mut tx) = self.txs.take(|t| t.id == id) {
            self.complete(&mut tx, out);
        }
        self.cur[1] = None;
    }

    fn on_request_head(&mut self, head: &Head<'_>, out: &mut dyn EventSink) -> Result<Phase, ()> {
        let Some((rl, mut flags)) = RequestLine::parse(head.start_line) else {
            out.anomaly("http.invalid_request_line");
            return Err(());
        };
        let mut hs = Headers::new(head.header_block);
        let want = out.wants_events();
        // sticky buffers, borrowed from the stream
        expose(out, BufferId::HttpRequestLine, rl.line);
        expose(out, BufferId::HttpMethod, rl.method);
        expose(out, BufferId::HttpUriRaw, rl.uri);
        // the 8 KiB (zeroed) scratch only for URIs that change
        if uri_needs_normalizing(rl.uri) {
            let mut nu = StackBuf::<8192>::new();
            let _ = normalize_uri(rl.uri, &mut nu); // Some: it needs normalising
            expose(out, BufferId::HttpUri, nu.as_bytes());
        } else {
            expose(out, BufferId::HttpUri, rl.uri);
        }
        expose(out, BufferId::HttpProtocol, rl.protocol);
        expose(out, BufferId::HttpHeader, head.header_block);
        expose(out, BufferId::HttpHeaderRaw, head.header_block);
        expose(out, BufferId::HttpStart, head.raw);
        expose_header_names(out, head.header_block);
        let id = self.new_tx(out);
        let mut host_raw: &[u8] = &[];
        let mut ua: &[u8] = &[];
        let mut ct: &[u8] = &[];
        let mut referer: &[u8] = &[];
        let mut xff: &[u8] = &[];
        for h in hs.by_ref() {
            let name: Option<BufferId> = if header_is(&h, b"host") {
                if host_raw.is_empty() {
                    host_raw = h.value;
                }
                None
            } else if header_is(&h, b"user-agent") {
                ua = h.value;
                Some(BufferId::HttpUserAgent)
            } else if header_is(&h, b"cookie") {
                Some(BufferId::HttpCookie)
            } else if header_is(&h, b"referer") {
                referer = h.value;
                Some(BufferId::HttpReferer)
            } else if header_is(&h, b"content-type") {
                ct = h.value;
                Some(BufferId::HttpContentType)
            } else if header_is(&h, b"content-length") {
                Some(BufferId::HttpContentLen)
            } else if header_is(&h, b"accept") {
                Some(BufferId::HttpAccept)
            } else if header_is(&h, b"accept-encoding") {
                Some(BufferId::HttpAcceptEnc)
            } else if header_is(&h, b"accept-language") {
                Some(BufferId::HttpAcceptLang)
            } else if header_is(&h, b"connection") {
                Some(BufferId::HttpConnection)
            } else if header_is(&h, b"x-forwarded-for") {
                xff = h.value;
                None
            } else {
                None
            };
            if let Some(n) = name {
                expose(out, n, h.value);
            }
        }
        flags.merge(hs.flags);
        if !host_raw.is_empty() {
            expose(out, BufferId::HttpHostRaw, host_raw);
        }
        let mut host = StackBuf::<256>::new();
        let port = normalize_host(host_raw, &mut host);
        expose(out, BufferId::HttpHost, host.as_bytes());
        let (mode, _cl, f2) = body_framing(head.header_block, Some(out));
        flags.merge(f2);
        flags.report(parser::ANOMALY_NAMES, out);
        let is_head = rl.method.eq_ignore_ascii_case(b"HEAD");
        let is_connect = rl.method.eq_ignore_ascii_case(b"CONNECT");
        let hash = crate::config::current().file_hashes;
        let file_body = rl.method.eq_ignore_ascii_case(b"PUT")
            || (rl.method.eq_ignore_ascii_case(b"POST")
                && !contains_ci(ct, b"x-www-form-urlencoded"));
        if let Some(tx) = self.tx_mut(Some(id)) {
            tx.has_request = true;
            tx.is_head = is_head;
            tx.is_connect = is_connect;
            if want {
                tx.method = tx.put(rl.method);
                tx.uri = tx.put(rl.uri);
                tx.protocol = tx.put(rl.protocol);
                tx.host = tx.put(host.as_bytes());
                tx.port = port;
                tx.user_agent = tx.put(ua);
                tx.req_content_type = tx.put(ct);
                tx.referer = tx.put(referer);
                tx.xff = tx.put(xff);
            }
            // a file is tracked for fileinfo (EVE) and for its digests
            // (intel matches file.md5/sha1/sha256): both mean `want`
            if mode.is_some() && file_body && want {
                tx.req_file = Some(Box::new(FileTracker::new(hash)));
            }
            if mode.is_none() {
                tx.req_done = true;
            }
        }
        self.cur[0] = Some(id);
        Ok(match mode {
            Some(Body::Length(0)) | None => {
                if let Some(tx) = self.tx_mut(Some(id)) {
                    tx.req_done = true;
                }
                Phase::Head
            }
            Some(m) => Phase::Body(m),
        })
    }

    fn on_response_head(&mut self, head: &Head<'_>, out: &mut dyn EventSink) -> Result<Phase, ()> {
        let Some((sl, mut flags)) = StatusLine::parse(head.start_line) else {
            out.anomaly("http.invalid_response_line");
            return Err(());
        };
        let want = out.wants_events();
        expose(out, BufferId::HttpResponseLine, sl.line);
        expose(out, BufferId::HttpStatCode, sl.status_raw);
        expose(out, BufferId::HttpStatMsg, sl.reason);
        expose(out, BufferId::HttpHeader, head.header_block);
        expose(out, BufferId::HttpHeaderRaw, head.header_block);
        expose(out, BufferId::HttpStart, head.raw);
        expose_header_names(out, head.header_block);
        let mut hs = Headers::new(head.header_block);
        let mut ct: &[u8] = &[];
        let mut location: &[u8] = &[];
        let mut encoding: &[u8] = &[];
        for h in hs.by_ref() {
            let name: Option<BufferId> = if header_is(&h, b"content-type") {
                ct = h.value;
                Some(BufferId::HttpContentType)
            } else if header_is(&h, b"location") {
                location = h.value;
                Some(BufferId::HttpLocation)
            } else if header_is(&h, b"server") {
                Some(BufferId::HttpServer)
            } else if header_is(&h, b"set-cookie") {
                Some(BufferId::HttpCookie)
            } else if header_is(&h, b"content-length") {
                Some(BufferId::HttpContentLen)
            } else if header_is(&h, b"content-encoding") {
                encoding = h.value;
                None
            } else {
                None
            };
            if let Some(n) = name {
                expose(out, n, h.value);
            }
        }
        flags.merge(hs.flags);
        let status = sl.status.unwrap_or(0);
        // interim responses do not complete the transaction
        if (100..200).contains(&status) && status != 101 {
            flags.report(parser::ANOMALY_NAMES, out);
            return Ok(Phase::Head);
        }
        let (mode, _cl, f2) = body_framing(head.header_block, None);
        flags.merge(f2);
        flags.report(parser::ANOMALY_NAMES, out);
        // which transaction: the oldest without a response
        let id = match self.txs.find(|t| !t.resp_started).map(|t| t.id) {
            Some(id) => id,
            None => {
                out.anomaly("http.unsolicited_response");
                self.new_tx(out)
            }
        };
        self.cur[1] = Some(id);
        let cfg = crate::config::current();
        let hash = cfg.file_hashes;
        let Some(tx) = self.tx_mut(Some(id)) else {
            return Err(());
        };
        tx.resp_started = true;
        tx.status = sl.status;
        if want {
            tx.resp_protocol = tx.put(sl.protocol);
            tx.resp_content_type = tx.put(ct);
            tx.location = tx.put(location);
        }
        let tunnel = status == 101 || (tx.is_connect && (200..300).contains(&status));
        let no_body = tx.is_head || status == 204 || status == 304 || tunnel;
        let mode = if no_body {
            None
        } else {
            match mode {
                Some(m) => Some(m),
                None => Some(Body::UntilClose),
            }
        };
        if cfg.http_decompress && mode.is_some() {
            tx.decoder = Decoder::for_encoding(encoding).map(Box::new);
        }
        if mode.is_some() && want {
            tx.resp_file = Some(Box::new(FileTracker::new(hash)));
        }
        Ok(match mode {
            _ if tunnel => {
                self.finish_response(id, out);
                self.phase[0] = Phase::Tunnel;
                Phase::Tunnel
            }
            None | Some(Body::Length(0)) => {
                self.finish_response(id, out);
                Phase::Head
            }
            Some(m) => Phase::Body(m),
        })
    }

    /// Hand body bytes of the current tx in `dir` to detection and files.
    fn body_data(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) {
        if data.is_empty() {
            return;
        }
        let cfg = crate::config::current();
        let Some(tx) = self.tx_mut(self.cur[dir.index()]) else {
            return;
        };
        match dir {
            Direction::ToServer => {
                tx.req_body_len += data.len() as u64;
                let room = cfg.http_request_body_depth.saturating_sub(tx.req_inspected);
                if room > 0 {
                    let piece = &data[..data.len().min(room)];
                    tx.req_inspected += piece.len();
                    out.buffer(BufferId::HttpRequestBody, piece);
                    out.buffer(BufferId::FileData, piece);
                }
                if let Some(f) = tx.req_file.as_mut() {
                    f.update(data);
                }
            }
            Direction::ToClient => {
                tx.resp_body_len += data.len() as u64;
                if let Some(dec) = tx.decoder.as_mut() {
                    let plain = dec.feed(data);
                    if let Some(f) = tx.resp_file.as_mut() {
                        f.update(plain);
                    }
                    let room = cfg
                        .http_response_body_depth
                        .saturating_sub(tx.resp_inspected);
                    if room > 0 && !plain.is_empty() {
                        let piece = &plain[..plain.len().min(room)];
                        tx.resp_inspected += piece.len();
                        out.buffer(BufferId::HttpResponseBody, piece);
                        out.buffer(BufferId::FileData, piece);
                    }
                    if dec.failed() {
                        out.anomaly("http.body_decode_failed");
                        tx.decoder = None;
                    }
                    return;
                }
                let room = cfg
                    .http_response_body_depth
                    .saturating_sub(tx.resp_inspected);
                if room > 0 {
                    let piece = &data[..data.len().min(room)];
                    tx.resp_inspected += piece.len();
                    out.buffer(BufferId::HttpResponseBody, piece);
                    out.buffer(BufferId::FileData, piece);
                }
                if let Some(f) = tx.resp_file.as_mut() {
                    f.update(data);
                }
            }
        }
    }

    fn body_done(&mut self, dir: Direction, out: &mut dyn EventSink) {
        match dir {
            Direction::ToServer => {
                if let Some(tx) = self.tx_mut(self.cur[0]) {
                    tx.req_done = true;
                }
            }
            Direction::ToClient => {
                if let Some(id) = self.cur[1] {
                    self.finish_response(id, out);
                }
            }
        }
    }

    /// Consume body bytes under `mode`; returns (bytes used, new phase) or
    /// `Err(needed)` when a chunk line is incomplete.
    fn body(
        &mut self,
        dir: Direction,
        mode: Body,
        data: &[u8],
        out: &mut dyn EventSink,
    ) -> Result<(usize, Phase), usize> {
        match mode {
            Body::Length(left) => {
                let n = (left.min(data.len() as u64)) as usize;
                self.body_data(dir, &data[..n], out);
                let left = left - n as u64;
                if left == 0 {
                    self.body_done(dir, out);
                    Ok((n, Phase::Head))
                } else {
                    Ok((n, Phase::Body(Body::Length(left))))
                }
            }
            Body::UntilClose => {
                self.body_data(dir, data, out);
                Ok((data.len(), Phase::Body(Body::UntilClose)))
            }
            Body::Chunked(Chunk::Data(left)) => {
                let n = (left.min(data.len() as u64)) as usize;
                self.body_data(dir, &data[..n], out);
                let left = left - n as u64;
                let next = if left == 0 {
                    Chunk::DataEnd
                } else {
                    Chunk::Data(left)
                };
                Ok((n, Phase::Body(Body::Chunked(next))))
            }
            Body::Chunked(Chunk::DataEnd) => match data {
                [b'\r', b'\n', ..] => Ok((2, Phase::Body(Body::Chunked(Chunk::Size)))),
                [b'\n', ..] => Ok((1, Phase::Body(Body::Chunked(Chunk::Size)))),
                [b'\r'] => Err(1),
                _ => {
                    out.anomaly("http.chunk_missing_crlf");
                    Ok((0, Phase::Body(Body::Chunked(Chunk::Size))))
                }
            },
            Body::Chunked(Chunk::Size) | Body::Chunked(Chunk::Trailer) => {
                let Some(nl) = memchr::memchr(b'\n', data) else {
                    if data.len() > 1024 {
                        out.anomaly("http.invalid_chunk_line");
                        return Ok((data.len(), Phase::Resync));
                    }
                    return Err(1);
                };
                let line = &data[..nl];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if mode == Body::Chunked(Chunk::Trailer) {
                    if line.is_empty() {
                        self.body_done(dir, out);
                        return Ok((nl + 1, Phase::Head));
                    }
                    return Ok((nl + 1, Phase::Body(Body::Chunked(Chunk::Trailer))));
                }
                let size_part = line.split(|&c| c == b';').next().unwrap_or(&[]);
                let size_part = crate::util::trim_ows(size_part);
                if size_part.is_empty() && line.is_empty() {
                    // tolerate stray blank lines between chunks
                    return Ok((nl + 1, Phase::Body(Body::Chunked(Chunk::Size))));
                }
                match parse_hex(size_part) {
                    Some(0) => Ok((nl + 1, Phase::Body(Body::Chunked(Chunk::Trailer)))),
                    Some(n) => Ok((nl + 1, Phase::Body(Body::Chunked(Chunk::Data(n))))),
                    None => {
                        out.anomaly("http.invalid_chunk_len");
                        Ok((nl + 1, Phase::Resync))
                    }
                }
            }
        }
    }

    /// In `Resync`, skip to the next line that starts a message.
    fn resync(dir: Direction, data: &[u8]) -> Option<usize> {
        let mut pos = 0;
        loop {
            let rest = data.get(pos..)?;
            let ok = match dir {
                Direction::ToServer => parser::probe_request(rest) == Some(true),
                Direction::ToClient => rest.starts_with(b"HTTP/1."),
            };
            if ok {
                return Some(pos);
            }
            pos += memchr::memchr(b'\n', rest)? + 1;
        }
    }
}

impl AppParser for HttpState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let d = dir.index();
        let mut pos = 0;
        // bounded: every iteration consumes bytes or returns
        let mut guard = 0usize;
        while pos < data.len() {
            guard += 1;
            if guard > 1 + 4 * data.len() {
                break;
            }
            let rest = &data[pos..];
            match self.phase[d] {
                Phase::Tunnel => return ParseResult::Done,
                Phase::Resync => match Self::resync(dir, rest) {
                    Some(skip) => {
                        pos += skip;
                        self.phase[d] = Phase::Head;
                    }
                    None => return ParseResult::Done,
                },
                Phase::Head => {
                    // leading blank lines between messages
                    let blank = rest
                        .iter()
                        .take_while(|&&c| c == b'\r' || c == b'\n')
                        .count();
                    if blank > 0 {
                        pos += blank;
                        continue;
                    }
                    let Some(head) = Head::split_from(rest, self.head_scanned[d]) else {
                        self.head_scanned[d] = rest.len();
                        if rest.len() > MAX_HEAD_LEN {
                            out.anomaly("http.request_header_too_long");
                            self.head_scanned[d] = 0;
                            self.phase[d] = Phase::Resync;
                            pos = data.len();
                            continue;
                        }
                        // An HTTP/0.9 request has no headers: a lone request line.
                        if dir == Direction::ToServer {
                            if let Some(nl) = memchr::memchr(b'\n', rest) {
                                let line = rest[..nl].strip_suffix(b"\r").unwrap_or(&rest[..nl]);
                                if let Some((rl, _)) = RequestLine::parse(line) {
                                    if rl.protocol.is_empty() {
                                        let head = Head {
                                            start_line: line,
                                            header_block: &[],
                                            raw: &rest[..nl + 1],
                                        };
                                        match self.on_request_head(&head, out) {
                                            Ok(p) => self.phase[d] = p,
                                            Err(()) => self.phase[d] = Phase::Resync,
                                        }
                                        pos += nl + 1;
                                        self.head_scanned[d] = 0;
                                        continue;
                                    }
                                }
                            }
                        }
                        return ParseResult::Incomplete {
                            consumed: pos,
                            needed: 1,
                        };
                    };
                    self.head_scanned[d] = 0;
                    let r = match dir {
                        Direction::ToServer => self.on_request_head(&head, out),
                        Direction::ToClient => self.on_response_head(&head, out),
                    };
                    pos += head.raw.len();
                    match r {
                        Ok(p) => {
                            if p == Phase::Tunnel {
                                self.phase = [Phase::Tunnel, Phase::Tunnel];
                                return ParseResult::Done;
                            }
                            self.phase[d] = p;
                        }
                        Err(()) => {
                            if self.txs.is_empty() && self.txs.peek_next_id() == 0 {
                                return ParseResult::Error;
                            }
                            self.phase[d] = Phase::Resync;
                        }
                    }
                }
                Phase::Body(mode) => match self.body(dir, mode, rest, out) {
                    Ok((n, p)) => {
                        pos += n;
                        self.phase[d] = p;
                    }
                    Err(needed) => {
                        return ParseResult::Incomplete {
                            consumed: pos,
                            needed,
                        }
                    }
                },
            }
        }
        ParseResult::Done
    }

    fn on_gap(&mut self, dir: Direction, _out: &mut dyn EventSink) {
        let d = dir.index();
        self.head_scanned[d] = 0;
        if matches!(self.phase[d], Phase::Tunnel) {
            return;
        }
        if let Some(tx) = self.tx_mut(self.cur[d]) {
            let f = match dir {
                Direction::ToServer => tx.req_file.as_mut(),
                Direction::ToClient => tx.resp_file.as_mut(),
            };
            if let Some(f) = f {
                f.gaps = true;
            }
            tx.decoder = None;
        }
        // A body of unknown remaining length cannot be resumed after a gap.
        self.phase[d] = Phase::Resync;
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        // log every open transaction, oldest first
        let cur = self.cur[1];
        while let Some(mut tx) = self.txs.pop_oldest() {
            if tx.resp_started || tx.has_request {
                // a response cut short of its announced length
                if let (Phase::Body(Body::Length(_) | Body::Chunked(_)), Some(f), true) =
                    (self.phase[1], tx.resp_file.as_mut(), cur == Some(tx.id))
                {
                    f.truncated = true;
                }
                self.complete(&mut tx, out);
            }
        }
        self.cur = [None, None];
    }
}
