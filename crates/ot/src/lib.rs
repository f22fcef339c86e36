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
//! | Omron FINS (UDP, FINS/TCP) | `omron` | UDP, TCP | 9600 |
//! | HART-IP | `hart_ip` | TCP, UDP | 5094 |
//! | MELSEC MC protocol / SLMP (3E, 4E; binary, ASCII) | `melsec` | TCP, UDP | 5000-5002, 5006, 5007, 5010 |
//! | Beckhoff ADS/AMS (AMS/TCP; UDP discovery and routes) | `ads` | TCP, UDP | 48898, 48899 |
//!
//! On the layer-2 path ([`reefwatch_applayer::L2ProtocolDef`], by
//! EtherType, VLAN-tagged or not): IEC 61850 GOOSE (`goose`, 0x88B8) and
//! Sampled Values (`sv`, 0x88BA).
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
pub mod goose;
pub mod hart_ip;
pub mod iec104;
pub mod iso;
pub mod melsec;
pub mod mms;

pub mod modbus;
pub mod omron;
pub mod opcua;
pub mod s7comm;
pub mod sv;

use reefwatch_applayer::{L2ProtocolDef, ProtocolDef};

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
    omron::PROTOCOL,
    hart_ip::PROTOCOL,
    melsec::PROTOCOL,
    ads::PROTOCOL,
];

/// All OT protocols of this crate, for the engine to register.
pub fn protocols() -> &'static [ProtocolDef] {
    PROTOCOLS
}

/// The layer-2 protocols of this crate (dispatched by EtherType).
pub static L2_PROTOCOLS: &[L2ProtocolDef] = &[goose::PROTOCOL, sv::PROTOCOL];

/// The layer-2 protocols of this crate, for the engine to register.
pub fn l2_protocols() -> &'static [L2ProtocolDef] {
    L2_PROTOCOLS
}
