//! Thin handlers for statistics.

use actix_web::{HttpResponse, get, web};

use super::dto::{CampaignStatsQuery, CampaignStatsResponse, OverviewQuery, OverviewResponse};
use super::{service, workbook};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, NotFound, ProblemBody, Unauthenticated};
use crate::http::ApiQuery;
use crate::meta::enums::StatsFormat;
use crate::state::AppState;

/// The caller's subtree at a glance: volunteers, active volunteers, activities by status,
/// approved minutes by local month, town and category (admins). Answered from aggregates kept
/// with every change, so it costs the same at a million records as at a thousand.
#[utoipa::path(
    tag = "statistics",
    params(OverviewQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OverviewResponse),
        (status = 400, description = "Invalid query: `team_id` (`not_found`; `required` of an admin of several separate organisations), `to` (`before_start`)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not an admin, or not of the organisation named", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/stats/overview")]
pub async fn stats_overview(
    user: AuthUser,
    state: web::Data<AppState>,
    query: ApiQuery<OverviewQuery>,
) -> ApiResult<web::Json<OverviewResponse>> {
    let query = query.0;
    state
        .read_as(user, move |conn, _, actor| {
            service::overview(conn, actor, query)
        })
        .await
        .map(web::Json)
}

/// A campaign's figures in the caller's subtree: every organisation with its activities,
/// distinct volunteers taking part, approved minutes and report; the same by town and by
/// category (admins).
#[utoipa::path(
    tag = "statistics",
    params(("id" = String, Path, description = "The campaign"), CampaignStatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures; a workbook with `format=xlsx`",
            content(
                (CampaignStatsResponse = "application/json"),
                (crate::files::dto::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )),
        (status = 400, description = "Invalid query: `team_id` (`not_found`; `required` of an admin of several separate organisations)", body = ProblemBody, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "Not an admin, or not of the organisation named", body = ProblemBody, content_type = "application/problem+json"),
        NotFound,
    )
)]
#[get("/campaigns/{id}/stats")]
pub async fn campaign_stats(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ApiQuery<CampaignStatsQuery>,
) -> ApiResult<HttpResponse> {
    let (campaign_id, query) = (id.into_inner(), query.0);
    let format = query.format.unwrap_or(StatsFormat::Json);
    let stats = state
        .read_as(user, move |conn, _, actor| {
            service::campaign(conn, actor, &campaign_id, query)
        })
        .await?;
    Ok(match format {
        StatsFormat::Json => HttpResponse::Ok().json(stats),
        StatsFormat::Xlsx => {
            let theme = stats.theme.clone();
            let bytes = web::block(move || workbook::campaign_workbook(&stats, &theme))
                .await
                .map_err(ApiError::internal)??;
            HttpResponse::Ok()
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header((
                    "Content-Disposition",
                    "attachment; filename=\"campaign-stats.xlsx\"",
                ))
                .insert_header(("Cache-Control", "no-store"))
                .body(bytes)
        }
    })
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(stats_overview).service(campaign_stats);
}
