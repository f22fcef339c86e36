//! Who is asking (HTTP Basic or a Bearer API token), and what they may
//! reach: API roots, collections (by id or alias), read and write rights.

use super::{access_log, negotiate, AppState};
use crate::access::{self, Collection, Meta, User};
use crate::error::{HubError, HubResult};
use axum::http::{header, HeaderMap};
use base64::Engine;
use std::sync::Arc;

/// Why a login was refused (logged, never sent: a client learns only 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginFailure {
    NoCredentials,
    Malformed,
    UnknownToken,
    UnknownUser,
    NoPassword,
    BadPassword,
    Disabled,
}

impl LoginFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginFailure::NoCredentials => "no credentials",
            LoginFailure::Malformed => "malformed Authorization header",
            LoginFailure::UnknownToken => "unknown or revoked token",
            LoginFailure::UnknownUser => "unknown user",
            LoginFailure::NoPassword => "user has no password",
            LoginFailure::BadPassword => "wrong password",
            LoginFailure::Disabled => "user disabled",
        }
    }
}

fn refuse(user: Option<&str>, why: LoginFailure) -> HubError {
    access_log::note_login_failure(user, why);
    HubError::Unauthorized
}

pub async fn authenticate(st: &AppState, h: &HeaderMap) -> HubResult<(Arc<Meta>, User)> {
    let meta = st.meta();
    let v = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refuse(None, LoginFailure::NoCredentials))?;
    let user = if let Some(tok) = v.strip_prefix("Bearer ") {
        let hsh = access::sha256_hex(tok.trim().as_bytes());
        meta.token_index
            .get(&hsh)
            .and_then(|n| meta.users.get(n))
            .cloned()
            .ok_or_else(|| refuse(None, LoginFailure::UnknownToken))?
    } else {
        basic(st, &meta, v).await?
    };
    if user.disabled {
        return Err(refuse(Some(&user.name), LoginFailure::Disabled));
    }
    access_log::note_user(&user.name);
    Ok((meta, user))
}

async fn basic(st: &AppState, meta: &Meta, v: &str) -> HubResult<User> {
    let malformed = || refuse(None, LoginFailure::Malformed);
    let b = v.strip_prefix("Basic ").ok_or_else(malformed)?;
    let dec = base64::engine::general_purpose::STANDARD
        .decode(b.trim())
        .map_err(|_| malformed())?;
    let dec = String::from_utf8(dec).map_err(|_| malformed())?;
    let (name, pw) = dec.split_once(':').ok_or_else(malformed)?;
    let u = meta
        .users
        .get(name)
        .cloned()
        .ok_or_else(|| refuse(Some(name), LoginFailure::UnknownUser))?;
    let stored = u
        .password
        .clone()
        .ok_or_else(|| refuse(Some(name), LoginFailure::NoPassword))?;
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
            return Err(refuse(Some(name), LoginFailure::BadPassword));
        }
        if let Ok(mut c) = st.cred_cache.lock() {
            if c.len() > 10_000 {
                c.clear();
            }
            c.insert(name.to_string(), key);
        }
    }
    Ok(u)
}

/// An authenticated request: the metadata snapshot it runs against and
/// its user.
pub struct Ctx {
    pub meta: Arc<Meta>,
    pub user: User,
}

/// Negotiate, then authenticate.
pub async fn begin(st: &AppState, h: &HeaderMap, accept_also: Option<&str>) -> HubResult<Ctx> {
    negotiate::check_accept(h, accept_also)?;
    let (meta, user) = authenticate(st, h).await?;
    Ok(Ctx { meta, user })
}

impl Ctx {
    pub fn root(&self, root: &str) -> HubResult<&access::ApiRoot> {
        self.meta
            .roots
            .get(root)
            .ok_or_else(|| HubError::NotFound("API root".into()))
    }

    /// Collection `id_or_alias` of API root `root`, if this user may read
    /// or write it (others are told it does not exist).
    pub fn collection(&self, root: &str, id_or_alias: &str) -> HubResult<&Collection> {
        self.root(root)?;
        match self.meta.collection(root, id_or_alias) {
            Some(col) if self.can_read(col) || self.can_write(col) => Ok(col),
            _ => Err(HubError::NotFound("collection".into())),
        }
    }

    pub fn can_read(&self, col: &Collection) -> bool {
        self.meta.can_read(&self.user, col)
    }
    pub fn can_write(&self, col: &Collection) -> bool {
        self.meta.can_write(&self.user, col)
    }

    pub fn need_read(&self, col: &Collection) -> HubResult<()> {
        if self.can_read(col) {
            Ok(())
        } else {
            Err(HubError::Forbidden(
                "no read access to this collection".into(),
            ))
        }
    }

    pub fn need_write(&self, col: &Collection) -> HubResult<()> {
        if self.can_write(col) {
            Ok(())
        } else {
            Err(HubError::Forbidden(
                "no write access to this collection".into(),
            ))
        }
    }
}
