use super::*;
use crate::testkit::Feeder;
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{Direction, TestSink};

fn run(req: &[u8], resp: &[u8], piece: usize) -> TestSink {
    let mut p = new_parser();
    let mut sink = TestSink::default();
    let mut f = Feeder::default();
    f.feed(p.as_mut(), Direction::ToServer, req, piece, &mut sink);
    f.feed(p.as_mut(), Direction::ToClient, resp, piece, &mut sink);
    p.on_close(&mut sink);
    assert_eq!(f.errors, 0);
    sink
}

fn buf(s: &TestSink, id: BufferId) -> Vec<&[u8]> {
    s.buffers
        .iter()
        .filter(|(n, _)| *n == id)
        .map(|(_, v)| v.as_slice())
        .collect()
}

/// Run `f` with the process-wide parser settings changed by `change`,
/// one such test at a time (the settings are global).
fn with_config<R>(
    change: impl FnOnce(crate::config::ItConfig) -> crate::config::ItConfig,
    f: impl FnOnce() -> R,
) -> R {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let prev = crate::config::current();
    crate::config::configure(change(prev));
    let r = f();
    crate::config::configure(prev);
    r
}

fn all_hashes(c: crate::config::ItConfig) -> crate::config::ItConfig {
    crate::config::ItConfig {
        file_hashes: crate::config::FileHashes::ALL,
        ..c
    }
}

const GET: &[u8] = b"GET /dir/../index.html?q=1 HTTP/1.1\r\nHost: WWW.Example.com:8080\r\nUser-Agent: curl/8.0\r\nCookie: s=1\r\n\r\n";
const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello";

#[test]
fn simple_get_any_split() {
    for piece in [1, 3, 7, 1000] {
        let s = with_config(all_hashes, || run(GET, OK, piece));
        let http: Vec<_> = s.events.iter().filter(|e| e.0 == "http").collect();
        assert_eq!(http.len(), 1, "piece {piece}");
        assert_eq!(
            http[0].1,
            r#"{"hostname":"www.example.com","http_port":8080,"url":"/dir/../index.html?q=1","http_user_agent":"curl/8.0","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":5}"#
        );
        let fi: Vec<_> = s.events.iter().filter(|e| e.0 == "fileinfo").collect();
        assert_eq!(fi.len(), 1);
        // md5("hello")
        assert!(
            fi[0]
                .1
                .contains(r#""md5":"5d41402abc4b2a76b9719d911017c592""#),
            "{}",
            fi[0].1
        );
        assert!(fi[0].1.contains(r#""filename":"/dir/../index.html""#));
        // the digests are also buffers, for intel (file.md5 = md5("hello"))
        assert_eq!(
            buf(&s, BufferId::FileMd5),
            vec![&b"5d41402abc4b2a76b9719d911017c592"[..]]
        );
        assert_eq!(buf(&s, BufferId::FileSha256).len(), 1);
        assert!(fi[0].1.contains(r#""size":5"#));
        assert_eq!(buf(&s, BufferId::HttpUri), vec![&b"/index.html?q=1"[..]]);
        assert_eq!(
            buf(&s, BufferId::HttpUriRaw),
            vec![&b"/dir/../index.html?q=1"[..]]
        );
        assert_eq!(buf(&s, BufferId::HttpHost), vec![&b"www.example.com"[..]]);
        assert_eq!(buf(&s, BufferId::HttpCookie), vec![&b"s=1"[..]]);
        assert_eq!(buf(&s, BufferId::HttpStatCode), vec![&b"200"[..]]);
        let body: Vec<u8> = buf(&s, BufferId::HttpResponseBody).concat();
        assert_eq!(body, b"hello");
    }
}

#[test]
fn pipelined_keepalive_and_chunked() {
    let req = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nHEAD /c HTTP/1.1\r\nHost: h\r\n\r\n";
    let resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n\
HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno\
HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    for piece in [1, 2, 5, 4096] {
        let s = run(req, resp, piece);
        let http: Vec<_> = s
            .events
            .iter()
            .filter(|e| e.0 == "http")
            .map(|e| e.1.as_str())
            .collect();
        assert_eq!(http.len(), 3, "piece {piece}: {http:?}");
        assert!(
            http[0].contains(r#""url":"/a""#)
                && http[0].contains(r#""status":200"#)
                && http[0].contains(r#""length":5"#)
        );
        assert!(
            http[1].contains(r#""url":"/b""#)
                && http[1].contains(r#""status":404"#)
                && http[1].contains(r#""length":2"#)
        );
        assert!(
            http[2].contains(r#""url":"/c""#)
                && http[2].contains(r#""http_method":"HEAD""#)
                && http[2].contains(r#""length":0"#)
        );
        assert_eq!(buf(&s, BufferId::HttpResponseBody).concat(), b"abcdeno");
    }
}

#[test]
fn post_body_depth_and_continue() {
    let req = b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\n0123456789";
    let resp = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    let s = run(req, resp, 4);
    let http: Vec<_> = s.events.iter().filter(|e| e.0 == "http").collect();
    assert_eq!(http.len(), 1);
    assert!(http[0].1.contains(r#""status":201"#));
    assert_eq!(buf(&s, BufferId::HttpRequestBody).concat(), b"0123456789");
    let fi: Vec<_> = s.events.iter().filter(|e| e.0 == "fileinfo").collect();
    assert_eq!(fi.len(), 1);
    assert!(fi[0].1.contains(r#""size":10"#));
}

#[test]
fn until_close_and_unanswered() {
    let s = run(
        b"GET / HTTP/1.0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\nstream until close",
        3,
    );
    let http: Vec<_> = s.events.iter().filter(|e| e.0 == "http").collect();
    assert_eq!(http.len(), 1);
    assert!(http[0].1.contains(r#""length":18"#));
    let s = run(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n", b"", 100);
    let http: Vec<_> = s.events.iter().filter(|e| e.0 == "http").collect();
    assert_eq!(http.len(), 1);
    assert!(!http[0].1.contains("status"));
}

#[test]
fn connect_tunnel_stops_parsing() {
    let req = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01\x00\x05hello";
    let resp = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03binary";
    let s = run(req, resp, 1000);
    assert_eq!(s.events.iter().filter(|e| e.0 == "http").count(), 1);
    assert!(s.anomalies.is_empty(), "{:?}", s.anomalies);
}

#[test]
fn gzip_decoding_when_enabled() {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b"<html>secret payload</html>").unwrap();
    let gz = e.finish().unwrap();
    let mut resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        gz.len()
    )
    .into_bytes();
    resp.extend_from_slice(&gz);
    let s = with_config(
        |c| crate::config::ItConfig {
            http_decompress: true,
            ..c
        },
        || run(GET, &resp, 7),
    );
    assert_eq!(
        buf(&s, BufferId::HttpResponseBody).concat(),
        b"<html>secret payload</html>"
    );
}

#[test]
fn garbage_is_error_not_panic() {
    let mut p = new_parser();
    let mut sink = TestSink::default();
    let r = p.parse(
        Direction::ToServer,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n",
        &mut sink,
    );
    assert_eq!(r, reefwatch_applayer::ParseResult::Error);
    // huge head without end: bounded
    let big = vec![b'A'; parser::MAX_HEAD_LEN + 10];
    let mut p = new_parser();
    let mut f = Feeder::default();
    f.feed(
        p.as_mut(),
        Direction::ToServer,
        b"GET / HTTP/1.1\r\n",
        100,
        &mut sink,
    );
    f.feed(p.as_mut(), Direction::ToServer, &big, 4096, &mut sink);
    assert!(sink
        .anomalies
        .iter()
        .any(|a| a == "http.request_header_too_long"));
}

#[test]
fn probe_off_port() {
    let i = ProbeInput {
        data: b"GET / HTTP/1.1\r\n",
        dir: Direction::ToServer,
        transport: Transport::Tcp,
        client_port: 50000,
        server_port: 502,
    };
    assert_eq!(probe(&i), ProbeResult::Match);
    let m = ProbeInput {
        data: &[0, 1, 0, 0, 0, 6, 1, 3],
        ..i
    };
    assert_eq!(probe(&m), ProbeResult::NoMatch);
}

#[test]
fn slow_head_is_linear() {
    // a 60 KB head delivered one byte at a time must stay fast (resumed search)
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    while head.len() < 60_000 {
        head.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let t = std::time::Instant::now();
    let s = run(&head, b"HTTP/1.1 204 No Content\r\n\r\n", 1);
    assert_eq!(s.events.iter().filter(|e| e.0 == "http").count(), 1);
    assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
}

#[test]
fn no_file_hashes_by_default() {
    // Suricata's default (no force-hash): fileinfo without digests
    assert_eq!(
        crate::config::ItConfig::default().file_hashes,
        crate::config::FileHashes::NONE
    );
    let s = with_config(
        |_| crate::config::ItConfig::default(),
        || run(GET, OK, 1000),
    );
    let fi: Vec<_> = s.events.iter().filter(|e| e.0 == "fileinfo").collect();
    assert_eq!(fi.len(), 1);
    assert!(!fi[0].1.contains("md5"), "{}", fi[0].1);
    assert!(buf(&s, BufferId::FileMd5).is_empty());
}

/// Requests and responses pair by order on the connection, whichever way
/// the exchanges interleave: keep-alive (each response before the next
/// request), pipelined (all requests first), 100-continue, and responses
/// without a body (HEAD, 204, 304).
#[test]
fn responses_pair_with_their_requests_in_order() {
    let exchanges: &[(&[u8], &[u8], &str, u16)] = &[
        (b"GET /a HTTP/1.1\r\nHost: plc\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab", "/a", 200),
        (b"HEAD /b HTTP/1.1\r\nHost: plc\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", "/b", 200),
        (b"GET /c HTTP/1.1\r\nHost: plc\r\n\r\n", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", "/c", 304),
        (b"DELETE /d HTTP/1.1\r\nHost: plc\r\n\r\n", b"HTTP/1.1 204 No Content\r\n\r\n", "/d", 204),
        (
            b"POST /e HTTP/1.1\r\nHost: plc\r\nExpect: 100-continue\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\nx=1",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
            "/e",
            201,
        ),
        (b"GET /f HTTP/1.1\r\nHost: plc\r\n\r\n", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n", "/f", 200),
    ];
    let want: Vec<String> = exchanges
        .iter()
        .map(|(_, _, uri, st)| format!("{uri} {st}"))
        .collect();
    let pairs = |s: &TestSink| -> Vec<String> {
        s.events
            .iter()
            .filter(|e| e.0 == "http")
            .map(|e| {
                let v = &e.1;
                let url = v
                    .split("\"url\":\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next());
                let st = v
                    .split("\"status\":")
                    .nth(1)
                    .and_then(|r| r.split([',', '}']).next());
                format!("{} {}", url.unwrap_or("-"), st.unwrap_or("-"))
            })
            .collect()
    };
    for piece in [1, 5, 1000] {
        // keep-alive: request, its response, the next request ...
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let mut f = Feeder::default();
        for (req, resp, _, _) in exchanges {
            f.feed(p.as_mut(), Direction::ToServer, req, piece, &mut sink);
            f.feed(p.as_mut(), Direction::ToClient, resp, piece, &mut sink);
        }
        p.on_close(&mut sink);
        assert_eq!(pairs(&sink), want, "keep-alive, piece {piece}");
        assert!(!sink
            .anomalies
            .iter()
            .any(|a| a == "http.unsolicited_response"));
        // pipelined: every request, then every response
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let mut f = Feeder::default();
        let reqs: Vec<u8> = exchanges.iter().flat_map(|e| e.0.iter().copied()).collect();
        let resps: Vec<u8> = exchanges.iter().flat_map(|e| e.1.iter().copied()).collect();
        f.feed(p.as_mut(), Direction::ToServer, &reqs, piece, &mut sink);
        f.feed(p.as_mut(), Direction::ToClient, &resps, piece, &mut sink);
        p.on_close(&mut sink);
        assert_eq!(pairs(&sink), want, "pipelined, piece {piece}");
    }
}

#[test]
fn header_names_as_suricata_builds_them() {
    // Suricata: "\r\n" + each name + "\r\n", then "\r\n" (names as sent)
    let req = b"GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\nupgrade: websocket\r\n\r\n";
    let resp = b"HTTP/1.1 204 No Content\r\nServer: s\r\n\r\n";
    let s = run(req, resp, usize::MAX);
    assert_eq!(
        buf(&s, BufferId::HttpHeaderNames),
        [
            b"\r\nHost\r\nUser-Agent\r\nupgrade\r\n\r\n".as_slice(),
            b"\r\nServer\r\n\r\n".as_slice()
        ]
    );
}
