//! HTML pages (askama templates, HTML-escaped) and browser redirects.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use idp_protocol::{ConsentForm, ErrorCode, FormPost, LoginForm, LogoutForm};

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
    scopes: Vec<(&'a str, &'a str)>,
    /// For a client identified by a metadata document: its URL, host and claimed home
    /// page (escaped like everything else; the logo is not shown: pages load nothing
    /// from other origins, and an image fetched from the client's host would tell it who
    /// is signing in).
    document: Option<(&'a str, &'a str, Option<&'a str>)>,
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    action: &'a str,
    csrf_token: &'a str,
    fields: &'a [(&'static str, String)],
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage<'a> {
    /// Front-Channel Logout 1.0 §2 iframes.
    frames: &'a [String],
    /// Where the browser continues (the post-logout redirection), if anywhere.
    next: Option<&'a str>,
    /// Seconds the page stays before continuing, so the iframes can load.
    delay: u32,
}

/// Seconds the signed-out page waits for the front-channel iframes before it continues to
/// the post-logout redirection URI.
const FRONTCHANNEL_DELAY_SECS: u32 = 2;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    code: &'a str,
    description: &'a str,
}

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage<'a> {
    action: &'a str,
    fields: &'a [(&'static str, String)],
    script: &'static str,
}

/// The content security policy of every page: only the inline style sheet.
const PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/// The one script of the form_post page, which submits its form.
pub(crate) const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

/// The form_post page's policy: [`PAGE_CSP`] plus exactly [`SUBMIT_SCRIPT`], allowed by
/// its SHA-256 hash (CSP Level 3 §2.3.1 hash-source; the end-to-end tests recompute it),
/// so no other script can run. No `form-action`: browsers apply it to the redirects that
/// follow the post too, which would break clients that redirect after their callback.
pub(crate) const FORM_POST_CSP: &str = "default-src 'none'; script-src 'sha256-8lDeP0UDwCO6/RhblgeH/ctdBzjVpJxrXizsnIk3cEQ='; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/// Headers every page carries: no caching, no framing (clickjacking), no referrer, and a
/// content security policy that allows only the inline style sheet.
pub(crate) fn html(status: StatusCode, body: String) -> HttpResponse {
    html_with_policy(status, body, PAGE_CSP)
}

fn html_with_policy(status: StatusCode, body: String, policy: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy.to_owned()))
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
            .map(|(s, d)| (s.as_str(), d.as_str()))
            .collect(),
        document: form
            .client_document
            .as_ref()
            .map(|d| (d.url.as_str(), d.host.as_str(), d.client_uri.as_deref())),
    };
    Ok(html(StatusCode::OK, page.render()?))
}

/// The logout confirmation (RP-Initiated Logout 1.0 §2): a form posting the logout
/// parameters back with the session's CSRF token and `confirm=yes`.
pub(crate) fn logout_confirm(action: &str, form: &LogoutForm) -> Result<HttpResponse, HttpError> {
    let page = LogoutPage {
        action,
        csrf_token: &form.csrf_token,
        fields: &form.fields,
    };
    Ok(html(StatusCode::OK, page.render()?))
}

/// The page after a logout without a post-logout redirection, or — when clients must be
/// told through the browser — before it: it frames each client's front-channel logout URL
/// (Front-Channel Logout 1.0 §2, §4) and then continues to `next` with a meta refresh and
/// a link (no script). Its policy allows framing exactly those URLs' origins.
pub(crate) fn signed_out(frames: &[String], next: Option<&str>) -> Result<HttpResponse, HttpError> {
    let frames: Vec<String> = frames
        .iter()
        .filter(|f| idp_protocol::web_origin(f).is_some())
        .cloned()
        .collect();
    let page = SignedOutPage {
        frames: &frames,
        next,
        delay: FRONTCHANNEL_DELAY_SECS,
    };
    let body = page.render()?;
    if frames.is_empty() {
        return Ok(html(StatusCode::OK, body));
    }
    let mut origins: Vec<String> = frames
        .iter()
        .filter_map(|f| idp_protocol::web_origin(f))
        .collect();
    origins.sort();
    origins.dedup();
    let policy = format!("{PAGE_CSP}; frame-src {}", origins.join(" "));
    Ok(html_with_policy(StatusCode::OK, body, &policy))
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

/// The authorization response as a form the browser posts to the client at once (OAuth
/// 2.0 Form Post Response Mode §2): its action is the redirect URI, the response
/// parameters are hidden fields (HTML-escaped by askama), a script submits it on load, and
/// a button does for browsers without JavaScript. `Cache-Control: no-store` like every
/// page: it carries codes and tokens.
pub(crate) fn form_post(form: &FormPost) -> Result<HttpResponse, HttpError> {
    let page = FormPostPage {
        action: &form.action,
        fields: &form.fields,
        script: SUBMIT_SCRIPT,
    };
    Ok(html_with_policy(
        StatusCode::OK,
        page.render()?,
        FORM_POST_CSP,
    ))
}

/// 303 See Other: the browser follows with GET, also after a form POST (RFC 9700 §4.12).
pub(crate) fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_post_page_escapes_its_fields_and_runs_only_the_allowed_script() {
        let form = FormPost {
            action: "https://rp.example/cb?a=1&b=2".into(),
            fields: vec![("state", "\"><script>x()</script>".into())],
        };
        let response = form_post(&form).unwrap();
        let header = |name| response.headers().get(name).unwrap().to_str().unwrap();
        assert_eq!(header(header::CACHE_CONTROL), "no-store");
        assert_eq!(header(header::CONTENT_SECURITY_POLICY), FORM_POST_CSP);
        let body = FormPostPage {
            action: &form.action,
            fields: &form.fields,
            script: SUBMIT_SCRIPT,
        }
        .render()
        .unwrap();
        assert!(
            body.contains(r#"action="https://rp.example/cb?a=1&#38;b=2""#),
            "{body}"
        );
        assert!(!body.contains("<script>x()"), "{body}");
        assert_eq!(body.matches("<script>").count(), 1, "{body}");
        assert!(body.contains(&format!("<script>{SUBMIT_SCRIPT}</script>")));
    }
}
