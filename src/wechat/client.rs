//! The call to WeChat's `auth.code2Session`, and what its answers mean to our clients.

use std::time::Duration;

use serde::Deserialize;

use crate::config::Config;
use crate::error::{ApiError, ApiResult, Kind, Msg};

/// Who WeChat says the user is (for this mini-program).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeChatUser {
    pub openid: String,
    /// Only when the mini-program is bound to an Open Platform account.
    pub unionid: Option<String>,
}

/// The fields of the answer we use. `session_key` is deliberately absent: serde skips it, so
/// it never exists in this process beyond the response buffer.
#[derive(Deserialize)]
struct Code2Session {
    openid: Option<String>,
    unionid: Option<String>,
    errcode: Option<i64>,
    errmsg: Option<String>,
}

pub struct WeChatClient {
    http: reqwest::Client,
    base: String,
    credentials: Option<(String, String)>,
}

impl WeChatClient {
    #[allow(
        clippy::expect_used,
        reason = "built once at start: a rustls client without proxies has nothing to fail on"
    )]
    pub fn new(config: &Config) -> WeChatClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.wechat_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with rustls and no proxies builds");
        WeChatClient {
            http,
            base: config.wechat_api_base.clone(),
            credentials: config
                .wechat_appid
                .clone()
                .zip(config.wechat_secret.clone()),
        }
    }

    /// Exchanges a `wx.login` code for the user's identity.
    pub async fn code2session(&self, code: &str) -> ApiResult<WeChatUser> {
        let (appid, secret) = self.credentials.as_ref().ok_or_else(not_configured)?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("appid", appid)
            .append_pair("secret", secret)
            .append_pair("js_code", code)
            .append_pair("grant_type", "authorization_code")
            .finish();
        let url = format!("{}/sns/jscode2session?{query}", self.base);
        let body = async {
            let response = self.http.get(&url).send().await?;
            response.bytes().await
        }
        .await
        .map_err(|e| {
            let timeout = e.is_timeout();
            // Without the URL: it carries the app secret and the code.
            tracing::warn!(timeout, error = %e.without_url(), "WeChat code2Session failed");
            if timeout {
                upstream(Kind::UpstreamTimeout, "wechat_timeout")
            } else {
                upstream(Kind::Upstream, "wechat_unreachable")
            }
        })?;
        // WeChat answers JSON whatever Content-Type it sends.
        let answer: Code2Session = serde_json::from_slice(&body).map_err(|_| {
            tracing::warn!(
                bytes = body.len(),
                "WeChat code2Session answered something not JSON"
            );
            upstream(Kind::Upstream, "wechat_bad_response")
        })?;
        meaning(answer)
    }
}

fn meaning(answer: Code2Session) -> ApiResult<WeChatUser> {
    match answer.errcode.unwrap_or(0) {
        0 => match answer.openid.filter(|o| !o.is_empty()) {
            Some(openid) => Ok(WeChatUser {
                openid,
                unionid: answer.unionid.filter(|u| !u.is_empty()),
            }),
            None => Err(upstream(Kind::Upstream, "wechat_bad_response")),
        },
        40029 | 40163 => Err(ApiError::new(
            Kind::Invalid,
            "wechat_code_invalid",
            Msg::new(
                "微信登录凭证无效或已使用，请重新调用 wx.login",
                "The WeChat login code is invalid or used; call wx.login again",
            ),
        )),
        40226 => Err(ApiError::new(
            Kind::Forbidden,
            "wechat_user_blocked",
            Msg::new(
                "该微信用户已被微信限制登录",
                "WeChat has blocked this user as high-risk",
            ),
        )),
        45011 => {
            let mut e = ApiError::new(
                Kind::RateLimited,
                "wechat_rate_limited",
                Msg::new(
                    "微信登录过于频繁，请稍后再试",
                    "Too many WeChat logins for this user; try again in a minute",
                ),
            );
            e.retry_after_secs = Some(60);
            Err(e)
        }
        -1 => {
            let mut e = ApiError::new(
                Kind::Unavailable,
                "wechat_busy",
                Msg::new(
                    "微信系统繁忙，请稍后再试",
                    "WeChat is busy; try again shortly",
                ),
            );
            e.retry_after_secs = Some(1);
            Err(e)
        }
        other => {
            tracing::warn!(errcode = other, errmsg = ?answer.errmsg, "WeChat code2Session refused");
            Err(upstream(Kind::Upstream, "wechat_error"))
        }
    }
}

fn upstream(kind: Kind, code: &'static str) -> ApiError {
    ApiError::new(
        kind,
        code,
        Msg::new(
            "暂时无法完成微信登录，请稍后再试",
            "WeChat login cannot be completed right now; try again shortly",
        ),
    )
}

fn not_configured() -> ApiError {
    let mut e = ApiError::new(
        Kind::Unavailable,
        "wechat_not_configured",
        Msg::new(
            "本平台未开通微信登录",
            "WeChat login is not set up on this server",
        ),
    );
    e.retry_after_secs = Some(3600);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> ApiResult<WeChatUser> {
        meaning(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn answers_mean_what_the_documentation_says() {
        let user = answer(r#"{"openid":"o1","session_key":"sk","unionid":"u1"}"#).unwrap();
        assert_eq!(user.openid, "o1");
        assert_eq!(user.unionid.as_deref(), Some("u1"));
        assert_eq!(
            answer(r#"{"openid":"o1","errcode":0}"#).unwrap().unionid,
            None
        );
        for (code, status) in [
            (40029, 400),
            (40163, 400),
            (40226, 403),
            (45011, 429),
            (-1, 503),
            (40013, 502),
        ] {
            let err = answer(&format!(r#"{{"errcode":{code},"errmsg":"x"}}"#)).unwrap_err();
            assert_eq!(err.kind.status().as_u16(), status, "{code}");
        }
        assert_eq!(answer("{}").unwrap_err().code, "wechat_bad_response");
    }
}
