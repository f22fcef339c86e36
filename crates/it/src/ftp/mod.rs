//! FTP control channel; cleartext USER/PASS is flagged as an anomaly
//! (`ftp.cleartext_credentials`), common on OT engineering stations.

pub mod logger;
pub mod parser;
pub mod state;

use reefwatch_applayer::{AppParser, Direction, ProbeInput, ProbeResult, ProtocolDef, Transport};

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    let d = i.data;
    match i.dir {
        // server greeting: "220 " or "220-"
        Direction::ToClient => {
            if d.len() < 4 {
                return if d.iter().all(|c| c.is_ascii_digit()) {
                    ProbeResult::NeedMore
                } else {
                    ProbeResult::NoMatch
                };
            }
            if d.starts_with(b"220") && (d[3] == b' ' || d[3] == b'-') {
                ProbeResult::Match
            } else {
                ProbeResult::NoMatch
            }
        }
        Direction::ToServer => {
            for c in [&b"USER "[..], b"AUTH ", b"FEAT", b"SYST", b"OPTS "] {
                let n = d.len().min(c.len());
                if d[..n].eq_ignore_ascii_case(&c[..n]) {
                    return if n < c.len() {
                        ProbeResult::NeedMore
                    } else {
                        ProbeResult::Match
                    };
                }
            }
            ProbeResult::NoMatch
        }
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::FtpState::default())
}

pub const FTP: ProtocolDef = ProtocolDef {
    name: "ftp",
    transports: &[Transport::Tcp],
    ports: &[21],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Feeder;
    use reefwatch_applayer::TestSink;

    #[test]
    fn session() {
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let mut f = Feeder::default();
        f.feed(
            p.as_mut(),
            Direction::ToClient,
            b"220-Welcome\r\n220 FTP ready\r\n",
            5,
            &mut sink,
        );
        f.feed(
            p.as_mut(),
            Direction::ToServer,
            b"USER op\r\n",
            3,
            &mut sink,
        );
        f.feed(
            p.as_mut(),
            Direction::ToClient,
            b"331 Password required\r\n",
            7,
            &mut sink,
        );
        f.feed(
            p.as_mut(),
            Direction::ToServer,
            b"PASS s3cret\r\nPASV\r\nRETR plc.bin\r\n",
            4,
            &mut sink,
        );
        f.feed(
            p.as_mut(),
            Direction::ToClient,
            b"230 OK\r\n227 Entering Passive Mode (10,0,0,5,195,80).\r\n150 Opening\r\n226 Done\r\n",
            9,
            &mut sink,
        );
        p.on_close(&mut sink);
        let ev: Vec<&str> = sink.events.iter().map(|e| e.1.as_str()).collect();
        assert_eq!(ev.len(), 5, "{ev:?}");
        assert_eq!(
            ev[0],
            r#"{"reply":["Welcome","FTP ready"],"completion_code":["220"],"reply_received":"yes"}"#
        );
        assert_eq!(
            ev[1],
            r#"{"command":"USER","command_data":"op","reply":["Password required"],"completion_code":["331"],"reply_received":"yes"}"#
        );
        assert!(
            ev[3].contains(r#""dynamic_port":50000,"mode":"passive""#),
            "{}",
            ev[3]
        );
        assert!(
            ev[4].contains(r#""completion_code":["150","226"]"#),
            "{}",
            ev[4]
        );
        assert!(sink
            .anomalies
            .iter()
            .any(|a| a == "ftp.cleartext_credentials"));
    }
}
