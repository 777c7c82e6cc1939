//! The default service: a path that exists under another method answers 405 with `Allow`,
//! anything else 404 — both as problem+json. The table comes from the OpenAPI document, which
//! is built from the same routes the app mounts, so the two cannot disagree.

use actix_web::dev::ResourceDef;
use actix_web::{HttpRequest, web};

use crate::error::ApiError;

pub struct RouteTable {
    /// Each documented path, its count of literal segments, and its methods.
    routes: Vec<(ResourceDef, usize, Vec<String>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> RouteTable {
        let mut routes: Vec<(ResourceDef, usize, Vec<String>)> = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods: Vec<String> = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(m, _)| m.to_owned())
                .collect();
                let literal = path
                    .split('/')
                    .filter(|s| !s.is_empty() && !s.starts_with('{'))
                    .count();
                (ResourceDef::new(path.as_str()), literal, methods)
            })
            .collect();
        routes.push((
            ResourceDef::new("/docs/{tail:.*}"),
            1,
            vec!["GET".to_owned()],
        ));
        RouteTable { routes }
    }

    /// The methods a path answers to, if it is a known path. Where several documented paths
    /// match (`/teams/{id}/members/me` and `/teams/{id}/members/{volunteer_id}`), the one with
    /// the most literal segments is the path's own, as it is for the router.
    pub fn allowed(&self, path: &str) -> Option<String> {
        self.routes
            .iter()
            .filter(|(def, _, _)| def.is_match(path))
            .max_by_key(|(_, literal, _)| *literal)
            .map(|(_, _, methods)| methods.join(", "))
    }
}

pub async fn not_found_or_method_not_allowed(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<actix_web::HttpResponse, ApiError> {
    // A path that is known for this very method but not mounted here (e.g. /metrics on its
    // own bind) is simply not found.
    Err(match table.allowed(req.path()) {
        Some(allow) if !allow.split(", ").any(|m| m == req.method().as_str()) => {
            ApiError::method_not_allowed(allow)
        }
        _ => ApiError::not_found(),
    })
}
