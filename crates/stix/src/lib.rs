//! reefwatch-stix: STIX 2.1 for the sensor and the hub.
//!
//! * [`validate`]: object validation with errors naming the object, the
//!   property and the reason ([`validate_object`]).
//! * [`tlp`]: TLP 1.0 / 2.0 marking definitions and the TLP level of an object.
//! * [`pattern`]: the STIX patterning language — parser and evaluator.
//! * [`time`]: STIX timestamps.
#![forbid(unsafe_code)]

pub mod intel;
pub mod model;
pub mod net;
pub mod pattern;
pub mod time;
pub mod tlp;
pub mod validate;

pub use validate::{validate_object, ValidationError};

/// Re-exported so users (the CLI) share the JSON types without their own dependency.
pub use serde_json;
