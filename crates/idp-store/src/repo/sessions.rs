use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{
    AuthorizationRequestRepo, BrowserSession, PendingAuthorization, Result, SecretDigest,
    SessionRepo, UserId,
};

use super::{rows, run};
use crate::rows::{to_unix, PendingRow, SessionRow};
use crate::schema::{browser_sessions, pending_authorizations};
use crate::DieselStore;

impl SessionRepo for DieselStore {
    fn insert_session(&self, session: &BrowserSession) -> Result<()> {
        run(|| {
            let row = SessionRow::from_domain(session);
            with_conn!(self, conn => {
                diesel::insert_into(browser_sessions::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
    }

    fn session(&self, digest: &SecretDigest, now: DateTime<Utc>) -> Result<Option<BrowserSession>> {
        run(|| {
            with_conn!(self, conn => {
                browser_sessions::table
                    .find(digest.as_hex())
                    .filter(browser_sessions::expires_at.gt(to_unix(now)))
                    .load::<SessionRow>(conn)?
                    .into_iter()
                    .next()
                    .map(SessionRow::into_domain)
                    .transpose()
            })
        })
    }

    fn delete_sessions_of(&self, user: &UserId) -> Result<u64> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::delete(
                    browser_sessions::table.filter(browser_sessions::user_id.eq(user.as_str())),
                )
                .execute(conn)?;
                Ok(rows(n))
            })
        })
    }

    fn set_csrf_token(&self, digest: &SecretDigest, csrf_token: &str) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::update(browser_sessions::table.find(digest.as_hex()))
                    .set(browser_sessions::csrf_token.eq(csrf_token))
                    .execute(conn)?;
                Ok(n > 0)
            })
        })
    }

    fn delete_session(&self, digest: &SecretDigest) -> Result<()> {
        run(|| {
            with_conn!(self, conn => {
                diesel::delete(browser_sessions::table.find(digest.as_hex())).execute(conn)?;
                Ok(())
            })
        })
    }
}

impl AuthorizationRequestRepo for DieselStore {
    fn insert_pending(&self, pending: &PendingAuthorization) -> Result<()> {
        run(|| {
            let row = PendingRow::from_domain(pending)?;
            with_conn!(self, conn => {
                diesel::insert_into(pending_authorizations::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
    }

    fn pending(&self, id: &str, now: DateTime<Utc>) -> Result<Option<PendingAuthorization>> {
        run(|| {
            with_conn!(self, conn => {
                pending_authorizations::table
                    .find(id)
                    .filter(pending_authorizations::expires_at.gt(to_unix(now)))
                    .load::<PendingRow>(conn)?
                    .into_iter()
                    .next()
                    .map(PendingRow::into_domain)
                    .transpose()
            })
        })
    }

    fn delete_pending(&self, id: &str) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::delete(pending_authorizations::table.find(id)).execute(conn)?;
                Ok(n > 0)
            })
        })
    }
}
