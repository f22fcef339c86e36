//! Query parameters of the objects, manifest and versions endpoints
//! (`match[...]`, `limit`, `added_after`, `next`), and the envelope and
//! paging headers of their responses.

use crate::error::{HubError, HubResult};
use crate::store::{Filter, Row, VersionSel};
use crate::{stixv, time};
use axum::http::HeaderValue;
use axum::response::Response;
use base64::Engine;
use serde_json::Value;

pub const MAX_LIMIT: usize = 10_000;
pub const DEFAULT_LIMIT: usize = 1_000;

pub fn pct_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

pub struct Params {
    pub filter: Filter,
    pub limit: usize,
    pub cursor: Option<i64>,
}

pub fn bad(what: impl Into<String>, place: impl Into<String>) -> HubError {
    HubError::bad(what, place)
}

pub fn next_token(collection: &str, cursor: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("1:{cursor}:{collection}"))
}

pub fn parse_next(tok: &str, collection: &str) -> HubResult<i64> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tok.trim_end_matches('='))
        .map_err(|_| bad("not a token this hub issued", "next"))?;
    let s = String::from_utf8(raw).map_err(|_| bad("not a token this hub issued", "next"))?;
    let mut it = s.splitn(3, ':');
    match (
        it.next(),
        it.next().and_then(|c| c.parse::<i64>().ok()),
        it.next(),
    ) {
        (Some("1"), Some(c), Some(col)) if col == collection => Ok(c),
        _ => Err(bad("a token for another collection", "next")),
    }
}

/// `allowed`: which `match[...]` fields this endpoint takes.
pub fn parse_params(
    q: Option<&str>,
    collection: &str,
    allowed: &[&str],
    default_version: Option<VersionSel>,
) -> HubResult<Params> {
    let mut p = Params {
        filter: Filter::default(),
        limit: DEFAULT_LIMIT,
        cursor: None,
    };
    let mut saw_version = false;
    for pair in q
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .take(100)
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = pct_decode(k).ok_or_else(|| bad("malformed percent-encoding", "query string"))?;
        let v = pct_decode(v).ok_or_else(|| bad("malformed percent-encoding", "query string"))?;
        let list = || {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        match k.as_str() {
            "added_after" => {
                p.filter.added_after =
                    Some(time::parse(&v).ok_or_else(|| bad("not a timestamp", "added_after"))?)
            }
            "limit" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| bad("not a positive integer", "limit"))?;
                if n == 0 {
                    return Err(bad("not a positive integer", "limit"));
                }
                p.limit = n.min(MAX_LIMIT);
            }
            "next" => p.cursor = Some(parse_next(&v, collection)?),
            _ if k.starts_with("match[") && k.ends_with(']') => {
                let field = &k[6..k.len() - 1];
                if !allowed.contains(&field) {
                    return Err(bad(
                        "not supported on this endpoint",
                        format!("match[{field}]"),
                    ));
                }
                let vals = list();
                if vals.is_empty() {
                    return Err(bad("empty", format!("match[{field}]")));
                }
                match field {
                    "id" => {
                        if let Some(b) = vals.iter().find(|x| !stixv::valid_id(x)) {
                            return Err(bad(
                                format!("'{b}' is not a STIX identifier"),
                                "match[id]",
                            ));
                        }
                        p.filter.ids.extend(vals);
                    }
                    "type" => {
                        if let Some(b) = vals.iter().find(|x| !stixv::valid_type(x)) {
                            return Err(bad(format!("'{b}' is not a STIX type"), "match[type]"));
                        }
                        p.filter.types.extend(vals);
                    }
                    "version" => {
                        saw_version = true;
                        for x in vals {
                            p.filter.versions.push(match x.as_str() {
                                "first" => VersionSel::First,
                                "last" => VersionSel::Last,
                                "all" => VersionSel::All,
                                t => VersionSel::At(time::parse(t).ok_or_else(|| {
                                    bad(
                                        format!("'{t}' is not first, last, all or a timestamp"),
                                        "match[version]",
                                    )
                                })?),
                            });
                        }
                    }
                    "spec_version" => {
                        if let Some(b) = vals.iter().find(|x| !matches!(x.as_str(), "2.0" | "2.1"))
                        {
                            return Err(bad(format!("unsupported '{b}'"), "match[spec_version]"));
                        }
                        p.filter.spec_versions.extend(vals);
                    }
                    _ => return Err(bad("unknown filter", format!("match[{field}]"))),
                }
            }
            _ if k.starts_with("match") => return Err(bad("malformed filter", k.clone())),
            _ => {} // unknown parameters are ignored
        }
    }
    if p.filter.ids.len() + p.filter.types.len() + p.filter.versions.len() > 1000 {
        return Err(bad("too many filter values (at most 1000)", "match[...]"));
    }
    if !saw_version {
        if let Some(d) = default_version {
            p.filter.versions.push(d);
        }
    }
    Ok(p)
}

pub fn page_headers(r: &mut Response, rows: &[Row]) {
    if let (Some(f), Some(l)) = (rows.first(), rows.last()) {
        if let Ok(v) = HeaderValue::from_str(&time::format_micros(f.date_added)) {
            r.headers_mut().insert("X-TAXII-Date-Added-First", v);
        }
        if let Ok(v) = HeaderValue::from_str(&time::format_micros(l.date_added)) {
            r.headers_mut().insert("X-TAXII-Date-Added-Last", v);
        }
    }
}

pub fn envelope_head(more: bool, next: Option<String>) -> String {
    let mut s = String::with_capacity(64);
    s.push_str("{\"more\":");
    s.push_str(if more { "true" } else { "false" });
    if let Some(n) = next {
        s.push_str(",\"next\":");
        s.push_str(&Value::String(n).to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params() {
        let p = parse_params(Some("limit=5&match%5Btype%5D=indicator,malware&match[version]=first,2016-01-01T00:00:00Z&added_after=2016-01-01T00:00:00.5Z"), "c", &["id", "type", "version", "spec_version"], Some(VersionSel::Last)).ok().unwrap();
        assert_eq!(p.limit, 5);
        assert_eq!(p.filter.types.len(), 2);
        assert_eq!(p.filter.versions.len(), 2);
        assert_eq!(p.filter.added_after, Some(1_451_606_400_500_000));
        for bad_q in [
            "limit=0",
            "limit=x",
            "added_after=yesterday",
            "match[foo]=1",
            "match[id]=nope",
            "match[version]=newest",
            "next=zzz",
            "match[type]=",
            "match[spec_version]=3.0",
        ] {
            assert!(
                parse_params(
                    Some(bad_q),
                    "c",
                    &["id", "type", "version", "spec_version"],
                    None
                )
                .is_err(),
                "{bad_q}"
            );
        }
        let t = next_token("c", 42);
        assert_eq!(parse_next(&t, "c").ok(), Some(42));
        assert!(parse_next(&t, "other").is_err());
    }
}
