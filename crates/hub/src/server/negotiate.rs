//! Content negotiation: which media types a request accepts and sends
//! (TAXII 2.1 §1.6.8).

use crate::error::{HubError, HubResult, TAXII_CT};
use axum::http::{header, HeaderMap};

pub const TAXII_BASE: &str = "application/taxii+json";

/// Media type `v` is `ty`, with no `version` parameter or `version=2.1`.
pub fn media_ok(v: &str, ty: &str) -> bool {
    let mut parts = v.split(';').map(str::trim);
    let base = parts.next().unwrap_or("");
    if !base.eq_ignore_ascii_case(ty) {
        return false;
    }
    for p in parts {
        if let Some((k, val)) = p.split_once('=') {
            if k.trim().eq_ignore_ascii_case("version") && val.trim().trim_matches('"') != "2.1" {
                return false;
            }
        }
    }
    true
}

/// The request's Accept header admits TAXII 2.1 (or `also`); no header
/// admits anything.
pub fn check_accept(h: &HeaderMap, also: Option<&str>) -> HubResult<()> {
    let Some(a) = h.get(header::ACCEPT) else {
        return Ok(());
    };
    let a = a.to_str().unwrap_or("");
    let ok = a.split(',').any(|m| {
        let m = m.trim();
        media_ok(m, TAXII_BASE)
            || also.is_some_and(|t| media_ok(m, t))
            || m.starts_with("*/*")
            || m.starts_with("application/*")
    });
    if ok {
        Ok(())
    } else {
        Err(HubError::NotAcceptable { serves: TAXII_CT })
    }
}

/// The request body is TAXII 2.1.
pub fn check_content_type(h: &HeaderMap) -> HubResult<()> {
    let ct = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if media_ok(ct, TAXII_BASE) {
        Ok(())
    } else {
        Err(HubError::UnsupportedMediaType)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert!(media_ok("application/taxii+json;version=2.1", TAXII_BASE));
        assert!(media_ok("application/taxii+json", TAXII_BASE));
        assert!(media_ok(
            "application/taxii+json; version=\"2.1\"",
            TAXII_BASE
        ));
        assert!(!media_ok("application/taxii+json;version=2.0", TAXII_BASE));
        assert!(!media_ok("application/json", TAXII_BASE));
    }
}
