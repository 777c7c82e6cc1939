//! Files: receiving an upload into the store (type from the content, daily quota), reading one
//! back to those who may, and attaching files to what other domains keep (reports, project
//! applications, posts) — which is what decides who else may read them.

use std::io::Read;

use super::model::{FileLink, StoredFile};
use super::{sniff, store};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Kind, Msg};
use crate::ids::{check_id, invalid_id, is_id};
use crate::storage::{BlobStore, ReceivedFile};
use crate::time::{local_date, local_day_start, seconds_to_next_local_day};

/// The longest file name kept (characters, before the extension).
const NAME_MAX: usize = 100;

fn unsupported_type() -> ApiError {
    ApiError::new(
        Kind::UnsupportedMediaType,
        "unsupported_file_type",
        Msg::new(
            "只接受 PDF、JPEG、PNG 或 WebP 文件（按内容判断）",
            "Only PDF, JPEG, PNG or WebP files are accepted (judged by their content)",
        ),
    )
}

/// The name a download is offered under: the client's name without any directory, control
/// or quoting characters, with the extension of the type the content really is.
fn download_name(given: Option<&str>, id: &str, extension: &str) -> String {
    let base = given
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(""))
        .unwrap_or("");
    let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    let clean: String = stem
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/' | ';'))
        .take(NAME_MAX)
        .collect();
    let clean = clean.trim();
    if clean.is_empty() {
        format!("{id}.{extension}")
    } else {
        format!("{clean}.{extension}")
    }
}

/// Stores an upload: refused (415) unless its content is a PDF, JPEG, PNG or WebP, and (429)
/// past the account's uploads for the local day. The blob gets its name inside the
/// transaction that records it, so a refused or failed upload leaves nothing behind.
pub fn upload(
    conn: &mut PooledConn,
    actor: &Actor,
    uploads_per_day: u32,
    received: ReceivedFile,
) -> ApiResult<StoredFile> {
    policy::authorize(conn, actor, Action::UploadFile)?;
    let kind = sniff::file_type(&received.head).ok_or_else(unsupported_type)?;
    write_tx(conn, move |tx| {
        let at = now();
        let used = store::uploads_since(tx, &actor.account_id, local_day_start(local_date(at)))?;
        if used >= i64::from(uploads_per_day) {
            return Err(ApiError::rate_limited(seconds_to_next_local_day(at)));
        }
        let id = new_id();
        let row = StoredFile {
            file_name: download_name(received.file_name.as_deref(), &id, sniff::extension(kind)),
            id,
            sha256: received.sha256.clone(),
            content_type: kind,
            size: i64::try_from(received.size).map_err(ApiError::internal)?,
            uploaded_by: actor.account_id.clone(),
            uploaded_at: at,
        };
        store::insert(tx, &row)?;
        received
            .staged
            .commit(&received.sha256)
            .map_err(ApiError::internal)?;
        Ok(row)
    })
}

/// A file and its bytes, for a caller who may read it (404 to anyone else).
pub fn open(
    conn: &mut DbConn,
    blobs: &dyn BlobStore,
    actor: Option<&Actor>,
    id: &str,
) -> ApiResult<(StoredFile, Box<dyn Read + Send>)> {
    check_id("id", id)?;
    let file = store::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    let links = store::links_of(conn, id)?;
    let attached_to: Vec<(&str, bool)> = links
        .iter()
        .map(|l| (l.team_id.as_str(), l.public))
        .collect();
    policy::may_read_file(conn, actor, &file.uploaded_by, &attached_to)?;
    let bytes = blobs.open(&file.sha256).map_err(ApiError::internal)?;
    Ok((file, bytes))
}

/// What files are attached to: a subject of another domain, the organisation whose admins
/// may read them, and whether anyone may.
pub struct Subject<'a> {
    /// `campaign_report`, `project_application`, `post`, …
    pub kind: &'static str,
    pub id: &'a str,
    pub team_id: &'a str,
    pub public: bool,
}

/// Checks the file ids a body names under `field` (at most `max`, each well-formed, uploaded
/// by the caller or attached to this subject already, named once), collecting problems in
/// `errors`.
pub fn check_attachable(
    conn: &mut DbConn,
    errors: &mut FieldErrors,
    actor: &Actor,
    field: &str,
    (ids, max): (&[String], usize),
    subject: Option<(&'static str, &str)>,
) -> ApiResult<()> {
    if ids.len() > max {
        errors.add(
            field,
            "too_many",
            Msg::new(format!("最多 {max} 个文件"), format!("At most {max} files")),
        );
        return Ok(());
    }
    let well_formed: Vec<String> = ids.iter().filter(|id| is_id(id)).cloned().collect();
    let mut usable = store::uploaded_by(conn, &well_formed, &actor.account_id)?;
    if let Some((kind, id)) = subject {
        usable.extend(store::linked_to(conn, kind, id)?);
    }
    for (i, id) in ids.iter().enumerate() {
        let name = format!("{field}[{i}]");
        if !is_id(id) {
            errors.0.push(invalid_id(name));
        } else if ids[..i].contains(id) {
            errors.add(
                name,
                "duplicate",
                Msg::new("文件重复", "The file is named twice"),
            );
        } else if !usable.contains(id) {
            errors.add(
                name,
                "unknown_file",
                Msg::new(
                    "文件不存在或不是您上传的",
                    "The file does not exist or was not uploaded by you",
                ),
            );
        }
    }
    Ok(())
}

/// Makes `ids` (checked with [`check_attachable`]) the files of `subject`.
pub fn attach(tx: &mut Tx, subject: &Subject<'_>, ids: &[String]) -> ApiResult<()> {
    let rows: Vec<FileLink> = ids
        .iter()
        .map(|id| FileLink {
            file_id: id.clone(),
            subject_type: subject.kind.to_owned(),
            subject_id: subject.id.to_owned(),
            team_id: subject.team_id.to_owned(),
            public: subject.public,
        })
        .collect();
    store::replace_links(tx, subject.kind, subject.id, &rows)?;
    Ok(())
}

/// Opens a subject's files to anyone, or closes them to all but their organisation's admins
/// (a hidden post's images disappear with it).
pub fn set_public(
    tx: &mut Tx,
    kind: &'static str,
    subject_id: &str,
    public: bool,
) -> ApiResult<()> {
    store::set_public(tx, kind, subject_id, public)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::download_name;

    #[test]
    fn download_names_keep_the_stem_and_take_the_true_extension() {
        let id = "0190a000-0000-7000-8000-000000000000";
        assert_eq!(download_name(Some("总结.pdf"), id, "pdf"), "总结.pdf");
        assert_eq!(download_name(Some("photo.html"), id, "jpg"), "photo.jpg");
        assert_eq!(
            download_name(Some("../../etc/pass\"wd"), id, "png"),
            "passwd.png"
        );
        assert_eq!(download_name(Some("C:\\x\\a;b.PDF"), id, "pdf"), "ab.pdf");
        assert_eq!(download_name(None, id, "webp"), format!("{id}.webp"));
        assert_eq!(download_name(Some(" .jpg"), id, "jpg"), format!("{id}.jpg"));
    }
}
