//! Collections (`/{root}/collections/`, `/{root}/collections/{id}/`).
//! A collection is addressed by its id or by its alias (the bootstrap
//! collection's is `default`).

use super::auth::{self, Ctx};
use super::AppState;
use crate::access::Collection;
use crate::error::{taxii, HubResult};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use std::sync::Arc;

pub const STIX_CT: &str = "application/stix+json;version=2.1";

fn collection_json(c: &Ctx, col: &Collection) -> Value {
    let mut v = json!({
        "id": col.id,
        "title": col.title,
        "description": col.description,
        "can_read": c.can_read(col),
        "can_write": c.can_write(col),
        "media_types": [STIX_CT],
    });
    if let Some(a) = &col.alias {
        v["alias"] = Value::String(a.clone());
    }
    v
}

pub async fn collections(
    State(st): State<Arc<AppState>>,
    Path(root): Path<String>,
    h: HeaderMap,
) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    c.root(&root)?;
    let cols: Vec<Value> = c
        .meta
        .collections
        .values()
        .filter(|col| col.api_root == root && (c.can_read(col) || c.can_write(col)))
        .map(|col| collection_json(&c, col))
        .collect();
    let body = if cols.is_empty() {
        json!({})
    } else {
        json!({ "collections": cols })
    };
    Ok(taxii(StatusCode::OK, body.to_string()))
}

pub async fn get_collection(
    State(st): State<Arc<AppState>>,
    Path((root, cid)): Path<(String, String)>,
    h: HeaderMap,
) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    let col = c.collection(&root, &cid)?;
    Ok(taxii(StatusCode::OK, collection_json(&c, col).to_string()))
}
