//! `reefwatch hub …`: run the TAXII 2.1 hub, or administer it.
//!
//! ```text
//! reefwatch hub --data DIR --listen 127.0.0.1:9443
//! reefwatch hub --data DIR org add cert-a --partner cert-b
//! reefwatch hub --data DIR user add alice --org cert-a
//! reefwatch hub --data DIR collection add "OT indicators" --read org:cert-a --write user:alice
//! reefwatch hub --data DIR token rotate alice
//! ```
use clap::{Args, Subcommand};
use reefwatch_hub::{AdminCmd, HubOptions};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct HubArgs {
    /// Data directory (created on first start: database, hub.toml).
    #[arg(long, global = true, default_value = "reefwatch-hub")]
    data: PathBuf,
    /// Config file (TOML); default DIR/hub.toml when present.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Storage backend: sqlite (default) or postgres.
    #[arg(long, global = true)]
    backend: Option<String>,
    /// PostgreSQL URL (implies --backend postgres; default env REEFWATCH_PG_URL).
    #[arg(long, global = true)]
    postgres_url: Option<String>,
    /// PostgreSQL schema for the hub's tables (default reefwatch).
    #[arg(long, global = true)]
    pg_schema: Option<String>,
    /// Listen address (default 127.0.0.1:9443).
    #[arg(long)]
    listen: Option<String>,
    /// TLS certificate chain (PEM).
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (lab use only).
    #[arg(long)]
    allow_plain_http: bool,
    #[command(subcommand)]
    cmd: Option<HubCmd>,
}

#[derive(Subcommand, Debug)]
enum HubCmd {
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCmd),
    /// Manage collections.
    #[command(subcommand)]
    Collection(CollectionCmd),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// List API roots, collections, organisations and users.
    List,
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Add a user (prints its API token, and its password when generated).
    Add {
        name: String,
        /// Organisation (created if missing).
        #[arg(long)]
        org: String,
        /// Hub administrator (reads and writes every collection).
        #[arg(long)]
        admin: bool,
        /// Read the password from this environment variable instead of generating one.
        #[arg(long)]
        password_env: Option<String>,
        /// STIX identity id of this user (a TLP:RED recipient name).
        #[arg(long)]
        identity: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum OrgCmd {
    /// Add or replace an organisation.
    Add {
        name: String,
        /// Partner organisation allowed to read this organisation's TLP:AMBER objects (repeatable).
        #[arg(long = "partner")]
        partners: Vec<String>,
        /// STIX identity id of this organisation (a TLP:RED recipient name).
        #[arg(long)]
        identity: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum CollectionCmd {
    /// Add a collection.
    Add {
        title: String,
        /// Collection id (default: a new UUID).
        #[arg(long)]
        id: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
        /// Who may read: `*`, `user:NAME` or `org:NAME` (repeatable).
        #[arg(long)]
        read: Vec<String>,
        /// Who may write: `*`, `user:NAME` or `org:NAME` (repeatable).
        #[arg(long)]
        write: Vec<String>,
        /// Replace created_by_ref with the hub's identity for other organisations.
        #[arg(long)]
        anonymize: bool,
        #[arg(long, default_value = "api1")]
        api_root: String,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCmd {
    /// Issue a new API token for a user, revoking the old ones.
    Rotate { user: String },
}

pub fn run(a: HubArgs) -> i32 {
    let opts = HubOptions {
        data: a.data,
        config: a.config,
        listen: a.listen,
        backend: a.backend,
        postgres_url: a.postgres_url,
        postgres_schema: a.pg_schema,
        tls_cert: a.tls_cert,
        tls_key: a.tls_key,
        allow_plain_http: a.allow_plain_http,
    };
    let cmd = match a.cmd {
        None => {
            return match reefwatch_hub::serve_blocking(opts) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("reefwatch hub: {e}");
                    1
                }
            }
        }
        Some(HubCmd::User(UserCmd::Add {
            name,
            org,
            admin,
            password_env,
            identity,
        })) => {
            let password = match password_env {
                Some(v) => match std::env::var(&v) {
                    Ok(p) if !p.is_empty() => Some(p),
                    _ => {
                        eprintln!("reefwatch hub: environment variable {v} is not set");
                        return 2;
                    }
                },
                None => None,
            };
            AdminCmd::UserAdd {
                name,
                org,
                admin,
                password,
                identity,
            }
        }
        Some(HubCmd::Org(OrgCmd::Add {
            name,
            partners,
            identity,
        })) => AdminCmd::OrgAdd {
            name,
            partners,
            identity,
        },
        Some(HubCmd::Collection(CollectionCmd::Add {
            title,
            id,
            description,
            read,
            write,
            anonymize,
            api_root,
        })) => AdminCmd::CollectionAdd {
            title,
            id,
            description,
            read,
            write,
            anonymize,
            api_root,
        },
        Some(HubCmd::Token(TokenCmd::Rotate { user })) => AdminCmd::TokenRotate { user },
        Some(HubCmd::List) => AdminCmd::List,
    };
    match reefwatch_hub::admin_blocking(opts, cmd) {
        Ok(out) => {
            print!("{out}");
            0
        }
        Err(e) => {
            eprintln!("reefwatch hub: {e}");
            1
        }
    }
}
