//! Serde model of the STIX 2.1 objects used in sharing and of the
//! cyber-observables the sensor produces.
//!
//! Every struct keeps properties it does not model in `extra` (flattened),
//! so unknown and custom (`x_…`) properties round-trip; objects of types not
//! modelled here (custom `x-…` objects included) deserialize to
//! [`StixObject::Other`] and serialize back unchanged. Timestamps are kept as
//! the original strings (precision is preserved); [`crate::time`] parses them.
//! [`crate::validate`] checks what serde cannot (formats, references).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Properties not modelled by a struct (custom `x_…` ones included).
pub type Extra = Map<String, Value>;

fn is_false(b: &bool) -> bool {
    !*b
}

/// `external_references` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExternalReference {
    pub source_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `kill_chain_phases` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillChainPhase {
    pub kill_chain_name: String,
    pub phase_name: String,
}

/// `granular_markings` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GranularMarking {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marking_ref: Option<String>,
    pub selectors: Vec<String>,
}

/// Defines a struct with the STIX common properties, its own properties and
/// a flattened `extra` map.
macro_rules! stix_struct {
    (
        $(#[$meta:meta])*
        $name:ident, $ty:literal, { $( $(#[$fmeta:meta])* $field:ident : $fty:ty ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            #[serde(rename = "type")]
            pub type_: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub spec_version: Option<String>,
            pub id: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub created_by_ref: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub created: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub modified: Option<String>,
            #[serde(default, skip_serializing_if = "is_false")]
            pub revoked: bool,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub labels: Vec<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub confidence: Option<u8>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub lang: Option<String>,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub external_references: Vec<ExternalReference>,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub object_marking_refs: Vec<String>,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub granular_markings: Vec<GranularMarking>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub extensions: Option<Map<String, Value>>,
            $( $(#[$fmeta])* pub $field: $fty, )*
            #[serde(flatten)]
            pub extra: Extra,
        }

        impl $name {
            /// The STIX type name.
            pub const TYPE: &'static str = $ty;

            /// An empty object of this type with the given id (SDO/SRO
            /// timestamps and spec_version are left for the caller).
            pub fn with_id(id: impl Into<String>) -> Self {
                $name {
                    type_: $ty.to_string(),
                    spec_version: Some("2.1".to_string()),
                    id: id.into(),
                    created_by_ref: None,
                    created: None,
                    modified: None,
                    revoked: false,
                    labels: Vec::new(),
                    confidence: None,
                    lang: None,
                    external_references: Vec::new(),
                    object_marking_refs: Vec::new(),
                    granular_markings: Vec::new(),
                    extensions: None,
                    $( $field: Default::default(), )*
                    extra: Extra::new(),
                }
            }
        }
    };
}

stix_struct!(
    /// `indicator` (STIX 2.1 §4.7).
    Indicator, "indicator", {
    #[serde(default, skip_serializing_if = "Option::is_none")] name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] indicator_types: Vec<String>,
    pattern: String,
    pattern_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] pattern_version: Option<String>,
    valid_from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] valid_until: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] kill_chain_phases: Vec<KillChainPhase>,
});

stix_struct!(
    /// `observed-data` (STIX 2.1 §4.14).
    ObservedData, "observed-data", {
    first_observed: String,
    last_observed: String,
    number_observed: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] object_refs: Vec<String>,
});

stix_struct!(
    /// `sighting` (STIX 2.1 §5.2).
    Sighting, "sighting", {
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] first_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] last_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] count: Option<u64>,
    sighting_of_ref: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] observed_data_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] where_sighted_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] summary: Option<bool>,
});

stix_struct!(
    /// `malware` (STIX 2.1 §4.11).
    Malware, "malware", {
    #[serde(default, skip_serializing_if = "Option::is_none")] name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] malware_types: Vec<String>,
    is_family: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] kill_chain_phases: Vec<KillChainPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")] first_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] last_seen: Option<String>,
});

stix_struct!(
    /// `attack-pattern` (STIX 2.1 §4.1).
    AttackPattern, "attack-pattern", {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] kill_chain_phases: Vec<KillChainPhase>,
});

stix_struct!(
    /// `identity` (STIX 2.1 §4.5).
    Identity, "identity", {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] identity_class: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] sectors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] contact_information: Option<String>,
});

stix_struct!(
    /// `infrastructure` (STIX 2.1 §4.8).
    Infrastructure, "infrastructure", {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] infrastructure_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] kill_chain_phases: Vec<KillChainPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")] first_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] last_seen: Option<String>,
});

stix_struct!(
    /// `vulnerability` (STIX 2.1 §4.19).
    Vulnerability, "vulnerability", {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
});

stix_struct!(
    /// `report` (STIX 2.1 §4.16).
    Report, "report", {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] report_types: Vec<String>,
    published: String,
    object_refs: Vec<String>,
});

stix_struct!(
    /// `relationship` (STIX 2.1 §5.1).
    Relationship, "relationship", {
    relationship_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
    source_ref: String,
    target_ref: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] stop_time: Option<String>,
});

stix_struct!(
    /// `marking-definition` (STIX 2.1 §7.2): TLP 1.0 (`definition_type:
    /// "tlp"`), statement markings (`definition_type: "statement"`) and
    /// extension-defined markings such as TLP 2.0.
    MarkingDefinition, "marking-definition", {
    #[serde(default, skip_serializing_if = "Option::is_none")] name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] definition_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] definition: Option<Map<String, Value>>,
});

impl MarkingDefinition {
    /// A statement marking (`definition_type: "statement"`).
    pub fn statement(
        id: impl Into<String>,
        created: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        let mut m = MarkingDefinition::with_id(id);
        m.created = Some(created.into());
        m.definition_type = Some("statement".into());
        let mut d = Map::new();
        d.insert("statement".into(), Value::String(text.into()));
        m.definition = Some(d);
        m
    }

    /// The statement text of a statement marking.
    pub fn statement_text(&self) -> Option<&str> {
        if self.definition_type.as_deref() != Some("statement") {
            return None;
        }
        self.definition.as_ref()?.get("statement")?.as_str()
    }
}

// ---- cyber-observables ----

stix_struct!(
    /// `ipv4-addr`.
    Ipv4Addr, "ipv4-addr", {
    value: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] resolves_to_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] belongs_to_refs: Vec<String>,
});

stix_struct!(
    /// `ipv6-addr`.
    Ipv6Addr, "ipv6-addr", {
    value: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] resolves_to_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] belongs_to_refs: Vec<String>,
});

stix_struct!(
    /// `mac-addr`.
    MacAddr, "mac-addr", { value: String });

stix_struct!(
    /// `domain-name`.
    DomainName, "domain-name", {
    value: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] resolves_to_refs: Vec<String>,
});

stix_struct!(
    /// `url`.
    Url, "url", { value: String });

stix_struct!(
    /// `email-addr`.
    EmailAddr, "email-addr", {
    value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] display_name: Option<String>,
});

stix_struct!(
    /// `software`.
    Software, "software", {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] cpe: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] version: Option<String>,
});

stix_struct!(
    /// Custom observable `x-user-agent` (`value`: the HTTP User-Agent).
    /// STIX 2.1 has no user-agent SCO; the same value is also in
    /// `network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'`.
    UserAgent, "x-user-agent", { value: String });

stix_struct!(
    /// `file` (hashes, name, size).
    File, "file", {
    #[serde(default, skip_serializing_if = "Option::is_none")] hashes: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")] size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] mime_type: Option<String>,
});

stix_struct!(
    /// `x509-certificate`.
    X509Certificate, "x509-certificate", {
    #[serde(default, skip_serializing_if = "Option::is_none")] is_self_signed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")] hashes: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")] version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] serial_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] signature_algorithm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] validity_not_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] validity_not_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] subject: Option<String>,
});

stix_struct!(
    /// `network-traffic`; `extensions` may hold `http-request-ext` and
    /// `tcp-ext` (see [`HttpRequestExt`], [`TcpExt`] and
    /// [`NetworkTraffic::http_request_ext`]).
    NetworkTraffic, "network-traffic", {
    #[serde(default, skip_serializing_if = "Option::is_none")] start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] is_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")] src_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] dst_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] src_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")] dst_port: Option<u16>,
    protocols: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] src_byte_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] dst_byte_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] src_packets: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] dst_packets: Option<u64>,
});

/// `http-request-ext` of network-traffic.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpRequestExt {
    pub request_method: String,
    pub request_value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_header: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `tcp-ext` of network-traffic.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TcpExt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_flags_hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_flags_hex: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl NetworkTraffic {
    /// The typed `http-request-ext`, if present and well-formed.
    pub fn http_request_ext(&self) -> Option<HttpRequestExt> {
        serde_json::from_value(self.extensions.as_ref()?.get("http-request-ext")?.clone()).ok()
    }

    /// The typed `tcp-ext`, if present and well-formed.
    pub fn tcp_ext(&self) -> Option<TcpExt> {
        serde_json::from_value(self.extensions.as_ref()?.get("tcp-ext")?.clone()).ok()
    }

    /// Sets an extension from a typed value.
    pub fn set_extension<T: Serialize>(&mut self, name: &str, ext: &T) {
        if let Ok(v) = serde_json::to_value(ext) {
            self.extensions
                .get_or_insert_with(Map::new)
                .insert(name.to_string(), v);
        }
    }
}

/// A bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    #[serde(rename = "type")]
    pub type_: String,
    pub id: String,
    #[serde(default)]
    pub objects: Vec<StixObject>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Bundle {
    pub fn new(id: impl Into<String>, objects: Vec<StixObject>) -> Bundle {
        Bundle {
            type_: "bundle".into(),
            id: id.into(),
            objects,
            extra: Extra::new(),
        }
    }
}

/// Any STIX object: the modelled types, or [`StixObject::Other`] holding the
/// JSON of anything else (custom `x-` objects, unmodelled types) unchanged.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StixObject {
    Indicator(Box<Indicator>),
    ObservedData(Box<ObservedData>),
    Sighting(Box<Sighting>),
    Malware(Box<Malware>),
    AttackPattern(Box<AttackPattern>),
    Identity(Box<Identity>),
    Infrastructure(Box<Infrastructure>),
    Vulnerability(Box<Vulnerability>),
    Report(Box<Report>),
    Relationship(Box<Relationship>),
    MarkingDefinition(Box<MarkingDefinition>),
    Ipv4Addr(Box<Ipv4Addr>),
    Ipv6Addr(Box<Ipv6Addr>),
    MacAddr(Box<MacAddr>),
    DomainName(Box<DomainName>),
    Url(Box<Url>),
    NetworkTraffic(Box<NetworkTraffic>),
    X509Certificate(Box<X509Certificate>),
    File(Box<File>),
    EmailAddr(Box<EmailAddr>),
    Software(Box<Software>),
    UserAgent(Box<UserAgent>),
    Other(Map<String, Value>),
}

impl StixObject {
    /// Converts JSON to a typed object, by its `type`. A modelled type whose
    /// JSON does not fit the model (missing required property, wrong JSON
    /// type) is an error naming the type and the serde message.
    pub fn from_value(v: Value) -> Result<StixObject, String> {
        let ty = v
            .get("type")
            .and_then(Value::as_str)
            .ok_or("object without a string 'type'")?
            .to_string();
        fn de<T: serde::de::DeserializeOwned>(v: Value, ty: &str) -> Result<Box<T>, String> {
            serde_json::from_value(v)
                .map(Box::new)
                .map_err(|e| format!("{ty}: {e}"))
        }
        Ok(match ty.as_str() {
            "indicator" => StixObject::Indicator(de(v, &ty)?),
            "observed-data" => StixObject::ObservedData(de(v, &ty)?),
            "sighting" => StixObject::Sighting(de(v, &ty)?),
            "malware" => StixObject::Malware(de(v, &ty)?),
            "attack-pattern" => StixObject::AttackPattern(de(v, &ty)?),
            "identity" => StixObject::Identity(de(v, &ty)?),
            "infrastructure" => StixObject::Infrastructure(de(v, &ty)?),
            "vulnerability" => StixObject::Vulnerability(de(v, &ty)?),
            "report" => StixObject::Report(de(v, &ty)?),
            "relationship" => StixObject::Relationship(de(v, &ty)?),
            "marking-definition" => StixObject::MarkingDefinition(de(v, &ty)?),
            "ipv4-addr" => StixObject::Ipv4Addr(de(v, &ty)?),
            "ipv6-addr" => StixObject::Ipv6Addr(de(v, &ty)?),
            "mac-addr" => StixObject::MacAddr(de(v, &ty)?),
            "domain-name" => StixObject::DomainName(de(v, &ty)?),
            "url" => StixObject::Url(de(v, &ty)?),
            "network-traffic" => StixObject::NetworkTraffic(de(v, &ty)?),
            "x509-certificate" => StixObject::X509Certificate(de(v, &ty)?),
            "file" => StixObject::File(de(v, &ty)?),
            "email-addr" => StixObject::EmailAddr(de(v, &ty)?),
            "software" => StixObject::Software(de(v, &ty)?),
            "x-user-agent" => StixObject::UserAgent(de(v, &ty)?),
            _ => match v {
                Value::Object(m) => StixObject::Other(m),
                _ => return Err("a STIX object must be a JSON object".into()),
            },
        })
    }

    /// The object's JSON.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// `id` of the object.
    pub fn id(&self) -> Option<&str> {
        match self {
            StixObject::Other(m) => m.get("id").and_then(Value::as_str),
            StixObject::Indicator(x) => Some(&x.id),
            StixObject::ObservedData(x) => Some(&x.id),
            StixObject::Sighting(x) => Some(&x.id),
            StixObject::Malware(x) => Some(&x.id),
            StixObject::AttackPattern(x) => Some(&x.id),
            StixObject::Identity(x) => Some(&x.id),
            StixObject::Infrastructure(x) => Some(&x.id),
            StixObject::Vulnerability(x) => Some(&x.id),
            StixObject::Report(x) => Some(&x.id),
            StixObject::Relationship(x) => Some(&x.id),
            StixObject::MarkingDefinition(x) => Some(&x.id),
            StixObject::Ipv4Addr(x) => Some(&x.id),
            StixObject::Ipv6Addr(x) => Some(&x.id),
            StixObject::MacAddr(x) => Some(&x.id),
            StixObject::DomainName(x) => Some(&x.id),
            StixObject::Url(x) => Some(&x.id),
            StixObject::NetworkTraffic(x) => Some(&x.id),
            StixObject::X509Certificate(x) => Some(&x.id),
            StixObject::File(x) => Some(&x.id),
            StixObject::EmailAddr(x) => Some(&x.id),
            StixObject::Software(x) => Some(&x.id),
            StixObject::UserAgent(x) => Some(&x.id),
        }
    }
}

impl<'de> Deserialize<'de> for StixObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        StixObject::from_value(v).map_err(serde::de::Error::custom)
    }
}

// ---- deterministic identifiers ----

/// A UUIDv5 (SHA-1, RFC 4122 §4.3) of `name` in `namespace`, as STIX 2.1
/// §2.9 recommends for SCO ids (namespace
/// [`SCO_NAMESPACE`] and the canonical JSON of the id-contributing
/// properties).
pub fn uuid5(namespace: &[u8; 16], name: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(namespace);
    h.update(name);
    let d = h.digest().bytes();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    format_uuid(&b)
}

/// Formats 16 bytes as a UUID string.
pub fn format_uuid(b: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// The STIX 2.1 namespace for deterministic SCO identifiers
/// (`00abedb4-aa42-466c-9c01-fed23315a9b7`).
pub const SCO_NAMESPACE: [u8; 16] = [
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
];

/// Deterministic SCO id from its id-contributing properties (STIX 2.1 §2.9):
/// `type--uuid5(SCO_NAMESPACE, canonical JSON of props)`.
pub fn sco_id(ty: &str, props: &Value) -> String {
    // serde_json's Map is ordered by key (no preserve_order feature), which
    // with no whitespace is the JSON canonicalisation STIX needs here.
    let canon = serde_json::to_string(props).unwrap_or_default();
    format!("{ty}--{}", uuid5(&SCO_NAMESPACE, canon.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_properties_and_custom_objects_round_trip() {
        let b = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
             "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
             "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z",
             "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
             "x_acme_score": 7, "object_marking_refs": [crate::tlp::TLP2_AMBER]},
            {"type": "x-acme-widget", "id": "x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "spec_version": "2.1", "gear": [1, 2]},
            {"type": "network-traffic", "id": "network-traffic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
             "dst_ref": "ipv4-addr--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "dst_port": 80, "protocols": ["ipv4", "tcp", "http"],
             "extensions": {"http-request-ext": {"request_method": "get", "request_value": "/x", "request_header": {"User-Agent": "curl/8"}},
                            "tcp-ext": {"src_flags_hex": "02"}}},
            {"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
             "created": "2016-04-06T20:03:48.000Z", "definition_type": "statement", "definition": {"statement": "Copyright ACME"}}
        ]});
        let typed: Bundle = serde_json::from_value(b.clone()).unwrap();
        assert!(matches!(typed.objects[0], StixObject::Indicator(_)));
        assert!(matches!(typed.objects[1], StixObject::Other(_)));
        let StixObject::NetworkTraffic(nt) = &typed.objects[2] else {
            panic!()
        };
        assert_eq!(nt.http_request_ext().unwrap().request_method, "get");
        assert_eq!(nt.tcp_ext().unwrap().src_flags_hex.as_deref(), Some("02"));
        let StixObject::MarkingDefinition(md) = &typed.objects[3] else {
            panic!()
        };
        assert_eq!(md.statement_text(), Some("Copyright ACME"));
        assert_eq!(serde_json::to_value(&typed).unwrap(), b);
    }

    #[test]
    fn model_errors_name_the_type() {
        let e =
            StixObject::from_value(json!({"type": "indicator", "id": "indicator--x"})).unwrap_err();
        assert!(e.starts_with("indicator: missing field"), "{e}");
    }

    #[test]
    fn deterministic_sco_ids() {
        // Cross-checked with Python: uuid.uuid5(UUID('00abedb4-aa42-466c-
        // 9c01-fed23315a9b7'), '{"value":"john@example.com"}').
        assert_eq!(
            sco_id("email-addr", &json!({"value": "john@example.com"})),
            "email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934"
        );
    }
}
