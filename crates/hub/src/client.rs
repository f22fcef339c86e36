//! A small TAXII 2.1 client, for the sensor's `--intel URL`: read every
//! object of a collection (following `next` while `more` is true), over
//! plain HTTP or HTTPS (rustls, trusting a given CA file). Blocking entry
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

const TAXII: &str = "application/taxii+json;version=2.1";
/// Upper bound on pages read from one collection (1,000 objects each).
const MAX_PAGES: usize = 100_000;
/// Upper bound on one response body.
const MAX_BODY: usize = 256 << 20;

/// Credentials and trust for a TAXII server.
#[derive(Clone, Debug, Default)]
pub struct TaxiiAuth {
    /// `Authorization: Bearer …`
    pub token: Option<String>,
    /// HTTP Basic user and password
    pub basic: Option<(String, String)>,
    /// PEM file of the CA(s) to trust for https
    pub ca_file: Option<PathBuf>,
}

impl TaxiiAuth {
    /// From `REEFWATCH_TAXII_TOKEN`, or `REEFWATCH_TAXII_USER` and
    /// `REEFWATCH_TAXII_PASSWORD`.
    pub fn from_env(ca_file: Option<PathBuf>) -> Self {
        let token = std::env::var("REEFWATCH_TAXII_TOKEN").ok();
        let basic = match (
            std::env::var("REEFWATCH_TAXII_USER"),
            std::env::var("REEFWATCH_TAXII_PASSWORD"),
        ) {
            (Ok(u), Ok(p)) => Some((u, p)),
            _ => None,
        };
        TaxiiAuth {
            token,
            basic,
            ca_file,
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

fn parse_url(url: &str) -> Result<Url, String> {
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!("{url}: not an http(s) URL"));
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (
            h.trim_matches(['[', ']']).to_string(),
            p.parse().map_err(|_| format!("{url}: bad port"))?,
        ),
        _ => (hostport.to_string(), if https { 443 } else { 80 }),
    };
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    Ok(Url {
        https,
        host,
        port,
        path: path.to_string(),
    })
}

fn tls_config(ca: &Path) -> Result<Arc<tokio_rustls::rustls::ClientConfig>, String> {
    use tokio_rustls::rustls;
    let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        let c = c.map_err(|e| format!("{}: {e}", ca.display()))?;
        roots.add(c).map_err(|e| format!("{}: {e}", ca.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("{}: no certificate", ca.display()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// One request; returns status and body.
async fn request(
    method: Method,
    url: &str,
    auth: &TaxiiAuth,
    body: Option<Vec<u8>>,
) -> Result<(u16, Vec<u8>), String> {
    let u = parse_url(url)?;
    let tcp = tokio::net::TcpStream::connect((u.host.as_str(), u.port))
        .await
        .map_err(|e| format!("{url}: connect: {e}"))?;
    let mut req = Request::builder()
        .method(method)
        .uri(&u.path)
        .header(hyper::header::HOST, format!("{}:{}", u.host, u.port))
        .header(hyper::header::ACCEPT, TAXII);
    if body.is_some() {
        req = req.header(hyper::header::CONTENT_TYPE, TAXII);
    }
    if let Some(h) = auth.header() {
        req = req.header(hyper::header::AUTHORIZATION, h);
    }
    let req = req
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| e.to_string())?;
    macro_rules! send {
        ($io:expr) => {{
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new($io))
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            tokio::spawn(conn);
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            let status = resp.status().as_u16();
            let limited = http_body_util::Limited::new(resp.into_body(), MAX_BODY);
            let bytes = limited
                .collect()
                .await
                .map_err(|e| format!("{url}: reading the answer: {e}"))?
                .to_bytes();
            (status, bytes.to_vec())
        }};
    }
    let out = if u.https {
        let ca = auth
            .ca_file
            .as_deref()
            .ok_or_else(|| format!("{url}: https needs a CA file to trust (--intel-ca)"))?;
        let connector = tokio_rustls::TlsConnector::from(tls_config(ca)?);
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(u.host.clone())
            .map_err(|e| format!("{url}: {e}"))?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("{url}: TLS: {e}"))?;
        send!(tls)
    } else {
        send!(tcp)
    };
    Ok(out)
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn json_of(url: &str, status: u16, body: &[u8]) -> Result<Value, String> {
    if !(200..300).contains(&status) {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        return Err(format!("{url}: HTTP {status}: {text}"));
    }
    serde_json::from_slice(body).map_err(|e| format!("{url}: not JSON: {e}"))
}

/// GET a TAXII resource as JSON.
pub fn get_json(url: &str, auth: &TaxiiAuth) -> Result<Value, String> {
    let rt = runtime()?;
    let (s, b) = rt.block_on(request(Method::GET, url, auth, None))?;
    json_of(url, s, &b)
}

/// POST a TAXII envelope (`{"objects": [...]}`); returns the status resource.
pub fn post_envelope(
    objects_url: &str,
    auth: &TaxiiAuth,
    envelope: &Value,
) -> Result<Value, String> {
    let rt = runtime()?;
    let body = serde_json::to_vec(envelope).map_err(|e| e.to_string())?;
    let (s, b) = rt.block_on(request(Method::POST, objects_url, auth, Some(body)))?;
    json_of(objects_url, s, &b)
}

/// Every object of the collection at `collection_url`
/// (`…/api1/collections/<id>/`), in `date_added` order, all pages.
pub fn fetch_collection(collection_url: &str, auth: &TaxiiAuth) -> Result<Vec<Value>, String> {
    let base = if collection_url.ends_with('/') {
        collection_url.to_string()
    } else {
        format!("{collection_url}/")
    };
    let rt = runtime()?;
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let url = match &next {
            None => format!("{base}objects/?limit=1000"),
            Some(n) => format!("{base}objects/?limit=1000&next={}", pct(n)),
        };
        let (s, b) = rt.block_on(request(Method::GET, &url, auth, None))?;
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
    Err(format!("{base}: more than {MAX_PAGES} pages"))
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
    use super::*;

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
