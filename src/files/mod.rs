//! Uploaded files (photos of reports, posts and news; attachments of project applications):
//! the type judged from the content, the bytes kept content-addressed in the blob store
//! (`storage`), and who may read each file decided by what it is attached to.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod sniff;
pub mod store;
