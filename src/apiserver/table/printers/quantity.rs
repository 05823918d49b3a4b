//! Resource quantities (`500m`, `1Gi`, `12e6`) in upstream's canonical
//! spelling. Go decodes a `resource.Quantity` into a number and prints it back
//! with `Quantity.String()`, so a cell shows `1Gi` for a stored `1024Mi` and
//! `500m` for `0.5`; printers that show quantities go through [`canonical`].

/// The three spellings a quantity can have; the suffix picks one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// `Ki`, `Mi`, … (powers of 1024).
    BinarySi,
    /// `n`, `u`, `m`, none, `k`, `M`, … (powers of 1000).
    DecimalSi,
    /// `e3`, `E-2`.
    DecimalExponent,
}

/// A parsed quantity: `mantissa × 10^exponent`, and how it was written.
#[derive(Debug)]
struct Parsed {
    mantissa: i128,
    exponent: i32,
    format: Format,
}

/// `text` as `Quantity.String()` prints it; `text` unchanged when it is not a
/// quantity this code can represent exactly (those never pass validation).
pub fn canonical(text: &str) -> String {
    parse(text.trim())
        .and_then(format)
        .unwrap_or_else(|| text.to_owned())
}

fn parse(text: &str) -> Option<Parsed> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let number_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    // Past ~30 digits the value no longer fits the i128 arithmetic below.
    if whole.len() + fraction.len() > 30 {
        return None;
    }
    let digits: i128 = format!("{whole}{fraction}").parse().ok()?;
    let mut exponent = -i32::try_from(fraction.len()).ok()?;
    let mut mantissa = digits;
    let format = match suffix {
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            let power = match suffix {
                "Ki" => 1,
                "Mi" => 2,
                "Gi" => 3,
                "Ti" => 4,
                "Pi" => 5,
                _ => 6,
            };
            mantissa = mantissa.checked_mul(1024_i128.pow(power))?;
            Format::BinarySi
        }
        "n" | "u" | "m" | "" | "k" | "M" | "G" | "T" | "P" | "E" => {
            exponent += match suffix {
                "n" => -9,
                "u" => -6,
                "m" => -3,
                "" => 0,
                "k" => 3,
                "M" => 6,
                "G" => 9,
                "T" => 12,
                "P" => 15,
                _ => 18,
            };
            Format::DecimalSi
        }
        _ => {
            let power = suffix.strip_prefix(['e', 'E'])?;
            exponent += power.parse::<i32>().ok()?;
            Format::DecimalExponent
        }
    };
    // Upstream keeps nothing finer than nano units and rounds away from zero.
    while exponent < -9 {
        let rounded_up = mantissa % 10 != 0;
        mantissa = mantissa / 10 + i128::from(rounded_up);
        exponent += 1;
    }
    if negative {
        mantissa = -mantissa;
    }
    Some(Parsed {
        mantissa,
        exponent,
        format,
    })
}

fn format(quantity: Parsed) -> Option<String> {
    if quantity.mantissa == 0 {
        return Some("0".into());
    }
    if quantity.format == Format::BinarySi {
        // Small or fractional binary quantities print as decimal ones, so that
        // nothing is rounded away.
        if let Some(whole) = integer_value(&quantity)
            && whole.abs() >= 1024
        {
            let (mut amount, mut power) = (whole, 0);
            while amount % 1024 == 0 {
                amount /= 1024;
                power += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"].get(power)?;
            return Some(format!("{amount}{suffix}"));
        }
    }
    let (mut amount, mut exponent) = (quantity.mantissa, quantity.exponent);
    while amount % 10 == 0 {
        amount /= 10;
        exponent += 1;
    }
    // Exponents go in steps of three, the mantissa taking up the rest.
    match exponent.rem_euclid(3) {
        1 => {
            amount = amount.checked_mul(10)?;
            exponent -= 1;
        }
        2 => {
            amount = amount.checked_mul(100)?;
            exponent -= 2;
        }
        _ => {}
    }
    if quantity.format == Format::DecimalExponent {
        return Some(if exponent == 0 {
            amount.to_string()
        } else {
            format!("{amount}e{exponent}")
        });
    }
    let suffix = match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        0 => "",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => return Some(format!("{amount}e{exponent}")),
    };
    Some(format!("{amount}{suffix}"))
}

/// The quantity as a whole number, if it is one.
fn integer_value(quantity: &Parsed) -> Option<i128> {
    if quantity.exponent >= 0 {
        quantity
            .mantissa
            .checked_mul(10_i128.checked_pow(quantity.exponent.unsigned_abs())?)
    } else {
        let divisor = 10_i128.checked_pow(quantity.exponent.unsigned_abs())?;
        (quantity.mantissa % divisor == 0).then(|| quantity.mantissa / divisor)
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn binary_quantities_take_the_largest_exact_suffix() {
        assert_eq!(canonical("1Gi"), "1Gi");
        assert_eq!(canonical("1024Mi"), "1Gi");
        assert_eq!(canonical("1536Mi"), "1536Mi");
        assert_eq!(canonical("1.5Gi"), "1536Mi");
        assert_eq!(canonical("500Ki"), "500Ki");
        assert_eq!(canonical("0Gi"), "0");
    }

    #[test]
    fn small_or_fractional_binary_quantities_print_as_decimal() {
        assert_eq!(canonical("0.5Ki"), "512");
        assert_eq!(canonical("0.1Ki"), "102400m");
    }

    #[test]
    fn decimal_quantities_use_steps_of_a_thousand() {
        assert_eq!(canonical("0.5"), "500m");
        assert_eq!(canonical("1.5"), "1500m");
        assert_eq!(canonical("1000m"), "1");
        assert_eq!(canonical("2000"), "2k");
        assert_eq!(canonical("512"), "512");
        assert_eq!(canonical("10G"), "10G");
        assert_eq!(canonical("100m"), "100m");
        assert_eq!(canonical("-250m"), "-250m");
        assert_eq!(canonical("1E"), "1E");
    }

    #[test]
    fn exponent_quantities_keep_their_form() {
        assert_eq!(canonical("1e3"), "1e3");
        assert_eq!(canonical("12e6"), "12e6");
        assert_eq!(canonical("1e0"), "1");
        assert_eq!(canonical("1E2"), "100");
    }

    #[test]
    fn sub_nano_amounts_round_up() {
        assert_eq!(canonical("0.0000000001"), "1n");
    }

    #[test]
    fn non_quantities_pass_through() {
        assert_eq!(canonical("lots"), "lots");
        assert_eq!(canonical("1.2.3"), "1.2.3");
    }
}
