//! Parse throughput of the IT parsers on synthetic but realistic streams,
//! with events off (detection-only hot path) and on (EVE building).
//! `cargo bench -p reefwatch-it --bench parse`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{
    AppParser, Direction, EventSink, JsonBuilder, ParseResult, ProtocolDef, Transport,
};

struct Sink {
    events: bool,
    js: JsonBuilder,
    n: usize,
}

impl EventSink for Sink {
    fn wants_events(&self) -> bool {
        self.events
    }
    fn event(&mut self, _t: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.js.reset_object();
        body(&mut self.js);
        self.n += self.js.len();
    }
    fn event_toplevel(&mut self, t: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.event(t, body)
    }
    fn buffer(&mut self, _id: BufferId, data: &[u8]) {
        self.n += data.len();
    }
    fn anomaly(&mut self, _name: &'static str) {}
}

fn def(name: &str, t: Transport) -> &'static ProtocolDef {
    reefwatch_it::protocols()
        .iter()
        .find(|d| d.name == name && d.transports.contains(&t))
        .expect("protocol")
}

/// Feed (dir, bytes) segments of `seg` bytes like the engine.
fn run(def: &ProtocolDef, msgs: &[(Direction, Vec<u8>)], seg: usize, events: bool) -> usize {
    let mut p: Box<dyn AppParser> = (def.new_parser)();
    let mut sink = Sink {
        events,
        js: JsonBuilder::new_object(),
        n: 0,
    };
    let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    for (dir, bytes) in msgs {
        for chunk in bytes.chunks(seg) {
            let d = dir.index();
            if pending[d].is_empty() {
                if let ParseResult::Incomplete { consumed, .. } = p.parse(*dir, chunk, &mut sink) {
                    pending[d].extend_from_slice(&chunk[consumed..]);
                }
            } else {
                let mut buf = std::mem::take(&mut pending[d]);
                buf.extend_from_slice(chunk);
                if let ParseResult::Incomplete { consumed, .. } = p.parse(*dir, &buf, &mut sink) {
                    pending[d] = buf[consumed..].to_vec();
                }
            }
        }
    }
    p.on_close(&mut sink);
    sink.n
}

fn http_flow() -> Vec<(Direction, Vec<u8>)> {
    let mut v = Vec::new();
    for i in 0..20 {
        v.push((
            Direction::ToServer,
            format!(
                "GET /static/js/app.{i}.js?v=123 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nCookie: session=abcdef0123456789\r\nConnection: keep-alive\r\n\r\n"
            )
            .into_bytes(),
        ));
        let body = vec![b'x'; 4000];
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/javascript\r\nContent-Length: {}\r\nCache-Control: max-age=3600\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(&body);
        v.push((Direction::ToClient, r));
    }
    v
}

fn dns_msgs() -> Vec<(Direction, Vec<u8>)> {
    let q = vec![
        0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, b'w', b'w', b'w', 7, b'e', b'x', b'a',
        b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 0, 1, 0, 1,
    ];
    let mut r = q.clone();
    r[2] = 0x81;
    r[3] = 0x80;
    r[7] = 2;
    r.extend_from_slice(&[
        0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 3, b'w', b'e', b'b', 0xc0, 0x10,
    ]);
    r.extend_from_slice(&[
        0xc0, 0x2d, 0, 1, 0, 1, 0, 0, 0, 0x3c, 0, 4, 93, 184, 216, 34,
    ]);
    (0..100)
        .flat_map(|_| {
            [
                (Direction::ToServer, q.clone()),
                (Direction::ToClient, r.clone()),
            ]
        })
        .collect()
}

fn tls_flow() -> Vec<(Direction, Vec<u8>)> {
    let mut ch = vec![0x03, 0x03];
    ch.extend_from_slice(&[0x11; 32]);
    ch.push(0);
    let ciphers: Vec<u16> = vec![
        0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
        0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
    ];
    ch.extend_from_slice(&((ciphers.len() * 2) as u16).to_be_bytes());
    for c in &ciphers {
        ch.extend_from_slice(&c.to_be_bytes());
    }
    ch.extend_from_slice(&[1, 0]);
    let mut ext = vec![0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b];
    ext.extend_from_slice(b"example.com");
    ext.extend_from_slice(&[
        0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18,
    ]);
    ext.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    ext.extend_from_slice(&[
        0x00, 0x0d, 0x00, 0x0a, 0x00, 0x08, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03,
    ]);
    ext.extend_from_slice(&[
        0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, b'h', b'2', 0x08, b'h', b't', b't', b'p', b'/',
        b'1', b'.', b'1',
    ]);
    ext.extend_from_slice(&[0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03]);
    ch.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    ch.extend_from_slice(&ext);
    let mut hs = vec![1];
    hs.extend_from_slice(&(ch.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&ch);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    let mut sh = vec![0x03, 0x03];
    sh.extend_from_slice(&[0x22; 32]);
    sh.extend_from_slice(&[0, 0x13, 0x01, 0, 0, 6, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]);
    let mut shs = vec![2];
    shs.extend_from_slice(&(sh.len() as u32).to_be_bytes()[1..]);
    shs.extend_from_slice(&sh);
    let mut srec = vec![0x16, 0x03, 0x03];
    srec.extend_from_slice(&(shs.len() as u16).to_be_bytes());
    srec.extend_from_slice(&shs);
    srec.extend_from_slice(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
    let mut app = vec![0x17, 0x03, 0x03, 0x10, 0x00];
    app.resize(5 + 4096, 0x55);
    vec![
        (Direction::ToServer, rec),
        (Direction::ToClient, srec),
        (Direction::ToClient, app),
    ]
}

type Case = (
    &'static str,
    &'static ProtocolDef,
    Vec<(Direction, Vec<u8>)>,
    usize,
);

fn bench(c: &mut Criterion) {
    let cases: Vec<Case> = vec![
        (
            "http_keepalive_20tx",
            def("http", Transport::Tcp),
            http_flow(),
            1448,
        ),
        (
            "dns_udp_200msg",
            def("dns", Transport::Udp),
            dns_msgs(),
            usize::MAX,
        ),
        (
            "tls_handshake",
            def("tls", Transport::Tcp),
            tls_flow(),
            1448,
        ),
    ];
    let mut g = c.benchmark_group("it_parse");
    for (name, d, msgs, seg) in &cases {
        let bytes: usize = msgs.iter().map(|m| m.1.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        for events in [false, true] {
            let label = format!("{name}/{}", if events { "eve" } else { "detect_only" });
            g.bench_function(label, |b| b.iter(|| run(d, msgs, *seg, events)));
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
