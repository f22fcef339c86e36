//! TAXII 2.1 HTTP API (axum).

use crate::access::{self, Meta, User};
use crate::store::{AddOutcome, Filter, NewObject, NewStatus, Query, Row, Store, VersionSel};
use crate::{stixv, time};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

pub const TAXII_CT: &str = "application/taxii+json;version=2.1";
pub const STIX_CT: &str = "application/stix+json;version=2.1";
pub const MAX_LIMIT: usize = 10_000;
pub const DEFAULT_LIMIT: usize = 1_000;

/// Server-wide settings.
#[derive(Clone, Debug)]
pub struct Settings {
    pub max_content_length: usize,
    /// TLP level of objects that carry no TLP marking.
    pub default_tlp: u8,
    /// How long a status resource stays readable after its request
    /// (µs); older ones are deleted as new ones are stored.
    pub status_retention_us: i64,
}

/// Default [`Settings::status_retention_us`]: 7 days.
pub const DEFAULT_STATUS_RETENTION_HOURS: u64 = 7 * 24;

/// `hours` as the µs of [`Settings::status_retention_us`] (at most a
/// century).
pub fn retention_us(hours: u64) -> i64 {
    hours.min(100 * 365 * 24) as i64 * 3_600_000_000
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_content_length: 64 * 1024 * 1024,
            default_tlp: stixv::TLP_CLEAR,
            status_retention_us: retention_us(DEFAULT_STATUS_RETENTION_HOURS),
        }
    }
}

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub meta: RwLock<Arc<Meta>>,
    /// sha256(user \0 password) of recently verified Basic credentials.
    cred_cache: Mutex<HashMap<String, String>>,
    pub settings: Settings,
}

impl AppState {
    pub async fn new(store: Arc<dyn Store>, settings: Settings) -> Result<Arc<Self>, String> {
        let kv = store.meta_all().await.map_err(|e| e.to_string())?;
        Ok(Arc::new(AppState {
            store,
            meta: RwLock::new(Arc::new(Meta::from_kv(&kv))),
            cred_cache: Mutex::new(HashMap::new()),
            settings,
        }))
    }

    pub fn meta(&self) -> Arc<Meta> {
        self.meta.read().map(|m| m.clone()).unwrap_or_default()
    }

    pub async fn reload(&self) {
        if let Ok(kv) = self.store.meta_all().await {
            let m = Arc::new(Meta::from_kv(&kv));
            if let Ok(mut g) = self.meta.write() {
                *g = m;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Errors

pub struct ApiError {
    status: StatusCode,
    title: String,
    description: String,
}

fn err(status: StatusCode, title: &str, description: impl Into<String>) -> ApiError {
    ApiError {
        status,
        title: title.to_string(),
        description: description.into(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        let mut r = taxii(self.status, body.to_string());
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"reefwatch\""),
            );
        }
        r
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        eprintln!("reefwatch hub: storage error: {e}");
        err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Storage error",
            "the object store failed; see the hub log",
        )
    }
}

type R = Result<Response, ApiError>;

fn taxii(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_CT));
    r
}

// ---------------------------------------------------------------------------
// Media types and authentication

/// Media type `mt` acceptable per TAXII 2.1 §1.6.8 (version param optional,
/// `version=2.1` if present).
fn media_ok(v: &str, ty: &str) -> bool {
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

fn check_accept(h: &HeaderMap, also: Option<&str>) -> Result<(), ApiError> {
    let Some(a) = h.get(header::ACCEPT) else {
        return Ok(());
    };
    let a = a.to_str().unwrap_or("");
    let ok = a.split(',').any(|m| {
        let m = m.trim();
        media_ok(m, "application/taxii+json")
            || also.is_some_and(|t| media_ok(m, t))
            || m.starts_with("*/*")
            || m.starts_with("application/*")
    });
    if ok {
        Ok(())
    } else {
        Err(err(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable",
            format!("this endpoint serves {TAXII_CT}"),
        ))
    }
}

async fn authenticate(st: &AppState, h: &HeaderMap) -> Result<(Arc<Meta>, User), ApiError> {
    let meta = st.meta();
    let unauth = || {
        err(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "valid HTTP Basic credentials or a Bearer API token are required",
        )
    };
    let v = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauth)?;
    if let Some(tok) = v.strip_prefix("Bearer ") {
        let hsh = access::sha256_hex(tok.trim().as_bytes());
        let u = meta
            .token_index
            .get(&hsh)
            .and_then(|n| meta.users.get(n))
            .cloned()
            .ok_or_else(unauth)?;
        return Ok((meta, u));
    }
    let b = v.strip_prefix("Basic ").ok_or_else(unauth)?;
    let dec = base64::engine::general_purpose::STANDARD
        .decode(b.trim())
        .map_err(|_| unauth())?;
    let dec = String::from_utf8(dec).map_err(|_| unauth())?;
    let (name, pw) = dec.split_once(':').ok_or_else(unauth)?;
    let u = meta.users.get(name).cloned().ok_or_else(unauth)?;
    let stored = u.password.clone().ok_or_else(unauth)?;
    let key = access::sha256_hex(format!("{name}\0{pw}\0{stored}").as_bytes());
    let cached = st
        .cred_cache
        .lock()
        .map(|c| c.get(name) == Some(&key))
        .unwrap_or(false);
    if !cached {
        // The KDF is deliberately slow: keep it off the async workers.
        let (p, st2) = (pw.to_string(), stored.clone());
        let ok = tokio::task::spawn_blocking(move || access::verify_password(&p, &st2))
            .await
            .unwrap_or(false);
        if !ok {
            return Err(unauth());
        }
        if let Ok(mut c) = st.cred_cache.lock() {
            if c.len() > 10_000 {
                c.clear();
            }
            c.insert(name.to_string(), key);
        }
    }
    Ok((meta, u))
}

struct Ctx {
    meta: Arc<Meta>,
    user: User,
}

async fn begin(st: &AppState, h: &HeaderMap, accept_also: Option<&str>) -> Result<Ctx, ApiError> {
    check_accept(h, accept_also)?;
    let (meta, user) = authenticate(st, h).await?;
    Ok(Ctx { meta, user })
}

fn root_check(c: &Ctx, root: &str) -> Result<(), ApiError> {
    if c.meta.roots.contains_key(root) {
        Ok(())
    } else {
        Err(err(StatusCode::NOT_FOUND, "Not Found", "no such API root"))
    }
}

fn collection<'a>(c: &'a Ctx, root: &str, id: &str) -> Result<&'a access::Collection, ApiError> {
    root_check(c, root)?;
    match c.meta.collections.get(id) {
        Some(col)
            if col.api_root == root
                && (c.meta.can_read(&c.user, col) || c.meta.can_write(&c.user, col)) =>
        {
            Ok(col)
        }
        _ => Err(err(
            StatusCode::NOT_FOUND,
            "Not Found",
            "no such collection",
        )),
    }
}

fn need_read(c: &Ctx, col: &access::Collection) -> Result<(), ApiError> {
    if c.meta.can_read(&c.user, col) {
        Ok(())
    } else {
        Err(err(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "no read access to this collection",
        ))
    }
}

fn need_write(c: &Ctx, col: &access::Collection) -> Result<(), ApiError> {
    if c.meta.can_write(&c.user, col) {
        Ok(())
    } else {
        Err(err(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "no write access to this collection",
        ))
    }
}

// ---------------------------------------------------------------------------
// Query parameters

fn pct_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

struct Params {
    filter: Filter,
    limit: usize,
    cursor: Option<i64>,
}

fn bad(msg: impl Into<String>) -> ApiError {
    err(StatusCode::BAD_REQUEST, "Bad Request", msg)
}

fn next_token(collection: &str, cursor: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("1:{cursor}:{collection}"))
}

fn parse_next(tok: &str, collection: &str) -> Result<i64, ApiError> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tok.trim_end_matches('='))
        .map_err(|_| bad("invalid 'next'"))?;
    let s = String::from_utf8(raw).map_err(|_| bad("invalid 'next'"))?;
    let mut it = s.splitn(3, ':');
    match (
        it.next(),
        it.next().and_then(|c| c.parse::<i64>().ok()),
        it.next(),
    ) {
        (Some("1"), Some(c), Some(col)) if col == collection => Ok(c),
        _ => Err(bad("invalid 'next' for this collection")),
    }
}

/// `allowed`: which `match[...]` fields this endpoint takes.
fn parse_params(
    q: Option<&str>,
    collection: &str,
    allowed: &[&str],
    default_version: Option<VersionSel>,
) -> Result<Params, ApiError> {
    let mut p = Params {
        filter: Filter::default(),
        limit: DEFAULT_LIMIT,
        cursor: None,
    };
    let mut saw_version = false;
    for pair in q
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .take(100)
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = pct_decode(k).ok_or_else(|| bad("malformed query string"))?;
        let v = pct_decode(v).ok_or_else(|| bad("malformed query string"))?;
        let list = || {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        match k.as_str() {
            "added_after" => {
                p.filter.added_after =
                    Some(time::parse(&v).ok_or_else(|| bad("'added_after' is not a timestamp"))?)
            }
            "limit" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| bad("'limit' must be a positive integer"))?;
                if n == 0 {
                    return Err(bad("'limit' must be a positive integer"));
                }
                p.limit = n.min(MAX_LIMIT);
            }
            "next" => p.cursor = Some(parse_next(&v, collection)?),
            _ if k.starts_with("match[") && k.ends_with(']') => {
                let field = &k[6..k.len() - 1];
                if !allowed.contains(&field) {
                    return Err(bad(format!("'match[{field}]' is not supported here")));
                }
                let vals = list();
                if vals.is_empty() {
                    return Err(bad(format!("'match[{field}]' is empty")));
                }
                match field {
                    "id" => {
                        if let Some(b) = vals.iter().find(|x| !stixv::valid_id(x)) {
                            return Err(bad(format!("'{b}' is not a STIX identifier")));
                        }
                        p.filter.ids.extend(vals);
                    }
                    "type" => {
                        if let Some(b) = vals.iter().find(|x| !stixv::valid_type(x)) {
                            return Err(bad(format!("'{b}' is not a STIX type")));
                        }
                        p.filter.types.extend(vals);
                    }
                    "version" => {
                        saw_version = true;
                        for x in vals {
                            p.filter.versions.push(match x.as_str() {
                                "first" => VersionSel::First,
                                "last" => VersionSel::Last,
                                "all" => VersionSel::All,
                                t => VersionSel::At(time::parse(t).ok_or_else(|| {
                                    bad(format!("'{t}' is not first, last, all or a timestamp"))
                                })?),
                            });
                        }
                    }
                    "spec_version" => {
                        if let Some(b) = vals.iter().find(|x| !matches!(x.as_str(), "2.0" | "2.1"))
                        {
                            return Err(bad(format!("unsupported spec_version '{b}'")));
                        }
                        p.filter.spec_versions.extend(vals);
                    }
                    _ => return Err(bad(format!("unknown filter 'match[{field}]'"))),
                }
            }
            _ if k.starts_with("match") => return Err(bad(format!("malformed filter '{k}'"))),
            _ => {} // unknown parameters are ignored
        }
    }
    if p.filter.ids.len() + p.filter.types.len() + p.filter.versions.len() > 1000 {
        return Err(bad("too many filter values"));
    }
    if !saw_version {
        if let Some(d) = default_version {
            p.filter.versions.push(d);
        }
    }
    Ok(p)
}

fn page_headers(r: &mut Response, rows: &[Row]) {
    if let (Some(f), Some(l)) = (rows.first(), rows.last()) {
        if let Ok(v) = HeaderValue::from_str(&time::format_micros(f.date_added)) {
            r.headers_mut().insert("X-TAXII-Date-Added-First", v);
        }
        if let Ok(v) = HeaderValue::from_str(&time::format_micros(l.date_added)) {
            r.headers_mut().insert("X-TAXII-Date-Added-Last", v);
        }
    }
}

fn envelope_head(more: bool, next: Option<String>) -> String {
    let mut s = String::with_capacity(64);
    s.push_str("{\"more\":");
    s.push_str(if more { "true" } else { "false" });
    if let Some(n) = next {
        s.push_str(",\"next\":");
        s.push_str(&Value::String(n).to_string());
    }
    s
}

// ---------------------------------------------------------------------------
// Handlers

async fn discovery(State(st): State<Arc<AppState>>, h: HeaderMap) -> R {
    let c = begin(&st, &h, None).await?;
    let roots: Vec<String> = c.meta.roots.keys().map(|r| format!("/{r}/")).collect();
    let body = json!({
        "title": if c.meta.hub.title.is_empty() { "reefwatch hub" } else { c.meta.hub.title.as_str() },
        "description": "reefwatch TAXII 2.1 server",
        "default": roots.first(),
        "api_roots": roots,
    });
    Ok(taxii(StatusCode::OK, body.to_string()))
}

async fn api_root(State(st): State<Arc<AppState>>, Path(root): Path<String>, h: HeaderMap) -> R {
    let c = begin(&st, &h, None).await?;
    root_check(&c, &root)?;
    let r = &c.meta.roots[&root];
    let body = json!({
        "title": r.title,
        "description": r.description,
        "versions": [TAXII_CT],
        "max_content_length": st.settings.max_content_length,
    });
    Ok(taxii(StatusCode::OK, body.to_string()))
}

async fn status(
    State(st): State<Arc<AppState>>,
    Path((root, id)): Path<(String, String)>,
    h: HeaderMap,
) -> R {
    let c = begin(&st, &h, None).await?;
    root_check(&c, &root)?;
    match st.store.get_status(id).await? {
        Some((owner, js)) if owner == c.user.name || c.user.admin => Ok(taxii(StatusCode::OK, js)),
        _ => Err(err(
            StatusCode::NOT_FOUND,
            "Not Found",
            "no such status resource",
        )),
    }
}

fn collection_json(c: &Ctx, col: &access::Collection) -> Value {
    json!({
        "id": col.id,
        "title": col.title,
        "description": col.description,
        "can_read": c.meta.can_read(&c.user, col),
        "can_write": c.meta.can_write(&c.user, col),
        "media_types": [STIX_CT],
    })
}

async fn collections(State(st): State<Arc<AppState>>, Path(root): Path<String>, h: HeaderMap) -> R {
    let c = begin(&st, &h, None).await?;
    root_check(&c, &root)?;
    let cols: Vec<Value> = c
        .meta
        .collections
        .values()
        .filter(|col| {
            col.api_root == root
                && (c.meta.can_read(&c.user, col) || c.meta.can_write(&c.user, col))
        })
        .map(|col| collection_json(&c, col))
        .collect();
    let body = if cols.is_empty() {
        json!({})
    } else {
        json!({ "collections": cols })
    };
    Ok(taxii(StatusCode::OK, body.to_string()))
}

async fn get_collection(
    State(st): State<Arc<AppState>>,
    Path((root, cid)): Path<(String, String)>,
    h: HeaderMap,
) -> R {
    let c = begin(&st, &h, None).await?;
    let col = collection(&c, &root, &cid)?;
    Ok(taxii(StatusCode::OK, collection_json(&c, col).to_string()))
}

/// Rewrite `created_by_ref` for readers outside the producing organisation.
fn maybe_anonymize(js: String, row: &Row, c: &Ctx, col: &access::Collection) -> String {
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

async fn run_query(
    st: &AppState,
    c: &Ctx,
    cid: &str,
    p: Params,
    with_json: bool,
) -> Result<crate::store::Page, ApiError> {
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
) -> R {
    let col = collection(c, root, cid)?;
    need_read(c, col)?;
    let allowed: &[&str] = if only_id.is_some() {
        &["version", "spec_version"]
    } else {
        &["id", "type", "version", "spec_version"]
    };
    let mut p = parse_params(q, cid, allowed, Some(VersionSel::Last))?;
    if let Some(id) = only_id {
        if !stixv::valid_id(id) {
            return Err(bad("not a STIX identifier"));
        }
        p.filter.ids = vec![id.to_string()];
    }
    let page = run_query(st, c, cid, p, true).await?;
    if only_id.is_some() && page.rows.is_empty() {
        return Err(err(StatusCode::NOT_FOUND, "Not Found", "no such object"));
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

async fn get_objects(
    State(st): State<Arc<AppState>>,
    Path((root, cid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> R {
    let c = begin(&st, &h, None).await?;
    get_objects_inner(&st, &c, &root, &cid, q.as_deref(), None).await
}

async fn get_object(
    State(st): State<Arc<AppState>>,
    Path((root, cid, oid)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> R {
    let c = begin(&st, &h, None).await?;
    get_objects_inner(&st, &c, &root, &cid, q.as_deref(), Some(&oid)).await
}

async fn manifest(
    State(st): State<Arc<AppState>>,
    Path((root, cid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> R {
    let c = begin(&st, &h, None).await?;
    let col = collection(&c, &root, &cid)?;
    need_read(&c, col)?;
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

async fn versions(
    State(st): State<Arc<AppState>>,
    Path((root, cid, oid)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> R {
    let c = begin(&st, &h, None).await?;
    let col = collection(&c, &root, &cid)?;
    need_read(&c, col)?;
    if !stixv::valid_id(&oid) {
        return Err(bad("not a STIX identifier"));
    }
    let mut p = parse_params(q.as_deref(), &cid, &["spec_version"], None)?;
    p.filter.ids = vec![oid];
    let page = run_query(&st, &c, &cid, p, false).await?;
    if page.rows.is_empty() {
        return Err(err(StatusCode::NOT_FOUND, "Not Found", "no such object"));
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

async fn delete_object(
    State(st): State<Arc<AppState>>,
    Path((root, cid, oid)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> R {
    let c = begin(&st, &h, None).await?;
    let col = collection(&c, &root, &cid)?;
    need_read(&c, col)?;
    need_write(&c, col)?;
    if !stixv::valid_id(&oid) {
        return Err(bad("not a STIX identifier"));
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
        return Err(err(StatusCode::NOT_FOUND, "Not Found", "no such object"));
    }
    st.store.delete_rows(cid, oid, rows).await?;
    Ok(taxii(StatusCode::OK, String::new()))
}

async fn post_objects(
    State(st): State<Arc<AppState>>,
    Path((root, cid)): Path<(String, String)>,
    h: HeaderMap,
    body: Bytes,
) -> R {
    let c = begin(&st, &h, None).await?;
    let col = collection(&c, &root, &cid)?;
    need_write(&c, col)?;
    let ct = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !media_ok(ct, "application/taxii+json") {
        return Err(err(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            format!("send {TAXII_CT}"),
        ));
    }
    if body.len() > st.settings.max_content_length {
        return Err(err(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large",
            "envelope exceeds max_content_length",
        ));
    }
    let env: Value =
        serde_json::from_slice(&body).map_err(|e| bad(format!("body is not JSON: {e}")))?;
    let objs = match env.get("objects") {
        Some(Value::Array(a)) => a,
        None if env.is_object() => &Vec::new(),
        _ => return Err(bad("body is not a TAXII envelope with an 'objects' list")),
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

async fn dashboard(State(st): State<Arc<AppState>>, h: HeaderMap) -> R {
    let (meta, user) = authenticate(&st, &h).await?;
    if !user.admin {
        return Err(err(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the dashboard is for hub administrators",
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

async fn not_found() -> ApiError {
    err(StatusCode::NOT_FOUND, "Not Found", "no such endpoint")
}

pub fn router(st: Arc<AppState>) -> Router {
    let limit = st.settings.max_content_length + 1;
    Router::new()
        .route("/taxii2/", get(discovery))
        .route("/dashboard/", get(dashboard))
        .route("/{root}/", get(api_root))
        .route("/{root}/status/{id}/", get(status))
        .route("/{root}/collections/", get(collections))
        .route("/{root}/collections/{cid}/", get(get_collection))
        .route("/{root}/collections/{cid}/manifest/", get(manifest))
        .route(
            "/{root}/collections/{cid}/objects/",
            get(get_objects).post(post_objects),
        )
        .route(
            "/{root}/collections/{cid}/objects/{oid}/",
            get(get_object).delete(delete_object),
        )
        .route(
            "/{root}/collections/{cid}/objects/{oid}/versions/",
            get(versions),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(st)
}

/// Entry point for the `hub_input` fuzz target: parse an objects-endpoint
/// query string (filters, limit, added_after, next) as a request would.
pub fn fuzz_query(q: &str) -> bool {
    parse_params(
        Some(q),
        "c",
        &["id", "type", "version", "spec_version"],
        Some(VersionSel::Last),
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert!(media_ok(
            "application/taxii+json;version=2.1",
            "application/taxii+json"
        ));
        assert!(media_ok("application/taxii+json", "application/taxii+json"));
        assert!(media_ok(
            "application/taxii+json; version=\"2.1\"",
            "application/taxii+json"
        ));
        assert!(!media_ok(
            "application/taxii+json;version=2.0",
            "application/taxii+json"
        ));
        assert!(!media_ok("application/json", "application/taxii+json"));
    }

    #[test]
    fn params() {
        let p = parse_params(Some("limit=5&match%5Btype%5D=indicator,malware&match[version]=first,2016-01-01T00:00:00Z&added_after=2016-01-01T00:00:00.5Z"), "c", &["id", "type", "version", "spec_version"], Some(VersionSel::Last)).ok().unwrap();
        assert_eq!(p.limit, 5);
        assert_eq!(p.filter.types.len(), 2);
        assert_eq!(p.filter.versions.len(), 2);
        assert_eq!(p.filter.added_after, Some(1_451_606_400_500_000));
        for bad_q in [
            "limit=0",
            "limit=x",
            "added_after=yesterday",
            "match[foo]=1",
            "match[id]=nope",
            "match[version]=newest",
            "next=zzz",
            "match[type]=",
            "match[spec_version]=3.0",
        ] {
            assert!(
                parse_params(
                    Some(bad_q),
                    "c",
                    &["id", "type", "version", "spec_version"],
                    None
                )
                .is_err(),
                "{bad_q}"
            );
        }
        let t = next_token("c", 42);
        assert_eq!(parse_next(&t, "c").ok(), Some(42));
        assert!(parse_next(&t, "other").is_err());
    }
}
