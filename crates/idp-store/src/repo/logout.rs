use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{EndedSession, Grant, LogoutDelivery, LogoutRepo, Result, SecretDigest, UserId};

use super::run;
use crate::pool::WriteTransaction;
use crate::rows::{to_unix, GrantRow, LogoutDeliveryRow};
use crate::schema::{browser_sessions, grants, logout_deliveries};
use crate::DieselStore;

impl LogoutRepo for DieselStore {
    fn end_session(&self, digest: &SecretDigest) -> Result<Option<EndedSession>> {
        run(|| {
            with_conn!(self, conn => conn.write_transaction(|conn| {
                let found = browser_sessions::table
                    .find(digest.as_hex())
                    .select((browser_sessions::sid, browser_sessions::user_id))
                    .load::<(String, Option<String>)>(conn)?;
                let Some((sid, user_id)) = found.into_iter().next() else {
                    return Ok(None);
                };
                // Of concurrent logouts only the one whose delete removed the row reports it.
                let n = diesel::delete(browser_sessions::table.find(digest.as_hex()))
                    .execute(conn)?;
                Ok((n == 1).then(|| EndedSession { sid, user_id: user_id.map(UserId::new) }))
            }))
        })
    }

    fn end_sessions_of(&self, user: &UserId) -> Result<Vec<EndedSession>> {
        run(|| {
            with_conn!(self, conn => conn.write_transaction(|conn| {
                let found = browser_sessions::table
                    .filter(browser_sessions::user_id.eq(user.as_str()))
                    .select((browser_sessions::session_digest, browser_sessions::sid))
                    .load::<(String, String)>(conn)?;
                let mut ended = Vec::with_capacity(found.len());
                for (digest, sid) in found {
                    let n = diesel::delete(browser_sessions::table.find(&digest)).execute(conn)?;
                    if n == 1 {
                        ended.push(EndedSession { sid, user_id: Some(user.clone()) });
                    }
                }
                Ok(ended)
            }))
        })
    }

    fn session_grants(&self, sid: &str, user: &UserId) -> Result<Vec<Grant>> {
        run(|| {
            with_conn!(self, conn => {
                grants::table
                    .filter(grants::sid.eq(sid))
                    .filter(grants::user_id.eq(user.as_str()))
                    .filter(grants::revoked_at.is_null())
                    .order(grants::created_at)
                    .load::<GrantRow>(conn)?
                    .into_iter()
                    .map(GrantRow::into_domain)
                    .collect()
            })
        })
    }

    fn insert_logout_deliveries(&self, deliveries: &[LogoutDelivery]) -> Result<()> {
        run(|| {
            let rows = deliveries
                .iter()
                .map(LogoutDeliveryRow::from_domain)
                .collect::<std::result::Result<Vec<_>, _>>()?;
            with_conn!(self, conn => conn.write_transaction(|conn| {
                for row in &rows {
                    diesel::insert_into(logout_deliveries::table).values(row).execute(conn)?;
                }
                Ok(())
            }))
        })
    }

    fn claim_logout_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<LogoutDelivery>> {
        run(|| {
            with_conn!(self, conn => {
                let due = logout_deliveries::table
                    .filter(logout_deliveries::next_attempt_at.le(to_unix(now)))
                    .order(logout_deliveries::next_attempt_at)
                    .limit(i64::from(limit))
                    .load::<LogoutDeliveryRow>(conn)?;
                let mut claimed = Vec::with_capacity(due.len());
                for mut row in due {
                    // The lease: only the instance whose update still sees the value it
                    // read changes the row; any other finds it moved and skips it.
                    let n = diesel::update(
                        logout_deliveries::table
                            .find(&row.id)
                            .filter(logout_deliveries::next_attempt_at.eq(row.next_attempt_at)),
                    )
                    .set((
                        logout_deliveries::next_attempt_at.eq(to_unix(lease_until)),
                        logout_deliveries::attempts.eq(logout_deliveries::attempts + 1),
                    ))
                    .execute(conn)?;
                    if n == 1 {
                        row.attempts += 1;
                        row.next_attempt_at = to_unix(lease_until);
                        claimed.push(row.into_domain()?);
                    }
                }
                Ok(claimed)
            })
        })
    }

    fn retry_logout_delivery(&self, id: &str, at: DateTime<Utc>) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::update(logout_deliveries::table.find(id))
                    .set(logout_deliveries::next_attempt_at.eq(to_unix(at)))
                    .execute(conn)?;
                Ok(n > 0)
            })
        })
    }

    fn delete_logout_delivery(&self, id: &str) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::delete(logout_deliveries::table.find(id)).execute(conn)?;
                Ok(n > 0)
            })
        })
    }

    fn logout_deliveries(&self) -> Result<Vec<LogoutDelivery>> {
        run(|| {
            with_conn!(self, conn => {
                logout_deliveries::table
                    .order((logout_deliveries::created_at, logout_deliveries::id))
                    .load::<LogoutDeliveryRow>(conn)?
                    .into_iter()
                    .map(LogoutDeliveryRow::into_domain)
                    .collect()
            })
        })
    }
}
