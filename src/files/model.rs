//! Rows of `files` and `file_links`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::meta::enums::FileType;
use crate::schema::{file_links, files};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = files)]
pub struct StoredFile {
    pub id: String,
    pub sha256: String,
    pub content_type: FileType,
    pub size: i64,
    pub file_name: String,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = file_links)]
pub struct FileLink {
    pub file_id: String,
    pub subject_type: String,
    pub subject_id: String,
    pub team_id: String,
    pub public: bool,
}
