//! TAXII 2.1 endpoint behaviour, access control and TLP, on both backends
//! (SQLite in a temp dir; PostgreSQL at REEFWATCH_PG_URL in a fresh schema).

mod common;
use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{json, Value};

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name("sqlite").await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name("postgres").await
            }
        }
    };
}

both!(discovery_roots_collections);
both!(post_status_get_paginate);
both!(versions_and_match_filters);
both!(delete_objects);
both!(errors_401_403_404_406_415_400);
both!(tlp_enforced_before_pagination);
both!(anonymise_created_by);

const OBJ: &str = "/api1/collections/c1/objects/";

async fn discovery_roots_collections(backend: &str) {
    let h = hub(backend).await;
    let r = get(&h.app, "/taxii2/", "carol").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], TAXII);
    assert_eq!(r.json()["api_roots"], json!(["/api1/"]));
    let r = get(&h.app, "/api1/", "carol").await;
    assert_eq!(r.json()["versions"], json!([TAXII]));
    let r = get(&h.app, "/api1/collections/", "carol").await;
    let cols = r.json()["collections"].as_array().unwrap().clone();
    let ro = cols.iter().find(|c| c["id"] == COLL_RO).unwrap();
    assert_eq!(
        (ro["can_read"].clone(), ro["can_write"].clone()),
        (json!(true), json!(false))
    );
    // the bootstrap collection is owner-only: not listed for carol
    assert!(
        !cols.iter().any(|c| c["title"] == "default"),
        "bootstrap collection is not open to everyone"
    );
    let r = get(&h.app, "/api1/collections/c1/", "carol").await;
    assert_eq!(
        r.json()["media_types"],
        json!(["application/stix+json;version=2.1"])
    );
    // HTTP Basic with the salted KDF password
    let basic = format!("Basic {}", "YWxpY2U6YWxpY2Vwdw=="); // alice:alicepw
    let r = call(
        &h.app,
        Method::GET,
        "/taxii2/",
        None,
        &[("authorization", &basic)],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let wrong = format!("Basic {}", "YWxpY2U6d3Jvbmc="); // alice:wrong
    let r = call(
        &h.app,
        Method::GET,
        "/taxii2/",
        None,
        &[("authorization", &wrong)],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    h.cleanup().await;
}

async fn post_status_get_paginate(backend: &str) {
    let h = hub(backend).await;
    let mut objs: Vec<Value> = (0..25)
        .map(|i| indicator(i, "2020-01-01T00:00:00.000Z", &[]))
        .collect();
    objs.push(json!({"type": "indicator", "id": "indicator--nope"}));
    let r = post(&h.app, COLL, "alice", objs.clone()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let st = r.json();
    assert_eq!(st["status"], "complete");
    assert_eq!(st["total_count"], 26);
    assert_eq!(st["success_count"], 25);
    assert_eq!(st["failure_count"], 1);
    assert_eq!(st["failures"][0]["id"], "indicator--nope");
    // status resource, owner only
    let sid = st["id"].as_str().unwrap();
    let r = get(&h.app, &format!("/api1/status/{sid}/"), "alice").await;
    assert_eq!(r.json()["success_count"], 25);
    assert_eq!(
        get(&h.app, &format!("/api1/status/{sid}/"), "bob")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // idempotent re-post
    let r = post(&h.app, COLL, "alice", objs[..3].to_vec()).await;
    assert_eq!(r.json()["success_count"], 3);
    assert_eq!(r.json()["successes"][0]["message"], "already present");
    // paginate 10 at a time, date_added order, headers
    let mut seen = Vec::new();
    let mut uri = format!("{OBJ}?limit=10");
    let mut pages = 0;
    let mut last_hdr = String::new();
    loop {
        let r = get(&h.app, &uri, "bob").await;
        assert_eq!(r.status, StatusCode::OK);
        let j = r.json();
        let first = r.headers["x-taxii-date-added-first"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(first > last_hdr, "pages in date_added order");
        last_hdr = r.headers["x-taxii-date-added-last"]
            .to_str()
            .unwrap()
            .to_string();
        seen.extend(r.ids());
        pages += 1;
        if j["more"] == json!(true) {
            uri = format!("{OBJ}?limit=10&next={}", j["next"].as_str().unwrap());
        } else {
            assert!(j.get("next").is_none());
            break;
        }
    }
    assert_eq!(pages, 3);
    let want: Vec<String> = (0..25).map(|i| format!("indicator--{}", uuid(i))).collect();
    assert_eq!(
        seen, want,
        "every object once, in date_added (= post) order"
    );
    // added_after with the last header of the first page
    let r = get(&h.app, &format!("{OBJ}?limit=10"), "bob").await;
    let after = r.headers["x-taxii-date-added-last"]
        .to_str()
        .unwrap()
        .to_string();
    let r = get(&h.app, &format!("{OBJ}?added_after={after}"), "bob").await;
    assert_eq!(r.ids(), want[10..].to_vec());
    // next re-authorised: a user without read access cannot use it
    let r = get(&h.app, &format!("{OBJ}?limit=10"), "bob").await;
    let next = r.json()["next"].as_str().unwrap().to_string();
    assert_eq!(
        get(&h.app, &format!("{OBJ}?next={next}"), "nobody")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // a next token is bound to its collection
    let r = get(
        &h.app,
        &format!("/api1/collections/{COLL_RO}/objects/?next={next}"),
        "bob",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // manifest
    let r = get(&h.app, "/api1/collections/c1/manifest/?limit=5", "bob").await;
    let m = r.json();
    assert_eq!(m["objects"].as_array().unwrap().len(), 5);
    assert_eq!(m["objects"][0]["version"], "2020-01-01T00:00:00.000Z");
    assert_eq!(
        m["objects"][0]["media_type"],
        "application/stix+json;version=2.1"
    );
    assert_eq!(m["more"], true);
    // single object
    let r = get(&h.app, &format!("{OBJ}{}/", want[3]), "bob").await;
    assert_eq!(r.ids(), vec![want[3].clone()]);
    h.cleanup().await;
}

async fn versions_and_match_filters(backend: &str) {
    let h = hub(backend).await;
    let v = [
        "2020-01-01T00:00:00.000Z",
        "2021-01-01T00:00:00.000Z",
        "2022-01-01T00:00:00.000Z",
    ];
    // post versions out of order, in two envelopes
    post(
        &h.app,
        COLL,
        "alice",
        vec![indicator(1, v[1], &[]), malware(9)],
    )
    .await;
    post(
        &h.app,
        COLL,
        "alice",
        vec![
            indicator(1, v[2], &[]),
            indicator(1, v[0], &[]),
            indicator(2, v[0], &[]),
        ],
    )
    .await;
    let id1 = format!("indicator--{}", uuid(1));
    let r = get(&h.app, &format!("{OBJ}{id1}/versions/"), "bob").await;
    let mut vs: Vec<String> = r.json()["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    vs.sort();
    assert_eq!(vs, v.to_vec());
    let ver = |r: &Resp| {
        r.objects()
            .iter()
            .map(|o| o["modified"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // default = last
    let r = get(&h.app, &format!("{OBJ}?match[id]={id1}"), "bob").await;
    assert_eq!(ver(&r), vec![v[2]]);
    let r = get(
        &h.app,
        &format!("{OBJ}?match[id]={id1}&match[version]=first"),
        "bob",
    )
    .await;
    assert_eq!(ver(&r), vec![v[0]]);
    let r = get(
        &h.app,
        &format!("{OBJ}?match[id]={id1}&match[version]=all"),
        "bob",
    )
    .await;
    assert_eq!(r.objects().len(), 3);
    let r = get(
        &h.app,
        &format!("{OBJ}?match[id]={id1}&match[version]={}", v[1]),
        "bob",
    )
    .await;
    assert_eq!(ver(&r), vec![v[1]]);
    let r = get(
        &h.app,
        &format!("{OBJ}?match[id]={id1}&match[version]=first,last"),
        "bob",
    )
    .await;
    assert_eq!(r.objects().len(), 2);
    let r = get(&h.app, &format!("{OBJ}?match[type]=malware"), "bob").await;
    assert_eq!(r.ids(), vec![format!("malware--{}", uuid(9))]);
    let r = get(
        &h.app,
        &format!("{OBJ}?match[type]=indicator&match[spec_version]=2.1"),
        "bob",
    )
    .await;
    assert_eq!(r.objects().len(), 2);
    let r = get(&h.app, &format!("{OBJ}?match[spec_version]=2.0"), "bob").await;
    assert_eq!(r.objects().len(), 0);
    assert_eq!(r.json(), json!({"more": false}));
    let r = get(
        &h.app,
        &format!(
            "{OBJ}?match%5Bid%5D={id1},indicator--{}&match[version]=last",
            uuid(2)
        ),
        "bob",
    )
    .await;
    assert_eq!(r.objects().len(), 2);
    // object endpoint with version filter
    let r = get(&h.app, &format!("{OBJ}{id1}/?match[version]=all"), "bob").await;
    assert_eq!(r.objects().len(), 3);
    h.cleanup().await;
}

async fn delete_objects(backend: &str) {
    let h = hub(backend).await;
    let v = ["2020-01-01T00:00:00.000Z", "2021-01-01T00:00:00.000Z"];
    post(
        &h.app,
        COLL,
        "alice",
        vec![
            indicator(1, v[0], &[]),
            indicator(1, v[1], &[]),
            indicator(2, v[0], &[]),
        ],
    )
    .await;
    let id1 = format!("indicator--{}", uuid(1));
    // delete the latest version: the earlier one becomes "last"
    let r = call(
        &h.app,
        Method::DELETE,
        &format!("{OBJ}{id1}/?match[version]={}", v[1]),
        Some("bob"),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = get(&h.app, &format!("{OBJ}{id1}/"), "bob").await;
    assert_eq!(r.objects()[0]["modified"], v[0]);
    let r = call(
        &h.app,
        Method::DELETE,
        &format!("{OBJ}{id1}/"),
        Some("bob"),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        get(&h.app, &format!("{OBJ}{id1}/"), "bob").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(
            &h.app,
            Method::DELETE,
            &format!("{OBJ}{id1}/"),
            Some("bob"),
            &[],
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // read-only collection: delete forbidden
    let r = call(
        &h.app,
        Method::DELETE,
        &format!("/api1/collections/{COLL_RO}/objects/{id1}/"),
        Some("bob"),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(get(&h.app, OBJ, "bob").await.objects().len(), 1);
    h.cleanup().await;
}

async fn errors_401_403_404_406_415_400(backend: &str) {
    let h = hub(backend).await;
    let a = &h.app;
    let check = |r: &Resp, code: u16| {
        assert_eq!(r.status.as_u16(), code, "{}", r.body);
        assert_eq!(r.headers["content-type"], TAXII);
        assert_eq!(r.json()["http_status"], code.to_string());
        assert!(r.json()["title"].is_string());
    };
    check(
        &call(a, Method::GET, "/taxii2/", None, &[], None).await,
        401,
    );
    check(&get(a, "/taxii2/", "nobody").await, 401);
    check(
        &post(
            a,
            COLL_RO,
            "bob",
            vec![indicator(1, "2020-01-01T00:00:00Z", &[])],
        )
        .await,
        403,
    );
    check(&get(a, "/api1/collections/nope/objects/", "bob").await, 404);
    check(&get(a, "/api2/", "bob").await, 404);
    check(
        &get(a, &format!("{OBJ}indicator--{}/", uuid(77)), "bob").await,
        404,
    );
    check(
        &call(
            a,
            Method::GET,
            OBJ,
            Some("bob"),
            &[("accept", "application/json")],
            None,
        )
        .await,
        406,
    );
    check(
        &call(
            a,
            Method::GET,
            OBJ,
            Some("bob"),
            &[("accept", "application/taxii+json;version=2.0")],
            None,
        )
        .await,
        406,
    );
    let r = call(a, Method::POST, OBJ, Some("bob"), &[], None).await; // no content type
    check(&r, 415);
    for q in [
        "limit=-1",
        "added_after=2020",
        "match[version]=latest",
        "match[id]=x",
        "match[colour]=red",
        "next=!!!",
    ] {
        check(&get(a, &format!("{OBJ}?{q}"), "bob").await, 400);
    }
    let r = call(
        a,
        Method::POST,
        OBJ,
        Some("bob"),
        &[("content-type", TAXII)],
        None,
    )
    .await;
    check(&r, 400);
    h.cleanup().await;
}

async fn tlp_enforced_before_pagination(backend: &str) {
    let h = hub(backend).await;
    let g = indicator(1, "2020-01-01T00:00:00.000Z", &[TLP2_GREEN]);
    let am = indicator(2, "2020-01-01T00:00:00.000Z", &[TLP1_AMBER]); // TLP 1.0 id on input
    let st = indicator(3, "2020-01-01T00:00:00.000Z", &[TLP2_AMBER_STRICT]);
    let mut red = indicator(4, "2020-01-01T00:00:00.000Z", &[TLP2_RED]);
    red["x_reefwatch_recipients"] = json!(["user:bob", DAVE_ID]);
    let rel = json!({"type": "relationship", "spec_version": "2.1", "id": format!("relationship--{}", uuid(5)),
        "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
        "relationship_type": "indicates", "source_ref": st["id"], "target_ref": format!("malware--{}", uuid(6)),
        "object_marking_refs": [TLP2_GREEN]});
    let mut red1 = indicator(7, "2020-01-01T00:00:00.000Z", &[TLP1_RED]);
    red1["x_reefwatch_recipients"] = json!(["org:c"]);
    let r = post(
        &h.app,
        COLL,
        "alice",
        vec![g, am, st, red, rel, red1, malware(6)],
    )
    .await;
    assert_eq!(r.json()["success_count"], 7, "{}", r.body);
    let n = |i: u32| format!("indicator--{}", uuid(i));
    let relid = format!("relationship--{}", uuid(5));
    let mal = format!("malware--{}", uuid(6));
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "alice",
            vec![n(1), n(2), n(3), n(4), n(7), relid.clone(), mal.clone()],
        ), // the submitter is always a RED recipient
        ("alice2", vec![n(1), n(2), n(3), relid.clone(), mal.clone()]), // same org: no RED
        ("bob", vec![n(1), n(2), n(4), mal.clone()]), // partner org: AMBER yes, STRICT no, named RED; rel hidden
        ("carol", vec![n(1), n(7), mal.clone()]),     // other org: green + RED to org:c
        ("dave", vec![n(1), n(4), n(7), mal.clone()]), // RED by identity id
        ("root", vec![n(1), mal.clone()]),            // admin of org hub: TLP applies too
    ];
    for (u, want) in &cases {
        let r = get(&h.app, OBJ, u).await;
        assert_eq!(sorted(r.ids()), sorted(want.clone()), "user {u}");
        // TLP applied before pagination: pages of 1 walk exactly the visible set
        let mut got = Vec::new();
        let mut uri = format!("{OBJ}?limit=1");
        for _ in 0..20 {
            let r = get(&h.app, &uri, u).await;
            let j = r.json();
            assert!(
                r.objects().len() == 1,
                "{u}: every page is full: {}",
                r.body
            );
            got.extend(r.ids());
            match j["next"].as_str() {
                Some(nx) if j["more"] == json!(true) => uri = format!("{OBJ}?limit=1&next={nx}"),
                _ => break,
            }
        }
        assert_eq!(sorted(got), sorted(want.clone()), "paged, user {u}");
        // manifest, single-object and versions endpoints filter the same way
        let r = get(&h.app, "/api1/collections/c1/manifest/", u).await;
        assert_eq!(r.objects().len(), want.len(), "manifest {u}");
        let code = get(&h.app, &format!("{OBJ}{}/", n(3)), u).await.status;
        assert_eq!(code == StatusCode::OK, want.contains(&n(3)), "object {u}");
        let code = get(&h.app, &format!("{OBJ}{}/versions/", n(4)), u)
            .await
            .status;
        assert_eq!(code == StatusCode::OK, want.contains(&n(4)), "versions {u}");
    }
    // a reader cannot delete what it cannot see
    let r = call(
        &h.app,
        Method::DELETE,
        &format!("{OBJ}{}/", n(3)),
        Some("carol"),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&h.app, &format!("{OBJ}{}/", n(3)), "alice")
            .await
            .status,
        StatusCode::OK
    );
    h.cleanup().await;
}

async fn anonymise_created_by(backend: &str) {
    let h = hub(backend).await;
    let ident = "identity--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
    let mut o = indicator(1, "2020-01-01T00:00:00.000Z", &[]);
    o["created_by_ref"] = json!(ident);
    post(&h.app, COLL_ANON, "alice", vec![o.clone()]).await;
    post(&h.app, COLL, "alice", vec![o]).await;
    let uri = format!("/api1/collections/{COLL_ANON}/objects/");
    assert_eq!(
        get(&h.app, &uri, "alice2").await.objects()[0]["created_by_ref"],
        ident,
        "same org sees the producer"
    );
    let other = get(&h.app, &uri, "bob").await.objects()[0]["created_by_ref"].clone();
    assert_ne!(other, json!(ident));
    assert_eq!(other, json!(h.state.meta().hub.identity));
    assert_eq!(
        get(&h.app, OBJ, "bob").await.objects()[0]["created_by_ref"],
        ident,
        "only where configured"
    );
    h.cleanup().await;
}

both!(dashboard_counts_for_admins);

async fn dashboard_counts_for_admins(backend: &str) {
    let h = hub(backend).await;
    post(
        &h.app,
        COLL,
        "alice",
        vec![
            indicator(1, "2020-01-01T00:00:00.000Z", &[TLP2_AMBER]),
            indicator(2, "2020-01-01T00:00:00.000Z", &[]),
            malware(3),
        ],
    )
    .await;
    let r = call(
        &h.app,
        Method::GET,
        "/dashboard/",
        Some("root"),
        &[("accept", "text/html")],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(
        r.body
            .contains("<td>indicator</td><td>TLP:AMBER</td><td>1</td>"),
        "{}",
        r.body
    );
    assert!(r
        .body
        .contains("<td>indicator</td><td>TLP:CLEAR</td><td>1</td>"));
    assert!(r
        .body
        .contains("<td>malware</td><td>TLP:CLEAR</td><td>1</td>"));
    assert!(r.body.contains("3 objects"));
    let r = call(
        &h.app,
        Method::GET,
        "/dashboard/",
        Some("carol"),
        &[("accept", "text/html")],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    h.cleanup().await;
}

both!(status_resources_expire);

/// A status resource is deleted once older than the retention, when the
/// next one is stored; younger ones and the new one stay.
async fn status_resources_expire(backend: &str) {
    use reefwatch_hub::store::NewStatus;
    let (store, schema, dir) = open(backend).await;
    let st = |id: &str, created_us: i64| NewStatus {
        id: id.into(),
        owner: "alice".into(),
        json: format!("{{\"id\":\"{id}\"}}"),
        created_us,
    };
    const H: i64 = 3_600_000_000;
    let t0 = 1_700_000_000_000_000i64;
    assert_eq!(
        store.put_status(st("old", t0), t0 - 24 * H).await.unwrap(),
        0
    );
    assert_eq!(
        store
            .put_status(st("mid", t0 + 20 * H), t0 - 4 * H)
            .await
            .unwrap(),
        0
    );
    // replacing updates the resource and keeps its creation time (the
    // cutoff below, between t0 and t0 + 20 h, then deletes it)
    let replaced = NewStatus {
        json: "{\"id\":\"old\",\"status\":\"complete\"}".into(),
        ..st("old", t0 + 30 * H)
    };
    assert_eq!(store.put_status(replaced, t0 - 4 * H).await.unwrap(), 0);
    let got = store.get_status("old".into()).await.unwrap();
    assert_eq!(
        got,
        Some((
            "alice".into(),
            "{\"id\":\"old\",\"status\":\"complete\"}".into()
        ))
    );
    // cutoff between "old" and "mid"
    assert_eq!(
        store
            .put_status(st("new", t0 + 48 * H), t0 + H)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.get_status("old".into()).await.unwrap(), None);
    assert!(store.get_status("mid".into()).await.unwrap().is_some());
    assert!(store.get_status("new".into()).await.unwrap().is_some());
    // a backlog goes in bounded batches, oldest first
    let batch = reefwatch_hub::store::STATUS_EXPIRE_BATCH;
    for i in 0..batch + 2 {
        let id = format!("b{i}");
        assert_eq!(store.put_status(st(&id, t0 + i), 0).await.unwrap(), 0);
    }
    let cut = t0 + 100 * H;
    assert_eq!(
        store.put_status(st("n1", cut), cut).await.unwrap() as i64,
        batch
    );
    assert!(store
        .get_status(format!("b{}", batch - 1))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .get_status(format!("b{batch}"))
        .await
        .unwrap()
        .is_some());
    // the rest, and "mid" and "new"
    assert_eq!(store.put_status(st("n2", cut), cut).await.unwrap(), 4);
    assert!(store.get_status("n1".into()).await.unwrap().is_some());
    drop(store);
    if let Some(s) = &schema {
        reefwatch_hub::store::pg::PgStore::drop_schema(&pg_url(), s)
            .await
            .expect("drop schema");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database from before status rows had a creation time: it opens, its
/// rows stay readable and the next stored status dates them.
#[tokio::test]
async fn status_table_of_an_earlier_version_is_migrated() {
    use reefwatch_hub::store::{sqlite::SqliteStore, NewStatus, Store};
    let dir = std::env::temp_dir().join(format!("reefwatch-hub-test-{}", unique("migrate")));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hub.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE status(id TEXT PRIMARY KEY, owner TEXT NOT NULL, json TEXT NOT NULL);
             INSERT INTO status VALUES ('s1', 'alice', '{}');",
        )
        .unwrap();
    }
    let before = reefwatch_hub::time::now_micros();
    let store = SqliteStore::open(&path, 1).unwrap();
    assert_eq!(
        store.get_status("s1".into()).await.unwrap(),
        Some(("alice".into(), "{}".into()))
    );
    let st = NewStatus {
        id: "s2".into(),
        owner: "bob".into(),
        json: "{}".into(),
        created_us: before,
    };
    // dated by this put (at `before`): a cutoff before keeps it, one after deletes it
    assert_eq!(store.put_status(st.clone(), before - 1).await.unwrap(), 0);
    assert!(store.get_status("s1".into()).await.unwrap().is_some());
    // a row an older hub still running on this database writes (no time):
    // dated by the next put, not expired at once
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO status(id, owner, json) VALUES ('s0', 'carol', '{}')",
            [],
        )
        .unwrap();
    assert_eq!(store.put_status(st.clone(), before - 1).await.unwrap(), 0);
    assert!(store.get_status("s0".into()).await.unwrap().is_some());
    let later = reefwatch_hub::time::now_micros() + 1;
    assert_eq!(store.put_status(st, later).await.unwrap(), 3);
    assert_eq!(store.get_status("s1".into()).await.unwrap(), None);
    drop(store);
    // and it opens again (the migration runs once)
    let store = SqliteStore::open(&path, 1).unwrap();
    assert_eq!(store.get_status("s2".into()).await.unwrap(), None);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

both!(default_collection_is_owner_only_with_an_alias);

/// The first start's collection: administrators only until granted, and
/// reachable as `/api1/collections/default/` as well as by its id.
async fn default_collection_is_owner_only_with_an_alias(backend: &str) {
    let h = hub(backend).await;
    let r = get(&h.app, "/api1/collections/default/", "root").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_ne!(id, "default");
    assert_eq!(r.json()["alias"], "default");
    let by_id = get(&h.app, &format!("/api1/collections/{id}/"), "root").await;
    assert_eq!(by_id.json()["id"], id.as_str());
    // written through the alias, read through the id
    let w = post(
        &h.app,
        "default",
        "root",
        vec![indicator(9, "2020-01-01T00:00:00Z", &[])],
    )
    .await;
    assert_eq!(w.status, StatusCode::ACCEPTED, "{}", w.body);
    let objs = get(&h.app, &format!("/api1/collections/{id}/objects/"), "root").await;
    assert_eq!(objs.objects().len(), 1);
    // others: it does not exist for them
    for u in ["carol", "alice"] {
        assert_eq!(
            get(&h.app, "/api1/collections/default/", u).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            post(
                &h.app,
                "default",
                u,
                vec![indicator(10, "2020-01-01T00:00:00Z", &[])]
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
    }
    h.cleanup().await;
}

both!(every_error_body_is_taxii_json);

/// 413 (body over max_content_length, with and without Content-Length),
/// 405 and path rejections: TAXII error message objects, like the rest.
async fn every_error_body_is_taxii_json(backend: &str) {
    let h = hub_with(
        backend,
        reefwatch_hub::server::Settings {
            max_content_length: 2048,
            ..Default::default()
        },
    )
    .await;
    let big: Vec<Value> = (0..40)
        .map(|i| indicator(i, "2020-01-01T00:00:00Z", &[]))
        .collect();
    let r = post(&h.app, COLL, "alice", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.headers["content-type"], TAXII);
    assert_eq!(r.json()["http_status"], "413");
    assert!(
        r.json()["description"].as_str().unwrap().contains("2048"),
        "{}",
        r.body
    );
    let r = call(&h.app, Method::PUT, OBJ, Some("alice"), &[], None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers["content-type"], TAXII);
    assert_eq!(r.json()["http_status"], "405");
    let r = get(&h.app, "/nowhere/at/all/", "alice").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["http_status"], "404");
    // one fault, said once
    let r = get(&h.app, &format!("{OBJ}?limit=0"), "alice").await;
    assert_eq!(r.json()["description"], "limit: not a positive integer");
    h.cleanup().await;
}

both!(healthz_unauthenticated_and_disabled_users);

async fn healthz_unauthenticated_and_disabled_users(backend: &str) {
    let h = hub(backend).await;
    let r = call(&h.app, Method::GET, "/healthz", None, &[], None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "ok");
    assert_eq!(r.json()["backend"], backend);
    assert_eq!(r.json()["store"], "reachable");
    // a disabled user's token stops working
    let mut u = h.state.meta().users["bob"].clone();
    u.disabled = true;
    h.state
        .store
        .meta_put("user:bob".into(), serde_json::to_string(&u).unwrap())
        .await
        .unwrap();
    h.state.reload().await;
    assert_eq!(
        get(&h.app, "/taxii2/", "bob").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&h.app, "/taxii2/", "carol").await.status,
        StatusCode::OK
    );
    h.cleanup().await;
}
