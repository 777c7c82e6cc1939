//! Ids: the API's ids are UUIDs in their hyphenated form; anything else is a 400 naming the
//! parameter. The OpenAPI document declares the same form (`Id`, and every path parameter).

use crate::error::{ApiError, FieldError, Msg};

/// The hyphenated UUID form, as the document declares it.
pub const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// Whether `value` is an id in the one form the API speaks (`Uuid::try_parse` alone would also
/// take the braced, URN and unhyphenated forms, which the document does not allow).
pub fn is_id(value: &str) -> bool {
    value.len() == 36 && uuid::Uuid::try_parse(value).is_ok()
}

pub fn check_id(param: &'static str, value: &str) -> Result<(), ApiError> {
    if is_id(value) {
        Ok(())
    } else {
        Err(ApiError::validation(vec![invalid_id(param)]))
    }
}

/// The field problem of a malformed id, for rules that collect several problems.
pub fn invalid_id(field: impl Into<String>) -> FieldError {
    FieldError::new(
        field,
        "invalid_id",
        Msg::new("ID 格式不正确", "The id is malformed"),
    )
}

/// The schema of an id, for `#[schema(value_type = Id)]` on `String` fields that hold one.
pub struct Id;

impl utoipa::PartialSchema for Id {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        id_schema().into()
    }
}

impl utoipa::ToSchema for Id {}

pub fn id_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uuid".to_owned())))
        .pattern(Some(UUID_PATTERN))
        .description(Some("A UUID (hyphenated)."))
        .build()
}

/// Crockford's base32 alphabet: no I, L, O or U, so that a number read aloud or typed from
/// paper cannot be mistaken.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random characters in a credential number: 16 × 5 = 80 bits.
const NUMBER_CHARS: usize = 16;

/// A new credential number: `prefix`, then 80 random bits as four groups of four Crockford
/// base32 characters, e.g. `ZYC-7K3M-Q9XA-20FD-RT5B`. Numbers are never reused: their table
/// holds them unique, and 80 bits make a collision (or a guess) practically impossible.
pub fn new_credential_number(prefix: &str) -> String {
    let bytes: [u8; 10] = rand::random();
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let chars: Vec<char> = (0..NUMBER_CHARS)
        .rev()
        .map(|i| CROCKFORD[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    format!("{prefix}-{}", groups.join("-"))
}

/// A credential number as a person may type it (any case, with or without hyphens or spaces,
/// I and L for 1, O for 0), in its one stored form; `None` when it cannot be a number with
/// this prefix.
pub fn normalize_credential_number(prefix: &str, input: &str) -> Option<String> {
    if input.len() > 64 {
        return None;
    }
    let compact: String = input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let rest = compact.strip_prefix(prefix)?;
    let chars: Option<Vec<char>> = rest
        .chars()
        .map(|c| {
            let c = match c {
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            CROCKFORD
                .contains(&(c as u8))
                .then_some(c)
                .filter(char::is_ascii)
        })
        .collect();
    let chars = chars.filter(|c| c.len() == NUMBER_CHARS)?;
    let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    Some(format!("{prefix}-{}", groups.join("-")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hyphenated_form_is_an_id() {
        assert!(is_id("0192f5e4-7c1a-7b3e-9f00-1234567890ab"));
        assert!(is_id("0192F5E4-7C1A-7B3E-9F00-1234567890AB"));
        for bad in [
            "",
            "0",
            "me",
            "0192f5e47c1a7b3e9f001234567890ab",
            "{0192f5e4-7c1a-7b3e-9f00-1234567890ab}",
            "urn:uuid:0192f5e4-7c1a-7b3e-9f00-1234567890ab",
            "0192f5e4-7c1a-7b3e-9f00-1234567890ag",
        ] {
            assert!(!is_id(bad), "{bad}");
        }
        let re = regex_lite::Regex::new(UUID_PATTERN).unwrap();
        assert!(re.is_match("0192f5e4-7c1a-7b3e-9f00-1234567890ab"));
        assert!(!re.is_match("0192f5e47c1a7b3e9f001234567890ab"));
    }

    #[test]
    fn credential_numbers_are_readable_random_and_read_back_as_typed() {
        let a = new_credential_number("ZYC");
        let b = new_credential_number("ZYC");
        assert_ne!(a, b);
        assert_eq!(a.len(), "ZYC-".len() + 19);
        assert!(
            a.chars()
                .skip(4)
                .all(|c| c == '-' || CROCKFORD.contains(&(c as u8)))
        );
        assert_eq!(
            normalize_credential_number("ZYC", &a).as_deref(),
            Some(a.as_str())
        );
        let typed = a
            .to_lowercase()
            .replace('-', " ")
            .replace('1', "l")
            .replace('0', "o");
        assert_eq!(normalize_credential_number("ZYC", &typed), Some(a.clone()));
        assert_eq!(
            normalize_credential_number("ZYP", &a),
            None,
            "another prefix"
        );
        assert_eq!(normalize_credential_number("ZYC", &a[..a.len() - 1]), None);
        assert_eq!(
            normalize_credential_number("ZYC", "ZYC-UUUU-0000-0000-0000"),
            None
        );
        assert_eq!(
            normalize_credential_number("ZYC", "ZYC-é000-0000-0000-000"),
            None
        );
    }
}
