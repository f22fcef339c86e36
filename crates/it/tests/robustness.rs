//! Robustness: mutated and random inputs through every protocol, driven
//! like the engine does. Must never panic, hang or assert. (The fuzz
//! targets run the same driver under libFuzzer.)

use reefwatch_applayer::Transport;
use reefwatch_it::fuzzing::drive;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn seeds(name: &str) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".to_vec()];
    match name {
        "dns" => v.push(vec![
            0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, b'w', b'w', b'w', 0, 0, 1, 0, 1,
            0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4,
        ]),
        "tls" => v.push({
            let mut r = vec![
                0x16, 0x03, 0x01, 0x00, 0x31, 0x01, 0x00, 0x00, 0x2d, 0x03, 0x03,
            ];
            r.extend_from_slice(&[0x11; 32]);
            r.extend_from_slice(&[0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00, 0x00, 0x00]);
            r
        }),
        "ssh" => v.push(
            b"SSH-2.0-OpenSSH_9.6\r\n\x00\x00\x00\x1c\x06\x14aaaaaaaaaaaaaaaa\x00\x00\x00\x00"
                .to_vec(),
        ),
        "ftp" => {
            v.push(b"USER a\r\nPASS b\r\n227 Entering Passive Mode (1,2,3,4,5,6)\r\n".to_vec())
        }
        "smb" => v.push({
            let mut m = vec![0, 0, 0, 80, 0xfe, b'S', b'M', b'B', 64];
            m.resize(84, 0);
            m
        }),
        "rdp" => {
            v.push(b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00Cookie: mstshash=a\r\n".to_vec())
        }
        _ => {}
    }
    v
}

#[test]
fn every_protocol_survives_mutations() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut events = 0usize;
    let mut runs = 0usize;
    for def in reefwatch_it::protocols() {
        for seed in seeds(def.name) {
            for iter in 0..400 {
                let mut d = vec![(rng.next() & 0xff) as u8, (rng.next() & 0xff) as u8];
                d.extend_from_slice(&seed);
                let flips = 1 + (rng.next() % 8) as usize;
                for _ in 0..flips {
                    let n = d.len();
                    match rng.next() % 4 {
                        0 => d[2 + (rng.next() as usize % (n - 2))] = rng.next() as u8,
                        1 => d.truncate(2 + (rng.next() as usize % (n - 1))),
                        2 => {
                            let at = 2 + (rng.next() as usize % (n - 1)).min(n - 2);
                            d.insert(at, rng.next() as u8)
                        }
                        _ => {
                            let start = 2 + (rng.next() as usize % (n - 1)).min(n - 2);
                            let chunk: Vec<u8> = d[start..].iter().take(32).copied().collect();
                            d.extend_from_slice(&chunk);
                        }
                    }
                    if d.len() < 3 {
                        d.push(0);
                    }
                }
                if iter % 50 == 0 {
                    // pure noise too
                    d = (0..(rng.next() % 600)).map(|_| rng.next() as u8).collect();
                }
                events += drive(def, &d);
                runs += 1;
            }
        }
    }
    // the driver really parses: mutated seeds still produce events
    assert!(runs > 5000 && events > 1000, "runs {runs}, events {events}");
    // transports are covered
    assert!(reefwatch_it::protocols()
        .iter()
        .any(|d| d.transports.contains(&Transport::Udp)));
}
