//! Rule loading on real rules: the ET Open sample and the ICS keyword rules
//! of testdata/rules/ (see testdata/rules/NOTICE), a file with garbage
//! lines, and all of ET Open when ../shared is present.
use std::path::{Path, PathBuf};

use reefwatch_detect::keywords::buffer::{Buffer, BufferId, Transform};
use reefwatch_detect::keywords::content::{FastPattern, Num};
use reefwatch_detect::keywords::ics::{ModbusFunction, ModbusTable};
use reefwatch_detect::load::logical_lines;
use reefwatch_detect::parse::header::{AppProto, Protocol};
use reefwatch_detect::rule::{BufMatch, Condition};
use reefwatch_detect::{Classifications, ErrorKind, RuleSet, Vars};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rules")
}

fn classes() -> Classifications {
    let t = std::fs::read_to_string(testdata().join("classification.config")).unwrap();
    let (c, bad) = Classifications::parse(&t);
    assert!(bad.is_empty());
    c
}

fn load(name: &str) -> RuleSet {
    let mut set = RuleSet::new();
    set.load_file(
        &testdata().join(name),
        &Vars::suricata_defaults(),
        Some(&classes()),
    )
    .unwrap();
    set
}

/// The 57 keywords of ../shared/rules/README.md (98.4% of ET Open).
const TOP57: &[&str] = &[
    "content",
    "nocase",
    "depth",
    "offset",
    "distance",
    "within",
    "fast_pattern",
    "startswith",
    "endswith",
    "bsize",
    "pcre",
    "isdataat",
    "dsize",
    "byte_test",
    "byte_jump",
    "byte_extract",
    "rawbytes",
    "flow",
    "flowbits",
    "threshold",
    "detection_filter",
    "flags",
    "noalert",
    "itype",
    "icode",
    "stream_size",
    "http.uri",
    "http.method",
    "http.host",
    "http.user_agent",
    "http.request_body",
    "file_data",
    "http.header",
    "http.stat_code",
    "http.header_names",
    "http.content_type",
    "http.cookie",
    "http.request_line",
    "http.response_body",
    "http.uri.raw",
    "http.referer",
    "http.start",
    "urilen",
    "dns.query",
    "tls.sni",
    "tls.cert_subject",
    "tls.cert_issuer",
    "tls.certs",
    "tls.cert_serial",
    "ja3.hash",
    "ja3s.hash",
    "tls.cert_fingerprint",
    "dotprefix",
    "to_lowercase",
    "ssl_state",
    "ssl_version",
    "tls.version",
];

/// Of the 57, those no ET Open 2024 rule uses (see `keywords_absent_from_et`).
const NOT_IN_ET: &[&str] = &[
    "tls.cert_fingerprint",
    "to_lowercase",
    "ssl_state",
    "ssl_version",
];

#[test]
fn keywords_absent_from_et() {
    use reefwatch_detect::keywords::packet::{ssl_state, SslVersion};
    use reefwatch_detect::parse_rule;
    let v = Vars::suricata_defaults();
    // Suricata docs forms
    let r = parse_rule(
        "alert tls any any -> any any (msg:\"fp\"; tls.cert_fingerprint; \
         content:\"4a:a3:66:76:82:cb:6b:23:bb:c3:58:47:23:a4:63:a7:78:a4:a1:18\"; sid:1;)",
        &v,
        None,
    )
    .unwrap();
    assert_eq!(r.lists[0].buffer, Buffer::App(BufferId::TlsCertFingerprint));
    let r = parse_rule(
        "alert http any any -> any any (http.host; to_lowercase; content:\"example.com\"; sid:2;)",
        &v,
        None,
    )
    .unwrap();
    assert_eq!(r.lists[0].transforms, vec![Transform::ToLowercase]);
    let r = parse_rule(
        "alert tls any any -> any any (ssl_state:client_hello; ssl_version:!sslv2,tls1.0; sid:3;)",
        &v,
        None,
    )
    .unwrap();
    let Condition::SslState(s) = &r.conditions[0] else {
        panic!()
    };
    assert_eq!(s.all, ssl_state::CLIENT_HELLO);
    let Condition::SslVersion(sv) = &r.conditions[1] else {
        panic!()
    };
    assert_eq!(
        sv.versions,
        vec![(true, SslVersion::Ssl2), (false, SslVersion::Tls10)]
    );
    // to_lowercase without a sticky buffer is an error
    assert!(parse_rule(
        "alert tcp any any -> any any (to_lowercase; sid:4;)",
        &v,
        None
    )
    .is_err());
}

fn option_names(rule: &str) -> Vec<String> {
    let body = &rule[rule.find('(').unwrap() + 1..];
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut esc = false;
    for c in body.chars() {
        if esc {
            esc = false;
            cur.push(c);
            continue;
        }
        match c {
            '\\' => esc = true,
            ';' => {
                let name = cur.split(':').next().unwrap_or("").trim().to_string();
                out.push(name);
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out
}

#[test]
fn et_sample_loads_and_reports_unsupported() {
    let set = load("et-open-sample.rules");
    assert_eq!(set.rules.len() + set.skipped.len(), 454);
    assert_eq!(set.rules.len(), 446, "{:#?}", set.skipped);
    for s in &set.skipped {
        assert_eq!(s.error.kind, ErrorKind::Unsupported, "{s:?}");
        assert!(s.error.message.starts_with("pcre:"), "{s:?}");
        assert!(s.sid.is_some() && s.line > 0);
    }
    // every one of the 57 keywords is used by some loaded rule
    let text = std::fs::read_to_string(testdata().join("et-open-sample.rules")).unwrap();
    let lines: Vec<(usize, String)> = logical_lines(&text).collect();
    let loaded: std::collections::HashSet<usize> = set.origins.iter().map(|o| o.line).collect();
    let mut used = std::collections::HashSet::new();
    for (line, rule) in &lines {
        if loaded.contains(line) {
            for n in option_names(rule) {
                used.insert(n);
            }
        }
    }
    let missing: Vec<_> = TOP57
        .iter()
        .filter(|k| !used.contains(**k) && !NOT_IN_ET.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "keywords not covered by loaded rules: {missing:?}"
    );
}

#[test]
fn et_rule_parsed_byte_exact() {
    let set = load("et-open-sample.rules");
    let by_sid = |sid| set.rules.iter().find(|r| r.meta.sid == sid).unwrap();
    // alert tcp $EXTERNAL_NET $HTTP_PORTS -> $HOME_NET any (... flow:from_server,established;
    // content:"ActiveXObject"; nocase; content:"EasyMail.IMAP4.6"; distance:0; nocase;
    // content:"LicenseKey"; nocase; ... classtype:web-application-attack; sid:2010658; rev:2; ...)
    let r = by_sid(2010658);
    assert_eq!(r.header.protocol, Protocol::Tcp);
    assert!(r.header.src_ports.contains(80) && !r.header.src_ports.contains(81));
    assert!(r.header.dst.contains_v4("10.1.2.3".parse().unwrap()));
    assert!(!r.header.src.contains_v4("10.1.2.3".parse().unwrap()));
    let f = r.flow().unwrap();
    assert!(f.to_client && f.established);
    assert_eq!(r.lists.len(), 1);
    assert_eq!(r.lists[0].buffer, Buffer::Payload);
    let c: Vec<_> = r.contents().map(|(_, c)| c).collect();
    assert_eq!(c.len(), 3);
    assert_eq!(c[0].pattern, b"ActiveXObject");
    assert!(c[0].nocase && c[0].distance.is_none());
    assert_eq!(c[1].pattern, b"EasyMail.IMAP4.6");
    assert_eq!(c[1].distance, Some(Num::Lit(0)));
    assert_eq!(r.meta.rev, 2);
    assert_eq!(r.meta.classtype.as_deref(), Some("web-application-attack"));
    assert_eq!(r.meta.priority, Some(1));
    assert_eq!(r.meta.references[0].kind, "url");
    assert!(r
        .meta
        .metadata
        .contains(&("former_category".into(), "ACTIVEX".into())));

    // dotprefix on dns.query: the transform is on the list
    let dot = set
        .rules
        .iter()
        .find(|r| {
            r.lists
                .iter()
                .any(|l| l.transforms.contains(&Transform::Dotprefix))
        })
        .unwrap();
    let l = dot
        .lists
        .iter()
        .find(|l| l.buffer == Buffer::App(BufferId::DnsQuery))
        .unwrap();
    assert!(l
        .matches
        .iter()
        .any(|m| matches!(m, BufMatch::Content(c) if c.pattern.starts_with(b"."))));
    assert_eq!(dot.app_proto, Some(AppProto::Dns));

    // fast_pattern and bsize on a sticky buffer
    assert!(set.rules.iter().any(|r| r.lists.iter().any(|l| l.buffer
        == Buffer::App(BufferId::HttpUri)
        && l.matches.iter().any(|m| matches!(m, BufMatch::Bsize(_)))
        && l.matches.iter().any(
            |m| matches!(m, BufMatch::Content(c) if c.fast_pattern == Some(FastPattern::Yes))
        ))));
}

#[test]
fn ics_keyword_rules_load() {
    let set = load("ics-keywords.rules");
    assert_eq!(set.rules.len(), 45, "{:#?}", set.skipped);
    assert!(set.skipped.is_empty());
    let by_sid = |sid| set.rules.iter().find(|r| r.meta.sid == sid).unwrap();
    // modbus: access write holding, address 1, value >1000
    let Condition::Modbus(m) = &by_sid(9100015).conditions[0] else {
        panic!()
    };
    assert_eq!(
        (m.access_write, m.table),
        (Some(true), Some(ModbusTable::Holding))
    );
    // alert tcp any any -> any 502 (... modbus: function 16; ...)
    let r = by_sid(9100020);
    assert_eq!(r.header.protocol, Protocol::Tcp);
    assert_eq!(r.app_proto, Some(AppProto::Modbus));
    let Condition::Modbus(m) = &r.conditions[0] else {
        panic!()
    };
    assert_eq!(m.function, Some((false, ModbusFunction::Code(16))));
    assert_eq!(by_sid(9100030).conditions[0], Condition::Dnp3Func(13));
    assert_eq!(by_sid(9100039).conditions[0], Condition::Dnp3Ind(0x3000));
    assert_eq!(by_sid(9100060).conditions[0], Condition::EnipCommand(99));
    let r = by_sid(9100043);
    assert_eq!(r.lists[0].buffer, Buffer::App(BufferId::Dnp3Data));
}

#[test]
fn garbage_lines_are_reported_good_rules_load() {
    let text = "\
alert tcp any any -> any 80 (msg:\"good 1\"; content:\"GET\"; sid:1;)
this is not a rule
alert tcp any any -> any 80 (msg:\"missing semicolon\"; sid:2)

alert http any any -> any any (msg:\"good 2\"; http.uri; content:\"/x\"; sid:3; rev:1;)
alert tcp any any -> any any (msg:\"bad keyword\"; frobnicate:1; sid:4;)
alert blorp any any -> any any (msg:\"bad proto\"; sid:5;)
alert tcp any any -> any any (msg:\"bad content\"; content:\"|4|\"; sid:6;)
alert tcp any any -> any any (msg:\"nocase first\"; nocase; content:\"x\"; sid:7;)
alert dns any any -> any any (msg:\"two protocols\"; http.uri; content:\"x\"; sid:8;)
\u{0}\u{1}\u{ff}((((;;;;
alert udp $HOME_NET any -> $EXTERNAL_NET 53 (msg:\"good 3\"; content:\"|01 00|\"; depth:2; \\
  sid:9;)
alert tcp any any -> any any (msg:\"dup\"; sid:1;)
";
    let mut set = RuleSet::new();
    set.load_str(
        Path::new("garbage.rules"),
        text,
        &Vars::suricata_defaults(),
        None,
    );
    let sids: Vec<u32> = set.rules.iter().map(|r| r.meta.sid).collect();
    assert_eq!(sids, vec![1, 3, 9]);
    let skipped: Vec<(usize, Option<u32>)> = set.skipped.iter().map(|s| (s.line, s.sid)).collect();
    assert_eq!(
        skipped,
        vec![
            (2, None),
            (3, Some(2)),
            (6, Some(4)),
            (7, Some(5)),
            (8, Some(6)),
            (9, Some(7)),
            (10, Some(8)),
            (11, None),
            (14, Some(1)),
        ]
    );
    assert_eq!(set.skipped[2].error.kind, ErrorKind::UnsupportedKeyword);
    assert_eq!(set.skipped[3].error.kind, ErrorKind::UnsupportedProtocol);
    assert_eq!(set.origins[2].line, 12);
    assert!(set
        .skipped
        .iter()
        .all(|s| s.file == Path::new("garbage.rules")));
}

#[test]
fn all_et_open_when_present() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/rules");
    let all = dir.join("et-open-2024-all.rules");
    if !all.exists() {
        eprintln!("skipped: {} absent", all.display());
        return;
    }
    let mut set = RuleSet::new();
    set.load_file(&all, &Vars::suricata_defaults(), Some(&classes()))
        .unwrap();
    let total = set.rules.len() + set.skipped.len();
    assert_eq!(total, 24_827);
    assert!(
        set.rules.len() * 100 >= total * 98,
        "{} of {total}",
        set.rules.len()
    );
    // only engine limits (pcre back-references / look-around), never a parse failure
    for s in &set.skipped {
        assert_eq!(
            s.error.kind,
            ErrorKind::Unsupported,
            "{}:{}: {}",
            s.line,
            s.sid.unwrap_or(0),
            s.error
        );
    }
}
