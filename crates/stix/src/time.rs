//! STIX timestamps: RFC 3339 in UTC with a mandatory `Z` (STIX 2.1 §3.2),
//! e.g. `2016-05-12T08:17:27.000Z`. Values are kept as nanoseconds since the
//! Unix epoch in an `i128` so years 0000-9999 all fit and compare directly.

/// Nanoseconds per second.
pub const NS_PER_SEC: i128 = 1_000_000_000;

/// Why a timestamp string was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampError {
    /// Not the `YYYY-MM-DDTHH:MM:SS[.fraction]Z` shape.
    Format,
    /// A field is out of range (month 13, second 61 …).
    Range,
    /// No `Z` (a numeric offset is RFC 3339 but not STIX).
    NotUtc,
}

impl core::fmt::Display for TimestampError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            TimestampError::Format => "not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)",
            TimestampError::Range => "timestamp field out of range",
            TimestampError::NotUtc => "timestamp must be UTC and end in 'Z'",
        })
    }
}

fn digits(b: &[u8], start: usize, n: usize) -> Result<u32, TimestampError> {
    let s = b.get(start..start + n).ok_or(TimestampError::Format)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return Err(TimestampError::Format);
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Ok(v)
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

/// Parses a STIX timestamp to nanoseconds since the epoch. Fractions longer
/// than nanoseconds are accepted and truncated (at most 30 digits).
pub fn parse_timestamp(s: &str) -> Result<i128, TimestampError> {
    let b = s.as_bytes();
    if b.len() < 20 || b.len() > 60 {
        return Err(TimestampError::Format);
    }
    let year = digits(b, 0, 4)?;
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return Err(TimestampError::Format);
    }
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let min = digits(b, 14, 2)?;
    let sec = digits(b, 17, 2)?;
    let mut i = 19;
    let mut nanos: i128 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + i128::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 || n > 30 {
            return Err(TimestampError::Format);
        }
        for _ in n..9 {
            nanos *= 10;
        }
    }
    match b.get(i) {
        Some(b'Z') if i + 1 == b.len() => {}
        Some(b'z') if i + 1 == b.len() => return Err(TimestampError::NotUtc),
        Some(b'+') | Some(b'-') => return Err(TimestampError::NotUtc),
        None => return Err(TimestampError::NotUtc),
        _ => return Err(TimestampError::Format),
    }
    let y = i64::from(year);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(y, month)
        || hour > 23
        || min > 59
        || sec > 60
    {
        return Err(TimestampError::Range);
    }
    let days = days_from_civil(y, month, day);
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec);
    Ok(i128::from(secs) * NS_PER_SEC + nanos)
}

/// Formats nanoseconds since the epoch as a STIX timestamp with millisecond
/// precision (`2016-05-12T08:17:27.000Z`).
pub fn format_timestamp(ns: i128) -> String {
    let secs = ns.div_euclid(NS_PER_SEC);
    let frac = ns.rem_euclid(NS_PER_SEC);
    let days = secs.div_euclid(86_400) as i64;
    let sod = secs.rem_euclid(86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        y,
        m,
        d,
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        frac / 1_000_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.5Z"), Ok(1_500_000_000));
        let t = parse_timestamp("2016-05-12T08:17:27.123Z").unwrap();
        assert_eq!(format_timestamp(t), "2016-05-12T08:17:27.123Z");
        assert_eq!(
            parse_timestamp("2016-02-30T00:00:00Z"),
            Err(TimestampError::Range)
        );
        assert_eq!(
            parse_timestamp("2016-05-12T08:17:27+00:00"),
            Err(TimestampError::NotUtc)
        );
        assert_eq!(
            parse_timestamp("2016-05-12 08:17:27Z"),
            Err(TimestampError::Format)
        );
        assert_eq!(
            parse_timestamp("2016-05-12T08:17:27.Z"),
            Err(TimestampError::Format)
        );
        assert!(parse_timestamp("0001-01-01T00:00:00Z").is_ok());
        assert_eq!(
            format_timestamp(parse_timestamp("2000-02-29T23:59:59.999Z").unwrap()),
            "2000-02-29T23:59:59.999Z"
        );
    }
}
