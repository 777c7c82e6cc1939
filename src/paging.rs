//! `?page=&per_page=` and the `{items, page, per_page, total}` envelope every list answers with.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldErrors, Msg};

pub const MAX_PER_PAGE: i64 = 100;
pub const DEFAULT_PER_PAGE: i64 = 20;

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

/// Checks the page fields of a list's query (lists with filters carry them inline, because
/// `serde(flatten)` does not mix with numbers in query strings).
pub fn page_request(page: Option<i64>, per_page: Option<i64>) -> Result<PageRequest, ApiError> {
    PageQuery { page, per_page }.validate()
}

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

impl PageRequest {
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

impl PageQuery {
    pub fn validate(self) -> Result<PageRequest, ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        let mut errors = FieldErrors::default();
        // The upper bound keeps offset arithmetic far from overflow.
        if !(1..=1_000_000).contains(&page) {
            errors.add(
                "page",
                "out_of_range",
                Msg::new(
                    "page 须为不小于 1 的整数",
                    "page must be a whole number of at least 1",
                ),
            );
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            errors.add(
                "per_page",
                "out_of_range",
                Msg::new(
                    "per_page 须在 1 到 100 之间",
                    "per_page must be between 1 and 100",
                ),
            );
        }
        errors.into_result()?;
        Ok(PageRequest { page, per_page })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    /// Number of items over all pages.
    pub total: i64,
    /// Lists that also page by keyset (`?after=`): the cursor of the items after these, null
    /// at the end. Always null for lists that page by number only.
    #[schema(max_length = 400)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, request: PageRequest, total: i64) -> Page<T> {
        Page {
            items,
            page: request.page,
            per_page: request.per_page,
            total,
            next_cursor: None,
        }
    }

    /// A page of a list that pages by keyset too, from `per_page + 1` rows fetched: the extra
    /// row only says that more follow, and the cursor is the last kept row's (`cursor_of`).
    pub fn keyset<R>(
        mut rows: Vec<R>,
        request: PageRequest,
        total: i64,
        cursor_of: impl Fn(&R) -> String,
        item: impl FnMut(R) -> T,
    ) -> Page<T> {
        let next_cursor = if rows.len() as i64 > request.per_page {
            rows.truncate(request.per_page as usize);
            rows.last().map(cursor_of)
        } else {
            None
        };
        Page::new(rows.into_iter().map(item).collect(), request, total)
            .with_next_cursor(next_cursor)
    }

    pub fn with_next_cursor(self, next_cursor: Option<String>) -> Page<T> {
        Page {
            next_cursor,
            ..self
        }
    }
}

/// The longest cursor a client may send back (they are far shorter).
pub const MAX_CURSOR_LEN: usize = 400;

/// An opaque position in a list ordered by a key of several parts (the last item's key):
/// base64url of the parts as a JSON array. Opaque to clients, which only send it back.
pub fn encode_cursor(parts: &[String]) -> String {
    use base64::Engine;
    let json = serde_json::to_vec(parts).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The parts of a cursor made by [`encode_cursor`] with `parts` parts; anything else is a
/// field problem of `after`.
pub fn decode_cursor(value: &str, parts: usize) -> Result<Vec<String>, ApiError> {
    use base64::Engine;
    let decoded = (value.len() <= MAX_CURSOR_LEN)
        .then(|| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(value)
                .ok()
        })
        .flatten()
        .and_then(|bytes| serde_json::from_slice::<Vec<String>>(&bytes).ok())
        .filter(|decoded| decoded.len() == parts);
    decoded.ok_or_else(bad_cursor)
}

/// How a cursor writes a timestamp (to the microsecond, as stored).
pub const CURSOR_TIME: &str = "%Y-%m-%dT%H:%M:%S%.f";

/// The position in a list ordered by creation time, then id (oldest first).
pub type TimeIdKey = (chrono::NaiveDateTime, String);

/// The cursor of the items after this creation time and id.
pub fn time_id_cursor(created_at: &chrono::NaiveDateTime, id: &str) -> String {
    encode_cursor(&[created_at.format(CURSOR_TIME).to_string(), id.to_owned()])
}

/// The position a cursor made by [`time_id_cursor`] names.
pub fn time_id_key(cursor: &str) -> Result<TimeIdKey, ApiError> {
    let parts = decode_cursor(cursor, 2)?;
    let created_at =
        chrono::NaiveDateTime::parse_from_str(&parts[0], CURSOR_TIME).map_err(|_| bad_cursor())?;
    if !crate::ids::is_id(&parts[1]) {
        return Err(bad_cursor());
    }
    Ok((created_at, parts[1].clone()))
}

pub fn bad_cursor() -> ApiError {
    ApiError::field(
        "after",
        "invalid",
        Msg::new(
            "after 须为上一页返回的 next_cursor",
            "after must be a next_cursor this list returned",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any cursor this server made reads back; any other text is a 400, never a panic.
        #[test]
        fn cursors_round_trip_and_anything_else_is_a_field_problem(
            parts in proptest::collection::vec("\\PC{0,20}", 1..4),
            junk in "\\PC{0,500}",
        ) {
            let cursor = encode_cursor(&parts);
            if cursor.len() <= MAX_CURSOR_LEN {
                prop_assert_eq!(decode_cursor(&cursor, parts.len()).unwrap(), parts.clone());
            }
            prop_assert!(decode_cursor(&cursor, parts.len() + 1).is_err());
            if let Err(e) = decode_cursor(&junk, 2) {
                prop_assert_eq!(e.code, bad_cursor().code);
            }
        }
    }

    fn q(page: Option<i64>, per_page: Option<i64>) -> PageQuery {
        PageQuery { page, per_page }
    }

    #[test]
    fn cursors_read_back_and_anything_else_is_refused() {
        let parts = vec!["2026-03-05".to_owned(), "a|b\"c".to_owned()];
        assert_eq!(decode_cursor(&encode_cursor(&parts), 2).unwrap(), parts);
        for bad in [
            "",
            "!!",
            "e30",
            &encode_cursor(&parts[..1]),
            &"A".repeat(401),
        ] {
            let e = decode_cursor(bad, 2).unwrap_err();
            assert_eq!(e.errors[0].field, "after");
        }
    }

    #[test]
    fn defaults_to_first_page_of_twenty() {
        let r = q(None, None).validate().unwrap();
        assert_eq!(
            r,
            PageRequest {
                page: 1,
                per_page: 20
            }
        );
        assert_eq!(r.offset(), 0);
    }

    #[test]
    fn per_page_must_be_between_1_and_100() {
        for bad in [0, -1, 101, 1000] {
            let e = q(None, Some(bad)).validate().unwrap_err();
            assert_eq!(e.code, "validation_failed");
            assert_eq!(e.errors[0].field, "per_page");
        }
        assert_eq!(q(Some(3), Some(100)).validate().unwrap().offset(), 200);
        assert!(q(Some(0), Some(1)).validate().is_err());
    }
}
