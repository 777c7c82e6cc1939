//! Uploads with real multipart bodies: the type judged by the content (a disguised file is
//! refused), the size limit enforced while streaming, the bytes stored once under their
//! SHA-256 and nothing left behind by a refused upload, the daily quota, and who may read.

mod common;

use actix_web::test::TestRequest;
use common::{BOUNDARY, PNG, TestApp, multipart};
use sha2::{Digest, Sha256};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn upload_body(app: &TestApp, token: &str, body: Vec<u8>) -> common::TestResponse {
    app.send(
        TestRequest::post()
            .uri("/api/v1/files")
            .insert_header(("authorization", format!("Bearer {token}")))
            .insert_header((
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            ))
            .set_payload(body),
    )
    .await
}

async fn upload(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> common::TestResponse {
    app.upload(token, name, bytes).await
}

async fn read(app: &TestApp, id: &str, token: Option<&str>) -> common::TestResponse {
    app.get(&format!("/api/v1/files/{id}"), token).await
}

/// Every stored blob and staging file under the files directory.
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![app.state.config.files_dir.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[actix_web::test]
async fn an_upload_is_stored_once_by_its_digest_and_read_back_by_its_uploader() {
    let app = TestApp::new().await;
    let alice = app.person(1).await;
    let bob = app.person(2).await;

    let res = upload(&app, &alice.token, "合照.png", PNG).await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let file = res.json();
    let digest = hex::encode(Sha256::digest(PNG));
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["size"], PNG.len());
    assert_eq!(file["sha256"], digest);
    assert_eq!(file["file_name"], "合照.png");
    let id = file["id"].as_str().unwrap();

    let res = read(&app, id, Some(&alice.token)).await;
    assert_eq!(res.status, 200);
    assert_eq!(&res.body[..], PNG);
    assert_eq!(res.header("content-type"), Some("image/png"));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        res.header("content-disposition"),
        Some("inline; filename*=UTF-8''%E5%90%88%E7%85%A7.png")
    );

    // Nobody else may know it exists while it is attached to nothing.
    read(&app, id, Some(&bob.token))
        .await
        .problem(404, "not_found");
    read(&app, id, None).await.problem(404, "not_found");

    // The same content again is a second upload (a row) over one stored copy.
    let again = upload(&app, &bob.token, "same.png", PNG).await;
    assert_eq!(again.status, 201);
    assert_ne!(again.json()["id"], file["id"]);
    let blobs = stored_files(&app);
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    assert!(blobs[0].ends_with(&digest));
    assert_eq!(app.count("files"), 2);

    // A PDF is offered as a download, named with its true extension.
    let res = upload(&app, &alice.token, "总结报告.html", PDF).await;
    assert_eq!(res.status, 201);
    assert_eq!(res.json()["content_type"], "application/pdf");
    assert_eq!(res.json()["file_name"], "总结报告.pdf");
    let res = read(&app, res.json()["id"].as_str().unwrap(), Some(&alice.token)).await;
    assert!(
        res.header("content-disposition")
            .unwrap()
            .starts_with("attachment; ")
    );
}

#[actix_web::test]
async fn disguised_oversized_and_malformed_uploads_are_refused_and_leave_nothing() {
    let app = TestApp::with_env(&[("ZHIYUAN_MAX_UPLOAD_BYTES", "1024")]).await;
    let alice = app.person(1).await;

    // An HTML page named like a picture.
    upload(
        &app,
        &alice.token,
        "photo.jpg",
        b"<html><script>alert(1)</script></html>",
    )
    .await
    .problem(415, "unsupported_file_type");
    // Past the limit: the body is larger than the limit (and declared so).
    let big = [PNG, &vec![0u8; 4096]].concat();
    upload(&app, &alice.token, "big.png", &big)
        .await
        .problem(413, "file_too_large");
    // Past the limit though declared small: cut off while streaming.
    app.send(
        TestRequest::post()
            .uri("/api/v1/files")
            .insert_header(("authorization", format!("Bearer {}", alice.token)))
            .insert_header((
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            ))
            .set_payload(multipart(&[("file", "big.png", &big)]))
            .insert_header(("content-length", "600")),
    )
    .await
    .problem(413, "file_too_large");

    // Not multipart at all; no part; a second file; a stray part.
    app.post("/api/v1/files", Some(&alice.token), &serde_json::json!({}))
        .await
        .problem(415, "unsupported_media_type");
    upload_body(&app, &alice.token, multipart(&[]))
        .await
        .problem(400, "malformed_multipart");
    upload_body(
        &app,
        &alice.token,
        multipart(&[("file", "a.png", PNG), ("file", "b.png", PNG)]),
    )
    .await
    .field_error("file", "duplicate");
    upload_body(&app, &alice.token, multipart(&[("photo", "a.png", PNG)]))
        .await
        .field_error("photo", "unexpected_part");
    upload_body(&app, &alice.token, b"--nonsense".to_vec())
        .await
        .problem(400, "malformed_multipart");
    // Without a token.
    upload_body(&app, "", multipart(&[("file", "a.png", PNG)]))
        .await
        .problem(401, "unauthenticated");

    assert_eq!(app.count("files"), 0);
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
}

#[actix_web::test]
async fn uploads_count_against_a_daily_quota_per_account() {
    let app = TestApp::with_env(&[("ZHIYUAN_UPLOADS_PER_DAY", "2")]).await;
    let alice = app.person(1).await;
    let bob = app.person(2).await;
    for _ in 0..2 {
        assert_eq!(upload(&app, &alice.token, "a.png", PNG).await.status, 201);
    }
    let res = upload(&app, &alice.token, "a.png", PNG).await;
    res.problem(429, "rate_limited");
    let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&wait), "{wait}");
    assert_eq!(upload(&app, &bob.token, "b.png", PNG).await.status, 201);
    assert_eq!(app.count("files"), 3);
}
