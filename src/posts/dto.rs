use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::meta::enums::{PostKind, PostStatus};

pub const POST_TEXT_MAX: usize = 2000;
pub const NEWS_TITLE_MAX: usize = 100;
pub const NEWS_TEXT_MAX: usize = 5000;
pub const REASON_MAX: usize = 500;
pub const IMAGES_MAX: usize = 9;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePostRequest {
    /// An activity the caller attended (checked out, or holding an approved record of it).
    #[schema(value_type = crate::ids::Id)]
    pub activity_id: String,
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub text: String,
    /// Pictures the caller uploaded, at most 9.
    #[schema(value_type = Option<Vec<crate::ids::Id>>, max_items = 9)]
    pub images: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNewsRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub title: String,
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub text: String,
    /// One of the organisation's activities.
    #[schema(value_type = Option<crate::ids::Id>)]
    pub activity_id: Option<String>,
    /// Defaults to the activity's campaign.
    #[schema(value_type = Option<crate::ids::Id>)]
    pub campaign_id: Option<String>,
    /// Pictures the caller uploaded, at most 9.
    #[schema(value_type = Option<Vec<crate::ids::Id>>, max_items = 9)]
    pub images: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HidePostRequest {
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    pub kind: PostKind,
    /// The organisation of the activity (experience), or the publishing one (news).
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    #[schema(value_type = Option<crate::ids::Id>)]
    pub activity_id: Option<String>,
    #[schema(value_type = Option<crate::ids::Id>)]
    pub campaign_id: Option<String>,
    /// The writing volunteer (experience posts).
    #[schema(value_type = Option<crate::ids::Id>)]
    pub volunteer_id: Option<String>,
    /// A volunteer's masked name (陈*明), or the organisation's name.
    pub author_name: String,
    /// News items only.
    pub title: Option<String>,
    pub text: String,
    #[schema(value_type = Vec<crate::ids::Id>)]
    pub images: Vec<String>,
    pub status: PostStatus,
    /// Set when hidden.
    pub hidden_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostQuery {
    /// `experience` (心得分享) or `news` (活动动态); both when absent.
    pub kind: Option<PostKind>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub activity_id: Option<String>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub team_id: Option<String>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub campaign_id: Option<String>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub volunteer_id: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}
