//! The OSI upper layers between COTP and MMS, unwrapped just far enough to
//! reach the MMS PDU: the ISO 8327-1 session SPDU, the ISO 8823
//! presentation PPDU (BER) and, on association set-up and release, the
//! ISO 8650 ACSE APDU. MMS also runs straight on COTP (some stacks and test
//! tools): a COTP payload whose first octet is an MMS PDU tag.
//!
//! ```text
//! session:  SI(1) LI(1 | FF + 2) params (PI/PGI: code, length, value)
//!           CN 0D / AC 0E / RF 0C / FN 09 / DN 0A / AB 19: user data in
//!           PGI C1 (or C2 extended); GT 01 00 then DT 01 00: user data after
//! present.: CP/CPA 31 { A0 mode, A2 normal-mode { .. 61 user-data } }
//!           TD / FN / DN: 61 user-data directly; ARU 30/A0 { .. 61 .. }
//!           user-data 61 { 30 PDV-list { [06 syntax] 02 context-id,
//!                          A0 single-ASN1-type | 81 octet-aligned } }
//! ACSE:     60 AARQ / 61 AARE / 62 RLRQ / 63 RLRE / 64 ABRT
//!           { .. A2 result (AARE) .. AC authentication (AARQ) ..
//!             BE user-information { 28 EXTERNAL { .. A0 MMS PDU } } }
//! ```

use super::ber::{self, Class, Tlv};

/// Session SPDU identifiers (SI).
pub mod si {
    pub const GIVE_TOKENS_OR_DATA: u8 = 1;
    pub const PLEASE_TOKENS: u8 = 2;
    pub const FINISH: u8 = 9;
    pub const DISCONNECT: u8 = 10;
    pub const REFUSE: u8 = 12;
    pub const CONNECT: u8 = 13;
    pub const ACCEPT: u8 = 14;
    pub const ABORT: u8 = 25;
    pub const ABORT_ACCEPT: u8 = 26;
}

/// Session parameter codes.
pub const PGI_USER_DATA: u8 = 0xc1;
pub const PGI_EXTENDED_USER_DATA: u8 = 0xc2;
/// Session parameters walked at most (per SPDU, nested groups included).
pub const MAX_SESSION_PARAMS: usize = 32;

pub fn spdu_name(si: u8) -> &'static str {
    match si {
        si::GIVE_TOKENS_OR_DATA => "data",
        si::PLEASE_TOKENS => "please_tokens",
        si::FINISH => "finish",
        si::DISCONNECT => "disconnect",
        si::REFUSE => "refuse",
        si::CONNECT => "connect",
        si::ACCEPT => "accept",
        si::ABORT => "abort",
        si::ABORT_ACCEPT => "abort_accept",
        _ => "other",
    }
}

/// Whether `b` is plausibly the start of an MMS PDU (its tag: confirmed
/// request [0] … conclude error [13]).
pub fn is_mms_tag(b: u8) -> bool {
    matches!(b, 0xa0..=0xa4 | 0xa7..=0xaa | 0xad | 0x85 | 0x86 | 0x8b | 0x8c)
}

/// ACSE APDU kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcseKind {
    Aarq,
    Aare,
    Rlrq,
    Rlre,
    Abrt,
}

impl AcseKind {
    pub fn name(self) -> &'static str {
        match self {
            AcseKind::Aarq => "associate_request",
            AcseKind::Aare => "associate_response",
            AcseKind::Rlrq => "release_request",
            AcseKind::Rlre => "release_response",
            AcseKind::Abrt => "abort",
        }
    }
}

/// What the ACSE APDU says beyond its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acse<'a> {
    pub kind: AcseKind,
    /// AARE result: 0 accepted, 1 rejected (permanent), 2 rejected (transient).
    pub result: Option<u64>,
    /// RLRQ/RLRE reason, ABRT source.
    pub reason: Option<u64>,
    /// AARQ mechanism name (OID content octets) when authentication is used.
    pub auth_mechanism: Option<&'a [u8]>,
    /// AARQ carries a calling-authentication-value (never logged).
    pub authenticated: bool,
}

/// What lies above COTP in one message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upper<'a> {
    /// Session SPDU (the category 2 SPDU when tokens come first); `None`
    /// when MMS runs straight on COTP.
    pub spdu: Option<u8>,
    pub acse: Option<Acse<'a>>,
    /// The MMS PDU (its TLV, tag first).
    pub mms: Option<&'a [u8]>,
    /// Layer errors (parsed but odd, or cut): which layer.
    pub bad_session: bool,
    pub bad_presentation: bool,
    pub bad_acse: bool,
}

/// Unwraps a COTP payload.
pub fn unwrap(p: &[u8]) -> Upper<'_> {
    let mut u = Upper::default();
    let Some(&first) = p.first() else {
        return u;
    };
    if is_mms_tag(first) {
        u.mms = Some(p);
        return u;
    }
    let Some((si, params, rest)) = spdu(p) else {
        u.bad_session = true;
        return u;
    };
    let user = match si {
        si::GIVE_TOKENS_OR_DATA | si::PLEASE_TOKENS => {
            // a category 0 SPDU (tokens) then the DT SPDU, or a lone DT
            match spdu(rest) {
                Some((si::GIVE_TOKENS_OR_DATA, _, data)) => {
                    u.spdu = Some(si::GIVE_TOKENS_OR_DATA);
                    data
                }
                _ if si == si::GIVE_TOKENS_OR_DATA => {
                    u.spdu = Some(si);
                    rest
                }
                _ => {
                    u.spdu = Some(si);
                    u.bad_session = true;
                    return u;
                }
            }
        }
        _ => {
            u.spdu = Some(si);
            match user_data_param(params) {
                Some(d) => d,
                None => return u,
            }
        }
    };
    if user.is_empty() {
        return u;
    }
    presentation(user, &mut u);
    u
}

/// One SPDU: `(SI, parameters, what follows the SPDU)`.
fn spdu(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let si = *b.first()?;
    let (len, at) = match *b.get(1)? {
        0xff => (u16::from_be_bytes([*b.get(2)?, *b.get(3)?]) as usize, 4),
        l => (l as usize, 2),
    };
    let params = b.get(at..at + len)?;
    Some((si, params, &b[at + len..]))
}

/// The session user data parameter (PGI C1 / C2) among `params`.
fn user_data_param(mut p: &[u8]) -> Option<&[u8]> {
    for _ in 0..MAX_SESSION_PARAMS {
        let (code, v, rest) = spdu(p)?;
        if code == PGI_USER_DATA || code == PGI_EXTENDED_USER_DATA {
            return Some(v);
        }
        p = rest;
    }
    None
}

/// Presentation user data: the first PDV's value, then ACSE or MMS.
fn presentation<'a>(b: &'a [u8], u: &mut Upper<'a>) {
    let Ok((top, _)) = ber::read(b) else {
        u.bad_presentation = true;
        return;
    };
    let ud = match (top.class, top.constructed, top.tag) {
        (Class::Application, true, 1) => Some(top),
        // CP, CPA (SET), CPR, ARU (SEQUENCE or [0]): user-data inside the
        // normal-mode parameters, or at their level
        (Class::Universal, true, 16 | 17) | (Class::Context, true, 0) => find_user_data(&top, 0),
        _ => None,
    };
    let Some(ud) = ud else {
        // ARP (abort without user data) and CPR without it are not errors
        if !(top.class == Class::Universal && top.tag == 16) {
            u.bad_presentation = true;
        }
        return;
    };
    let Some(pdv) = ud.children().find(|t| t.is_univ(16)) else {
        u.bad_presentation = true;
        return;
    };
    let Some(val) = pdv
        .children()
        .find(|t| (t.is_ctx(0) && t.constructed) || (t.is_ctx(1) && !t.constructed))
    else {
        u.bad_presentation = true;
        return;
    };
    let inner = val.value;
    match inner.first() {
        Some(&f) if is_mms_tag(f) => u.mms = Some(tlv_bytes(inner)),
        Some(&(0x60..=0x64)) => acse(inner, u),
        _ => u.bad_presentation = true,
    }
}

/// The bytes of the first TLV of `b` (all of `b` when it does not parse:
/// the MMS decoder reports that).
fn tlv_bytes(b: &[u8]) -> &[u8] {
    match ber::read(b) {
        Ok((t, _)) => &b[..t.header_len + t.value.len()],
        Err(_) => b,
    }
}

fn find_user_data<'a>(t: &Tlv<'a>, depth: usize) -> Option<Tlv<'a>> {
    if depth > 2 {
        return None;
    }
    for c in t.children() {
        if c.class == Class::Application && c.tag == 1 && c.constructed {
            return Some(c);
        }
        if c.constructed && (c.is_ctx(2) || c.is_univ(16) || c.is_ctx(0)) {
            if let Some(x) = find_user_data(&c, depth + 1) {
                return Some(x);
            }
        }
    }
    None
}

fn acse<'a>(b: &'a [u8], u: &mut Upper<'a>) {
    let Ok((t, _)) = ber::read(b) else {
        u.bad_acse = true;
        return;
    };
    let kind = match t.tag {
        0 => AcseKind::Aarq,
        1 => AcseKind::Aare,
        2 => AcseKind::Rlrq,
        3 => AcseKind::Rlre,
        _ => AcseKind::Abrt,
    };
    let mut a = Acse {
        kind,
        result: None,
        reason: None,
        auth_mechanism: None,
        authenticated: false,
    };
    let mut it = t.children();
    for c in it.by_ref() {
        match (kind, c.class, c.tag) {
            (AcseKind::Aare, Class::Context, 2) => {
                a.result = c.children().next().and_then(|i| i.uint());
            }
            (AcseKind::Rlrq | AcseKind::Rlre | AcseKind::Abrt, Class::Context, 0) => {
                a.reason = c.uint();
            }
            (AcseKind::Aarq, Class::Context, 11) => a.auth_mechanism = Some(c.value),
            (AcseKind::Aarq, Class::Context, 12) => a.authenticated = true,
            (_, Class::Context, 30) => {
                // user-information: EXTERNAL, encoding single-ASN1-type [0]
                let ext = c.children().find(|e| e.is_univ(8));
                let pdu = ext.and_then(|e| e.children().find(|x| x.is_ctx(0) && x.constructed));
                match pdu {
                    Some(p) if p.value.first().is_some_and(|&f| is_mms_tag(f)) => {
                        u.mms = Some(tlv_bytes(p.value));
                    }
                    _ => u.bad_acse = true,
                }
            }
            _ => {}
        }
    }
    if it.error().is_some() {
        u.bad_acse = true;
    }
    u.acse = Some(a);
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
    fn data_spdu_to_mms() {
        // ITI iec61850_write.pcap frame 12 (COTP user data): GT 01 00,
        // DT 01 00, presentation 61 1d { 30 1b { 02 01 03 (context 3),
        // a0 16 { MMS confirmed request a0 14 ... } } }
        let p = hex("01000100611d301b020103a016a014020100a50fa0083006a00480026d75a003850100");
        let u = unwrap(&p);
        assert_eq!(u.spdu, Some(si::GIVE_TOKENS_OR_DATA));
        assert_eq!(u.mms.unwrap()[..2], [0xa0, 0x14]);
        assert_eq!(u.mms.unwrap().len(), 0x16);
        assert!(!u.bad_session && !u.bad_presentation);
        // presentation cut: reported, no MMS
        let u = unwrap(&p[..10]);
        assert!(u.bad_presentation && u.mms.is_none());
    }

    #[test]
    fn connect_to_acse_and_mms() {
        // ITI piccolo.pcap frame 2 (server): AC SPDU 0e 95, PGI c1 87,
        // CPA 31 81 84 { a0 03 { 80 01 01 }, a2 7d { 83 04 .., a5 12 ..,
        // 61 61 { 30 5f { 02 01 01, a0 5a { 61 58 AARE { a1 07 ..,
        // a2 03 { 02 01 00 } result accepted, ... be ... a9 initiate } } } } } }
        let p = hex(concat!(
            "0e95050613010016010214020002c187318184a003800101a27d830400000001",
            "a5123007800100810251013007800100810251016161305f020101a05a6158a1",
            "07060528ca220203a203020100a305a103020100a40706052901876701a50302",
            "010cbe33283106025101020103a028a926800300c000810101820101830105a4",
            "16800101810305e100820c03ee1c000004000000010010",
        ));
        let p = &p[..];
        let u = unwrap(p);
        assert_eq!(u.spdu, Some(si::ACCEPT));
        let a = u.acse.unwrap();
        assert_eq!(a.kind, AcseKind::Aare);
        assert_eq!(a.result, Some(0));
        assert!(!a.authenticated);
        assert!(!u.bad_acse, "{u:?}");
        assert_eq!(u.mms.unwrap()[0], 0xa9);
    }

    #[test]
    fn mms_on_cotp_and_garbage() {
        // ITI mms-killRequest.pcap frame 16: conclude request 8b 00 on COTP
        let u = unwrap(&[0x8b, 0x00]);
        assert_eq!(u.spdu, None);
        assert_eq!(u.mms, Some(&[0x8b, 0x00][..]));
        assert!(unwrap(&[0x0d, 0x05, 0x01]).bad_session);
        assert!(unwrap(&[0x01]).bad_session);
        assert_eq!(unwrap(&[]), Upper::default());
        // FN SPDU without user data
        let u = unwrap(&[0x09, 0x00]);
        assert_eq!(u.spdu, Some(si::FINISH));
        assert!(u.mms.is_none() && !u.bad_session);
    }
}
