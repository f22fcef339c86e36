//! reefwatch hub: a TAXII 2.1 server and STIX 2.1 store.
//!
//! - [`config`]: command-line options, `hub.toml`; [`datadir`]: the data
//!   directory (owner-only modes, the first start's `hub.toml`);
//!   [`bootstrap`]: opening the store, the first start's objects;
//!   [`serve`]: running and stopping; [`admin`]: administration.
//! - [`store`]: one storage trait, SQLite (default) and PostgreSQL backends.
//! - [`server`]: the TAXII 2.1 HTTP API (axum).
//! - [`access`]: users, organisations, tokens, collection permissions.
//! - [`error`]: the one error type and its TAXII/HTTP mapping.
//! - TLP 2.0 (and 1.0) enforcement is part of every read query.
//!
//! The `reefwatch` CLI does not depend on tokio: it calls the blocking
//! entry points [`serve_blocking`] and [`admin_blocking`], which build their
//! own runtime.
#![forbid(unsafe_code)]

pub mod access;
pub mod admin;
pub mod bootstrap;
pub mod client;
pub mod config;
pub mod datadir;
pub mod error;
pub mod serve;
pub mod server;
pub mod stixv;
pub mod store;
pub mod time;

pub use admin::{admin, AdminCmd};
pub use bootstrap::{bootstrap, open_store, DEFAULT_ALIAS};
pub use config::{load_config, Config, FileConfig, HubOptions, DEFAULT_LISTEN, DEFAULT_PG_URL};
pub use error::{HubError, HubResult};
pub use serve::{serve, serve_notify};

fn runtime() -> HubResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| HubError::Runtime(format!("tokio runtime: {e}")))
}

/// Blocking entry point for the CLI. The runtime is shut down without
/// waiting for idle blocking threads (they would hold the exit back).
pub fn serve_blocking(o: HubOptions) -> HubResult<()> {
    let rt = runtime()?;
    let r = rt.block_on(serve(o));
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    r
}

/// Blocking entry point for the admin CLI.
pub fn admin_blocking(o: HubOptions, cmd: AdminCmd) -> HubResult<String> {
    runtime()?.block_on(admin(o, cmd))
}
