//! Path ids: the API's ids are UUIDs; anything else is a 400 naming the parameter.

use crate::error::{ApiError, Msg};

pub fn check_id(param: &'static str, value: &str) -> Result<(), ApiError> {
    if uuid::Uuid::try_parse(value).is_ok() {
        Ok(())
    } else {
        Err(ApiError::field(
            param,
            "invalid_id",
            Msg::new("ID 格式不正确", "The id is malformed"),
        ))
    }
}
