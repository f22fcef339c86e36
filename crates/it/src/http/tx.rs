//! HTTP transactions: one request and its response, their logged strings in a per-transaction
//! arena, body and file state; the state fills them, the logger writes them.

use super::body::{Decoder, FileTracker};

/// A logged string of the transaction: a byte range (offset, length) of its
/// arena, read back with [`Tx::get`].
#[derive(Clone, Copy, Default, Debug)]
pub struct Span(u32, u32);

#[derive(Default)]
pub struct Tx {
    pub id: u64,
    pub arena: Vec<u8>,
    pub has_request: bool,
    pub method: Span,
    pub uri: Span,
    pub protocol: Span,
    pub host: Span,
    pub port: Option<u16>,
    pub user_agent: Span,
    pub req_content_type: Span,
    pub referer: Span,
    pub xff: Span,
    pub resp_protocol: Span,
    pub status: Option<u16>,
    pub resp_content_type: Span,
    pub location: Span,
    pub is_head: bool,
    pub is_connect: bool,
    pub req_done: bool,
    pub resp_started: bool,
    pub req_body_len: u64,
    pub resp_body_len: u64,
    pub req_file: Option<Box<FileTracker>>,
    pub resp_file: Option<Box<FileTracker>>,
    pub(super) decoder: Option<Box<Decoder>>,
    pub(super) req_inspected: usize,
    pub(super) resp_inspected: usize,
}

impl Tx {
    pub fn get(&self, r: Span) -> &[u8] {
        self.arena
            .get(r.0 as usize..(r.0 + r.1) as usize)
            .unwrap_or(&[])
    }
    pub(super) fn put(&mut self, v: &[u8]) -> Span {
        let v = &v[..v.len().min(8192)];
        let r = Span(self.arena.len() as u32, v.len() as u32);
        self.arena.extend_from_slice(v);
        r
    }
}
