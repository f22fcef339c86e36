//! Traffic Light Protocol markings: the fixed marking-definition ids of TLP
//! 1.0 (STIX 2.1 §7.2.1.4) and TLP 2.0 (the OASIS TLP 2.0 marking
//! definitions), and the TLP level that an object's `object_marking_refs`
//! puts on it.

use serde_json::{json, Value};

/// TLP level. Ordered from least to most restrictive, so the strictest of
/// several markings is the `max`. TLP 1.0 WHITE maps to [`Tlp::Clear`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

/// Which TLP version a marking-definition id belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlpVersion {
    V1,
    V2,
}

pub const TLP1_WHITE: &str = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
pub const TLP1_GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
pub const TLP1_AMBER: &str = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
pub const TLP1_RED: &str = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";

pub const TLP2_CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
pub const TLP2_GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
pub const TLP2_AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
pub const TLP2_AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
pub const TLP2_RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

/// Every predefined TLP marking: id, level, version.
pub const ALL: [(&str, Tlp, TlpVersion); 9] = [
    (TLP1_WHITE, Tlp::Clear, TlpVersion::V1),
    (TLP1_GREEN, Tlp::Green, TlpVersion::V1),
    (TLP1_AMBER, Tlp::Amber, TlpVersion::V1),
    (TLP1_RED, Tlp::Red, TlpVersion::V1),
    (TLP2_CLEAR, Tlp::Clear, TlpVersion::V2),
    (TLP2_GREEN, Tlp::Green, TlpVersion::V2),
    (TLP2_AMBER, Tlp::Amber, TlpVersion::V2),
    (TLP2_AMBER_STRICT, Tlp::AmberStrict, TlpVersion::V2),
    (TLP2_RED, Tlp::Red, TlpVersion::V2),
];

impl Tlp {
    /// TLP 2.0 label: `TLP:CLEAR`, `TLP:AMBER+STRICT` …
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// The TLP 2.0 marking-definition id of this level.
    pub fn v2_id(self) -> &'static str {
        match self {
            Tlp::Clear => TLP2_CLEAR,
            Tlp::Green => TLP2_GREEN,
            Tlp::Amber => TLP2_AMBER,
            Tlp::AmberStrict => TLP2_AMBER_STRICT,
            Tlp::Red => TLP2_RED,
        }
    }

    /// Parses `TLP:AMBER`, `amber`, `tlp:white`, `AMBER+STRICT` (case-insensitive).
    pub fn from_label(s: &str) -> Option<Tlp> {
        let s = s.trim();
        let s = strip_tlp_prefix(s).unwrap_or(s);
        let l = s.to_ascii_lowercase();
        Some(match l.as_str() {
            "clear" | "white" => Tlp::Clear,
            "green" => Tlp::Green,
            "amber" => Tlp::Amber,
            "amber+strict" => Tlp::AmberStrict,
            "red" => Tlp::Red,
            _ => return None,
        })
    }
}

/// `s` without a leading case-insensitive `TLP:` (byte-safe: never slices
/// inside a multi-byte character).
fn strip_tlp_prefix(s: &str) -> Option<&str> {
    let head = s.get(..4)?;
    head.eq_ignore_ascii_case("tlp:").then(|| &s[4..])
}

/// The TLP level of one marking-definition id, if it is a predefined TLP marking.
pub fn level_of_marking(id: &str) -> Option<Tlp> {
    ALL.iter().find(|(i, _, _)| *i == id).map(|(_, l, _)| *l)
}

/// The TLP level an object carries through `object_marking_refs`: the most
/// restrictive predefined TLP marking among them, or `None` if it has no TLP
/// marking. `extra` resolves custom marking-definition ids (for instance
/// TLP markings defined in the same bundle with a non-standard id).
pub fn tlp_of_object(obj: &Value) -> Option<Tlp> {
    tlp_of_refs(
        obj.get("object_marking_refs")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str),
    )
}

/// Same as [`tlp_of_object`] over a list of marking ids.
pub fn tlp_of_refs<'a>(refs: impl IntoIterator<Item = &'a str>) -> Option<Tlp> {
    refs.into_iter().filter_map(level_of_marking).max()
}

/// The TLP level a marking-definition object defines, predefined or not:
/// TLP 1.0 style (`definition_type: "tlp"`, `definition.tlp`), or TLP 2.0
/// style (`name: "TLP:AMBER"` with the TLP extension).
pub fn level_of_definition(md: &Value) -> Option<Tlp> {
    if let Some(id) = md.get("id").and_then(Value::as_str) {
        if let Some(l) = level_of_marking(id) {
            return Some(l);
        }
    }
    if md.get("definition_type").and_then(Value::as_str) == Some("tlp") {
        if let Some(t) = md.pointer("/definition/tlp").and_then(Value::as_str) {
            return Tlp::from_label(t);
        }
    }
    let name = md.get("name").and_then(Value::as_str)?;
    strip_tlp_prefix(name).and_then(Tlp::from_label)
}

/// The full TLP 1.0 marking-definition object for a level (as in STIX 2.1
/// §7.2.1.4). AMBER+STRICT has no TLP 1.0 form; use [`marking_definition_v2`].
pub fn marking_definition_v1(level: Tlp) -> Option<Value> {
    let (id, tlp) = match level {
        Tlp::Clear => (TLP1_WHITE, "white"),
        Tlp::Green => (TLP1_GREEN, "green"),
        Tlp::Amber => (TLP1_AMBER, "amber"),
        Tlp::Red => (TLP1_RED, "red"),
        Tlp::AmberStrict => return None,
    };
    Some(json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": id,
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "name": format!("TLP:{}", tlp.to_ascii_uppercase()),
        "definition": { "tlp": tlp }
    }))
}

/// The TLP 2.0 marking-definition object for a level (the OASIS published
/// definitions, which use the TLP 2.0 extension definition).
pub fn marking_definition_v2(level: Tlp) -> Value {
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": level.v2_id(),
        "created": "2022-10-01T00:00:00.000Z",
        "name": level.label(),
        "extensions": {
            "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                "extension_type": "property-extension",
                "tlp_2_0": level.label().trim_start_matches("TLP:").to_ascii_lowercase()
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictest_marking_wins() {
        let o = json!({"object_marking_refs": [TLP1_GREEN, "marking-definition--00000000-0000-4000-8000-000000000000", TLP2_AMBER_STRICT]});
        assert_eq!(tlp_of_object(&o), Some(Tlp::AmberStrict));
        assert_eq!(tlp_of_object(&json!({})), None);
        assert_eq!(
            tlp_of_object(&json!({"object_marking_refs": [TLP1_WHITE]})),
            Some(Tlp::Clear)
        );
    }

    #[test]
    fn labels_and_definitions() {
        assert_eq!(Tlp::from_label("tlp:white"), Some(Tlp::Clear));
        assert_eq!(Tlp::from_label("TLP:AMBER+STRICT"), Some(Tlp::AmberStrict));
        assert_eq!(Tlp::from_label("purple"), None);
        // Fuzz regression: a multi-byte character across byte 4.
        assert_eq!(Tlp::from_label("tlp\u{e9}x"), None);
        assert_eq!(level_of_definition(&json!({"name": "abc\u{1F600}"})), None);
        let md = marking_definition_v1(Tlp::Red).unwrap();
        assert_eq!(level_of_definition(&md), Some(Tlp::Red));
        let custom = json!({"id": "marking-definition--11111111-1111-4111-8111-111111111111",
            "definition_type": "tlp", "definition": {"tlp": "amber"}});
        assert_eq!(level_of_definition(&custom), Some(Tlp::Amber));
        assert_eq!(
            level_of_definition(&marking_definition_v2(Tlp::Green)),
            Some(Tlp::Green)
        );
    }
}
