//! The feed: experience posts only from volunteers who attended, a daily limit, news items by
//! organisations' admins, the public list with its filters, moderation (hidden posts and
//! their images leave public reads, audited) and authors deleting their own.

mod common;

use common::{TestApp, World};
use serde_json::{Value, json};

/// A published activity of T under way now.
async fn activity(app: &TestApp, w: &World, campaign: Option<&str>) -> String {
    let now = chrono::Utc::now();
    let res = app
        .post(
            "/api/v1/activities",
            Some(&w.team_admin.token),
            &json!({"team_id": w.team, "campaign_id": campaign, "title": "社区清洁",
                    "category": "community_service",
                    "starts_at": (now - chrono::Duration::hours(2)).to_rfc3339(),
                    "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
                    "signup_deadline": (now + chrono::Duration::hours(1)).to_rfc3339(),
                    "capacity": 10}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/v1/activities/{id}/publish"),
            Some(&w.team_admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200);
    id
}

/// The member signs up, and T's admin checks them in and out.
async fn attend(app: &TestApp, w: &World, activity: &str) {
    let res = app
        .post(
            &format!("/api/v1/activities/{activity}/signups"),
            Some(&w.member.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    for step in ["checkin", "checkout"] {
        let res = app
            .post(
                &format!("/api/v1/activities/{activity}/{step}"),
                Some(&w.team_admin.token),
                &json!({"volunteer_id": w.member.volunteer_id}),
            )
            .await;
        assert_eq!(
            res.status,
            200,
            "{step}: {}",
            String::from_utf8_lossy(&res.body)
        );
    }
}

async fn post(
    app: &TestApp,
    token: &str,
    activity: &str,
    text: &str,
    images: Value,
) -> common::TestResponse {
    app.post(
        "/api/v1/posts",
        Some(token),
        &json!({"activity_id": activity, "text": text, "images": images}),
    )
    .await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn attendees_post_and_the_public_reads_them_newest_first() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let res = app
        .post(
            "/api/v1/campaigns",
            Some(&w.fed),
            &json!({"theme": "学雷锋", "starts_on": "2026-01-01", "ends_on": "2099-12-31"}),
        )
        .await;
    let campaign = res.json()["id"].as_str().unwrap().to_owned();
    let a = activity(&app, &w, Some(&campaign)).await;

    // Not attended yet (not even signed up): refused, nothing stored.
    post(&app, &w.member.token, &a, "很有意义", json!([]))
        .await
        .problem(409, "not_attended");
    post(&app, &w.outsider.token, &a, "我也来", json!([]))
        .await
        .problem(409, "not_attended");
    assert_eq!(app.count("posts"), 0);

    attend(&app, &w, &a).await;
    let photo = app.uploaded_png(&w.member.token).await;
    let res = post(
        &app,
        &w.member.token,
        &a,
        "  第一次参加社区清洁，很有意义 ",
        json!([photo]),
    )
    .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let first = res.json();
    assert_eq!(first["kind"], "experience");
    assert_eq!(first["text"], "第一次参加社区清洁，很有意义");
    assert_eq!(first["team_id"], json!(w.team));
    assert_eq!(first["campaign_id"], json!(campaign));
    assert_eq!(first["volunteer_id"], json!(w.member.volunteer_id));
    let author = first["author_name"].as_str().unwrap();
    assert!(author.contains('*'), "{author}");
    // The image is public with the post.
    let image = format!("/api/v1/files/{photo}");
    assert_eq!(app.get(&image, None).await.status, 200);

    // A picture someone else uploaded, and text out of bounds, are field problems.
    let foreign = app.uploaded_png(&w.outsider.token).await;
    post(&app, &w.member.token, &a, "再来一张", json!([foreign]))
        .await
        .field_error("images[0]", "unknown_file");
    post(&app, &w.member.token, &a, &"长".repeat(2001), json!([]))
        .await
        .field_error("text", "too_long");

    let news = app
        .post(
            &format!("/api/v1/teams/{}/news", w.team),
            Some(&w.team_admin.token),
            &json!({"title": "清洁活动圆满完成", "text": "共 12 名志愿者参加", "activity_id": a}),
        )
        .await;
    assert_eq!(news.status, 201, "{}", String::from_utf8_lossy(&news.body));
    let news = news.json();
    assert_eq!(news["kind"], "news");
    assert_eq!(news["campaign_id"], json!(campaign), "from the activity");
    assert_eq!(news["author_name"], "志愿服务队 1");
    app.post(
        &format!("/api/v1/teams/{}/news", w.team),
        Some(&w.sibling_admin.token),
        &json!({"title": "代发", "text": "不行"}),
    )
    .await
    .problem(403, "forbidden");

    // Anyone reads the feed, newest first, with its filters.
    let all = app.get("/api/v1/posts", None).await.json();
    assert_eq!(
        ids(&all),
        vec![news["id"].as_str().unwrap(), first["id"].as_str().unwrap()]
    );
    let experience = app.get("/api/v1/posts?kind=experience", None).await.json();
    assert_eq!(ids(&experience), vec![first["id"].as_str().unwrap()]);
    for filter in [
        format!("activity_id={a}"),
        format!("team_id={}", w.team),
        format!("campaign_id={campaign}"),
    ] {
        let page = app
            .get(&format!("/api/v1/posts?{filter}"), None)
            .await
            .json();
        assert_eq!(page["total"], 2, "{filter}");
    }
    let by_volunteer = app
        .get(
            &format!("/api/v1/posts?volunteer_id={}", w.member.volunteer_id),
            None,
        )
        .await
        .json();
    assert_eq!(by_volunteer["total"], 1);
    let elsewhere = app
        .get(&format!("/api/v1/posts?team_id={}", w.sibling), None)
        .await
        .json();
    assert_eq!(elsewhere["total"], 0);
    app.get("/api/v1/posts?team_id=nope", None)
        .await
        .field_error("team_id", "invalid_id");
}

#[actix_web::test]
async fn hidden_and_deleted_posts_leave_the_feed_with_their_images() {
    let app = TestApp::new().await;
    let w = app.world(1).await;
    let a = activity(&app, &w, None).await;
    attend(&app, &w, &a).await;
    let photo = app.uploaded_png(&w.member.token).await;
    let hidden = post(&app, &w.member.token, &a, "有广告", json!([photo]))
        .await
        .json();
    let kept = post(&app, &w.member.token, &a, "正常的心得", json!([]))
        .await
        .json();
    let hidden_id = hidden["id"].as_str().unwrap();
    let hide = format!("/api/v1/posts/{hidden_id}/hide");

    // Only admins of the activity's organisation moderate.
    app.post(
        &hide,
        Some(&w.sibling_admin.token),
        &json!({"reason": "广告"}),
    )
    .await
    .problem(403, "forbidden");
    app.post(&hide, Some(&w.member.token), &json!({"reason": "广告"}))
        .await
        .problem(403, "forbidden");
    app.post(&hide, Some(&w.team_admin.token), &json!({"reason": " "}))
        .await
        .field_error("reason", "required");
    let res = app
        .post(
            &hide,
            Some(&w.parent_admin.token),
            &json!({"reason": "含广告内容"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["status"], "hidden");
    assert_eq!(res.json()["hidden_reason"], "含广告内容");
    app.post(
        &hide,
        Some(&w.team_admin.token),
        &json!({"reason": "again"}),
    )
    .await
    .problem(409, "already_hidden");
    let log = app
        .get("/api/v1/audit-events?action=post.hidden", Some(&w.fed))
        .await
        .json();
    assert_eq!(log["total"], 1);

    let feed = app.get("/api/v1/posts", None).await.json();
    assert_eq!(ids(&feed), vec![kept["id"].as_str().unwrap()]);
    let image = format!("/api/v1/files/{photo}");
    app.get(&image, None).await.problem(404, "not_found");
    app.get(&image, Some(&w.outsider.token))
        .await
        .problem(404, "not_found");
    // Its uploader and the organisation's admins still may.
    assert_eq!(app.get(&image, Some(&w.member.token)).await.status, 200);
    assert_eq!(app.get(&image, Some(&w.team_admin.token)).await.status, 200);

    // Authors delete their own; nobody else can.
    let kept_id = kept["id"].as_str().unwrap();
    app.delete(
        &format!("/api/v1/posts/{kept_id}"),
        Some(&w.team_admin.token),
    )
    .await
    .problem(404, "not_found");
    let res = app
        .delete(&format!("/api/v1/posts/{kept_id}"), Some(&w.member.token))
        .await;
    assert_eq!(res.status, 204);
    app.delete(&format!("/api/v1/posts/{kept_id}"), Some(&w.member.token))
        .await
        .problem(404, "not_found");
    assert_eq!(app.get("/api/v1/posts", None).await.json()["total"], 0);
}

#[actix_web::test]
async fn a_volunteer_posts_at_most_the_daily_limit() {
    let app = TestApp::with_env(&[("ZHIYUAN_POSTS_PER_DAY", "3")]).await;
    let w = app.world(1).await;
    let a = activity(&app, &w, None).await;
    attend(&app, &w, &a).await;
    for i in 0..3 {
        let res = post(&app, &w.member.token, &a, &format!("心得 {i}"), json!([])).await;
        assert_eq!(res.status, 201);
    }
    let res = post(&app, &w.member.token, &a, "第四篇", json!([])).await;
    res.problem(429, "rate_limited");
    assert!(res.header("retry-after").is_some());
    assert_eq!(app.count("posts"), 3);
}
