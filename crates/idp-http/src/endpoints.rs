//! Request handlers: parse, call the protocol on the blocking pool, render.

use std::sync::Arc;

use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use idp_protocol::{
    paths, Document, ErrorCode, Interaction, LogoutNext, Next, Params, ProtocolError, Provider,
    RetryAfter, SessionCookie,
};

use crate::error::Surface;
use crate::{pages, HttpError, HttpState};

/// Runs a protocol call off the async executor (storage and hashing are blocking).
pub(crate) async fn blocking<T, F>(
    state: &HttpState,
    surface: Surface,
    f: F,
) -> Result<T, HttpError>
where
    F: FnOnce(&Provider) -> Result<T, ProtocolError> + Send + 'static,
    T: Send + 'static,
{
    let provider = std::sync::Arc::clone(&state.provider);
    web::block(move || f(&provider))
        .await
        .map_err(|_| HttpError::Blocking(surface))?
        .map_err(|e| HttpError::Protocol(e, surface))
}

/// Whether the request declares a form body (RFC 6749 §3.2 requires it at the token
/// endpoint).
fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

pub(crate) fn form_params(
    req: &HttpRequest,
    body: &[u8],
    surface: Surface,
) -> Result<Params, HttpError> {
    if !is_form(req) {
        return Err(HttpError::BadRequest(
            "the body must be application/x-www-form-urlencoded",
            surface,
        ));
    }
    Ok(Params::parse_urlencoded(body))
}

pub(crate) fn json_no_store<T: serde::Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// Renders a step of the browser interaction, setting a new session cookie if asked.
fn render(state: &HttpState, interaction: Interaction) -> Result<HttpResponse, HttpError> {
    let config = state.provider.config();
    let response = match &interaction.next {
        Next::RedirectToClient(url) => pages::redirect(url),
        Next::PostToClient(form) => pages::form_post(form)?,
        Next::GoToLogin(id) => pages::redirect(&format!(
            "{}?request_id={id}",
            config.endpoint(paths::LOGIN)
        )),
        Next::GoToConsent(id) => pages::redirect(&format!(
            "{}?request_id={id}",
            config.endpoint(paths::CONSENT)
        )),
        Next::ShowLogin(form) => pages::login(&config.endpoint(paths::LOGIN), form)?,
        Next::ShowConsent(form) => pages::consent(&config.endpoint(paths::CONSENT), form)?,
    };
    finish_page(
        state,
        response,
        interaction.set_session,
        interaction.retry_after,
    )
}

/// A page of a browser interaction (authorization or device verification) as sent: with
/// the new session cookie when one was started, and `429`/`503` with `Retry-After` when
/// the step was throttled or the database was busy.
pub(crate) fn finish_page(
    state: &HttpState,
    mut response: HttpResponse,
    set_session: Option<SessionCookie>,
    retry_after: Option<RetryAfter>,
) -> Result<HttpResponse, HttpError> {
    if let Some(value) = set_session {
        response
            .add_cookie(&state.cookie.build(value))
            .map_err(|_| HttpError::Blocking(Surface::Browser))?;
    }
    if let Some(retry) = retry_after {
        let (status, secs) = match retry {
            RetryAfter::Throttled(secs) => (StatusCode::TOO_MANY_REQUESTS, secs),
            RetryAfter::Busy(secs) => (StatusCode::SERVICE_UNAVAILABLE, secs),
        };
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    Ok(response)
}

/// A document's bytes as a response body without copying them.
struct DocumentBody(Arc<Document>);

impl AsRef<[u8]> for DocumentBody {
    fn as_ref(&self) -> &[u8] {
        self.0.body()
    }
}

/// A public, cacheable JSON document, or 304 when the client holds this version
/// (RFC 9110 §13.1.2).
fn document(req: &HttpRequest, doc: Arc<Document>) -> HttpResponse {
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| doc.matches_if_none_match(v));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ETAG, doc.etag()));
    if fresh {
        response.finish()
    } else {
        response
            .insert_header(ContentType::json())
            .body(web::Bytes::from_owner(DocumentBody(doc)))
    }
}

/// `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`:
/// bytes serialised once, served with an `ETag`.
pub(crate) async fn metadata(
    state: web::Data<HttpState>,
    req: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    // Whether registration is on is a setting: answered from the settings cache when it
    // is fresh, else read on the blocking pool.
    let doc = match state.provider.cached_metadata_document() {
        Ok(Some(doc)) => doc,
        Ok(None) => blocking(&state, Surface::Api, Provider::metadata_document).await?,
        Err(e) => return Err(HttpError::api(e)),
    };
    Ok(document(&req, doc))
}

/// `GET /jwks.json`: from the key cache while it is fresh (no storage access on the
/// executor), else re-read on the blocking pool.
pub(crate) async fn jwks(
    state: web::Data<HttpState>,
    req: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let doc: Arc<Document> = match state.provider.cached_jwks_document() {
        Some(doc) => doc,
        None => blocking(&state, Surface::Api, Provider::jwks_document).await?,
    };
    Ok(document(&req, doc))
}

async fn authorize(
    state: &HttpState,
    req: &HttpRequest,
    params: Params,
) -> Result<HttpResponse, HttpError> {
    let cookie = state.cookie.read(req);
    let address = state.proxies.client_address(req);
    let interaction = blocking(state, Surface::Browser, move |p| {
        p.authorize_from(&params, cookie.as_deref(), address)
    })
    .await?;
    render(state, interaction)
}

/// `GET /authorize` (RFC 6749 §3.1).
pub(crate) async fn authorize_get(
    state: web::Data<HttpState>,
    req: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let params = Params::parse_urlencoded(req.query_string().as_bytes());
    authorize(&state, &req, params).await
}

/// `POST /authorize` (OIDC Core §3.1.2.1: form-serialized).
pub(crate) async fn authorize_post(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let params = form_params(&req, &body, Surface::Browser)?;
    authorize(&state, &req, params).await
}

fn request_id(req: &HttpRequest) -> String {
    Params::parse_urlencoded(req.query_string().as_bytes())
        .get("request_id")
        .unwrap_or("")
        .to_owned()
}

/// A page of the interaction, by parked request id from the query string.
type PageStep = fn(&Provider, &str, Option<&str>) -> Result<Interaction, ProtocolError>;
/// A form submission of the interaction.
type FormStep = fn(&Provider, &Params, Option<&str>) -> Result<Interaction, ProtocolError>;

async fn show(
    state: &HttpState,
    req: &HttpRequest,
    step: PageStep,
) -> Result<HttpResponse, HttpError> {
    let id = request_id(req);
    let cookie = state.cookie.read(req);
    let interaction = blocking(state, Surface::Browser, move |p| {
        step(p, &id, cookie.as_deref())
    })
    .await?;
    render(state, interaction)
}

async fn submit(
    state: &HttpState,
    req: &HttpRequest,
    body: &[u8],
    step: FormStep,
) -> Result<HttpResponse, HttpError> {
    let form = form_params(req, body, Surface::Browser)?;
    let cookie = state.cookie.read(req);
    let interaction = blocking(state, Surface::Browser, move |p| {
        step(p, &form, cookie.as_deref())
    })
    .await?;
    render(state, interaction)
}

/// `GET /login?request_id=…`.
pub(crate) async fn login_get(
    state: web::Data<HttpState>,
    req: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    show(&state, &req, Provider::login_page).await
}

/// `POST /login`: failed attempts are counted per username and per client address.
pub(crate) async fn login_post(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let form = form_params(&req, &body, Surface::Browser)?;
    let cookie = state.cookie.read(&req);
    let address = state.proxies.client_address(&req);
    let interaction = blocking(&state, Surface::Browser, move |p| {
        p.submit_login(&form, cookie.as_deref(), address)
    })
    .await?;
    if interaction.retry_after.is_none()
        && matches!(&interaction.next, Next::ShowLogin(form) if form.error.is_some())
    {
        state.metrics.login_failed();
    }
    render(&state, interaction)
}

/// `GET /consent?request_id=…`.
pub(crate) async fn consent_get(
    state: web::Data<HttpState>,
    req: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    show(&state, &req, Provider::consent_page).await
}

/// `POST /consent`.
pub(crate) async fn consent_post(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    submit(&state, &req, &body, Provider::submit_consent).await
}

/// A form-encoded request of an authenticating client (token, introspection and
/// revocation endpoints): `call` gets the parameters and the `Authorization` header
/// (RFC 6749 §2.3.1) on the blocking pool.
pub(crate) async fn client_request<T, F>(
    state: &HttpState,
    req: &HttpRequest,
    body: &web::Bytes,
    call: F,
) -> Result<T, HttpError>
where
    F: FnOnce(&Provider, &Params, Option<&str>) -> Result<T, ProtocolError> + Send + 'static,
    T: Send + 'static,
{
    let params = form_params(req, body, Surface::Api)?;
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    blocking(state, Surface::Api, move |p| {
        call(p, &params, authorization.as_deref())
    })
    .await
}

/// `POST /token` (RFC 6749 §3.2).
pub(crate) async fn token(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let answer = client_request(&state, &req, &body, |p, params, auth| {
        let grant_type = params.get("grant_type").unwrap_or_default().to_owned();
        p.token(params, auth).map(|response| (response, grant_type))
    })
    .await;
    let (response, grant_type) =
        match answer {
            // RFC 6749 §5.2: 400 for every token error but invalid_client — access_denied
            // too (RFC 8628 §3.5), which other JSON endpoints answer 403.
            Err(HttpError::Protocol(
                ProtocolError::Rejected {
                    code: code @ ErrorCode::AccessDenied,
                    description,
                    ..
                },
                _,
            )) => return Ok(HttpResponse::BadRequest()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(
                    serde_json::json!({ "error": code.as_str(), "error_description": description }),
                )),
            other => other?,
        };
    state.metrics.token_issued(&grant_type);
    Ok(json_no_store(&response))
}

/// `POST /introspect` (RFC 7662 §2): the token's state as JSON, never cached.
pub(crate) async fn introspect(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let response = client_request(&state, &req, &body, Provider::introspect).await?;
    Ok(json_no_store(&response))
}

/// `POST /revoke` (RFC 7009 §2): `200` with an empty body, also for unknown tokens.
pub(crate) async fn revoke(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    client_request(&state, &req, &body, Provider::revoke).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// The bearer token of an `Authorization` header (RFC 6750 §2.1).
fn bearer_header(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

async fn userinfo(state: &HttpState, token: Option<String>) -> Result<HttpResponse, HttpError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        // RFC 6750 §3.1: no credentials → a challenge without an error code.
        return Ok(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .finish());
    };
    // A token check is one indexed read: answered right here when a connection is idle
    // (no hand-off to the blocking pool, which costs more than the query), else there.
    let claims = match state.provider.userinfo_immediate(&token) {
        Ok(Some(claims)) => claims,
        Ok(None) => blocking(state, Surface::Api, move |p| p.userinfo(&token)).await?,
        Err(e) => return Err(HttpError::api(e)),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(ContentType::json())
        .json(claims))
}

/// `GET /userinfo` (OIDC Core §5.3.1).
pub(crate) async fn userinfo_get(
    state: web::Data<HttpState>,
    req: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    userinfo(&state, bearer_header(&req)).await
}

/// `POST /userinfo`: the token in the header, or as the form parameter `access_token`
/// (RFC 6750 §2.2) — not both (RFC 6750 §2).
pub(crate) async fn userinfo_post(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let header_token = bearer_header(&req);
    let form_token = if is_form(&req) {
        let form = Params::parse_urlencoded(&body);
        if form.is_duplicated("access_token") {
            return Err(HttpError::api(ProtocolError::bearer(
                ErrorCode::InvalidRequest,
                "send the access token once",
            )));
        }
        form.get("access_token").map(str::to_owned)
    } else {
        None
    };
    let token = match (header_token, form_token) {
        (Some(_), Some(_)) => {
            return Err(HttpError::api(ProtocolError::bearer(
                ErrorCode::InvalidRequest,
                "send the access token once",
            )))
        }
        (h, f) => h.or(f),
    };
    userinfo(&state, token).await
}

/// The end-session endpoint for `params` (RP-Initiated Logout 1.0 §2): a redirect to the
/// client, the signed-out page or the confirmation page, with the session cookie set or
/// cleared as the protocol says.
async fn logout(
    state: &HttpState,
    req: &HttpRequest,
    params: Params,
    posted: bool,
) -> Result<HttpResponse, HttpError> {
    let cookie = state.cookie.read(req);
    let logout = blocking(state, Surface::Browser, move |p| {
        p.end_session(&params, cookie.as_deref(), posted)
    })
    .await?;
    let mut response = match &logout.next {
        LogoutNext::Redirect(url) if logout.frontchannel.is_empty() => pages::redirect(url),
        // Front-Channel Logout §4: the iframes first, then on to the client.
        LogoutNext::Redirect(url) => pages::signed_out(&logout.frontchannel, Some(url))?,
        LogoutNext::SignedOut => pages::signed_out(&logout.frontchannel, None)?,
        LogoutNext::Confirm(form) => {
            pages::logout_confirm(&state.provider.config().endpoint(paths::LOGOUT), form)?
        }
    };
    let set_cookie = match logout.set_session {
        Some(value) => Some(state.cookie.build(value)),
        None if logout.clear_session => Some(state.cookie.clear()),
        None => None,
    };
    if let Some(c) = set_cookie {
        response
            .add_cookie(&c)
            .map_err(|_| HttpError::Blocking(Surface::Browser))?;
    }
    Ok(response)
}

/// `GET /logout` (RP-Initiated Logout 1.0 §2).
pub(crate) async fn logout_get(
    state: web::Data<HttpState>,
    req: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let params = Params::parse_urlencoded(req.query_string().as_bytes());
    logout(&state, &req, params, false).await
}

/// `POST /logout`: a form-serialized logout request (§2), or the confirmation form.
pub(crate) async fn logout_post(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let params = form_params(&req, &body, Surface::Browser)?;
    logout(&state, &req, params, true).await
}

/// A registration answer: JSON, never cached (it carries credentials).
fn registration_json(
    status: StatusCode,
    body: &idp_protocol::RegistrationResponse,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// Whether the request declares a JSON body (RFC 7591 §3.1).
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// `POST /register` (RFC 7591 §3): 201 with the client's credentials and metadata.
pub(crate) async fn register(
    state: web::Data<HttpState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    if !is_json(&req) {
        return Err(HttpError::api(ProtocolError::InvalidMetadata {
            code: ErrorCode::InvalidClientMetadata,
            description: "the body must be application/json".into(),
        }));
    }
    let bearer = bearer_header(&req);
    let address = state.proxies.client_address(&req);
    let response = blocking(&state, Surface::Api, move |p| {
        p.register(&body, bearer.as_deref(), address)
    })
    .await?;
    Ok(registration_json(StatusCode::CREATED, &response))
}

/// `GET /register/{client_id}` (RFC 7592 §2.1).
pub(crate) async fn registration_get(
    state: web::Data<HttpState>,
    req: HttpRequest,
    client_id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let bearer = bearer_header(&req);
    let id = client_id.into_inner();
    let response = blocking(&state, Surface::Api, move |p| {
        p.read_registration(&id, bearer.as_deref())
    })
    .await?;
    Ok(registration_json(StatusCode::OK, &response))
}

/// `PUT /register/{client_id}` (RFC 7592 §2.2).
pub(crate) async fn registration_put(
    state: web::Data<HttpState>,
    req: HttpRequest,
    client_id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let bearer = bearer_header(&req);
    let id = client_id.into_inner();
    let json = is_json(&req);
    let response = blocking(&state, Surface::Api, move |p| {
        // The token first: without it, say nothing about the body.
        if !json {
            p.read_registration(&id, bearer.as_deref())?;
            return Err(ProtocolError::InvalidMetadata {
                code: ErrorCode::InvalidClientMetadata,
                description: "the body must be application/json".into(),
            });
        }
        p.update_registration(&id, bearer.as_deref(), &body)
    })
    .await?;
    Ok(registration_json(StatusCode::OK, &response))
}

/// `DELETE /register/{client_id}` (RFC 7592 §2.3): 204.
pub(crate) async fn registration_delete(
    state: web::Data<HttpState>,
    req: HttpRequest,
    client_id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let bearer = bearer_header(&req);
    let id = client_id.into_inner();
    blocking(&state, Surface::Api, move |p| {
        p.delete_registration(&id, bearer.as_deref())
    })
    .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
