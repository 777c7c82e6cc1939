//! Field rules shared by every domain: text lengths, phone numbers, towns.

use crate::error::{FieldErrors, Msg};
use crate::meta::towns::is_town;

/// Trims required text; flags it when empty or over `max` characters.
pub fn required_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let value = value.trim().to_owned();
    if value.is_empty() {
        errors.add(
            field,
            "required",
            Msg::new("此字段必填", "This field is required"),
        );
    } else {
        check_length(errors, field, &value, max);
    }
    value
}

/// Trims optional text; empty becomes `None`. Flags text over `max` characters.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<String>,
    max: usize,
) -> Option<String> {
    let value = value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())?;
    check_length(errors, field, &value, max);
    Some(value)
}

fn check_length(errors: &mut FieldErrors, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        errors.add(
            field,
            "too_long",
            Msg::new(
                format!("不能超过 {max} 个字符"),
                format!("At most {max} characters"),
            ),
        );
    }
}

/// A landline or mobile number: digits, `+` and `-`, at most 20 characters; empty is none.
/// (No trimming: the document's pattern says exactly what is accepted.)
pub fn optional_phone(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<String>,
) -> Option<String> {
    let value = value.filter(|v| !v.is_empty())?;
    check_phone(errors, field, &value);
    Some(value)
}

/// A contact phone: at most 20 of digits, `+` and `-` (the schema's `^[0-9+-]*$`, as written:
/// not trimmed).
pub fn check_phone(errors: &mut FieldErrors, field: &str, value: &str) {
    if value.chars().count() > 20
        || !value
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
    {
        errors.add(
            field,
            "format",
            Msg::new(
                "电话号码只能包含数字、+ 和 -，最多 20 个字符",
                "A phone number holds only digits, + and -, at most 20 characters",
            ),
        );
    }
}

/// A town from `/api/v1/meta/towns`, written exactly as listed, or nothing.
pub fn optional_town(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<String>,
) -> Option<String> {
    let value = value?;
    if !is_town(&value) {
        errors.add(
            field,
            "invalid_choice",
            Msg::new(
                "镇（街道）须为 /api/v1/meta/towns 中的名称",
                "town must be a name from /api/v1/meta/towns",
            ),
        );
    }
    Some(value)
}

/// `LIKE` pattern matching `text` anywhere, with the wildcards in it escaped (`ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
