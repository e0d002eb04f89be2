use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{MaintenanceRepo, Result};

use super::{rows, run};
use crate::rows::to_unix;
use crate::schema::{
    access_tokens, authorization_codes, browser_sessions, pending_authorizations, refresh_tokens,
};
use crate::DieselStore;

impl MaintenanceRepo for DieselStore {
    fn purge_expired(&self, now: DateTime<Utc>, codes_before: DateTime<Utc>) -> Result<u64> {
        run(|| {
            let now = to_unix(now);
            with_conn!(self, conn => {
                let mut n = 0;
                n += diesel::delete(browser_sessions::table.filter(browser_sessions::expires_at.le(now)))
                    .execute(conn)?;
                n += diesel::delete(
                    pending_authorizations::table.filter(pending_authorizations::expires_at.le(now)),
                )
                .execute(conn)?;
                n += diesel::delete(access_tokens::table.filter(access_tokens::expires_at.le(now)))
                    .execute(conn)?;
                n += diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.le(now)))
                    .execute(conn)?;
                n += diesel::delete(
                    authorization_codes::table
                        .filter(authorization_codes::expires_at.le(to_unix(codes_before))),
                )
                .execute(conn)?;
                Ok(rows(n))
            })
        })
    }
}
