//! TLS per-flow state: record framing, handshake reassembly across
//! records (bounded), fingerprints, the leaf certificate, and one `tls`
//! event per flow once the handshake is over (or at close).

use super::ja;
use super::logger;
use super::parser::*;
use super::tx::{ClientInfo, ServerInfo, TlsRecord};
use super::x509::{self, CertInfo};
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{AppParser, Direction, EventSink, ParseResult};

/// Most handshake bytes buffered while a message spans records.
pub const MAX_HANDSHAKE_BUF: usize = 256 * 1024;

#[derive(Default)]
pub struct TlsState {
    pub transport: char,
    hs_buf: [Vec<u8>; 2],
    encrypted: [bool; 2],
    pub client: Option<ClientInfo>,
    pub server: Option<ServerInfo>,
    pub cert: Option<CertInfo>,
    pub cert_seen: bool,
    pub sslv2: bool,
    logged: bool,
    server_flight_done: bool,
    records: u64,
    stopped: [bool; 2],
}

impl TlsState {
    pub fn new() -> Self {
        TlsState {
            transport: 't',
            ..Default::default()
        }
    }

    pub fn negotiated_version(&self) -> Option<u16> {
        if let Some(s) = &self.server {
            return Some(s.selected_version.unwrap_or(s.version));
        }
        if self.sslv2 {
            return Some(0x0002);
        }
        self.client.as_ref().map(|c| c.version)
    }

    pub fn session_resumed(&self) -> bool {
        self.server.is_some()
            && !self.cert_seen
            && self.encrypted[1]
            && self.negotiated_version().is_some_and(|v| v < 0x0304)
    }

    fn log(&mut self, out: &mut dyn EventSink) {
        if self.logged {
            return;
        }
        self.logged = true;
        if out.wants_events() && (self.client.is_some() || self.server.is_some() || self.sslv2) {
            let rec = TlsRecord {
                client: self.client.as_ref(),
                server: self.server.as_ref(),
                cert: self.cert.as_ref(),
                version: self.negotiated_version(),
                session_resumed: self.session_resumed(),
            };
            out.event("tls", &mut |js| logger::log_tls(js, &rec));
        }
    }

    fn on_client_hello(&mut self, body: &[u8], out: &mut dyn EventSink) {
        let Some(ch) = ClientHello::parse(body) else {
            out.anomaly("tls.invalid_handshake_message");
            return;
        };
        if self.client.is_some() {
            // a second ClientHello (HelloRetryRequest): keep the first
            return;
        }
        if !out.wants_events() {
            // nobody consumes fingerprints or buffers (no EVE, no intel):
            // keep what the state machine needs, skip JA3/JA4 (strings and
            // hashes are most of a ClientHello's cost)
            self.client = Some(ClientInfo {
                version: ch.version,
                ..Default::default()
            });
            return;
        }
        let ja3_string = ja::ja3_string(&ch);
        let ja3_hash = ja::md5_hex(&ja3_string);
        let (ja4, _ja4_r) = ja::ja4(&ch, self.transport);
        if let Some(sni) = ch.sni {
            out.buffer(BufferId::TlsSni, sni);
        }
        out.buffer(BufferId::Ja3Hash, ja3_hash.as_bytes());
        out.buffer(BufferId::Ja3String, ja3_string.as_bytes());
        out.buffer(BufferId::Ja4Hash, ja4.as_bytes());
        for a in ch.alpns() {
            out.buffer(BufferId::TlsAlpn, a);
        }
        self.client = Some(ClientInfo {
            version: ch.version,
            sni: ch.sni.map(|s| s.to_vec()),
            ja3_string,
            ja3_hash,
            ja4,
            alpns: ch.alpns().take(16).map(|a| a.to_vec()).collect(),
        });
    }

    fn on_server_hello(&mut self, body: &[u8], out: &mut dyn EventSink) {
        let Some(sh) = ServerHello::parse(body) else {
            out.anomaly("tls.invalid_handshake_message");
            return;
        };
        let (ja3s_string, ja3s_hash) = if out.wants_events() {
            let ja3s_string = ja::ja3s_string(&sh);
            let ja3s_hash = ja::md5_hex(&ja3s_string);
            out.buffer(BufferId::Ja3sHash, ja3s_hash.as_bytes());
            out.buffer(BufferId::Ja3sString, ja3s_string.as_bytes());
            (ja3s_string, ja3s_hash)
        } else {
            (String::new(), String::new())
        };
        let tls13 = sh
            .selected_version
            .is_some_and(|v| v == 0x0304 || v & 0xff00 == 0x7f00);
        self.server = Some(ServerInfo {
            version: sh.version,
            selected_version: sh.selected_version,
            cipher: sh.cipher,
            ja3s_string,
            ja3s_hash,
            alpn: sh.alpn.map(|a| a.to_vec()),
        });
        if tls13 {
            // the rest of the server's handshake is encrypted
            self.encrypted[1] = true;
        }
    }

    fn on_certificate(&mut self, dir: Direction, body: &[u8], out: &mut dyn EventSink) {
        if dir != Direction::ToClient || self.cert_seen {
            return;
        }
        self.cert_seen = true;
        if !out.wants_events() {
            // no consumer of certificate fields: only check the leaf's
            // structure, for the same anomaly (no strings, no SHA-1)
            if let Some(der) = certificates(body).next() {
                if !x509::is_wellformed(der) {
                    out.anomaly("tls.invalid_certificate");
                }
            }
            return;
        }
        for (i, der) in certificates(body).take(16).enumerate() {
            out.buffer(BufferId::TlsCerts, der);
            if i == 0 {
                match x509::parse_cert(der) {
                    Some(c) => {
                        out.buffer(BufferId::TlsCertSubject, c.subject.as_bytes());
                        out.buffer(BufferId::TlsCertIssuer, c.issuer.as_bytes());
                        out.buffer(BufferId::TlsCertSerial, c.serial.as_bytes());
                        out.buffer(BufferId::TlsCertFingerprint, c.fingerprint.as_bytes());
                        self.cert = Some(c);
                    }
                    None => out.anomaly("tls.invalid_certificate"),
                }
            }
        }
    }

    /// Handle complete handshake messages in `b`; returns bytes used.
    fn handshake_msgs(&mut self, dir: Direction, b: &[u8], out: &mut dyn EventSink) -> usize {
        let mut pos = 0;
        while let Some((ty, len)) = handshake_header(&b[pos..]) {
            let Some(body) = b.get(pos + 4..pos + 4 + len) else {
                break;
            };
            match (ty, dir) {
                (HS_CLIENT_HELLO, Direction::ToServer) => self.on_client_hello(body, out),
                (HS_SERVER_HELLO, Direction::ToClient) => self.on_server_hello(body, out),
                (HS_CERTIFICATE, _) => self.on_certificate(dir, body, out),
                (HS_SERVER_HELLO_DONE, Direction::ToClient) => self.server_flight_done = true,
                _ => {}
            }
            pos += 4 + len;
        }
        pos
    }

    fn handshake_record(&mut self, dir: Direction, payload: &[u8], out: &mut dyn EventSink) {
        let d = dir.index();
        if self.hs_buf[d].is_empty() {
            let used = self.handshake_msgs(dir, payload, out);
            if used < payload.len() {
                self.hs_buf[d].extend_from_slice(&payload[used..]);
            }
            return;
        }
        if self.hs_buf[d].len() + payload.len() > MAX_HANDSHAKE_BUF {
            out.anomaly("tls.handshake_too_large");
            self.hs_buf[d].clear();
            return;
        }
        let mut buf = std::mem::take(&mut self.hs_buf[d]);
        buf.extend_from_slice(payload);
        let used = self.handshake_msgs(dir, &buf, out);
        buf.drain(..used.min(buf.len()));
        self.hs_buf[d] = buf;
    }

    fn sslv2_hello(&mut self, data: &[u8], out: &mut dyn EventSink) -> bool {
        // 2-byte header with the high bit set, then msg type 1 (CLIENT-HELLO)
        if data.len() < 5 || data[0] & 0x80 == 0 || data[2] != 1 {
            return false;
        }
        self.sslv2 = true;
        let v = crate::util::be16(data, 3).unwrap_or(2);
        self.client = Some(ClientInfo {
            version: v,
            ..Default::default()
        });
        out.anomaly("tls.sslv2_client_hello");
        true
    }
}

impl AppParser for TlsState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let d = dir.index();
        if self.stopped[d] || (self.logged && self.encrypted[0] && self.encrypted[1]) {
            return ParseResult::Done;
        }
        if self.records == 0 && dir == Direction::ToServer && self.sslv2_hello(data, out) {
            self.stopped[d] = true;
            return ParseResult::Done;
        }
        let mut pos = 0;
        while pos < data.len() {
            let rest = &data[pos..];
            if rest.len() < RECORD_HEADER_LEN {
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed: RECORD_HEADER_LEN - rest.len(),
                };
            }
            let Some(h) = RecordHeader::parse(rest).filter(|h| h.plausible()) else {
                out.anomaly("tls.invalid_record");
                if self.records == 0 {
                    return ParseResult::Error;
                }
                self.stopped[d] = true;
                self.log(out);
                return ParseResult::Done;
            };
            let total = RECORD_HEADER_LEN + h.length;
            if rest.len() < total {
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed: total - rest.len(),
                };
            }
            self.records += 1;
            let payload = &rest[RECORD_HEADER_LEN..total];
            match h.content_type {
                CT_HANDSHAKE if !self.encrypted[d] => self.handshake_record(dir, payload, out),
                CT_CHANGE_CIPHER_SPEC => {
                    self.encrypted[d] = true;
                    self.hs_buf[d].clear();
                }
                CT_APPLICATION_DATA => self.encrypted[d] = true,
                CT_HEARTBEAT => out.anomaly("tls.heartbeat_message"),
                _ => {}
            }
            pos += total;
            // Logged once the server's first flight is over: ServerHelloDone
            // (TLS <= 1.2), the ServerHello (TLS 1.3) or the server's
            // ChangeCipherSpec (resumption).
            if self.server_flight_done || (self.encrypted[1] && self.server.is_some()) {
                self.log(out);
            }
        }
        ParseResult::Done
    }

    fn on_gap(&mut self, dir: Direction, _out: &mut dyn EventSink) {
        // record framing is lost in this direction
        self.stopped[dir.index()] = true;
        self.hs_buf[dir.index()].clear();
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        self.log(out);
        self.hs_buf = [Vec::new(), Vec::new()];
    }
}
