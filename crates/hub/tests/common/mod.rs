//! Test harness: an in-process hub (router + store) for either backend.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use reefwatch_hub::access::{self, Collection, Org, User};
use reefwatch_hub::server::{self, AppState, Settings};
use reefwatch_hub::store::{pg::PgStore, sqlite::SqliteStore, Store};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

pub const TAXII: &str = "application/taxii+json;version=2.1";
static N: AtomicUsize = AtomicUsize::new(0);

pub fn pg_url() -> String {
    std::env::var("REEFWATCH_PG_URL").unwrap_or_else(|_| reefwatch_hub::DEFAULT_PG_URL.to_string())
}

pub struct Hub {
    pub app: Router,
    pub state: Arc<AppState>,
    pub pg_schema: Option<String>,
    pub dir: std::path::PathBuf,
}

impl Hub {
    pub async fn cleanup(self) {
        if let Some(s) = &self.pg_schema {
            PgStore::drop_schema(&pg_url(), s)
                .await
                .expect("drop schema");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn unique(tag: &str) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "t_{tag}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        t % 1_000_000_000
    )
}

pub async fn open(backend: &str) -> (Arc<dyn Store>, Option<String>, std::path::PathBuf) {
    let name = unique(backend);
    let dir = std::env::temp_dir().join(format!("reefwatch-hub-test-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    match backend {
        "sqlite" => (
            Arc::new(SqliteStore::open(&dir.join("hub.sqlite"), 2).unwrap()),
            None,
            dir,
        ),
        "postgres" => {
            let s = PgStore::connect(&pg_url(), &name, 2)
                .await
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL at {} (set REEFWATCH_PG_URL): {e}", pg_url())
                });
            (Arc::new(s), Some(name), dir)
        }
        _ => unreachable!(),
    }
}

async fn put<T: serde::Serialize>(s: &dyn Store, k: &str, v: &T) {
    s.meta_put(k.to_string(), serde_json::to_string(v).unwrap())
        .await
        .unwrap();
}

pub const COLL: &str = "c1";
pub const COLL_RO: &str = "c-ro";
pub const COLL_ANON: &str = "c-anon";
pub const DAVE_ID: &str = "identity--dddddddd-dddd-4ddd-8ddd-dddddddddddd";

/// Orgs a (partner: b), b, c. Users alice, alice2 (a), bob (b), carol (c),
/// dave (c, identity DAVE_ID), admin (hub). Every user `u` has token `tok-u`;
/// alice also has password `alicepw`. Collections: c1 (rw for all),
/// c-ro (read for all, write for admin only), c-anon (rw, anonymised).
pub async fn hub(backend: &str) -> Hub {
    hub_with(backend, Settings::default()).await
}

/// [`hub`] with other settings.
pub async fn hub_with(backend: &str, settings: Settings) -> Hub {
    let (store, pg_schema, dir) = open(backend).await;
    let s = &*store;
    reefwatch_hub::bootstrap(s).await.unwrap();
    put(
        s,
        "org:a",
        &Org {
            name: "a".into(),
            identity: None,
            partners: vec!["b".into()],
        },
    )
    .await;
    put(
        s,
        "org:b",
        &Org {
            name: "b".into(),
            ..Default::default()
        },
    )
    .await;
    put(
        s,
        "org:c",
        &Org {
            name: "c".into(),
            ..Default::default()
        },
    )
    .await;
    for (u, o) in [
        ("alice", "a"),
        ("alice2", "a"),
        ("bob", "b"),
        ("carol", "c"),
        ("dave", "c"),
        ("root", "hub"),
    ] {
        let user = User {
            name: u.into(),
            org: o.into(),
            admin: u == "root",
            password: (u == "alice").then(|| access::hash_password("alicepw")),
            tokens: vec![access::sha256_hex(format!("tok-{u}").as_bytes())],
            identity: (u == "dave").then(|| DAVE_ID.to_string()),
            disabled: false,
        };
        put(s, &format!("user:{u}"), &user).await;
    }
    for (id, w, anon) in [
        (COLL, "*", false),
        (COLL_RO, "user:root", false),
        (COLL_ANON, "*", true),
    ] {
        let c = Collection {
            id: id.into(),
            alias: None,
            api_root: "api1".into(),
            title: id.into(),
            description: String::new(),
            read: vec!["*".into()],
            write: vec![w.into()],
            anonymize: anon,
        };
        put(s, &format!("collection:{id}"), &c).await;
    }
    let state = AppState::new(store.clone(), settings).await.unwrap();
    Hub {
        app: server::router(state.clone()),
        state,
        pg_schema,
        dir,
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn objects(&self) -> Vec<Value> {
        self.json()
            .get("objects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }
    pub fn ids(&self) -> Vec<String> {
        self.objects()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect()
    }
}

pub async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    user: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<Value>,
) -> Resp {
    let mut b = Request::builder().method(method).uri(uri);
    if !extra.iter().any(|(k, _)| *k == "accept") {
        b = b.header("accept", TAXII);
    }
    if let Some(u) = user {
        b = b.header("authorization", format!("Bearer tok-{u}"));
    }
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    let req = match body {
        Some(v) => b
            .header("content-type", TAXII)
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let r = app.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 30).await.unwrap();
    Resp {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

pub async fn get(app: &Router, uri: &str, user: &str) -> Resp {
    call(app, Method::GET, uri, Some(user), &[], None).await
}

pub async fn post(app: &Router, coll: &str, user: &str, objs: Vec<Value>) -> Resp {
    call(
        app,
        Method::POST,
        &format!("/api1/collections/{coll}/objects/"),
        Some(user),
        &[],
        Some(json!({ "objects": objs })),
    )
    .await
}

pub fn uuid(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-000000000000")
}

pub fn indicator(n: u32, modified: &str, markings: &[&str]) -> Value {
    let mut v = json!({
        "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid(n)),
        "created": "2020-01-01T00:00:00.000Z", "modified": modified,
        "pattern": format!("[ipv4-addr:value = '10.0.{}.{}']", n / 256 % 256, n % 256),
        "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z",
    });
    if !markings.is_empty() {
        v["object_marking_refs"] = json!(markings);
    }
    v
}

pub fn malware(n: u32) -> Value {
    json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--{}", uuid(n)),
        "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
        "name": format!("m{n}"), "is_family": false})
}

pub const TLP2_GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
pub const TLP2_AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
pub const TLP2_AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
pub const TLP2_RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
pub const TLP1_AMBER: &str = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
pub const TLP1_RED: &str = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";
