//! What an import makes of its rows.

use crate::error::ApiError;

/// What became of one row.
#[derive(Debug)]
pub enum RowOutcome {
    /// The row's item: created now, or found as imported (or registered) before.
    Accepted { id: String, created: bool },
    /// What the single endpoint would have refused the row with.
    Rejected(ApiError),
}
