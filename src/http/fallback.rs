//! The default service: a path that exists under another method answers 405 with `Allow`,
//! anything else 404 — both as problem+json. The table comes from the OpenAPI document, which
//! is built from the same routes the app mounts, so the two cannot disagree.

use actix_web::dev::ResourceDef;
use actix_web::{HttpRequest, web};

use crate::error::ApiError;

pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<String>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> RouteTable {
        let mut routes: Vec<(ResourceDef, Vec<String>)> = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<String> = [
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
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".to_owned());
                }
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        routes.push((
            ResourceDef::new("/docs/{tail:.*}"),
            vec!["GET".to_owned(), "HEAD".to_owned()],
        ));
        RouteTable { routes }
    }

    /// The methods a path answers to, if it is a known path.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let methods: Vec<&str> = self
            .routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, m)| m.iter().map(String::as_str))
            .collect();
        (!methods.is_empty()).then(|| {
            let mut methods = methods;
            methods.dedup();
            methods.join(", ")
        })
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
