use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const MAX_LIMIT: i64 = 1000;
pub const DEFAULT_LIMIT: i64 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// The `next_cursor` of the previous page of this feed; from the beginning without one.
    #[param(max_length = 400, pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Items per page, 1–1000.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncOp {
    /// The item as it is now.
    Upsert,
    /// A tombstone: drop the item from the copy (no `data`).
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncType {
    Volunteer,
    Team,
    Activity,
    ServiceRecord,
}

/// One change: the item's latest, at its latest number.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncItem<T> {
    /// Increasing within the feed.
    pub seq: i64,
    pub op: SyncOp,
    #[serde(rename = "type")]
    pub item_type: SyncType,
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    /// The item now (upserts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncPage<T> {
    /// In increasing `seq`; empty when the client is up to date.
    pub items: Vec<SyncItem<T>>,
    /// Where to resume (store it with the copy): after these items, or where the request
    /// started when there are none.
    #[schema(max_length = 400)]
    pub next_cursor: String,
}
