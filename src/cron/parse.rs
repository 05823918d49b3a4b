//! Parsing schedules as kube-apiserver accepts them: five fields
//! (minute, hour, day of month, month, day of week) with `*`, `?`, lists,
//! ranges, steps and month/day names, or a descriptor (`@hourly`,
//! `@every 1h30m`, …). Errors are worded as the cron library upstream uses
//! words them, since they reach users verbatim.

use std::time::Duration;

use super::{Fields, STAR, Schedule};

/// The bounds and names of one field.
struct Bounds {
    min: u64,
    max: u64,
    names: &'static [&'static str],
}

const MONTH_NAMES: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Bounds; 5] = [
    Bounds {
        min: 0,
        max: 59,
        names: &[],
    },
    Bounds {
        min: 0,
        max: 23,
        names: &[],
    },
    Bounds {
        min: 1,
        max: 31,
        names: &[],
    },
    Bounds {
        min: 1,
        max: 12,
        names: MONTH_NAMES,
    },
    Bounds {
        min: 0,
        max: 6,
        names: DAY_NAMES,
    },
];

/// Go's `strconv.Atoi` on a non-negative number, with its error text.
fn atoi(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {text:?}: invalid syntax"));
    }
    text.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {text:?}: value out of range"))
}

fn parse_number(text: &str) -> Result<u64, String> {
    let n = atoi(text).map_err(|e| format!("failed to parse int from {text}: {e}"))?;
    if n < 0 {
        return Err(format!("negative number ({n}) not allowed: {text}"));
    }
    Ok(n as u64)
}

fn parse_number_or_name(text: &str, names: &[&str]) -> Result<u64, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == lower) {
        // Month names count from one, day names from zero (Sunday).
        let offset = if names.len() == 12 { 1 } else { 0 };
        return Ok(i as u64 + offset);
    }
    parse_number(text)
}

/// The bits of one comma-separated part of a field (bit N: value N;
/// [`STAR`] for a bare `*` or `?`).
fn range_bits(expr: &str, bounds: &Bounds) -> Result<u64, String> {
    let parts: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = parts[0].split('-').collect();
    let star = low_high[0] == "*" || low_high[0] == "?";
    let (start, mut end) = if star {
        (bounds.min, bounds.max)
    } else {
        let start = parse_number_or_name(low_high[0], bounds.names)?;
        match low_high.len() {
            1 => (start, start),
            2 => (start, parse_number_or_name(low_high[1], bounds.names)?),
            _ => return Err(format!("too many hyphens: {expr}")),
        }
    };
    let step = match parts.len() {
        1 => 1,
        2 => {
            let step = parse_number(parts[1])?;
            // `N/step` runs from N to the end.
            if low_high.len() == 1 {
                end = bounds.max;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < bounds.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            bounds.min
        ));
    }
    if end > bounds.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            bounds.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    let mut bits = (start..=end)
        .step_by(step as usize)
        .fold(0u64, |bits, n| bits | 1 << n);
    if star && step == 1 {
        bits |= STAR;
    }
    Ok(bits)
}

/// A Go duration (`1h30m`, `90s`, `1.5h`), if `text` is one.
fn go_duration(text: &str) -> Option<f64> {
    let (sign, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut seconds = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 || rest[..number_len] == *"." {
            return None;
        }
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let (unit, scale) = [
            ("ns", 1e-9),
            ("us", 1e-6),
            ("µs", 1e-6),
            ("μs", 1e-6),
            ("ms", 1e-3),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
        ]
        .into_iter()
        .find(|(u, _)| rest.starts_with(u) && !(*u == "m" && rest.starts_with("ms")))?;
        rest = &rest[unit.len()..];
        seconds += number * scale;
    }
    Some(sign * seconds)
}

/// The five fields a descriptor stands for.
fn descriptor(spec: &str) -> Option<&'static str> {
    Some(match spec {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => return None,
    })
}

/// Parses a schedule; the error is what upstream reports for it.
pub fn parse(schedule: &str) -> Result<Schedule, String> {
    let mut spec = schedule.trim();
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    // A leading time zone is accepted by the parser (and refused by the
    // CronJob validation separately).
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        spec = spec.split_once(' ').map_or("", |(_, rest)| rest.trim());
    }
    if spec.starts_with('@') {
        if let Some(fields) = descriptor(spec) {
            return parse(fields);
        }
        if let Some(duration) = spec.strip_prefix("@every ") {
            return match go_duration(duration) {
                // Whole seconds, at least one, as upstream's cron rounds.
                Some(seconds) => Ok(Schedule::Every(Duration::from_secs(
                    (seconds.max(0.0) as u64).max(1),
                ))),
                None => Err(format!(
                    "failed to parse duration {spec}: time: invalid duration {duration:?}"
                )),
            };
        }
        return Err(format!("unrecognized descriptor: {spec}"));
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != FIELDS.len() {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    let mut bits = [0u64; 5];
    for ((field, bounds), bits) in fields.iter().zip(&FIELDS).zip(&mut bits) {
        for expr in field.split(',') {
            *bits |= range_bits(expr, bounds)?;
        }
    }
    let [minute, hour, day_of_month, month, day_of_week] = bits;
    Ok(Schedule::Fields(Fields {
        minute,
        hour,
        day_of_month,
        month,
        day_of_week,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_cron_accepts() {
        for ok in [
            "*/5 * * * *",
            "0 0 * * *",
            "0 9-17 * * mon-fri",
            "15,45 */2 1 JAN,jul ?",
            "30 4 1/3 * 0",
            "@hourly",
            "@every 1h30m",
            "TZ=UTC 0 0 * * *",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn errors_read_like_upstreams() {
        assert_eq!(
            parse("bad").map(|_| ()),
            Err("expected exactly 5 fields, found 1: [bad]".into())
        );
        assert_eq!(
            parse("60 * * * *").map(|_| ()),
            Err("end of range (60) above maximum (59): 60".into())
        );
        assert_eq!(
            parse("* * 0 * *").map(|_| ()),
            Err("beginning of range (0) below minimum (1): 0".into())
        );
        assert_eq!(
            parse("x * * * *").map(|_| ()),
            Err("failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax".into())
        );
        assert_eq!(
            parse("5-1 * * * *").map(|_| ()),
            Err("beginning of range (5) beyond end of range (1): 5-1".into())
        );
        assert_eq!(
            parse("*/0 * * * *").map(|_| ()),
            Err("step of range should be a positive number: */0".into())
        );
        assert_eq!(
            parse("@sometimes").map(|_| ()),
            Err("unrecognized descriptor: @sometimes".into())
        );
        assert_eq!(
            parse("@every often").map(|_| ()),
            Err("failed to parse duration @every often: time: invalid duration \"often\"".into())
        );
    }
}
