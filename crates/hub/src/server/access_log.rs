//! One access-log line per request on stderr (user, method, path, status,
//! duration; failed logins marked `login=FAILED` with the reason), and the
//! guarantee that every error response has a TAXII 2.1 error body, even
//! those the router makes itself (unknown method, unreadable path).
//!
//! No secrets are logged: no query string, no Authorization header, no
//! token; for a failed Basic login the user name tried, for a failed token
//! login none.

use super::auth::LoginFailure;
use crate::error::{error_body, taxii, TAXII_CT};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Default, Debug)]
struct Entry {
    user: Option<String>,
    failure: Option<(Option<String>, LoginFailure)>,
}

tokio::task_local! {
    static ENTRY: Arc<Mutex<Entry>>;
}

/// The request was authenticated as `user`.
pub fn note_user(user: &str) {
    let _ = ENTRY.try_with(|e| {
        if let Ok(mut e) = e.lock() {
            e.user = Some(user.to_string());
        }
    });
}

/// A login was refused (`user`: the name tried, if any).
pub fn note_login_failure(user: Option<&str>, why: LoginFailure) {
    let _ = ENTRY.try_with(|e| {
        if let Ok(mut e) = e.lock() {
            e.failure = Some((user.map(str::to_string), why));
        }
    });
}

/// Names as they appear in the log: printable ASCII, at most 64 bytes.
fn clean(s: &str) -> String {
    s.chars()
        .take(64)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

pub async fn middleware(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = clean(req.uri().path());
    let entry = Arc::new(Mutex::new(Entry::default()));
    let resp = ENTRY.scope(entry.clone(), next.run(req)).await;
    let resp = taxii_error_body(resp).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let e = entry
        .lock()
        .map(|mut e| std::mem::take(&mut *e))
        .unwrap_or_default();
    let mut line = format!(
        "reefwatch hub: access user={} method={method} path={path} status={} ms={ms:.1}",
        e.user
            .as_deref()
            .or(e.failure.as_ref().and_then(|f| f.0.as_deref()))
            .map(clean)
            .unwrap_or_else(|| "-".into()),
        resp.status().as_u16(),
    );
    if let Some((_, why)) = e.failure {
        // a request without credentials is the normal first step of a
        // Basic exchange, not a failed login
        if why != LoginFailure::NoCredentials {
            line.push_str(&format!(" login=FAILED reason=\"{}\"", why.as_str()));
        }
    }
    eprintln!("{line}");
    resp
}

/// Error responses not made by [`crate::error::HubError`] (axum's own
/// 405, path and body rejections) get a TAXII error message object; their
/// text becomes its description.
async fn taxii_error_body(resp: Response) -> Response {
    let status = resp.status();
    let is_taxii = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == TAXII_CT.as_bytes());
    if !(status.is_client_error() || status.is_server_error()) || is_taxii {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let description = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut r = taxii(status, error_body(status, &description));
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            r.headers_mut().insert(k.clone(), v.clone());
        }
    }
    r
}
