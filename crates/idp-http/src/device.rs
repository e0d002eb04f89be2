//! The device authorization grant's endpoints (RFC 8628): the device authorization
//! endpoint devices call, and the verification page people open in a browser.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use idp_protocol::{
    paths, DeviceConsentForm, DeviceInteraction, DeviceNext, Params, Provider, UserCodeForm,
};

use crate::endpoints::{blocking, client_request, finish_page, form_params, json_no_store};
use crate::error::Surface;
use crate::{pages, HttpError, HttpState};

/// Where the verification page's login form posts.
pub(crate) const DEVICE_LOGIN: &str = "/device/login";

#[derive(Template)]
#[template(path = "device_code.html")]
struct UserCodePage<'a> {
    action: &'a str,
    csrf_token: &'a str,
    user_code: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "device_consent.html")]
struct DeviceConsentPage<'a> {
    action: &'a str,
    csrf_token: &'a str,
    user_code: &'a str,
    client_name: &'a str,
    username: &'a str,
    scopes: Vec<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "device_done.html")]
struct DeviceDonePage<'a> {
    approved: bool,
    client_name: &'a str,
}

fn user_code_page(action: &str, form: &UserCodeForm) -> Result<HttpResponse, HttpError> {
    let page = UserCodePage {
        action,
        csrf_token: &form.csrf_token,
        user_code: &form.user_code,
        username: &form.username,
        error: form.error,
    };
    Ok(pages::html(StatusCode::OK, page.render()?))
}

fn consent_page(action: &str, form: &DeviceConsentForm) -> Result<HttpResponse, HttpError> {
    let page = DeviceConsentPage {
        action,
        csrf_token: &form.csrf_token,
        user_code: &form.user_code,
        client_name: &form.client_name,
        username: &form.username,
        scopes: form
            .scopes
            .iter()
            .map(|(s, d)| (s.as_str(), d.as_str()))
            .collect(),
    };
    Ok(pages::html(StatusCode::OK, page.render()?))
}

/// The verification page with `user_code` filled in.
fn verification_url(provider: &Provider, user_code: &str) -> String {
    let page = provider.config().endpoint(paths::DEVICE);
    if user_code.is_empty() {
        return page;
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("user_code", user_code)
        .finish();
    format!("{page}?{query}")
}

/// Renders a step of the verification page, setting a new session cookie if asked.
fn render(state: &HttpState, interaction: DeviceInteraction) -> Result<HttpResponse, HttpError> {
    let config = state.provider.config();
    let page = config.endpoint(paths::DEVICE);
    let response = match &interaction.next {
        DeviceNext::ShowLogin(form) => pages::login(&config.endpoint(DEVICE_LOGIN), form)?,
        DeviceNext::ShowCode(form) => user_code_page(&page, form)?,
        DeviceNext::ShowConsent(form) => consent_page(&page, form)?,
        DeviceNext::GoToVerification(code) => {
            pages::redirect(&verification_url(&state.provider, code))
        }
        DeviceNext::Decided {
            approved,
            client_name,
        } => {
            let done = DeviceDonePage {
                approved: *approved,
                client_name,
            };
            pages::html(StatusCode::OK, done.render()?)
        }
    };
    finish_page(
        state,
        response,
        interaction.set_session,
        interaction.retry_after,
    )
}

/// `POST /device_authorization` (RFC 8628 §3.1): the device codes as JSON, never cached.
pub(crate) async fn device_authorization(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let response = client_request(&state, &req, &body, Provider::device_authorization).await?;
    Ok(json_no_store(&response))
}

/// `GET /device[?user_code=…]` (RFC 8628 §3.3, §3.3.1).
pub(crate) async fn verification_get(
    state: web::Data<HttpState>,
    req: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let user_code = Params::parse_urlencoded(req.query_string().as_bytes())
        .get("user_code")
        .map(str::to_owned);
    let cookie = state.cookie.read(&req);
    let interaction = blocking(&state, Surface::Browser, move |p| {
        p.device_page(user_code.as_deref(), cookie.as_deref())
    })
    .await?;
    render(&state, interaction)
}

/// `POST /device`: the code form, and the approval form.
pub(crate) async fn verification_post(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let form = form_params(&req, &body, Surface::Browser)?;
    let cookie = state.cookie.read(&req);
    let address = state.proxies.client_address(&req);
    let interaction = blocking(&state, Surface::Browser, move |p| {
        p.submit_device_code(&form, cookie.as_deref(), address)
    })
    .await?;
    render(&state, interaction)
}

/// `POST /device/login`: signing in on the verification page; failed attempts are
/// counted as at `/login`.
pub(crate) async fn login_post(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let form = form_params(&req, &body, Surface::Browser)?;
    let cookie = state.cookie.read(&req);
    let address = state.proxies.client_address(&req);
    let interaction = blocking(&state, Surface::Browser, move |p| {
        p.submit_device_login(&form, cookie.as_deref(), address)
    })
    .await?;
    if interaction.retry_after.is_none()
        && matches!(&interaction.next, DeviceNext::ShowLogin(form) if form.error.is_some())
    {
        state.metrics.login_failed();
    }
    render(&state, interaction)
}
