//! The feed: volunteers' experience posts (心得分享) about activities they attended and
//! organisations' news items (活动动态), public while visible, newest first; admins of the
//! organisation hide, authors delete, and images go dark with their post.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;

/// What post images are attached to, for the files domain.
pub const ATTACHMENT_KIND: &str = "post";
