//! `reefwatch hub …`: run the TAXII 2.1 hub, or administer it.
//!
//! ```text
//! reefwatch hub --data DIR --listen 127.0.0.1:9443
//! reefwatch hub --data DIR admin org add cert-a --partner cert-b
//! reefwatch hub --data DIR admin user add alice --org cert-a
//! reefwatch hub --data DIR admin user disable alice
//! reefwatch hub --data DIR admin collection add "OT indicators" --read org:cert-a --write user:alice
//! reefwatch hub --data DIR admin collection grant default --read '*'
//! reefwatch hub --data DIR admin token list alice
//! reefwatch hub --data DIR admin token revoke alice 3f2a9c81d0e4
//! ```
//! The administration commands also work without `admin` (`reefwatch hub
//! user add …`), as before.
use clap::{Args, Subcommand};
use reefwatch_hub::{AdminCmd, HubOptions};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct HubArgs {
    /// Data directory (the first start creates it, owner-only, with the
    /// database and a commented hub.toml of the defaults).
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
    /// Administer the hub: users, organisations, collections, tokens.
    #[command(subcommand)]
    Admin(AdminSub),
    #[command(flatten)]
    Direct(AdminSub),
}

#[derive(Subcommand, Debug)]
enum AdminSub {
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
    /// Remove a user (its objects stay; its password and tokens go).
    Remove { name: String },
    /// Refuse a user's logins (password and tokens), keeping the account.
    Disable { name: String },
    /// Allow a disabled user's logins again.
    Enable { name: String },
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
        /// Who may read: `*`, `user:NAME` or `org:NAME` (repeatable; none: administrators only).
        #[arg(long)]
        read: Vec<String>,
        /// Who may write: `*`, `user:NAME` or `org:NAME` (repeatable; none: administrators only).
        #[arg(long)]
        write: Vec<String>,
        /// Replace created_by_ref with the hub's identity for other organisations.
        #[arg(long)]
        anonymize: bool,
        #[arg(long, default_value = "api1")]
        api_root: String,
    },
    /// Open a collection (id or alias) to more principals.
    Grant {
        collection: String,
        /// `*`, `user:NAME` or `org:NAME` (repeatable).
        #[arg(long)]
        read: Vec<String>,
        /// `*`, `user:NAME` or `org:NAME` (repeatable).
        #[arg(long)]
        write: Vec<String>,
    },
    /// Take principals off a collection's read / write lists.
    Revoke {
        collection: String,
        #[arg(long)]
        read: Vec<String>,
        #[arg(long)]
        write: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCmd {
    /// Issue a new API token for a user, revoking the old ones.
    Rotate { user: String },
    /// List API tokens (their ids, never the tokens) of one user or all.
    List { user: Option<String> },
    /// Revoke one API token of a user, by the id `token list` shows.
    Revoke { user: String, id: String },
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
    let sub = match a.cmd {
        None => {
            return match reefwatch_hub::serve_blocking(opts) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("reefwatch hub: {e}");
                    1
                }
            }
        }
        Some(HubCmd::Admin(s)) | Some(HubCmd::Direct(s)) => s,
    };
    let cmd = match admin_cmd(sub) {
        Ok(c) => c,
        Err(code) => return code,
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

/// The library's command for a parsed one (`Err(exit code)` when an
/// argument cannot be used).
fn admin_cmd(sub: AdminSub) -> Result<AdminCmd, i32> {
    Ok(match sub {
        AdminSub::User(UserCmd::Add {
            name,
            org,
            admin,
            password_env,
            identity,
        }) => {
            let password = match password_env {
                Some(v) => match std::env::var(&v) {
                    Ok(p) if !p.is_empty() => Some(p),
                    _ => {
                        eprintln!("reefwatch hub: environment variable {v} is not set");
                        return Err(2);
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
        AdminSub::User(UserCmd::Remove { name }) => AdminCmd::UserRemove { name },
        AdminSub::User(UserCmd::Disable { name }) => AdminCmd::UserDisable {
            name,
            disabled: true,
        },
        AdminSub::User(UserCmd::Enable { name }) => AdminCmd::UserDisable {
            name,
            disabled: false,
        },
        AdminSub::Org(OrgCmd::Add {
            name,
            partners,
            identity,
        }) => AdminCmd::OrgAdd {
            name,
            partners,
            identity,
        },
        AdminSub::Collection(CollectionCmd::Add {
            title,
            id,
            description,
            read,
            write,
            anonymize,
            api_root,
        }) => AdminCmd::CollectionAdd {
            title,
            id,
            description,
            read,
            write,
            anonymize,
            api_root,
        },
        AdminSub::Collection(CollectionCmd::Grant {
            collection,
            read,
            write,
        }) => AdminCmd::CollectionGrant {
            collection,
            read,
            write,
        },
        AdminSub::Collection(CollectionCmd::Revoke {
            collection,
            read,
            write,
        }) => AdminCmd::CollectionRevoke {
            collection,
            read,
            write,
        },
        AdminSub::Token(TokenCmd::Rotate { user }) => AdminCmd::TokenRotate { user },
        AdminSub::Token(TokenCmd::List { user }) => AdminCmd::TokenList { user },
        AdminSub::Token(TokenCmd::Revoke { user, id }) => AdminCmd::TokenRevoke { user, id },
        AdminSub::List => AdminCmd::List,
    })
}
