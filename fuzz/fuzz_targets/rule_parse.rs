//! Fuzz the rule parser: any text, as one rule and as a rule file (lines,
//! continuations). Must never panic; every line either loads or is reported.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reefwatch_detect::{parse_rule, RuleSet, Vars};
use std::path::Path;
use std::sync::OnceLock;

fn vars() -> &'static Vars {
    static V: OnceLock<Vars> = OnceLock::new();
    V.get_or_init(Vars::suricata_defaults)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_rule(&text, vars(), None);
    let mut set = RuleSet::new();
    set.load_str(Path::new("fuzz.rules"), &text, vars(), None);
    let n = reefwatch_detect::load::logical_lines(&text).count();
    assert_eq!(set.rules.len() + set.skipped.len(), n);
});
