//! S7comm and S7comm-plus over ISO-on-TCP (TPKT/COTP from [`crate::iso`],
//! port 102 as a hint only).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use crate::iso::cotp::{first_data, FirstData};
use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe over the TPKT frames buffered so far (the shared ISO walk,
/// [`crate::iso::cotp::first_data`]): version 3, reserved 0, sane lengths,
/// COTP with a consistent length indicator.
/// Connection requests/confirms (and other non-data TPDUs) prove nothing
/// (IEC 61850 MMS, RDP and bare ISO transports open the same way), so the
/// probe asks for more until the first DT TPDU, which must carry S7comm
/// (0x32, known ROSCTR, header lengths adding up to the TPDU) or
/// S7comm-plus (0x72, known version, length within the TPDU). A DT
/// carrying anything else (an ISO session SPDU for MMS) is no match.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    match first_data(input.data) {
        Ok(FirstData { data, total, eot }) => user_data(data, total, eot),
        Err(r) => r,
    }
}

/// The user data of the first DT TPDU: `u` as far as buffered, `total` its
/// length in the TPDU, `eot` whether the TPDU ends the message.
fn user_data(u: &[u8], total: usize, eot: bool) -> ProbeResult {
    let Some(&pid) = u.first() else {
        return ProbeResult::NeedMore;
    };
    match pid {
        0x32 => {
            let Some(h) = u.get(..10) else {
                return ProbeResult::NeedMore;
            };
            let hl = match h[1] {
                1 | 7 => 10,
                2 | 3 => 12,
                _ => return ProbeResult::NoMatch,
            };
            let plen = u16::from_be_bytes([h[6], h[7]]) as usize;
            let dlen = u16::from_be_bytes([h[8], h[9]]) as usize;
            let sum = hl + plen + dlen;
            if sum == total || (!eot && sum > total) {
                ProbeResult::Match
            } else {
                ProbeResult::NoMatch
            }
        }
        0x72 => {
            let Some(h) = u.get(..4) else {
                return ProbeResult::NeedMore;
            };
            if !matches!(h[1], 1 | 2 | 3 | 0x20) {
                return ProbeResult::NoMatch;
            }
            let dlen = u16::from_be_bytes([h[2], h[3]]) as usize;
            // header, data, then (in a whole frame) a 4-byte trailer
            if dlen > 0 && (4 + dlen <= total || !eot) {
                ProbeResult::Match
            } else {
                ProbeResult::NoMatch
            }
        }
        _ => ProbeResult::NoMatch,
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::S7State::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "s7comm",
    transports: &[Transport::Tcp],
    ports: &[102],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::Direction;

    fn pi(d: &[u8]) -> ProbeInput<'_> {
        ProbeInput {
            data: d,
            dir: Direction::ToServer,
            transport: Transport::Tcp,
            client_port: 1,
            server_port: 1102,
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn probe_by_content() {
        // ITI s7comm_reading_plc_status.pcap (testdata/probes/NOTICE),
        // frames 8 and 10: COTP CR (TPKT 22, LI 17, CR, TSAPs, TPDU size),
        // then DT (LI 2, F0, EOT) with S7comm job: 32 01, pdu ref 2,
        // param len 8, data len 0 (setup communication)
        let cr = hex("0300001611e00000000f00c1020100c2020102c0010a");
        let dt = hex("0300001902f08032010000020000080000f0000001000101e0");
        // a CR alone proves nothing (MMS, RDP open the same way)
        assert_eq!(probe(&pi(&cr)), ProbeResult::NeedMore);
        let both = [cr.clone(), dt.clone()].concat();
        assert_eq!(probe(&pi(&both)), ProbeResult::Match);
        assert_eq!(probe(&pi(&dt)), ProbeResult::Match);
        // frame 11: ack_data (12-byte header), param 8 + data 0 = 27 - 7
        let ack = hex("0300001b02f080320300000200000800000000f0000001000100f0");
        assert_eq!(probe(&pi(&ack)), ProbeResult::Match);
        assert_eq!(probe(&pi(&dt[..5])), ProbeResult::NeedMore);
        assert_eq!(probe(&pi(&dt[..12])), ProbeResult::NeedMore);
        // S7 lengths that do not add up to the TPDU: no match
        let mut bad = dt.clone();
        bad[14] = 9; // param len 9
        assert_eq!(probe(&pi(&bad)), ProbeResult::NoMatch);
        assert_eq!(
            probe(&pi(b"\x03\x00\x00\x10\x02\xf0\x80GET")),
            ProbeResult::NoMatch
        );
        assert_eq!(probe(&pi(b"GET /")), ProbeResult::NoMatch);
    }

    #[test]
    fn mms_is_not_s7comm() {
        // ITI IEC61850/iec.pcap frames 13 and 17 (client 53416 -> 102):
        // COTP CR, then DT whose user data is an ISO session CONNECT SPDU
        // (0x0d) carrying presentation/ACSE/MMS initiate. The CR alone
        // made the old probe claim s7comm.
        let cr = hex("030000130ee00000000600c1020002c2020001");
        let dt = hex("030000b602f0800dad0506130100160102140200023302000134");
        assert_eq!(probe(&pi(&cr)), ProbeResult::NeedMore);
        let both = [cr, dt].concat();
        assert_eq!(probe(&pi(&both)), ProbeResult::NoMatch);
        // server side, frames 15 and 18: CC, then DT with a session ACCEPT (0x0e)
        let cc = hex("0300001611d01801000400c1020002c2020200c0010a");
        let dt2 = hex("0300009102f0800e89050613010006010214020002c1003178a003");
        assert_eq!(probe(&pi(&[cc, dt2].concat())), ProbeResult::NoMatch);
        // MMS_-_Specific_Commands/mms-killRequest.pcap frame 6: a TPKT
        // whose COTP LI is 0 (tshark: tpkt:data)
        assert_eq!(probe(&pi(&hex("0300000500d080"))), ProbeResult::NoMatch);
    }

    #[test]
    fn cotp_connect_only_stays_undecided() {
        // ITI profinet/Profinet_Failed.pcap frames 25..27 (56050 -> 102):
        // CR, CR again, never a DT: asks for more, never claims
        let cr = hex("0300001611e00000000d00c1020200c2020202c0010a");
        assert_eq!(
            probe(&pi(&[cr.clone(), cr].concat())),
            ProbeResult::NeedMore
        );
    }

    #[test]
    fn s7comm_plus_by_content() {
        // cisagov icsnpp-s7comm s7comm_plus.pcap frame 2 (102 -> 49154):
        // DT, 72 03 (V3), data length 0x62: 4 + 98 + 4-byte trailer = 106
        let dt = hex("0300007102f080720300622008c83ace381dfdbc42201789dec03b0991");
        assert_eq!(probe(&pi(&dt)), ProbeResult::Match);
        let mut bad = dt.clone();
        bad[8] = 9; // unknown version
        assert_eq!(probe(&pi(&bad)), ProbeResult::NoMatch);
        let mut long = dt;
        long[9] = 0x70; // data length past the TPDU
        assert_eq!(probe(&pi(&long)), ProbeResult::NoMatch);
    }
}
