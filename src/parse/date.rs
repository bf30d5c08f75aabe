//! Lenient date parsing for feeds, and the plausibility rule for the dates we keep.
//!
//! Replaces feed-rs's own timestamp parser (which is private, so we cannot chain to it): RFC
//! 3339 and RFC 2822 as the standards say, then the common deviations: weekday names in any
//! language or misspelt, long month names, named time zones, a missing zone (taken as UTC),
//! `2006-01-02 15:04:05`, and dates without a time. Anything else is `None`, never a panic.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parses a feed timestamp. Never panics, whatever the input.
pub(crate) fn parse(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    // Real dates are short; long garbage is not worth the work.
    if t.is_empty() || t.len() > 80 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(d.with_timezone(&Utc));
    }
    let b = t.as_bytes();
    if b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && matches!(b[4], b'-' | b'/') {
        parse_iso_like(t)
    } else {
        parse_rfc2822_like(t)
    }
}

/// `date` is kept only when it is plausible: not before 1990 (a zero or Unix-epoch date) and
/// not more than a day ahead of `now` (a wrong year or a broken clock).
pub(crate) fn plausible(date: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let min = Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).single()?;
    date.filter(|d| *d >= min && *d <= now + Duration::days(1))
}

/// `2006-01-02T15:04:05Z` and its relatives: a space for the `T`, `/` for `-`, no seconds,
/// no zone, a zone without a colon, a zone name, or no time at all.
fn parse_iso_like(t: &str) -> Option<DateTime<Utc>> {
    let t = t.replace('/', "-");
    let (date_part, rest) = match t.find(['T', 't', ' ']) {
        Some(p) => (&t[..p], t[p + 1..].trim()),
        None => (t.as_str(), ""),
    };
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok()?;
    if rest.is_empty() {
        return date.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
    }
    // Split the time from the zone: the zone starts at '+', '-', 'Z' or a letter/space.
    let zone_at = rest
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '+' || c == '-' || c == ' ' || c.is_ascii_alphabetic())
        .map_or(rest.len(), |(i, _)| i);
    let time = rest[..zone_at].trim();
    let zone = rest[zone_at..].trim();
    let naive = ["%H:%M:%S%.f", "%H:%M"].iter().find_map(|f| {
        NaiveDateTime::parse_from_str(&format!("{date_part} {time}"), &format!("%Y-%m-%d {f}")).ok()
    })?;
    let offset = if zone.is_empty() { Some(0) } else { zone_offset_secs(zone) }?;
    let tz = FixedOffset::east_opt(offset)?;
    tz.from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc))
}

/// `Tue, 10 Jun 2003 04:00:00 GMT` with the usual deviations, rebuilt into strict RFC 2822
/// and handed to chrono.
fn parse_rfc2822_like(t: &str) -> Option<DateTime<Utc>> {
    let mut words = t.split_whitespace().peekable();
    // Drop a leading weekday, in whatever language: it is redundant and often wrong. "Mar,"
    // is a weekday (Spanish "martes") because of its comma, "Mar 3" a month.
    if words.peek().is_some_and(|w| {
        w.ends_with(',') || (!w.starts_with(|c: char| c.is_ascii_digit()) && month(w).is_none())
    }) {
        words.next();
    }
    let tokens = words.flat_map(|w| w.split(',')).filter(|w| !w.is_empty());
    let mut day = None;
    let mut mon = None;
    let mut year = None;
    let mut time = None;
    let mut zone = None;
    let mut pm = None;
    for tok in tokens {
        if let Some(m) = month(tok) {
            mon = mon.or(Some(m));
        } else if tok.contains(':') && time.is_none() && tok.starts_with(|c: char| c.is_ascii_digit()) {
            time = Some(tok);
        } else if time.is_some()
            && pm.is_none()
            && (tok.eq_ignore_ascii_case("am") || tok.eq_ignore_ascii_case("pm"))
        {
            pm = Some(tok.eq_ignore_ascii_case("pm"));
        } else if tok.bytes().all(|c| c.is_ascii_digit()) {
            match (tok.len(), day, year) {
                (1 | 2, None, _) => day = Some(tok),
                (4, _, None) | (2, Some(_), None) => year = Some(tok),
                _ => return None,
            }
        } else if zone.is_none() && time.is_some() {
            zone = Some(tok);
        } else {
            return None;
        }
    }
    let (day, mon, year) = (day?, mon?, year?);
    let (mut h, m, sec) = match time {
        Some(t) => split_time(t)?,
        None => (0, 0, 0),
    };
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    let offset = match zone {
        Some(z) => zone_offset_secs(z)?,
        None => 0,
    };
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.abs();
    let rebuilt =
        format!("{day} {mon} {year} {h:02}:{m:02}:{sec:02} {sign}{:02}{:02}", abs / 3600, abs % 3600 / 60);
    DateTime::parse_from_rfc2822(&rebuilt).ok().map(|d| d.with_timezone(&Utc))
}

/// `9:05` → (9, 5, 0); `09:05:07.25` → (9, 5, 7); anything else is rejected.
fn split_time(t: &str) -> Option<(u32, u32, u32)> {
    let num = |s: &str| -> Option<u32> {
        // Fractions of a second are dropped: RFC 2822 has none.
        let s = s.split('.').next()?;
        if s.is_empty() || s.len() > 2 || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let parts: Vec<&str> = t.split(':').collect();
    match parts.as_slice() {
        [h, m] => Some((num(h)?, num(m)?, 0)),
        [h, m, s] => Some((num(h)?, num(m)?, num(s)?)),
        _ => None,
    }
}

/// The three-letter English month for a month name or abbreviation in any case
/// ("June", "Sept", "JUN").
fn month(tok: &str) -> Option<&'static str> {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const LONG: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    // Abbreviations that feeds in French, German, Spanish, Italian and Portuguese use and
    // that are not prefixes of the English names.
    const OTHER: [(&str, usize); 24] = [
        ("janv", 0),
        ("ene", 0),
        ("gen", 0),
        ("févr", 1),
        ("fév", 1),
        ("fev", 1),
        ("mär", 2),
        ("avr", 3),
        ("abr", 3),
        ("mai", 4),
        ("mag", 4),
        ("juin", 5),
        ("giu", 5),
        ("juil", 6),
        ("lug", 6),
        ("août", 7),
        ("ago", 7),
        ("set", 8),
        ("okt", 9),
        ("out", 9),
        ("ott", 9),
        ("dez", 11),
        ("dic", 11),
        ("déc", 11),
    ];
    let lower = tok.trim_end_matches('.').to_lowercase();
    if lower.chars().count() < 3 {
        return None;
    }
    LONG.iter()
        .position(|l| l.starts_with(&lower))
        .or_else(|| OTHER.iter().find(|(a, _)| *a == lower).map(|&(_, i)| i))
        .map(|i| MONTHS[i])
}

/// A zone as seconds east of UTC: `Z`, `+0900`, `+09:00`, `+09`, `GMT+8`, or a common name.
fn zone_offset_secs(z: &str) -> Option<i32> {
    let z = z.trim();
    let named = |n: &str| -> Option<i32> {
        let h = match n.to_ascii_uppercase().as_str() {
            "Z" | "UT" | "UTC" | "GMT" | "WET" => 0,
            "EST" => -5,
            "EDT" => -4,
            "CST" => -6,
            "CDT" => -5,
            "MST" => -7,
            "MDT" => -6,
            "PST" => -8,
            "PDT" => -7,
            "AKST" => -9,
            "AKDT" => -8,
            "HST" => -10,
            "BST" | "CET" | "MET" | "WEST" => 1,
            "CEST" | "MEST" | "EET" | "SAST" => 2,
            "EEST" | "MSK" => 3,
            "IST" => return Some(5 * 3600 + 1800),
            "HKT" | "SGT" | "AWST" => 8,
            "CCT" => 8,
            "JST" | "KST" => 9,
            "ACST" => return Some(9 * 3600 + 1800),
            "AEST" => 10,
            "AEDT" => 11,
            "NZST" => 12,
            "NZDT" => 13,
            _ => return None,
        };
        Some(h * 3600)
    };
    if let Some(s) = named(z) {
        return Some(s);
    }
    // "GMT+8", "UTC+05:30"
    for prefix in ["GMT", "UTC", "UT"] {
        if let Some(rest) = z.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return numeric_offset(rest);
            }
        }
    }
    numeric_offset(z)
}

fn numeric_offset(z: &str) -> Option<i32> {
    let (sign, digits) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|&c| c != ':').collect();
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 => (digits[..1].parse::<i32>().ok()?, digits[1..].parse::<i32>().ok()?),
        4 => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<String> {
        parse(s).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    #[test]
    fn standard_formats() {
        assert_eq!(p("2003-12-13T18:30:02Z").as_deref(), Some("2003-12-13 18:30:02"));
        assert_eq!(p("2003-12-13T18:30:02.25+01:00").as_deref(), Some("2003-12-13 17:30:02"));
        assert_eq!(p("Sat, 13 Dec 2003 18:30:02 GMT").as_deref(), Some("2003-12-13 18:30:02"));
        assert_eq!(p("Sat, 13 Dec 2003 18:30:02 +0200").as_deref(), Some("2003-12-13 16:30:02"));
        assert_eq!(p("Sat, 13 Dec 2003 18:30:02 EST").as_deref(), Some("2003-12-13 23:30:02"));
    }

    #[test]
    fn rfc2822_deviations() {
        assert_eq!(p("Saturday, 13 December 2003 18:30:02 UTC").as_deref(), Some("2003-12-13 18:30:02"));
        assert_eq!(p("Thurs, 13 Jul 2011 07:38 GMT").as_deref(), Some("2011-07-13 07:38:00"));
        assert_eq!(p("Sam, 13 Dec 2003 8:30:02 CEST").as_deref(), Some("2003-12-13 06:30:02"));
        assert_eq!(p("13 Dec 2003 18:30:02 +08:00").as_deref(), Some("2003-12-13 10:30:02"));
        assert_eq!(p("Dec 13, 2003 18:30:02").as_deref(), Some("2003-12-13 18:30:02"));
        assert_eq!(p("13 Sept 2003").as_deref(), Some("2003-09-13 00:00:00"));
        assert_eq!(p("Mon, 01 Jan 2024 10:00:00 GMT+8").as_deref(), Some("2024-01-01 02:00:00"));
        assert_eq!(p("Wed, 02 Oct 2002 08:00:00 JST").as_deref(), Some("2002-10-01 23:00:00"));
        assert_eq!(p("Sat, Dec 16 2023 02:02:33 PM").as_deref(), Some("2023-12-16 14:02:33"));
        assert_eq!(p("Dec 16 2023 12:10 am").as_deref(), Some("2023-12-16 00:10:00"));
        assert_eq!(p("Seg, 24 Set 2018 19:42:40 -0300").as_deref(), Some("2018-09-24 22:42:40"));
        assert_eq!(p("Mo, 3 Mär 2025 10:00:00 +0100").as_deref(), Some("2025-03-03 09:00:00"));
        assert_eq!(p("mar., 3 déc. 2024 10:00:00 GMT").as_deref(), Some("2024-12-03 10:00:00"));
    }

    #[test]
    fn iso_deviations() {
        assert_eq!(p("2006-01-02 15:04:05").as_deref(), Some("2006-01-02 15:04:05"));
        assert_eq!(p("2006-01-02 15:04:05 +0800").as_deref(), Some("2006-01-02 07:04:05"));
        assert_eq!(p("2006/01/02 15:04").as_deref(), Some("2006-01-02 15:04:00"));
        assert_eq!(p("2006-01-02T15:04:05+0100").as_deref(), Some("2006-01-02 14:04:05"));
        assert_eq!(p("2006-01-02T15:04:05 UTC").as_deref(), Some("2006-01-02 15:04:05"));
        assert_eq!(p("2006-01-02").as_deref(), Some("2006-01-02 00:00:00"));
    }

    #[test]
    fn garbage_never_panics() {
        for g in [
            "",
            "   ",
            "yesterday",
            "0",
            "2006-13-45",
            "32 Jan 2020",
            "Mon, 99 Foo 2020 25:61:61 XYZ",
            "2006-01-02T",
            "2006-01-02 25:00",
            "中文 日期",
            "Ω, 1 Jan 2020",
            "1 1 1 1 1 1",
            "+",
            "GMT+",
            "2006-01-02 10:00 +99999",
            &"9".repeat(500),
            "10 Jun 2003 04:00:00 +2400",
            "::",
            "1:2:3:4",
        ] {
            let _ = parse(g);
        }
        assert_eq!(parse("not a date"), None);
    }

    #[test]
    fn plausibility() {
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).single();
        let now = now.unwrap_or_else(Utc::now);
        assert_eq!(plausible(parse("Thu, 01 Jan 1970 00:00:00 GMT"), now), None);
        assert_eq!(plausible(parse("1989-12-31T23:59:59Z"), now), None);
        assert!(plausible(parse("1990-01-01T00:00:00Z"), now).is_some());
        assert!(plausible(parse("2025-06-01T23:00:00Z"), now).is_some());
        assert_eq!(plausible(parse("2025-06-02T01:00:00Z"), now), None);
        assert_eq!(plausible(parse("2999-01-01T00:00:00Z"), now), None);
    }
}
