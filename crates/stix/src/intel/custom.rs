//! reefwatch's custom cyber-observables (`x-user-agent`, `x-ja3`, `x-ja4`)
//! declared the STIX 2.1 way: each object carries
//! `"extensions": {"extension-definition--…": {"extension_type": "new-sco"}}`
//! and the bundle holds that `extension-definition` (created by the
//! reefwatch identity below), so a receiver — the hub, OpenCTI, the OASIS
//! validator — knows they are SCOs (no `created`/`modified`), not custom
//! domain objects.

use serde_json::{json, Value};

/// The identity that defines reefwatch's extensions (fixed, like the
/// extension ids, so every sensor's bundles name the same objects).
pub const REEFWATCH_IDENTITY: &str = "identity--8162f493-7d21-4636-85db-3f5456bbadc7";

/// Timestamp of the definitions (version 1.0).
const DEFINED: &str = "2026-01-01T00:00:00.000Z";

/// (type, extension-definition id, what `value` holds).
const CUSTOM_SCOS: [(&str, &str, &str); 3] = [
    (
        "x-user-agent",
        "extension-definition--bbaf3047-2939-4314-af5c-9e92466ec8c1",
        "an HTTP User-Agent request header value, as sent",
    ),
    (
        "x-ja3",
        "extension-definition--7e3a08fc-a4c8-4466-9c8d-d3407ae6f39b",
        "the JA3 fingerprint of a TLS ClientHello (MD5, lower-case hex)",
    ),
    (
        "x-ja4",
        "extension-definition--a792be79-b09e-482b-b355-cfbc7323c692",
        "the JA4 fingerprint of a TLS ClientHello",
    ),
];

/// The extension-definition id declaring custom SCO type `ty`, if it is one
/// of reefwatch's.
pub fn extension_id(ty: &str) -> Option<&'static str> {
    CUSTOM_SCOS.iter().find(|c| c.0 == ty).map(|c| c.1)
}

/// The `extensions` member a custom SCO of type `ty` carries.
pub fn sco_extensions(ty: &str) -> Option<Value> {
    extension_id(ty).map(|id| json!({ id: {"extension_type": "new-sco"} }))
}

/// The objects a bundle holding an SCO of type `ty` needs besides it: the
/// reefwatch identity and the extension definition (empty for STIX types).
pub fn definitions(ty: &str) -> Vec<Value> {
    let Some((ty, id, what)) = CUSTOM_SCOS.iter().find(|c| c.0 == ty) else {
        return Vec::new();
    };
    vec![
        json!({"type": "identity", "spec_version": "2.1", "id": REEFWATCH_IDENTITY,
               "created": DEFINED, "modified": DEFINED, "name": "reefwatch",
               "identity_class": "organization",
               "description": "The reefwatch project, which defines reefwatch's STIX extensions"}),
        json!({"type": "extension-definition", "spec_version": "2.1", "id": id,
               "created_by_ref": REEFWATCH_IDENTITY, "created": DEFINED, "modified": DEFINED,
               "name": format!("reefwatch {ty}"),
               "description": format!("Cyber-observable {ty}: {what}."),
               "schema": format!("A {ty} object has the SCO common properties and one required \
                                  string property, value: {what}. Its id is UUIDv5 of \
                                  {{\"value\": …}} in the STIX 2.1 SCO namespace."),
               "version": "1.0", "extension_types": ["new-sco"]}),
    ]
}
