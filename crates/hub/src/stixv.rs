//! Adapter over the STIX knowledge the hub needs: object validation and
//! TLP levels of marking-definition ids (TLP 2.0 and TLP 1.0).
//!
//! Validation is `reefwatch_stix::validate_object`, the one implementation
//! of the acceptance rules (required properties per type, identifiers,
//! timestamps, every reference property, marking references, hashes,
//! indicator patterns, custom objects by their declared kind); `reefwatch
//! intel validate` applies the same function. The TLP table is checked
//! against `reefwatch_stix::tlp` in a test.

use serde_json::{Map, Value};

/// TLP levels, least to most restrictive.
pub const TLP_CLEAR: u8 = 0;
pub const TLP_GREEN: u8 = 1;
pub const TLP_AMBER: u8 = 2;
pub const TLP_AMBER_STRICT: u8 = 3;
pub const TLP_RED: u8 = 4;

/// Predefined TLP marking-definition ids (TLP 1.0 from STIX 2.1 §7.2.1.4,
/// TLP 2.0 from the OASIS TLP 2.0 marking definitions).
pub const TLP_IDS: [(&str, u8); 9] = [
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        TLP_CLEAR,
    ), // 1.0 WHITE
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        TLP_GREEN,
    ), // 1.0 GREEN
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        TLP_AMBER,
    ), // 1.0 AMBER
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        TLP_RED,
    ), // 1.0 RED
    (
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        TLP_CLEAR,
    ), // 2.0 CLEAR
    (
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        TLP_GREEN,
    ), // 2.0 GREEN
    (
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        TLP_AMBER,
    ), // 2.0 AMBER
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        TLP_AMBER_STRICT,
    ), // 2.0 AMBER+STRICT
    (
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        TLP_RED,
    ), // 2.0 RED
];

pub fn tlp_label(level: u8) -> &'static str {
    match level {
        TLP_CLEAR => "clear",
        TLP_GREEN => "green",
        TLP_AMBER => "amber",
        TLP_AMBER_STRICT => "amber+strict",
        _ => "red",
    }
}

pub fn tlp_from_label(s: &str) -> Option<u8> {
    Some(match s.to_ascii_lowercase().trim_start_matches("tlp:") {
        "clear" | "white" => TLP_CLEAR,
        "green" => TLP_GREEN,
        "amber" => TLP_AMBER,
        "amber+strict" => TLP_AMBER_STRICT,
        "red" => TLP_RED,
        _ => return None,
    })
}

pub fn tlp_of_marking(id: &str) -> Option<u8> {
    TLP_IDS.iter().find(|(m, _)| *m == id).map(|(_, l)| *l)
}

/// Strictest TLP level among the object-level and granular markings, or
/// `None` if the object carries no TLP marking.
pub fn tlp_of_object(obj: &Map<String, Value>) -> Option<u8> {
    let mut best: Option<u8> = None;
    let mut see = |v: &Value| {
        if let Some(l) = v.as_str().and_then(tlp_of_marking) {
            best = Some(best.map_or(l, |b| b.max(l)));
        }
    };
    if let Some(Value::Array(a)) = obj.get("object_marking_refs") {
        a.iter().for_each(&mut see);
    }
    if let Some(Value::Array(g)) = obj.get("granular_markings") {
        for m in g.iter().take(1000) {
            if let Some(r) = m.get("marking_ref") {
                see(r);
            }
        }
    }
    best
}

/// A STIX type name (the STIX crate's rule).
pub fn valid_type(t: &str) -> bool {
    reefwatch_stix::validate::is_valid_type_name(t)
}

/// `type--uuid`.
pub fn valid_id(id: &str) -> bool {
    reefwatch_stix::validate::split_id(id).is_some()
}

/// Validate one STIX 2.1 object: the hub accepts exactly what
/// `reefwatch_stix::validate_object` accepts (the one implementation of the
/// acceptance rules, which `reefwatch intel validate` applies too). Returns
/// every problem found as `property: reason` (at most 50).
pub fn validate_object(v: &Value) -> Result<(), Vec<String>> {
    reefwatch_stix::validate_object(v).map_err(|es| {
        es.into_iter()
            .take(50)
            .map(|e| {
                if e.property.is_empty() {
                    e.reason
                } else {
                    format!("{}: {}", e.property, e.reason)
                }
            })
            .collect()
    })
}

/// Identifiers this object refers to (for the "does not leak a stricter
/// object" rule): every `*_ref` / `*_refs` value except marking references.
pub fn references(o: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in o {
        if k == "object_marking_refs" || k == "marking_ref" {
            continue;
        }
        if k.ends_with("_ref") {
            if let Some(s) = v.as_str() {
                out.push(s.to_string());
            }
        } else if k.ends_with("_refs") {
            if let Some(a) = v.as_array() {
                out.extend(a.iter().filter_map(Value::as_str).map(str::to_string));
            }
        }
        if out.len() > 10_000 {
            break;
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ind() -> Value {
        json!({"type":"indicator","spec_version":"2.1",
            "id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",
            "pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",
            "valid_from":"2016-01-01T00:00:00Z"})
    }

    #[test]
    fn valid_indicator() {
        assert_eq!(validate_object(&ind()), Ok(()));
    }

    #[test]
    fn invalid_objects_report_each_problem() {
        let mut v = ind();
        v["id"] = json!("indicator--nope");
        v["modified"] = json!("yesterday");
        v.as_object_mut().unwrap().remove("pattern");
        let e = validate_object(&v).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("id: "), "{e:?}");
        assert!(
            e.iter().any(|x| x.starts_with("modified: 'yesterday'")),
            "{e:?}"
        );
        assert!(
            e.contains(&"pattern: required property missing".to_string()),
            "{e:?}"
        );
        assert!(validate_object(&json!([1])).is_err());
        let mut w = ind();
        w["id"] = json!("malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
        assert!(validate_object(&w).is_err());
    }

    #[test]
    fn tlp_table_agrees_with_stix_crate() {
        use reefwatch_stix::tlp::{level_of_marking, Tlp};
        for (id, l) in TLP_IDS {
            let theirs = match level_of_marking(id).unwrap() {
                Tlp::Clear => TLP_CLEAR,
                Tlp::Green => TLP_GREEN,
                Tlp::Amber => TLP_AMBER,
                Tlp::AmberStrict => TLP_AMBER_STRICT,
                Tlp::Red => TLP_RED,
            };
            assert_eq!(theirs, l, "{id}");
        }
    }

    #[test]
    fn tlp_levels() {
        let mut v = ind();
        v["object_marking_refs"] = json!([
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
            "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
        ]);
        assert_eq!(
            tlp_of_object(v.as_object().unwrap()),
            Some(TLP_AMBER_STRICT)
        );
        assert_eq!(tlp_of_object(ind().as_object().unwrap()), None);
        assert_eq!(tlp_from_label("TLP:AMBER+STRICT"), Some(TLP_AMBER_STRICT));
    }

    #[test]
    fn refs_skip_markings() {
        let v = json!({"source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
            "object_refs":["malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]});
        assert_eq!(references(v.as_object().unwrap()).len(), 2);
    }
}
