//! Development harness (adapted from the OT crate's ot_feed), not the engine: feeds transport payloads extracted
//! by tshark into the IT parsers and prints EVE-like JSON lines with
//! `pcap_cnt` set to the frame number that completed each event.
//!
//! Input (stdin), one line per TCP segment or UDP datagram with payload:
//! `frame \t src \t sport \t dst \t dport \t proto(6|17) \t syn \t ack \t hex`
//! (see `scripts/conformance-tshark.sh --feed`). TCP segments are taken in
//! capture order (retransmissions filtered by tshark); a flow's client is the
//! SYN sender, else the sender of the first segment.

use reefwatch_applayer::{
    AppParser, Direction, EventSink, JsonBuilder, ParseResult, ProbeInput, ProbeResult,
    ProtocolDef, Transport,
};
use std::collections::HashMap;
use std::io::{BufRead, Write};

struct Sink<'a> {
    frame: u64,
    hdr: String,
    out: &'a mut dyn Write,
    app: &'static str,
}

impl EventSink for Sink<'_> {
    fn wants_events(&self) -> bool {
        true
    }
    fn event(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        let mut js = JsonBuilder::new_object();
        js.set_uint("pcap_cnt", self.frame);
        js.set_str("event_type", event_type);
        js.set_raw("flow", &self.hdr);
        js.set_str("app_proto", self.app);
        js.open_object(event_type);
        body(&mut js);
        js.close();
        js.close();
        let _ = writeln!(self.out, "{}", js.as_str());
    }
    fn event_toplevel(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.event(event_type, body)
    }
    fn anomaly(&mut self, _name: &'static str) {}
}

struct Flow {
    client: (String, u16),
    proto: Option<(ProtocolDef, Box<dyn AppParser>)>,
    tried: usize,
    pending: [Vec<u8>; 2],
    dead: [bool; 2],
    last_frame: u64,
    hdr: String,
}

fn unhex(s: &str) -> Vec<u8> {
    let s = s.replace(':', "");
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn main() {
    let protos = reefwatch_it::protocols();
    let mut flows: HashMap<(String, u16, String, u16, u8), Flow> = HashMap::new();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 9 {
            continue;
        }
        let frame: u64 = f[0].parse().unwrap_or(0);
        let (src, dst) = (f[1].to_string(), f[3].to_string());
        let sport: u16 = f[2].parse().unwrap_or(0);
        let dport: u16 = f[4].parse().unwrap_or(0);
        let ipproto: u8 = f[5].parse().unwrap_or(6);
        let syn = f[6] == "1" || f[6] == "True";
        let ack = f[7] == "1" || f[7] == "True";
        let data = unhex(f[8]);
        let (a, b) = ((src.clone(), sport), (dst.clone(), dport));
        let key = if a <= b {
            (a.0.clone(), a.1, b.0.clone(), b.1, ipproto)
        } else {
            (b.0.clone(), b.1, a.0.clone(), a.1, ipproto)
        };
        let flow = flows.entry(key).or_insert_with(|| Flow {
            client: if syn && ack { b.clone() } else { a.clone() },
            proto: None,
            tried: 0,
            pending: [Vec::new(), Vec::new()],
            dead: [false, false],
            last_frame: 0,
            hdr: String::new(),
        });
        flow.last_frame = frame;
        if data.is_empty() {
            continue;
        }
        let dir = if (src.clone(), sport) == flow.client {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let (cport, sport2) = if dir == Direction::ToServer {
            (sport, dport)
        } else {
            (dport, sport)
        };
        let transport = if ipproto == 17 {
            Transport::Udp
        } else {
            Transport::Tcp
        };
        if flow.proto.is_none() {
            if flow.tried > 8 {
                continue;
            }
            flow.tried += 1;
            let pi = ProbeInput {
                data: &data,
                dir,
                transport,
                client_port: cport,
                server_port: sport2,
            };
            // port hint first, then everything
            let mut order: Vec<&ProtocolDef> = protos
                .iter()
                .filter(|p| p.ports.contains(&sport2) && p.transports.contains(&transport))
                .collect();
            order.extend(
                protos
                    .iter()
                    .filter(|p| !p.ports.contains(&sport2) && p.transports.contains(&transport)),
            );
            for p in order {
                if (p.probe)(&pi) == ProbeResult::Match {
                    flow.proto = Some((*p, (p.new_parser)()));
                    break;
                }
            }
        }
        let Some((def, parser)) = flow.proto.as_mut() else {
            continue;
        };
        let (c, s) = (
            &flow.client,
            if dir == Direction::ToServer {
                (&dst, dport)
            } else {
                (&src, sport)
            },
        );
        let hdr = format!(
            "{{\"src_ip\":\"{}\",\"src_port\":{},\"dest_ip\":\"{}\",\"dest_port\":{}}}",
            c.0, c.1, s.0, s.1
        );
        flow.hdr = hdr.clone();
        let mut sink = Sink {
            frame,
            hdr,
            out: &mut out,
            app: def.name,
        };
        let d = dir.index();
        if flow.dead[d] {
            continue;
        }
        if transport == Transport::Udp {
            let _ = parser.parse(dir, &data, &mut sink);
            continue;
        }
        let mut buf = std::mem::take(&mut flow.pending[d]);
        buf.extend_from_slice(&data);
        match parser.parse(dir, &buf, &mut sink) {
            ParseResult::Done => {}
            ParseResult::Incomplete { consumed, .. } => {
                let rest = buf.get(consumed..).unwrap_or(&[]).to_vec();
                if rest.len() < 1 << 20 {
                    flow.pending[d] = rest;
                }
            }
            ParseResult::Error => flow.dead[d] = true,
        }
    }
    for (_, mut fl) in flows {
        if let Some((def, mut p)) = fl.proto.take() {
            let mut sink = Sink {
                frame: fl.last_frame,
                hdr: fl.hdr.clone(),
                out: &mut out,
                app: def.name,
            };
            p.on_close(&mut sink);
        }
    }
}
