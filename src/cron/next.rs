//! When a schedule fires: the first whole minute after a time (for five
//! fields) or the time plus the interval (for `@every`), in the schedule's
//! time zone so that `0 9 * * *` means nine o'clock local time across
//! daylight-saving changes.

use jiff::{ToSpan, Zoned};

use super::{Fields, STAR, Schedule};

/// How far ahead a schedule that can never fire (`0 0 30 2 *`) is
/// searched before giving up, as upstream's five years.
const YEARS_AHEAD: i16 = 5;

fn has(bits: u64, value: i8) -> bool {
    bits & (1 << value) != 0
}

fn day_matches(fields: &Fields, time: &Zoned) -> bool {
    let day_of_month = has(fields.day_of_month, time.day());
    let day_of_week = has(fields.day_of_week, time.weekday().to_sunday_zero_offset());
    if fields.day_of_month & STAR != 0 || fields.day_of_week & STAR != 0 {
        day_of_month && day_of_week
    } else {
        day_of_month || day_of_week
    }
}

/// The first time after `after` that `schedule` fires, if any within
/// five years.
pub fn next(schedule: &Schedule, after: &Zoned) -> Option<Zoned> {
    match schedule {
        Schedule::Every(interval) => {
            let interval = jiff::SignedDuration::try_from(*interval).ok()?;
            let next = after.checked_add(interval).ok()?;
            // Whole seconds, as upstream rounds.
            next.with().subsec_nanosecond(0).build().ok()
        }
        Schedule::Fields(fields) => next_of_fields(fields, after),
    }
}

fn start_of_day(time: &Zoned) -> Option<Zoned> {
    time.start_of_day().ok()
}

fn next_of_fields(fields: &Fields, after: &Zoned) -> Option<Zoned> {
    // The next whole minute.
    let mut time = after
        .with()
        .second(0)
        .subsec_nanosecond(0)
        .build()
        .ok()?
        .checked_add(1.minute())
        .ok()?;
    let limit = time.year() + YEARS_AHEAD;
    'wrap: loop {
        if time.year() > limit {
            return None;
        }
        while !has(fields.month, time.month()) {
            time = start_of_day(&time.first_of_month().ok()?)?
                .checked_add(1.month())
                .ok()?;
            if time.month() == 1 {
                continue 'wrap;
            }
        }
        while !day_matches(fields, &time) {
            time = start_of_day(&time)?.checked_add(1.day()).ok()?;
            if time.day() == 1 {
                continue 'wrap;
            }
        }
        while !has(fields.hour, time.hour()) {
            time = time
                .with()
                .minute(0)
                .build()
                .ok()?
                .checked_add(1.hour())
                .ok()?;
            if time.hour() == 0 {
                continue 'wrap;
            }
        }
        while !has(fields.minute, time.minute()) {
            time = time.checked_add(1.minute()).ok()?;
            if time.minute() == 0 {
                continue 'wrap;
            }
        }
        return Some(time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::parse;

    fn at(text: &str) -> Zoned {
        text.parse().unwrap()
    }

    fn after(schedule: &str, time: &str) -> String {
        next(&parse(schedule).unwrap(), &at(time))
            .unwrap()
            .to_string()
    }

    #[test]
    fn fields_fire_at_the_next_matching_minute() {
        assert_eq!(
            after("*/5 * * * *", "2026-03-01T10:02:30+00:00[UTC]"),
            "2026-03-01T10:05:00+00:00[UTC]"
        );
        assert_eq!(
            after("*/5 * * * *", "2026-03-01T10:05:00+00:00[UTC]"),
            "2026-03-01T10:10:00+00:00[UTC]"
        );
        assert_eq!(
            after("0 0 1 1 *", "2026-03-01T10:00:00+00:00[UTC]"),
            "2027-01-01T00:00:00+00:00[UTC]"
        );
        assert_eq!(
            after("@hourly", "2026-12-31T23:30:00+00:00[UTC]"),
            "2027-01-01T00:00:00+00:00[UTC]"
        );
        // Both day fields restricted: either matches (the 13th, or a Friday).
        assert_eq!(
            after("0 0 13 * 5", "2026-03-01T00:00:00+00:00[UTC]"),
            "2026-03-06T00:00:00+00:00[UTC]"
        );
        // One restricted: it alone decides.
        assert_eq!(
            after("0 0 * * mon", "2026-03-01T00:00:00+00:00[UTC]"),
            "2026-03-02T00:00:00+00:00[UTC]"
        );
        assert!(
            next(
                &parse("0 0 30 2 *").unwrap(),
                &at("2026-03-01T00:00:00+00:00[UTC]")
            )
            .is_none()
        );
    }

    #[test]
    fn time_zones_keep_local_time_across_daylight_saving() {
        // New York moves to daylight time on 2026-03-08.
        assert_eq!(
            after("0 9 * * *", "2026-03-07T12:00:00-05:00[America/New_York]"),
            "2026-03-08T09:00:00-04:00[America/New_York]"
        );
    }

    #[test]
    fn every_adds_its_interval() {
        assert_eq!(
            after("@every 90s", "2026-03-01T10:00:00.5+00:00[UTC]"),
            "2026-03-01T10:01:30+00:00[UTC]"
        );
    }
}
