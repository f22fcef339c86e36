//! Objects, manifest and versions of a collection: reading and deleting
//! (`GET`/`DELETE` `/{root}/collections/{id}/objects/…`, `manifest/`,
//! `versions/`). Adding objects is in [`super::objects_post`].

use super::auth::{self, Ctx};
use super::params::{envelope_head, next_token, page_headers, parse_params, Params, MAX_LIMIT};
use super::AppState;
use crate::access::Collection;
use crate::error::{taxii, HubError, HubResult};
use crate::store::{Query, Row, VersionSel};
use crate::{stixv, time};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use std::sync::Arc;

/// Rewrite `created_by_ref` for readers outside the producing organisation.
fn maybe_anonymize(js: String, row: &Row, c: &Ctx, col: &Collection) -> String {
    if !col.anonymize || row.producer_org == c.user.org || !js.contains("\"created_by_ref\"") {
        return js;
    }
    match serde_json::from_str::<Value>(&js) {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                if o.contains_key("created_by_ref") {
                    o.insert(
                        "created_by_ref".into(),
                        Value::String(c.meta.hub.identity.clone()),
                    );
                }
            }
            v.to_string()
        }
        Err(_) => js,
    }
}

pub(super) async fn run_query(
    st: &AppState,
    c: &Ctx,
    cid: &str,
    p: Params,
    with_json: bool,
) -> HubResult<crate::store::Page> {
    let q = Query {
        collection: cid.to_string(),
        filter: p.filter,
        viewer: c.meta.viewer(&c.user),
        cursor: p.cursor,
        limit: p.limit,
        with_json,
    };
    Ok(st.store.query(q).await?)
}

async fn get_objects_inner(
    st: &AppState,
    c: &Ctx,
    root: &str,
    cid: &str,
    q: Option<&str>,
    only_id: Option<&str>,
) -> HubResult<Response> {
    let col = c.collection(root, cid)?;
    // the id, also when addressed by alias
    let cid = col.id.as_str();
    c.need_read(col)?;
    let allowed: &[&str] = if only_id.is_some() {
        &["version", "spec_version"]
    } else {
        &["id", "type", "version", "spec_version"]
    };
    let mut p = parse_params(q, cid, allowed, Some(VersionSel::Last))?;
    if let Some(id) = only_id {
        if !stixv::valid_id(id) {
            return Err(HubError::bad(
                "not a STIX identifier",
                "object id in the path",
            ));
        }
        p.filter.ids = vec![id.to_string()];
    }
    let page = run_query(st, c, cid, p, true).await?;
    if only_id.is_some() && page.rows.is_empty() {
        return Err(HubError::NotFound("object".into()));
    }
    let next = if page.more {
        page.rows.last().map(|r| next_token(cid, r.date_added))
    } else {
        None
    };
    let mut body = envelope_head(page.more, next);
    if !page.rows.is_empty() {
        body.push_str(",\"objects\":[");
        for (i, r) in page.rows.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            let js = r.json.clone().unwrap_or_default();
            body.push_str(&maybe_anonymize(js, r, c, col));
        }
        body.push(']');
    }
    body.push('}');
    let mut resp = taxii(StatusCode::OK, body);
    page_headers(&mut resp, &page.rows);
    Ok(resp)
}

pub async fn get_objects(
    State(st): State<Arc<AppState>>,
    Path((root, cid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    get_objects_inner(&st, &c, &root, &cid, q.as_deref(), None).await
}

pub async fn get_object(
    State(st): State<Arc<AppState>>,
    Path((root, cid, oid)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    get_objects_inner(&st, &c, &root, &cid, q.as_deref(), Some(&oid)).await
}

pub async fn manifest(
    State(st): State<Arc<AppState>>,
    Path((root, cid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    let col = c.collection(&root, &cid)?;
    let cid = col.id.clone();
    c.need_read(col)?;
    let p = parse_params(
        q.as_deref(),
        &cid,
        &["id", "type", "version", "spec_version"],
        Some(VersionSel::Last),
    )?;
    let page = run_query(&st, &c, &cid, p, false).await?;
    let next = if page.more {
        page.rows.last().map(|r| next_token(&cid, r.date_added))
    } else {
        None
    };
    let mut body = envelope_head(page.more, next);
    if !page.rows.is_empty() {
        let objs: Vec<Value> = page
            .rows
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "date_added": time::format_micros(r.date_added),
                    "version": time::format_version(r.version),
                    "media_type": format!("application/stix+json;version={}", r.spec_version),
                })
            })
            .collect();
        body.push_str(",\"objects\":");
        body.push_str(&Value::Array(objs).to_string());
    }
    body.push('}');
    let mut resp = taxii(StatusCode::OK, body);
    page_headers(&mut resp, &page.rows);
    Ok(resp)
}

pub async fn versions(
    State(st): State<Arc<AppState>>,
    Path((root, cid, oid)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    let col = c.collection(&root, &cid)?;
    let cid = col.id.clone();
    c.need_read(col)?;
    if !stixv::valid_id(&oid) {
        return Err(HubError::bad(
            "not a STIX identifier",
            "object id in the path",
        ));
    }
    let mut p = parse_params(q.as_deref(), &cid, &["spec_version"], None)?;
    p.filter.ids = vec![oid];
    let page = run_query(&st, &c, &cid, p, false).await?;
    if page.rows.is_empty() {
        return Err(HubError::NotFound("object".into()));
    }
    let next = if page.more {
        page.rows.last().map(|r| next_token(&cid, r.date_added))
    } else {
        None
    };
    let mut body = envelope_head(page.more, next);
    let vs: Vec<Value> = page
        .rows
        .iter()
        .map(|r| Value::String(time::format_version(r.version)))
        .collect();
    body.push_str(",\"versions\":");
    body.push_str(&Value::Array(vs).to_string());
    body.push('}');
    let mut resp = taxii(StatusCode::OK, body);
    page_headers(&mut resp, &page.rows);
    Ok(resp)
}

pub async fn delete_object(
    State(st): State<Arc<AppState>>,
    Path((root, cid, oid)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> HubResult<Response> {
    let c = auth::begin(&st, &h, None).await?;
    let col = c.collection(&root, &cid)?;
    let cid = col.id.clone();
    c.need_read(col)?;
    c.need_write(col)?;
    if !stixv::valid_id(&oid) {
        return Err(HubError::bad(
            "not a STIX identifier",
            "object id in the path",
        ));
    }
    let mut p = parse_params(
        q.as_deref(),
        &cid,
        &["version", "spec_version"],
        Some(VersionSel::All),
    )?;
    p.filter.ids = vec![oid.clone()];
    p.limit = MAX_LIMIT;
    // Only rows this user can see are deleted.
    let mut rows = Vec::new();
    loop {
        let page = run_query(
            &st,
            &c,
            &cid,
            Params {
                filter: p.filter.clone(),
                limit: p.limit,
                cursor: p.cursor,
            },
            false,
        )
        .await?;
        rows.extend(page.rows.iter().map(|r| r.date_added));
        if !page.more || rows.len() > 1_000_000 {
            break;
        }
        p.cursor = page.rows.last().map(|r| r.date_added);
    }
    if rows.is_empty() {
        return Err(HubError::NotFound("object".into()));
    }
    st.store.delete_rows(cid, oid, rows).await?;
    Ok(taxii(StatusCode::OK, String::new()))
}
