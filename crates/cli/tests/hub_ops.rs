//! Operating `reefwatch hub` as a process: the first start's files and
//! their modes, the access log (failed logins marked, no secrets), a
//! prompt and logged stop on SIGTERM, `/healthz`, and administration
//! through `reefwatch hub admin …` (user remove / disable, token list /
//! revoke, collection grants) seen by the running hub.

mod hub_common;
use hub_common::*;
use reefwatch_hub::client::{get_json, TaxiiAuth};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Start a hub with stderr captured: (child, discovery URL, stderr lines).
fn start_logged(data: &Path) -> (Hub, String, mpsc::Receiver<String>) {
    let mut child = Command::new(bin())
        .args(["hub", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .env("REEFWATCH_ADMIN_PASSWORD", "admin-pw")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let hub = Hub(child);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(u) = line.split("listening on ").nth(1) {
            std::thread::spawn(move || for _ in lines {});
            return (hub, u.trim().to_string(), rx);
        }
    }
    panic!("hub exited before listening");
}

fn token(t: &str) -> TaxiiAuth {
    TaxiiAuth {
        token: Some(t.into()),
        ..TaxiiAuth::default()
    }
}

fn basic(u: &str, p: &str) -> TaxiiAuth {
    TaxiiAuth {
        basic: Some((u.into(), p.into())),
        ..TaxiiAuth::default()
    }
}

/// Lines received within `d`.
fn drain(rx: &mpsc::Receiver<String>, d: Duration) -> Vec<String> {
    let end = Instant::now() + d;
    let mut v = Vec::new();
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(l) => v.push(l),
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    v
}

#[cfg(unix)]
#[test]
fn first_start_files_access_log_and_prompt_logged_stop() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let data = tmpdir("hub-ops");
    let (mut hub, url, rx) = start_logged(&data);
    // first start: owner-only directory and database, a commented hub.toml
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("hub.sqlite")), 0o600);
    let toml = std::fs::read_to_string(data.join("hub.toml")).expect("hub.toml written");
    assert!(toml.contains("# listen = \"127.0.0.1:9443\""), "{toml}");
    assert_eq!(mode(&data.join("hub.toml")), 0o600);
    let base = url.trim_end_matches("taxii2/");
    // health without credentials
    let h = get_json(&format!("{base}healthz"), &TaxiiAuth::default()).unwrap();
    assert_eq!(h["store"], "reachable", "{h}");
    // one good request, two failed logins
    get_json(&url, &basic("admin", "admin-pw")).unwrap();
    let e = get_json(&url, &basic("admin", "not-the-pw")).unwrap_err();
    assert_eq!(e.status(), Some(401), "{e}");
    assert!(get_json(&url, &token("rwt_secret_guess")).is_err());
    let log = drain(&rx, Duration::from_millis(500));
    let access: Vec<&String> = log.iter().filter(|l| l.contains(" access ")).collect();
    assert!(
        access
            .iter()
            .any(|l| l.contains("user=admin method=GET path=/taxii2/ status=200")),
        "{log:#?}"
    );
    assert!(
        access.iter().any(|l| l.contains("user=admin")
            && l.contains("status=401")
            && l.contains("login=FAILED reason=\"wrong password\"")),
        "{log:#?}"
    );
    assert!(
        access
            .iter()
            .any(|l| l.contains("user=-") && l.contains("reason=\"unknown or revoked token\"")),
        "{log:#?}"
    );
    assert!(access.iter().all(|l| l.contains(" ms=")), "{log:#?}");
    let all = log.join("\n");
    assert!(
        !all.contains("not-the-pw")
            && !all.contains("rwt_secret_guess")
            && !all.contains("admin-pw")
    );
    assert!(all.contains("reefwatch hub: started"), "{all}");
    // SIGTERM: prompt exit, logged
    let t = Instant::now();
    let st = Command::new("kill")
        .args(["-TERM", &hub.0.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let code = hub.0.wait().unwrap();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(1), "exit took {took:?}");
    assert!(code.success(), "{code:?}");
    let log = drain(&rx, Duration::from_millis(300)).join("\n");
    assert!(log.contains("SIGTERM received: stopping"), "{log}");
    assert!(log.contains("reefwatch hub: stopped"), "{log}");
    // a later start with loosened modes tightens them and says so
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        data.join("hub.sqlite"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (hub, _, rx) = start_logged(&data);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("hub.sqlite")), 0o600);
    drop(hub);
    let log = drain(&rx, Duration::from_millis(300)).join("\n");
    assert!(
        log.contains("tightened permissions of") && log.contains("from 0644 to 0600"),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// Poll until `f` holds (the running hub reloads within ~2 s).
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..50 {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn admin_user_and_token_lifecycle_reaches_a_running_hub() {
    let data = tmpdir("hub-ops-admin");
    let (_hub, url) = start(&data, &[]);
    let base = url.trim_end_matches("taxii2/").to_string();
    let tok_of = |out: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix("api token: "))
            .unwrap()
            .to_string()
    };
    let a1 = tok_of(&admin(
        &data,
        &["admin", "user", "add", "alice", "--org", "a"],
    ));
    let b1 = tok_of(&admin(
        &data,
        &["admin", "user", "add", "bob", "--org", "b"],
    ));
    let ok = |t: &str| get_json(&url, &token(t)).is_ok();
    assert!(eventually(|| ok(&a1) && ok(&b1)));
    // the default collection: closed to alice until granted
    let coll = format!("{base}api1/collections/default/");
    assert_eq!(
        get_json(&coll, &token(&a1)).unwrap_err().status(),
        Some(404)
    );
    admin(
        &data,
        &[
            "admin",
            "collection",
            "grant",
            "default",
            "--read",
            "user:alice",
        ],
    );
    assert!(eventually(|| get_json(&coll, &token(&a1)).is_ok()));
    let c = get_json(&coll, &token(&a1)).unwrap();
    assert_eq!(
        (c["can_read"].as_bool(), c["can_write"].as_bool()),
        (Some(true), Some(false))
    );
    admin(
        &data,
        &[
            "admin",
            "collection",
            "revoke",
            "default",
            "--read",
            "user:alice",
        ],
    );
    assert!(eventually(|| get_json(&coll, &token(&a1)).is_err()));
    // token listing shows ids, never tokens; revoking one by id
    let list = admin(&data, &["admin", "token", "list", "alice"]);
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(!list.contains(&a1));
    let id = list.split_whitespace().nth(1).unwrap().to_string();
    assert!(admin(&data, &["admin", "token", "list"]).contains("user=bob"));
    let out = admin(&data, &["admin", "token", "revoke", "alice", &id]);
    assert!(out.contains("revoked token"), "{out}");
    assert!(eventually(|| !ok(&a1)));
    assert!(admin(&data, &["admin", "token", "list", "alice"]).is_empty());
    // disable and enable bob, then remove him
    admin(&data, &["admin", "user", "disable", "bob"]);
    assert!(eventually(|| !ok(&b1)));
    assert!(admin(&data, &["admin", "list"]).contains("user bob  org=b DISABLED"));
    admin(&data, &["admin", "user", "enable", "bob"]);
    assert!(eventually(|| ok(&b1)));
    assert!(admin(&data, &["admin", "user", "remove", "bob"]).contains("removed user bob"));
    assert!(eventually(|| !ok(&b1)));
    assert!(!admin(&data, &["admin", "list"]).contains("user bob"));
    // faults are reported once, with what and where
    let out = Command::new(bin())
        .args(["hub", "--data"])
        .arg(&data)
        .args(["admin", "user", "remove", "nobody"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        "reefwatch hub: no such user \"nobody\"",
        "{err}"
    );
    let out = Command::new(bin())
        .args(["hub", "--data"])
        .arg(&data)
        .args(["admin", "user", "disable", "admin"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("last enabled administrator"));
    let _ = std::fs::remove_dir_all(&data);
}
