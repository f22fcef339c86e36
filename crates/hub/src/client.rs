//! A small TAXII 2.1 client, for the sensor's `--intel URL`: read every
//! object of a collection (following `next` while `more` is true), over
//! plain HTTP or HTTPS (rustls, trusting a given CA file or self-signed
//! certificate), one kept-alive connection for all pages. Blocking entry
//! points build their own current-thread runtime, so callers stay free of
//! tokio.

use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::DigitallySignedStruct;

const TAXII: &str = "application/taxii+json;version=2.1";
/// Upper bound on pages read from one collection (1,000 objects each).
const MAX_PAGES: usize = 100_000;
/// Upper bound on one response body.
const MAX_BODY: usize = 256 << 20;
/// Default for [`TaxiiAuth::timeout`].
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Why a TAXII request failed: the URL it was for and what went wrong.
/// Shown as `URL: what` (one fault stated once).
#[derive(Debug)]
pub struct ClientError {
    pub url: String,
    pub kind: ClientErrorKind,
}

#[derive(Debug)]
#[non_exhaustive]
pub enum ClientErrorKind {
    /// Neither `http://` nor `https://`.
    NotHttpUrl,
    BadPort,
    NoHost,
    /// `https` without `--intel-ca`.
    NeedsCa,
    /// The CA file: reading it, or a certificate in it.
    CaFile {
        path: PathBuf,
        what: String,
    },
    Connect(std::io::Error),
    /// The TLS handshake or configuration.
    Tls(String),
    /// The HTTP exchange (handshake, request, reading the body).
    Transport(String),
    /// No answer within the time limit.
    Timeout(std::time::Duration),
    /// A status outside 2xx, with the start of the body.
    Status {
        status: u16,
        body: String,
    },
    NotJson(serde_json::Error),
    /// More pages than [`MAX_PAGES`].
    TooManyPages,
    /// The runtime could not start.
    Runtime(std::io::Error),
}

impl ClientError {
    fn new(url: &str, kind: ClientErrorKind) -> Self {
        ClientError {
            url: url.to_string(),
            kind,
        }
    }

    /// The HTTP status of a non-2xx answer.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            ClientErrorKind::Status { status, .. } => Some(status),
            _ => None,
        }
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use ClientErrorKind::*;
        write!(f, "{}: ", self.url)?;
        match &self.kind {
            NotHttpUrl => write!(f, "not an http(s) URL"),
            BadPort => write!(f, "bad port"),
            NoHost => write!(f, "no host"),
            NeedsCa => write!(f, "https needs a CA file to trust (--intel-ca)"),
            CaFile { path, what } => write!(f, "CA file {}: {what}", path.display()),
            Connect(e) => write!(f, "connect: {e}"),
            Tls(e) => write!(f, "TLS: {e}"),
            Transport(e) => write!(f, "{e}"),
            Timeout(d) => write!(f, "no answer within {:.1} s", d.as_secs_f64()),
            Status { status, body } => write!(f, "HTTP {status}: {body}"),
            NotJson(e) => write!(f, "not JSON: {e}"),
            TooManyPages => write!(f, "more than {MAX_PAGES} pages"),
            Runtime(e) => write!(f, "cannot start the client runtime: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

type ClientResult<T> = Result<T, ClientError>;

/// Credentials and trust for a TAXII server.
#[derive(Clone, Debug, Default)]
pub struct TaxiiAuth {
    /// `Authorization: Bearer …`
    pub token: Option<String>,
    /// HTTP Basic user and password
    pub basic: Option<(String, String)>,
    /// PEM file of the CA(s) to trust for https
    pub ca_file: Option<PathBuf>,
    /// Longest wait for one request: connecting, the answer and its body
    /// (None: [`DEFAULT_TIMEOUT`]). A server that stops answering is an
    /// error, not a hang.
    pub timeout: Option<std::time::Duration>,
}

impl TaxiiAuth {
    /// From `REEFWATCH_TAXII_TOKEN`, or `REEFWATCH_TAXII_USER` and
    /// `REEFWATCH_TAXII_PASSWORD`; `REEFWATCH_TAXII_TIMEOUT` (seconds, a
    /// positive number) for [`TaxiiAuth::timeout`].
    pub fn from_env(ca_file: Option<PathBuf>) -> Self {
        let token = std::env::var("REEFWATCH_TAXII_TOKEN").ok();
        let basic = match (
            std::env::var("REEFWATCH_TAXII_USER"),
            std::env::var("REEFWATCH_TAXII_PASSWORD"),
        ) {
            (Ok(u), Ok(p)) => Some((u, p)),
            _ => None,
        };
        let timeout = std::env::var("REEFWATCH_TAXII_TIMEOUT")
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|t| t.is_finite() && *t > 0.0)
            .map(|t| std::time::Duration::from_secs_f64(t.min(86_400.0)));
        TaxiiAuth {
            token,
            basic,
            ca_file,
            timeout,
        }
    }

    fn header(&self) -> Option<String> {
        if let Some(t) = &self.token {
            return Some(format!("Bearer {t}"));
        }
        self.basic.as_ref().map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        })
    }
}

struct Url {
    https: bool,
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> ClientResult<Url> {
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(ClientError::new(url, ClientErrorKind::NotHttpUrl));
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (
            h.trim_matches(['[', ']']).to_string(),
            p.parse()
                .map_err(|_| ClientError::new(url, ClientErrorKind::BadPort))?,
        ),
        _ => (hostport.to_string(), if https { 443 } else { 80 }),
    };
    if host.is_empty() {
        return Err(ClientError::new(url, ClientErrorKind::NoHost));
    }
    Ok(Url {
        https,
        host,
        port,
        path: path.to_string(),
    })
}

/// The client's TLS configuration: certificates in the `ca` PEM file are
/// trust anchors, and each is also accepted as the server's own certificate
/// when the server presents exactly it (a hub's self-signed certificate,
/// which webpki alone refuses as "CA used as end entity" while OpenSSL-based
/// clients accept it).
fn tls_config(ca: &Path) -> Result<Arc<rustls::ClientConfig>, ClientErrorKind> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = verifier(ca, provider.clone())?;
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientErrorKind::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

fn verifier(
    ca: &Path,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<PinnedOrChain, ClientErrorKind> {
    let bad = |what: String| ClientErrorKind::CaFile {
        path: ca.to_path_buf(),
        what,
    };
    let pem = std::fs::read(ca).map_err(|e| bad(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    let mut pinned = Vec::new();
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        let c = c.map_err(|e| bad(e.to_string()))?;
        roots.add(c.clone()).map_err(|e| bad(e.to_string()))?;
        pinned.push(c);
    }
    if roots.is_empty() {
        return Err(bad("no certificate".into()));
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| bad(e.to_string()))?;
    Ok(PinnedOrChain { pinned, webpki })
}

/// See [`tls_config`]: webpki's verification, except that a certificate
/// exactly equal to a trusted one, refused by webpki *only* because it is a
/// CA certificate (so its validity period was checked before, see
/// `check_issuer_independent_properties` in rustls-webpki), is accepted if
/// the name the client connected to is in it. Handshake signatures are
/// webpki's in both cases.
#[derive(Debug)]
struct PinnedOrChain {
    pinned: Vec<CertificateDer<'static>>,
    webpki: Arc<WebPkiServerVerifier>,
}

fn ca_used_as_end_entity(e: &rustls::Error) -> bool {
    match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o)) => {
            o.0.downcast_ref::<webpki::Error>() == Some(&webpki::Error::CaUsedAsEndEntity)
        }
        _ => false,
    }
}

impl ServerCertVerifier for PinnedOrChain {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let r = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match r {
            Err(e)
                if ca_used_as_end_entity(&e)
                    && self
                        .pinned
                        .iter()
                        .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                let ee = webpki::EndEntityCert::try_from(end_entity).map_err(|_| {
                    rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
                })?;
                match ee.verify_is_valid_for_subject_name(server_name) {
                    Ok(()) => Ok(ServerCertVerified::assertion()),
                    Err(_) => Err(rustls::Error::InvalidCertificate(
                        rustls::CertificateError::NotValidForName,
                    )),
                }
            }
            r => r,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Requests to TAXII servers over kept-alive HTTP/1.1 connections: one
/// connection is reused while requests go to the same server (a
/// collection's pages), and the TLS configuration (the CA file read and
/// parsed) is built once. A connection the server closed is replaced; a
/// GET that fails on a reused connection (closed while idle) is sent again
/// once on a new one.
struct Client<'a> {
    auth: &'a TaxiiAuth,
    tls: Option<Arc<rustls::ClientConfig>>,
    /// `(https, host, port)` and the open connection's sender
    conn: Option<((bool, String, u16), Sender)>,
}

impl<'a> Client<'a> {
    fn new(auth: &'a TaxiiAuth) -> Self {
        Client {
            auth,
            tls: None,
            conn: None,
        }
    }

    async fn connect(&mut self, u: &Url, url: &str) -> ClientResult<Sender> {
        let fail = |kind| ClientError::new(url, kind);
        let tcp = tokio::net::TcpStream::connect((u.host.as_str(), u.port))
            .await
            .map_err(|e| fail(ClientErrorKind::Connect(e)))?;
        let _ = tcp.set_nodelay(true);
        macro_rules! handshake {
            ($io:expr) => {{
                let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new($io))
                    .await
                    .map_err(|e| fail(ClientErrorKind::Transport(e.to_string())))?;
                tokio::spawn(conn);
                sender
            }};
        }
        if !u.https {
            return Ok(handshake!(tcp));
        }
        let cfg = match &self.tls {
            Some(c) => c.clone(),
            None => {
                let ca = self
                    .auth
                    .ca_file
                    .as_deref()
                    .ok_or_else(|| fail(ClientErrorKind::NeedsCa))?;
                let c = tls_config(ca).map_err(fail)?;
                self.tls = Some(c.clone());
                c
            }
        };
        let name = ServerName::try_from(u.host.clone())
            .map_err(|e| fail(ClientErrorKind::Tls(e.to_string())))?;
        let tls = tokio_rustls::TlsConnector::from(cfg)
            .connect(name, tcp)
            .await
            .map_err(|e| fail(ClientErrorKind::Tls(e.to_string())))?;
        Ok(handshake!(tls))
    }

    /// One request; returns status and body.
    async fn request(
        &mut self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> ClientResult<(u16, Vec<u8>)> {
        let limit = self.auth.timeout.unwrap_or(DEFAULT_TIMEOUT);
        match tokio::time::timeout(limit, self.request_untimed(method, url, body)).await {
            Ok(r) => r,
            Err(_) => {
                // the connection is in an unknown state: not reused
                self.conn = None;
                Err(ClientError::new(url, ClientErrorKind::Timeout(limit)))
            }
        }
    }

    async fn request_untimed(
        &mut self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> ClientResult<(u16, Vec<u8>)> {
        let u = parse_url(url)?;
        let key = (u.https, u.host.clone(), u.port);
        let mut reused = false;
        if let Some((k, sender)) = &mut self.conn {
            reused = *k == key && !sender.is_closed() && sender.ready().await.is_ok();
        }
        if !reused {
            self.conn = None;
            let s = self.connect(&u, url).await?;
            self.conn = Some((key.clone(), s));
        }
        let body = Bytes::from(body.unwrap_or_default());
        match self.send(&method, &u, body.clone()).await {
            Err(Failure::Unanswered(_)) if reused && method == Method::GET => {
                // the server closed the idle connection: once more, anew
                self.conn = None;
                let s = self.connect(&u, url).await?;
                self.conn = Some((key, s));
                self.send(&method, &u, body).await.map_err(|f| f.at(url))
            }
            r => r.map_err(|f| f.at(url)),
        }
    }

    async fn send(
        &mut self,
        method: &Method,
        u: &Url,
        body: Bytes,
    ) -> Result<(u16, Vec<u8>), Failure> {
        let Some((_, sender)) = self.conn.as_mut() else {
            return Err(Failure::Other("not connected".into()));
        };
        let mut req = Request::builder()
            .method(method.clone())
            .uri(&u.path)
            .header(hyper::header::HOST, format!("{}:{}", u.host, u.port))
            .header(hyper::header::ACCEPT, TAXII);
        if !body.is_empty() {
            req = req.header(hyper::header::CONTENT_TYPE, TAXII);
        }
        if let Some(h) = self.auth.header() {
            req = req.header(hyper::header::AUTHORIZATION, h);
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| Failure::Other(e.to_string()))?;
        // no answer began: the request may be sent again (GET)
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| Failure::Unanswered(e.to_string()))?;
        let status = resp.status().as_u16();
        let limited = http_body_util::Limited::new(resp.into_body(), MAX_BODY);
        let bytes = limited
            .collect()
            .await
            .map_err(|e| Failure::Other(format!("reading the answer: {e}")))?
            .to_bytes();
        Ok((status, bytes.to_vec()))
    }
}

/// Why [`Client::send`] failed.
enum Failure {
    /// before any answer (the connection was closed, or closed on us)
    Unanswered(String),
    Other(String),
}

impl Failure {
    fn at(self, url: &str) -> ClientError {
        match self {
            Failure::Unanswered(s) | Failure::Other(s) => {
                ClientError::new(url, ClientErrorKind::Transport(s))
            }
        }
    }
}

fn runtime(url: &str) -> ClientResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ClientError::new(url, ClientErrorKind::Runtime(e)))
}

fn json_of(url: &str, status: u16, body: &[u8]) -> ClientResult<Value> {
    if !(200..300).contains(&status) {
        let body = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        return Err(ClientError::new(
            url,
            ClientErrorKind::Status { status, body },
        ));
    }
    serde_json::from_slice(body).map_err(|e| ClientError::new(url, ClientErrorKind::NotJson(e)))
}

/// GET a TAXII resource as JSON.
pub fn get_json(url: &str, auth: &TaxiiAuth) -> ClientResult<Value> {
    let rt = runtime(url)?;
    let (s, b) = rt.block_on(Client::new(auth).request(Method::GET, url, None))?;
    json_of(url, s, &b)
}

/// POST a TAXII envelope (`{"objects": [...]}`); returns the status resource.
pub fn post_envelope(objects_url: &str, auth: &TaxiiAuth, envelope: &Value) -> ClientResult<Value> {
    let rt = runtime(objects_url)?;
    // serialising a serde_json::Value into a Vec cannot fail
    let body = serde_json::to_vec(envelope).unwrap_or_default();
    let (s, b) = rt.block_on(Client::new(auth).request(Method::POST, objects_url, Some(body)))?;
    json_of(objects_url, s, &b)
}

/// Every object of the collection at `collection_url`
/// (`…/api1/collections/<id>/`), in `date_added` order, all pages.
pub fn fetch_collection(collection_url: &str, auth: &TaxiiAuth) -> ClientResult<Vec<Value>> {
    let base = if collection_url.ends_with('/') {
        collection_url.to_string()
    } else {
        format!("{collection_url}/")
    };
    let rt = runtime(&base)?;
    let mut client = Client::new(auth);
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let url = match &next {
            None => format!("{base}objects/?limit=1000"),
            Some(n) => format!("{base}objects/?limit=1000&next={}", pct(n)),
        };
        let (s, b) = rt.block_on(client.request(Method::GET, &url, None))?;
        let v = json_of(&url, s, &b)?;
        if let Some(objs) = v.get("objects").and_then(Value::as_array) {
            out.extend(objs.iter().cloned());
        }
        let more = v.get("more").and_then(Value::as_bool).unwrap_or(false);
        next = v.get("next").and_then(Value::as_str).map(String::from);
        if !more || next.is_none() {
            return Ok(out);
        }
    }
    Err(ClientError::new(&base, ClientErrorKind::TooManyPages))
}

/// Percent-encode a query value.
fn pct(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_name_the_url_and_the_fault_once() {
        let kind = |u: &str| parse_url(u).err().map(|e| e.kind);
        assert!(matches!(
            kind("ftp://h/"),
            Some(ClientErrorKind::NotHttpUrl)
        ));
        assert!(matches!(
            kind("http://h:99999/"),
            Some(ClientErrorKind::BadPort)
        ));
        assert!(matches!(kind("https:///x"), Some(ClientErrorKind::NoHost)));
        let e = json_of("http://h/x", 404, b"{\"title\":\"no\"}").unwrap_err();
        assert_eq!(e.status(), Some(404));
        assert_eq!(e.to_string(), "http://h/x: HTTP 404: {\"title\":\"no\"}");
        let e = json_of("http://h/x", 200, b"<html>").unwrap_err();
        assert!(matches!(e.kind, ClientErrorKind::NotJson(_)));
        assert!(e.to_string().starts_with("http://h/x: not JSON: "), "{e}");
        let auth = TaxiiAuth::default();
        let e = get_json("https://127.0.0.1:9/x", &auth).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ClientErrorKind::Connect(_) | ClientErrorKind::NeedsCa
            ),
            "{e}"
        );
        let missing = TaxiiAuth {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..TaxiiAuth::default()
        };
        let e = tls_config(missing.ca_file.as_deref().unwrap()).unwrap_err();
        assert!(matches!(e, ClientErrorKind::CaFile { .. }));
    }

    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// How a stand-in server ends its answers.
    #[derive(Clone, Copy)]
    enum Close {
        /// keep every connection open
        Never,
        /// `Connection: close` on every answer, then close
        Announced,
        /// after the second answer on a connection, close without saying so
        /// (an idle timeout)
        Silently,
    }

    /// A TAXII stand-in on 127.0.0.1: page `n` (`next=n`, first page 0) of
    /// `pages` holds one object `x--n`. Returns the collection URL and the
    /// count of connections it accepted.
    fn fake_server(pages: usize, close: Close) -> (String, Arc<AtomicUsize>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api1/collections/c/", l.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let acc = accepted.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(s) = s else { return };
                acc.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || serve(s, pages, close));
            }
        });
        (url, accepted)
    }

    fn serve(s: std::net::TcpStream, pages: usize, close: Close) {
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        for answered in 1.. {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 {
                    return;
                }
                if h == "\r\n" {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let n: usize = line
                .split("next=")
                .nth(1)
                .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let page = serde_json::json!({
                "objects": [{"id": format!("x--{n}")}],
                "more": n + 1 < pages,
                "next": (n + 1).to_string(),
            })
            .to_string();
            let announce = matches!(close, Close::Announced);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {TAXII}\r\ncontent-length: {}\r\n{}\r\n",
                page.len(),
                if announce {
                    "connection: close\r\n"
                } else {
                    ""
                }
            );
            w.write_all(head.as_bytes()).unwrap();
            w.write_all(page.as_bytes()).unwrap();
            w.flush().unwrap();
            if announce || (matches!(close, Close::Silently) && answered == 2) {
                let _ = w.shutdown(std::net::Shutdown::Both);
                return;
            }
        }
    }

    fn ids(objs: &[Value]) -> Vec<String> {
        objs.iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_trusted_self_signed_certificate_is_checked_for_name_and_time() {
        let td = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hub");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let v = verifier(&td.join("tls/cert.pem"), provider.clone()).unwrap();
        let ee = v.pinned[0].clone();
        let check = |v: &PinnedOrChain, name: &str, now: UnixTime| {
            v.verify_server_cert(&ee, &[], &ServerName::try_from(name).unwrap(), &[], now)
                .map(|_| ())
        };
        let now = UnixTime::now();
        // valid 2026 to 2126, for localhost and 127.0.0.1
        check(&v, "localhost", now).unwrap();
        check(&v, "127.0.0.1", now).unwrap();
        let e = check(&v, "hub.example", now).unwrap_err();
        assert!(matches!(
            e,
            rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
        ));
        // expired: webpki says so before it looks at the CA flag
        let e = check(
            &v,
            "localhost",
            UnixTime::since_unix_epoch(
                std::time::Duration::from_secs(7_258_118_400), // 2200-01-01
            ),
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                rustls::Error::InvalidCertificate(rustls::CertificateError::ExpiredContext { .. })
            ),
            "{e:?}"
        );
        // trusting another certificate: refused
        let other = verifier(&td.join("other-ca.pem"), provider).unwrap();
        assert!(check(&other, "localhost", now).is_err());
    }

    #[test]
    fn a_server_that_stops_answering_is_an_error() {
        // accepts, reads, never answers
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api1/collections/c/", l.local_addr().unwrap());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in l.incoming().flatten() {
                held.push(s);
            }
        });
        let auth = TaxiiAuth {
            timeout: Some(std::time::Duration::from_millis(300)),
            ..TaxiiAuth::default()
        };
        let t = std::time::Instant::now();
        let e = fetch_collection(&url, &auth).unwrap_err();
        assert!(matches!(e.kind, ClientErrorKind::Timeout(_)), "{e}");
        assert!(e.to_string().contains("no answer within 0.3 s"), "{e}");
        assert!(t.elapsed() < std::time::Duration::from_secs(10));
    }

    /// Kept alive, the pages share one connection; closed, each close
    /// costs a new one: announced (`Connection: close`) after every answer,
    /// or silently after two answers (noticed before the next request or
    /// when it fails, and the GET is sent again on a new connection).
    #[test]
    fn connections_are_reused_until_the_server_closes_them() {
        for (close, pages, connections) in [
            (Close::Never, 5, 1),
            (Close::Announced, 4, 4),
            (Close::Silently, 5, 3),
        ] {
            let (url, accepted) = fake_server(pages, close);
            let objs = fetch_collection(&url, &TaxiiAuth::default()).unwrap();
            let want: Vec<String> = (0..pages).map(|n| format!("x--{n}")).collect();
            assert_eq!(ids(&objs), want);
            assert_eq!(
                accepted.load(Ordering::SeqCst),
                connections,
                "{pages} pages"
            );
        }
    }

    #[test]
    fn urls() {
        let u = parse_url("https://hub.example:9443/api1/collections/x/").unwrap();
        assert!(u.https);
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("hub.example", 9443, "/api1/collections/x/")
        );
        let u = parse_url("http://127.0.0.1/taxii2/").unwrap();
        assert_eq!((u.port, u.https), (80, false));
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("http://:80/").is_err());
        assert_eq!(pct("a b/=c"), "a%20b%2F%3Dc");
    }
}
