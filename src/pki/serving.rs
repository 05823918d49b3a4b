//! The names the API server's serving certificate answers to.
//!
//! The same set upstream puts in kube-apiserver's certificate, so that every
//! way a client reaches the API verifies: loopback, this host's name, the
//! bind address, the `kubernetes` Service's ClusterIP (the first address of
//! `--service-cluster-ip-range`) and its in-cluster DNS names.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::CertificateSpec;

/// The common name of the serving certificate (kubeadm's).
pub const SERVING_COMMON_NAME: &str = "kube-apiserver";

/// The default `--service-cluster-ip-range`, as upstream.
pub const DEFAULT_SERVICE_CLUSTER_IP_RANGE: &str = "10.96.0.0/12";

/// In-cluster DNS names of the `kubernetes` Service in the default cluster
/// domain.
const IN_CLUSTER_NAMES: [&str; 4] = [
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServingNames {
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
}

impl ServingNames {
    /// The names for an API server on `bind_address` of a host called
    /// `host_name`, whose Services get addresses from
    /// `service_cluster_ip_ranges`.
    pub fn for_apiserver(
        host_name: Option<&str>,
        service_cluster_ip_ranges: &[IpNet],
        bind_address: IpAddr,
    ) -> ServingNames {
        let mut names = ServingNames {
            dns_names: vec!["localhost".to_owned()],
            ip_addresses: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
        };
        names
            .dns_names
            .extend(IN_CLUSTER_NAMES.iter().map(|n| (*n).to_owned()));
        if let Some(host) = host_name {
            names.add_dns_name(host);
        }
        for range in service_cluster_ip_ranges {
            if let Some(ip) = first_service_ip(range) {
                names.add_ip(ip);
            }
        }
        if !bind_address.is_unspecified() {
            names.add_ip(bind_address);
        }
        names
    }

    fn add_dns_name(&mut self, name: &str) {
        if !self.dns_names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            self.dns_names.push(name.to_owned());
        }
    }

    fn add_ip(&mut self, ip: IpAddr) {
        if !self.ip_addresses.contains(&ip) {
            self.ip_addresses.push(ip);
        }
    }

    /// The spec of a serving certificate carrying these names.
    pub fn spec(&self) -> CertificateSpec {
        CertificateSpec::server(
            SERVING_COMMON_NAME,
            self.dns_names.clone(),
            self.ip_addresses.clone(),
        )
    }
}

/// The first usable address of a Service range: the `kubernetes` Service's
/// ClusterIP (`10.96.0.1` for `10.96.0.0/12`). `None` for a range too small
/// to hold one.
pub fn first_service_ip(range: &IpNet) -> Option<IpAddr> {
    let range = range.trunc();
    let first = match range.network() {
        IpAddr::V4(network) => IpAddr::V4(Ipv4Addr::from(u32::from(network).checked_add(1)?)),
        IpAddr::V6(network) => IpAddr::V6(Ipv6Addr::from(u128::from(network).checked_add(1)?)),
    };
    range.contains(&first).then_some(first)
}

/// Parses `--service-cluster-ip-range`: one CIDR, or two of different
/// families (dual stack), comma-separated, as upstream accepts.
pub fn parse_service_cluster_ip_ranges(flag: &str) -> Result<Vec<IpNet>, String> {
    let ranges = flag
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .map(|net| net.trunc())
                .map_err(|e| format!("--service-cluster-ip-range: {s:?} is not a CIDR: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    match ranges.as_slice() {
        [] => Err("--service-cluster-ip-range must not be empty".into()),
        [_] => Ok(ranges),
        [a, b] if matches!(a, IpNet::V4(_)) != matches!(b, IpNet::V4(_)) => Ok(ranges),
        [_, _] => Err(
            "--service-cluster-ip-range: two ranges must be one IPv4 and one IPv6 (dual stack)"
                .into(),
        ),
        _ => Err("--service-cluster-ip-range must not contain more than two entries".into()),
    }
}

/// This machine's host name, lower-cased, if it can be a DNS name in a
/// certificate.
pub fn host_name() -> Option<String> {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())?;
    let name = raw.trim().to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubernetes_service_gets_the_first_address() {
        let range: IpNet = "10.96.0.0/12".parse().unwrap();
        assert_eq!(first_service_ip(&range), Some("10.96.0.1".parse().unwrap()));
        let v6: IpNet = "fd00:10:96::/108".parse().unwrap();
        assert_eq!(
            first_service_ip(&v6),
            Some("fd00:10:96::1".parse().unwrap())
        );
        let host: IpNet = "10.0.0.7/32".parse().unwrap();
        assert_eq!(first_service_ip(&host), None);
    }

    #[test]
    fn ranges_parse_like_upstream() {
        assert_eq!(
            parse_service_cluster_ip_ranges("10.96.0.1/12").unwrap(),
            vec!["10.96.0.0/12".parse::<IpNet>().unwrap()]
        );
        assert_eq!(
            parse_service_cluster_ip_ranges("10.96.0.0/12,fd00::/108")
                .unwrap()
                .len(),
            2
        );
        assert!(parse_service_cluster_ip_ranges("10.96.0.0/12,10.0.0.0/16").is_err());
        assert!(parse_service_cluster_ip_ranges("a,b,c").is_err());
        assert!(parse_service_cluster_ip_ranges("").is_err());
    }

    #[test]
    fn apiserver_names_cover_every_way_in() {
        let ranges = parse_service_cluster_ip_ranges(DEFAULT_SERVICE_CLUSTER_IP_RANGE).unwrap();
        let names =
            ServingNames::for_apiserver(Some("node-a"), &ranges, "192.0.2.10".parse().unwrap());
        for dns in [
            "localhost",
            "node-a",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        ] {
            assert!(names.dns_names.iter().any(|n| n == dns), "{dns}");
        }
        for ip in ["127.0.0.1", "::1", "10.96.0.1", "192.0.2.10"] {
            assert!(names.ip_addresses.contains(&ip.parse().unwrap()), "{ip}");
        }
        let wildcard = ServingNames::for_apiserver(None, &ranges, "0.0.0.0".parse().unwrap());
        assert!(!wildcard.ip_addresses.iter().any(|ip| ip.is_unspecified()));
    }
}
