//! IEC 61850 / ISO 9506 MMS over ISO-on-TCP: TPKT/COTP from the shared
//! ISO layer ([`crate::iso`]), then ISO session, presentation and ACSE
//! ([`osi`]) down to the MMS PDU ([`parser`], BER via [`ber`]). Port 102
//! is a hint only; S7comm shares it and is told apart by content.

pub mod ber;
pub mod logger;
pub mod names;
pub mod osi;
pub mod parser;
pub mod state;
pub mod tx;

use crate::iso::cotp::{first_data, FirstData};
use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe: the shared walk to the first COTP DT, whose user data
/// must be an ISO session SPDU (CONNECT / ACCEPT with a presentation
/// SET inside its user-data parameter, or GIVE-TOKENS + DATA carrying
/// presentation fully-encoded data) or an MMS PDU straight on COTP
/// (its tag and a BER length within the TPDU). S7comm (0x32, 0x72) and
/// anything else is no match.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    match first_data(input.data) {
        Ok(FirstData { data, total, eot }) => user_data(data, total, eot),
        Err(r) => r,
    }
}

/// Whether a BER value announced at the start of `d` fits in `total`
/// octets (`exact`: ends there).
fn ber_fits(d: &[u8], total: usize, exact: bool) -> ProbeResult {
    match ber::header(d) {
        Ok((h, l)) if h + l == total || (!exact && h + l <= total) => ProbeResult::Match,
        Ok(_) => ProbeResult::NoMatch,
        Err(ber::BerError::Truncated) if d.len() < total => ProbeResult::NeedMore,
        Err(_) => ProbeResult::NoMatch,
    }
}

fn user_data(d: &[u8], total: usize, eot: bool) -> ProbeResult {
    let Some(&first) = d.first() else {
        return ProbeResult::NeedMore;
    };
    if osi::is_mms_tag(first) {
        return if eot {
            ber_fits(d, total, true)
        } else {
            ber_fits(d, usize::MAX, false)
        };
    }
    match first {
        osi::si::CONNECT | osi::si::ACCEPT => {
            let Some(&li) = d.get(1) else {
                return ProbeResult::NeedMore;
            };
            let (len, at) = if li == 0xff {
                match d.get(2..4) {
                    Some(b) => (u16::from_be_bytes([b[0], b[1]]) as usize, 4),
                    None => return ProbeResult::NeedMore,
                }
            } else {
                (li as usize, 2)
            };
            if at + len > total && eot {
                return ProbeResult::NoMatch;
            }
            // walk the parameters to the user data (PGI C1 / C2)
            let mut p = at;
            for _ in 0..osi::MAX_SESSION_PARAMS {
                let (Some(&code), Some(&l)) = (d.get(p), d.get(p + 1)) else {
                    return ProbeResult::NeedMore;
                };
                let (l, h) = if l == 0xff {
                    match d.get(p + 2..p + 4) {
                        Some(b) => (u16::from_be_bytes([b[0], b[1]]) as usize, 4),
                        None => return ProbeResult::NeedMore,
                    }
                } else {
                    (l as usize, 2)
                };
                if p + h + l > at + len {
                    return ProbeResult::NoMatch;
                }
                if code == osi::PGI_USER_DATA || code == osi::PGI_EXTENDED_USER_DATA {
                    return match d.get(p + h) {
                        None => ProbeResult::NeedMore,
                        // CP / CPA: SET; CPR: SEQUENCE
                        Some(0x31 | 0x30) => ber_fits(&d[p + h..], l, true),
                        Some(_) => ProbeResult::NoMatch,
                    };
                }
                p += h + l;
                if p >= at + len {
                    return ProbeResult::NoMatch;
                }
            }
            ProbeResult::NoMatch
        }
        osi::si::GIVE_TOKENS_OR_DATA => {
            // GT (01 00) then DT (01 00) then presentation user data (61)
            let Some(h) = d.get(..5) else {
                return ProbeResult::NeedMore;
            };
            if h[..4] != [1, 0, 1, 0] || h[4] != 0x61 {
                return ProbeResult::NoMatch;
            }
            ber_fits(&d[4..], total - 4, eot)
        }
        _ => ProbeResult::NoMatch,
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::MmsState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "mms",
    transports: &[Transport::Tcp],
    ports: &[102],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::{Direction, ParseResult, TestSink};

    fn pi(d: &[u8]) -> ProbeInput<'_> {
        ProbeInput {
            data: d,
            dir: Direction::ToServer,
            transport: Transport::Tcp,
            client_port: 1,
            server_port: 102,
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // ITI iec61850_write.pcap frames 12, 14 (TPKT, COTP DT, GT+DT SPDUs,
    // presentation, MMS write request / response)
    const WRITE_REQ: &str =
        "0300002a02f08001000100611d301b020103a016a014020100a50fa0083006a00480026d75a003850100";
    const WRITE_RSP: &str = "0300001b02f08001000100610e300c020103a007a1050201003000";

    #[test]
    fn probe_by_content() {
        let req = hex(WRITE_REQ);
        assert_eq!(probe(&pi(&req)), ProbeResult::Match);
        assert_eq!(probe(&pi(&req[..9])), ProbeResult::NeedMore);
        // CR (iec.pcap frame 13) alone: undecided
        let cr = hex("030000130ee00000000600c1020002c2020001");
        assert_eq!(probe(&pi(&cr)), ProbeResult::NeedMore);
        // CR then a session CONNECT (piccolo frame 1, cut): presentation SET
        let cn = hex("030000bf02f0800db60506130100160102140200023302000134020001c1a031819d");
        assert_eq!(probe(&pi(&[cr.clone(), cn].concat())), ProbeResult::Match);
        // MMS straight on COTP (mms-killRequest.pcap frame 16: conclude)
        assert_eq!(probe(&pi(&hex("0300000902f0808b00"))), ProbeResult::Match);
        // S7comm setup communication is not MMS
        let s7 = hex("0300001902f08032010000020000080000f0000001000101e0");
        assert_eq!(probe(&pi(&[cr, s7].concat())), ProbeResult::NoMatch);
        // S7comm-plus
        assert_eq!(
            probe(&pi(&hex("0300001102f080720300622008c83ace38"))),
            ProbeResult::NoMatch
        );
        // an MMS tag whose length disagrees with the TPDU
        assert_eq!(probe(&pi(&hex("0300000902f0808b05"))), ProbeResult::NoMatch);
        assert_eq!(probe(&pi(b"GET / HTTP/1.1\r\n")), ProbeResult::NoMatch);
    }

    #[test]
    fn write_transaction() {
        let mut s = state::MmsState::new();
        let mut sink = TestSink::default();
        let req = hex(WRITE_REQ);
        // split anywhere: the same one event
        for cut in 0..req.len() {
            let mut s2 = state::MmsState::new();
            let mut k = TestSink::default();
            let c = match s2.parse(Direction::ToServer, &req[..cut], &mut k) {
                ParseResult::Incomplete { consumed, .. } => consumed,
                _ => cut,
            };
            s2.parse(Direction::ToServer, &req[c..], &mut k);
            assert_eq!(k.events.len(), 1, "cut {cut}");
        }
        s.parse(Direction::ToServer, &req, &mut sink);
        s.parse(Direction::ToClient, &hex(WRITE_RSP), &mut sink);
        assert_eq!(sink.events.len(), 2);
        let e = &sink.events[0].1;
        assert!(e.contains("\"service\":\"write\""), "{e}");
        assert!(e.contains("\"operation\":\"write\""), "{e}");
        assert!(e.contains("\"variables\":[{\"vmd\":\"mu\"}]"), "{e}");
        assert!(
            e.contains("\"values\":[{\"type\":\"integer\",\"value\":0}]"),
            "{e}"
        );
        let r = &sink.events[1].1;
        // the capture's response carries a bare SEQUENCE where the write
        // service should be (tshark decodes no service either): paired, odd
        assert!(
            r.starts_with("{\"id\":1,\"pdu\":\"confirmed_response\",\"invoke_id\":0,\"operation"),
            "{r}"
        );
        assert!(
            r.contains("\"request\":{\"pdu\":\"confirmed_request\""),
            "{r}"
        );
        assert_eq!(sink.anomalies, ["mms.malformed_pdu"]);
        s.on_close(&mut sink);
        assert_eq!(sink.events.len(), 2);
    }

    #[test]
    fn unanswered_and_garbage() {
        let mut s = state::MmsState::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToServer, &hex(WRITE_REQ), &mut sink);
        // a TPKT whose COTP LI is 0, then garbage
        s.parse(Direction::ToClient, &hex("0300000700d080ff0307"), &mut sink);
        s.on_close(&mut sink);
        assert!(sink.events[1].1.contains("\"status\":\"unanswered\""));
        assert!(sink.anomalies.iter().any(|a| a == "mms.bad_cotp"));
        assert!(sink.anomalies.iter().any(|a| a == "mms.bad_tpkt"));
    }
}
