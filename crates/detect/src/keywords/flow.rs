//! Flow-state keywords: flow, flowbits, xbits, flowint, stream_size,
//! threshold, detection_filter, tag.
use crate::error::{ParseError, Result};
use crate::parse::value::{comma_list, parse_int, parse_uint};

/// `flow:` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flow {
    pub established: bool,
    pub not_established: bool,
    pub stateless: bool,
    /// `to_server` / `from_client`
    pub to_server: bool,
    /// `to_client` / `from_server`
    pub to_client: bool,
    pub only_stream: bool,
    pub no_stream: bool,
    pub only_frag: bool,
    pub no_frag: bool,
}

impl Flow {
    pub fn parse(v: &str) -> Result<Flow> {
        let mut f = Flow::default();
        for p in comma_list(v) {
            let slot = match p {
                "established" => &mut f.established,
                "not_established" => &mut f.not_established,
                "stateless" => &mut f.stateless,
                "to_server" | "from_client" => &mut f.to_server,
                "to_client" | "from_server" => &mut f.to_client,
                "only_stream" => &mut f.only_stream,
                "no_stream" => &mut f.no_stream,
                "only_frag" => &mut f.only_frag,
                "no_frag" => &mut f.no_frag,
                o => return Err(ParseError::new(format!("unknown flow option '{o}'"))),
            };
            if *slot {
                return Err(ParseError::new(format!("flow option '{p}' given twice")));
            }
            *slot = true;
        }
        let pairs = [
            (f.to_server, f.to_client, "to_server and to_client"),
            (
                f.established,
                f.not_established,
                "established and not_established",
            ),
            (f.established, f.stateless, "established and stateless"),
            (f.only_stream, f.no_stream, "only_stream and no_stream"),
            (f.only_frag, f.no_frag, "only_frag and no_frag"),
        ];
        for (a, b, what) in pairs {
            if a && b {
                return Err(ParseError::new(format!("flow: {what} conflict")));
            }
        }
        Ok(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BitOp {
    Set,
    Unset,
    Toggle,
    IsSet,
    IsNotSet,
}

/// `flowbits:<op>,<name>[|<name>…]` (a `|` list means any of them for
/// isset/isnotset, each of them for set/unset/toggle). `flowbits:noalert`
/// is turned into the rule's noalert flag by the parser.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Flowbits {
    pub op: BitOp,
    pub names: Vec<String>,
}

fn bit_name(n: &str) -> Result<String> {
    let n = n.trim();
    if n.is_empty() || n.len() > 256 || n.bytes().any(|b| b.is_ascii_whitespace() || b == b',') {
        return Err(ParseError::new(format!("bad bit name '{n}'")));
    }
    Ok(n.to_string())
}

fn bit_op(s: &str) -> Option<BitOp> {
    Some(match s {
        "set" => BitOp::Set,
        "unset" => BitOp::Unset,
        "toggle" => BitOp::Toggle,
        "isset" => BitOp::IsSet,
        "isnotset" => BitOp::IsNotSet,
        _ => return None,
    })
}

impl Flowbits {
    /// `None` for `noalert`.
    pub fn parse(v: &str) -> Result<Option<Flowbits>> {
        let (op, names) = match v.split_once(',') {
            Some((o, n)) => (o.trim(), Some(n)),
            None => (v.trim(), None),
        };
        if op == "noalert" {
            return match names {
                None => Ok(None),
                Some(_) => Err(ParseError::new("noalert takes no name")),
            };
        }
        let op = bit_op(op).ok_or_else(|| ParseError::new(format!("unknown op '{op}'")))?;
        let names = names.ok_or_else(|| ParseError::new("missing bit name"))?;
        let names = names.split('|').map(bit_name).collect::<Result<Vec<_>>>()?;
        Ok(Some(Flowbits { op, names }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XbitTrack {
    IpSrc,
    IpDst,
    IpPair,
    Tx,
}

/// `xbits:<op>,<name>,track <ip_src|ip_dst|ip_pair|tx>[,expire <seconds>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Xbits {
    pub op: BitOp,
    pub name: String,
    pub track: XbitTrack,
    pub expire: Option<u32>,
}

impl Xbits {
    pub fn parse(v: &str) -> Result<Xbits> {
        let p: Vec<&str> = comma_list(v).collect();
        if p.len() < 3 || p.len() > 4 {
            return Err(ParseError::new(
                "expected op, name, track <how>[, expire <s>]",
            ));
        }
        let op = bit_op(p[0]).ok_or_else(|| ParseError::new(format!("unknown op '{}'", p[0])))?;
        let track = match p[2].strip_prefix("track").map(str::trim) {
            Some("ip_src") => XbitTrack::IpSrc,
            Some("ip_dst") => XbitTrack::IpDst,
            Some("ip_pair") => XbitTrack::IpPair,
            Some("tx") => XbitTrack::Tx,
            _ => return Err(ParseError::new(format!("bad track '{}'", p[2]))),
        };
        let expire = match p.get(3) {
            Some(e) => match e.strip_prefix("expire") {
                Some(n) => Some(parse_uint(n, u32::MAX as u64)? as u32),
                None => return Err(ParseError::new(format!("unknown option '{e}'"))),
            },
            None => None,
        };
        Ok(Xbits {
            op,
            name: bit_name(p[1])?,
            track,
            expire,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowintOp {
    Set,
    Add,
    Sub,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    IsSet,
    NotSet,
}

/// `flowint:<name>,<op>[,<value>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Flowint {
    pub name: String,
    pub op: FlowintOp,
    /// A number, or another flowint's name.
    pub value: Option<FlowintValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlowintValue {
    Lit(u32),
    Var(String),
}

impl Flowint {
    pub fn parse(v: &str) -> Result<Flowint> {
        let p: Vec<&str> = comma_list(v).collect();
        if p.len() < 2 || p.len() > 3 {
            return Err(ParseError::new("expected name, op[, value]"));
        }
        let op = match p[1] {
            "=" => FlowintOp::Set,
            "+" => FlowintOp::Add,
            "-" => FlowintOp::Sub,
            "==" => FlowintOp::Eq,
            "!=" => FlowintOp::Ne,
            "<" => FlowintOp::Lt,
            "<=" => FlowintOp::Le,
            ">" => FlowintOp::Gt,
            ">=" => FlowintOp::Ge,
            "isset" => FlowintOp::IsSet,
            "notset" | "isnotset" => FlowintOp::NotSet,
            o => return Err(ParseError::new(format!("unknown op '{o}'"))),
        };
        let needs_value = !matches!(op, FlowintOp::IsSet | FlowintOp::NotSet);
        let value = match (p.get(2), needs_value) {
            (Some(x), true) => Some(if x.bytes().all(|b| b.is_ascii_digit()) {
                FlowintValue::Lit(parse_uint(x, u32::MAX as u64)? as u32)
            } else {
                FlowintValue::Var(bit_name(x)?)
            }),
            (None, false) => None,
            (Some(_), false) => return Err(ParseError::new("isset/notset take no value")),
            (None, true) => return Err(ParseError::new("missing value")),
        };
        Ok(Flowint {
            name: bit_name(p[0])?,
            op,
            value,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamSide {
    Server,
    Client,
    Both,
    Either,
}

/// `stream_size:<server|client|both|either>,<op>,<n>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamSize {
    pub side: StreamSide,
    pub op: crate::parse::value::CmpOp,
    pub value: u32,
}

impl StreamSize {
    pub fn parse(v: &str) -> Result<StreamSize> {
        use crate::parse::value::CmpOp;
        let p: Vec<&str> = comma_list(v).collect();
        if p.len() != 3 {
            return Err(ParseError::new("expected side, op, value"));
        }
        let side = match p[0] {
            "server" => StreamSide::Server,
            "client" => StreamSide::Client,
            "both" => StreamSide::Both,
            "either" => StreamSide::Either,
            s => return Err(ParseError::new(format!("unknown side '{s}'"))),
        };
        let op = match p[1] {
            ">" => CmpOp::Gt,
            "<" => CmpOp::Lt,
            "=" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            ">=" => CmpOp::Ge,
            "<=" => CmpOp::Le,
            o => return Err(ParseError::new(format!("unknown operator '{o}'"))),
        };
        Ok(StreamSize {
            side,
            op,
            value: parse_uint(p[2], u32::MAX as u64)? as u32,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Track {
    BySrc,
    ByDst,
    ByRule,
    ByBoth,
    ByFlow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThresholdType {
    Limit,
    Threshold,
    Both,
    /// `backoff` with its multiplier.
    Backoff(u32),
}

/// `threshold:` (with a type) and `detection_filter:` (type None).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Threshold {
    pub kind: Option<ThresholdType>,
    pub track: Track,
    pub count: u32,
    pub seconds: u32,
}

impl Threshold {
    /// `with_type`: threshold (type required) vs detection_filter (no type).
    pub fn parse(v: &str, with_type: bool) -> Result<Threshold> {
        let (mut kind, mut track, mut count, mut seconds, mut mult) =
            (None, None, None, None, None);
        for p in comma_list(v) {
            let (k, a) = p
                .split_once(char::is_whitespace)
                .map(|(k, a)| (k, a.trim()))
                .ok_or_else(|| ParseError::new(format!("bad option '{p}'")))?;
            let dup = || ParseError::new(format!("'{k}' given twice"));
            match k {
                "type" if with_type => {
                    if kind.is_some() {
                        return Err(dup());
                    }
                    kind = Some(a);
                }
                "track" => {
                    if track.is_some() {
                        return Err(dup());
                    }
                    track = Some(match a {
                        "by_src" => Track::BySrc,
                        "by_dst" => Track::ByDst,
                        "by_rule" => Track::ByRule,
                        "by_both" => Track::ByBoth,
                        "by_flow" => Track::ByFlow,
                        t => return Err(ParseError::new(format!("unknown track '{t}'"))),
                    });
                }
                "count" => {
                    if count.is_some() {
                        return Err(dup());
                    }
                    count = Some(parse_uint(a, u32::MAX as u64)? as u32);
                }
                "seconds" => {
                    if seconds.is_some() {
                        return Err(dup());
                    }
                    seconds = Some(parse_uint(a, u32::MAX as u64)? as u32);
                }
                "multiplier" if with_type => mult = Some(parse_int(a, 1, u32::MAX as i64)? as u32),
                _ => return Err(ParseError::new(format!("unknown option '{k}'"))),
            }
        }
        let kind = match (with_type, kind) {
            (false, _) => None,
            (true, Some("limit")) => Some(ThresholdType::Limit),
            (true, Some("threshold")) => Some(ThresholdType::Threshold),
            (true, Some("both")) => Some(ThresholdType::Both),
            (true, Some("backoff")) => {
                Some(ThresholdType::Backoff(mult.ok_or_else(|| {
                    ParseError::new("backoff needs a multiplier")
                })?))
            }
            (true, Some(t)) => return Err(ParseError::new(format!("unknown type '{t}'"))),
            (true, None) => return Err(ParseError::new("missing type")),
        };
        let backoff = matches!(kind, Some(ThresholdType::Backoff(_)));
        let seconds = match (seconds, backoff) {
            (Some(s), _) => s,
            (None, true) => 0,
            (None, false) => return Err(ParseError::new("missing seconds")),
        };
        let count = count.ok_or_else(|| ParseError::new("missing count"))?;
        if count == 0 && kind != Some(ThresholdType::Limit) && !backoff {
            return Err(ParseError::new("count 0"));
        }
        Ok(Threshold {
            kind,
            track: track.ok_or_else(|| ParseError::new("missing track"))?,
            count,
            seconds,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagMetric {
    Packets,
    Seconds,
    Bytes,
}

/// `tag:session|host[,<count>,<metric>[,src|dst]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag {
    pub host: bool,
    pub count: u32,
    pub metric: TagMetric,
    /// For host tags: the source (true) or destination host.
    pub src: bool,
}

impl Tag {
    pub fn parse(v: &str) -> Result<Tag> {
        let p: Vec<&str> = comma_list(v).collect();
        let host = match p[0] {
            "session" => false,
            "host" => true,
            t => return Err(ParseError::new(format!("unknown tag type '{t}'"))),
        };
        let mut t = Tag {
            host,
            count: 256,
            metric: TagMetric::Packets,
            src: true,
        };
        if p.len() >= 3 {
            t.count = parse_uint(p[1], u32::MAX as u64)? as u32;
            t.metric = match p[2] {
                "packets" => TagMetric::Packets,
                "seconds" => TagMetric::Seconds,
                "bytes" => TagMetric::Bytes,
                m => return Err(ParseError::new(format!("unknown metric '{m}'"))),
            };
        } else if p.len() == 2 {
            return Err(ParseError::new("expected count and metric"));
        }
        match (p.get(3), host) {
            (None, _) => {}
            (Some(&"src"), true) => t.src = true,
            (Some(&"dst"), true) => t.src = false,
            _ => return Err(ParseError::new("bad tag direction")),
        }
        if p.len() > 4 {
            return Err(ParseError::new("too many tag options"));
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_options() {
        let f = Flow::parse("established,to_server").unwrap();
        assert!(f.established && f.to_server && !f.to_client);
        assert!(
            Flow::parse("from_server, established, only_stream")
                .unwrap()
                .to_client
        );
        assert!(Flow::parse("to_server,to_client").is_err());
        assert!(Flow::parse("established,established").is_err());
        assert!(Flow::parse("established,stateless").is_err());
        assert!(Flow::parse("sideways").is_err());
    }

    #[test]
    fn flowbits_forms() {
        let b = Flowbits::parse("set,ET.foo").unwrap().unwrap();
        assert_eq!(
            (b.op, b.names.clone()),
            (BitOp::Set, vec!["ET.foo".to_string()])
        );
        let b = Flowbits::parse("isset,a|b").unwrap().unwrap();
        assert_eq!(b.names.len(), 2);
        assert_eq!(Flowbits::parse("noalert").unwrap(), None);
        assert!(Flowbits::parse("isset").is_err());
        assert!(Flowbits::parse("frob,x").is_err());
        let x = Xbits::parse("set,ET.x,track ip_pair,expire 15").unwrap();
        assert_eq!((x.track, x.expire), (XbitTrack::IpPair, Some(15)));
        assert!(Xbits::parse("set,x").is_err());
        let i = Flowint::parse("ET.dl, +, 1").unwrap();
        assert_eq!(
            (i.op, i.value),
            (FlowintOp::Add, Some(FlowintValue::Lit(1)))
        );
        assert_eq!(Flowint::parse("x, isset").unwrap().value, None);
        assert!(Flowint::parse("x, +").is_err());
    }

    #[test]
    fn thresholds() {
        let t = Threshold::parse("type limit, track by_src, seconds 3600, count 1", true).unwrap();
        assert_eq!(t.kind, Some(ThresholdType::Limit));
        assert_eq!((t.track, t.count, t.seconds), (Track::BySrc, 1, 3600));
        let t = Threshold::parse("type both , track by_src, count 100, seconds 60", true).unwrap();
        assert_eq!(t.kind, Some(ThresholdType::Both));
        let d = Threshold::parse("track by_dst, count 10, seconds 60", false).unwrap();
        assert_eq!(d.kind, None);
        assert!(Threshold::parse("type limit, count 1, seconds 60", true).is_err());
        assert!(Threshold::parse("track by_src, count 1, seconds 60", true).is_err());
        assert!(Threshold::parse("type x, track by_src, count 1, seconds 6", true).is_err());
        assert!(Threshold::parse("type limit, track by_src, count 1, seconds 6", false).is_err());
    }

    #[test]
    fn stream_size_and_tag() {
        let s = StreamSize::parse("server,<,5").unwrap();
        assert_eq!((s.side, s.value), (StreamSide::Server, 5));
        assert!(StreamSize::parse("server,~,5").is_err());
        let t = Tag::parse("session,5,packets").unwrap();
        assert!(!t.host && t.count == 5);
        assert!(Tag::parse("host,10,seconds,dst").is_ok());
        assert!(Tag::parse("session,10").is_err());
    }
}
