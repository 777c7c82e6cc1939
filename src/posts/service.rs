//! Feed rules: who may write an experience post (a volunteer who attended: checked out, or an
//! approved record of the activity), how many a day, what the public sees (visible posts
//! only), who hides (the organisation's admins, with a reason, audited) and who deletes (the
//! author). A post's images are public exactly while the post is.

use serde_json::json;

use super::ATTACHMENT_KIND;
use super::dto::{
    CreateNewsRequest, CreatePostRequest, HidePostRequest, IMAGES_MAX, NEWS_TEXT_MAX,
    NEWS_TITLE_MAX, POST_TEXT_MAX, PostQuery, PostResponse, REASON_MAX,
};
use super::model::Post;
use super::store::{self, FeedFilter};
use crate::activities::model::Activity;
use crate::activities::service as activities;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::campaigns::service as campaigns;
use crate::db::{DbConn, PooledConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::files::service::{self as files, Subject};
use crate::hours::service as hours;
use crate::ids::check_id;
use crate::meta::enums::{PostKind, PostStatus};
use crate::paging::{Page, page_request};
use crate::teams::service as teams;
use crate::time::{local_date, local_day_start, seconds_to_next_local_day, to_utc};
use crate::validation::required_text;
use crate::volunteers::id_number::mask_name;
use crate::volunteers::service as volunteers;

fn not_attended() -> ApiError {
    ApiError::conflict(
        "not_attended",
        Msg::new(
            "只有参加了该活动（已签退或有已审核的时数记录）的志愿者才能分享心得",
            "Only a volunteer who attended the activity (checked out, or holding an approved record of it) may post about it",
        ),
    )
}

fn already_hidden() -> ApiError {
    ApiError::conflict(
        "already_hidden",
        Msg::new("该动态已被屏蔽", "The post is hidden already"),
    )
}

fn view(p: Post) -> ApiResult<PostResponse> {
    Ok(PostResponse {
        images: serde_json::from_str(&p.images).map_err(ApiError::internal)?,
        id: p.id,
        kind: p.kind,
        team_id: p.team_id,
        activity_id: p.activity_id,
        campaign_id: p.campaign_id,
        volunteer_id: p.volunteer_id,
        author_name: p.author_name,
        title: p.title,
        text: p.content,
        status: p.status,
        hidden_reason: p.hidden_reason,
        created_at: to_utc(p.created_at),
    })
}

/// A post that exists for its readers (a deleted one does not).
fn find(conn: &mut DbConn, id: &str) -> ApiResult<Post> {
    check_id("id", id)?;
    store::find(conn, id)?
        .filter(|p| p.status != PostStatus::Deleted)
        .ok_or_else(ApiError::not_found)
}

/// The activity a body names (an unknown one is a problem with that field).
fn named_activity(conn: &mut DbConn, id: &str) -> ApiResult<Activity> {
    check_id("activity_id", id)?;
    activities::find(conn, id).map_err(|_| {
        ApiError::field(
            "activity_id",
            "not_found",
            Msg::new("活动不存在", "The activity does not exist"),
        )
    })
}

/// Stores a post with its images (public with it) in one transaction.
fn publish(
    conn: &mut PooledConn,
    post: Post,
    images: &[String],
    audit_entry: Option<(&Origin, &str)>,
) -> ApiResult<Post> {
    write_tx(conn, |tx| {
        store::insert(tx, &post)?;
        files::attach(
            tx,
            &Subject {
                kind: ATTACHMENT_KIND,
                id: &post.id,
                team_id: &post.team_id,
                public: true,
            },
            images,
        )?;
        if let Some((origin, action)) = audit_entry {
            audit::record(
                tx,
                origin,
                AuditEntry {
                    actor_id: &post.author_id,
                    action,
                    target_type: "post",
                    target_id: &post.id,
                    details: json!({"team_id": post.team_id}),
                },
            )?;
        }
        Ok(post)
    })
}

/// A volunteer's experience post about an activity they attended → visible at once; at most
/// `per_day` a local day (429 past it).
pub fn create(
    conn: &mut PooledConn,
    actor: &Actor,
    per_day: u32,
    req: CreatePostRequest,
) -> ApiResult<PostResponse> {
    policy::authorize(conn, actor, Action::WritePost)?;
    let volunteer_id = actor.volunteer_id.clone().ok_or_else(ApiError::forbidden)?;
    let activity = named_activity(conn, &req.activity_id)?;
    let mut errors = FieldErrors::default();
    let text = required_text(&mut errors, "text", &req.text, POST_TEXT_MAX);
    let images = req.images.unwrap_or_default();
    files::check_attachable(
        conn,
        &mut errors,
        actor,
        "images",
        (&images, IMAGES_MAX),
        None,
    )?;
    errors.into_result()?;
    let attended = activities::checked_out(conn, &activity.id, &volunteer_id)?
        || hours::has_approved_record_of(conn, &volunteer_id, &activity.id)?;
    if !attended {
        return Err(not_attended());
    }
    let at = now();
    let since = local_day_start(local_date(at));
    if store::written_since(conn, &volunteer_id, since)? >= i64::from(per_day) {
        return Err(ApiError::rate_limited(seconds_to_next_local_day(at)));
    }
    let holder = volunteers::holder(conn, &volunteer_id)?;
    let post = Post {
        id: new_id(),
        kind: PostKind::Experience,
        team_id: activity.team_id,
        activity_id: Some(activity.id),
        campaign_id: activity.campaign_id,
        volunteer_id: Some(volunteer_id),
        author_id: actor.account_id.clone(),
        author_name: mask_name(&holder.real_name),
        title: None,
        content: text,
        images: json!(images).to_string(),
        status: PostStatus::Visible,
        hidden_reason: None,
        hidden_by: None,
        hidden_at: None,
        created_at: at,
    };
    view(publish(conn, post, &images, None)?)
}

/// An organisation's news item (its admins) → visible at once, audited.
pub fn create_news(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
    req: CreateNewsRequest,
) -> ApiResult<PostResponse> {
    let team = teams::find(conn, team_id)?;
    policy::authorize(conn, actor, Action::ModeratePosts { team_id: &team.id })?;
    let mut errors = FieldErrors::default();
    let title = required_text(&mut errors, "title", &req.title, NEWS_TITLE_MAX);
    let text = required_text(&mut errors, "text", &req.text, NEWS_TEXT_MAX);
    let images = req.images.unwrap_or_default();
    files::check_attachable(
        conn,
        &mut errors,
        actor,
        "images",
        (&images, IMAGES_MAX),
        None,
    )?;
    let mut campaign_id = req.campaign_id;
    if let Some(id) = &campaign_id
        && !campaigns::exists(conn, id)?
    {
        errors.add(
            "campaign_id",
            "not_found",
            Msg::new("主题活动不存在", "The campaign does not exist"),
        );
    }
    if let Some(id) = &req.activity_id {
        match activities::of_team(conn, &team.id, std::slice::from_ref(id))?.is_empty() {
            true => errors.add(
                "activity_id",
                "unknown_activity",
                Msg::new("不是本组织的活动", "Not an activity of the organisation"),
            ),
            false => {
                if campaign_id.is_none() {
                    campaign_id = activities::find(conn, id)?.campaign_id;
                }
            }
        }
    }
    errors.into_result()?;
    let post = Post {
        id: new_id(),
        kind: PostKind::News,
        team_id: team.id,
        activity_id: req.activity_id,
        campaign_id,
        volunteer_id: None,
        author_id: actor.account_id.clone(),
        author_name: team.name,
        title: Some(title),
        content: text,
        images: json!(images).to_string(),
        status: PostStatus::Visible,
        hidden_reason: None,
        hidden_by: None,
        hidden_at: None,
        created_at: now(),
    };
    view(publish(
        conn,
        post,
        &images,
        Some((origin, "news.published")),
    )?)
}

/// The public feed: visible posts, newest first.
pub fn list(conn: &mut DbConn, query: PostQuery) -> ApiResult<Page<PostResponse>> {
    let page = page_request(query.page, query.per_page)?;
    for (field, id) in [
        ("activity_id", &query.activity_id),
        ("team_id", &query.team_id),
        ("campaign_id", &query.campaign_id),
        ("volunteer_id", &query.volunteer_id),
    ] {
        if let Some(id) = id {
            check_id(field, id)?;
        }
    }
    let filter = FeedFilter {
        kind: query.kind,
        activity_id: query.activity_id,
        team_id: query.team_id,
        campaign_id: query.campaign_id,
        volunteer_id: query.volunteer_id,
    };
    let (rows, total) = store::visible_page(conn, &filter, page.per_page, page.offset())?;
    let items = rows.into_iter().map(view).collect::<ApiResult<Vec<_>>>()?;
    Ok(Page::new(items, page, total))
}

/// Hides a post (admins of its organisation, with a reason, audited); its images leave the
/// public with it.
pub fn hide(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    req: HidePostRequest,
) -> ApiResult<PostResponse> {
    let post = find(conn, id)?;
    policy::authorize(
        conn,
        actor,
        Action::ModeratePosts {
            team_id: &post.team_id,
        },
    )?;
    let mut errors = FieldErrors::default();
    let reason = required_text(&mut errors, "reason", &req.reason, REASON_MAX);
    errors.into_result()?;
    let hidden = write_tx(conn, |tx| {
        let at = now();
        let moved = store::set_status(
            tx,
            id,
            PostStatus::Visible,
            PostStatus::Hidden,
            Some((&reason, &actor.account_id, at)),
        )?;
        if !moved {
            return Err(match find(tx, id)?.status {
                PostStatus::Hidden => already_hidden(),
                _ => ApiError::not_found(),
            });
        }
        files::set_public(tx, ATTACHMENT_KIND, id, false)?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "post.hidden",
                target_type: "post",
                target_id: id,
                details: json!({"reason": reason, "team_id": post.team_id}),
            },
        )?;
        find(tx, id)
    })?;
    view(hidden)
}

/// Deletes the caller's own post; its images leave the public with it.
pub fn delete(conn: &mut PooledConn, actor: &Actor, id: &str) -> ApiResult<()> {
    let post = find(conn, id)?;
    policy::authorize(
        conn,
        actor,
        Action::DeletePost {
            author_account_id: &post.author_id,
        },
    )?;
    write_tx(conn, |tx| {
        if !store::set_status(tx, id, post.status, PostStatus::Deleted, None)? {
            return Err(ApiError::not_found());
        }
        files::set_public(tx, ATTACHMENT_KIND, id, false)?;
        Ok(())
    })
}
