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
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, request: PageRequest, total: i64) -> Page<T> {
        Page {
            items,
            page: request.page,
            per_page: request.per_page,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(page: Option<i64>, per_page: Option<i64>) -> PageQuery {
        PageQuery { page, per_page }
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
