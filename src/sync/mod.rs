//! Sync feeds (增量同步) for platform clients: volunteers, organisations, activities and service
//! records in the order they changed, from the change log (`db::changes`). A client stores
//! the `next_cursor` of each page and resumes from it; it sees every change after it once, at
//! the item's latest state, even while writes go on. Items a copy must drop are tombstones.

pub mod dto;
pub mod routes;
pub mod service;
