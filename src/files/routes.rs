//! Thin handlers for uploading and reading files.

use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::dto::{FileBytes, FileResponse, UploadForm};
use super::service;
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiResult, NotFound, ProblemBody, Unauthenticated};
use crate::http::stream::reader_body;
use crate::http::upload::receive_file;
use crate::meta::enums::FileType;
use crate::state::AppState;

/// Upload a file (any account) → 201: PDF, JPEG, PNG or WebP, judged by its content.
#[utoipa::path(
    tag = "files",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, body = FileResponse),
        (status = 400, description = "`malformed_multipart`; a part other than `file`, a second file or none (`validation_failed`)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 413, description = "`file_too_large`: past `ZHIYUAN_MAX_UPLOAD_BYTES`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type` (not multipart/form-data), `unsupported_file_type` (content not PDF, JPEG, PNG or WebP)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: the account's uploads for the day (`ZHIYUAN_UPLOADS_PER_DAY`)", body = ProblemBody, content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
#[post("/files")]
pub async fn upload_file(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let received = receive_file(
        &req,
        payload,
        state.blobs.as_ref(),
        state.config.max_upload_bytes,
    )
    .await?;
    let file = state
        .db_as(user, move |conn, state, actor| {
            service::upload(conn, actor, state.config.uploads_per_day, received)
        })
        .await?;
    Ok(HttpResponse::Created().json(FileResponse::from(file)))
}

/// A file's bytes: to its uploader, to anyone once it is attached to something public, and to
/// the admins of the organisation of what it is attached to (404 to anyone else).
#[utoipa::path(
    tag = "files",
    params(("id" = String, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The bytes, with `X-Content-Type-Options: nosniff` and `Content-Disposition`",
            content(
                (FileBytes = "application/pdf"),
                (FileBytes = "image/jpeg"),
                (FileBytes = "image/png"),
                (FileBytes = "image/webp"),
            ),
            headers(("Content-Disposition" = String), ("X-Content-Type-Options" = String))),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/files/{id}")]
pub async fn read_file(
    user: MaybeAuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (file, bytes) = state
        .db_maybe_as(user.0, move |conn, state, actor| {
            service::open(conn, state.blobs.as_ref(), actor, &id)
        })
        .await?;
    // Pictures show in place; a PDF is offered as a download, never rendered in our origin.
    let disposition = ContentDisposition {
        disposition: match file.content_type {
            FileType::Pdf => DispositionType::Attachment,
            _ => DispositionType::Inline,
        },
        parameters: vec![DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".to_owned()),
            language_tag: None,
            value: file.file_name.into_bytes(),
        })],
    };
    let size = u64::try_from(file.size).unwrap_or(0);
    Ok(HttpResponse::Ok()
        .content_type(file.content_type.code())
        .insert_header(disposition)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .body(reader_body(bytes, size)))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(upload_file).service(read_file);
}
