//! EVE JSON output: Suricata's header fields and formats, one reusable
//! buffer per worker, flushed to the shared writer in large blocks.

use reefwatch_applayer::JsonBuilder;
use reefwatch_stix::time::civil_from_days;
use std::io::Write;
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
        }
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
        if self.buf.len() >= FLUSH_AT {
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
}
