//! Runs every case of testdata/stix/matcher-vectors-2.1.jsonl (411 cases
//! from the OASIS reference matcher's test suite): parse the pattern, build
//! the observations, evaluate; `expected` is match / nomatch / error.

use reefwatch_stix::pattern::{eval, parse_with, Strictness};

/// Vectors whose recorded `expected` contradicts the STIX 2.1 semantics of
/// their own recorded observations; we follow the specification and record
/// each by upstream test id with the outcome the specification gives. Each
/// is still run and must give that outcome.
///
/// All 15 come from stix2matcher's test_temporal_qualifiers.py. Upstream,
/// `test_within_match` rewrites the shared observation fixture's
/// `first_observed`/`last_observed` in place, so the observations recorded
/// with these cases (alice 2000-01-01T00:00:00Z..00:00:01Z, bob
/// 2000-01-01T00:00:04Z, carol 1994-11-29T13:38:02Z) are not the ones the
/// upstream assertions ran against. On the recorded data the spec's rules
/// give the opposite result: e.g. `[person:name = 'bob'] START
/// t'1994-11-29T13:37:57Z' STOP t'1994-11-29T13:37:58Z'` cannot match an
/// observation made in 2000 (STIX 2.1 patterning, START/STOP qualifier), and `([alice] AND [bob])
/// WITHIN 1 SECONDS` cannot match observations 3 s apart (WITHIN qualifier). The
/// reference matcher itself (stix2-matcher 3.0.0, run on these exact
/// records) gives the same outcomes as we do, see `differential.rs`.
const SPEC_EXCEPTIONS: &[(&str, &str)] = &[
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_temp_qual_match[[person:name = 'bob'] START t'1994-11-29T13:37:57Z' STOP t'1994-11-29T13:37:58Z']", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_temp_qual_match[pattern7]", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_temp_qual_match[pattern8]", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_temp_qual_match[pattern10]", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_temp_qual_match[[person:name MATCHES ''] REPEATS 2 TIMES START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:58Z']", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_temp_qual_nomatch[([person:name = 'alice'] AND [person:name < 'carol']) WITHIN 4 SECONDS]", "match"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_temp_qual_nomatch[([person:name = 'alice'] AND [person:name < 'carol']) WITHIN 4.9999 SECONDS]", "match"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_within_match[interval10-interval20-1]", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_within_match[interval11-interval21-1]", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_within_match[interval12-interval22-2]", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_within_match[interval13-interval23-1]", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_within_match[interval14-interval24-1]", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_within_match[interval15-interval25-1]", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_within_match[interval16-interval26-1]", "nomatch"),
    ("stix2matcher/test/v21/test_temporal_qualifiers.py::test_within_match[interval17-interval27-2]", "nomatch"),
];

fn outcome(pattern: &str, observations: &[serde_json::Value]) -> (&'static str, String) {
    let p = match parse_with(pattern, Strictness::Grammar) {
        Ok(p) => p,
        Err(e) => return ("error", format!("parse: {e}")),
    };
    let obs = match eval::Observations::from_json(observations) {
        Ok(o) => o,
        Err(e) => return ("error", format!("observations: {e}")),
    };
    match eval::matches(&p, &obs) {
        Ok(true) => ("match", String::new()),
        Ok(false) => ("nomatch", String::new()),
        Err(e) => ("error", format!("eval: {e}")),
    }
}

#[test]
fn all_matcher_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/stix/matcher-vectors-2.1.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("vector file");
    let mut n = 0;
    let mut failed = Vec::new();
    let mut exceptions = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        n += 1;
        let c: serde_json::Value = serde_json::from_str(line).expect("json line");
        let pat = c["pattern"].as_str().expect("pattern");
        let want = c["expected"].as_str().expect("expected");
        let id = c["test"].as_str().unwrap_or("");
        let obs = c["observations"].as_array().expect("observations");
        let (got, why) = outcome(pat, obs);
        if let Some((_, spec)) = SPEC_EXCEPTIONS.iter().find(|(t, _)| *t == id) {
            exceptions += 1;
            assert_eq!(got, *spec, "documented exception {id} changed: {why}");
            continue;
        }
        if got != want {
            failed.push(format!(
                "{id}\n    pattern {pat}\n    want {want} got {got} {why}"
            ));
        }
    }
    assert_eq!(n, 411);
    assert!(
        failed.is_empty(),
        "{} of {n} failing:\n{}",
        failed.len(),
        failed.join("\n")
    );
    println!(
        "{} passed, 0 failed, {exceptions} documented spec exceptions",
        n - exceptions
    );
}
