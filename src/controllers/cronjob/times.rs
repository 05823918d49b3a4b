//! A CronJob's times: the latest schedule it has missed, the next one, and
//! the name and annotation that tie a Job to its scheduled time.

use jiff::{ToSpan, Zoned};

use crate::cron::{Schedule, next::next};

/// The annotation recording when a Job was scheduled to start.
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

/// After this many missed times the search skips ahead to the last day:
/// only the most recent time is started anyway.
const SEARCH_LIMIT: usize = 1000;

/// The latest time `schedule` fired after `earliest` up to `now`, and how
/// many times it fired (more than one: starts were missed).
pub fn most_recent(schedule: &Schedule, earliest: &Zoned, now: &Zoned) -> (Option<Zoned>, usize) {
    let mut from = earliest.clone();
    let mut found = None;
    let mut fired = 0;
    while let Some(time) = next(schedule, &from) {
        if time > *now {
            break;
        }
        fired += 1;
        from = time.clone();
        found = Some(time);
        if fired == SEARCH_LIMIT
            && let Ok(day_ago) = now.checked_sub(1.day())
            && day_ago > from
        {
            from = day_ago;
        }
    }
    (found, fired)
}

/// The Job for the time `scheduled`: `<cronjob>-<minutes since the
/// epoch>`, so that one scheduled time makes at most one Job.
pub fn job_name(cron_job: &str, scheduled: &Zoned) -> String {
    format!("{cron_job}-{}", scheduled.timestamp().as_second() / 60)
}

/// `scheduled` in RFC 3339, in the CronJob's zone (`Z` for UTC, as Go
/// writes it).
pub fn rfc3339(scheduled: &Zoned) -> String {
    if scheduled.offset().seconds() == 0 {
        scheduled.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        scheduled.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::parse;

    fn at(text: &str) -> Zoned {
        text.parse().unwrap()
    }

    #[test]
    fn the_most_recent_missed_time_is_found() {
        let every_five = parse("*/5 * * * *").unwrap();
        let (time, fired) = most_recent(
            &every_five,
            &at("2026-03-01T10:00:00+00:00[UTC]"),
            &at("2026-03-01T10:17:00+00:00[UTC]"),
        );
        assert_eq!(time.unwrap().to_string(), "2026-03-01T10:15:00+00:00[UTC]");
        assert_eq!(fired, 3);
        let (time, fired) = most_recent(
            &every_five,
            &at("2026-03-01T10:15:00+00:00[UTC]"),
            &at("2026-03-01T10:17:00+00:00[UTC]"),
        );
        assert_eq!((time, fired), (None, 0));
        // A year of minutes is searched quickly and ends at the last one.
        let (time, fired) = most_recent(
            &parse("* * * * *").unwrap(),
            &at("2025-03-01T10:00:00+00:00[UTC]"),
            &at("2026-03-01T10:17:30+00:00[UTC]"),
        );
        assert_eq!(time.unwrap().to_string(), "2026-03-01T10:17:00+00:00[UTC]");
        assert!(fired > 100);
    }

    #[test]
    fn jobs_are_named_and_annotated_by_their_time() {
        let time = at("2026-03-01T10:15:00+00:00[UTC]");
        assert_eq!(
            job_name("backup", &time),
            format!("backup-{}", 1_772_360_100 / 60)
        );
        assert_eq!(rfc3339(&time), "2026-03-01T10:15:00Z");
        assert_eq!(
            rfc3339(&at("2026-03-01T15:45:00+05:30[Asia/Kolkata]")),
            "2026-03-01T15:45:00+05:30"
        );
    }
}
