//! The administrators' HTML dashboard (`/dashboard/`): objects per
//! collection, type and TLP level.

use super::{auth, AppState};
use crate::error::{HubError, HubResult};
use crate::stixv;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use std::sync::Arc;

pub async fn dashboard(State(st): State<Arc<AppState>>, h: HeaderMap) -> HubResult<Response> {
    let (meta, user) = auth::authenticate(&st, &h).await?;
    if !user.admin {
        return Err(HubError::Forbidden(
            "the dashboard is for hub administrators".into(),
        ));
    }
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>reefwatch hub</title>\
         <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}\
         td,th{border:1px solid #999;padding:4px 10px;text-align:left}th{background:#eee}</style></head><body>\
         <h1>reefwatch hub</h1>",
    );
    html.push_str(&format!(
        "<p>Backend: {} &middot; signed in as {}</p>",
        esc(st.store.backend()),
        esc(&user.name)
    ));
    for col in meta.collections.values() {
        let stats = st.store.stats(col.id.clone()).await?;
        let total: i64 = stats.iter().map(|s| s.count).sum();
        html.push_str(&format!(
            "<h2>{} <small>/{}/collections/{}/</small></h2><p>{} objects (all versions)</p>\
             <table><tr><th>type</th><th>TLP</th><th>objects</th></tr>",
            esc(&col.title),
            esc(&col.api_root),
            esc(&col.id),
            total
        ));
        for s in &stats {
            html.push_str(&format!(
                "<tr><td>{}</td><td>TLP:{}</td><td>{}</td></tr>",
                esc(&s.typ),
                stixv::tlp_label(s.tlp).to_uppercase(),
                s.count
            ));
        }
        html.push_str("</table>");
    }
    html.push_str("</body></html>");
    let mut r = Response::new(Body::from(html));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
