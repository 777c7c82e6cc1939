//! WeChat mini-program login (微信小程序登录): the mini-program's `wx.login` code is exchanged
//! with WeChat's `code2Session` for the user's openid; a bound openid logs in, an unbound one
//! gets a single-use ticket that binds it after a normal login or registration.
//! `session_key` is never read, kept, returned or logged.

pub mod client;
pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
