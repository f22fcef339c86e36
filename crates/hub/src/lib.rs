//! reefwatch hub: a TAXII 2.1 server and STIX 2.1 store.
//!
//! - [`store`]: one storage trait, SQLite (default) and PostgreSQL backends.
//! - [`server`]: the TAXII 2.1 HTTP API (axum).
//! - [`access`]: users, organisations, tokens, collection permissions.
//! - TLP 2.0 (and 1.0) enforcement is part of every read query.
//!
//! The `reefwatch` CLI does not depend on tokio: it calls the blocking
//! entry points [`serve_blocking`] and [`admin_blocking`], which build their
//! own runtime.
#![forbid(unsafe_code)]

pub mod access;
pub mod client;
pub mod server;
pub mod stixv;
pub mod store;
pub mod time;

use access::{ApiRoot, Collection, HubInfo, Org, User};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::Store;

/// Options from the command line (flags override the config file).
#[derive(Clone, Debug, Default)]
pub struct HubOptions {
    pub data: PathBuf,
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub backend: Option<String>,
    pub postgres_url: Option<String>,
    pub postgres_schema: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub allow_plain_http: bool,
}

/// `hub.toml` (in the data directory, or `--config FILE`).
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    /// `sqlite` (default) or `postgres`.
    pub backend: Option<String>,
    pub postgres_url: Option<String>,
    pub postgres_schema: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (TAXII requires HTTPS).
    pub allow_plain_http: Option<bool>,
    pub max_content_length: Option<usize>,
    /// TLP level of objects that carry no TLP marking (`clear`, `green`, …).
    pub default_tlp: Option<String>,
    /// Reader connections to the database.
    pub readers: Option<usize>,
    /// Hours a TAXII status resource stays readable (default 168, 7 days;
    /// at least 1): older ones are deleted as new ones are stored.
    pub status_retention_hours: Option<u64>,
}

/// Effective configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub data: PathBuf,
    pub listen: String,
    pub backend: String,
    pub postgres_url: String,
    pub postgres_schema: String,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub allow_plain_http: bool,
    pub settings: server::Settings,
    pub readers: usize,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9443";
pub const DEFAULT_PG_URL: &str = "postgresql://postgres@127.0.0.1:5432/test";

fn rel(data: &Path, p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        p
    } else {
        data.join(p)
    }
}

pub fn load_config(o: &HubOptions) -> Result<Config, String> {
    let file = match &o.config {
        Some(p) => Some(p.clone()),
        None => {
            let p = o.data.join("hub.toml");
            p.exists().then_some(p)
        }
    };
    let fc: FileConfig = match file {
        Some(p) => {
            let s = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            toml::from_str(&s).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => FileConfig::default(),
    };
    let mut settings = server::Settings::default();
    if let Some(m) = fc.max_content_length {
        settings.max_content_length = m.clamp(1024, 1 << 30);
    }
    if let Some(h) = fc.status_retention_hours {
        if h == 0 {
            return Err("status_retention_hours: must be at least 1".into());
        }
        settings.status_retention_us = server::retention_us(h);
    }
    if let Some(t) = &fc.default_tlp {
        settings.default_tlp = stixv::tlp_from_label(t)
            .ok_or_else(|| format!("default_tlp: unknown TLP level {t:?}"))?;
    }
    let tls = match (
        o.tls_cert.clone().or(fc.tls_cert),
        o.tls_key.clone().or(fc.tls_key),
    ) {
        (Some(c), Some(k)) => Some((rel(&o.data, c), rel(&o.data, k))),
        (None, None) => None,
        _ => return Err("TLS needs both a certificate and a key".into()),
    };
    let backend = o.backend.clone().or(fc.backend).unwrap_or_else(|| {
        if o.postgres_url.is_some() {
            "postgres".into()
        } else {
            "sqlite".into()
        }
    });
    if backend != "sqlite" && backend != "postgres" {
        return Err(format!("unknown backend {backend:?} (sqlite or postgres)"));
    }
    Ok(Config {
        data: o.data.clone(),
        listen: o
            .listen
            .clone()
            .or(fc.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into()),
        backend,
        postgres_url: o
            .postgres_url
            .clone()
            .or(fc.postgres_url)
            .or_else(|| std::env::var("REEFWATCH_PG_URL").ok())
            .unwrap_or_else(|| DEFAULT_PG_URL.into()),
        postgres_schema: o
            .postgres_schema
            .clone()
            .or(fc.postgres_schema)
            .unwrap_or_else(|| "reefwatch".into()),
        tls,
        allow_plain_http: o.allow_plain_http || fc.allow_plain_http.unwrap_or(false),
        settings,
        readers: fc.readers.unwrap_or(4).clamp(1, 64),
    })
}

pub async fn open_store(cfg: &Config) -> Result<Arc<dyn Store>, String> {
    std::fs::create_dir_all(&cfg.data).map_err(|e| format!("{}: {e}", cfg.data.display()))?;
    if cfg.backend == "postgres" {
        let s = store::pg::PgStore::connect(&cfg.postgres_url, &cfg.postgres_schema, cfg.readers)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(s))
    } else {
        let path = cfg.data.join("hub.sqlite");
        let readers = cfg.readers;
        let s =
            tokio::task::spawn_blocking(move || store::sqlite::SqliteStore::open(&path, readers))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        Ok(Arc::new(s))
    }
}

async fn put<T: serde::Serialize>(s: &dyn Store, key: String, v: &T) -> Result<(), String> {
    let js = serde_json::to_string(v).map_err(|e| e.to_string())?;
    s.meta_put(key, js).await.map_err(|e| e.to_string())
}

/// First start: API root `api1`, collection `default` (read-write for every
/// authenticated user), organisation `hub`, user `admin`. Returns the
/// generated admin password, if one was generated.
pub async fn bootstrap(s: &dyn Store) -> Result<Option<String>, String> {
    let kv = s.meta_all().await.map_err(|e| e.to_string())?;
    if kv.iter().any(|(k, _)| k == "hub") {
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
            api_root: "api1".into(),
            title: "default".into(),
            description: "default read-write collection".into(),
            read: vec!["*".into()],
            write: vec!["*".into()],
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
    };
    put(s, "user:admin".into(), &user).await?;
    let hub = HubInfo {
        title: "reefwatch hub".into(),
        identity: format!("identity--{}", access::uuid4()),
    };
    put(s, "hub".into(), &hub).await?;
    Ok(generated.then_some(pw))
}

fn load_tls(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, String> {
    use tokio_rustls::rustls;
    let mut cr = std::io::BufReader::new(
        std::fs::File::open(cert).map_err(|e| format!("{}: {e}", cert.display()))?,
    );
    let certs = rustls_pemfile::certs(&mut cr)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    let mut kr = std::io::BufReader::new(
        std::fs::File::open(key).map_err(|e| format!("{}: {e}", key.display()))?,
    );
    let k = rustls_pemfile::private_key(&mut kr)
        .map_err(|e| format!("{}: {e}", key.display()))?
        .ok_or_else(|| format!("{}: no private key", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, k)
        .map_err(|e| e.to_string())?;
    sc.max_early_data_size = 0; // no 0-RTT
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(sc)))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Run the hub until SIGINT/SIGTERM.
pub async fn serve(o: HubOptions) -> Result<(), String> {
    serve_notify(o, None).await
}

/// [`serve`], sending the bound address once listening (benchmarks, tests).
pub async fn serve_notify(
    o: HubOptions,
    ready: Option<std::sync::mpsc::Sender<SocketAddr>>,
) -> Result<(), String> {
    let cfg = load_config(&o)?;
    let addr: SocketAddr = cfg
        .listen
        .parse()
        .map_err(|e| format!("--listen {}: {e}", cfg.listen))?;
    if cfg.tls.is_none() && !addr.ip().is_loopback() && !cfg.allow_plain_http {
        return Err(format!(
            "refusing plain HTTP on {addr}: TAXII requires HTTPS. Give --tls-cert/--tls-key, listen on loopback, or pass --allow-plain-http for a lab"
        ));
    }
    let tls = match &cfg.tls {
        Some((c, k)) => Some(load_tls(c, k)?),
        None => None,
    };
    let store = open_store(&cfg).await?;
    if let Some(pw) = bootstrap(&*store).await? {
        println!("reefwatch hub: created user 'admin' with password: {pw}");
        println!(
            "reefwatch hub: (shown once; set REEFWATCH_ADMIN_PASSWORD on first start to choose it)"
        );
    }
    let st = server::AppState::new(store, cfg.settings.clone()).await?;
    {
        let st = st.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                st.reload().await;
            }
        });
    }
    let app = server::router(st.clone());
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("bind {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!(
        "reefwatch hub: backend {}, data {}",
        st.store.backend(),
        cfg.data.display()
    );
    println!("reefwatch hub: listening on {scheme}://{local}/taxii2/");
    if let Some(r) = ready {
        let _ = r.send(local);
    }
    match tls {
        None => axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| e.to_string()),
        Some(acc) => {
            let stop = shutdown_signal();
            tokio::pin!(stop);
            loop {
                tokio::select! {
                    r = listener.accept() => {
                        let Ok((tcp, _)) = r else { continue };
                        let _ = tcp.set_nodelay(true);
                        let acc = acc.clone();
                        let svc = app.clone();
                        tokio::spawn(async move {
                            let Ok(Ok(tls)) = tokio::time::timeout(std::time::Duration::from_secs(10), acc.accept(tcp)).await else { return };
                            let io = hyper_util::rt::TokioIo::new(tls);
                            let hs = hyper_util::service::TowerToHyperService::new(svc);
                            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, hs).await;
                        });
                    }
                    _ = &mut stop => break,
                }
            }
            Ok(())
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// Blocking entry point for the CLI.
pub fn serve_blocking(o: HubOptions) -> Result<(), String> {
    runtime()?.block_on(serve(o))
}

/// Administrative commands (run against the data directory / database;
/// a running hub picks the change up within two seconds).
#[derive(Clone, Debug)]
pub enum AdminCmd {
    UserAdd {
        name: String,
        org: String,
        admin: bool,
        password: Option<String>,
        identity: Option<String>,
    },
    OrgAdd {
        name: String,
        partners: Vec<String>,
        identity: Option<String>,
    },
    CollectionAdd {
        title: String,
        id: Option<String>,
        description: String,
        read: Vec<String>,
        write: Vec<String>,
        anonymize: bool,
        api_root: String,
    },
    TokenRotate {
        user: String,
    },
    List,
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'@'))
}

pub async fn admin(o: HubOptions, cmd: AdminCmd) -> Result<String, String> {
    let cfg = load_config(&o)?;
    let s = open_store(&cfg).await?;
    let mut out = String::new();
    if let Some(pw) = bootstrap(&*s).await? {
        out.push_str(&format!("created user 'admin' with password: {pw}\n"));
    }
    let meta = access::Meta::from_kv(&s.meta_all().await.map_err(|e| e.to_string())?);
    match cmd {
        AdminCmd::UserAdd {
            name,
            org,
            admin,
            password,
            identity,
        } => {
            if !valid_name(&name) || !valid_name(&org) {
                return Err("user and organisation names: 1-64 of [A-Za-z0-9._@-]".into());
            }
            if meta.users.contains_key(&name) {
                return Err(format!("user {name:?} exists"));
            }
            if !meta.orgs.contains_key(&org) {
                put(
                    &*s,
                    format!("org:{org}"),
                    &Org {
                        name: org.clone(),
                        identity: None,
                        partners: vec![],
                    },
                )
                .await?;
                out.push_str(&format!("created organisation {org}\n"));
            }
            let (pw, shown) = match password {
                Some(p) => (p, false),
                None => (access::new_password(), true),
            };
            let token = access::new_token();
            let u = User {
                name: name.clone(),
                org,
                admin,
                password: Some(access::hash_password(&pw)),
                tokens: vec![access::sha256_hex(token.as_bytes())],
                identity,
            };
            put(&*s, format!("user:{name}"), &u).await?;
            out.push_str(&format!("created user {name}\n"));
            if shown {
                out.push_str(&format!("password: {pw}\n"));
            }
            out.push_str(&format!("api token: {token}\n"));
        }
        AdminCmd::OrgAdd {
            name,
            partners,
            identity,
        } => {
            if !valid_name(&name) || !partners.iter().all(|p| valid_name(p)) {
                return Err("organisation names: 1-64 of [A-Za-z0-9._@-]".into());
            }
            put(
                &*s,
                format!("org:{name}"),
                &Org {
                    name: name.clone(),
                    identity,
                    partners,
                },
            )
            .await?;
            out.push_str(&format!("saved organisation {name}\n"));
        }
        AdminCmd::CollectionAdd {
            title,
            id,
            description,
            read,
            write,
            anonymize,
            api_root,
        } => {
            if !meta.roots.contains_key(&api_root) {
                return Err(format!("no API root {api_root:?}"));
            }
            let id = id.unwrap_or_else(access::uuid4);
            if !valid_name(&id) {
                return Err("collection ids: 1-64 of [A-Za-z0-9._@-]".into());
            }
            if meta.collections.contains_key(&id) {
                return Err(format!("collection {id} exists"));
            }
            put(
                &*s,
                format!("collection:{id}"),
                &Collection {
                    id: id.clone(),
                    api_root: api_root.clone(),
                    title,
                    description,
                    read,
                    write,
                    anonymize,
                },
            )
            .await?;
            out.push_str(&format!(
                "created collection {id} (/{api_root}/collections/{id}/)\n"
            ));
        }
        AdminCmd::TokenRotate { user } => {
            let mut u = meta
                .users
                .get(&user)
                .cloned()
                .ok_or_else(|| format!("no user {user:?}"))?;
            let token = access::new_token();
            u.tokens = vec![access::sha256_hex(token.as_bytes())];
            put(&*s, format!("user:{user}"), &u).await?;
            out.push_str(&format!(
                "api token: {token}\n(previous tokens of {user} are revoked)\n"
            ));
        }
        AdminCmd::List => {
            for r in meta.roots.values() {
                out.push_str(&format!("api root /{}/  {}\n", r.name, r.title));
            }
            for c in meta.collections.values() {
                out.push_str(&format!(
                    "collection {}  {:?}  root={} read={:?} write={:?}{}\n",
                    c.id,
                    c.title,
                    c.api_root,
                    c.read,
                    c.write,
                    if c.anonymize { " anonymize" } else { "" }
                ));
            }
            for o in meta.orgs.values() {
                out.push_str(&format!("org {}  partners={:?}\n", o.name, o.partners));
            }
            for u in meta.users.values() {
                out.push_str(&format!(
                    "user {}  org={}{}\n",
                    u.name,
                    u.org,
                    if u.admin { " admin" } else { "" }
                ));
            }
        }
    }
    Ok(out)
}

/// Blocking entry point for the admin CLI.
pub fn admin_blocking(o: HubOptions, cmd: AdminCmd) -> Result<String, String> {
    runtime()?.block_on(admin(o, cmd))
}

#[cfg(test)]
mod config_tests {
    use super::*;

    fn with_file(toml: &str) -> Result<Config, String> {
        let dir = std::env::temp_dir().join(format!(
            "reefwatch-hub-config-{}-{}",
            std::process::id(),
            toml.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("hub.toml"), toml).unwrap();
        let r = load_config(&HubOptions {
            data: dir.clone(),
            ..HubOptions::default()
        });
        let _ = std::fs::remove_dir_all(&dir);
        r
    }

    #[test]
    fn status_retention_from_the_config_file() {
        let d = with_file("").unwrap();
        assert_eq!(d.settings.status_retention_us, 7 * 24 * 3_600_000_000);
        let c = with_file("status_retention_hours = 2\n").unwrap();
        assert_eq!(c.settings.status_retention_us, 2 * 3_600_000_000);
        let e = with_file("status_retention_hours = 0\n").unwrap_err();
        assert!(e.contains("status_retention_hours"), "{e}");
    }
}
