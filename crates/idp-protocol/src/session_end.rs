//! What happens when browser sessions end — by RP-initiated logout, by the operator
//! (`idp-admin user logout`), by a password change or by the user's removal:
//!
//! - every grant issued in the session without `offline_access` is revoked, and with it
//!   its refresh and access tokens (OIDC Core §11: a refresh token without
//!   `offline_access` must not outlive the session; Back-Channel Logout 1.0 §2.7). A
//!   client flagged `refresh_without_offline_access` got its refresh token without
//!   `offline_access`, so its grant is session-bound too. `offline_access` grants survive.
//! - every client that took part and registered a `backchannel_logout_uri` gets a logout
//!   token (§2.4), queued in the database and sent by a background worker outside the
//!   request ([`crate::Provider::logout_token`] signs it).
//! - the clients with a `frontchannel_logout_uri` are returned, for the signed-out page's
//!   iframes (Front-Channel Logout 1.0 §2, §4).

use chrono::{DateTime, Utc};
use idp_core::{
    Client, ClientId, EndedSession, LogoutClaims, LogoutDelivery, Scope, Store, UserId,
};

use crate::ProtocolError;

/// One ended session and what ending it did.
#[derive(Clone, Debug)]
pub struct EndedSessionReport {
    /// The session's `sid`.
    pub sid: String,
    /// The user who was signed in.
    pub user_id: Option<UserId>,
    /// The clients that took part in the session (one grant or more issued in it), by id.
    pub clients: Vec<Client>,
    /// How many session-bound grants were revoked.
    pub revoked_grants: usize,
    /// The clients a back-channel logout token was queued for.
    pub backchannel: Vec<ClientId>,
}

impl EndedSessionReport {
    /// The iframe URLs of Front-Channel Logout 1.0 §2 for this session's clients: each
    /// client's `frontchannel_logout_uri`, with `iss` and `sid` added when it set
    /// `frontchannel_logout_session_required` (§2). A URI that does not parse is left out.
    pub fn frontchannel_urls(&self, issuer: &str) -> Vec<String> {
        self.clients
            .iter()
            .filter_map(|c| {
                let uri = c.options.frontchannel_logout_uri.as_deref()?;
                let mut url = url::Url::parse(uri).ok()?;
                if c.options.frontchannel_logout_session_required {
                    url.query_pairs_mut()
                        .append_pair("iss", issuer)
                        .append_pair("sid", &self.sid);
                }
                Some(String::from(url))
            })
            .collect()
    }
}

/// Does what ending `ended` sessions entails (see the module documentation): revokes the
/// session-bound grants issued in them and queues back-channel logout tokens, all
/// stamped `now`. Anonymous sessions had no clients: they are reported with none.
///
/// # Errors
/// [`ProtocolError::Internal`] on storage failure (what was done before stays done: the
/// sessions are already ended).
pub(crate) fn conclude_sessions(
    store: &dyn Store,
    now: DateTime<Utc>,
    ended: Vec<EndedSession>,
) -> Result<Vec<EndedSessionReport>, ProtocolError> {
    let mut reports = Vec::with_capacity(ended.len());
    for session in ended {
        let mut report = EndedSessionReport {
            sid: session.sid,
            user_id: session.user_id,
            clients: Vec::new(),
            revoked_grants: 0,
            backchannel: Vec::new(),
        };
        let Some(user) = report.user_id.clone() else {
            reports.push(report);
            continue;
        };
        let grants = store.session_grants(&report.sid, &user)?;
        let mut deliveries = Vec::new();
        for grant in &grants {
            // OIDC Core §11: only offline_access lets a refresh token outlive the session.
            if !grant.scope.contains(Scope::OFFLINE_ACCESS) {
                store.revoke_grant(&grant.id, now)?;
                report.revoked_grants += 1;
            }
            if report.clients.iter().any(|c| c.id == grant.client_id) {
                continue;
            }
            let Some(client) = store.client(&grant.client_id)? else {
                continue;
            };
            if let Some(uri) = client.options.backchannel_logout_uri.clone() {
                // §2.4: sub and sid both (sid is what a client with
                // backchannel_logout_session_required needs; sub lets any client find
                // the user's sessions); a fresh jti; never a nonce.
                deliveries.push(LogoutDelivery {
                    id: idp_crypto::random_id(16)?,
                    client_id: client.id.clone(),
                    uri,
                    claims: LogoutClaims {
                        sub: Some(user.as_str().to_owned()),
                        sid: Some(report.sid.clone()),
                        jti: idp_crypto::random_id(16)?,
                    },
                    attempts: 0,
                    next_attempt_at: now,
                    created_at: now,
                });
                report.backchannel.push(client.id.clone());
            }
            report.clients.push(client);
        }
        if !deliveries.is_empty() {
            store.insert_logout_deliveries(&deliveries)?;
        }
        tracing::info!(
            sid = %report.sid,
            clients = report.clients.len(),
            revoked_grants = report.revoked_grants,
            backchannel = report.backchannel.len(),
            "session ended"
        );
        reports.push(report);
    }
    Ok(reports)
}
