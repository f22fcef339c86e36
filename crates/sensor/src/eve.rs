//! EVE JSON output: Suricata's header fields and formats, one reusable
//! buffer per worker, flushed to the shared writer in large blocks.

use reefwatch_applayer::JsonBuilder;
use reefwatch_stix::time::civil_from_days;
use std::io::{self, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

/// Shared destination of EVE lines.
pub type EveDest = Arc<Mutex<Box<dyn Write + Send>>>;

const FLUSH_AT: usize = 1 << 20;

/// A worker's EVE writer.
pub struct EveOut {
    dest: Option<EveDest>,
    buf: Vec<u8>,
    pub js: JsonBuilder,
    ts_cache: TsCache,
    pub events: u64,
    pub write_error: Option<String>,
    /// hand each event to `dest` at once (a stream or live input: the
    /// destination is flushed by time, not when a block is full)
    flush_each: bool,
}

impl EveOut {
    pub fn new(dest: Option<EveDest>) -> Self {
        EveOut {
            dest,
            buf: Vec::with_capacity(FLUSH_AT + (64 << 10)),
            js: JsonBuilder::new_object(),
            ts_cache: TsCache::default(),
            events: 0,
            write_error: None,
            flush_each: false,
        }
    }

    /// The same writer handing each event to the destination at once.
    pub fn live(mut self, live: bool) -> Self {
        self.flush_each = live;
        self
    }

    pub fn enabled(&self) -> bool {
        self.dest.is_some()
    }

    /// Start an event: resets the builder and writes the timestamp.
    pub fn begin(&mut self, ts_ns: i64) {
        self.js.reset_object();
        let mut tmp = [0u8; 40];
        let n = self.ts_cache.format(ts_ns, &mut tmp);
        self.js.push_raw(b"\"timestamp\":\"");
        self.js.push_raw(&tmp[..n]);
        self.js.push_raw(b"\"");
        self.js.mark_member();
    }

    /// Write `"key":"<timestamp>"` in Suricata's format (no allocation).
    pub fn set_ts(&mut self, key: &str, ts_ns: i64) {
        let mut tmp = [0u8; 40];
        let n = self.ts_cache.format(ts_ns, &mut tmp);
        self.js
            .set_str(key, core::str::from_utf8(&tmp[..n]).unwrap_or(""));
    }

    /// Finish the event started with `begin`: close it and queue the line.
    pub fn end(&mut self) {
        self.js.close_all();
        self.buf.extend_from_slice(self.js.as_bytes());
        self.buf.push(b'\n');
        self.events += 1;
        if self.flush_each || self.buf.len() >= FLUSH_AT {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if let Some(d) = &self.dest {
            let mut w = match d.lock() {
                Ok(w) => w,
                Err(p) => p.into_inner(),
            };
            if let Err(e) = w.write_all(&self.buf) {
                if self.write_error.is_none() {
                    self.write_error = Some(e.to_string());
                }
            }
        }
        self.buf.clear();
    }
}

impl Drop for EveOut {
    fn drop(&mut self) {
        self.flush();
    }
}

/// What the sink needs to write an event header.
#[derive(Clone, Copy)]
pub struct FlowHdr<'a> {
    pub flow_id: u64,
    pub client: &'a [u8; 16],
    pub server: &'a [u8; 16],
    pub cport: u16,
    pub sport: u16,
    pub v6: bool,
    /// IP protocol number (EVE's `proto` name from [`crate::worker::proto_name`])
    pub ip_proto: u8,
    pub ts_ns: i64,
    pub pcap_cnt: u64,
}

impl FlowHdr<'_> {
    /// The same header seen server → client.
    pub fn reversed(&self) -> Self {
        FlowHdr {
            client: self.server,
            server: self.client,
            cport: self.sport,
            sport: self.cport,
            ..*self
        }
    }
}

/// The `anomaly` object of an app-layer anomaly event (flows and layer-2
/// streams alike), after the event's header.
pub fn write_applayer_anomaly(js: &mut JsonBuilder, app_proto: &str, name: &str) {
    js.open_object("anomaly")
        .set_str("app_proto", app_proto)
        .set_str("type", "applayer")
        .set_str("event", name)
        .set_str("layer", "proto_parser")
        .close();
}

/// Write the common EVE header for an event about a flow.
pub fn write_header(js: &mut JsonBuilder, h: &FlowHdr<'_>, event_type: &str, app_proto: &str) {
    js.set_uint("flow_id", h.flow_id);
    if h.pcap_cnt > 0 {
        js.set_uint("pcap_cnt", h.pcap_cnt);
    }
    js.set_str("event_type", event_type);
    set_ip(js, "src_ip", h.client, h.v6);
    js.set_uint("src_port", h.cport as u64);
    set_ip(js, "dest_ip", h.server, h.v6);
    js.set_uint("dest_port", h.sport as u64);
    js.set_str("proto", crate::worker::proto_name(h.ip_proto));
    if !app_proto.is_empty() {
        js.set_str("app_proto", app_proto);
    }
}

/// A destination [`EveWriter`] can take back a line cut short by a failed
/// write.
pub trait EveTarget: Write + Send {
    /// Remove the last `n` bytes written.
    fn unwrite(&mut self, n: u64) -> io::Result<()>;
}

impl EveTarget for std::fs::File {
    fn unwrite(&mut self, n: u64) -> io::Result<()> {
        if !self.metadata()?.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        // after a write (also with O_APPEND) the offset is the end of it
        let end = self.stream_position()?;
        let keep = end
            .checked_sub(n)
            .ok_or_else(|| io::Error::other("file shorter than the cut line"))?;
        self.set_len(keep)?;
        self.seek(SeekFrom::Start(keep))?;
        Ok(())
    }
}

/// Bytes [`EveWriter`] gathers before writing them out.
const WRITER_BUF: usize = 1 << 20;

/// The EVE file (or stdout): writes whole lines only, and on the first
/// failed write stops for good, removes the part of a line the failing
/// write left (a regular file is cut back to its last whole line) and
/// returns, from then on, an error saying what failed and how much of the
/// output is there.
pub struct EveWriter<T: EveTarget> {
    target: T,
    /// name used in the error (the path, or "stdout")
    name: String,
    buf: Vec<u8>,
    /// whole lines written (bytes, events)
    written: u64,
    lines: u64,
    failed: Option<(io::ErrorKind, String)>,
}

impl<T: EveTarget> EveWriter<T> {
    pub fn new(target: T, name: &str) -> Self {
        EveWriter {
            target,
            name: name.to_string(),
            buf: Vec::new(),
            written: 0,
            lines: 0,
            failed: None,
        }
    }

    /// Events (whole lines) written so far.
    pub fn lines_written(&self) -> u64 {
        self.lines
    }

    fn error(&self) -> Option<io::Error> {
        self.failed
            .as_ref()
            .map(|(k, m)| io::Error::new(*k, m.clone()))
    }

    /// Write out every whole line buffered.
    fn drain(&mut self) -> io::Result<()> {
        let buf = std::mem::take(&mut self.buf);
        let upto = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let r = self.write_lines(&buf[..upto]);
        if self.failed.is_none() {
            self.buf = buf;
            self.buf.drain(..upto);
        }
        r
    }

    /// Write `lines` (whole lines) to the target; on a failure, take back
    /// the cut line and keep the error for good.
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<()> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        let mut done = 0;
        let mut err = None;
        while done < lines.len() {
            match self.target.write(&lines[done..]) {
                Ok(0) => {
                    err = Some(io::Error::from(io::ErrorKind::WriteZero));
                    break;
                }
                Ok(k) => done += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let whole = lines[..done]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        self.written += whole as u64;
        self.lines += lines[..whole].iter().filter(|&&b| b == b'\n').count() as u64;
        let Some(e) = err else {
            return Ok(());
        };
        let partial = (done - whole) as u64;
        let undo = match partial {
            0 => String::new(),
            n => match self.target.unwrite(n) {
                Ok(()) => String::new(),
                Err(u) => {
                    format!("; the {n} bytes of its last, cut line could not be removed ({u})")
                }
            },
        };
        let msg = format!(
            "writing EVE to {} failed: {e}; it holds the first {} events ({} bytes){undo}",
            self.name, self.lines, self.written
        );
        self.failed = Some((e.kind(), msg));
        self.buf = Vec::new();
        Err(self.error().unwrap_or(e))
    }
}

impl<T: EveTarget> Write for EveWriter<T> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        if self.buf.is_empty() && data.len() >= WRITER_BUF {
            // a worker's whole block: its lines go out without a second copy
            let upto = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            self.write_lines(&data[..upto])?;
            self.buf.extend_from_slice(&data[upto..]);
            return Ok(data.len());
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() >= WRITER_BUF {
            self.drain()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        if let Err(e) = self.target.flush() {
            let msg = format!("writing EVE to {} failed: {e}", self.name);
            self.failed = Some((e.kind(), msg));
        }
        self.error().map_or(Ok(()), Err)
    }
}

/// Write an address as text into the builder as `"key":"addr"`.
pub fn set_ip(js: &mut JsonBuilder, key: &str, addr: &[u8; 16], v6: bool) {
    let mut tmp = [0u8; 48];
    let n = format_ip(addr, v6, &mut tmp);
    // addresses never need escaping
    js.set_str(key, core::str::from_utf8(&tmp[..n]).unwrap_or(""));
}

/// Format an address into `out`, returning the length.
pub fn format_ip(addr: &[u8; 16], v6: bool, out: &mut [u8; 48]) -> usize {
    if !v6 {
        let mut n = 0;
        for (i, &b) in addr[..4].iter().enumerate() {
            if i > 0 {
                out[n] = b'.';
                n += 1;
            }
            if b >= 100 {
                out[n] = b'0' + b / 100;
                n += 1;
            }
            if b >= 10 {
                out[n] = b'0' + (b / 10) % 10;
                n += 1;
            }
            out[n] = b'0' + b % 10;
            n += 1;
        }
        n
    } else {
        let ip = std::net::Ipv6Addr::from(*addr);
        let mut cur = std::io::Cursor::new(&mut out[..]);
        let _ = write!(cur, "{ip}");
        cur.position() as usize
    }
}

/// Suricata's timestamp format: `2024-01-31T12:00:00.123456+0000` (UTC).
#[derive(Default)]
struct TsCache {
    sec: i64,
    prefix: [u8; 19],
    valid: bool,
}

impl TsCache {
    fn format(&mut self, ts_ns: i64, out: &mut [u8; 40]) -> usize {
        let sec = ts_ns.div_euclid(1_000_000_000);
        let usec = (ts_ns.rem_euclid(1_000_000_000) / 1000) as u32;
        if !self.valid || sec != self.sec {
            self.sec = sec;
            self.valid = true;
            let days = sec.div_euclid(86_400);
            let rem = sec.rem_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let (hh, mm, ss) = (rem / 3600, (rem / 60) % 60, rem % 60);
            let mut c = std::io::Cursor::new(&mut self.prefix[..]);
            let _ = write!(
                c,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                y.clamp(0, 9999),
                m,
                d,
                hh,
                mm,
                ss
            );
        }
        out[..19].copy_from_slice(&self.prefix);
        out[19] = b'.';
        let mut u = usec;
        for i in (20..26).rev() {
            out[i] = b'0' + (u % 10) as u8;
            u /= 10;
        }
        out[26..31].copy_from_slice(b"+0000");
        31
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A timestamp as Suricata writes it, as an owned string.
    fn format_ts(ts_ns: i64) -> String {
        let mut c = TsCache::default();
        let mut tmp = [0u8; 40];
        let n = c.format(ts_ns, &mut tmp);
        String::from_utf8_lossy(&tmp[..n]).into_owned()
    }

    #[test]
    fn timestamps_like_suricata() {
        assert_eq!(format_ts(0), "1970-01-01T00:00:00.000000+0000");
        // 2009-11-24T21:27:09.534255 UTC
        assert_eq!(
            format_ts(1_259_098_029_534_255_000),
            "2009-11-24T21:27:09.534255+0000"
        );
        assert_eq!(
            format_ts(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000+0000"
        );
    }

    #[test]
    fn ips() {
        let mut out = [0u8; 48];
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[192, 168, 10, 255]);
        let n = format_ip(&a, false, &mut out);
        assert_eq!(&out[..n], b"192.168.10.255");
        let mut b = [0u8; 16];
        b[0] = 0x20;
        b[1] = 0x01;
        b[15] = 1;
        let n = format_ip(&b, true, &mut out);
        assert_eq!(&out[..n], b"2001::1");
    }

    /// A destination that takes `room` bytes, then fails with "no space"
    /// (one short write first, as a full disk does).
    struct Full {
        data: Vec<u8>,
        room: usize,
    }
    impl Write for Full {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let left = self.room - self.data.len();
            if left == 0 {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            let n = b.len().min(left);
            self.data.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl EveTarget for Full {
        fn unwrite(&mut self, n: u64) -> io::Result<()> {
            let keep = self.data.len() - n as usize;
            self.data.truncate(keep);
            Ok(())
        }
    }

    /// Lines `{"n":i}` padded to `len` bytes with the newline.
    fn lines(count: usize, len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..count {
            let head = format!("{{\"n\":{i},\"p\":\"");
            out.extend_from_slice(head.as_bytes());
            out.resize(out.len() + len - head.len() - 3, b'x');
            out.extend_from_slice(b"\"}\n");
        }
        out
    }

    /// Whatever the block size (a worker's 1 MiB block written straight
    /// through, or small writes gathered), a destination that fills up
    /// keeps whole lines only and the error names how many are there.
    #[test]
    fn a_full_destination_keeps_whole_lines_and_says_so() {
        for (chunk, room) in [
            (WRITER_BUF + 100, 16_384),
            (100, 16_384),
            (WRITER_BUF + 100, 1 << 21),
        ] {
            let all = lines((2 * WRITER_BUF + 200) / 100, 100);
            let mut w = EveWriter::new(
                Full {
                    data: Vec::new(),
                    room,
                },
                "eve.json",
            );
            let mut err = None;
            for c in all.chunks(chunk) {
                if let Err(e) = w.write(c) {
                    err = Some(e);
                    break;
                }
            }
            let e = err
                .or_else(|| w.flush().err())
                .expect("the destination filled up");
            let kept = &w.target.data;
            assert!(kept.len() <= room);
            assert_eq!(kept.len() % 100, 0, "whole lines only ({chunk}, {room})");
            assert_eq!(&all[..kept.len()], &kept[..]);
            assert_eq!(w.lines_written() as usize, kept.len() / 100);
            let msg = e.to_string();
            assert!(
                msg.contains(&format!(
                    "the first {} events ({} bytes)",
                    kept.len() / 100,
                    kept.len()
                )),
                "{msg}"
            );
            // and it stays failed
            assert!(w.write(b"{}\n").is_err() && w.flush().is_err());
        }
    }

    /// With room enough, every byte arrives, in order, on both paths.
    #[test]
    fn writer_passes_everything_through() {
        for chunk in [WRITER_BUF + 7, 300, 1] {
            let all = lines(30_000, 90);
            let mut w = EveWriter::new(
                Full {
                    data: Vec::new(),
                    room: usize::MAX / 2,
                },
                "x",
            );
            for c in all.chunks(chunk) {
                w.write_all(c).unwrap();
            }
            w.flush().unwrap();
            assert_eq!(w.target.data, all, "chunk {chunk}");
            assert_eq!(w.lines_written(), 30_000);
        }
    }
}
