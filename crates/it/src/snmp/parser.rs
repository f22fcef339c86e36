//! SNMP v1/v2c/v3 message (RFC 1157 / 3416 / 3412), BER, zero-copy: version,
//! community (or USM user name), PDU type and the variable bindings' OIDs.

use crate::util::{ber_tlv, ber_uint};

/// Variable bindings iterated per message.
pub const MAX_VARS: usize = 256;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Message<'a> {
    /// Wire value: 0 = v1, 1 = v2c, 3 = v3.
    pub version: u64,
    pub community: Option<&'a [u8]>,
    pub usm_user: Option<&'a [u8]>,
    /// PDU tag (0xa0..0xa8), None when the v3 scoped PDU is encrypted.
    pub pdu_tag: Option<u8>,
    /// Contents of the PDU (after the tag).
    pub pdu: &'a [u8],
}

fn seq(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (t, v, used) = ber_tlv(b)?;
    if t != 0x30 {
        return None;
    }
    Some((v, &b[used..]))
}

fn next(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (t, v, used) = ber_tlv(b)?;
    Some((t, v, &b[used..]))
}

impl<'a> Message<'a> {
    pub fn parse(b: &'a [u8]) -> Option<Message<'a>> {
        let (body, _) = seq(b)?;
        let (t, ver, rest) = next(body)?;
        if t != 0x02 {
            return None;
        }
        let version = ber_uint(ver);
        let mut m = Message {
            version,
            ..Default::default()
        };
        match version {
            0 | 1 => {
                let (t, comm, rest) = next(rest)?;
                if t != 0x04 {
                    return None;
                }
                m.community = Some(comm);
                let (pt, pdu, _) = next(rest)?;
                if !(0xa0..=0xa8).contains(&pt) {
                    return None;
                }
                m.pdu_tag = Some(pt);
                m.pdu = pdu;
            }
            3 => {
                let (_global, rest) = seq(rest)?;
                let (t, secparams, rest) = next(rest)?;
                if t != 0x04 {
                    return None;
                }
                // USM: SEQUENCE { engineID, boots, time, userName, ... }
                if let Some((usm, _)) = seq(secparams) {
                    let mut r = usm;
                    for i in 0..4 {
                        let Some((_, v, rr)) = next(r) else { break };
                        if i == 3 {
                            m.usm_user = Some(v);
                        }
                        r = rr;
                    }
                }
                // scopedPDU: plaintext SEQUENCE or encrypted OCTET STRING
                if let Some((scoped, _)) = seq(rest) {
                    let (_, _ctx_engine, r) = next(scoped)?;
                    let (_, _ctx_name, r) = next(r)?;
                    let (pt, pdu, _) = next(r)?;
                    if (0xa0..=0xa8).contains(&pt) {
                        m.pdu_tag = Some(pt);
                        m.pdu = pdu;
                    }
                }
            }
            _ => return None,
        }
        Some(m)
    }

    /// OIDs of the variable bindings (contents of each OID TLV).
    pub fn var_oids(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        // request-id, error-status, error-index, then the varbind list
        // (trap v1 has a different layout: enterprise, agent, generic,
        // specific, timestamp, varbinds)
        let skip = if self.pdu_tag == Some(0xa4) { 5 } else { 3 };
        let mut r = self.pdu;
        for _ in 0..skip {
            r = next(r).map(|x| x.2).unwrap_or(&[]);
        }
        let list = seq(r).map(|x| x.0).unwrap_or(&[]);
        let mut rest = list;
        let mut n = 0;
        core::iter::from_fn(move || {
            n += 1;
            if n > MAX_VARS {
                return None;
            }
            let (vb, r2) = seq(rest)?;
            rest = r2;
            let (t, oid, _) = next(vb)?;
            (t == 0x06).then_some(oid)
        })
    }
}

pub fn pdu_type_str(tag: u8) -> &'static str {
    match tag {
        0xa0 => "get_request",
        0xa1 => "get_next_request",
        0xa2 => "response",
        0xa3 => "set_request",
        0xa4 => "trap_v1",
        0xa5 => "get_bulk_request",
        0xa6 => "inform_request",
        0xa7 => "trap_v2",
        0xa8 => "report",
        _ => "unknown",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// SNMPv2c GetRequest, community "public", sysDescr.0.
    pub const GET: [u8; 41] = [
        0x30, 0x27, // SEQUENCE
        0x02, 0x01, 0x01, // version: v2c
        0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', // community
        0xa0, 0x1a, // GetRequest PDU
        0x02, 0x02, 0x12, 0x34, // request-id
        0x02, 0x01, 0x00, // error-status
        0x02, 0x01, 0x00, // error-index
        0x30, 0x0e, // varbind list
        0x30, 0x0c, // varbind
        0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, // 1.3.6.1.2.1.1.1.0
        0x05, 0x00, // NULL
    ];

    #[test]
    fn get_request() {
        let m = Message::parse(&GET).unwrap();
        assert_eq!(m.version, 1);
        assert_eq!(m.community, Some(&b"public"[..]));
        assert_eq!(m.pdu_tag, Some(0xa0));
        let oids: Vec<_> = m.var_oids().collect();
        assert_eq!(oids.len(), 1);
        let mut s = crate::util::StackBuf::new();
        crate::util::oid_to_string(oids[0], &mut s);
        assert_eq!(s.as_bytes(), b"1.3.6.1.2.1.1.1.0");
        for n in 0..GET.len() {
            let _ = Message::parse(&GET[..n]).map(|m| m.var_oids().count());
        }
    }
}
