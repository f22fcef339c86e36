//! The hub's one error type, and its one mapping to TAXII 2.1 error
//! messages and HTTP statuses ([`HubError::status`], `IntoResponse`).
//!
//! Request faults (`NotFound` … `NotAcceptable`) become a TAXII error
//! message object (`application/taxii+json;version=2.1`, TAXII 2.1 §3.6.1)
//! with the matching status; storage faults become a 500 whose details go
//! to the hub's log, not to the client. Start-up and administration faults
//! (`Config`, `Io`, `Tls`, `Conflict`, …) are shown to the operator.

use crate::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;

pub const TAXII_CT: &str = "application/taxii+json;version=2.1";

#[derive(Debug)]
pub enum HubError {
    /// No such API root, collection, object, status, user, token, …
    NotFound(String),
    /// The thing to create exists already.
    Conflict(String),
    /// Authenticated, but not allowed.
    Forbidden(String),
    /// No valid credentials.
    Unauthorized,
    /// `what` is wrong about the request, found in `place` (a query
    /// parameter, the body, a path segment, an argument).
    BadRequest { what: String, place: String },
    /// A request body over `max_content_length`.
    TooLarge { limit: usize },
    /// A POST whose Content-Type is not TAXII 2.1.
    UnsupportedMediaType,
    /// An Accept header this endpoint cannot serve.
    NotAcceptable { serves: &'static str },
    /// A method the endpoint does not take.
    MethodNotAllowed,
    /// A configuration value: `what` is wrong with `place` (a file and key,
    /// or a command-line flag).
    Config { what: String, place: String },
    /// A file system operation on `path`.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// TLS set-up (certificates, keys, protocol versions).
    Tls(String),
    /// Binding the listening socket, the runtime, …
    Runtime(String),
    /// The object store.
    Backend(StoreError),
}

pub type HubResult<T> = Result<T, HubError>;

impl HubError {
    pub fn bad(what: impl Into<String>, place: impl Into<String>) -> Self {
        HubError::BadRequest {
            what: what.into(),
            place: place.into(),
        }
    }
    pub fn config(what: impl Into<String>, place: impl Into<String>) -> Self {
        HubError::Config {
            what: what.into(),
            place: place.into(),
        }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HubError::Io {
            path: path.into(),
            source,
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            HubError::NotFound(_) => StatusCode::NOT_FOUND,
            HubError::Conflict(_) => StatusCode::CONFLICT,
            HubError::Forbidden(_) => StatusCode::FORBIDDEN,
            HubError::Unauthorized => StatusCode::UNAUTHORIZED,
            HubError::BadRequest { .. } | HubError::Config { .. } => StatusCode::BAD_REQUEST,
            HubError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HubError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HubError::NotAcceptable { .. } => StatusCode::NOT_ACCEPTABLE,
            HubError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HubError::Io { .. }
            | HubError::Tls(_)
            | HubError::Runtime(_)
            | HubError::Backend(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a TAXII client is told (`description`): internal faults are
    /// not described to clients.
    fn public_description(&self) -> String {
        match self {
            HubError::Io { .. } | HubError::Tls(_) | HubError::Runtime(_) => {
                "internal error; see the hub log".into()
            }
            HubError::Backend(_) => "the object store failed; see the hub log".into(),
            e => e.to_string(),
        }
    }
}

/// A TAXII 2.1 error message object for `status`.
pub fn error_body(status: StatusCode, description: &str) -> String {
    serde_json::json!({
        "title": status.canonical_reason().unwrap_or("Error"),
        "description": description,
        "http_status": status.as_u16().to_string(),
    })
    .to_string()
}

/// A response with a TAXII 2.1 body.
pub fn taxii(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(axum::body::Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_CT));
    r
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            eprintln!("reefwatch hub: {self}");
        }
        let mut r = taxii(status, error_body(status, &self.public_description()));
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"reefwatch\""),
            );
        }
        r
    }
}

impl std::fmt::Display for HubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HubError::NotFound(what) => write!(f, "no such {what}"),
            HubError::Conflict(what) => write!(f, "{what} exists already"),
            HubError::Forbidden(what) => f.write_str(what),
            HubError::Unauthorized => {
                f.write_str("valid HTTP Basic credentials or a Bearer API token are required")
            }
            HubError::BadRequest { what, place } | HubError::Config { what, place } => {
                write!(f, "{place}: {what}")
            }
            HubError::TooLarge { limit } => {
                write!(f, "request body exceeds max_content_length ({limit} bytes)")
            }
            HubError::UnsupportedMediaType => write!(f, "send {TAXII_CT}"),
            HubError::NotAcceptable { serves } => write!(f, "this endpoint serves {serves}"),
            HubError::MethodNotAllowed => f.write_str("method not allowed on this endpoint"),
            HubError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            HubError::Tls(e) => write!(f, "TLS: {e}"),
            HubError::Runtime(e) => f.write_str(e),
            HubError::Backend(e) => write!(f, "storage: {e}"),
        }
    }
}

impl std::error::Error for HubError {}

impl From<StoreError> for HubError {
    fn from(e: StoreError) -> Self {
        HubError::Backend(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_a_taxii_error_message() {
        let cases = [
            (HubError::NotFound("collection".into()), 404),
            (HubError::Conflict("user \"a\"".into()), 409),
            (HubError::Forbidden("no write access".into()), 403),
            (HubError::Unauthorized, 401),
            (HubError::bad("not a timestamp", "added_after"), 400),
            (HubError::TooLarge { limit: 10 }, 413),
            (HubError::UnsupportedMediaType, 415),
            (HubError::NotAcceptable { serves: TAXII_CT }, 406),
            (HubError::MethodNotAllowed, 405),
            (HubError::Backend(StoreError::Pool("closed")), 500),
        ];
        for (e, code) in cases {
            let text = e.to_string();
            let r = e.into_response();
            assert_eq!(r.status().as_u16(), code);
            assert_eq!(r.headers()[header::CONTENT_TYPE], TAXII_CT);
            if code == 401 {
                assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
            }
            if code == 500 {
                // storage details stay in the log
                assert!(text.contains("closed"));
            }
        }
        let b: serde_json::Value =
            serde_json::from_str(&error_body(StatusCode::PAYLOAD_TOO_LARGE, "x")).unwrap();
        assert_eq!(b["http_status"], "413");
        assert_eq!(b["title"], "Payload Too Large");
    }
}
