//! No silent loss of output: EVE write failures are reported, give a
//! non-zero exit (also with `-q`), and leave whole lines only; the exit
//! codes README states.
use std::path::PathBuf;
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_reefwatch")
}

fn cap(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/capture")
        .join(name)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rw-eve-out-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> (i32, String) {
    let o = Command::new(bin()).args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn dev_full_is_an_error_even_quiet() {
    let c = cap("bigendian-smb.pcap");
    for q in [false, true] {
        let mut args = vec!["analyze", "--eve", "/dev/full", c.to_str().unwrap()];
        if q {
            args.push("-q");
        }
        let (code, err) = run(&args);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("writing EVE to /dev/full failed"), "{err}");
    }
}

#[test]
fn file_size_limit_leaves_whole_lines() {
    // RLIMIT_FSIZE stands in for a full disk, unprivileged: writes past
    // 4 KiB fail with EFBIG (SIGXFSZ ignored, which exec keeps)
    if Command::new("bash").arg("-c").arg("true").status().is_err() {
        eprintln!("skipped: no bash");
        return;
    }
    let d = tmp("fsize");
    let eve = d.join("eve.json");
    let caps: Vec<String> = std::fs::read_dir(cap(""))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .map(|p| p.display().to_string())
        .collect();
    let script = format!(
        "trap '' XFSZ; ulimit -f 4; exec \"$0\" analyze -q --eve {} {}",
        eve.display(),
        caps.join(" ")
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(bin())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("File too large"), "{err}");
    let text = std::fs::read_to_string(&eve).unwrap();
    assert!(!text.is_empty() && text.len() < 4096, "{}", text.len());
    assert!(text.ends_with('\n'));
    for l in text.lines() {
        serde_json::from_str::<serde_json::Value>(l).expect("a whole EVE line");
    }
}

#[test]
fn exit_codes_as_documented() {
    let d = tmp("codes");
    let good = cap("bigendian-smb.pcap");
    let good = good.to_str().unwrap();
    let eve = d.join("e.json");
    let eve = eve.to_str().unwrap();
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let trunc = cap("truncated-bacnet.pcap");
    let trunc = trunc.to_str().unwrap();
    let notcap = cap("not-a-capture.txt");
    let notcap = notcap.to_str().unwrap();
    let cases: &[(&[&str], i32)] = &[
        (&["analyze", "-q", "--eve", eve, good], 0),
        (&["analyze", "-q", "--eve", eve, trunc], 0),
        (&["analyze", "-q", "--eve", eve, "/nonexistent.pcap"], 2),
        (&["analyze", "-q", "--eve", eve, notcap], 2),
        (&["analyze", "-q", "--eve", eve, empty.to_str().unwrap()], 2),
        (
            &["analyze", "-q", "--eve", "/nonexistent/dir/e.json", good],
            2,
        ),
        (&["analyze", "-q", "--threads", "0", good], 2),
        (&["analyze", "-q", "--eve", "/dev/full", good], 1),
    ];
    for (args, want) in cases {
        let (code, err) = run(args);
        assert_eq!(code, *want, "{args:?}: {err}");
    }
}
