//! The `reefwatch analyze` command line: inputs, EVE destinations, exit
//! statuses and messages.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn td(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(p)
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_reefwatch"))
}

#[test]
fn eve_to_stdout_and_summary_to_stderr() {
    let out = bin()
        .args(["analyze", "--eve", "-", "--summary", "json"])
        .arg(td("core/dnp3_file_read.pcap"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.iter().any(|e| e["event_type"] == "dnp3"));
    assert_eq!(lines.last().unwrap()["event_type"], "stats");
    let summary: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(summary["packets"], 30);
}

#[test]
fn stdin_input() {
    // one thread, and the reader handing chunks to two workers
    for threads in ["1", "2"] {
        let mut child = bin()
            .args(["analyze", "-", "--eve", "none", "--summary", "json"])
            .args(["--threads", threads])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let data = std::fs::read(td("core/modbus_example.pcap")).unwrap();
        child.stdin.take().unwrap().write_all(&data).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["packets"], 100, "threads {threads}");
        assert_eq!(summary["flows"]["total"], 2, "threads {threads}");
        assert_eq!(summary["threads"], threads.parse::<u64>().unwrap());
    }
}

#[test]
fn not_a_capture_exits_2_with_a_clear_message() {
    let out = bin()
        .args(["analyze", "--eve", "none", "-q"])
        .arg(td("../README.md"))
        .arg(td("core/dnp3_file_read.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("README.md") && err.contains("not a capture"),
        "{err}"
    );
}

#[test]
fn truncated_capture_warns_with_offset_and_succeeds() {
    let data = std::fs::read(td("core/iec104_dissect.pcap")).unwrap();
    let path = std::env::temp_dir().join(format!("rw-cli-trunc-{}.pcap", std::process::id()));
    std::fs::write(&path, &data[..data.len() - 10]).unwrap();
    let out = bin()
        .args(["analyze", "--eve", "none", "--summary", "json"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("byte offset"),
        "{err}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["packets"], 146);
}

#[test]
fn a_stream_input_shows_its_events_before_the_input_ends() {
    // `tcpdump -w - | reefwatch analyze -`: the capture arrives and the
    // pipe stays open; its events must come out (flushed by time, at least
    // every second), not be held in a block until the end of input
    for threads in ["1", "2"] {
        let mut child = bin()
            .args(["analyze", "-", "--eve", "-", "-q", "--threads", threads])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(&std::fs::read(td("core/modbus_example.pcap")).unwrap())
            .unwrap();
        stdin.flush().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut seen_modbus = false;
        while !seen_modbus {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|_| {
                panic!("threads {threads}: no modbus event while the input is open")
            });
            let e: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_ne!(e["event_type"], "stats", "threads {threads}: ended early");
            seen_modbus = e["event_type"] == "modbus";
        }
        // the input is still open: the end-of-input events have not come
        drop(stdin);
        let rest: Vec<String> = rx.iter().collect();
        reader.join().unwrap();
        assert!(child.wait().unwrap().success());
        assert!(rest
            .last()
            .is_some_and(|l| l.contains("\"event_type\":\"stats\"")));
    }
}
