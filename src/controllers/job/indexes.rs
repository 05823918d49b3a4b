//! Completion indexes of Indexed Jobs: which index a pod runs, and the
//! compressed interval form of `status.completedIndexes` (`"0-2,5"`).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Pod;

/// The annotation (and label) naming a pod's completion index.
pub const INDEX: &str = "batch.kubernetes.io/job-completion-index";

/// The completion index a pod runs, if it is an Indexed Job's.
pub fn of(pod: &Pod) -> Option<u32> {
    pod.metadata.annotations.as_ref()?.get(INDEX)?.parse().ok()
}

/// `indexes` as upstream writes them: ascending, runs as `a-b`.
pub fn format(indexes: &BTreeSet<u32>) -> String {
    let mut parts = Vec::new();
    let mut iter = indexes.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end = iter.next().unwrap_or(end);
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    parts.join(",")
}

/// `status.completedIndexes` read back.
pub fn parse(text: &str) -> BTreeSet<u32> {
    let mut indexes = BTreeSet::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    indexes.extend(a..=b);
                }
            }
            None => indexes.extend(part.parse::<u32>().ok()),
        }
    }
    indexes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_compress_and_read_back() {
        let indexes: BTreeSet<u32> = [0, 1, 2, 5, 7, 8].into();
        assert_eq!(format(&indexes), "0-2,5,7-8");
        assert_eq!(parse("0-2,5,7-8"), indexes);
        assert_eq!(format(&BTreeSet::new()), "");
    }
}
