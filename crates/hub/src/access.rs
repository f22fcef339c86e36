//! Users, organisations, collections, API roots; password and token
//! hashing; who may read what.
//!
//! Everything here is stored as JSON documents in the store's `meta` table
//! (`org:NAME`, `user:NAME`, `collection:ID`, `root:NAME`, `hub`) so both
//! backends share it and the admin CLI can change it while a hub runs (the
//! hub reloads it every two seconds).
//!
//! - Passwords: PBKDF2-HMAC-SHA256, 16-byte random salt, 100,000
//!   iterations, stored as `pbkdf2-sha256$ITER$SALT$HASH` (hex). Verified
//!   credentials are cached in memory (keyed by a SHA-256 of user+password)
//!   so HTTP Basic does not pay the KDF on every request.
//! - API tokens: `rwt_` + 32 random bytes (hex), stored only as SHA-256;
//!   presented as `Authorization: Bearer TOKEN`.
//! - Collection access: `read` / `write` lists of principals: `*` (any
//!   authenticated user), `user:NAME`, `org:NAME`. Admin users may read and
//!   write every collection (TLP still applies to them). An empty list
//!   means administrators (and, for the collections it adds, the creator)
//!   only: the `default` collection of a first start is owner-only until
//!   granted (`reefwatch hub admin collection grant default --read '*'`).
//! - TLP:RED recipients: an object lists who may read it in the custom
//!   property `x_reefwatch_recipients` (array of strings): `user:NAME`,
//!   `org:NAME`, or the STIX identity id configured for a user or an
//!   organisation. The submitting user is always a recipient.

use crate::store::Viewer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const PBKDF2_ITER: u32 = 100_000;

#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct Org {
    pub name: String,
    #[serde(default)]
    pub identity: Option<String>,
    /// Organisations that may read this organisation's TLP:AMBER objects.
    #[serde(default)]
    pub partners: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct User {
    pub name: String,
    pub org: String,
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub password: Option<String>,
    /// SHA-256 (hex) of each valid API token.
    #[serde(default)]
    pub tokens: Vec<String>,
    #[serde(default)]
    pub identity: Option<String>,
    /// A disabled user keeps its data and grants but cannot log in.
    #[serde(default)]
    pub disabled: bool,
}

/// How a token is named in listings and revocations: the first
/// [`TOKEN_ID_LEN`] hex digits of its SHA-256 (not enough to use it).
pub const TOKEN_ID_LEN: usize = 12;

pub fn token_id(hash: &str) -> &str {
    hash.get(..TOKEN_ID_LEN).unwrap_or(hash)
}

#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct Collection {
    pub id: String,
    /// A stable, human-readable name usable in URLs in place of the id
    /// (`default` for the collection the first start creates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    pub api_root: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub read: Vec<String>,
    #[serde(default)]
    pub write: Vec<String>,
    /// Replace `created_by_ref` with the hub's identity for readers outside
    /// the producing organisation (as CISA AIS does for submitters).
    #[serde(default)]
    pub anonymize: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct ApiRoot {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct HubInfo {
    pub title: String,
    /// STIX identity used in place of anonymised `created_by_ref`.
    pub identity: String,
}

/// In-memory snapshot of the `meta` table.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub orgs: BTreeMap<String, Org>,
    pub users: BTreeMap<String, User>,
    pub collections: BTreeMap<String, Collection>,
    pub roots: BTreeMap<String, ApiRoot>,
    pub hub: HubInfo,
    pub token_index: BTreeMap<String, String>,
}

impl Meta {
    pub fn from_kv(kv: &[(String, String)]) -> Meta {
        let mut m = Meta::default();
        for (k, v) in kv {
            if let Some(n) = k.strip_prefix("org:") {
                if let Ok(o) = serde_json::from_str::<Org>(v) {
                    m.orgs.insert(n.to_string(), o);
                }
            } else if let Some(n) = k.strip_prefix("user:") {
                if let Ok(u) = serde_json::from_str::<User>(v) {
                    for t in &u.tokens {
                        m.token_index.insert(t.clone(), n.to_string());
                    }
                    m.users.insert(n.to_string(), u);
                }
            } else if let Some(n) = k.strip_prefix("collection:") {
                if let Ok(c) = serde_json::from_str::<Collection>(v) {
                    m.collections.insert(n.to_string(), c);
                }
            } else if let Some(n) = k.strip_prefix("root:") {
                if let Ok(r) = serde_json::from_str::<ApiRoot>(v) {
                    m.roots.insert(n.to_string(), r);
                }
            } else if k == "hub" {
                if let Ok(h) = serde_json::from_str::<HubInfo>(v) {
                    m.hub = h;
                }
            }
        }
        m
    }

    /// Collection `id_or_alias` of API root `root` (an id wins over an
    /// alias).
    pub fn collection(&self, root: &str, id_or_alias: &str) -> Option<&Collection> {
        match self.collections.get(id_or_alias) {
            Some(c) if c.api_root == root => Some(c),
            _ => self
                .collections
                .values()
                .find(|c| c.api_root == root && c.alias.as_deref() == Some(id_or_alias)),
        }
    }

    fn matches(&self, list: &[String], u: &User) -> bool {
        list.iter().any(|p| {
            p == "*"
                || p.strip_prefix("user:") == Some(u.name.as_str())
                || p.strip_prefix("org:") == Some(u.org.as_str())
        })
    }
    pub fn can_read(&self, u: &User, c: &Collection) -> bool {
        u.admin || self.matches(&c.read, u)
    }
    pub fn can_write(&self, u: &User, c: &Collection) -> bool {
        u.admin || self.matches(&c.write, u)
    }

    /// The TLP predicate inputs for user `u`.
    pub fn viewer(&self, u: &User) -> Viewer {
        let mut amber = vec![u.org.clone()];
        for o in self.orgs.values() {
            if o.name != u.org && o.partners.iter().any(|p| p == &u.org) {
                amber.push(o.name.clone());
            }
        }
        let mut principals = vec![format!("user:{}", u.name), format!("org:{}", u.org)];
        if let Some(i) = &u.identity {
            principals.push(i.clone());
        }
        if let Some(i) = self.orgs.get(&u.org).and_then(|o| o.identity.clone()) {
            principals.push(i);
        }
        Viewer {
            unrestricted: false,
            org: u.org.clone(),
            amber_orgs: amber,
            principals,
        }
    }
}

pub fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(H[(x >> 4) as usize] as char);
        s.push(H[(x & 15) as usize] as char);
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // getrandom only fails if the OS has no randomness source at all.
    getrandom::fill(&mut b).expect("OS random source unavailable");
    b
}

pub fn uuid4() -> String {
    let mut b: [u8; 16] = random_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

pub fn hash_password(pw: &str) -> String {
    let salt: [u8; 16] = random_bytes();
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(pw.as_bytes(), &salt, PBKDF2_ITER, &mut out);
    format!("pbkdf2-sha256${}${}${}", PBKDF2_ITER, hex(&salt), hex(&out))
}

pub fn verify_password(pw: &str, stored: &str) -> bool {
    let mut it = stored.split('$');
    let (Some("pbkdf2-sha256"), Some(iter), Some(salt), Some(hash), None) =
        (it.next(), it.next(), it.next(), it.next(), it.next())
    else {
        return false;
    };
    let (Ok(iter), Some(salt), Some(hash)) = (iter.parse::<u32>(), unhex(salt), unhex(hash)) else {
        return false;
    };
    if iter == 0 || iter > 10_000_000 || hash.len() != 32 {
        return false;
    }
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(pw.as_bytes(), &salt, iter, &mut out);
    // constant-time comparison
    out.iter()
        .zip(hash.iter())
        .fold(0u8, |a, (x, y)| a | (x ^ y))
        == 0
}

pub fn new_token() -> String {
    let b: [u8; 32] = random_bytes();
    format!("rwt_{}", hex(&b))
}

pub fn new_password() -> String {
    let b: [u8; 18] = random_bytes();
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_roundtrip() {
        let h = hash_password("s3cret");
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("s3cret ", &h));
        assert!(!verify_password("s3cret", "pbkdf2-sha256$1$zz$00"));
        assert_ne!(h, hash_password("s3cret"), "salted");
    }

    #[test]
    fn viewer_and_permissions() {
        let kv = vec![
            (
                "org:a".to_string(),
                r#"{"name":"a","partners":["b"]}"#.to_string(),
            ),
            (
                "org:b".to_string(),
                r#"{"name":"b","identity":"identity--11111111-1111-4111-8111-111111111111"}"#
                    .to_string(),
            ),
            (
                "user:bob".to_string(),
                r#"{"name":"bob","org":"b","tokens":["ab"]}"#.to_string(),
            ),
        ];
        let m = Meta::from_kv(&kv);
        let bob = &m.users["bob"];
        let v = m.viewer(bob);
        assert_eq!(v.amber_orgs, vec!["b".to_string(), "a".to_string()]);
        assert!(v
            .principals
            .contains(&"identity--11111111-1111-4111-8111-111111111111".to_string()));
        assert_eq!(m.token_index["ab"], "bob");
        let c = Collection {
            read: vec!["org:b".into()],
            write: vec!["user:alice".into()],
            ..Default::default()
        };
        assert!(m.can_read(bob, &c));
        assert!(!m.can_write(bob, &c));
        assert_eq!(uuid4().len(), 36);
    }
}
