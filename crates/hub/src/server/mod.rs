//! TAXII 2.1 HTTP API (axum), by concern:
//!
//! - [`auth`]: who is asking, what they may reach;
//! - [`negotiate`]: Accept and Content-Type;
//! - [`params`]: query parameters, envelopes and paging headers;
//! - handlers per resource: [`discovery`] (discovery, API root,
//!   `/healthz`), [`collections`], [`objects`] (objects, manifest,
//!   versions, delete), [`objects_post`] (add objects), [`status`],
//!   [`dashboard`];
//! - [`access_log`]: one log line per request, TAXII error bodies for every
//!   error.
//!
//! Errors are [`crate::error::HubError`], mapped to TAXII responses there.

pub mod access_log;
pub mod auth;
pub mod collections;
pub mod dashboard;
pub mod discovery;
pub mod negotiate;
pub mod objects;
pub mod objects_post;
pub mod params;
pub mod status;

use crate::access::Meta;
use crate::error::{HubError, HubResult};
use crate::stixv;
use crate::store::{Store, VersionSel};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

pub use crate::error::TAXII_CT;
pub use collections::STIX_CT;
pub use params::{DEFAULT_LIMIT, MAX_LIMIT};

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
    pub async fn new(store: Arc<dyn Store>, settings: Settings) -> HubResult<Arc<Self>> {
        let kv = store.meta_all().await?;
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

async fn not_found() -> HubError {
    HubError::NotFound("endpoint".into())
}

async fn method_not_allowed() -> HubError {
    HubError::MethodNotAllowed
}

pub fn router(st: Arc<AppState>) -> Router {
    use collections::{collections, get_collection};
    use discovery::{api_root, discovery, healthz};
    use objects::{delete_object, get_object, get_objects, manifest, versions};
    Router::new()
        .route("/taxii2/", get(discovery))
        .route("/healthz", get(healthz))
        .route("/dashboard/", get(dashboard::dashboard))
        .route("/{root}/", get(api_root))
        .route("/{root}/status/{id}/", get(status::status))
        .route("/{root}/collections/", get(collections))
        .route("/{root}/collections/{cid}/", get(get_collection))
        .route("/{root}/collections/{cid}/manifest/", get(manifest))
        .route(
            "/{root}/collections/{cid}/objects/",
            get(get_objects).post(objects_post::post_objects),
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
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(access_log::middleware))
        .with_state(st)
}

/// Entry point for the `hub_input` fuzz target: parse an objects-endpoint
/// query string (filters, limit, added_after, next) as a request would.
pub fn fuzz_query(q: &str) -> bool {
    params::parse_params(
        Some(q),
        "c",
        &["id", "type", "version", "spec_version"],
        Some(VersionSel::Last),
    )
    .is_ok()
}
