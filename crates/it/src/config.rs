//! Process-wide parser settings (the engine sets them once at start-up;
//! parsers read them with relaxed atomics, so the hot path stays lock-free).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static HTTP_REQUEST_BODY_DEPTH: AtomicUsize = AtomicUsize::new(100 * 1024);
static HTTP_RESPONSE_BODY_DEPTH: AtomicUsize = AtomicUsize::new(100 * 1024);
static HTTP_DECOMPRESS: AtomicBool = AtomicBool::new(false);
static FILE_HASHES: AtomicBool = AtomicBool::new(true);

/// Settings for the IT parsers. Defaults follow Suricata's (100 KiB body
/// inspection depth, no decompression unless asked, file hashes on).
#[derive(Clone, Copy, Debug)]
pub struct ItConfig {
    /// Bytes of each HTTP request body exposed to detection (`http.request_body`).
    pub http_request_body_depth: usize,
    /// Bytes of each HTTP response body exposed to detection (`http.response_body`).
    pub http_response_body_depth: usize,
    /// Gzip/deflate-decode response bodies before exposing them.
    pub http_decompress: bool,
    /// Compute MD5/SHA-1/SHA-256 of transferred files for `fileinfo`.
    pub file_hashes: bool,
}

impl Default for ItConfig {
    fn default() -> Self {
        ItConfig {
            http_request_body_depth: 100 * 1024,
            http_response_body_depth: 100 * 1024,
            http_decompress: false,
            file_hashes: true,
        }
    }
}

/// Apply settings (call before parsing starts).
pub fn configure(c: ItConfig) {
    HTTP_REQUEST_BODY_DEPTH.store(c.http_request_body_depth, Ordering::Relaxed);
    HTTP_RESPONSE_BODY_DEPTH.store(c.http_response_body_depth, Ordering::Relaxed);
    HTTP_DECOMPRESS.store(c.http_decompress, Ordering::Relaxed);
    FILE_HASHES.store(c.file_hashes, Ordering::Relaxed);
}

/// The settings in force.
pub fn current() -> ItConfig {
    ItConfig {
        http_request_body_depth: HTTP_REQUEST_BODY_DEPTH.load(Ordering::Relaxed),
        http_response_body_depth: HTTP_RESPONSE_BODY_DEPTH.load(Ordering::Relaxed),
        http_decompress: HTTP_DECOMPRESS.load(Ordering::Relaxed),
        file_hashes: FILE_HASHES.load(Ordering::Relaxed),
    }
}
