//! One Service CIDR as upstream's allocator sees it: which addresses may be
//! handed out (not the network address, nor an IPv4 broadcast address) and
//! the split into a lower band kept for addresses users choose and an upper
//! band dynamic allocation prefers (KEP-3070), each scanned from a random
//! start.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// An IP family, as the API spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(ip: &IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    pub fn parse(name: &str) -> Option<Family> {
        match name {
            "IPv4" => Some(Family::V4),
            "IPv6" => Some(Family::V6),
            _ => None,
        }
    }

    pub fn other(self) -> Family {
        match self {
            Family::V4 => Family::V6,
            Family::V6 => Family::V4,
        }
    }
}

/// The allocatable addresses of a Service CIDR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRange {
    pub cidr: IpNet,
    family: Family,
    /// The first and last allocatable addresses, as integers.
    first: u128,
    last: u128,
    /// How many of the first addresses form the lower band.
    lower_band: u128,
}

fn to_int(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl IpRange {
    pub fn new(cidr: IpNet) -> IpRange {
        let cidr = cidr.trunc();
        let family = Family::of(&cidr.network());
        let network = to_int(cidr.network());
        let broadcast = to_int(cidr.broadcast());
        let first = network.saturating_add(1);
        let last = match family {
            Family::V4 => broadcast.saturating_sub(1),
            Family::V6 => broadcast,
        };
        // min(max(16, size / 16), 256), none for ranges of 16 or fewer.
        let host_bits = u32::from(cidr.max_prefix_len() - cidr.prefix_len());
        let size = if host_bits >= 127 {
            u128::MAX
        } else {
            1u128 << host_bits
        };
        let lower_band = if size <= 16 {
            0
        } else {
            (size / 16).clamp(16, 256)
        };
        IpRange {
            cidr,
            family,
            first,
            last,
            lower_band,
        }
    }

    pub fn family(&self) -> Family {
        self.family
    }

    fn address(&self, value: u128) -> IpAddr {
        match self.family {
            Family::V4 => IpAddr::V4(Ipv4Addr::from(value as u32)),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(value)),
        }
    }

    /// The first allocatable address: the `kubernetes` Service's.
    pub fn first_address(&self) -> Option<IpAddr> {
        (self.first <= self.last).then(|| self.address(self.first))
    }

    /// Whether the range's CIDR holds `ip` at all.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.cidr.contains(ip)
    }

    /// Whether `ip` may be allocated (in the CIDR, not the network or
    /// broadcast address).
    pub fn allocatable(&self, ip: &IpAddr) -> bool {
        Family::of(ip) == self.family && (self.first..=self.last).contains(&to_int(*ip))
    }

    /// Every allocatable address in the order dynamic allocation tries
    /// them: the upper band from a random point (wrapping), then the lower
    /// band likewise. `random` picks the starting points.
    pub fn candidates(&self, random: u128) -> impl Iterator<Item = IpAddr> + '_ {
        let split = self
            .first
            .saturating_add(self.lower_band)
            .min(self.last.saturating_add(1));
        let upper = band(split, self.last, random);
        let lower = band(self.first, split.saturating_sub(1), random.rotate_left(64));
        upper.chain(lower).map(|v| self.address(v))
    }
}

/// The addresses `start..=end` beginning at a point chosen by `random`,
/// wrapping around; empty when `start > end`.
fn band(start: u128, end: u128, random: u128) -> impl Iterator<Item = u128> {
    let (len, offset) = if start > end {
        (0, 0)
    } else {
        let len = (end - start).saturating_add(1);
        (len, random % len)
    };
    (0..len).map(move |i| start + (offset + i) % len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_ranges_skip_network_and_broadcast() {
        let range = IpRange::new("10.96.0.0/12".parse().unwrap());
        assert_eq!(range.first_address(), Some(ip("10.96.0.1")));
        assert!(range.allocatable(&ip("10.111.255.254")));
        assert!(!range.allocatable(&ip("10.111.255.255")));
        assert!(!range.allocatable(&ip("10.96.0.0")));
        assert!(!range.allocatable(&ip("10.112.0.1")));
        assert!(range.contains(&ip("10.96.0.0")));
    }

    #[test]
    fn dynamic_allocation_prefers_the_upper_band() {
        let range = IpRange::new("10.0.0.0/24".parse().unwrap());
        let all: Vec<IpAddr> = range.candidates(7).collect();
        assert_eq!(all.len(), 254);
        // /24: 256 / 16 = 16 addresses kept low.
        assert!(
            all[..238]
                .iter()
                .all(|a| to_int(*a) >= to_int(ip("10.0.0.17")))
        );
        assert!(
            all[238..]
                .iter()
                .all(|a| to_int(*a) <= to_int(ip("10.0.0.16")))
        );
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 254);
    }

    #[test]
    fn small_and_ipv6_ranges() {
        let tiny = IpRange::new("10.0.0.0/29".parse().unwrap());
        assert_eq!(tiny.candidates(3).count(), 6);
        let host = IpRange::new("10.0.0.7/32".parse().unwrap());
        assert_eq!(host.first_address(), None);
        assert_eq!(host.candidates(1).count(), 0);
        let v6 = IpRange::new("fd00:10:96::/112".parse().unwrap());
        assert_eq!(v6.first_address(), Some(ip("fd00:10:96::1")));
        assert!(v6.allocatable(&ip("fd00:10:96::ffff")));
        assert_eq!(v6.family(), Family::V6);
        let huge = IpRange::new("fd00::/64".parse().unwrap());
        assert!(huge.candidates(u128::MAX).next().is_some());
    }
}
