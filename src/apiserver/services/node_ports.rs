//! Node ports: `--service-node-port-range` and who holds which port.
//!
//! The record is the one upstream keeps, a `RangeAllocation` at
//! `/registry/ranges/servicenodeports` whose `data` is a bitmap (bit `i`
//! set = port `base + i` taken, as the bytes of a big-endian integer). Every
//! change is a compare-and-swap of that record, so two API servers never
//! hand out the same port.

use std::collections::BTreeSet;

use base64::Engine;
use serde_json::{Value, json};

use crate::apiserver::status::ApiError;
use crate::storage::{Storage, StorageError};

pub const NODE_PORTS_KEY: &str = "/registry/ranges/servicenodeports";

/// The default `--service-node-port-range`, as upstream.
pub const DEFAULT_NODE_PORT_RANGE: &str = "30000-32767";

/// A range of ports, `base..base+size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    pub base: u16,
    pub size: u16,
}

impl PortRange {
    /// Parses upstream's forms: `30000-32767`, `30000+2767` or one port.
    pub fn parse(value: &str) -> Result<PortRange, String> {
        let bad = || format!("{value:?} is not a port range (e.g. 30000-32767)");
        let number = |s: &str| s.trim().parse::<u16>().map_err(|_| bad());
        let (base, last) = if let Some((a, b)) = value.split_once('-') {
            (number(a)?, number(b)?)
        } else if let Some((a, n)) = value.split_once('+') {
            let base = number(a)?;
            (base, base.checked_add(number(n)?).ok_or_else(bad)?)
        } else {
            let port = number(value)?;
            (port, port)
        };
        if base == 0 || last < base {
            return Err(bad());
        }
        Ok(PortRange {
            base,
            size: last - base + 1,
        })
    }

    pub fn last(&self) -> u16 {
        self.base + (self.size - 1)
    }

    pub fn contains(&self, port: i64) -> bool {
        (i64::from(self.base)..=i64::from(self.last())).contains(&port)
    }

    /// How many of the first ports form the band kept for ports users
    /// choose: min(max(16, size / 32), 128), none for tiny ranges.
    fn lower_band(&self) -> u16 {
        if self.size <= 16 {
            0
        } else {
            (self.size / 32).clamp(16, 128)
        }
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.base, self.last())
    }
}

/// Why a port could not be had, worded as upstream's allocator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortError {
    Taken,
    NotInRange(PortRange),
    Full,
}

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortError::Taken => f.write_str("provided port is already allocated"),
            PortError::NotInRange(range) => write!(
                f,
                "provided port is not in the valid range. The range of valid ports is {range}"
            ),
            PortError::Full => f.write_str("range is full"),
        }
    }
}

/// The taken ports, as offsets from the range's base.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bitmap(BTreeSet<u16>);

impl Bitmap {
    /// Upstream's encoding: the bytes of a big-endian integer.
    fn to_bytes(&self) -> Vec<u8> {
        let Some(&highest) = self.0.iter().next_back() else {
            return Vec::new();
        };
        let len = usize::from(highest) / 8 + 1;
        let mut bytes = vec![0u8; len];
        for &offset in &self.0 {
            let offset = usize::from(offset);
            bytes[len - 1 - offset / 8] |= 1 << (offset % 8);
        }
        bytes
    }

    fn from_bytes(bytes: &[u8]) -> Bitmap {
        let mut set = BTreeSet::new();
        for (i, byte) in bytes.iter().rev().enumerate() {
            for bit in 0..8 {
                if byte & (1 << bit) != 0
                    && let Ok(offset) = u16::try_from(i * 8 + bit)
                {
                    set.insert(offset);
                }
            }
        }
        Bitmap(set)
    }
}

/// A change to the record: ports to take and ports to give back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortChange {
    /// Specific ports asked for.
    pub take: Vec<u16>,
    /// How many ports to pick.
    pub pick: usize,
    pub release: Vec<u16>,
}

/// The node port allocator of one API server.
pub struct NodePorts {
    pub range: PortRange,
    storage: std::sync::Arc<dyn Storage>,
}

fn random() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default())
}

impl NodePorts {
    pub fn new(range: PortRange, storage: std::sync::Arc<dyn Storage>) -> NodePorts {
        NodePorts { range, storage }
    }

    fn record(&self, taken: &Bitmap) -> Value {
        json!({
            "kind": "RangeAllocation",
            "apiVersion": "v1",
            "metadata": {"creationTimestamp": null},
            "range": self.range.to_string(),
            "data": base64::engine::general_purpose::STANDARD.encode(taken.to_bytes()),
        })
    }

    /// The taken ports as stored, and the revision to swap against (`None`
    /// when there is no record yet). A record for another range is read
    /// port by port, keeping what falls in this one.
    async fn load(&self) -> Result<(Bitmap, Option<u64>), ApiError> {
        let (kv, _) = self
            .storage
            .get(NODE_PORTS_KEY)
            .await
            .map_err(crate::apiserver::registry::store::storage_error_unnamed)?;
        let Some(kv) = kv else {
            return Ok((Bitmap::default(), None));
        };
        let record: Value = serde_json::from_slice(&kv.value).unwrap_or_default();
        let data = record
            .get("data")
            .and_then(Value::as_str)
            .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
            .unwrap_or_default();
        let stored = Bitmap::from_bytes(&data);
        let stored_range = record
            .get("range")
            .and_then(Value::as_str)
            .and_then(|r| PortRange::parse(r).ok())
            .unwrap_or(self.range);
        let taken = if stored_range == self.range {
            stored
        } else {
            Bitmap(
                stored
                    .0
                    .iter()
                    .map(|o| i64::from(stored_range.base) + i64::from(*o))
                    .filter(|p| self.range.contains(*p))
                    .map(|p| (p - i64::from(self.range.base)) as u16)
                    .collect(),
            )
        };
        Ok((taken, Some(kv.mod_revision)))
    }

    /// Applies `change` in one compare-and-swap of the record (retrying
    /// when another writer got there first); the ports picked. With
    /// `dry_run` nothing is stored.
    pub async fn apply(
        &self,
        change: &PortChange,
        dry_run: bool,
    ) -> Result<Vec<u16>, PortChangeError> {
        loop {
            let (mut taken, revision) = self.load().await.map_err(PortChangeError::Api)?;
            for &port in &change.release {
                if self.range.contains(i64::from(port)) {
                    taken.0.remove(&(port - self.range.base));
                }
            }
            for &port in &change.take {
                if !self.range.contains(i64::from(port)) {
                    return Err(PortChangeError::Port(
                        port,
                        PortError::NotInRange(self.range),
                    ));
                }
                if !taken.0.insert(port - self.range.base) {
                    return Err(PortChangeError::Port(port, PortError::Taken));
                }
            }
            let mut picked = Vec::with_capacity(change.pick);
            for _ in 0..change.pick {
                let offset = self.free_offset(&taken).ok_or(PortChangeError::Full)?;
                taken.0.insert(offset);
                picked.push(self.range.base + offset);
            }
            if dry_run || (change.take.is_empty() && change.pick == 0 && change.release.is_empty())
            {
                return Ok(picked);
            }
            let bytes = crate::apiserver::registry::codec::encode(&self.record(&taken))
                .map_err(PortChangeError::Api)?;
            let written = match revision {
                Some(revision) => self.storage.update(NODE_PORTS_KEY, bytes, revision).await,
                None => self.storage.create(NODE_PORTS_KEY, bytes).await,
            };
            match written {
                Ok(_) => return Ok(picked),
                Err(StorageError::Conflict { .. } | StorageError::AlreadyExists { .. }) => continue,
                Err(e) => {
                    return Err(PortChangeError::Api(
                        crate::apiserver::registry::store::storage_error_unnamed(e),
                    ));
                }
            }
        }
    }

    /// A free offset: from a random point of the upper band, then of the
    /// lower band.
    fn free_offset(&self, taken: &Bitmap) -> Option<u16> {
        let split = self.range.lower_band();
        let scan = |start: u16, len: u16| -> Option<u16> {
            if len == 0 {
                return None;
            }
            let from = (random() % u64::from(len)) as u16;
            (0..len)
                .map(|i| start + (from + i) % len)
                .find(|o| !taken.0.contains(o))
        };
        scan(split, self.range.size - split).or_else(|| scan(0, split))
    }

    /// The ports taken right now.
    pub async fn taken(&self) -> Result<BTreeSet<u16>, ApiError> {
        let (taken, _) = self.load().await?;
        Ok(taken.0.iter().map(|o| self.range.base + o).collect())
    }

    /// Makes the record say exactly `taken` (repair at start).
    pub async fn reset(&self, taken: &BTreeSet<u16>) -> Result<(), ApiError> {
        loop {
            let (current, revision) = self.load().await?;
            let wanted = Bitmap(
                taken
                    .iter()
                    .filter(|p| self.range.contains(i64::from(**p)))
                    .map(|p| p - self.range.base)
                    .collect(),
            );
            if revision.is_some() && current == wanted {
                return Ok(());
            }
            let bytes = crate::apiserver::registry::codec::encode(&self.record(&wanted))?;
            let written = match revision {
                Some(revision) => self.storage.update(NODE_PORTS_KEY, bytes, revision).await,
                None => self.storage.create(NODE_PORTS_KEY, bytes).await,
            };
            match written {
                Ok(_) => return Ok(()),
                Err(StorageError::Conflict { .. } | StorageError::AlreadyExists { .. }) => continue,
                Err(e) => return Err(crate::apiserver::registry::store::storage_error_unnamed(e)),
            }
        }
    }
}

/// Why a change to the record failed.
#[derive(Debug)]
pub enum PortChangeError {
    /// A port asked for could not be had.
    Port(u16, PortError),
    Full,
    Api(ApiError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_upstream() {
        let range = PortRange::parse("30000-32767").unwrap();
        assert_eq!(
            range,
            PortRange {
                base: 30000,
                size: 2768
            }
        );
        assert_eq!(range.to_string(), "30000-32767");
        assert_eq!(PortRange::parse("30000+99").unwrap().last(), 30099);
        assert_eq!(PortRange::parse("31000").unwrap().size, 1);
        assert!(PortRange::parse("32767-30000").is_err());
        assert!(PortRange::parse("a-b").is_err());
        assert_eq!(range.lower_band(), 86);
    }

    #[test]
    fn the_bitmap_is_a_big_endian_integer() {
        let bitmap = Bitmap([0u16, 9].into_iter().collect());
        assert_eq!(bitmap.to_bytes(), vec![0b10, 0b1]);
        assert_eq!(Bitmap::from_bytes(&[0b10, 0b1]), bitmap);
        assert_eq!(Bitmap::default().to_bytes(), Vec::<u8>::new());
    }

    #[test]
    fn errors_read_like_upstream() {
        let range = PortRange::parse("30000-32767").unwrap();
        assert_eq!(
            PortError::NotInRange(range).to_string(),
            "provided port is not in the valid range. The range of valid ports is 30000-32767"
        );
        assert_eq!(
            PortError::Taken.to_string(),
            "provided port is already allocated"
        );
    }
}
