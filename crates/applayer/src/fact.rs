//! Typed facts: what a parser saw that rule keywords test but that is not a
//! byte buffer (Modbus function and register access, DNP3 function and
//! objects, EtherNet/IP commands, CIP services, TLS handshake state, the
//! parser's anomalies). A parser reports them with [`crate::EventSink::fact`]
//! before the transaction's event, as it does buffers; the rule engine
//! evaluates `modbus:`, `dnp3_func`, `dnp3_ind`, `dnp3_obj`,
//! `enip_command`, `cip_service`, `ssl_state`, `ssl_version`,
//! `tls.version`, `app-layer-event` and reefwatch's own `iec104.*` and
//! `s7comm.*` keywords on them. One definition, used by the parsers and
//! the engine alike. Parsers report facts only when
//! [`crate::EventSink::wants_facts`] is true.

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
    /// in `access` and writes in `rw_write`. `subfunction` is the
    /// diagnostic sub-function of function 8 and the MEI type of
    /// function 43.
    Modbus {
        request: bool,
        function: u8,
        subfunction: Option<u16>,
        unit: u8,
        access: Option<ModbusAccess>,
        rw_write: Option<ModbusAccess>,
    },
    /// One value a Modbus request writes (functions 5, 6, 15, 16, 23):
    /// `address` is the PDU (0-based) address of the coil or register,
    /// coils are 0 or 1. Reported after the request's [`Fact::Modbus`].
    ModbusWrite { address: u16, value: u16 },
    /// A DNP3 application-layer fragment: its function code and, for
    /// responses, the internal indications (IIN1 << 8 | IIN2).
    Dnp3 { function: u8, iin: Option<u16> },
    /// One DNP3 object header of a fragment.
    Dnp3Object { group: u8, variation: u8 },
    /// An EtherNet/IP encapsulation command.
    EnipCommand(u16),
    /// A CIP service (request or response, the response bit cleared),
    /// with the class and attribute of a request's path when it names
    /// them. Each service of a Multiple Service Packet is one more fact;
    /// a Get_Attribute_List request reports one fact per attribute.
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
    /// An IEC 60870-5-104 ASDU: type identification, cause of
    /// transmission (6 bits), the P/N and test bits, originator address
    /// and common address. Its information object addresses follow as
    /// [`Fact::Iec104Ioa`].
    Iec104 {
        type_id: u8,
        cot: u8,
        negative: bool,
        test: bool,
        originator: u8,
        ca: u16,
    },
    /// One information object address of the ASDU reported before it.
    Iec104Ioa(u32),
    /// An S7comm PDU: ROSCTR (1 job, 2 ack, 3 ack_data, 7 userdata) and
    /// the parameter function code of a job / ack_data, or for userdata
    /// the function group (low 4 bits) and sub-function as
    /// `group << 8 | subfunction`.
    S7 { rosctr: u8, function: Option<u16> },
    /// The SZL id of an S7comm "read SZL" userdata request or response.
    S7SzlId(u16),
    /// A parser anomaly by its full name, `"<proto>.<event>"`
    /// (`"http.invalid_request_line"`, `"modbus.invalid_length"`).
    AppEvent(&'static str),
}
