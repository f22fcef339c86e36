//! Administration (`reefwatch hub admin …`): users, organisations,
//! collections and their grants, API tokens. Run against the data
//! directory / database; a running hub picks a change up within two
//! seconds.

use crate::access::{self, Collection, Org, User};
use crate::bootstrap::{bootstrap, open_store, put};
use crate::config::{load_config, HubOptions};
use crate::error::{HubError, HubResult};

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
    /// Open a collection to more principals.
    CollectionGrant {
        collection: String,
        read: Vec<String>,
        write: Vec<String>,
    },
    /// Take principals off a collection's lists.
    CollectionRevoke {
        collection: String,
        read: Vec<String>,
        write: Vec<String>,
    },
    /// Delete a user (its objects stay; its tokens and password go).
    UserRemove {
        name: String,
    },
    /// Disable (or enable again) a user's logins, keeping everything else.
    UserDisable {
        name: String,
        disabled: bool,
    },
    TokenRotate {
        user: String,
    },
    /// Tokens of one user, or of all (by id: a prefix of their hash).
    TokenList {
        user: Option<String>,
    },
    /// Revoke one token of a user, by the id `token list` shows.
    TokenRevoke {
        user: String,
        id: String,
    },
    List,
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'@'))
}

pub async fn admin(o: HubOptions, cmd: AdminCmd) -> HubResult<String> {
    let cfg = load_config(&o)?;
    let s = open_store(&cfg, o.config.is_some()).await?;
    let mut out = String::new();
    if let Some(pw) = bootstrap(&*s).await? {
        out.push_str(&format!("created user 'admin' with password: {pw}\n"));
    }
    let meta = access::Meta::from_kv(&s.meta_all().await?);
    match cmd {
        AdminCmd::UserAdd {
            name,
            org,
            admin,
            password,
            identity,
        } => {
            if !valid_name(&name) || !valid_name(&org) {
                return Err(name_error("user and organisation names"));
            }
            if meta.users.contains_key(&name) {
                return Err(HubError::Conflict(format!("user {name:?}")));
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
                disabled: false,
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
                return Err(name_error("organisation names"));
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
                return Err(HubError::NotFound(format!("API root {api_root:?}")));
            }
            let id = id.unwrap_or_else(access::uuid4);
            if !valid_name(&id) {
                return Err(name_error("collection ids"));
            }
            if meta.collections.contains_key(&id) {
                return Err(HubError::Conflict(format!("collection {id}")));
            }
            put(
                &*s,
                format!("collection:{id}"),
                &Collection {
                    id: id.clone(),
                    alias: None,
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
            let mut u = user_of(&meta, &user)?;
            let token = access::new_token();
            u.tokens = vec![access::sha256_hex(token.as_bytes())];
            put(&*s, format!("user:{user}"), &u).await?;
            out.push_str(&format!(
                "api token: {token}\n(previous tokens of {user} are revoked)\n"
            ));
        }
        AdminCmd::CollectionGrant {
            collection,
            read,
            write,
        } => {
            let mut c = collection_of(&meta, &collection)?;
            for p in read.iter().chain(&write) {
                if !valid_principal(p) {
                    return Err(HubError::bad(
                        "not *, user:NAME or org:NAME",
                        format!("principal {p:?}"),
                    ));
                }
            }
            for (list, add) in [(&mut c.read, read), (&mut c.write, write)] {
                for p in add {
                    if !list.contains(&p) {
                        list.push(p);
                    }
                }
            }
            put(&*s, format!("collection:{}", c.id), &c).await?;
            out.push_str(&format!(
                "collection {}: read={:?} write={:?}\n",
                c.id, c.read, c.write
            ));
        }
        AdminCmd::CollectionRevoke {
            collection,
            read,
            write,
        } => {
            let mut c = collection_of(&meta, &collection)?;
            c.read.retain(|p| !read.contains(p));
            c.write.retain(|p| !write.contains(p));
            put(&*s, format!("collection:{}", c.id), &c).await?;
            out.push_str(&format!(
                "collection {}: read={:?} write={:?}\n",
                c.id, c.read, c.write
            ));
        }
        AdminCmd::UserRemove { name } => {
            let u = user_of(&meta, &name)?;
            keep_one_admin(&meta, &u, &name)?;
            s.meta_delete(format!("user:{name}")).await?;
            out.push_str(&format!(
                "removed user {name} ({} tokens revoked)\n",
                u.tokens.len()
            ));
        }
        AdminCmd::UserDisable { name, disabled } => {
            let mut u = user_of(&meta, &name)?;
            if disabled {
                keep_one_admin(&meta, &u, &name)?;
            }
            u.disabled = disabled;
            put(&*s, format!("user:{name}"), &u).await?;
            out.push_str(&format!(
                "{} user {name}\n",
                if disabled { "disabled" } else { "enabled" }
            ));
        }
        AdminCmd::TokenList { user } => {
            let users: Vec<&access::User> = match &user {
                Some(n) => vec![meta
                    .users
                    .get(n)
                    .ok_or_else(|| HubError::NotFound(format!("user {n:?}")))?],
                None => meta.users.values().collect(),
            };
            for u in users {
                for t in &u.tokens {
                    out.push_str(&format!("token {}  user={}\n", access::token_id(t), u.name));
                }
            }
        }
        AdminCmd::TokenRevoke { user, id } => {
            let mut u = user_of(&meta, &user)?;
            let n = u.tokens.len();
            if id.len() < 6 {
                return Err(HubError::bad("at least 6 hex digits", "token id"));
            }
            u.tokens.retain(|t| !t.starts_with(&id));
            match n - u.tokens.len() {
                0 => return Err(HubError::NotFound(format!("token {id} of user {user:?}"))),
                1 => {}
                k => {
                    return Err(HubError::bad(
                        format!("matches {k} tokens; give more digits"),
                        "token id",
                    ))
                }
            }
            put(&*s, format!("user:{user}"), &u).await?;
            out.push_str(&format!("revoked token {id} of {user}\n"));
        }
        AdminCmd::List => {
            for r in meta.roots.values() {
                out.push_str(&format!("api root /{}/  {}\n", r.name, r.title));
            }
            for c in meta.collections.values() {
                out.push_str(&format!(
                    "collection {}{}  {:?}  root={} read={:?} write={:?}{}\n",
                    c.id,
                    c.alias
                        .as_ref()
                        .map(|a| format!(" (alias {a})"))
                        .unwrap_or_default(),
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
                    "user {}  org={}{}{}  tokens={}\n",
                    u.name,
                    u.org,
                    if u.admin { " admin" } else { "" },
                    if u.disabled { " DISABLED" } else { "" },
                    u.tokens.len()
                ));
            }
        }
    }
    Ok(out)
}

fn name_error(what: &str) -> HubError {
    HubError::bad("1-64 of [A-Za-z0-9._@-]", what)
}

fn valid_principal(p: &str) -> bool {
    p == "*"
        || p.strip_prefix("user:").is_some_and(valid_name)
        || p.strip_prefix("org:").is_some_and(valid_name)
}

fn user_of(meta: &access::Meta, name: &str) -> HubResult<access::User> {
    meta.users
        .get(name)
        .cloned()
        .ok_or_else(|| HubError::NotFound(format!("user {name:?}")))
}

/// Refuse to remove or disable `u` when it is the last enabled
/// administrator (a disabled one, or a plain user, can always go).
fn keep_one_admin(meta: &access::Meta, u: &access::User, name: &str) -> HubResult<()> {
    let enabled_admins = meta
        .users
        .values()
        .filter(|x| x.admin && !x.disabled)
        .count();
    if u.admin && !u.disabled && enabled_admins == 1 {
        return Err(HubError::Forbidden(format!(
            "{name:?} is the last enabled administrator"
        )));
    }
    Ok(())
}

/// A collection by id or alias (in any API root).
fn collection_of(meta: &access::Meta, id_or_alias: &str) -> HubResult<access::Collection> {
    meta.collections
        .get(id_or_alias)
        .or_else(|| {
            meta.collections
                .values()
                .find(|c| c.alias.as_deref() == Some(id_or_alias))
        })
        .cloned()
        .ok_or_else(|| HubError::NotFound(format!("collection {id_or_alias:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, admin: bool, disabled: bool) -> access::User {
        access::User {
            name: name.into(),
            admin,
            disabled,
            ..Default::default()
        }
    }

    /// The last enabled administrator stays; a disabled administrator
    /// beside it, or a plain user, may go.
    #[test]
    fn one_enabled_admin_is_kept() {
        let mut meta = access::Meta::default();
        for u in [
            user("root", true, false),
            user("old", true, true),
            user("bob", false, false),
        ] {
            meta.users.insert(u.name.clone(), u);
        }
        assert!(keep_one_admin(&meta, &meta.users["root"], "root").is_err());
        assert!(keep_one_admin(&meta, &meta.users["old"], "old").is_ok());
        assert!(keep_one_admin(&meta, &meta.users["bob"], "bob").is_ok());
        meta.users
            .insert("second".into(), user("second", true, false));
        assert!(keep_one_admin(&meta, &meta.users["root"], "root").is_ok());
    }
}
