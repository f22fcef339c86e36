//! MMS PDU decoding (ISO 9506-2, BER): the PDU kind, invoke id, service,
//! and per service what the event shows (object names, data, identity,
//! name lists, program/domain/file names, errors). Zero-copy: [`Pdu`]
//! borrows the message; values are walked again only when logged.
//!
//! ```text
//! a0 confirmed-request  { 02 invokeID, [30 modifiers], SERVICE }
//! a1 confirmed-response { 02 invokeID, SERVICE }
//! a2 confirmed-error    { 80 invokeID, [81 modifier], a2 ServiceError }
//! a3 unconfirmed { SERVICE }     a4 reject { [80 invokeID], 8n reason }
//! 85 / 86 cancel request / response (invokeID)   a7 cancel error
//! a8 / a9 / aa initiate request / response / error
//! 8b / 8c / ad conclude request / response / error
//! ObjectName: 80 vmd-specific | a1 { 1a domainId, 1a itemId } | 82 aa-specific
//! ```

use super::ber::{self, BerError, Class, Tlv};

pub const A_BAD_TPKT: u32 = 0;
pub const A_BAD_COTP: u32 = 1;
pub const A_SEGMENTS_TOO_LARGE: u32 = 2;
pub const A_BAD_SESSION: u32 = 3;
pub const A_BAD_PRESENTATION: u32 = 4;
pub const A_BAD_ACSE: u32 = 5;
pub const A_MALFORMED_PDU: u32 = 6;
pub const A_UNKNOWN_PDU: u32 = 7;
pub const A_UNKNOWN_SERVICE: u32 = 8;
pub const A_UNSOLICITED_RESPONSE: u32 = 9;
pub const A_UNANSWERED: u32 = 10;
pub const A_TOO_MANY_TXS: u32 = 11;
pub const A_ERROR_RESPONSE: u32 = 12;
pub const A_REJECT: u32 = 13;
pub const A_TOO_DEEP: u32 = 14;
pub const A_TRAILING_DATA: u32 = 15;
pub const A_ASSOCIATION_REJECTED: u32 = 16;
pub const A_ABORT: u32 = 17;

pub const ANOMALY_NAMES: &[&str] = &[
    "mms.bad_tpkt",
    "mms.bad_cotp",
    "mms.cotp_segments_too_large",
    "mms.bad_session",
    "mms.bad_presentation",
    "mms.bad_acse",
    "mms.malformed_pdu",
    "mms.unknown_pdu",
    "mms.unknown_service",
    "mms.unsolicited_response",
    "mms.unanswered_request",
    "mms.too_many_transactions",
    "mms.error_response",
    "mms.reject",
    "mms.ber_too_deep",
    "mms.trailing_data",
    "mms.association_rejected",
    "mms.abort",
];

/// Object names kept per message for the event (the count is of all).
pub const MAX_NAMES: usize = 16;

/// An MMS ObjectName.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjName<'a> {
    Vmd(&'a [u8]),
    Domain(&'a [u8], &'a [u8]),
    Aa(&'a [u8]),
}

impl<'a> ObjName<'a> {
    pub fn parse(t: &Tlv<'a>) -> Option<ObjName<'a>> {
        if t.class != Class::Context {
            return None;
        }
        match (t.tag, t.constructed) {
            (0, false) => Some(ObjName::Vmd(t.value)),
            (1, true) => {
                let mut c = t.children();
                let d = c.next()?.value;
                let i = c.next()?.value;
                Some(ObjName::Domain(d, i))
            }
            (2, false) => Some(ObjName::Aa(t.value)),
            _ => None,
        }
    }
}

/// Names of one message: the first [`MAX_NAMES`] and how many in all.
#[derive(Debug, Clone, Copy, Default)]
pub struct Names<'a> {
    pub list: [Option<ObjName<'a>>; MAX_NAMES],
    pub count: usize,
}

impl<'a> Names<'a> {
    fn push(&mut self, n: ObjName<'a>) {
        if let Some(s) = self.list.get_mut(self.count) {
            *s = Some(n);
        }
        self.count += 1;
    }
    pub fn iter(&self) -> impl Iterator<Item = ObjName<'a>> + '_ {
        self.list.iter().flatten().copied()
    }
    pub fn first(&self) -> Option<ObjName<'a>> {
        self.list[0]
    }
}

/// What a service carries that the event shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Detail<'a> {
    /// A named variable list (variableListName, or the list defined/read).
    pub list_name: Option<ObjName<'a>>,
    /// Variables (listOfVariable names) or other object names (semaphore,
    /// getVariableAccessAttributes name).
    pub names: Names<'a>,
    /// Content of listOfData / listOfAccessResult (Data / AccessResult TLVs).
    pub data: Option<&'a [u8]>,
    /// Read-response and information-report data are AccessResults.
    pub access_results: bool,
    /// Write response: content of the result list.
    pub write_results: Option<&'a [u8]>,
    pub vendor: Option<&'a [u8]>,
    pub model: Option<&'a [u8]>,
    pub revision: Option<&'a [u8]>,
    /// getNameList response: content of listOfIdentifier.
    pub identifiers: Option<&'a [u8]>,
    pub more_follows: Option<bool>,
    /// getNameList request: basic object class, scope domain.
    pub object_class: Option<u64>,
    pub scope_domain: Option<&'a [u8]>,
    /// Program invocation, domain or file name of the service.
    pub program: Option<&'a [u8]>,
    pub domain: Option<&'a [u8]>,
    /// FileName (content of the SEQUENCE OF GraphicString).
    pub file: Option<&'a [u8]>,
    pub frsm_id: Option<u64>,
}

/// A decoded PDU.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pdu<'a> {
    /// PDU kind: the outer context tag (0 confirmed request … 13).
    pub kind: u32,
    pub invoke_id: Option<u64>,
    /// Confirmed or unconfirmed service tag.
    pub service: Option<u32>,
    pub detail: Detail<'a>,
    /// ServiceError class and code, reject type and reason.
    pub error: Option<(u32, Option<u64>)>,
    pub reject: Option<(u32, Option<u64>)>,
    /// Initiate request/response: the PDU's TLV for the logger.
    pub initiate: Option<Tlv<'a>>,
    pub malformed: bool,
    pub trailing: bool,
}

/// Decodes an MMS PDU; `Err` when its outer TLV does not parse.
pub fn parse(b: &[u8]) -> Result<Pdu<'_>, BerError> {
    let (t, rest) = ber::read(b)?;
    let mut p = Pdu {
        kind: t.tag,
        trailing: !rest.is_empty(),
        ..Pdu::default()
    };
    if t.class != Class::Context {
        p.kind = u32::MAX;
        return Ok(p);
    }
    let mut it = t.children();
    match (t.tag, t.constructed) {
        (0 | 1, true) => {
            p.invoke_id = it.next().filter(|i| i.is_univ(2)).and_then(|i| i.uint());
            let svc = it.find(|s| !(s.is_univ(16) && t.tag == 0));
            if let Some(s) = svc {
                if s.class == Class::Context {
                    p.service = Some(s.tag);
                    service(&mut p, &s, t.tag == 0);
                }
            }
            p.malformed |= p.invoke_id.is_none() || p.service.is_none();
        }
        (2, true) => {
            for c in it.by_ref() {
                match c.tag {
                    0 => p.invoke_id = c.uint(),
                    2 => p.error = service_error(&c),
                    _ => {}
                }
            }
        }
        (3, true) => {
            if let Some(s) = it.next() {
                p.service = Some(s.tag);
                if s.tag == 0 {
                    info_report(&mut p, &s);
                }
            }
        }
        (4, true) => {
            for c in it.by_ref() {
                match c.tag {
                    0 => p.invoke_id = c.uint(),
                    n => p.reject = Some((n, c.uint())),
                }
            }
        }
        (5 | 6, false) => p.invoke_id = t.uint(),
        (7, true) => {
            for c in it.by_ref() {
                match c.tag {
                    0 => p.invoke_id = c.uint(),
                    1 => p.error = service_error(&c),
                    _ => {}
                }
            }
        }
        (8 | 9, true) => p.initiate = Some(t),
        (10 | 13, true) => p.error = service_error(&t),
        (11 | 12, false) => {}
        _ => p.kind = u32::MAX,
    }
    p.malformed |= it.error().is_some();
    Ok(p)
}

fn service_error(t: &Tlv<'_>) -> Option<(u32, Option<u64>)> {
    let class = t.children().find(|c| c.is_ctx(0))?;
    let code = class.children().next()?;
    Some((code.tag, code.uint()))
}

/// VariableAccessSpecification: listOfVariable names or the list name.
fn var_spec<'a>(d: &mut Detail<'a>, t: &Tlv<'a>) {
    match t.tag {
        0 => {
            for item in t.children() {
                // SEQUENCE { variableSpecification (a0 name { ObjectName }), .. }
                let Some(vs) = item.children().next() else {
                    continue;
                };
                if vs.is_ctx(0) {
                    if let Some(n) = vs.children().next().and_then(|n| ObjName::parse(&n)) {
                        d.names.push(n);
                    }
                }
            }
        }
        1 => d.list_name = t.children().next().and_then(|n| ObjName::parse(&n)),
        _ => {}
    }
}

fn info_report<'a>(p: &mut Pdu<'a>, s: &Tlv<'a>) {
    let mut c = s.children();
    if let Some(v) = c.next() {
        var_spec(&mut p.detail, &v);
    }
    if let Some(r) = c.next() {
        p.detail.data = Some(r.value);
        p.detail.access_results = true;
    }
    p.malformed |= c.error().is_some();
}

fn id_of(t: &Tlv<'_>) -> Option<u64> {
    t.uint()
}

fn service<'a>(p: &mut Pdu<'a>, s: &Tlv<'a>, request: bool) {
    let d = &mut p.detail;
    let mut c = s.children();
    match (s.tag, request) {
        (1, true) => {
            for x in c.by_ref() {
                match x.tag {
                    0 => d.object_class = x.children().next().and_then(|o| o.uint()),
                    1 => d.scope_domain = x.children().find(|o| o.is_ctx(1)).map(|o| o.value),
                    _ => {}
                }
            }
        }
        (1, false) => {
            for x in c.by_ref() {
                match x.tag {
                    0 => d.identifiers = Some(x.value),
                    1 => d.more_follows = x.boolean(),
                    _ => {}
                }
            }
        }
        (2, false) => {
            for x in c.by_ref() {
                match x.tag {
                    0 => d.vendor = Some(x.value),
                    1 => d.model = Some(x.value),
                    2 => d.revision = Some(x.value),
                    _ => {}
                }
            }
        }
        (4, true) => {
            if let Some(v) = c.by_ref().find(|x| x.is_ctx(1)) {
                if let Some(vs) = v.children().next() {
                    var_spec(d, &vs);
                }
            }
        }
        (4, false) => {
            for x in c.by_ref() {
                match x.tag {
                    0 => {
                        if let Some(vs) = x.children().next() {
                            var_spec(d, &vs);
                        }
                    }
                    1 => {
                        d.data = Some(x.value);
                        d.access_results = true;
                    }
                    _ => {}
                }
            }
        }
        (5, true) => {
            if let Some(v) = c.next() {
                var_spec(d, &v);
            }
            d.data = c.next().map(|x| x.value);
        }
        (5, false) => d.write_results = Some(s.value),
        (6, true) => {
            if let Some(x) = c.next().filter(|x| x.is_ctx(0)) {
                if let Some(n) = x.children().next().and_then(|n| ObjName::parse(&n)) {
                    d.names.push(n);
                }
            }
        }
        (11, true) => {
            d.list_name = c.next().and_then(|n| ObjName::parse(&n));
            if let Some(l) = c.next() {
                var_spec(d, &Tlv { tag: 0, ..l });
            }
        }
        (12, true) => d.list_name = c.next().and_then(|n| ObjName::parse(&n)),
        (12, false) => {
            if let Some(l) = c.by_ref().find(|x| x.is_ctx(1)) {
                var_spec(d, &Tlv { tag: 0, ..l });
            }
        }
        (13, true) => {
            for x in c.by_ref() {
                match x.tag {
                    1 => {
                        for n in x.children() {
                            if let Some(n) = ObjName::parse(&n) {
                                d.names.push(n);
                            }
                        }
                    }
                    2 => d.domain = Some(x.value),
                    _ => {}
                }
            }
        }
        (19 | 20, true) => {
            if let Some(x) = c.next().filter(|x| x.is_ctx(0)) {
                if let Some(n) = x.children().next().and_then(|n| ObjName::parse(&n)) {
                    d.names.push(n);
                }
            }
        }
        (26, true) | (40..=44, true) => {
            d.program = c.next().filter(|x| x.is_ctx(0)).map(|x| x.value);
            if s.tag == 26 {
                d.domain = d.program.take();
            }
        }
        (29 | 36 | 37, true) => d.domain = Some(s.value),
        (39, true) => d.program = Some(s.value),
        (46, true) => d.file = c.find(|x| x.is_ctx(1)).map(|x| x.value),
        (72 | 75 | 77, true) => d.file = c.next().filter(|x| x.is_ctx(0)).map(|x| x.value),
        (76, true) => d.file = Some(s.value),
        (72, false) => d.frsm_id = c.next().filter(|x| x.is_ctx(0)).and_then(|x| id_of(&x)),
        (73 | 74, true) => d.frsm_id = s.uint(),
        _ => {}
    }
    p.malformed |= c.error().is_some();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn write_request() {
        // ITI iec61850_write.pcap frame 12: a0 14 { 02 01 00 invokeID 0,
        // a5 0f write { a0 08 listOfVariable { 30 06 { a0 04 { 80 02 "mu" } } },
        // a0 03 listOfData { 85 01 00 integer 0 } } }
        let b = hex("a014020100a50fa0083006a00480026d75a003850100");
        let p = parse(&b).unwrap();
        assert_eq!((p.kind, p.invoke_id, p.service), (0, Some(0), Some(5)));
        assert_eq!(p.detail.names.first(), Some(ObjName::Vmd(b"mu")));
        assert_eq!(p.detail.names.count, 1);
        assert_eq!(p.detail.data, Some(&[0x85, 0x01, 0x00][..]));
        assert!(!p.malformed && !p.trailing);
    }

    #[test]
    fn identify_response() {
        // ITI piccolo.pcap frame 4: a1 26 { 02 01 01, a2 21 { 80 09 "INFO TECH",
        // 81 0d "S61850 for PC", 82 05 "0.0.1" } }
        let b =
            hex("a126020101a2218009494e464f2054454348810d53363138353020666f722050438205302e302e31");
        let p = parse(&b).unwrap();
        assert_eq!((p.kind, p.invoke_id, p.service), (1, Some(1), Some(2)));
        assert_eq!(p.detail.vendor, Some(&b"INFO TECH"[..]));
        assert_eq!(p.detail.model, Some(&b"S61850 for PC"[..]));
        assert_eq!(p.detail.revision, Some(&b"0.0.1"[..]));
        // cut anywhere: an error or a partial decode, never a panic
        for n in 0..b.len() {
            let _ = parse(&b[..n]);
        }
    }

    #[test]
    fn domain_names_conclude_and_errors() {
        // read of a domain-specific variable: a0 { 02 01 07, a4 { a1 { a0 { 30 { a0 {
        // a1 { 1a "LD" 1a "X$Y" } } } } } } }
        let b = hex("a018020107a413a111a00f300da00ba1091a024c441a0358245900");
        let p = parse(&b).unwrap();
        assert_eq!(p.service, Some(4));
        assert_eq!(p.detail.names.first(), Some(ObjName::Domain(b"LD", b"X$Y")));
        assert!(p.trailing);
        let p = parse(&[0x8b, 0x00]).unwrap();
        assert_eq!(p.kind, 11);
        // confirmed error: a2 { 80 01 05, a2 { a0 { 87 01 02 access/2 } } }
        let b = hex("a20a800105a205a003870102");
        let p = parse(&b).unwrap();
        assert_eq!(
            (p.kind, p.invoke_id, p.error),
            (2, Some(5), Some((7, Some(2))))
        );
        // reject: a4 { 80 01 03, 81 01 01 confirmed-request, unrecognized-service }
        let b = hex("a406800103810101");
        let p = parse(&b).unwrap();
        assert_eq!(p.reject, Some((1, Some(1))));
        assert!(parse(&[0xa0, 0x05, 0x02]).is_err());
        assert_eq!(parse(&[0x30, 0x00]).unwrap().kind, u32::MAX);
    }
}
