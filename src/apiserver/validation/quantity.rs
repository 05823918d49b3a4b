//! Resource quantities (`500m`, `1Gi`, `2e3`) read as numbers, enough to
//! compare requests with limits and to derive a pod's QoS class. Values are
//! kept in billionths (nano units), exact for every suffix upstream knows.

/// A quantity in nano units (`1` is 1_000_000_000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Quantity(pub i128);

/// Upstream's description of the syntax, used in its messages.
pub const QUANTITY_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const NANO: i128 = 1_000_000_000;

/// The power of ten (for decimal suffixes) or of two (binary) a suffix
/// stands for.
enum Scale {
    Decimal(i32),
    Binary(u32),
}

fn suffix_scale(suffix: &str) -> Option<Scale> {
    Some(match suffix {
        "" => Scale::Decimal(0),
        "n" => Scale::Decimal(-9),
        "u" => Scale::Decimal(-6),
        "m" => Scale::Decimal(-3),
        "k" => Scale::Decimal(3),
        "M" => Scale::Decimal(6),
        "G" => Scale::Decimal(9),
        "T" => Scale::Decimal(12),
        "P" => Scale::Decimal(15),
        "E" => Scale::Decimal(18),
        "Ki" => Scale::Binary(10),
        "Mi" => Scale::Binary(20),
        "Gi" => Scale::Binary(30),
        "Ti" => Scale::Binary(40),
        "Pi" => Scale::Binary(50),
        "Ei" => Scale::Binary(60),
        exponent if exponent.starts_with(['e', 'E']) => {
            Scale::Decimal(exponent[1..].parse().ok().filter(|e: &i32| e.abs() <= 18)?)
        }
        _ => return None,
    })
}

impl Quantity {
    /// Reads a quantity; `None` if it is not one. Fractions of a nano unit
    /// round up, as upstream rounds.
    pub fn parse(text: &str) -> Option<Quantity> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return None;
        }
        let scale = suffix_scale(suffix)?;
        // digits as an integer, and the power of ten that makes it the number
        let digits: String = format!("{whole}{fraction}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 30 {
            return None;
        }
        let mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        let mut exponent = 9 - fraction.len() as i32;
        let mut value = mantissa;
        match scale {
            Scale::Decimal(e) => exponent += e,
            Scale::Binary(bits) => value = value.checked_mul(1i128 << bits)?,
        }
        if exponent >= 0 {
            value = value.checked_mul(10i128.checked_pow(exponent as u32)?)?;
        } else {
            let divisor = 10i128.checked_pow((-exponent) as u32)?;
            value = (value + divisor - 1) / divisor;
        }
        Some(Quantity(if negative { -value } else { value }))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whole units, for messages.
    pub fn units(self) -> i128 {
        self.0 / NANO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> i128 {
        Quantity::parse(text).unwrap().0
    }

    #[test]
    fn reads_every_suffix() {
        assert_eq!(q("1"), NANO);
        assert_eq!(q("500m"), NANO / 2);
        assert_eq!(q("0.5"), NANO / 2);
        assert_eq!(q("1000m"), q("1"));
        assert_eq!(q("1Ki"), 1024 * NANO);
        assert_eq!(q("1Gi"), (1 << 30) * NANO);
        assert_eq!(q("1G"), 1_000_000_000 * NANO);
        assert_eq!(q("2e3"), 2000 * NANO);
        assert_eq!(q("1n"), 1);
        assert_eq!(q("-1"), -NANO);
        assert_eq!(q("0"), 0);
        assert_eq!(Quantity::parse("1.5Gi").unwrap().units(), 1536 << 20);
    }

    #[test]
    fn rejects_what_is_not_a_quantity() {
        for bad in ["", "abc", "1x", "1.2.3", "Gi", "1 Gi", "."] {
            assert!(Quantity::parse(bad).is_none(), "{bad}");
        }
    }
}
