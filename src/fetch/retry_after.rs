//! Parsing of the `Retry-After` header (RFC 9110 §10.2.3): delta seconds or an HTTP date.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

/// The longest wait we accept from a server. A misconfigured server asking for a year (or a
/// date in 2099) should not silence a feed forever.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// How long `value` asks the client to wait, measured from `now`, capped at
/// [`MAX_RETRY_AFTER`]. A date in the past means "now" (zero). `None` when the value is
/// neither form.
pub fn parse(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too long for u64 is still "a very long time": cap, don't reject.
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let when = parse_http_date(value)?;
    let delta = (when - now).to_std().unwrap_or(Duration::ZERO);
    Some(delta.min(MAX_RETRY_AFTER))
}

/// The three date formats HTTP allows: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and the
/// obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(date) = DateTime::parse_from_rfc2822(value) {
        return Some(date.with_timezone(&Utc));
    }
    for format in ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"] {
        if let Ok(date) = NaiveDateTime::parse_from_str(value, format) {
            return Some(date.and_utc());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(1994, 11, 6, 8, 47, 37).unwrap()
    }

    #[test]
    fn delta_seconds() {
        assert_eq!(parse("120", now()), Some(Duration::from_secs(120)));
        assert_eq!(parse(" 0 ", now()), Some(Duration::ZERO));
        assert_eq!(parse("99999999999999999999999", now()), Some(MAX_RETRY_AFTER));
        assert_eq!(parse("864000", now()), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn http_dates_in_all_three_forms() {
        let two_minutes = Some(Duration::from_secs(120));
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT", now()), two_minutes);
        assert_eq!(parse("Sunday, 06-Nov-94 08:49:37 GMT", now()), two_minutes);
        assert_eq!(parse("Sun Nov  6 08:49:37 1994", now()), two_minutes);
    }

    #[test]
    fn past_far_future_and_garbage() {
        assert_eq!(parse("Sun, 06 Nov 1994 08:00:00 GMT", now()), Some(Duration::ZERO));
        assert_eq!(parse("Fri, 01 Jan 2100 00:00:00 GMT", now()), Some(MAX_RETRY_AFTER));
        assert_eq!(parse("soon", now()), None);
        assert_eq!(parse("", now()), None);
        assert_eq!(parse("-5", now()), None);
    }
}
