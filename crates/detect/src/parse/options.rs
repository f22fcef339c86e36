//! The option list → [`Rule`]: the keyword registry (one `match` arm per
//! keyword) and Suricata's list semantics.
//!
//! * Payload keywords (content, pcre, byte_*, isdataat, bsize,
//!   base64_decode, asn1) go to the current list: the last sticky buffer
//!   named, or the payload.
//! * A sticky buffer named again continues its list (relative matches chain
//!   across); a transform needs a current sticky buffer and applies to its
//!   whole list (the matches before it too, as in Suricata).
//! * Content modifiers apply to the last content of the rule; a legacy
//!   modifier (`http_uri`, …) moves the last payload content to its buffer.
//! * pcre buffer flags (`/U`, `/H`, …) put the pcre in that buffer.
//! * A rule whose keywords imply two application protocols, or one other
//!   than its header's, is invalid (as in Suricata).
use crate::error::{ParseError, Result};
use crate::keywords::buffer::{Buffer, Transform};
use crate::keywords::byte::{Base64Decode, ByteExtract, ByteJump, ByteTest, IsDataAt};
use crate::keywords::content::Content;
use crate::keywords::flow::{Flow, Flowbits, Flowint, StreamSize, Tag, Threshold, Xbits};
use crate::keywords::ics;
use crate::keywords::packet::{self, AppLayerEvent, Asn1, Flags, SslState, SslVersions};
use crate::keywords::pcre::Pcre;
use crate::parse::header::{parse_header, AppProto, Protocol};
use crate::parse::value::{comma_list, parse_uint, unescape_string, UintCmp};
use crate::parse::{split_options, split_rule, RawOption};
use crate::rule::{BufMatch, BufferList, Condition, Meta, Reference, Rule, Target};
use crate::vars::{Classifications, Vars};

/// Most byte_extract variables in one rule.
const MAX_BYTE_VARS: usize = 64;
/// Most transforms on one buffer (Suricata's DETECT_TRANSFORMS_MAX).
const MAX_TRANSFORMS: usize = 16;

/// Content modifiers, applied to the rule's last content.
const CONTENT_MODIFIERS: &[&str] = &[
    "nocase",
    "depth",
    "offset",
    "distance",
    "within",
    "startswith",
    "endswith",
    "fast_pattern",
    "rawbytes",
];

fn same_family(a: AppProto, b: AppProto) -> bool {
    let fam = |p| match p {
        AppProto::Http1 | AppProto::Http2 => AppProto::Http,
        p => p,
    };
    fam(a) == fam(b)
}

struct Builder<'a> {
    classes: Option<&'a Classifications>,
    lists: Vec<BufferList>,
    /// index of the current sticky list, None = payload
    cur: Option<usize>,
    last_content: Option<(usize, usize)>,
    fast_patterns: usize,
    conditions: Vec<Condition>,
    meta: Meta,
    seen_sid: bool,
    seen_msg: bool,
    threshold: Option<Threshold>,
    detection_filter: Option<Threshold>,
    tag: Option<Tag>,
    noalert: bool,
    byte_vars: Vec<String>,
    app: Option<AppProto>,
    header_proto: Protocol,
}

impl Builder<'_> {
    fn list_for(&mut self, buffer: Buffer) -> usize {
        if let Some(i) = self
            .lists
            .iter()
            .position(|l| l.buffer == buffer && l.transforms.is_empty())
        {
            return i;
        }
        self.lists.push(BufferList {
            buffer,
            transforms: Vec::new(),
            matches: Vec::new(),
        });
        self.lists.len() - 1
    }

    fn current(&mut self) -> usize {
        match self.cur {
            Some(i) => i,
            None => self.list_for(Buffer::Payload),
        }
    }

    fn need_proto(&mut self, p: AppProto) -> Result<()> {
        if let Protocol::App(h) = self.header_proto {
            if !same_family(h, p) {
                return Err(ParseError::new(format!(
                    "keyword needs protocol {p:?}, rule is {h:?}"
                )));
            }
        }
        match self.app {
            Some(a) if !same_family(a, p) => Err(ParseError::new(format!(
                "keywords of two protocols ({a:?} and {p:?})"
            ))),
            Some(_) => Ok(()),
            None => {
                self.app = Some(p);
                Ok(())
            }
        }
    }

    fn push_match(&mut self, list: usize, m: BufMatch) {
        let is_content = matches!(m, BufMatch::Content(_));
        self.lists[list].matches.push(m);
        if is_content {
            self.last_content = Some((list, self.lists[list].matches.len() - 1));
        }
    }

    fn var(&self) -> impl Fn(&str) -> Option<u8> + '_ {
        |n: &str| self.byte_vars.iter().position(|v| v == n).map(|i| i as u8)
    }

    fn option(&mut self, o: RawOption<'_>) -> Result<()> {
        let name = o.name;
        let val = || o.value.ok_or_else(|| ParseError::new("needs a value"));
        let no_val = || match o.value {
            Some(_) => Err(ParseError::new("takes no value")),
            None => Ok(()),
        };

        if let Some(b) = Buffer::sticky(name) {
            no_val()?;
            if let Some(p) = b.proto() {
                self.need_proto(p)?;
            }
            self.cur = Some(self.list_for(b));
            return Ok(());
        }
        if let Some(t) = Transform::parse(name, o.value) {
            let t = t?;
            // As Suricata: a transform applies to the whole current list,
            // matches before it included.
            let Some(i) = self.cur else {
                return Err(ParseError::new("a transform must follow a sticky buffer"));
            };
            if self.lists[i].transforms.len() >= MAX_TRANSFORMS {
                return Err(ParseError::new("too many transforms"));
            }
            self.lists[i].transforms.push(t);
            return Ok(());
        }
        if let Some(b) = Buffer::legacy_modifier(name) {
            no_val()?;
            return self.legacy_modifier(b);
        }
        if CONTENT_MODIFIERS.contains(&name) {
            let (l, m) = self
                .last_content
                .ok_or_else(|| ParseError::new("no content before it"))?;
            if name == "fast_pattern" {
                self.fast_patterns += 1;
                if self.fast_patterns > 1 {
                    return Err(ParseError::new("only one fast_pattern per rule"));
                }
            }
            let vars = self.byte_vars.clone();
            let var = |n: &str| vars.iter().position(|v| v == n).map(|i| i as u8);
            let BufMatch::Content(c) = &mut self.lists[l].matches[m] else {
                unreachable!("last_content points at a content");
            };
            return c.apply_modifier(name, o.value, &var);
        }

        match name {
            // ---- payload keywords
            "content" => {
                let c = Content::parse(val()?)?;
                let l = self.current();
                self.push_match(l, BufMatch::Content(c));
            }
            "pcre" => {
                let p = Pcre::parse(val()?)?;
                let l = match p.buffer {
                    Some(b) => {
                        if self.cur.is_some_and(|c| self.lists[c].buffer != b) {
                            return Err(ParseError::new("pcre buffer flag inside another buffer"));
                        }
                        self.need_proto(AppProto::Http)?;
                        self.list_for(b)
                    }
                    None => self.current(),
                };
                self.push_match(l, BufMatch::Pcre(p));
            }
            "byte_test" => {
                let t = ByteTest::parse(val()?, &self.var())?;
                let l = self.current();
                self.push_match(l, BufMatch::ByteTest(t));
            }
            "byte_jump" => {
                let j = ByteJump::parse(val()?, &self.var())?;
                let l = self.current();
                self.push_match(l, BufMatch::ByteJump(j));
            }
            "byte_extract" => {
                let mut names = self.byte_vars.clone();
                let vars = self.byte_vars.clone();
                let var = |n: &str| vars.iter().position(|v| v == n).map(|i| i as u8);
                let mut define = |n: &str| -> Result<u8> {
                    if names.iter().any(|v| v == n) {
                        return Err(ParseError::new(format!("variable '{n}' defined twice")));
                    }
                    if names.len() >= MAX_BYTE_VARS {
                        return Err(ParseError::new("too many byte_extract variables"));
                    }
                    names.push(n.to_string());
                    Ok((names.len() - 1) as u8)
                };
                let e = ByteExtract::parse(val()?, &var, &mut define)?;
                self.byte_vars = names;
                let l = self.current();
                self.push_match(l, BufMatch::ByteExtract(e));
            }
            "isdataat" => {
                let d = IsDataAt::parse(val()?, &self.var())?;
                let l = self.current();
                self.push_match(l, BufMatch::IsDataAt(d));
            }
            "bsize" => {
                let c = UintCmp::parse(val()?, u32::MAX as u64)?;
                if self.cur.is_none() {
                    return Err(ParseError::new("bsize needs a sticky buffer"));
                }
                let l = self.current();
                self.push_match(l, BufMatch::Bsize(c));
            }
            "base64_decode" => {
                let d = Base64Decode::parse(o.value)?;
                let l = self.current();
                self.push_match(l, BufMatch::Base64Decode(d));
            }
            "asn1" => {
                let a = Asn1::parse(val()?)?;
                let l = self.current();
                self.push_match(l, BufMatch::Asn1(a));
            }
            // ---- conditions
            "flow" => {
                if self
                    .conditions
                    .iter()
                    .any(|c| matches!(c, Condition::Flow(_)))
                {
                    return Err(ParseError::new("flow given twice"));
                }
                self.conditions.push(Condition::Flow(Flow::parse(val()?)?));
            }
            "flowbits" => match Flowbits::parse(val()?)? {
                Some(b) => self.conditions.push(Condition::Flowbits(b)),
                None => self.noalert = true,
            },
            "xbits" => self
                .conditions
                .push(Condition::Xbits(Xbits::parse(val()?)?)),
            "flowint" => self
                .conditions
                .push(Condition::Flowint(Flowint::parse(val()?)?)),
            "stream_size" => self
                .conditions
                .push(Condition::StreamSize(StreamSize::parse(val()?)?)),
            "dsize" => self
                .conditions
                .push(Condition::Dsize(UintCmp::parse(val()?, 65535)?)),
            "flags" => self
                .conditions
                .push(Condition::Flags(Flags::parse(val()?)?)),
            "itype" => self
                .conditions
                .push(Condition::Itype(UintCmp::parse(val()?, 255)?)),
            "icode" => self
                .conditions
                .push(Condition::Icode(UintCmp::parse(val()?, 255)?)),
            "ip_proto" => self
                .conditions
                .push(Condition::IpProto(packet::parse_ip_proto(val()?)?)),
            "urilen" => {
                let v = val()?;
                let (c, raw) = match v.split_once(',') {
                    Some((c, "raw")) | Some((c, " raw")) => (c, true),
                    Some((c, m)) if m.trim() == "norm" => (c, false),
                    Some(_) => return Err(ParseError::new("expected norm or raw")),
                    None => (v, false),
                };
                self.need_proto(AppProto::Http)?;
                self.conditions.push(Condition::Urilen {
                    cmp: UintCmp::parse(c, 65535)?,
                    raw,
                });
            }
            "ssl_state" => {
                self.need_proto(AppProto::Tls)?;
                self.conditions
                    .push(Condition::SslState(SslState::parse(val()?)?));
            }
            "ssl_version" => {
                self.need_proto(AppProto::Tls)?;
                self.conditions
                    .push(Condition::SslVersion(SslVersions::parse(val()?)?));
            }
            "tls.version" => {
                self.need_proto(AppProto::Tls)?;
                self.conditions
                    .push(Condition::TlsVersion(packet::parse_tls_version(val()?)?));
            }
            "app-layer-event" => self
                .conditions
                .push(Condition::AppLayerEvent(AppLayerEvent::parse(val()?)?)),
            "ftpbounce" => {
                no_val()?;
                self.need_proto(AppProto::Ftp)?;
                self.conditions.push(Condition::Ftpbounce);
            }
            "modbus" => {
                self.need_proto(AppProto::Modbus)?;
                self.conditions
                    .push(Condition::Modbus(ics::Modbus::parse(val()?)?));
            }
            "dnp3_func" | "dnp3.func" => {
                self.need_proto(AppProto::Dnp3)?;
                self.conditions
                    .push(Condition::Dnp3Func(ics::parse_dnp3_func(val()?)?));
            }
            "dnp3_ind" | "dnp3.ind" => {
                self.need_proto(AppProto::Dnp3)?;
                self.conditions
                    .push(Condition::Dnp3Ind(ics::parse_dnp3_ind(val()?)?));
            }
            "dnp3_obj" | "dnp3.obj" => {
                self.need_proto(AppProto::Dnp3)?;
                let (group, variation) = ics::parse_dnp3_obj(val()?)?;
                self.conditions
                    .push(Condition::Dnp3Obj { group, variation });
            }
            "enip_command" => {
                self.need_proto(AppProto::Enip)?;
                self.conditions
                    .push(Condition::EnipCommand(ics::parse_enip_command(val()?)?));
            }
            "cip_service" => {
                self.need_proto(AppProto::Enip)?;
                self.conditions
                    .push(Condition::CipService(ics::parse_cip_service(val()?)?));
            }
            "iec104.typeid" => {
                self.need_proto(AppProto::Iec104)?;
                self.conditions
                    .push(Condition::Iec104TypeId(ics::parse_iec104_typeid(val()?)?));
            }
            "iec104.cot" => {
                self.need_proto(AppProto::Iec104)?;
                self.conditions
                    .push(Condition::Iec104Cot(ics::parse_iec104_cot(val()?)?));
            }
            "iec104.ca" => {
                self.need_proto(AppProto::Iec104)?;
                self.conditions
                    .push(Condition::Iec104Ca(ics::parse_ics_uint(
                        val()?,
                        65535,
                        "iec104.ca",
                    )?));
            }
            "iec104.ioa" => {
                self.need_proto(AppProto::Iec104)?;
                self.conditions
                    .push(Condition::Iec104Ioa(ics::parse_ics_uint(
                        val()?,
                        0xff_ffff,
                        "iec104.ioa",
                    )?));
            }
            "iec104.command" => {
                no_val()?;
                self.need_proto(AppProto::Iec104)?;
                self.conditions.push(Condition::Iec104Command);
            }
            "s7comm.function" => {
                self.need_proto(AppProto::S7comm)?;
                self.conditions
                    .push(Condition::S7Function(ics::parse_ics_uint(
                        val()?,
                        255,
                        "s7comm.function",
                    )?));
            }
            "s7comm.szl_id" => {
                self.need_proto(AppProto::S7comm)?;
                self.conditions.push(Condition::S7SzlId(ics::parse_ics_uint(
                    val()?,
                    65535,
                    "s7comm.szl_id",
                )?));
            }
            "s7comm.plc_stop" => {
                no_val()?;
                self.need_proto(AppProto::S7comm)?;
                self.conditions.push(Condition::S7PlcStop);
            }
            "s7comm.block" => {
                self.need_proto(AppProto::S7comm)?;
                self.conditions
                    .push(Condition::S7Block(ics::parse_s7_block(val()?)?));
            }
            "threshold" => {
                if self.threshold.is_some() || self.detection_filter.is_some() {
                    return Err(ParseError::new(
                        "threshold given twice or with detection_filter",
                    ));
                }
                self.threshold = Some(Threshold::parse(val()?, true)?);
            }
            "detection_filter" => {
                if self.threshold.is_some() || self.detection_filter.is_some() {
                    return Err(ParseError::new(
                        "detection_filter given twice or with threshold",
                    ));
                }
                self.detection_filter = Some(Threshold::parse(val()?, false)?);
            }
            "tag" => self.tag = Some(Tag::parse(val()?)?),
            "noalert" => {
                no_val()?;
                self.noalert = true;
            }
            // ---- metadata
            "msg" => {
                if self.seen_msg {
                    return Err(ParseError::new("msg given twice"));
                }
                self.seen_msg = true;
                self.meta.msg = unescape_string(val()?)?;
            }
            "sid" => {
                if self.seen_sid {
                    return Err(ParseError::new("sid given twice"));
                }
                self.seen_sid = true;
                self.meta.sid = parse_uint(val()?, u32::MAX as u64)? as u32;
                if self.meta.sid == 0 {
                    return Err(ParseError::new("sid 0"));
                }
            }
            "rev" => self.meta.rev = parse_uint(val()?, u32::MAX as u64)? as u32,
            "gid" => self.meta.gid = parse_uint(val()?, u32::MAX as u64)? as u32,
            "priority" => {
                let p = parse_uint(val()?, 255)? as u8;
                if p == 0 {
                    return Err(ParseError::new("priority 0"));
                }
                self.meta.priority = Some(p);
            }
            "classtype" => {
                let c = val()?;
                if self.meta.classtype.is_some() {
                    return Err(ParseError::new("classtype given twice"));
                }
                if c.is_empty()
                    || !c
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(ParseError::new(format!("bad classtype '{c}'")));
                }
                if let Some(cl) = self.classes.filter(|c| !c.is_empty()) {
                    if cl.get(c).is_none() {
                        return Err(ParseError::new(format!("unknown classtype '{c}'")));
                    }
                }
                self.meta.classtype = Some(c.to_string());
            }
            "reference" => {
                let (k, id) = val()?
                    .split_once(',')
                    .ok_or_else(|| ParseError::new("expected <type>,<id>"))?;
                self.meta.references.push(Reference {
                    kind: k.trim().to_string(),
                    id: id.trim().to_string(),
                });
            }
            "metadata" => {
                for kv in comma_list(val()?) {
                    if kv.is_empty() {
                        continue;
                    }
                    let (k, v) = kv.split_once(char::is_whitespace).unwrap_or((kv, ""));
                    self.meta
                        .metadata
                        .push((k.to_string(), v.trim().to_string()));
                }
            }
            "target" => {
                self.meta.target = Some(match val()? {
                    "src_ip" => Target::SrcIp,
                    "dest_ip" => Target::DestIp,
                    t => return Err(ParseError::new(format!("bad target '{t}'"))),
                })
            }
            _ => return Err(ParseError::unsupported_keyword(name)),
        }
        Ok(())
    }

    fn legacy_modifier(&mut self, b: Buffer) -> Result<()> {
        if self.cur.is_some() {
            return Err(ParseError::new(
                "a content modifier buffer cannot be used after a sticky buffer",
            ));
        }
        let (l, m) = self
            .last_content
            .ok_or_else(|| ParseError::new("no content before it"))?;
        if self.lists[l].buffer != Buffer::Payload {
            return Err(ParseError::new(
                "the previous content is already in a buffer",
            ));
        }
        let BufMatch::Content(c) = self.lists[l].matches.remove(m) else {
            unreachable!("last_content points at a content");
        };
        if c.rawbytes {
            return Err(ParseError::new(
                "rawbytes cannot be used with an http buffer",
            ));
        }
        if let Some(p) = b.proto() {
            self.need_proto(p)?;
        }
        let to = self.list_for(b);
        self.lists[to].matches.push(BufMatch::Content(c));
        self.last_content = Some((to, self.lists[to].matches.len() - 1));
        // drop an emptied payload list (indices after it shift down)
        if self.lists[l].matches.is_empty() && self.lists[l].transforms.is_empty() {
            self.lists.remove(l);
            let fix = |i: &mut usize| {
                if *i > l {
                    *i -= 1
                }
            };
            if let Some((li, _)) = self.last_content.as_mut() {
                fix(li);
            }
        }
        Ok(())
    }
}

/// Parses one rule. `classes`, when given and non-empty, must know every
/// classtype; it also supplies the priority when the rule has none.
pub fn parse_rule(text: &str, vars: &Vars, classes: Option<&Classifications>) -> Result<Rule> {
    let (header_text, body) = split_rule(text)?;
    let header = parse_header(header_text, vars)?;
    let opts = split_options(body)?;
    let mut b = Builder {
        classes,
        lists: Vec::new(),
        cur: None,
        last_content: None,
        fast_patterns: 0,
        conditions: Vec::new(),
        meta: Meta {
            gid: 1,
            ..Meta::default()
        },
        seen_sid: false,
        seen_msg: false,
        threshold: None,
        detection_filter: None,
        tag: None,
        noalert: false,
        byte_vars: Vec::new(),
        app: None,
        header_proto: header.protocol,
    };
    for o in opts {
        b.option(o).map_err(|e| e.at(o.name))?;
    }
    if !b.seen_sid {
        return Err(ParseError::new("rule has no sid"));
    }
    if b.meta.priority.is_none() {
        if let (Some(cl), Some(ct)) = (classes, &b.meta.classtype) {
            b.meta.priority = cl.get(ct).map(|c| c.priority);
        }
    }
    let app_proto = match header.protocol {
        Protocol::App(p) => Some(p),
        _ => b.app,
    };
    Ok(Rule {
        header,
        meta: b.meta,
        lists: b.lists,
        conditions: b.conditions,
        threshold: b.threshold,
        detection_filter: b.detection_filter,
        tag: b.tag,
        noalert: b.noalert,
        byte_vars: b.byte_vars,
        app_proto,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::buffer::BufferId;
    use crate::keywords::content::Num;

    fn p(s: &str) -> Result<Rule> {
        parse_rule(
            &format!("alert http any any -> any any ({s} sid:1;)"),
            &Vars::suricata_defaults(),
            None,
        )
    }
    fn contents(r: &Rule) -> Vec<(Buffer, Vec<u8>)> {
        r.contents().map(|(b, c)| (b, c.pattern.clone())).collect()
    }

    #[test]
    fn legacy_modifier_moves_the_previous_content() {
        // content:"/a"; http_uri; content:"b"; distance:0; http_uri; — both in http.uri
        let r = p("content:\"GET\"; http_method; content:\"/a\"; http_uri; content:\"b\"; distance:0; http_uri; nocase;").unwrap();
        assert_eq!(
            contents(&r),
            vec![
                (Buffer::App(BufferId::HttpMethod), b"GET".to_vec()),
                (Buffer::App(BufferId::HttpUri), b"/a".to_vec()),
                (Buffer::App(BufferId::HttpUri), b"b".to_vec()),
            ]
        );
        let (_, b) = r.contents().nth(2).unwrap();
        assert!(b.nocase && b.distance == Some(Num::Lit(0)));
        assert!(r.lists.iter().all(|l| l.buffer != Buffer::Payload));
        // a legacy modifier after a sticky buffer is an error
        assert!(p("http.uri; content:\"a\"; http_uri;").is_err());
        assert!(p("http_uri;").is_err());
    }

    #[test]
    fn sticky_buffers_continue_their_list() {
        let r = p("http.uri; content:\"a\"; http.header; content:\"b\"; http.uri; content:\"c\"; distance:0;").unwrap();
        assert_eq!(r.lists.len(), 2);
        assert_eq!(r.lists[0].buffer, Buffer::App(BufferId::HttpUri));
        assert_eq!(r.lists[0].matches.len(), 2);
        // payload keywords after a sticky buffer go to it
        let r = p(
            "file_data; content:\"x\"; byte_test:1,=,1,0,relative; isdataat:2,relative; bsize:>5;",
        )
        .unwrap();
        assert_eq!(r.lists.len(), 1);
        assert_eq!(r.lists[0].buffer, Buffer::App(BufferId::FileData));
        assert_eq!(r.lists[0].matches.len(), 4);
        assert!(p("bsize:5;").is_err()); // bsize needs a sticky buffer
    }

    #[test]
    fn pcre_buffer_flags() {
        let r = p("content:\"x\"; pcre:\"/^\\/a/U\";").unwrap();
        let l = r
            .lists
            .iter()
            .find(|l| l.buffer == Buffer::App(BufferId::HttpUri))
            .unwrap();
        assert!(matches!(l.matches[0], BufMatch::Pcre(_)));
        assert!(p("http.header; pcre:\"/a/U\";").is_err());
        let r = p("http.uri; pcre:\"/a/UR\";").unwrap();
        assert_eq!(r.lists.len(), 1);
    }

    #[test]
    fn transforms_and_protocols() {
        let r = parse_rule(
            "alert dns any any -> any any (dns.query; dotprefix; content:\".example.com\"; endswith; sid:1;)",
            &Vars::suricata_defaults(),
            None,
        )
        .unwrap();
        assert_eq!(r.lists[0].transforms, vec![Transform::Dotprefix]);
        assert_eq!(r.app_proto, Some(AppProto::Dns));
        assert!(p("dotprefix; content:\"a\";").is_err());
        // http buffer in a dns rule, two protocols in one rule
        assert!(parse_rule(
            "alert dns any any -> any any (http.uri; content:\"a\"; sid:1;)",
            &Vars::suricata_defaults(),
            None
        )
        .is_err());
        let t = |s: &str| {
            parse_rule(
                &format!("alert tcp any any -> any any ({s} sid:1;)"),
                &Vars::suricata_defaults(),
                None,
            )
        };
        assert!(t("tls.sni; content:\"a\"; dns.query; content:\"b\";").is_err());
        assert_eq!(
            t("tls.sni; content:\"a\";").unwrap().app_proto,
            Some(AppProto::Tls)
        );
        assert_eq!(
            t("modbus: function 3;").unwrap().app_proto,
            Some(AppProto::Modbus)
        );
    }

    #[test]
    fn rule_level_checks() {
        assert!(p("nocase; content:\"a\";").is_err()); // modifier before any content
        assert!(p("content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;").is_err());
        assert!(p("flow:established; flow:to_server;").is_err());
        assert!(p("threshold:type limit,track by_src,count 1,seconds 60; detection_filter:track by_src,count 1,seconds 60;").is_err());
        assert!(p("frobnicate;").unwrap_err().kind == crate::ErrorKind::UnsupportedKeyword);
        assert!(parse_rule(
            "alert tcp any any -> any any (msg:\"no sid\";)",
            &Vars::suricata_defaults(),
            None
        )
        .is_err());
        assert!(p("sid:2;").is_err()); // sid twice
        let r = p("msg:\"a \\\"b\\\" \\; c\"; flowbits:set,x; flowbits:noalert; urilen:>10,raw; priority:3; reference:cve,2021-44228; target:dest_ip; gid:1; rev:7;").unwrap();
        assert_eq!(r.meta.msg, "a \"b\" ; c");
        assert!(r.noalert);
        assert_eq!(r.meta.priority, Some(3));
        assert_eq!(r.meta.rev, 7);
        assert_eq!(r.meta.target, Some(Target::DestIp));
        assert!(r
            .conditions
            .iter()
            .any(|c| matches!(c, Condition::Urilen { raw: true, .. })));
        // byte_extract variables feed later keywords; unknown names fail
        let r = p(
            "file_data; content:\"L\"; byte_extract:2,0,len,relative; content:\"x\"; within:len;",
        )
        .unwrap();
        assert_eq!(r.byte_vars, vec!["len".to_string()]);
        assert!(p("file_data; content:\"x\"; within:nope;").is_err());
    }

    #[test]
    fn classtype_priority_and_unknown_classtype() {
        let (c, _) = Classifications::parse(
            "config classification: trojan-activity,A Network Trojan was detected,1\n",
        );
        let v = Vars::suricata_defaults();
        let r = parse_rule(
            "alert tcp any any -> any any (classtype:trojan-activity; sid:1;)",
            &v,
            Some(&c),
        )
        .unwrap();
        assert_eq!(r.meta.priority, Some(1));
        let r = parse_rule(
            "alert tcp any any -> any any (classtype:trojan-activity; priority:4; sid:1;)",
            &v,
            Some(&c),
        )
        .unwrap();
        assert_eq!(r.meta.priority, Some(4));
        assert!(parse_rule(
            "alert tcp any any -> any any (classtype:nope; sid:1;)",
            &v,
            Some(&c)
        )
        .is_err());
    }
}
