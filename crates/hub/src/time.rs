//! RFC 3339 / STIX timestamps as microseconds since the Unix epoch.
//!
//! STIX and TAXII timestamps are `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (UTC, `Z`
//! suffix required). The hub keeps them as `i64` microseconds: versions and
//! `date_added` compare numerically regardless of how many fraction digits a
//! producer wrote. Fraction digits beyond microseconds are truncated.

use reefwatch_stix::time::{civil_from_days, days_from_civil};

fn digits(b: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// Parse a STIX/TAXII timestamp into microseconds since the epoch.
pub fn parse(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b.len() > 40 {
        return None;
    }
    if b[4] != b'-'
        || b[7] != b'-'
        || (b[10] != b'T' && b[10] != b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let y = digits(&b[0..4])? as i64;
    let mo = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let se = digits(&b[17..19])?;
    if !(1..=12).contains(&mo) || d == 0 || d > 31 || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mdays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][(mo - 1) as usize];
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if d > mdays + u32::from(mo == 2 && leap) {
        return None;
    }
    let rest = &b[19..];
    let (frac, tail) = if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        (&rest[1..1 + n], &rest[1 + n..])
    } else {
        (&rest[..0], rest)
    };
    if tail != b"Z" && tail != b"z" {
        return None;
    }
    let mut micros: i64 = 0;
    for i in 0..6 {
        micros = micros * 10 + frac.get(i).map(|c| (c - b'0') as i64).unwrap_or(0);
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + (h as i64) * 3600 + (mi as i64) * 60 + se.min(59) as i64;
    Some(secs * 1_000_000 + micros)
}

/// Format with exactly six fraction digits (used for `date_added`, so a
/// client can hand it back in `added_after` without losing precision).
pub fn format_micros(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        y,
        m,
        d,
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60,
        frac
    )
}

/// Format a version timestamp: millisecond precision when that is exact
/// (the common STIX form), microseconds otherwise.
pub fn format_version(us: i64) -> String {
    let s = format_micros(us);
    if us.rem_euclid(1000) == 0 {
        // "...SS.mmm000Z" -> "...SS.mmmZ"
        let cut = s.len() - 4;
        format!("{}Z", &s[..cut])
    } else {
        s
    }
}

/// Current wall-clock time in microseconds.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let t = parse("2016-04-06T20:03:48.123Z").unwrap();
        assert_eq!(format_version(t), "2016-04-06T20:03:48.123Z");
        assert_eq!(format_micros(t), "2016-04-06T20:03:48.123000Z");
        assert_eq!(parse("2016-04-06T20:03:48Z").unwrap() + 123_000, t);
        assert_eq!(parse("2016-04-06T20:03:48.123000999Z"), Some(t));
        let u = parse("2021-02-28T23:59:59.000001Z").unwrap();
        assert_eq!(format_version(u), "2021-02-28T23:59:59.000001Z");
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "2016-04-06",
            "2016-04-06T20:03:48",
            "2016-04-06T20:03:48+01:00",
            "2016-13-06T20:03:48Z",
            "2015-02-29T20:03:48Z",
            "2016-04-06T20:03:48.Z",
            "2016-04-06 20:03:48Z",
            "20x6-04-06T20:03:48Z",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }
}
