//! Typed facts: what a parser saw that rule keywords test but that is not a
//! byte buffer (Modbus function and register access, DNP3 function and
//! objects, EtherNet/IP commands, CIP services, TLS handshake state, the
//! parser's anomalies). A parser reports them with [`crate::EventSink::fact`]
//! before the transaction's event, as it does buffers; the rule engine
//! evaluates `modbus:`, `dnp3_func`, `dnp3_ind`, `dnp3_obj`,
//! `enip_command`, `cip_service`, `ssl_state`, `ssl_version`,
//! `tls.version` and `app-layer-event` on them. One definition, used by
//! the parsers and the engine alike.

/// A Modbus data table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModbusTable {
    /// Discrete inputs (read only).
    Discretes,
    Coils,
    /// Input registers (read only).
    Input,
    /// Holding registers.
    Holding,
}

/// A read or write of a Modbus table by one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModbusAccess {
    pub write: bool,
    pub table: ModbusTable,
    /// Starting address.
    pub address: u16,
    /// Number of coils or registers.
    pub quantity: u16,
    /// The value written by write single coil/register (function 5, 6),
    /// else `None`.
    pub value: Option<u16>,
}

/// TLS handshake messages seen (`ssl_state` bits).
pub mod tls_handshake {
    pub const CLIENT_HELLO: u8 = 0x01;
    pub const SERVER_HELLO: u8 = 0x02;
    pub const CLIENT_KEYX: u8 = 0x04;
    pub const SERVER_KEYX: u8 = 0x08;
    pub const UNKNOWN: u8 = 0x10;
}

/// One typed observation of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fact {
    /// A Modbus PDU. `request` is false for responses (Suricata's `modbus:`
    /// keyword tests requests only). For read/write functions `access` is
    /// the table access; function 23 (read/write multiple registers) reads
    /// in `access` and writes in `rw_write`.
    Modbus {
        request: bool,
        function: u8,
        subfunction: Option<u16>,
        unit: u8,
        access: Option<ModbusAccess>,
        rw_write: Option<ModbusAccess>,
    },
    /// A DNP3 application-layer fragment: its function code and, for
    /// responses, the internal indications (IIN1 << 8 | IIN2).
    Dnp3 { function: u8, iin: Option<u16> },
    /// One DNP3 object header of a fragment.
    Dnp3Object { group: u8, variation: u8 },
    /// An EtherNet/IP encapsulation command.
    EnipCommand(u16),
    /// A CIP service request, with the class and attribute of its path
    /// when it names them.
    CipService {
        service: u8,
        class: Option<u32>,
        attribute: Option<u32>,
    },
    /// TLS handshake messages seen so far in this direction
    /// ([`tls_handshake`] bits).
    TlsHandshake(u8),
    /// The TLS/SSL version of a hello (`0x0300` SSLv3, `0x0303` TLS 1.2,
    /// `0x0200` SSLv2 …); for a server hello the negotiated one.
    TlsVersion(u16),
    /// A parser anomaly by its full name, `"<proto>.<event>"`
    /// (`"http.invalid_request_line"`, `"modbus.invalid_length"`).
    AppEvent(&'static str),
}
