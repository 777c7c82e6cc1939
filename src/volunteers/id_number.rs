//! Validation of identity documents and mobile numbers.
//!
//! A mainland resident ID (GB 11643-1999) has 17 digits and a check character: ISO 7064
//! MOD 11-2 with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the sum mod 11 indexing
//! `1 0 X 9 8 7 6 5 4 3 2`. Digits 7–14 are the birth date, digit 17 odd means male.

use chrono::{Datelike, NaiveDate};

use crate::meta::enums::{Gender, IdType};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// Why a resident ID is refused; each maps to a field error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidentIdError {
    /// Not 17 digits followed by a digit or X.
    Format,
    /// The check character does not match.
    Checksum,
    /// Digits 7–14 are not a real date, or the date is in the future.
    BirthDate,
}

/// What a valid resident ID says about its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResidentId {
    pub birth_date: NaiveDate,
    pub gender: Gender,
}

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Upper-cases a trailing `x` and trims; the normalised form is what is stored and indexed.
pub fn normalize(id_type: IdType, raw: &str) -> String {
    let trimmed = raw.trim();
    match id_type {
        IdType::ResidentId | IdType::HkMacaoPermit | IdType::Passport => {
            trimmed.to_ascii_uppercase()
        }
        IdType::TaiwanPermit => trimmed.to_owned(),
    }
}

pub fn parse_resident_id(id: &str, today: NaiveDate) -> Result<ResidentId, ResidentIdError> {
    let bytes = id.as_bytes();
    if bytes.len() != 18
        || !bytes[..17].iter().all(u8::is_ascii_digit)
        || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
    {
        return Err(ResidentIdError::Format);
    }
    if check_char(&bytes[..17]) != bytes[17] {
        return Err(ResidentIdError::Checksum);
    }
    let birth_date = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d")
        .ok()
        .filter(|d| *d <= today && d.year() >= 1900)
        .ok_or(ResidentIdError::BirthDate)?;
    let gender = if (bytes[16] - b'0') % 2 == 1 {
        Gender::Male
    } else {
        Gender::Female
    };
    Ok(ResidentId { birth_date, gender })
}

/// Shape checks for the other documents (their numbers carry no checksum we can verify).
pub fn other_document_is_well_formed(id_type: IdType, id: &str) -> bool {
    let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    match id_type {
        IdType::ResidentId => false,
        // 港澳居民来往内地通行证: H or M and 8 or 10 digits.
        IdType::HkMacaoPermit => id.strip_prefix(['H', 'M']).is_some_and(|rest| {
            (rest.len() == 8 || rest.len() == 10) && rest.bytes().all(|b| b.is_ascii_digit())
        }),
        // 台湾居民来往大陆通行证: 8 digits (older) or 10 characters.
        IdType::TaiwanPermit => (id.len() == 8 || id.len() == 10) && alnum(id),
        IdType::Passport => (5..=20).contains(&id.len()) && alnum(id),
    }
}

/// `440781********123X`: the first six and the last four characters.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 10 {
        let keep = chars.len().min(2);
        return chars[..keep].iter().collect::<String>() + &"*".repeat(chars.len() - keep);
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// `张*`, `欧阳**`... : the first character and a star for each other one (names in credentials
/// and on public verify answers).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Mainland mobile numbers: 11 digits matching `1[3-9]\d{9}`.
pub fn is_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// `138****5678`.
pub fn mask_mobile(s: &str) -> String {
    if s.len() == 11 && s.is_ascii() {
        format!("{}****{}", &s[..3], &s[7..])
    } else {
        "*".repeat(s.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17.as_bytes()) as char)
    }

    #[test]
    fn known_valid_ids() {
        // The GB 11643 worked example and a Taishan (440781) number.
        assert_eq!(check_char(b"11010519491231002"), b'X');
        let id = parse_resident_id("11010519491231002X", today()).unwrap();
        assert_eq!(
            id.birth_date,
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.gender, Gender::Female);
        let taishan = with_check("44078119900101123");
        let id = parse_resident_id(&taishan, today()).unwrap();
        assert_eq!(id.gender, Gender::Male);
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            parse_resident_id("1101051949123100", today()),
            Err(ResidentIdError::Format)
        );
        assert_eq!(
            parse_resident_id("11010519491231002x", today()),
            Err(ResidentIdError::Format)
        );
        assert_eq!(
            parse_resident_id("110105194912310021", today()),
            Err(ResidentIdError::Checksum)
        );
        let feb30 = with_check("44078119900230123");
        assert_eq!(
            parse_resident_id(&feb30, today()),
            Err(ResidentIdError::BirthDate)
        );
        let future = with_check("44078120991231123");
        assert_eq!(
            parse_resident_id(&future, today()),
            Err(ResidentIdError::BirthDate)
        );
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id_number("44078119900101123X"), "440781********123X");
        assert_eq!(mask_mobile("13812345678"), "138****5678");
        assert_eq!(
            normalize(IdType::ResidentId, " 11010519491231002x "),
            "11010519491231002X"
        );
    }

    #[test]
    fn other_documents() {
        assert!(other_document_is_well_formed(
            IdType::HkMacaoPermit,
            "H12345678"
        ));
        assert!(!other_document_is_well_formed(
            IdType::HkMacaoPermit,
            "X12345678"
        ));
        assert!(other_document_is_well_formed(IdType::Passport, "E12345678"));
        assert!(!other_document_is_well_formed(IdType::Passport, "E1"));
    }

    proptest! {
        /// Mainland mobile numbers and nothing else, whatever the text.
        #[test]
        fn mobiles_are_eleven_digits_from_13(valid in "1[3-9][0-9]{9}", any in "\\PC{0,20}") {
            prop_assert!(is_mobile(&valid));
            let expected = any.len() == 11
                && any.starts_with('1')
                && any.as_bytes()[1].is_ascii_digit()
                && any.as_bytes()[1] >= b'3'
                && any.bytes().all(|b| b.is_ascii_digit());
            prop_assert_eq!(is_mobile(&any), expected);
        }
    }

    proptest! {
        /// Found by the contract fuzzer: a number starting with a multi-byte character made
        /// the permit check slice inside it and panic.
        #[test]
        fn any_text_is_judged_without_panicking(id in "\\PC{0,24}") {
            for id_type in IdType::ALL {
                let _ = other_document_is_well_formed(*id_type, &id);
                let _ = parse_resident_id(&id, NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
                let _ = mask_id_number(&id);
            }
        }
    }

    fn date_strategy() -> impl Strategy<Value = NaiveDate> {
        (1900i32..=2026, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
            .prop_filter("not in the future", |d| *d <= today())
    }

    proptest! {
        #[test]
        fn every_correctly_built_id_is_accepted(
            region in 110000u32..=659999,
            birth in date_strategy(),
            seq in 0u32..=999,
        ) {
            let first17 = format!("{region:06}{}{seq:03}", birth.format("%Y%m%d"));
            let id = with_check(&first17);
            let parsed = parse_resident_id(&id, today()).unwrap();
            prop_assert_eq!(parsed.birth_date, birth);
            prop_assert_eq!(parsed.gender == Gender::Male, seq % 2 == 1);
        }

        #[test]
        fn changing_any_one_digit_breaks_the_checksum(
            region in 110000u32..=659999,
            birth in date_strategy(),
            seq in 0u32..=999,
            pos in 0usize..17,
            delta in 1u8..=9,
        ) {
            let first17 = format!("{region:06}{}{seq:03}", birth.format("%Y%m%d"));
            let id = with_check(&first17);
            let mut bytes = id.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let tampered = String::from_utf8(bytes).unwrap();
            // MOD 11-2 detects every single-digit substitution.
            prop_assert!(parse_resident_id(&tampered, today()).is_err());
        }

        #[test]
        fn mobile_accepts_exactly_the_pattern(s in "[0-9]{9,13}") {
            let expected = s.len() == 11 && s.starts_with('1') && (b'3'..=b'9').contains(&s.as_bytes()[1]);
            prop_assert_eq!(is_mobile(&s), expected);
        }

        #[test]
        fn masked_mobile_keeps_only_head_and_tail(s in "1[3-9][0-9]{9}") {
            let m = mask_mobile(&s);
            prop_assert_eq!(&m[..3], &s[..3]);
            prop_assert_eq!(&m[7..], &s[7..]);
            prop_assert_eq!(&m[3..7], "****");
        }
    }
}
