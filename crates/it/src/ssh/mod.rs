//! SSH banners and HASSH.

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    const P: &[u8] = b"SSH-";
    let n = i.data.len().min(P.len());
    if i.data[..n] != P[..n] {
        return ProbeResult::NoMatch;
    }
    if n < P.len() {
        ProbeResult::NeedMore
    } else {
        ProbeResult::Match
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::SshState::default())
}

pub const SSH: ProtocolDef = ProtocolDef {
    name: "ssh",
    transports: &[Transport::Tcp],
    ports: &[22, 2222],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Feeder;
    use reefwatch_applayer::{Direction, TestSink};

    #[test]
    fn banners_and_hassh_event() {
        let kex = parser::tests::kexinit_packet();
        let mut c = b"SSH-2.0-OpenSSH_9.6 Debian\r\n".to_vec();
        c.extend_from_slice(&kex);
        let mut s = b"Welcome\r\nSSH-2.0-dropbear_2022.83\r\n".to_vec();
        s.extend_from_slice(&kex);
        for piece in [1, 7, 4096] {
            let mut p = new_parser();
            let mut sink = TestSink::default();
            let mut f = Feeder::default();
            f.feed(p.as_mut(), Direction::ToServer, &c, piece, &mut sink);
            f.feed(p.as_mut(), Direction::ToClient, &s, piece, &mut sink);
            p.on_close(&mut sink);
            assert_eq!(f.errors, 0);
            assert_eq!(sink.events.len(), 1);
            let ev = &sink.events[0].1;
            let hs =
                "curve25519-sha256,diffie-hellman-group14-sha256;aes128-ctr;hmac-sha2-256;none";
            let h = crate::tls::ja::md5_hex(hs);
            assert_eq!(
                ev,
                &format!(
                    r#"{{"client":{{"proto_version":"2.0","software_version":"OpenSSH_9.6","hassh":{{"hash":"{h}","string":"{hs}"}}}},"server":{{"proto_version":"2.0","software_version":"dropbear_2022.83","hassh":{{"hash":"{}","string":"curve25519-sha256,diffie-hellman-group14-sha256;aes256-ctr;hmac-sha2-512;none,zlib"}}}}}}"#,
                    crate::tls::ja::md5_hex("curve25519-sha256,diffie-hellman-group14-sha256;aes256-ctr;hmac-sha2-512;none,zlib")
                )
            );
        }
    }

    #[test]
    fn probe_and_garbage() {
        let i = ProbeInput {
            data: b"SSH-2.0-x",
            dir: Direction::ToServer,
            transport: Transport::Tcp,
            client_port: 1,
            server_port: 80,
        };
        assert_eq!(probe(&i), ProbeResult::Match);
        assert_eq!(
            probe(&ProbeInput { data: b"SS", ..i }),
            ProbeResult::NeedMore
        );
        assert_eq!(
            probe(&ProbeInput { data: b"GET ", ..i }),
            ProbeResult::NoMatch
        );
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let long = vec![b'A'; 400];
        assert_eq!(
            p.parse(Direction::ToServer, &long, &mut sink),
            reefwatch_applayer::ParseResult::Error
        );
    }
}
