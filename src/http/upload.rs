//! Receiving one file from a `multipart/form-data` body: streamed into the blob store's staging
//! area while its SHA-256 is computed, never held in memory whole, and cut off as soon as it
//! passes the size limit (413), so an oversized body costs the server no more than the limit.

use std::io::Write;

use actix_web::http::header::{self, DispositionParam};
use actix_web::mime;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, Kind, Msg};
use crate::storage::{BlobStore, ReceivedFile};

/// The name of the one part an upload carries.
pub const FILE_PART: &str = "file";

use crate::storage::HEAD_LEN;

/// Room for the multipart framing around the file (boundaries, part headers).
const FRAMING_ALLOWANCE: u64 = 16 * 1024;

fn not_multipart() -> ApiError {
    ApiError::new(
        Kind::UnsupportedMediaType,
        "unsupported_media_type",
        Msg::new(
            "请求体须为 multipart/form-data",
            "The request body must be multipart/form-data",
        ),
    )
}

fn malformed(detail: &str) -> ApiError {
    ApiError::bad_request(
        "malformed_multipart",
        Msg::new(
            format!("multipart 请求体有误：{detail}"),
            format!("The multipart body is malformed: {detail}"),
        ),
    )
}

fn storage_failed(e: std::io::Error) -> ApiError {
    ApiError::internal(e)
}

/// Reads the body's `file` part into `blobs`' staging area. 415 unless the body is
/// `multipart/form-data`; 413 past `limit` bytes of file (or a declared body much larger than
/// that); 400 for any other part, a second file, none at all, or broken framing.
pub async fn receive_file(
    req: &HttpRequest,
    payload: web::Payload,
    blobs: &dyn BlobStore,
    limit: u64,
) -> Result<ReceivedFile, ApiError> {
    let is_form_data = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.type_() == mime::MULTIPART && m.subtype() == mime::FORM_DATA);
    if !is_form_data {
        return Err(not_multipart());
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(FRAMING_ALLOWANCE)) {
        return Err(too_large(limit));
    }

    let mut parts = actix_multipart::Multipart::new(req.headers(), payload);
    let mut received: Option<ReceivedFile> = None;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|e| malformed(&e.to_string()))?;
        if part.name() != Some(FILE_PART) {
            return Err(ApiError::field(
                part.name().unwrap_or("").to_owned(),
                "unexpected_part",
                Msg::new(
                    "只接受一个名为 file 的部分",
                    "Only one part, named file, is accepted",
                ),
            ));
        }
        if received.is_some() {
            return Err(ApiError::field(
                FILE_PART,
                "duplicate",
                Msg::new("只能上传一个文件", "Only one file may be uploaded"),
            ));
        }
        let file_name = part
            .content_disposition()
            .and_then(|d| {
                d.parameters.iter().find_map(|p| match p {
                    DispositionParam::FilenameExt(ext) => String::from_utf8(ext.value.clone()).ok(),
                    _ => None,
                })
            })
            .or_else(|| {
                part.content_disposition()
                    .and_then(|d| d.get_filename().map(str::to_owned))
            });
        let mut staged = blobs.stage().map_err(storage_failed)?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut head = Vec::with_capacity(HEAD_LEN);
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| malformed(&e.to_string()))?;
            size += chunk.len() as u64;
            if size > limit {
                // The staged bytes are deleted when `staged` is dropped.
                return Err(too_large(limit));
            }
            if head.len() < HEAD_LEN {
                let take = (HEAD_LEN - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            hasher.update(&chunk);
            staged.write_all(&chunk).map_err(storage_failed)?;
        }
        received = Some(ReceivedFile {
            staged,
            sha256: hex::encode(hasher.finalize()),
            size,
            head,
            file_name,
        });
    }
    received.ok_or_else(|| {
        ApiError::field(
            FILE_PART,
            "required",
            Msg::new("缺少文件", "The file part is missing"),
        )
    })
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        Kind::TooLarge,
        "file_too_large",
        Msg::new(
            format!("文件超过 {limit} 字节的上限"),
            format!("The file exceeds the limit of {limit} bytes"),
        ),
    )
}
