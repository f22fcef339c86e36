//! S7comm over ISO-on-TCP: the S7comm PDU; S7comm-plus is recognised by its
//! 0x72 protocol id and framed. TPKT and COTP are the shared ISO transport
//! ([`crate::iso`]).
//!
//! ```text
//! S7comm:  32 ROSCTR RES(2) PDUREF(2) PARLEN(2) DATLEN(2) [ERRCLS ERRCOD]
//!          (ack/ack_data) PARAMS DATA
//! S7+:     72 VERSION LEN(2) [digest for V3] OPCODE RES(2) FUNCTION(2) RES(2) SEQ(2)
//! ```

use reefwatch_applayer::bytes::{be16, be32};

pub const A_BAD_TPKT: u32 = 0;
pub const A_BAD_COTP: u32 = 1;
pub const A_TRUNCATED_PDU: u32 = 2;
pub const A_UNKNOWN_ROSCTR: u32 = 3;
pub const A_UNKNOWN_FUNCTION: u32 = 4;
pub const A_LENGTH_MISMATCH: u32 = 5;
pub const A_UNSOLICITED_ACK: u32 = 6;
pub const A_UNANSWERED: u32 = 7;
pub const A_TOO_MANY_TXS: u32 = 8;
pub const A_SEGMENT_TOO_LARGE: u32 = 9;
pub const A_ERROR_RESPONSE: u32 = 10;
pub const A_UNKNOWN_PAYLOAD: u32 = 11;

pub const ANOMALY_NAMES: &[&str] = &[
    "s7comm.bad_tpkt",
    "s7comm.bad_cotp",
    "s7comm.truncated_pdu",
    "s7comm.unknown_rosctr",
    "s7comm.unknown_function",
    "s7comm.length_mismatch",
    "s7comm.unsolicited_ack",
    "s7comm.unanswered_request",
    "s7comm.too_many_transactions",
    "s7comm.cotp_segments_too_large",
    "s7comm.error_response",
    "s7comm.unknown_payload",
];

/// S7comm PDU header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S7Header {
    pub rosctr: u8,
    pub pdu_ref: u16,
    pub param_len: u16,
    pub data_len: u16,
    pub error_class: Option<u8>,
    pub error_code: Option<u8>,
    pub header_len: usize,
}

pub fn rosctr_name(r: u8) -> &'static str {
    match r {
        1 => "job",
        2 => "ack",
        3 => "ack_data",
        7 => "userdata",
        _ => "unknown",
    }
}

impl S7Header {
    pub fn parse(b: &[u8]) -> Option<S7Header> {
        if *b.first()? != 0x32 {
            return None;
        }
        let rosctr = *b.get(1)?;
        let pdu_ref = be16(b, 4)?;
        let param_len = be16(b, 6)?;
        let data_len = be16(b, 8)?;
        let (ec, ed, hl) = if rosctr == 2 || rosctr == 3 {
            (Some(*b.get(10)?), Some(*b.get(11)?), 12)
        } else {
            (None, None, 10)
        };
        Some(S7Header {
            rosctr,
            pdu_ref,
            param_len,
            data_len,
            error_class: ec,
            error_code: ed,
            header_len: hl,
        })
    }
}

pub fn function_name(f: u8) -> &'static str {
    match f {
        0x00 => "cpu_services",
        0x04 => "read_var",
        0x05 => "write_var",
        0x1a => "request_download",
        0x1b => "download_block",
        0x1c => "download_ended",
        0x1d => "start_upload",
        0x1e => "upload",
        0x1f => "end_upload",
        0x28 => "pi_service",
        0x29 => "plc_stop",
        0xf0 => "setup_communication",
        _ => "unknown",
    }
}

pub fn area_name(a: u8) -> &'static str {
    match a {
        0x03 => "system_info",
        0x05 => "system_flags",
        0x06 => "analog_inputs_200",
        0x07 => "analog_outputs_200",
        0x1c => "counter",
        0x1d => "timer",
        0x1e => "iec_counter",
        0x1f => "iec_timer",
        0x80 => "peripheral",
        0x81 => "inputs",
        0x82 => "outputs",
        0x83 => "flags",
        0x84 => "data_blocks",
        0x85 => "instance_db",
        0x86 => "local_data",
        0x87 => "previous_local",
        _ => "unknown",
    }
}

/// One S7ANY variable item of a read/write request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarItem {
    pub syntax_id: u8,
    pub transport_size: u8,
    pub length: u16,
    pub db: u16,
    pub area: u8,
    /// Bit address (byte << 3 | bit).
    pub address: u32,
}

/// Iterates request items (var spec 0x12).
pub struct ItemIter<'a> {
    rest: &'a [u8],
    left: u8,
}

impl<'a> ItemIter<'a> {
    /// `params` starts at the function code (read/write var).
    pub fn new(params: &'a [u8]) -> Self {
        ItemIter {
            left: params.get(1).copied().unwrap_or(0),
            rest: params.get(2..).unwrap_or(&[]),
        }
    }
}

impl Iterator for ItemIter<'_> {
    type Item = VarItem;
    fn next(&mut self) -> Option<VarItem> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let b = self.rest;
        if b.len() < 2 || b[0] != 0x12 {
            self.left = 0;
            return None;
        }
        let l = b[1] as usize;
        let spec = b.get(2..2 + l)?;
        self.rest = &b[2 + l..];
        let syntax_id = *spec.first()?;
        if syntax_id == 0x10 && spec.len() >= 10 {
            Some(VarItem {
                syntax_id,
                transport_size: spec[1],
                length: be16(spec, 2)?,
                db: be16(spec, 4)?,
                area: spec[6],
                address: u32::from_be_bytes([0, spec[7], spec[8], spec[9]]),
            })
        } else {
            Some(VarItem {
                syntax_id,
                transport_size: 0,
                length: 0,
                db: 0,
                area: 0,
                address: 0,
            })
        }
    }
}

/// Userdata parameter header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserdataParam {
    pub method: u8,
    /// 4 request, 8 response, 0 push
    pub kind: u8,
    pub group: u8,
    pub subfunction: u8,
    pub sequence: u8,
}

impl UserdataParam {
    pub fn parse(p: &[u8]) -> Option<UserdataParam> {
        // 00 01 12 LEN METHOD TYPE|GROUP SUBFUNC SEQ
        if p.get(0..3)? != [0x00, 0x01, 0x12] {
            return None;
        }
        Some(UserdataParam {
            method: *p.get(4)?,
            kind: *p.get(5)? >> 4,
            group: *p.get(5)? & 0x0f,
            subfunction: *p.get(6)?,
            sequence: *p.get(7)?,
        })
    }
}

pub fn group_name(g: u8) -> &'static str {
    match g {
        0 => "mode_transition",
        1 => "programmer_commands",
        2 => "cyclic_data",
        3 => "block_functions",
        4 => "cpu_functions",
        5 => "security",
        6 => "pbc_bsend_brecv",
        7 => "time_functions",
        0xf => "nc_programming",
        _ => "unknown",
    }
}

pub fn subfunction_name(g: u8, s: u8) -> &'static str {
    match (g, s) {
        (3, 1) => "list_blocks",
        (3, 2) => "list_blocks_of_type",
        (3, 3) => "get_block_info",
        (4, 1) => "read_szl",
        (4, 2) => "message_service",
        (4, 3) => "diagnostic_message",
        (4, 0x0b) => "alarm_ack",
        (4, 0x0c) => "alarm_ack_indication",
        (4, 0x11) => "alarm_s_indication",
        (4, 0x13) => "alarm_query",
        (5, 1) => "plc_password",
        (5, 2) => "clean_session",
        (7, 1) => "read_clock",
        (7, 2) => "set_clock",
        (7, 3) => "read_clock_following",
        (7, 4) => "set_clock_2",
        (1, 1) => "request_diag_data",
        (1, 2) => "variable_table",
        (2, 1) => "cyclic_memory",
        (2, 4) => "unsubscribe",
        _ => "other",
    }
}

/// Userdata data part: return code, transport size, length, payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserdataData<'a> {
    pub return_code: u8,
    pub transport_size: u8,
    pub payload: &'a [u8],
}

impl<'a> UserdataData<'a> {
    pub fn parse(d: &'a [u8]) -> Option<UserdataData<'a>> {
        let len = be16(d, 2)? as usize;
        let payload = d.get(4..(4 + len).min(d.len()))?;
        Some(UserdataData {
            return_code: d[0],
            transport_size: d[1],
            payload,
        })
    }
}

/// Module identity gathered from SZL 0x0011 / 0x001C responses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Identity<'a> {
    pub order_number: Option<&'a [u8]>,
    pub hardware_order_number: Option<&'a [u8]>,
    pub firmware: Option<(u8, u8, u8)>,
    pub hardware_version: Option<(u8, u8, u8)>,
    pub system_name: Option<&'a [u8]>,
    pub module_name: Option<&'a [u8]>,
    pub plant_id: Option<&'a [u8]>,
    pub copyright: Option<&'a [u8]>,
    pub serial_number: Option<&'a [u8]>,
    pub module_type: Option<&'a [u8]>,
}

/// Parse an SZL response payload (`szl_id, index, record length, count,
/// records`) for identity records.
pub fn szl_identity(szl_id: u16, p: &[u8]) -> Option<Identity<'_>> {
    let rec_len = be16(p, 4)? as usize;
    let count = be16(p, 6)? as usize;
    if rec_len == 0 {
        return None;
    }
    let mut id = Identity::default();
    let recs = p.get(8..)?;
    let mut any = false;
    for r in recs.chunks_exact(rec_len).take(count.min(64)) {
        let idx = be16(r, 0)?;
        match szl_id & 0x00ff {
            0x11 if rec_len >= 28 => {
                let mlfb = &r[2..22];
                let (a, b) = (r[25], (r[26], r[27]));
                match idx {
                    1 => id.order_number = Some(mlfb),
                    6 => {
                        id.hardware_order_number = Some(mlfb);
                        id.hardware_version = Some((a, b.0, b.1));
                    }
                    7 => id.firmware = Some((a, b.0, b.1)),
                    _ => {}
                }
                any = true;
            }
            0x1c if rec_len >= 34 => {
                let s = &r[2..34];
                match idx {
                    1 => id.system_name = Some(s),
                    2 => id.module_name = Some(s),
                    3 => id.plant_id = Some(s),
                    4 => id.copyright = Some(s),
                    5 => id.serial_number = Some(s),
                    7 => id.module_type = Some(s),
                    _ => {}
                }
                any = true;
            }
            _ => {}
        }
    }
    any.then_some(id)
}

/// S7comm-plus frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlusHeader {
    pub version: u8,
    pub data_len: u16,
    pub opcode: Option<u8>,
    pub function: Option<u16>,
    pub sequence: Option<u16>,
}

impl PlusHeader {
    pub fn parse(b: &[u8]) -> Option<PlusHeader> {
        if *b.first()? != 0x72 {
            return None;
        }
        let version = *b.get(1)?;
        let data_len = be16(b, 2)?;
        // V3 frames carry a 1-byte digest length and the digest first.
        let mut p = 4;
        if version == 3 {
            if let Some(&dl) = b.get(4) {
                if dl == 0x20 {
                    p = 5 + 32;
                }
            }
        }
        let opcode = b.get(p).copied();
        let (function, sequence) = match opcode {
            Some(0x31) | Some(0x32) => (be16(b, p + 3), be16(b, p + 7)),
            _ => (None, None),
        };
        Some(PlusHeader {
            version,
            data_len,
            opcode,
            function,
            sequence,
        })
    }
}

pub fn plus_opcode_name(o: u8) -> &'static str {
    match o {
        0x31 => "request",
        0x32 => "response",
        0x33 => "notification",
        0x02 => "response2",
        _ => "unknown",
    }
}

pub fn plus_function_name(f: u16) -> &'static str {
    match f {
        0x04bb => "explore",
        0x04ca => "create_object",
        0x04d4 => "delete_object",
        0x04f2 => "set_variable",
        0x0524 => "get_variable",
        0x0542 => "set_multi_variables",
        0x054c => "get_multi_variables",
        0x0556 => "begin_sequence",
        0x0560 => "end_sequence",
        0x056b => "invoke",
        0x0586 => "get_var_substreamed",
        0x0599 => "get_link",
        _ => "unknown",
    }
}

/// Find a Siemens order number ("6ES7 …", "6AV…", "6GK…") in visible
/// bytes; returns it trimmed (at most 20 bytes, printable only).
pub fn find_order_number(b: &[u8]) -> Option<&[u8]> {
    for pat in [&b"6ES7"[..], b"6AV", b"6GK", b"6ED1"] {
        if let Some(pos) = b.windows(pat.len()).position(|w| w == pat) {
            let end = b[pos..]
                .iter()
                .take(20)
                .position(|&c| !(0x20..0x7f).contains(&c))
                .map(|e| pos + e)
                .unwrap_or((pos + 20).min(b.len()));
            if end - pos >= 10 {
                return Some(&b[pos..end]);
            }
        }
    }
    None
}

/// PI service name of a `pi_service` job (parameter bytes after the 7-byte
/// fixed part and the parameter block).
pub fn pi_service_name(params: &[u8]) -> Option<&[u8]> {
    // 28 00 00 00 00 00 00 FD | PARAM-LEN(2) | params | NAME-LEN(1) | NAME
    let plen = be16(params, 8)? as usize;
    let at = 10 + plen;
    let n = *params.get(at)? as usize;
    params.get(at + 1..at + 1 + n)
}

/// Block file name of upload/download jobs ("_0A00001P" …).
pub fn block_filename(params: &[u8]) -> Option<&[u8]> {
    // func, status, 2 unknown, 4 upload id (upload) ... then len + name;
    // download: 1a 00 01 00 00 00 00 00 09 _0800001P
    let f = *params.first()?;
    let at = match f {
        0x1a..=0x1d => 8,
        _ => return None,
    };
    let n = *params.get(at)? as usize;
    params.get(at + 1..at + 1 + n)
}

pub fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    be32(b, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    // snap7_s300_setupCommunication: the S7 PDU of a setup-communication job
    // (TPKT and COTP stripped: crate::iso tests those)
    static SETUP: [u8; 18] = [
        0x32, 0x01, 0x00, 0x00, // S7 job
        0x04, 0x00, // pdu ref 1024
        0x00, 0x08, 0x00, 0x00, // param len 8, data len 0
        0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0, // setup comm, PDU 480
    ];

    #[test]
    fn s7_header() {
        let h = S7Header::parse(&SETUP).unwrap();
        assert_eq!(h.rosctr, 1);
        assert_eq!(h.pdu_ref, 0x0400);
        assert_eq!(h.param_len, 8);
        assert_eq!(SETUP[h.header_len], 0xf0);
        assert_eq!(be16(&SETUP, h.header_len + 6), Some(480));
        assert!(S7Header::parse(&SETUP[..9]).is_none());
        assert!(S7Header::parse(&[0x72]).is_none());
    }

    #[test]
    fn read_var_items() {
        // 04 01 | 12 0a 10 02 0001 0001 84 000000 : read 1 byte DB1.DBB0
        let p = [
            0x04, 0x01, 0x12, 0x0a, 0x10, 0x02, 0x00, 0x01, 0x00, 0x01, 0x84, 0x00, 0x00, 0x00,
        ];
        let items: Vec<_> = ItemIter::new(&p).collect();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].db, 1);
        assert_eq!(items[0].area, 0x84);
        assert_eq!(items[0].length, 1);
        // item count lies: stops at the end
        let mut q = p;
        q[1] = 9;
        assert_eq!(ItemIter::new(&q).count(), 1);
    }

    #[test]
    fn szl_0011_identity() {
        // SZL 0x0011 index 0, rec len 28, 2 records: idx 1 order number, idx 7 firmware V2.6.4
        let mut p = vec![0x00, 0x11, 0x00, 0x00, 0x00, 28, 0x00, 0x02];
        let mut r1 = vec![0x00, 0x01];
        r1.extend_from_slice(b"6ES7 315-2EH14-0AB0 ");
        r1.extend_from_slice(&[0x00, 0xc0, 0x00, 0x04, 0x00, 0x01]);
        let mut r7 = vec![0x00, 0x07];
        r7.extend_from_slice(b"                    ");
        r7.extend_from_slice(&[0x00, 0xc0, 0x56, 0x02, 0x06, 0x04]);
        p.extend(r1);
        p.extend(r7);
        let id = szl_identity(0x0011, &p).unwrap();
        assert_eq!(id.order_number, Some(&b"6ES7 315-2EH14-0AB0 "[..]));
        assert_eq!(id.firmware, Some((2, 6, 4)));
        assert!(szl_identity(0x0011, &p[..7]).is_none());
    }

    #[test]
    fn plus_header_and_order_number() {
        let b = [
            0x72, 0x01, 0x00, 0x20, 0x31, 0x00, 0x00, 0x04, 0xca, 0x00, 0x00, 0x00, 0x01,
        ];
        let h = PlusHeader::parse(&b).unwrap();
        assert_eq!(h.version, 1);
        assert_eq!(h.opcode, Some(0x31));
        assert_eq!(h.function, Some(0x04ca));
        assert_eq!(h.sequence, Some(1));
        assert_eq!(
            find_order_number(b"xx6ES7 511-1AK00-0AB0\x00"),
            Some(&b"6ES7 511-1AK00-0AB0"[..])
        );
        assert_eq!(find_order_number(b"6ES7\x00"), None);
    }
}
