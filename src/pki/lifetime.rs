//! How long certificates live, and their serial numbers.

use std::time::Duration;

use rcgen::SerialNumber;
use time::OffsetDateTime;

/// The CA lives ten years, as kubeadm's does: replacing it invalidates every
/// credential ever issued.
pub const CA_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Leaves live one year, as kubeadm's do.
pub const LEAF_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// A leaf with less than this left is re-minted at start.
pub const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);

/// Backdating `notBefore` tolerates clocks on other machines (nodes,
/// laptops running kubectl) that run a little behind ours.
const BACKDATE: Duration = Duration::from_secs(5 * 60);

/// `(notBefore, notAfter)` for a certificate minted now.
pub fn validity(lifetime: Duration) -> (OffsetDateTime, OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    (now - BACKDATE, now + lifetime)
}

/// A random, positive 128-bit serial number (RFC 5280 asks for at most 20
/// octets and uniqueness per CA; randomness gives the latter without state).
pub fn random_serial() -> SerialNumber {
    let mut bytes = uuid::Uuid::new_v4().into_bytes();
    // The serial is a DER INTEGER: a clear top bit keeps it positive.
    bytes[0] &= 0x7f;
    SerialNumber::from_slice(&bytes)
}

/// Seconds since the epoch now.
pub fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}
