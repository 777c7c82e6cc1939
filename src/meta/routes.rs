use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use super::enums::{self, EnumDescription};
use super::towns::{TOWNS, Town};

#[derive(Serialize, ToSchema)]
pub struct EnumsResponse {
    pub items: Vec<EnumDescription>,
}

#[derive(Serialize, ToSchema)]
pub struct TownsResponse {
    pub items: Vec<Town>,
}

fn cacheable() -> CacheControl {
    CacheControl(vec![CacheDirective::Public, CacheDirective::MaxAge(3600)])
}

/// Every enum the API uses, with zh-CN and English labels.
#[utoipa::path(tag = "meta", responses((status = 200, body = EnumsResponse)))]
#[get("/meta/enums")]
pub async fn list_enums() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(cacheable())
        .json(EnumsResponse {
            items: enums::all(),
        })
}

/// Taishan's subdistrict and towns: the values `town` fields accept.
#[utoipa::path(tag = "meta", responses((status = 200, body = TownsResponse)))]
#[get("/meta/towns")]
pub async fn list_towns() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(cacheable())
        .json(TownsResponse {
            items: TOWNS.to_vec(),
        })
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_enums).service(list_towns);
}
