//! Body helpers: file tracking (size, MD5/SHA-1/SHA-256 for `fileinfo`),
//! gzip/zlib/deflate decoding with a bounded output, and URI/host
//! normalisation for the `http.uri` / `http.host` buffers.

use crate::util::StackBuf;
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;
use std::io::Write;

/// A transferred file being hashed.
pub struct FileTracker {
    pub size: u64,
    pub gaps: bool,
    pub truncated: bool,
    md5: Option<Md5>,
    sha1: Option<Sha1>,
    sha256: Option<Sha256>,
}

/// Final digests of a closed file (each only when it was asked for).
#[derive(Default)]
pub struct FileDigests {
    pub md5: Option<[u8; 16]>,
    pub sha1: Option<[u8; 20]>,
    pub sha256: Option<[u8; 32]>,
}

impl FileTracker {
    /// `hashes`: which digests to compute ([`crate::config::FileHashes`]).
    pub fn new(hashes: crate::config::FileHashes) -> Self {
        FileTracker {
            size: 0,
            gaps: false,
            truncated: false,
            md5: hashes.md5.then(Md5::new),
            sha1: hashes.sha1.then(Sha1::new),
            sha256: hashes.sha256.then(Sha256::new),
        }
    }
    pub fn update(&mut self, data: &[u8]) {
        self.size += data.len() as u64;
        if let Some(h) = self.md5.as_mut() {
            h.update(data);
        }
        if let Some(h) = self.sha1.as_mut() {
            h.update(data);
        }
        if let Some(h) = self.sha256.as_mut() {
            h.update(data);
        }
    }
    /// Finish; `None` when no hash was asked for or bytes were lost.
    pub fn finish(&mut self) -> Option<FileDigests> {
        let (m, s1, s2) = (self.md5.take(), self.sha1.take(), self.sha256.take());
        if self.gaps || (m.is_none() && s1.is_none() && s2.is_none()) {
            return None;
        }
        Some(FileDigests {
            md5: m.map(|h| h.finalize().into()),
            sha1: s1.map(|h| h.finalize().into()),
            sha256: s2.map(|h| h.finalize().into()),
        })
    }
}

/// Output side of a decoder: collects decoded bytes of the current call;
/// refuses to produce more than `limit` bytes in total (bombs stop there).
pub struct BoundedSink {
    pub out: Vec<u8>,
    pub total: u64,
    pub limit: u64,
}

impl Write for BoundedSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.total >= self.limit {
            return Err(std::io::Error::other("decoded size limit"));
        }
        let n = buf.len().min((self.limit - self.total) as usize);
        self.out.extend_from_slice(&buf[..n]);
        self.total += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Streaming content decoder (Content-Encoding gzip / deflate).
pub enum Decoder {
    Gzip(flate2::write::GzDecoder<BoundedSink>),
    Zlib(flate2::write::ZlibDecoder<BoundedSink>),
    Deflate(flate2::write::DeflateDecoder<BoundedSink>),
    /// Undetermined deflate flavour until the first bytes arrive.
    Pending(u64),
    Failed,
}

/// Most decoded bytes produced per body (decompression bombs stop here).
pub const MAX_DECODED: u64 = 64 * 1024 * 1024;

impl Decoder {
    /// A decoder for a Content-Encoding value, if it is one we decode.
    pub fn for_encoding(enc: &[u8]) -> Option<Decoder> {
        let sink = || BoundedSink {
            out: Vec::new(),
            total: 0,
            limit: MAX_DECODED,
        };
        let e = crate::util::trim_ows(enc);
        if e.eq_ignore_ascii_case(b"gzip") || e.eq_ignore_ascii_case(b"x-gzip") {
            Some(Decoder::Gzip(flate2::write::GzDecoder::new(sink())))
        } else if e.eq_ignore_ascii_case(b"deflate") {
            let _ = sink;
            Some(Decoder::Pending(MAX_DECODED))
        } else {
            None
        }
    }

    /// Feed compressed bytes; returns the decoded bytes of this call
    /// (empty when the stream is broken or finished).
    pub fn feed(&mut self, data: &[u8]) -> &[u8] {
        if let Decoder::Pending(limit) = *self {
            let sink = BoundedSink {
                out: Vec::new(),
                total: 0,
                limit,
            };
            // zlib header: CM=8 and the check bits; else raw deflate
            *self = match data {
                [a, b, ..]
                    if a & 0x0f == 8
                        && ((*a as u16) << 8 | *b as u16).checked_rem(31) == Some(0) =>
                {
                    Decoder::Zlib(flate2::write::ZlibDecoder::new(sink))
                }
                [] => return &[],
                _ => Decoder::Deflate(flate2::write::DeflateDecoder::new(sink)),
            };
        }
        let ok = match self {
            Decoder::Gzip(d) => {
                d.get_mut().out.clear();
                d.write_all(data).is_ok()
            }
            Decoder::Zlib(d) => {
                d.get_mut().out.clear();
                d.write_all(data).is_ok()
            }
            Decoder::Deflate(d) => {
                d.get_mut().out.clear();
                d.write_all(data).is_ok()
            }
            _ => false,
        };
        let failed = !ok;
        let out: &[u8] = match self {
            Decoder::Gzip(d) => &d.get_ref().out,
            Decoder::Zlib(d) => &d.get_ref().out,
            Decoder::Deflate(d) => &d.get_ref().out,
            _ => &[],
        };
        if failed && out.is_empty() {
            *self = Decoder::Failed;
            return &[];
        }
        match self {
            Decoder::Gzip(d) => &d.get_ref().out,
            Decoder::Zlib(d) => &d.get_ref().out,
            Decoder::Deflate(d) => &d.get_ref().out,
            _ => &[],
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self, Decoder::Failed)
    }
}

/// `raw` cut to its path and query (an absolute URI loses scheme and
/// authority), the path alone, and whether normalising would change it.
fn split_uri(raw: &[u8]) -> (&[u8], &[u8], Option<&[u8]>, bool) {
    let mut uri = raw;
    // absolute form: scheme://authority/path
    if let Some(i) = memchr::memmem::find(uri, b"://") {
        if i > 0 && uri[..i].iter().all(|c| c.is_ascii_alphabetic()) {
            let after = &uri[i + 3..];
            uri = match memchr::memchr(b'/', after) {
                Some(j) => &after[j..],
                None => b"/",
            };
        }
    }
    let (path, query) = match memchr::memchr(b'?', uri) {
        Some(i) => (&uri[..i], Some(&uri[i..])),
        None => (uri, None),
    };
    let needs = uri.len() != raw.len()
        || memchr::memchr(b'%', path).is_some()
        || memchr::memmem::find(path, b"/.").is_some();
    (uri, path, query, needs)
}

/// Whether [`normalize_uri`] would change `raw` (cheap: no buffers), so
/// the common plain URI costs no 8 KiB scratch buffer.
pub fn uri_needs_normalizing(raw: &[u8]) -> bool {
    split_uri(raw).3
}

/// Normalised URI for `http.uri` (libhtp-like): an absolute URI is cut to
/// its path, `%XX` escapes in the path are decoded, dot segments removed;
/// the query is kept raw. Returns `None` when the raw URI is already
/// normal (use it as is, zero-copy).
pub fn normalize_uri(raw: &[u8], out: &mut StackBuf<8192>) -> Option<()> {
    let (_, path, query, needs) = split_uri(raw);
    if !needs {
        return None;
    }
    out.clear();
    // decode %XX
    let mut dec = StackBuf::<8192>::new();
    let mut i = 0;
    while i < path.len() {
        let c = path[i];
        if c == b'%' && i + 2 < path.len() {
            let h = crate::util::parse_hex(&path[i + 1..i + 3]);
            if let Some(v) = h {
                dec.push(v as u8);
                i += 3;
                continue;
            }
        }
        dec.push(c);
        i += 1;
    }
    // remove dot segments (RFC 3986 5.2.4), segment by segment
    let d = dec.as_bytes();
    let mut segs: [(usize, usize); 256] = [(0, 0); 256];
    let mut n = 0usize;
    let leading = d.first() == Some(&b'/');
    let trailing = d.last() == Some(&b'/') || d.ends_with(b"/.") || d.ends_with(b"/..");
    let mut start = 0;
    for (k, part) in d.split(|&c| c == b'/').enumerate() {
        let s = start;
        start += part.len() + 1;
        if k == 0 && leading {
            continue;
        }
        match part {
            b"." | b"" => {}
            b".." => n = n.saturating_sub(1),
            _ => {
                if n < segs.len() {
                    segs[n] = (s, part.len());
                    n += 1;
                }
            }
        }
    }
    if leading {
        out.push(b'/');
    }
    for (k, &(s, l)) in segs[..n].iter().enumerate() {
        if k > 0 {
            out.push(b'/');
        }
        out.extend(&d[s..s + l]);
    }
    if trailing && n > 0 {
        out.push(b'/');
    }
    if let Some(q) = query {
        out.extend(q);
    }
    Some(())
}

/// Lower-cased host without port or trailing dot, for `http.host`; also
/// returns the port when one is given.
pub fn normalize_host(raw: &[u8], out: &mut StackBuf<256>) -> Option<u16> {
    out.clear();
    let mut host = raw;
    let mut port = None;
    if host.first() == Some(&b'[') {
        if let Some(end) = memchr::memchr(b']', host) {
            if let Some(p) = host.get(end + 1..).and_then(|r| r.strip_prefix(b":")) {
                port = crate::util::parse_dec(p).and_then(|v| u16::try_from(v).ok());
            }
            host = &host[..end + 1];
        }
    } else if let Some(i) = memchr::memrchr(b':', host) {
        port = crate::util::parse_dec(&host[i + 1..]).and_then(|v| u16::try_from(v).ok());
        host = &host[..i];
    }
    let host = host.strip_suffix(b".").unwrap_or(host);
    for &c in host {
        out.push(c.to_ascii_lowercase());
    }
    port
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_check_agrees_with_normalize() {
        for raw in [
            &b"/index.html"[..],
            b"/a/./b/../c?x=1",
            b"/%41%42",
            b"http://host/path",
            b"/plain?q=%20",
            b"/.hidden",
            b"",
        ] {
            let mut o = StackBuf::<8192>::new();
            let changed = normalize_uri(raw, &mut o).is_some();
            assert_eq!(changed, uri_needs_normalizing(raw), "{:?}", raw);
        }
    }

    #[test]
    fn uri_normalisation() {
        let mut o = StackBuf::new();
        assert!(normalize_uri(b"/index.html?a=%41", &mut o).is_none());
        normalize_uri(b"/a/./b/../c%2fd%41?x=%41", &mut o).unwrap();
        assert_eq!(o.as_bytes(), b"/a/c/dA?x=%41");
        normalize_uri(b"http://example.com:81/p/q", &mut o).unwrap();
        assert_eq!(o.as_bytes(), b"/p/q");
        normalize_uri(b"/../../etc/passwd", &mut o).unwrap();
        assert_eq!(o.as_bytes(), b"/etc/passwd");
        normalize_uri(b"/a%", &mut o).unwrap();
        assert_eq!(o.as_bytes(), b"/a%");
    }

    #[test]
    fn host_normalisation() {
        let mut o = StackBuf::new();
        assert_eq!(normalize_host(b"WWW.Example.COM.:8080", &mut o), Some(8080));
        assert_eq!(o.as_bytes(), b"www.example.com");
        assert_eq!(normalize_host(b"[::1]:443", &mut o), Some(443));
        assert_eq!(o.as_bytes(), b"[::1]");
    }

    #[test]
    fn gzip_roundtrip_and_hashes() {
        use flate2::write::GzEncoder;
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b"hello hello hello").unwrap();
        let gz = e.finish().unwrap();
        let mut d = Decoder::for_encoding(b"gzip").unwrap();
        let mut out = Vec::new();
        for piece in gz.chunks(5) {
            out.extend_from_slice(d.feed(piece));
        }
        assert_eq!(out, b"hello hello hello");
        let mut d = Decoder::for_encoding(b"gzip").unwrap();
        assert!(d.feed(b"not gzip at all").is_empty());
        assert!(d.failed());

        let mut f = FileTracker::new(crate::config::FileHashes::ALL);
        f.update(b"ab");
        f.update(b"c");
        let dg = f.finish().unwrap();
        // md5("abc")
        assert_eq!(dg.md5.unwrap()[..4], [0x90, 0x01, 0x50, 0x98]);
        // sha256("abc") starts ba7816bf
        assert_eq!(dg.sha256.unwrap()[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(f.size, 3);
        // only what was asked for
        let only_sha1 = crate::config::FileHashes {
            sha1: true,
            ..crate::config::FileHashes::NONE
        };
        let mut f = FileTracker::new(only_sha1);
        f.update(b"abc");
        let dg = f.finish().unwrap();
        assert!(dg.md5.is_none() && dg.sha256.is_none());
        // sha1("abc") starts a9993e36
        assert_eq!(dg.sha1.unwrap()[..4], [0xa9, 0x99, 0x3e, 0x36]);
        let mut f = FileTracker::new(crate::config::FileHashes::NONE);
        f.update(b"abc");
        assert!(f.finish().is_none());
    }
}
