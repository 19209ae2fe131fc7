//! The web UI, embedded from `web/` at build time so the binary needs no files beside it.
//! Unknown `/api/` paths get the JSON 404; anything else falls back to the UI's index page.

use crate::error::ApiError;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/"]
struct Assets;

pub async fn static_or_api_not_found(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "route_not_found",
            format!("no endpoint {}", uri.path()),
        )
        .into_response();
    }
    // A ticket's status link (`/t/{token}`) and a tenant's public help center
    // (`/help/{slug}/…`) are their own small pages, outside the agents' app.
    let path = if path.starts_with("t/") {
        "status.html"
    } else if path == "help" || path.starts_with("help/") {
        "help.html"
    } else {
        path
    };
    let (file, name) = match Assets::get(path) {
        Some(file) if !path.is_empty() => (file, path),
        _ => match Assets::get("index.html") {
            Some(index) => (index, "index.html"),
            None => return ApiError::not_found("page").into_response(),
        },
    };
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let mut response = file.data.into_owned().into_response();
    if let Ok(value) = HeaderValue::from_str(mime.as_ref()) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    // Pages reference modules by plain names, so they must be revalidated rather than cached.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
