//! Shared helpers for the hub process tests: run `reefwatch hub` as a child.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_reefwatch")
}

pub fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("reefwatch-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A hub child process, killed on drop.
pub struct Hub(pub Child);
impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn admin(data: &Path, args: &[&str]) -> String {
    let out = Command::new(bin())
        .args(["hub", "--data"])
        .arg(data)
        .args(args)
        .env("REEFWATCH_ADMIN_PASSWORD", "admin-pw")
        .env("BOB_PW", "bob-pw")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Start `reefwatch hub` on an ephemeral loopback port; returns the child
/// and the discovery URL it prints.
pub fn start(data: &Path, extra: &[&str]) -> (Hub, String) {
    let mut child = Command::new(bin())
        .args(["hub", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .env("REEFWATCH_ADMIN_PASSWORD", "admin-pw")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let hub = Hub(child);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(u) = line.split("listening on ").nth(1) {
            // keep draining stdout so the hub never blocks on a full pipe
            std::thread::spawn(move || for _ in lines {});
            return (hub, u.trim().to_string());
        }
    }
    panic!("hub exited before listening");
}
