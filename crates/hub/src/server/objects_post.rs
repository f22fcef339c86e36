//! Adding objects (`POST /{root}/collections/{id}/objects/`): each object
//! validated, stored in one transaction, and a status resource returned.

use super::auth;
use super::{negotiate, AppState};
use crate::access;
use crate::error::{taxii, HubError, HubResult};
use crate::store::{AddOutcome, NewObject, NewStatus};
use crate::{stixv, time};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn post_objects(
    State(st): State<Arc<AppState>>,
    Path((root, cid)): Path<(String, String)>,
    h: HeaderMap,
    body: Body,
) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    let col = c.collection(&root, &cid)?;
    let cid = col.id.clone();
    c.need_write(col)?;
    negotiate::check_content_type(&h)?;
    let body = read_body(&h, body, st.settings.max_content_length).await?;
    let env: Value = serde_json::from_slice(&body)
        .map_err(|e| HubError::bad(format!("not JSON ({e})"), "request body"))?;
    let objs = match env.get("objects") {
        Some(Value::Array(a)) => a,
        None if env.is_object() => &Vec::new(),
        _ => {
            return Err(HubError::bad(
                "not a TAXII envelope with an 'objects' list",
                "request body",
            ))
        }
    };
    let request_ts = time::now_micros();
    let mut failures: Vec<Value> = Vec::new();
    let mut news: Vec<NewObject> = Vec::with_capacity(objs.len());
    let me_user = format!("user:{}", c.user.name);
    for o in objs {
        let id = o
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let ver_s = o
            .get("modified")
            .or_else(|| o.get("created"))
            .and_then(Value::as_str);
        if let Err(es) = stixv::validate_object(o) {
            let mut f = json!({ "id": id, "message": es.join("; ") });
            if let Some(v) = ver_s {
                f["version"] = Value::String(v.to_string());
            }
            failures.push(f);
            continue;
        }
        let Some(m) = o.as_object() else { continue };
        let tlp = stixv::tlp_of_object(m).unwrap_or(st.settings.default_tlp);
        let mut recipients = vec![me_user.clone()];
        if let Some(Value::Array(a)) = m.get("x_reefwatch_recipients") {
            recipients.extend(
                a.iter()
                    .filter_map(Value::as_str)
                    .take(1000)
                    .map(str::to_string),
            );
        }
        news.push(NewObject {
            id,
            typ: m
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            spec_version: m
                .get("spec_version")
                .and_then(Value::as_str)
                .unwrap_or("2.1")
                .to_string(),
            version: ver_s.and_then(time::parse),
            json: o.to_string(),
            tlp,
            org: c.user.org.clone(),
            recipients,
            refs: stixv::references(m),
        });
    }
    let outcomes = if news.is_empty() {
        Vec::new()
    } else {
        st.store.add_objects(cid.clone(), news.clone()).await?
    };
    let successes: Vec<Value> = news
        .iter()
        .zip(outcomes.iter())
        .map(|(n, o)| {
            let (v, msg) = match o {
                AddOutcome::Added { version, .. } => (*version, "added"),
                AddOutcome::Duplicate { version } => (*version, "already present"),
            };
            json!({ "id": n.id, "version": time::format_version(v), "message": msg })
        })
        .collect();
    let sid = access::uuid4();
    let status = json!({
        "id": sid,
        "status": "complete",
        "request_timestamp": time::format_micros(request_ts),
        "total_count": objs.len(),
        "success_count": successes.len(),
        "successes": successes,
        "failure_count": failures.len(),
        "failures": failures,
        "pending_count": 0,
        "pendings": [],
    })
    .to_string();
    st.store
        .put_status(
            NewStatus {
                id: sid,
                owner: c.user.name.clone(),
                json: status.clone(),
                created_us: request_ts,
            },
            request_ts.saturating_sub(st.settings.status_retention_us),
        )
        .await?;
    Ok(taxii(StatusCode::ACCEPTED, status))
}

/// The request body, at most `limit` bytes (a declared Content-Length
/// over it is refused before reading).
async fn read_body(h: &HeaderMap, body: Body, limit: usize) -> HubResult<axum::body::Bytes> {
    let declared = h
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(HubError::TooLarge { limit });
    }
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(HubError::TooLarge { limit }),
        Err(e) => Err(HubError::bad(format!("unreadable ({e})"), "request body")),
    }
}
