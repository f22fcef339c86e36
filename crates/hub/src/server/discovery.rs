//! Discovery (`/taxii2/`), API root information, and `/healthz`.

use super::{auth, AppState};
use crate::error::{taxii, HubResult, TAXII_CT};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

pub async fn discovery(State(st): State<Arc<AppState>>, h: HeaderMap) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    let roots: Vec<String> = c.meta.roots.keys().map(|r| format!("/{r}/")).collect();
    let body = json!({
        "title": if c.meta.hub.title.is_empty() { "reefwatch hub" } else { c.meta.hub.title.as_str() },
        "description": "reefwatch TAXII 2.1 server",
        "default": roots.first(),
        "api_roots": roots,
    });
    Ok(taxii(StatusCode::OK, body.to_string()))
}

pub async fn api_root(
    State(st): State<Arc<AppState>>,
    Path(root): Path<String>,
    h: HeaderMap,
) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    let r = c.root(&root)?;
    let body = json!({
        "title": r.title,
        "description": r.description,
        "versions": [TAXII_CT],
        "max_content_length": st.settings.max_content_length,
    });
    Ok(taxii(StatusCode::OK, body.to_string()))
}

/// Unauthenticated liveness and store reachability: 200 when the store
/// answers, 503 when it does not (load balancers, monitoring).
pub async fn healthz(State(st): State<Arc<AppState>>) -> Response {
    let t = std::time::Instant::now();
    let r = tokio::time::timeout(std::time::Duration::from_secs(5), st.store.ping()).await;
    let (code, store) = match r {
        Ok(Ok(())) => (StatusCode::OK, "reachable".to_string()),
        Ok(Err(e)) => {
            eprintln!("reefwatch hub: /healthz: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "unreachable".to_string())
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no answer within 5 s".to_string(),
        ),
    };
    let body = json!({
        "status": if code == StatusCode::OK { "ok" } else { "unavailable" },
        "backend": st.store.backend(),
        "store": store,
        "store_ms": (t.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
    });
    let mut resp = Response::new(axum::body::Body::from(body.to_string()));
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    resp
}
