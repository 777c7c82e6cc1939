//! Amounts of money as the API writes them: decimal strings in yuan with at most two places
//! (`"12800"`, `"12800.5"`, `"12800.50"`), kept as whole fen (分) — never a float.

/// The form a client may send, as the OpenAPI document declares it.
pub const YUAN_PATTERN: &str = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$";

/// Fen in a yuan amount of the documented form; `None` for anything else.
pub fn parse_yuan(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let well_formed = !whole.is_empty()
        && whole.len() <= 10
        && whole.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || !whole.starts_with('0'))
        && fraction.len() <= 2
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (fraction.is_empty() != text.contains('.'));
    if !well_formed {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fen: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    Some(whole * 100 + fen)
}

/// Fen as yuan with two places: `1280050` → `"12800.50"`.
pub fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn yuan_amounts_are_read_exactly() {
        assert_eq!(parse_yuan("0"), Some(0));
        assert_eq!(parse_yuan("12800"), Some(1_280_000));
        assert_eq!(parse_yuan("12800.5"), Some(1_280_050));
        assert_eq!(parse_yuan("0.07"), Some(7));
        assert_eq!(parse_yuan("9999999999.99"), Some(999_999_999_999));
        for bad in [
            "",
            ".5",
            "5.",
            "01",
            "1.234",
            "-1",
            "+1",
            "1e3",
            "1,000",
            " 1",
            "１",
            "12345678901",
            "NaN",
        ] {
            assert_eq!(parse_yuan(bad), None, "{bad:?}");
        }
        assert_eq!(yuan(1_280_050), "12800.50");
        assert_eq!(yuan(7), "0.07");
    }

    proptest! {
        #[test]
        fn the_parser_agrees_with_the_documented_pattern(text in "[0-9.+-e ]{0,14}") {
            let pattern = regex_lite::Regex::new(YUAN_PATTERN).unwrap();
            prop_assert_eq!(parse_yuan(&text).is_some(), pattern.is_match(&text));
        }

        #[test]
        fn written_amounts_read_back(fen in 0i64..1_000_000_000_000) {
            prop_assert_eq!(parse_yuan(&yuan(fen)), Some(fen));
        }
    }
}
