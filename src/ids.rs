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
}
