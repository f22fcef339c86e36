//! reefwatch-ot: passive parsers for OT protocols, plugged into the engine
//! through [`reefwatch_applayer::ProtocolDef`].
//!
//! | protocol | `app_proto` / `event_type` | transports | port hints |
//! |---|---|---|---|
//! | Modbus/TCP | `modbus` | TCP | 502 |
//! | DNP3 | `dnp3` | TCP, UDP | 20000 |
//! | IEC 60870-5-104 | `iec104` | TCP | 2404 |
//! | S7comm, S7comm-plus (TPKT/COTP) | `s7comm` | TCP | 102 |
//! | EtherNet/IP + CIP | `enip` | TCP, UDP | 44818 |
//! | BACnet/IP | `bacnet` | UDP | 47808 |
//! | OPC UA binary (UA-TCP, Secure Conversation) | `opcua` | TCP | 4840 |
//! | IEC 61850 MMS (TPKT/COTP/session/presentation/ACSE) | `mms` | TCP | 102 |
//! | Beckhoff ADS/AMS (AMS/TCP; UDP discovery and routes) | `ads` | TCP, UDP | 48898, 48899 |
//!
//! Every protocol is detected by content (the port is only a hint). Events
//! carry `"operation"` for security-relevant requests; the names are those
//! of [`common::Operation`]: `write`, `program_download`, `program_upload`,
//! `run`, `stop`, `restart`, `time_sync`, `file_op`, `firmware_update`,
//! `identify`, `auth`, `config_change`.
#![forbid(unsafe_code)]

pub mod ads;
pub mod bacnet;
pub mod common;
pub mod dnp3;
pub mod enip;
#[doc(hidden)]
pub mod feed;
pub mod iec104;
pub mod iso;
pub mod mms;

pub mod modbus;
pub mod opcua;
pub mod s7comm;

use reefwatch_applayer::ProtocolDef;

/// All OT protocols of this crate, for the engine to register.
pub static PROTOCOLS: &[ProtocolDef] = &[
    modbus::PROTOCOL,
    dnp3::PROTOCOL,
    iec104::PROTOCOL,
    s7comm::PROTOCOL,
    enip::PROTOCOL,
    bacnet::PROTOCOL,
    opcua::PROTOCOL,
    mms::PROTOCOL,
    ads::PROTOCOL,
];

/// All OT protocols of this crate, for the engine to register.
pub fn protocols() -> &'static [ProtocolDef] {
    PROTOCOLS
}
