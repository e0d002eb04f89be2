//! Domain values the store tests insert: one of each kind, with text that is not plain
//! ASCII where a backend could mangle it.

use idp_core::{
    AccessToken, AuthorizationCode, AuthorizationRequest, BrowserSession, ClientId, Grant, GrantId,
    NewTokens, PendingAuthorization, Prompt, RedirectUri, RefreshToken, ResponseMode, ResponseType,
    ScopeSet, SecretDigest, Subject, UserId,
};

use crate::t;

pub fn d(hex: &str) -> SecretDigest {
    SecretDigest::from_hex(hex)
}

pub fn grant(id: &str, subject: Subject) -> Grant {
    Grant {
        id: GrantId::new(id),
        client_id: ClientId::new("c1"),
        subject,
        scope: ScopeSet::parse("openid offline_access").unwrap(),
        auth_time: t(0),
        created_at: t(1),
        revoked_at: None,
        sid: None,
        resources: vec!["https://api.example/mcp".into(), "urn:example:api".into()],
    }
}

pub fn code(digest: &str, grant: &str) -> AuthorizationCode {
    AuthorizationCode {
        digest: d(digest),
        grant_id: GrantId::new(grant),
        redirect_uri: Some(RedirectUri::from_trusted("https://app.example/cb")),
        nonce: Some("n\u{e9}".into()),
        code_challenge: None,
        created_at: t(1),
        expires_at: t(61),
        used_at: None,
    }
}

pub fn tokens(access: &str, refresh: Option<&str>, grant: &str) -> NewTokens {
    NewTokens {
        access: AccessToken {
            digest: d(access),
            grant_id: GrantId::new(grant),
            scope: ScopeSet::parse("openid").unwrap(),
            created_at: t(2),
            expires_at: t(3602),
            revoked: false,
            audience: Some(vec!["https://api.example/mcp".into()]),
        },
        refresh: refresh.map(|r| RefreshToken {
            digest: d(r),
            grant_id: GrantId::new(grant),
            scope: ScopeSet::parse("openid offline_access").unwrap(),
            created_at: t(2),
            expires_at: t(86_400),
            used_at: None,
            revoked: false,
        }),
    }
}

pub fn session(digest: &str, user: Option<&str>) -> BrowserSession {
    BrowserSession {
        digest: d(digest),
        sid: format!("sid-{digest}"),
        user_id: user.map(UserId::new),
        auth_time: user.map(|_| t(0)),
        csrf_token: "csrf".into(),
        created_at: t(0),
        expires_at: t(1000),
    }
}

pub fn pending() -> PendingAuthorization {
    PendingAuthorization {
        id: "req1".into(),
        request: AuthorizationRequest {
            client_id: ClientId::new("c1"),
            redirect_uri: RedirectUri::from_trusted("https://app.example/cb"),
            redirect_uri_given: true,
            response_type: ResponseType::CODE_ID_TOKEN,
            response_mode: ResponseMode::FormPost,
            scope: ScopeSet::parse("openid email").unwrap(),
            state: Some("st\u{e9}\"'\\".into()),
            nonce: None,
            code_challenge: Some("abcS".into()),
            prompt: Prompt {
                none: false,
                login: true,
                consent: false,
            },
            max_age: Some(0),
            login_hint: Some("alice".into()),
            hinted_subject: Some(UserId::new("u1")),
            resources: vec!["https://api.example/mcp".into()],
        },
        browser_sid: "sid-1".into(),
        created_at: t(0),
        expires_at: t(900),
    }
}
