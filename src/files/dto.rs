use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::StoredFile;
use crate::meta::enums::FileType;
use crate::time::to_utc;

/// The body of an upload: `multipart/form-data` with one part named `file` and no other.
/// (Documentation only: `http::upload` reads the parts as they stream; the serde derive is
/// here for `deny_unknown_fields`, which the document states as no additional properties.)
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// PDF, JPEG, PNG or WebP (judged by the content), at most `ZHIYUAN_MAX_UPLOAD_BYTES`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A file's bytes, as served: binary, of the type the response names.
pub struct FileBytes;

impl utoipa::PartialSchema for FileBytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .build()
            .into()
    }
}

impl ToSchema for FileBytes {}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileResponse {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    pub content_type: FileType,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the content.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    /// The name a download is offered under.
    pub file_name: String,
    pub uploaded_at: DateTime<Utc>,
}

impl From<StoredFile> for FileResponse {
    fn from(f: StoredFile) -> Self {
        FileResponse {
            id: f.id,
            content_type: f.content_type,
            size: f.size,
            sha256: f.sha256,
            file_name: f.file_name,
            uploaded_at: to_utc(f.uploaded_at),
        }
    }
}
