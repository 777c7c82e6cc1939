use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::WeChatIdentity;
use crate::time::to_utc;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeChatLoginRequest {
    /// The code `wx.login` gave the mini-program (single use, 5 minutes).
    #[schema(min_length = 1, max_length = 128, pattern = r"^[!-~]+$")]
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeChatBindRequest {
    /// The `bind_ticket` of a `wechat_not_bound` answer.
    #[schema(min_length = 1, max_length = 100, pattern = r"^[!-~]+$")]
    pub ticket: String,
}

/// The WeChat identity bound to the caller's account.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeChatBindingResponse {
    /// The user's openid for this mini-program.
    pub openid: String,
    pub unionid: Option<String>,
    pub bound_at: DateTime<Utc>,
}

impl From<WeChatIdentity> for WeChatBindingResponse {
    fn from(i: WeChatIdentity) -> Self {
        WeChatBindingResponse {
            openid: i.openid,
            unionid: i.unionid,
            bound_at: to_utc(i.bound_at),
        }
    }
}
