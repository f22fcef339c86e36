//! FTP control channel; cleartext USER/PASS is flagged as an anomaly
//! (`ftp.cleartext_credentials`), common on OT engineering stations.

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, Direction, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe on one whole first line (up to CRLF). A "220" greeting
/// is shared with SMTP, and USER / AUTH with IRC, POP3 and Redis, so the
/// line must be FTP's: a greeting that does not announce (E)SMTP, `USER`
/// with exactly one argument, `AUTH` with an RFC 4217 mechanism, or a bare
/// `FEAT` / `SYST` / `OPTS <x>`.
fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    let d = i.data;
    let Some(end) = d.windows(2).position(|w| w == b"\r\n") else {
        // no whole line yet: wait while what is there can still be FTP
        let plausible = d.len() < parser::MAX_LINE.min(512)
            && d.iter().all(|&c| c == b'\t' || (0x20..0x7f).contains(&c))
            && prefix_plausible(i.dir, d);
        return if plausible {
            ProbeResult::NeedMore
        } else {
            ProbeResult::NoMatch
        };
    };
    if line_is_ftp(i.dir, &d[..end]) {
        ProbeResult::Match
    } else {
        ProbeResult::NoMatch
    }
}

const COMMANDS: [&[u8]; 5] = [b"USER ", b"AUTH ", b"FEAT", b"SYST", b"OPTS "];

fn prefix_plausible(dir: Direction, d: &[u8]) -> bool {
    match dir {
        Direction::ToClient => {
            let n = d.len().min(4);
            b"220 "[..n.min(3)] == d[..n.min(3)] && (n < 4 || d[3] == b' ' || d[3] == b'-')
        }
        Direction::ToServer => COMMANDS.iter().any(|c| {
            let n = d.len().min(c.len());
            d[..n].eq_ignore_ascii_case(&c[..n])
        }),
    }
}

fn line_is_ftp(dir: Direction, line: &[u8]) -> bool {
    if !line
        .iter()
        .all(|&c| c == b'\t' || (0x20..0x7f).contains(&c))
    {
        return false;
    }
    match dir {
        Direction::ToClient => {
            line.len() >= 4
                && line.starts_with(b"220")
                && (line[3] == b' ' || line[3] == b'-')
                && !contains_ci(line, b"SMTP")
        }
        Direction::ToServer => {
            let (verb, arg) = match line.iter().position(|&c| c == b' ') {
                Some(p) => (&line[..p], &line[p + 1..]),
                None => (line, &b""[..]),
            };
            let is = |v: &[u8]| verb.eq_ignore_ascii_case(v);
            if is(b"USER") {
                !arg.is_empty() && !arg.contains(&b' ')
            } else if is(b"AUTH") {
                [&b"TLS"[..], b"SSL", b"TLS-C", b"TLS-P"]
                    .iter()
                    .any(|m| arg.eq_ignore_ascii_case(m))
            } else if is(b"FEAT") || is(b"SYST") {
                arg.is_empty()
            } else {
                is(b"OPTS") && !arg.is_empty()
            }
        }
    }
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
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

    fn probe_of(dir: Direction, data: &[u8]) -> ProbeResult {
        probe(&ProbeInput {
            data,
            dir,
            transport: Transport::Tcp,
            client_port: 40000,
            server_port: 21,
        })
    }

    /// First lines the old prefix probe took for FTP, from the shared
    /// captures (testdata/probes/NOTICE credits the sources).
    #[test]
    fn probe_rejects_smtp_irc_redis_pop3() {
        use Direction::{ToClient, ToServer};
        // smtp.pcap: Exim's greeting, "220-" like FTP but ESMTP
        let smtp = b"220-xc90.websitewelcome.com ESMTP Exim 4.69 #1 Mon, 05 Oct 2009\r\n";
        assert_eq!(probe_of(ToClient, smtp), ProbeResult::NoMatch);
        // irc-basic.pcap: IRC's USER has four parameters
        assert_eq!(
            probe_of(ToServer, b"USER brotest * * :brotest\r\n"),
            ProbeResult::NoMatch
        );
        // redis/almost-resp.pcap: Redis inline AUTH, not an RFC 4217 mechanism
        assert_eq!(
            probe_of(ToServer, b"AUTH noone password\r\nPING\r\n"),
            ProbeResult::NoMatch
        );
        // pop3-unknown-commands.pcap: LF-only lines are not FTP's CRLF
        let mut pop = b"USER zeek@zeek.org\n".to_vec();
        pop.resize(600, b'x');
        assert_eq!(probe_of(ToServer, &pop), ProbeResult::NoMatch);
        // a partial line waits; FTP's own lines match
        assert_eq!(probe_of(ToClient, b"22"), ProbeResult::NeedMore);
        assert_eq!(probe_of(ToServer, b"USER op"), ProbeResult::NeedMore);
        assert_eq!(probe_of(ToClient, b"220 FTP ready\r\n"), ProbeResult::Match);
        assert_eq!(probe_of(ToServer, b"USER op\r\n"), ProbeResult::Match);
        assert_eq!(probe_of(ToServer, b"AUTH TLS\r\n"), ProbeResult::Match);
        assert_eq!(probe_of(ToServer, b"SYST\r\n"), ProbeResult::Match);
    }

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
