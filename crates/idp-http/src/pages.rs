//! HTML pages (askama templates, HTML-escaped) and browser redirects.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use idp_protocol::{ConsentForm, ErrorCode, LoginForm};

use crate::HttpError;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    action: &'a str,
    client_name: &'a str,
    csrf_token: &'a str,
    request_id: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    action: &'a str,
    client_name: &'a str,
    csrf_token: &'a str,
    request_id: &'a str,
    username: &'a str,
    scopes: Vec<(&'a str, &'static str)>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    code: &'a str,
    description: &'a str,
}

/// What granting a scope means, in words a person understands.
fn describe_scope(scope: &str) -> &'static str {
    match scope {
        "openid" => "know who you are (your account identifier)",
        "profile" => "see your name and username",
        "email" => "see your e-mail address",
        "offline_access" => "keep access while you are away",
        _ => "access granted under this name",
    }
}

/// Headers every page carries: no caching, no framing (clickjacking), no referrer, and a
/// content security policy that allows only the inline style sheet.
fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(body)
}

pub(crate) fn login(action: &str, form: &LoginForm) -> Result<HttpResponse, HttpError> {
    let page = LoginPage {
        action,
        client_name: &form.client_name,
        csrf_token: &form.csrf_token,
        request_id: &form.request_id,
        username: form.username.as_deref().unwrap_or(""),
        error: form.error,
    };
    Ok(html(StatusCode::OK, page.render()?))
}

pub(crate) fn consent(action: &str, form: &ConsentForm) -> Result<HttpResponse, HttpError> {
    let page = ConsentPage {
        action,
        client_name: &form.client_name,
        csrf_token: &form.csrf_token,
        request_id: &form.request_id,
        username: &form.username,
        scopes: form
            .scopes
            .iter()
            .map(|s| (s.as_str(), describe_scope(s)))
            .collect(),
    };
    Ok(html(StatusCode::OK, page.render()?))
}

pub(crate) fn error_page(status: StatusCode, code: ErrorCode, description: &str) -> HttpResponse {
    let page = ErrorPage {
        code: code.as_str(),
        description,
    };
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "error page rendering failed");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(description.to_owned())
        }
    }
}

/// 303 See Other: the browser follows with GET, also after a form POST (RFC 9700 §4.12).
pub(crate) fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
