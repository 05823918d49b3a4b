//! Int-or-percent fields (`maxSurge`, `maxUnavailable`, `minAvailable`):
//! a count, or a percentage of a total rounded as the field's owner says.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// `value` as a count out of `total`; a percentage that does not parse
/// counts as zero (validation refuses those).
pub fn scaled(value: &IntOrString, total: i32, round_up: bool) -> i32 {
    match value {
        IntOrString::Int(n) => *n,
        IntOrString::String(text) => {
            let Some(number) = text.strip_suffix('%').and_then(|n| n.parse::<f64>().ok()) else {
                return 0;
            };
            let exact = number * f64::from(total) / 100.0;
            (if round_up {
                exact.ceil()
            } else {
                exact.floor()
            }) as i32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_as_asked() {
        let quarter = IntOrString::String("25%".into());
        assert_eq!(scaled(&quarter, 10, true), 3);
        assert_eq!(scaled(&quarter, 10, false), 2);
        assert_eq!(scaled(&IntOrString::Int(4), 10, true), 4);
        assert_eq!(scaled(&IntOrString::String("x".into()), 10, true), 0);
    }
}
