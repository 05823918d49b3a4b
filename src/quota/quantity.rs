//! Amounts in quota usage: exact sums of quantities, printed back the way
//! upstream prints them (`500m`, `252Mi`, `1`).

pub use crate::apiserver::validation::quantity::Quantity;

use crate::apiserver::table::printers::quantity::canonical;

const NANO: i128 = 1_000_000_000;

/// `n` whole units.
pub fn whole(n: i128) -> Quantity {
    Quantity(n * NANO)
}

/// `amount` of resource `name` as text. Byte-sized resources print with
/// binary suffixes where they divide evenly (as a sum of `Mi` requests
/// does upstream, which keeps the first operand's format); everything else
/// with decimal ones.
pub fn quantity_text(name: &str, amount: Quantity) -> String {
    let bytes = ["memory", "storage", "hugepages"]
        .iter()
        .any(|b| name.contains(b));
    let nano = amount.0;
    if bytes && nano % NANO == 0 {
        let units = nano / NANO;
        if units != 0 && units % 1024 == 0 {
            return canonical(&format!("{}Ki", units / 1024));
        }
    }
    canonical(&format!("{nano}n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str, q: &str) -> String {
        quantity_text(name, Quantity::parse(q).unwrap())
    }

    #[test]
    fn prints_as_upstream() {
        assert_eq!(text("cpu", "500m"), "500m");
        assert_eq!(text("cpu", "0"), "0");
        assert_eq!(text("cpu", "1"), "1");
        assert_eq!(text("memory", "252Mi"), "252Mi");
        assert_eq!(text("requests.memory", "1Gi"), "1Gi");
        assert_eq!(text("memory", "100M"), "100M");
        assert_eq!(text("requests.ephemeral-storage", "30Gi"), "30Gi");
        assert_eq!(text("pods", "3"), "3");
    }
}
