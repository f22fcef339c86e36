//! Opening the store, and the first start's API root, collection,
//! organisation and administrator.

use crate::access::{self, ApiRoot, Collection, HubInfo, Org, User};
use crate::config::Config;
use crate::datadir;
use crate::error::{HubError, HubResult};
use crate::store::{self, Store};
use std::sync::Arc;

/// Prepare the data directory ([`datadir::prepare`], its actions logged on
/// stderr) and open the store.
pub async fn open_store(cfg: &Config, explicit_config: bool) -> HubResult<Arc<dyn Store>> {
    for line in datadir::prepare(cfg, explicit_config)? {
        eprintln!("reefwatch hub: {line}");
    }
    if cfg.backend == "postgres" {
        let s = store::pg::PgStore::connect(&cfg.postgres_url, &cfg.postgres_schema, cfg.readers)
            .await?;
        Ok(Arc::new(s))
    } else {
        let path = cfg.data.join("hub.sqlite");
        let readers = cfg.readers;
        let s =
            tokio::task::spawn_blocking(move || store::sqlite::SqliteStore::open(&path, readers))
                .await
                .map_err(|e| HubError::Runtime(format!("opening the database: {e}")))??;
        Ok(Arc::new(s))
    }
}

pub(crate) async fn put<T: serde::Serialize>(s: &dyn Store, key: String, v: &T) -> HubResult<()> {
    // these types serialise infallibly (strings, lists, bools)
    let js = serde_json::to_string(v).unwrap_or_default();
    Ok(s.meta_put(key, js).await?)
}

/// First start: API root `api1`, collection `default` (alias `default`;
/// owner-only: administrators, until granted), organisation `hub`, user
/// `admin`. Returns the generated admin password, if one was generated.
/// A hub bootstrapped by an older version gets the alias on its
/// `default` collection.
pub async fn bootstrap(s: &dyn Store) -> HubResult<Option<String>> {
    let kv = s.meta_all().await?;
    if kv.iter().any(|(k, _)| k == "hub") {
        alias_old_default(s, &kv).await?;
        return Ok(None);
    }
    put(
        s,
        "root:api1".into(),
        &ApiRoot {
            name: "api1".into(),
            title: "reefwatch API root".into(),
            description: "default API root".into(),
        },
    )
    .await?;
    let cid = access::uuid4();
    put(
        s,
        format!("collection:{cid}"),
        &Collection {
            id: cid.clone(),
            alias: Some(DEFAULT_ALIAS.into()),
            api_root: "api1".into(),
            title: "default".into(),
            description: "default collection (administrators only until granted)".into(),
            read: vec![],
            write: vec![],
            anonymize: false,
        },
    )
    .await?;
    put(
        s,
        "org:hub".into(),
        &Org {
            name: "hub".into(),
            identity: None,
            partners: vec![],
        },
    )
    .await?;
    let (pw, generated) = match std::env::var("REEFWATCH_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (access::new_password(), true),
    };
    let user = User {
        name: "admin".into(),
        org: "hub".into(),
        admin: true,
        password: Some(access::hash_password(&pw)),
        tokens: vec![],
        identity: None,
        disabled: false,
    };
    put(s, "user:admin".into(), &user).await?;
    let hub = HubInfo {
        title: "reefwatch hub".into(),
        identity: format!("identity--{}", access::uuid4()),
    };
    put(s, "hub".into(), &hub).await?;
    Ok(generated.then_some(pw))
}

/// The alias of the collection a first start creates.
pub const DEFAULT_ALIAS: &str = "default";

async fn alias_old_default(s: &dyn Store, kv: &[(String, String)]) -> HubResult<()> {
    let meta = access::Meta::from_kv(kv);
    if meta
        .collections
        .values()
        .any(|c| c.alias.as_deref() == Some(DEFAULT_ALIAS))
    {
        return Ok(());
    }
    let Some(c) = meta
        .collections
        .values()
        .find(|c| c.api_root == "api1" && c.title == "default")
    else {
        return Ok(());
    };
    let mut c = c.clone();
    c.alias = Some(DEFAULT_ALIAS.into());
    eprintln!(
        "reefwatch hub: collection {} is now also /api1/collections/{DEFAULT_ALIAS}/",
        c.id
    );
    if c.read.iter().chain(&c.write).any(|p| p == "*") {
        eprintln!(
            "reefwatch hub: warning: collection {DEFAULT_ALIAS} is open to every user (read {:?}, write {:?}); \
             `reefwatch hub admin collection revoke {DEFAULT_ALIAS} --read '*' --write '*'` closes it",
            c.read, c.write
        );
    }
    put(s, format!("collection:{}", c.id), &c).await
}
