//! PostgreSQL backend (tokio-postgres).
//!
//! Same tables and queries as the SQLite backend (see `store/mod.rs`), kept
//! in a schema of their own (`--pg-schema`, default `reefwatch`), so tests
//! can use a fresh schema per run. Durability: a COMMIT with PostgreSQL's
//! default `synchronous_commit = on` has been flushed to the WAL before it
//! returns. Writes are serialised by a transaction-scoped advisory lock, so
//! `date_added` stays strictly increasing and is committed in order even
//! with several hub processes on one database. An envelope is stored with a
//! handful of statements (array parameters + `unnest`), not one per object.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS objects(
  date_added BIGINT PRIMARY KEY,
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  version BIGINT NOT NULL,
  spec_version TEXT NOT NULL,
  is_first BIGINT NOT NULL,
  is_last BIGINT NOT NULL,
  tlp BIGINT NOT NULL,
  producer_org TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_ver ON objects(collection, id, version);
CREATE INDEX IF NOT EXISTS objects_page ON objects(collection, date_added);
CREATE INDEX IF NOT EXISTS objects_type ON objects(collection, type, date_added);
CREATE INDEX IF NOT EXISTS objects_id ON objects(id);
CREATE TABLE IF NOT EXISTS recipients(seq BIGINT NOT NULL, principal TEXT NOT NULL, PRIMARY KEY(seq, principal));
CREATE TABLE IF NOT EXISTS refs(seq BIGINT NOT NULL, target TEXT NOT NULL, PRIMARY KEY(seq, target));
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS status(id TEXT PRIMARY KEY, owner TEXT NOT NULL, json TEXT NOT NULL);
ALTER TABLE status ADD COLUMN IF NOT EXISTS created_us BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS status_created ON status(created_us);
";

const LOCK_KEY: i64 = 0x7265_6566_7761; // "reefwa"

/// Planner statistics: the hub runs `ANALYZE` itself once the rows added
/// since the last one exceed 20% of the table (and at start), so the
/// id lookups and page queries keep their index plans even where
/// autovacuum is off or lagging (without statistics PostgreSQL scanned the
/// whole collection to look up 1,000 ids).
struct AnalyzeState {
    since: u64,
    total: u64,
}

pub struct PgStore {
    analyze: std::sync::Mutex<AnalyzeState>,
    writer: tokio::sync::Mutex<Client>,
    readers: Vec<Client>,
    next: AtomicUsize,
}

fn valid_schema(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 60
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

async fn connect(url: &str, schema: &str) -> Res<Client> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    // jit off: page queries are short index walks whose cost estimate can
    // cross jit_above_cost; JIT compilation then costs ~0.4 s per query.
    client
        .batch_execute(&format!("SET search_path TO {schema}; SET jit = off"))
        .await?;
    Ok(client)
}

fn params(ps: &[Param]) -> Vec<Box<dyn ToSql + Sync + Send>> {
    ps.iter()
        .map(|p| -> Box<dyn ToSql + Sync + Send> {
            match p {
                Param::Int(i) => Box::new(*i),
                Param::Text(t) => Box::new(t.clone()),
                Param::TextList(v) => Box::new(v.clone()),
                Param::IntList(v) => Box::new(v.clone()),
            }
        })
        .collect()
}

fn refs(ps: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    ps.iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

impl PgStore {
    /// Connect, create the schema and tables if needed.
    pub async fn connect(url: &str, schema: &str, readers: usize) -> Res<Self> {
        if !valid_schema(schema) {
            return Err(StoreError::InvalidSchema(schema.to_string()));
        }
        let (admin, conn) = tokio_postgres::connect(url, NoTls).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        // Serialise concurrent schema creation (several tests / processes).
        admin.batch_execute(&format!("SELECT pg_advisory_lock({LOCK_KEY}); CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema};")).await?;
        // (status rows from before `created_us` keep 0 until `put_status`
        // dates them)
        let r = admin.batch_execute(SCHEMA).await;
        admin
            .batch_execute(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
            .await?;
        r?;
        let writer = connect(url, schema).await?;
        let mut rs = Vec::new();
        for _ in 0..readers.max(1) {
            rs.push(connect(url, schema).await?);
        }
        writer
            .batch_execute("ANALYZE objects; ANALYZE refs; ANALYZE recipients")
            .await?;
        let total: i64 = writer
            .query_one("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'objects'::regclass", &[])
            .await?
            .get(0);
        Ok(PgStore {
            analyze: std::sync::Mutex::new(AnalyzeState {
                since: 0,
                total: total as u64,
            }),
            writer: tokio::sync::Mutex::new(writer),
            readers: rs,
            next: AtomicUsize::new(0),
        })
    }

    fn reader(&self) -> &Client {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        &self.readers[i]
    }

    /// Drop a schema (tests).
    pub async fn drop_schema(url: &str, schema: &str) -> Res<()> {
        if !valid_schema(schema) {
            return Err(StoreError::InvalidSchema(schema.to_string()));
        }
        let (c, conn) = tokio_postgres::connect(url, NoTls).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .await?;
        Ok(())
    }
}

async fn add_tx(c: &mut Client, collection: &str, objs: &[NewObject]) -> Res<Vec<AddOutcome>> {
    let tx = c.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    let last: i64 = tx
        .query_one(
            "SELECT coalesce(max(date_added), 0)::bigint FROM objects",
            &[],
        )
        .await?
        .get(0);
    let mut ids: Vec<String> = objs.iter().map(|o| o.id.clone()).collect();
    ids.sort();
    ids.dedup();
    let mut existing: HashMap<String, Vec<i64>> = HashMap::new();
    for r in tx
        .query(
            "SELECT id, version FROM objects WHERE collection = $1 AND id = ANY($2)",
            &[&collection, &ids],
        )
        .await?
    {
        existing.entry(r.get(0)).or_default().push(r.get(1));
    }
    let p = plan(objs, &existing, last, crate::time::now_micros());
    if !p.clear_first.is_empty() {
        tx.execute("UPDATE objects SET is_first = 0 WHERE collection = $1 AND id = ANY($2) AND is_first = 1", &[&collection, &p.clear_first]).await?;
    }
    if !p.clear_last.is_empty() {
        tx.execute(
            "UPDATE objects SET is_last = 0 WHERE collection = $1 AND id = ANY($2) AND is_last = 1",
            &[&collection, &p.clear_last],
        )
        .await?;
    }
    if !p.inserts.is_empty() {
        let n = p.inserts.len();
        let (mut da, mut id, mut ty, mut ver, mut sv, mut fi, mut la, mut tlp, mut org, mut js) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut rseq, mut rprin, mut fseq, mut ftgt) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &(i, d, v, f, l) in &p.inserts {
            let o = &objs[i];
            da.push(d);
            id.push(o.id.as_str());
            ty.push(o.typ.as_str());
            ver.push(v);
            sv.push(o.spec_version.as_str());
            fi.push(f as i64);
            la.push(l as i64);
            tlp.push(o.tlp as i64);
            org.push(o.org.as_str());
            js.push(o.json.as_str());
            if o.tlp >= crate::stixv::TLP_RED {
                for r in &o.recipients {
                    rseq.push(d);
                    rprin.push(r.as_str());
                }
            }
            for t in &o.refs {
                fseq.push(d);
                ftgt.push(t.as_str());
            }
        }
        tx.execute(
            "INSERT INTO objects(date_added, collection, id, type, version, spec_version, is_first, is_last, tlp, producer_org, json) \
             SELECT u.d, $1, u.i, u.t, u.v, u.s, u.f, u.l, u.p, u.o, u.j FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::text[]) AS u(d, i, t, v, s, f, l, p, o, j)",
            &[&collection, &da, &id, &ty, &ver, &sv, &fi, &la, &tlp, &org, &js],
        )
        .await?;
        if !rseq.is_empty() {
            tx.execute("INSERT INTO recipients(seq, principal) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT DO NOTHING", &[&rseq, &rprin]).await?;
        }
        if !fseq.is_empty() {
            tx.execute("INSERT INTO refs(seq, target) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT DO NOTHING", &[&fseq, &ftgt]).await?;
        }
    }
    tx.commit().await?;
    Ok(p.outcomes)
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn ping(&self) -> BoxFut<'_, ()> {
        Box::pin(async move {
            self.reader().simple_query("SELECT 1").await?;
            Ok(())
        })
    }

    fn meta_all(&self) -> BoxFut<'_, Vec<(String, String)>> {
        Box::pin(async move {
            let rows = self
                .reader()
                .query("SELECT key, value FROM meta ORDER BY key", &[])
                .await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn meta_put(&self, key: String, value: String) -> BoxFut<'_, ()> {
        Box::pin(async move {
            let c = self.writer.lock().await;
            c.execute("INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", &[&key, &value]).await?;
            Ok(())
        })
    }

    fn meta_delete(&self, key: String) -> BoxFut<'_, bool> {
        Box::pin(async move {
            let c = self.writer.lock().await;
            Ok(c.execute("DELETE FROM meta WHERE key = $1", &[&key])
                .await?
                > 0)
        })
    }

    fn add_objects(&self, collection: String, objs: Vec<NewObject>) -> BoxFut<'_, Vec<AddOutcome>> {
        Box::pin(async move {
            let mut c = self.writer.lock().await;
            let out = add_tx(&mut c, &collection, &objs).await?;
            let added = out
                .iter()
                .filter(|o| matches!(o, AddOutcome::Added { .. }))
                .count() as u64;
            let run = match self.analyze.lock() {
                Ok(mut a) => {
                    a.since += added;
                    if a.since >= 1000 && a.since * 5 >= a.total {
                        a.total += a.since;
                        a.since = 0;
                        true
                    } else {
                        false
                    }
                }
                Err(_) => false,
            };
            if run {
                c.batch_execute("ANALYZE objects; ANALYZE refs; ANALYZE recipients")
                    .await?;
            }
            Ok(out)
        })
    }

    fn query(&self, q: Query) -> BoxFut<'_, Page> {
        Box::pin(async move {
            let sql = build_query(&q, true);
            let ps = params(&sql.params);
            let c = self.reader();
            let st = c.prepare(&sql.text).await?;
            let rows = c.query(&st, &refs(&ps)).await?;
            let mut out: Vec<Row> = rows
                .iter()
                .map(|r| Row {
                    date_added: r.get(0),
                    id: r.get(1),
                    version: r.get(2),
                    spec_version: r.get(3),
                    producer_org: r.get(4),
                    tlp: r.get::<_, i64>(5).clamp(0, 4) as u8,
                    json: if q.with_json { Some(r.get(6)) } else { None },
                })
                .collect();
            let more = out.len() > q.limit;
            out.truncate(q.limit);
            Ok(Page { rows: out, more })
        })
    }

    fn delete_rows(&self, collection: String, id: String, rows: Vec<i64>) -> BoxFut<'_, u64> {
        Box::pin(async move {
            let mut c = self.writer.lock().await;
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
                .await?;
            let n = tx.execute("DELETE FROM objects WHERE date_added = ANY($1) AND collection = $2 AND id = $3", &[&rows, &collection, &id]).await?;
            tx.execute("DELETE FROM recipients WHERE seq = ANY($1)", &[&rows])
                .await?;
            tx.execute("DELETE FROM refs WHERE seq = ANY($1)", &[&rows])
                .await?;
            tx.execute(
                &format!("{RECOMPUTE_FLAGS} $1 AND id = $2"),
                &[&collection, &id],
            )
            .await?;
            tx.commit().await?;
            Ok(n)
        })
    }

    fn put_status(&self, st: NewStatus, expire_before_us: i64) -> BoxFut<'_, u64> {
        Box::pin(async move {
            let mut c = self.writer.lock().await;
            let tx = c.transaction().await?;
            tx.execute("INSERT INTO status(id, owner, json, created_us) VALUES ($1, $2, $3, $4) ON CONFLICT(id) DO UPDATE SET json = excluded.json", &[&st.id, &st.owner, &st.json, &st.created_us]).await?;
            // written by an older hub version sharing the database
            tx.execute(
                "UPDATE status SET created_us = $1 WHERE created_us = 0",
                &[&st.created_us],
            )
            .await?;
            tx.commit().await?;
            // rows another hub process is deleting are skipped, not waited
            // for (no lock-order deadlock between two expiring processes)
            let expired = c
                .execute(
                    "DELETE FROM status WHERE id IN (SELECT id FROM status \
                     WHERE created_us < $1 ORDER BY created_us LIMIT $2 FOR UPDATE SKIP LOCKED)",
                    &[&expire_before_us, &STATUS_EXPIRE_BATCH],
                )
                .await;
            Ok(expired.unwrap_or_else(|e| expire_failed(&e)))
        })
    }

    fn get_status(&self, id: String) -> BoxFut<'_, Option<(String, String)>> {
        Box::pin(async move {
            let r = self
                .reader()
                .query_opt("SELECT owner, json FROM status WHERE id = $1", &[&id])
                .await?;
            Ok(r.map(|r| (r.get(0), r.get(1))))
        })
    }

    fn stats(&self, collection: String) -> BoxFut<'_, Vec<StatRow>> {
        Box::pin(async move {
            let rows = self.reader().query("SELECT type, tlp, count(*)::bigint FROM objects WHERE collection = $1 GROUP BY type, tlp ORDER BY type, tlp", &[&collection]).await?;
            Ok(rows
                .iter()
                .map(|r| StatRow {
                    typ: r.get(0),
                    tlp: r.get::<_, i64>(1).clamp(0, 4) as u8,
                    count: r.get(2),
                })
                .collect())
        })
    }
}
