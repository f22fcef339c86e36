//! One inspection list on one buffer, with Suricata 8's semantics
//! (detect-engine-content-inspection.c, re-implemented):
//!
//! * a content without distance/within is searched in `[offset,
//!   offset+depth)`; with them, relative to the end of the previous match;
//! * when a later keyword fails, an earlier content is retried at its next
//!   occurrence only if the next keyword depends on it through `within` or
//!   is a relative pcre/byte/isdataat (Suricata's WITHIN_NEXT rule: a
//!   `distance`-only follower cannot do better further on); an absolute
//!   content that fails ends the list (discontinue);
//! * negated contents match when absent from their window and never move
//!   the relative position; `endswith` needs the match to end the buffer;
//! * pcre runs on the rest of the buffer after the previous match when
//!   relative (`^` anchors there, as Suricata passes that slice), and is
//!   retried one byte after its previous match start;
//! * the recursion is bounded ([`BUDGET`], Suricata's
//!   inspection-recursion-limit 3000).
use regex_automata::{meta::Regex, Anchored, Input};

use crate::keywords::byte::{Base, ByteOp, ByteRead, Endian};
use crate::keywords::content::{Content, Num};
use crate::keywords::pcre::Pcre;
use crate::rule::BufMatch;

/// Most keyword evaluations for one list on one buffer.
pub const BUDGET: u32 = 3000;

/// What a list evaluation needs besides the data.
pub struct Ctx<'a> {
    /// byte_extract values, by variable index.
    pub vars: &'a mut [u64; 64],
    /// Compiled regex of the i-th match of the list (None: not a pcre or
    /// not compilable).
    pub regex: &'a dyn Fn(usize) -> Option<&'a Regex>,
    pub budget: u32,
}

fn num(n: Num, vars: &[u64; 64]) -> i64 {
    match n {
        Num::Lit(v) => v,
        Num::Var(i) => vars[i as usize & 63] as i64,
    }
}

/// Is the keyword at `next` relative to the one before it, in the way that
/// makes retrying the previous content useful?
fn depends(next: Option<&BufMatch>) -> bool {
    match next {
        Some(BufMatch::Content(c)) => c.within.is_some(),
        Some(BufMatch::Pcre(p)) => p.relative,
        Some(BufMatch::ByteTest(t)) => t.read.relative,
        Some(BufMatch::ByteJump(j)) => j.read.relative,
        Some(BufMatch::ByteExtract(e)) => e.read.relative,
        Some(BufMatch::IsDataAt(d)) => d.relative,
        _ => false,
    }
}

fn find(c: &Content, hay: &[u8]) -> Option<usize> {
    let n = &c.pattern;
    if n.len() > hay.len() {
        return None;
    }
    if !c.nocase {
        return memchr::memmem::find(hay, n);
    }
    let (lo, up) = (n[0].to_ascii_lowercase(), n[0].to_ascii_uppercase());
    let last = hay.len() - n.len();
    let mut at = 0;
    while at <= last {
        let i = memchr::memchr2(lo, up, &hay[at..=last])? + at;
        if hay[i..i + n.len()].eq_ignore_ascii_case(n) {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// Evaluates the list `ms` on `data`: true if it matches.
pub fn list_matches(ms: &[BufMatch], data: &[u8], ctx: &mut Ctx) -> bool {
    ctx.budget = BUDGET;
    ms.is_empty() || step(ms, 0, data, 0, ctx) == 1
}

/// 1 match, 0 no match, -1 no match and give up.
fn step(ms: &[BufMatch], i: usize, data: &[u8], pos: usize, ctx: &mut Ctx) -> i8 {
    if i >= ms.len() {
        return 1;
    }
    if ctx.budget == 0 {
        return -1;
    }
    ctx.budget -= 1;
    let next = |ctx: &mut Ctx, pos: usize| step(ms, i + 1, data, pos, ctx);
    let len = data.len();
    match &ms[i] {
        BufMatch::Content(c) => {
            let relative = c.is_relative();
            let mut retry_from: Option<usize> = None;
            loop {
                let (mut start, mut end);
                if relative {
                    let dist = c.distance.map_or(0, |d| num(d, ctx.vars));
                    start = (pos as i64 + dist).max(0) as usize;
                    end = len;
                    if let Some(w) = c.within {
                        let e = pos as i64 + num(w, ctx.vars) + dist;
                        end = end.min(e.max(0) as usize);
                    }
                } else {
                    start = c.offset.map_or(0, |o| num(o, ctx.vars)).max(0) as usize;
                    end = match c.depth {
                        Some(d) => start.saturating_add(num(d, ctx.vars).max(0) as usize),
                        None => len,
                    };
                    if c.startswith {
                        end = c.pattern.len();
                    }
                }
                if let Some(r) = retry_from {
                    start = r;
                }
                if end > len {
                    end = len;
                }
                let window_ok = start <= end && end > 0 && !(c.endswith && end < len);
                let found = if window_ok {
                    find(c, &data[start..end]).map(|f| f + start)
                } else {
                    None
                };
                let Some(f) = found else {
                    if c.negated {
                        return next(ctx, pos);
                    }
                    return if relative { 0 } else { -1 };
                };
                let m_end = f + c.pattern.len();
                if c.negated {
                    if c.endswith && m_end != end {
                        return next(ctx, pos);
                    }
                    return if relative { 0 } else { -1 };
                }
                if !c.endswith || m_end == len {
                    if i + 1 == ms.len() {
                        return 1;
                    }
                    match next(ctx, m_end) {
                        1 => return 1,
                        -1 => return -1,
                        _ => {}
                    }
                    if !depends(ms.get(i + 1)) {
                        return -1;
                    }
                }
                retry_from = Some(f + 1);
            }
        }
        BufMatch::Pcre(p) => {
            let Some(re) = (ctx.regex)(i) else { return -1 };
            let mut from = 0usize;
            loop {
                let Some((s, e)) = pcre_find(p, re, data, pos, from) else {
                    return if p.negated { next(ctx, pos) } else { 0 };
                };
                if p.negated {
                    return 0;
                }
                match next(ctx, e) {
                    1 => return 1,
                    -1 => return -1,
                    _ => {}
                }
                if !depends(ms.get(i + 1)) {
                    return 0;
                }
                from = s + 1;
            }
        }
        BufMatch::IsDataAt(d) => {
            let at = num(d.at, ctx.vars).max(0) as usize;
            let ok = if d.relative {
                pos.saturating_add(at) <= len
            } else {
                at < len
            };
            if ok != d.negated {
                next(ctx, pos)
            } else if matches!(d.at, Num::Lit(_)) {
                -1
            } else {
                0
            }
        }
        BufMatch::Bsize(cmp) => {
            if cmp.matches(len as u64) {
                next(ctx, pos)
            } else {
                -1
            }
        }
        BufMatch::ByteTest(t) => {
            let Some((v, _)) = read(&t.read, data, pos, ctx.vars) else {
                return 0;
            };
            let want = num(t.value, ctx.vars) as u64;
            let r = match t.op {
                ByteOp::Lt => v < want,
                ByteOp::Gt => v > want,
                ByteOp::Eq => v == want,
                ByteOp::Le => v <= want,
                ByteOp::Ge => v >= want,
                ByteOp::And => v & want != 0,
                ByteOp::Xor => v ^ want != 0,
            };
            if r != t.negated {
                next(ctx, pos)
            } else {
                0
            }
        }
        BufMatch::ByteExtract(e) => {
            let Some((mut v, _)) = read(&e.read, data, pos, ctx.vars) else {
                return 0;
            };
            v = v.wrapping_mul(e.multiplier.max(1) as u64);
            if e.align > 1 {
                let a = e.align as u64;
                v = v.div_ceil(a).saturating_mul(a);
            }
            ctx.vars[e.var as usize & 63] = v;
            next(ctx, pos)
        }
        BufMatch::ByteJump(j) => {
            let Some((mut v, after)) = read(&j.read, data, pos, ctx.vars) else {
                return 0;
            };
            v = v.wrapping_mul(j.multiplier.max(1) as u64);
            if j.align && v % 4 != 0 {
                v += 4 - v % 4;
            }
            let base: i64 = if j.from_beginning {
                0
            } else if j.from_end {
                len as i64
            } else {
                after as i64
            };
            let to = base
                .saturating_add(v.min(i64::MAX as u64 / 2) as i64)
                .saturating_add(j.post_offset as i64)
                .max(0);
            if to as usize > len {
                return 0;
            }
            next(ctx, to as usize)
        }
        // not evaluated yet: never a match (reported as a known gap)
        BufMatch::Base64Decode(_) | BufMatch::Asn1(_) => -1,
    }
}

/// Reads the value of a byte keyword: (value after bitmask, end offset).
fn read(r: &ByteRead, data: &[u8], pos: usize, vars: &[u64; 64]) -> Option<(u64, usize)> {
    let base = if r.relative { pos as i64 } else { 0 };
    let at = base + num(r.offset, vars);
    if at < 0 || (r.relative && at as usize >= data.len()) {
        return None;
    }
    let at = at as usize;
    let n = r.nbytes as usize;
    let bytes = data.get(at..at.checked_add(n)?)?;
    let v = match r.base {
        Base::Binary => {
            let mut v = 0u64;
            if r.endian == Endian::Little {
                for &b in bytes.iter().rev() {
                    v = v << 8 | b as u64;
                }
            } else {
                for &b in bytes {
                    v = v << 8 | b as u64;
                }
            }
            v
        }
        b => {
            let radix = match b {
                Base::StringHex => 16,
                Base::StringOct => 8,
                _ => 10,
            };
            let mut digits = 0;
            let mut v = 0u64;
            for &c in bytes {
                match (c as char).to_digit(radix) {
                    Some(d) => {
                        v = v.checked_mul(radix as u64)?.checked_add(d as u64)?;
                        digits += 1;
                    }
                    None => break,
                }
            }
            if digits == 0 {
                return None;
            }
            v
        }
    };
    let v = match r.bitmask {
        Some(m) => (v & m) >> m.trailing_zeros(),
        None => v,
    };
    Some((v, at + n))
}

/// One pcre search: the match (absolute offsets) starting at or after
/// `from`, in the buffer (or its rest after `pos` when relative).
fn pcre_find(p: &Pcre, re: &Regex, data: &[u8], pos: usize, from: usize) -> Option<(usize, usize)> {
    let base = if p.relative { pos } else { 0 };
    if p.relative && base >= data.len() {
        return None;
    }
    let hay = &data[base..];
    let start = from.saturating_sub(base);
    if start > hay.len() {
        return None;
    }
    let mut input = Input::new(hay).span(start..hay.len());
    if p.flags.anchored {
        input = input.anchored(Anchored::Yes);
    }
    re.search(&input)
        .map(|m| (m.start() + base, m.end() + base))
}

/// Compiles a pcre's translated regex (bounded size).
pub fn compile_pcre(p: &Pcre) -> Option<Regex> {
    Regex::builder()
        .syntax(p.syntax_config())
        .configure(
            Regex::config()
                .nfa_size_limit(Some(8 << 20))
                .hybrid_cache_capacity(2 << 20),
        )
        .build(&p.regex)
        .ok()
}
