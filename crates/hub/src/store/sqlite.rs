//! SQLite backend (rusqlite, bundled SQLite).
//!
//! Durability: WAL journal with `synchronous=FULL`. In WAL mode FULL makes
//! every COMMIT fsync the WAL before returning, so once `add_objects`
//! returns (and only then does the hub send a status resource that lists
//! the objects) the rows survive a process kill *and* a power cut. (NORMAL
//! would survive `kill -9` but could lose the last commits on power loss.)
//! One envelope is one transaction, so the fsync cost is shared by up to
//! thousands of objects.
//!
//! Concurrency: one writer connection (serialised by a mutex, `BEGIN
//! IMMEDIATE`), a small pool of reader connections; WAL lets readers run
//! while a write is in progress. All calls run on tokio's blocking pool.

use super::*;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{Arc, Mutex};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS objects(
  date_added INTEGER PRIMARY KEY,
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  version INTEGER NOT NULL,
  spec_version TEXT NOT NULL,
  is_first INTEGER NOT NULL,
  is_last INTEGER NOT NULL,
  tlp INTEGER NOT NULL,
  producer_org TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_ver ON objects(collection, id, version);
CREATE INDEX IF NOT EXISTS objects_page ON objects(collection, date_added);
CREATE INDEX IF NOT EXISTS objects_type ON objects(collection, type, date_added);
CREATE INDEX IF NOT EXISTS objects_id ON objects(id);
CREATE TABLE IF NOT EXISTS recipients(seq INTEGER NOT NULL, principal TEXT NOT NULL, PRIMARY KEY(seq, principal)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs(seq INTEGER NOT NULL, target TEXT NOT NULL, PRIMARY KEY(seq, target)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS status(id TEXT PRIMARY KEY, owner TEXT NOT NULL, json TEXT NOT NULL, created_us INTEGER NOT NULL DEFAULT 0);
";

/// Schema changes for databases created by earlier versions, run after
/// [`SCHEMA`] in the same transaction.
fn migrate(c: &Connection) -> Res<()> {
    let has_created = c
        .prepare("SELECT 1 FROM pragma_table_info('status') WHERE name = 'created_us'")?
        .exists([])?;
    if !has_created {
        // rows from before the column keep 0 until `put_status` dates them
        c.execute_batch("ALTER TABLE status ADD COLUMN created_us INTEGER NOT NULL DEFAULT 0")?;
    }
    c.execute_batch("CREATE INDEX IF NOT EXISTS status_created ON status(created_us)")?;
    Ok(())
}

pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    /// Idle reader connections; `reader_permits` hands them out in FIFO
    /// order (tokio's semaphore is fair), so tail latency under many
    /// concurrent readers stays bounded.
    readers: Arc<Mutex<Vec<Connection>>>,
    reader_permits: Arc<tokio::sync::Semaphore>,
}

fn open(path: &Path) -> Res<Connection> {
    let c = Connection::open(path)?;
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    c.pragma_update(None, "foreign_keys", "OFF")?;
    c.pragma_update(None, "cache_size", -65536)?; // 64 MiB
    c.pragma_update(None, "temp_store", "MEMORY")?;
    c.set_prepared_statement_cache_capacity(64);
    Ok(c)
}

fn to_sql(p: &Param) -> rusqlite::types::Value {
    match p {
        Param::Int(i) => rusqlite::types::Value::Integer(*i),
        Param::Text(t) => rusqlite::types::Value::Text(t.clone()),
        // Lists are expanded into scalars by `Sql` for SQLite.
        Param::TextList(_) | Param::IntList(_) => rusqlite::types::Value::Null,
    }
}

impl SqliteStore {
    /// Open (creating if needed) the database file.
    pub fn open(path: &Path, readers: usize) -> Res<Self> {
        let mut w = open(path)?;
        {
            let tx = w.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute_batch(SCHEMA)?;
            migrate(&tx)?;
            tx.commit()?;
        }
        let mut rs = Vec::new();
        for _ in 0..readers.max(1) {
            rs.push(open(path)?);
        }
        let n = rs.len();
        Ok(SqliteStore {
            writer: Arc::new(Mutex::new(w)),
            readers: Arc::new(Mutex::new(rs)),
            reader_permits: Arc::new(tokio::sync::Semaphore::new(n)),
        })
    }

    fn with_writer<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Res<T> + Send + 'static,
    ) -> BoxFut<'_, T> {
        let w = self.writer.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut c = w
                    .lock()
                    .map_err(|_| StoreError::Pool("writer lock poisoned"))?;
                f(&mut c)
            })
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
        })
    }

    fn with_reader<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Res<T> + Send + 'static,
    ) -> BoxFut<'_, T> {
        let rs = self.readers.clone();
        let permits = self.reader_permits.clone();
        Box::pin(async move {
            let permit = permits
                .acquire_owned()
                .await
                .map_err(|_| StoreError::Pool("reader pool closed"))?;
            tokio::task::spawn_blocking(move || {
                let c = rs
                    .lock()
                    .map_err(|_| StoreError::Pool("reader pool poisoned"))?
                    .pop();
                let c = c.ok_or_else(|| StoreError::Pool("reader pool empty"))?;
                // Give the connection back even if `f` panics.
                let lease = Lease {
                    c: Some(c),
                    pool: rs,
                };
                let r = f(lease.c.as_ref().expect("leased connection"));
                drop(lease);
                drop(permit);
                r
            })
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
        })
    }
}

struct Lease {
    c: Option<Connection>,
    pool: Arc<Mutex<Vec<Connection>>>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let (Some(c), Ok(mut g)) = (self.c.take(), self.pool.lock()) {
            g.push(c);
        }
    }
}

fn add_tx(c: &mut Connection, collection: &str, objs: &[NewObject]) -> Res<Vec<AddOutcome>> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let last: i64 = tx.query_row(
        "SELECT coalesce(max(date_added), 0) FROM objects",
        [],
        |r| r.get(0),
    )?;
    let mut existing: HashMap<String, Vec<i64>> = HashMap::new();
    {
        let mut st =
            tx.prepare_cached("SELECT version FROM objects WHERE collection = ?1 AND id = ?2")?;
        for o in objs {
            if existing.contains_key(&o.id) {
                continue;
            }
            let vs: Vec<i64> = st
                .query_map(rusqlite::params![collection, o.id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            existing.insert(o.id.clone(), vs);
        }
    }
    let p = plan(objs, &existing, last, crate::time::now_micros());
    {
        let mut cf = tx.prepare_cached(
            "UPDATE objects SET is_first = 0 WHERE collection = ?1 AND id = ?2 AND is_first = 1",
        )?;
        for id in &p.clear_first {
            cf.execute(rusqlite::params![collection, id])?;
        }
        let mut cl = tx.prepare_cached(
            "UPDATE objects SET is_last = 0 WHERE collection = ?1 AND id = ?2 AND is_last = 1",
        )?;
        for id in &p.clear_last {
            cl.execute(rusqlite::params![collection, id])?;
        }
        let mut ins = tx.prepare_cached(
            "INSERT INTO objects(date_added, collection, id, type, version, spec_version, is_first, is_last, tlp, producer_org, json) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let mut rec =
            tx.prepare_cached("INSERT OR IGNORE INTO recipients(seq, principal) VALUES (?1, ?2)")?;
        let mut rf =
            tx.prepare_cached("INSERT OR IGNORE INTO refs(seq, target) VALUES (?1, ?2)")?;
        for &(i, da, version, first, last) in &p.inserts {
            let o = &objs[i];
            ins.execute(rusqlite::params![
                da,
                collection,
                o.id,
                o.typ,
                version,
                o.spec_version,
                first as i64,
                last as i64,
                o.tlp as i64,
                o.org,
                o.json
            ])?;
            if o.tlp >= crate::stixv::TLP_RED {
                for r in &o.recipients {
                    rec.execute(rusqlite::params![da, r])?;
                }
            }
            for t in &o.refs {
                rf.execute(rusqlite::params![da, t])?;
            }
        }
    }
    tx.commit()?;
    Ok(p.outcomes)
}

fn query_rows(c: &Connection, q: &Query) -> Res<Page> {
    let sql = build_query(q, false);
    let mut st = c.prepare_cached(&sql.text)?;
    let params: Vec<_> = sql.params.iter().map(to_sql).collect();
    let with_json = q.with_json;
    let mut rows: Vec<Row> = st
        .query_map(params_from_iter(params), |r| {
            Ok(Row {
                date_added: r.get(0)?,
                id: r.get(1)?,
                version: r.get(2)?,
                spec_version: r.get(3)?,
                producer_org: r.get(4)?,
                tlp: r.get::<_, i64>(5)?.clamp(0, 4) as u8,
                json: if with_json { Some(r.get(6)?) } else { None },
            })
        })?
        .collect::<Result<_, _>>()?;
    let more = rows.len() > q.limit;
    rows.truncate(q.limit);
    Ok(Page { rows, more })
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn ping(&self) -> BoxFut<'_, ()> {
        self.with_reader(|c| {
            c.query_row("SELECT count(*) FROM meta", [], |_| Ok(()))?;
            Ok(())
        })
    }

    fn meta_all(&self) -> BoxFut<'_, Vec<(String, String)>> {
        self.with_reader(|c| {
            let mut st = c.prepare_cached("SELECT key, value FROM meta ORDER BY key")?;
            let v = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok(v)
        })
    }

    fn meta_put(&self, key: String, value: String) -> BoxFut<'_, ()> {
        self.with_writer(move |c| {
            c.execute("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", rusqlite::params![key, value])?;
            Ok(())
        })
    }

    fn meta_delete(&self, key: String) -> BoxFut<'_, bool> {
        self.with_writer(move |c| Ok(c.execute("DELETE FROM meta WHERE key = ?1", [key])? > 0))
    }

    fn add_objects(&self, collection: String, objs: Vec<NewObject>) -> BoxFut<'_, Vec<AddOutcome>> {
        self.with_writer(move |c| add_tx(c, &collection, &objs))
    }

    fn query(&self, q: Query) -> BoxFut<'_, Page> {
        self.with_reader(move |c| query_rows(c, &q))
    }

    fn delete_rows(&self, collection: String, id: String, rows: Vec<i64>) -> BoxFut<'_, u64> {
        self.with_writer(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut n = 0u64;
            for da in &rows {
                n += tx.execute(
                    "DELETE FROM objects WHERE date_added = ?1 AND collection = ?2 AND id = ?3",
                    rusqlite::params![da, collection, id],
                )? as u64;
                tx.execute("DELETE FROM recipients WHERE seq = ?1", [da])?;
                tx.execute("DELETE FROM refs WHERE seq = ?1", [da])?;
            }
            tx.execute(
                &format!("{RECOMPUTE_FLAGS} ?1 AND id = ?2"),
                rusqlite::params![collection, id],
            )?;
            tx.commit()?;
            Ok(n)
        })
    }

    fn put_status(&self, st: NewStatus, expire_before_us: i64) -> BoxFut<'_, u64> {
        self.with_writer(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO status(id, owner, json, created_us) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(id) DO UPDATE SET json = excluded.json",
                rusqlite::params![st.id, st.owner, st.json, st.created_us],
            )?;
            // written by an older hub version sharing the database
            tx.execute(
                "UPDATE status SET created_us = ?1 WHERE created_us = 0",
                [st.created_us],
            )?;
            tx.commit()?;
            let expired = c.execute(
                "DELETE FROM status WHERE id IN (SELECT id FROM status \
                 WHERE created_us < ?1 ORDER BY created_us LIMIT ?2)",
                [expire_before_us, STATUS_EXPIRE_BATCH],
            );
            Ok(expired.map_or_else(|e| expire_failed(&e), |n| n as u64))
        })
    }

    fn get_status(&self, id: String) -> BoxFut<'_, Option<(String, String)>> {
        self.with_reader(move |c| {
            Ok(
                c.query_row("SELECT owner, json FROM status WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?,
            )
        })
    }

    fn stats(&self, collection: String) -> BoxFut<'_, Vec<StatRow>> {
        self.with_reader(move |c| {
            let mut st = c.prepare_cached("SELECT type, tlp, count(*) FROM objects WHERE collection = ?1 GROUP BY type, tlp ORDER BY type, tlp")?;
            let v = st
                .query_map([collection], |r| Ok(StatRow { typ: r.get(0)?, tlp: r.get::<_, i64>(1)?.clamp(0, 4) as u8, count: r.get(2)? }))?
                .collect::<Result<_, _>>()?;
            Ok(v)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paging is keyset-based: every page query walks an index in
    /// `date_added` order from the cursor (no sort, no scan of the rows
    /// before the cursor), so page 10,000 costs what page 1 costs.
    #[test]
    fn page_queries_use_keyset_index() {
        let dir = std::env::temp_dir().join(format!("rw-hub-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = SqliteStore::open(&dir.join("h.sqlite"), 1).unwrap();
        let c = s.writer.lock().unwrap();
        let viewer = Viewer {
            unrestricted: false,
            org: "a".into(),
            amber_orgs: vec!["a".into()],
            principals: vec!["user:x".into()],
        };
        let filters = [
            Filter {
                versions: vec![VersionSel::Last],
                ..Default::default()
            },
            Filter {
                types: vec!["indicator".into()],
                versions: vec![VersionSel::Last],
                ..Default::default()
            },
            Filter {
                added_after: Some(5),
                ..Default::default()
            },
        ];
        for f in filters {
            let q = Query {
                collection: "c".into(),
                filter: f,
                viewer: viewer.clone(),
                cursor: Some(123),
                limit: 1000,
                with_json: true,
            };
            let sql = build_query(&q, false);
            let mut st = c
                .prepare(&format!("EXPLAIN QUERY PLAN {}", sql.text))
                .unwrap();
            let params: Vec<_> = sql.params.iter().map(to_sql).collect();
            let plan: Vec<String> = st
                .query_map(params_from_iter(params), |r| r.get::<_, String>(3))
                .unwrap()
                .map(|x| x.unwrap())
                .collect();
            let all = plan.join(" | ");
            assert!(!all.contains("TEMP B-TREE"), "{all}");
            let outer = &plan[0];
            assert!(
                outer.contains("USING INDEX objects_page")
                    || outer.contains("USING INDEX objects_type"),
                "{all}"
            );
            assert!(outer.contains("date_added>?"), "{all}");
        }
        drop(c);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
