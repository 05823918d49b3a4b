//! Cron schedules as CronJobs use them: [`parse`] reads what
//! kube-apiserver accepts (with upstream's error texts), [`next`] finds
//! when a schedule fires next in a time zone, as upstream's cron library
//! does (standard cron: when both day fields are restricted, either one
//! matching will do).

pub mod next;
pub mod parse;

use std::time::Duration;

pub use self::parse::parse;

/// The bit marking a field written as a bare `*` (or `?`): a day field so
/// written does not restrict the other.
pub const STAR: u64 = 1 << 63;

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Five cron fields.
    Fields(Fields),
    /// `@every <duration>`: a fixed interval.
    Every(Duration),
}

/// The values each field allows, as bits (bit N: value N), plus [`STAR`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields {
    pub minute: u64,
    pub hour: u64,
    pub day_of_month: u64,
    pub month: u64,
    pub day_of_week: u64,
}
