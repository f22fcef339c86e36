//! Process-wide parser settings (the engine sets them once at start-up;
//! parsers read them with relaxed atomics, so the hot path stays lock-free).

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

static HTTP_REQUEST_BODY_DEPTH: AtomicUsize = AtomicUsize::new(100 * 1024);
static HTTP_RESPONSE_BODY_DEPTH: AtomicUsize = AtomicUsize::new(100 * 1024);
static HTTP_DECOMPRESS: AtomicBool = AtomicBool::new(false);
static FILE_HASHES: AtomicU8 = AtomicU8::new(0);

/// Which digests of transferred files to compute (Suricata's
/// `force-hash`). They appear in `fileinfo` events and are the
/// `file.md5` / `file.sha1` / `file.sha256` buffers intel matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileHashes {
    pub md5: bool,
    pub sha1: bool,
    pub sha256: bool,
}

impl FileHashes {
    pub const NONE: FileHashes = FileHashes {
        md5: false,
        sha1: false,
        sha256: false,
    };
    pub const ALL: FileHashes = FileHashes {
        md5: true,
        sha1: true,
        sha256: true,
    };

    pub fn any(self) -> bool {
        self.md5 || self.sha1 || self.sha256
    }

    pub fn union(self, o: FileHashes) -> FileHashes {
        FileHashes {
            md5: self.md5 || o.md5,
            sha1: self.sha1 || o.sha1,
            sha256: self.sha256 || o.sha256,
        }
    }

    /// Parse a list such as `md5,sha256`, or `all` / `none`.
    pub fn parse(list: &str) -> Result<FileHashes, String> {
        let mut h = FileHashes::NONE;
        for w in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match w.to_ascii_lowercase().as_str() {
                "md5" => h.md5 = true,
                "sha1" | "sha-1" => h.sha1 = true,
                "sha256" | "sha-256" => h.sha256 = true,
                "all" => h = FileHashes::ALL,
                "none" => h = FileHashes::NONE,
                other => {
                    return Err(format!(
                        "unknown file hash {other:?} (md5, sha1, sha256, all or none)"
                    ))
                }
            }
        }
        Ok(h)
    }

    fn bits(self) -> u8 {
        self.md5 as u8 | (self.sha1 as u8) << 1 | (self.sha256 as u8) << 2
    }

    fn from_bits(b: u8) -> FileHashes {
        FileHashes {
            md5: b & 1 != 0,
            sha1: b & 2 != 0,
            sha256: b & 4 != 0,
        }
    }
}

/// Settings for the IT parsers. Defaults follow Suricata's (100 KiB body
/// inspection depth, no decompression unless asked, no file hashes unless
/// asked: `force-hash` is off in suricata.yaml).
#[derive(Clone, Copy, Debug)]
pub struct ItConfig {
    /// Bytes of each HTTP request body exposed to detection (`http.request_body`).
    pub http_request_body_depth: usize,
    /// Bytes of each HTTP response body exposed to detection (`http.response_body`).
    pub http_response_body_depth: usize,
    /// Gzip/deflate-decode response bodies before exposing them.
    pub http_decompress: bool,
    /// Digests of transferred files to compute.
    pub file_hashes: FileHashes,
}

impl Default for ItConfig {
    fn default() -> Self {
        ItConfig {
            http_request_body_depth: 100 * 1024,
            http_response_body_depth: 100 * 1024,
            http_decompress: false,
            file_hashes: FileHashes::NONE,
        }
    }
}

/// Apply settings (call before parsing starts).
pub fn configure(c: ItConfig) {
    HTTP_REQUEST_BODY_DEPTH.store(c.http_request_body_depth, Ordering::Relaxed);
    HTTP_RESPONSE_BODY_DEPTH.store(c.http_response_body_depth, Ordering::Relaxed);
    HTTP_DECOMPRESS.store(c.http_decompress, Ordering::Relaxed);
    FILE_HASHES.store(c.file_hashes.bits(), Ordering::Relaxed);
}

/// The settings in force.
pub fn current() -> ItConfig {
    ItConfig {
        http_request_body_depth: HTTP_REQUEST_BODY_DEPTH.load(Ordering::Relaxed),
        http_response_body_depth: HTTP_RESPONSE_BODY_DEPTH.load(Ordering::Relaxed),
        http_decompress: HTTP_DECOMPRESS.load(Ordering::Relaxed),
        file_hashes: FileHashes::from_bits(FILE_HASHES.load(Ordering::Relaxed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_hash_lists() {
        assert_eq!(FileHashes::parse("").unwrap(), FileHashes::NONE);
        assert_eq!(FileHashes::parse("all").unwrap(), FileHashes::ALL);
        let h = FileHashes::parse("MD5, sha-256").unwrap();
        assert!(h.md5 && !h.sha1 && h.sha256);
        assert!(FileHashes::parse("crc32").is_err());
        assert_eq!(FileHashes::from_bits(h.bits()), h);
    }
}
