//! SMB2/3 over TCP (NetBIOS session framing): negotiate (dialects), session
//! setup (NTLMSSP user/domain/host), tree connect (share), create (file
//! names), with request/response pairing by message id. Large READ/WRITE
//! payloads are skipped, not buffered. SMB1 (still common on legacy OT
//! Windows hosts) is logged per command with its status and, for NEGOTIATE,
//! the client dialects; encrypted SMB3 messages are recognised, not decoded.

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    let d = i.data;
    if d.len() < 8 {
        return if d.first().is_some_and(|&b| b != 0) {
            ProbeResult::NoMatch
        } else {
            ProbeResult::NeedMore
        };
    }
    if d[0] == 0 && (&d[4..8] == b"\xfeSMB" || &d[4..8] == b"\xffSMB" || &d[4..8] == b"\xfdSMB") {
        ProbeResult::Match
    } else {
        ProbeResult::NoMatch
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::SmbState::default())
}

pub const SMB: ProtocolDef = ProtocolDef {
    name: "smb",
    transports: &[Transport::Tcp],
    ports: &[445, 139],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Feeder;
    use reefwatch_applayer::TestSink;
    use reefwatch_applayer::{BufferId, Direction, ParseResult};

    fn nbss(m: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 0, 0];
        v[1..4].copy_from_slice(&(m.len() as u32).to_be_bytes()[1..]);
        v.extend_from_slice(m);
        v
    }

    #[test]
    fn tree_connect_pair() {
        let req = nbss(&parser::tests::tree_connect());
        let mut resp_m = parser::tests::header(3, true, 5, 0);
        resp_m.extend_from_slice(&[16, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let resp = nbss(&resp_m);
        let i = ProbeInput {
            data: &req,
            dir: Direction::ToServer,
            transport: Transport::Tcp,
            client_port: 1,
            server_port: 8445,
        };
        assert_eq!(probe(&i), ProbeResult::Match);
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let mut f = Feeder::default();
        f.feed(p.as_mut(), Direction::ToServer, &req, 7, &mut sink);
        f.feed(p.as_mut(), Direction::ToClient, &resp, 7, &mut sink);
        assert_eq!(sink.events.len(), 1);
        assert_eq!(
            sink.events[0].1,
            r#"{"id":0,"command":"SMB2_COMMAND_TREE_CONNECT","status":"STATUS_SUCCESS","status_code":"0x0","session_id":4386,"tree_id":7,"share":"\\\\srv\\C$","share_type":"FILE"}"#
        );
        assert!(sink.buffers.iter().any(|b| b.0 == BufferId::SmbShare));
    }

    #[test]
    fn smb1_negotiate() {
        let mut req = vec![0xff, b'S', b'M', b'B', 0x72, 0, 0, 0, 0, 0x18, 0x01, 0x28];
        req.resize(30, 0);
        req.extend_from_slice(&7u16.to_le_bytes()); // mid
        req.push(0); // word count
        let dialects = b"\x02PC NETWORK PROGRAM 1.0\0\x02NT LM 0.12\0";
        req.extend_from_slice(&(dialects.len() as u16).to_le_bytes());
        req.extend_from_slice(dialects);
        let mut resp = vec![0xff, b'S', b'M', b'B', 0x72, 0, 0, 0, 0, 0x98, 0x01, 0x28];
        resp.resize(30, 0);
        resp.extend_from_slice(&7u16.to_le_bytes());
        resp.extend_from_slice(&[1, 1, 0, 0, 0]); // 1 word: dialect index 1, byte count 0
        let mut p = new_parser();
        let mut sink = TestSink::default();
        assert_eq!(
            p.parse(Direction::ToServer, &nbss(&req), &mut sink),
            ParseResult::Done
        );
        assert_eq!(
            p.parse(Direction::ToClient, &nbss(&resp), &mut sink),
            ParseResult::Done
        );
        assert_eq!(
            sink.events[0].1,
            r#"{"id":0,"dialect":"NT LM 0.12","command":"SMB1_COMMAND_NEGOTIATE_PROTOCOL","status":"STATUS_SUCCESS","status_code":"0x0","session_id":0,"tree_id":0,"client_dialects":["PC NETWORK PROGRAM 1.0","NT LM 0.12"]}"#
        );
    }

    #[test]
    fn large_write_is_skipped_not_buffered() {
        let mut w = parser::tests::header(9, false, 9, 0);
        w.resize(64 + 200_000, 0x41);
        let msg = nbss(&w);
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let r = p.parse(Direction::ToServer, &msg[..5000], &mut sink);
        assert_eq!(r, ParseResult::Done);
        assert_eq!(
            p.parse(Direction::ToServer, &msg[5000..], &mut sink),
            ParseResult::Done
        );
        // then a normal message parses
        assert_eq!(
            p.parse(
                Direction::ToServer,
                &nbss(&parser::tests::tree_connect()),
                &mut sink
            ),
            ParseResult::Done
        );
        assert!(sink.buffers.iter().any(|b| b.0 == BufferId::SmbShare));
    }
}
