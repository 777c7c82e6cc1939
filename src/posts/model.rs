//! Rows of `posts`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::meta::enums::{PostKind, PostStatus};
use crate::schema::posts;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = posts, treat_none_as_default_value = false)]
pub struct Post {
    pub id: String,
    pub kind: PostKind,
    pub team_id: String,
    pub activity_id: Option<String>,
    pub campaign_id: Option<String>,
    pub volunteer_id: Option<String>,
    pub author_id: String,
    /// As shown publicly: a volunteer's masked name, or the organisation's name.
    pub author_name: String,
    pub title: Option<String>,
    pub content: String,
    /// A JSON array of file ids, in the order given.
    pub images: String,
    pub status: PostStatus,
    pub hidden_reason: Option<String>,
    pub hidden_by: Option<String>,
    pub hidden_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}
