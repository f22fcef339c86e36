//! Storage: one trait, two backends (SQLite via rusqlite, PostgreSQL via
//! tokio-postgres).
//!
//! Data model, shared by both backends:
//! - `objects`: one row per stored *version*. `date_added` (µs since the
//!   epoch) is assigned by the hub, strictly increasing and unique across
//!   the whole store, and doubles as the row key. Paging is keyset-based on
//!   `(collection, date_added)`: a page is `date_added > cursor ORDER BY
//!   date_added LIMIT n` on an index, so page 10,000 costs what page 1 costs.
//!   `is_first` / `is_last` flag the earliest / latest version of an object
//!   (maintained on insert and delete) so `match[version]=first|last` is an
//!   indexed predicate, not a per-id aggregate.
//! - `recipients(seq, principal)`: who may read a TLP:RED row.
//! - `refs(seq, target)`: identifiers a row refers to; a row is hidden from
//!   a reader who cannot see a stricter-marked object it refers to.
//! - `meta(key, value)`: users, organisations, collections, API roots (JSON).
//! - `status(id, owner, json, created_us)`: TAXII status resources, kept
//!   for the hub's `status_retention_hours` and then deleted (a hub that
//!   sensors post sightings to every minute would otherwise grow a row per
//!   post forever). Tables from before `created_us` get the column on open;
//!   rows without a time (0: from before, or from an older hub still
//!   writing) are dated by the next `put_status`.
//!
//! Access control (TLP) is part of the SQL `WHERE` clause, so it applies
//! before `LIMIT`: pages are full pages of visible objects.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

pub mod pg;
pub mod sqlite;

/// A storage failure, by backend; the HTTP side maps every one of them to
/// a 500 (see [`crate::error::HubError`]).
#[derive(Debug)]
pub enum StoreError {
    Sqlite(rusqlite::Error),
    Postgres(tokio_postgres::Error),
    /// A blocking database task could not complete (runtime shutting down,
    /// or the task panicked).
    Task(String),
    /// A connection pool or lock is unusable (poisoned by a panic, closed).
    Pool(&'static str),
    /// A PostgreSQL schema name outside `[a-z_][a-z0-9_]*`.
    InvalidSchema(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "sqlite: {e}"),
            // tokio-postgres says only "db error" for a server error: the
            // server's message is in the source.
            StoreError::Postgres(e) => match e.as_db_error() {
                Some(db) => write!(f, "postgres: {}: {}", db.severity(), db.message()),
                None => write!(f, "postgres: {e}"),
            },
            StoreError::Task(e) => write!(f, "database task: {e}"),
            StoreError::Pool(what) => write!(f, "database pool: {what}"),
            StoreError::InvalidSchema(s) => {
                write!(f, "invalid schema name {s:?} (use [a-z_][a-z0-9_]*)")
            }
        }
    }
}
impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}
impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Postgres(e)
    }
}

pub type Res<T> = Result<T, StoreError>;
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = Res<T>> + Send + 'a>>;

/// An object ready to be stored.
#[derive(Clone, Debug)]
pub struct NewObject {
    pub id: String,
    pub typ: String,
    pub spec_version: String,
    /// `modified` (or `created`) in µs; `None` for objects without either
    /// (their version is their `date_added`, TAXII 2.1 §3.6.1).
    pub version: Option<i64>,
    pub json: String,
    pub tlp: u8,
    /// Organisation of the submitting user.
    pub org: String,
    /// Principals allowed to read a TLP:RED row.
    pub recipients: Vec<String>,
    pub refs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddOutcome {
    Added {
        version: i64,
        date_added: i64,
    },
    /// Same id and version already stored: counts as success.
    Duplicate {
        version: i64,
    },
}

/// Who is reading: drives the TLP predicate.
#[derive(Clone, Debug, Default)]
pub struct Viewer {
    /// Bypass TLP (internal use: dashboard counts for admins, tests).
    pub unrestricted: bool,
    pub org: String,
    /// Producer organisations whose TLP:AMBER objects this reader may see
    /// (its own organisation and those that name it as a partner).
    pub amber_orgs: Vec<String>,
    /// Names that may appear in a TLP:RED recipient list for this reader.
    pub principals: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSel {
    First,
    Last,
    All,
    At(i64),
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub ids: Vec<String>,
    pub types: Vec<String>,
    /// Empty = all versions.
    pub versions: Vec<VersionSel>,
    pub spec_versions: Vec<String>,
    pub added_after: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Query {
    pub collection: String,
    pub filter: Filter,
    pub viewer: Viewer,
    /// Keyset cursor: only rows with `date_added` greater than this.
    pub cursor: Option<i64>,
    pub limit: usize,
    /// Fetch the object JSON (objects endpoints) or not (manifest/versions).
    pub with_json: bool,
}

#[derive(Clone, Debug)]
pub struct Row {
    pub date_added: i64,
    pub id: String,
    pub version: i64,
    pub spec_version: String,
    pub producer_org: String,
    pub tlp: u8,
    pub json: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Page {
    pub rows: Vec<Row>,
    pub more: bool,
}

/// Most status rows one [`Store::put_status`] deletes: one POST never
/// holds the writer long, and with one row added per POST a backlog still
/// shrinks.
pub const STATUS_EXPIRE_BATCH: i64 = 1000;

/// Expiry is best effort: say why it failed, delete nothing this time.
pub(crate) fn expire_failed(e: &dyn std::fmt::Display) -> u64 {
    eprintln!(
        "reefwatch hub: expiring old status resources failed (retried with the next POST): {e}"
    );
    0
}

/// A TAXII status resource to store.
#[derive(Clone, Debug)]
pub struct NewStatus {
    pub id: String,
    pub owner: String,
    pub json: String,
    /// µs since the epoch
    pub created_us: i64,
}

#[derive(Clone, Debug)]
pub struct StatRow {
    pub typ: String,
    pub tlp: u8,
    pub count: i64,
}

pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> &'static str;
    /// A round trip to the database (`/healthz`).
    fn ping(&self) -> BoxFut<'_, ()>;
    fn meta_all(&self) -> BoxFut<'_, Vec<(String, String)>>;
    fn meta_put(&self, key: String, value: String) -> BoxFut<'_, ()>;
    fn meta_delete(&self, key: String) -> BoxFut<'_, bool>;
    /// Store objects in one durable transaction; outcome per input object.
    fn add_objects(&self, collection: String, objs: Vec<NewObject>) -> BoxFut<'_, Vec<AddOutcome>>;
    fn query(&self, q: Query) -> BoxFut<'_, Page>;
    /// Delete the given rows (by `date_added`) of one object id.
    fn delete_rows(&self, collection: String, id: String, rows: Vec<i64>) -> BoxFut<'_, u64>;
    /// Store (or replace) a status resource created at `created_us` (rows
    /// an older hub version wrote without a time get this one), then delete
    /// up to [`STATUS_EXPIRE_BATCH`] statuses created before
    /// `expire_before_us`, oldest first, in a transaction of their own:
    /// expiry is best effort (skipped if it fails; a POST that stored its
    /// objects does not fail on it) and bounded per call. Returns how many
    /// were deleted.
    fn put_status(&self, st: NewStatus, expire_before_us: i64) -> BoxFut<'_, u64>;
    fn get_status(&self, id: String) -> BoxFut<'_, Option<(String, String)>>;
    fn stats(&self, collection: String) -> BoxFut<'_, Vec<StatRow>>;
}

// ---------------------------------------------------------------------------
// Shared SQL building (placeholders differ: `?` for SQLite, `$n` for PG).

#[derive(Clone, Debug)]
pub enum Param {
    Int(i64),
    Text(String),
    TextList(Vec<String>),
    IntList(Vec<i64>),
}

pub struct Sql {
    pub text: String,
    pub params: Vec<Param>,
    pg: bool,
}

impl Sql {
    pub fn new(pg: bool) -> Self {
        Sql {
            text: String::with_capacity(512),
            params: Vec::new(),
            pg,
        }
    }
    pub fn push(&mut self, t: &str) -> &mut Self {
        self.text.push_str(t);
        self
    }
    /// Append one scalar placeholder.
    pub fn bind(&mut self, v: Param) -> &mut Self {
        self.params.push(v);
        if self.pg {
            let n = self.params.len();
            self.text.push('$');
            self.text.push_str(&n.to_string());
        } else {
            self.text.push('?');
        }
        self
    }
    /// `col IN (...)` / `col = ANY($n)`.
    pub fn in_text(&mut self, col: &str, vals: &[String]) -> &mut Self {
        if vals.is_empty() {
            return self.push("0=1");
        }
        if self.pg {
            self.push(col)
                .push(" = ANY(")
                .bind(Param::TextList(vals.to_vec()))
                .push(")")
        } else {
            self.push(col).push(" IN (");
            for (i, v) in vals.iter().enumerate() {
                if i > 0 {
                    self.push(",");
                }
                self.bind(Param::Text(v.clone()));
            }
            self.push(")")
        }
    }
    pub fn in_int(&mut self, col: &str, vals: &[i64]) -> &mut Self {
        if vals.is_empty() {
            return self.push("0=1");
        }
        if self.pg {
            self.push(col)
                .push(" = ANY(")
                .bind(Param::IntList(vals.to_vec()))
                .push(")")
        } else {
            self.push(col).push(" IN (");
            for (i, v) in vals.iter().enumerate() {
                if i > 0 {
                    self.push(",");
                }
                self.bind(Param::Int(*v));
            }
            self.push(")")
        }
    }

    /// TLP visibility of row alias `x` for `v`.
    fn visible(&mut self, x: &str, v: &Viewer) -> &mut Self {
        self.push("(")
            .push(x)
            .push(".tlp <= 1 OR (")
            .push(x)
            .push(".tlp = 2 AND ");
        self.in_text(&format!("{x}.producer_org"), &v.amber_orgs);
        self.push(") OR (")
            .push(x)
            .push(".tlp = 3 AND ")
            .push(x)
            .push(".producer_org = ")
            .bind(Param::Text(v.org.clone()));
        self.push(") OR (")
            .push(x)
            .push(".tlp >= 4 AND EXISTS (SELECT 1 FROM recipients rc WHERE rc.seq = ");
        self.push(x).push(".date_added AND ");
        self.in_text("rc.principal", &v.principals);
        self.push(")))")
    }
}

/// The page query shared by both backends.
pub fn build_query(q: &Query, pg: bool) -> Sql {
    let mut s = Sql::new(pg);
    s.push("SELECT o.date_added, o.id, o.version, o.spec_version, o.producer_org, o.tlp");
    if q.with_json {
        s.push(", o.json");
    }
    s.push(" FROM objects o WHERE o.collection = ")
        .bind(Param::Text(q.collection.clone()));
    let after = match (q.cursor, q.filter.added_after) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if let Some(a) = after {
        s.push(" AND o.date_added > ").bind(Param::Int(a));
    }
    let f = &q.filter;
    if !f.ids.is_empty() {
        s.push(" AND ").in_text("o.id", &f.ids);
    }
    if !f.types.is_empty() {
        s.push(" AND ").in_text("o.type", &f.types);
    }
    if !f.spec_versions.is_empty() {
        s.push(" AND ").in_text("o.spec_version", &f.spec_versions);
    }
    if !f.versions.is_empty() && !f.versions.contains(&VersionSel::All) {
        s.push(" AND (0=1");
        let mut at = Vec::new();
        for v in &f.versions {
            match v {
                VersionSel::First => {
                    s.push(" OR o.is_first = 1");
                }
                VersionSel::Last => {
                    s.push(" OR o.is_last = 1");
                }
                VersionSel::At(t) => at.push(*t),
                VersionSel::All => {}
            }
        }
        if !at.is_empty() {
            s.push(" OR ").in_int("o.version", &at);
        }
        s.push(")");
    }
    if !q.viewer.unrestricted {
        s.push(" AND ");
        s.visible("o", &q.viewer);
        // A scalar subquery (not NOT EXISTS): PostgreSQL would turn NOT
        // EXISTS into an anti-join over the whole refs table; this stays a
        // per-row correlated lookup (refs primary key, then objects(id)) in
        // both databases, so its cost is proportional to the page.
        s.push(" AND (SELECT 1 FROM refs r JOIN objects t ON t.id = r.target WHERE r.seq = o.date_added AND t.tlp >= 2 AND NOT ");
        s.visible("t", &q.viewer);
        s.push(" LIMIT 1) IS NULL");
    }
    s.push(" ORDER BY o.date_added LIMIT ")
        .bind(Param::Int(q.limit as i64 + 1));
    s
}

/// Insert plan for one envelope, computed from the versions already stored
/// for the ids in it. Shared by both backends so they behave identically.
pub struct Plan {
    pub outcomes: Vec<AddOutcome>,
    /// (index into input, date_added, version, is_first, is_last)
    pub inserts: Vec<(usize, i64, i64, bool, bool)>,
    pub clear_first: Vec<String>,
    pub clear_last: Vec<String>,
}

pub fn plan(
    objs: &[NewObject],
    existing: &HashMap<String, Vec<i64>>,
    mut last: i64,
    now: i64,
) -> Plan {
    struct St {
        versions: Vec<i64>,
        min: Option<i64>,
        max: Option<i64>,
        // pending inserts holding the first/last flag
        first_ins: Option<usize>,
        last_ins: Option<usize>,
        cleared_first: bool,
        cleared_last: bool,
    }
    let mut st: HashMap<&str, St> = HashMap::new();
    let mut p = Plan {
        outcomes: Vec::with_capacity(objs.len()),
        inserts: Vec::new(),
        clear_first: Vec::new(),
        clear_last: Vec::new(),
    };
    for (i, o) in objs.iter().enumerate() {
        let e = st.entry(o.id.as_str()).or_insert_with(|| {
            let v = existing.get(&o.id).cloned().unwrap_or_default();
            St {
                min: v.iter().copied().min(),
                max: v.iter().copied().max(),
                versions: v,
                first_ins: None,
                last_ins: None,
                cleared_first: false,
                cleared_last: false,
            }
        });
        let da = now.max(last + 1);
        let version = match o.version {
            Some(v) => {
                if e.versions.contains(&v) {
                    p.outcomes.push(AddOutcome::Duplicate { version: v });
                    continue;
                }
                v
            }
            None => {
                // Objects without created/modified (e.g. SCOs, whose ids are
                // derived from their contents): one stored copy per id.
                if let Some(m) = e.max {
                    p.outcomes.push(AddOutcome::Duplicate { version: m });
                    continue;
                }
                da
            }
        };
        last = da;
        let is_first = e.min.is_none_or(|m| version < m);
        let is_last = e.max.is_none_or(|m| version > m);
        let k = p.inserts.len();
        if is_first {
            if let Some(j) = e.first_ins.take() {
                p.inserts[j].3 = false;
            } else if e.min.is_some() && !e.cleared_first {
                e.cleared_first = true;
                p.clear_first.push(o.id.clone());
            }
            e.first_ins = Some(k);
            e.min = Some(version);
        }
        if is_last {
            if let Some(j) = e.last_ins.take() {
                p.inserts[j].4 = false;
            } else if e.max.is_some() && !e.cleared_last {
                e.cleared_last = true;
                p.clear_last.push(o.id.clone());
            }
            e.last_ins = Some(k);
            e.max = Some(version);
        }
        e.versions.push(version);
        p.inserts.push((i, da, version, is_first, is_last));
        p.outcomes.push(AddOutcome::Added {
            version,
            date_added: da,
        });
    }
    p
}

pub const RECOMPUTE_FLAGS: &str = "UPDATE objects SET \
    is_first = CASE WHEN version = (SELECT min(o2.version) FROM objects o2 WHERE o2.collection = objects.collection AND o2.id = objects.id) THEN 1 ELSE 0 END, \
    is_last = CASE WHEN version = (SELECT max(o2.version) FROM objects o2 WHERE o2.collection = objects.collection AND o2.id = objects.id) THEN 1 ELSE 0 END \
    WHERE collection = ";

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(id: &str, v: Option<i64>) -> NewObject {
        NewObject {
            id: id.into(),
            typ: "indicator".into(),
            spec_version: "2.1".into(),
            version: v,
            json: "{}".into(),
            tlp: 0,
            org: "o".into(),
            recipients: vec![],
            refs: vec![],
        }
    }

    #[test]
    fn plan_versions_and_flags() {
        let mut ex = HashMap::new();
        ex.insert("a".to_string(), vec![10, 20]);
        let objs = vec![
            obj("a", Some(20)),
            obj("a", Some(30)),
            obj("a", Some(5)),
            obj("b", Some(1)),
            obj("a", Some(40)),
            obj("c", None),
            obj("c", None),
        ];
        let p = plan(&objs, &ex, 100, 50);
        assert_eq!(p.outcomes[0], AddOutcome::Duplicate { version: 20 });
        assert_eq!(
            p.outcomes[1],
            AddOutcome::Added {
                version: 30,
                date_added: 101
            }
        );
        assert_eq!(p.outcomes[6], AddOutcome::Duplicate { version: 105 });
        // a@30 was last until a@40 arrived in the same envelope
        let flags: Vec<_> = p.inserts.iter().map(|x| (x.2, x.3, x.4)).collect();
        assert_eq!(
            flags,
            vec![
                (30, false, false),
                (5, true, false),
                (1, true, true),
                (40, false, true),
                (105, true, true)
            ]
        );
        assert_eq!(p.clear_first, vec!["a".to_string()]);
        assert_eq!(p.clear_last, vec!["a".to_string()]);
        // date_added strictly increasing
        let das: Vec<_> = p.inserts.iter().map(|x| x.1).collect();
        assert!(das.windows(2).all(|w| w[0] < w[1]));
    }
}
