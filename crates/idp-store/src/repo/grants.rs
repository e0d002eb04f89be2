use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{
    AccessToken, AuthorizationCode, CodeRepo, ConsumeOutcome, GrantId, RefreshToken, Result,
    SecretDigest, TokenRepo,
};

use super::run;
use crate::rows::{to_unix, AccessTokenRow, CodeRow, RefreshTokenRow};
use crate::schema::{access_tokens, authorization_codes, refresh_tokens};
use crate::{DieselStore, StoreError};

/// Classifies a redemption from how many rows the conditional update changed and the
/// row as it stands afterwards.
fn outcome<T>(updated: usize, row: Option<T>) -> ConsumeOutcome<T> {
    match (updated, row) {
        (_, None) => ConsumeOutcome::Unknown,
        (0, Some(r)) => ConsumeOutcome::AlreadyUsed(r),
        (_, Some(r)) => ConsumeOutcome::Consumed(r),
    }
}

fn map_outcome<R, T>(
    o: ConsumeOutcome<R>,
    f: impl FnOnce(R) -> std::result::Result<T, StoreError>,
) -> std::result::Result<ConsumeOutcome<T>, StoreError> {
    Ok(match o {
        ConsumeOutcome::Consumed(r) => ConsumeOutcome::Consumed(f(r)?),
        ConsumeOutcome::AlreadyUsed(r) => ConsumeOutcome::AlreadyUsed(f(r)?),
        ConsumeOutcome::Unknown => ConsumeOutcome::Unknown,
    })
}

impl CodeRepo for DieselStore {
    fn insert_code(&self, code: &AuthorizationCode) -> Result<()> {
        run(|| {
            let row = CodeRow::from_domain(code);
            with_conn!(self, conn => {
                diesel::insert_into(authorization_codes::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
    }

    fn consume_code(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
    ) -> Result<ConsumeOutcome<AuthorizationCode>> {
        run(|| {
            with_conn!(self, conn => {
                // Single use by a conditional UPDATE: of two concurrent redemptions exactly
                // one changes the row.
                let updated = diesel::update(
                    authorization_codes::table
                        .find(digest.as_hex())
                        .filter(authorization_codes::used_at.is_null()),
                )
                .set(authorization_codes::used_at.eq(Some(to_unix(now))))
                .execute(conn)?;
                let row = authorization_codes::table
                    .find(digest.as_hex())
                    .first::<CodeRow>(conn)
                    .optional()?;
                map_outcome(outcome(updated, row), CodeRow::into_domain)
            })
        })
    }
}

impl TokenRepo for DieselStore {
    fn insert_access_token(&self, token: &AccessToken) -> Result<()> {
        run(|| {
            let row = AccessTokenRow::from_domain(token);
            with_conn!(self, conn => {
                diesel::insert_into(access_tokens::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
    }

    fn access_token(&self, digest: &SecretDigest) -> Result<Option<AccessToken>> {
        run(|| {
            with_conn!(self, conn => {
                access_tokens::table
                    .find(digest.as_hex())
                    .first::<AccessTokenRow>(conn)
                    .optional()?
                    .map(AccessTokenRow::into_domain)
                    .transpose()
            })
        })
    }

    fn insert_refresh_token(&self, token: &RefreshToken) -> Result<()> {
        run(|| {
            let row = RefreshTokenRow::from_domain(token);
            with_conn!(self, conn => {
                diesel::insert_into(refresh_tokens::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
    }

    fn refresh_token(&self, digest: &SecretDigest) -> Result<Option<RefreshToken>> {
        run(|| {
            with_conn!(self, conn => {
                refresh_tokens::table
                    .find(digest.as_hex())
                    .first::<RefreshTokenRow>(conn)
                    .optional()?
                    .map(RefreshTokenRow::into_domain)
                    .transpose()
            })
        })
    }

    fn consume_refresh_token(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
    ) -> Result<ConsumeOutcome<RefreshToken>> {
        run(|| {
            with_conn!(self, conn => {
                let updated = diesel::update(
                    refresh_tokens::table
                        .find(digest.as_hex())
                        .filter(refresh_tokens::used_at.is_null()),
                )
                .set(refresh_tokens::used_at.eq(Some(to_unix(now))))
                .execute(conn)?;
                let row = refresh_tokens::table
                    .find(digest.as_hex())
                    .first::<RefreshTokenRow>(conn)
                    .optional()?;
                map_outcome(outcome(updated, row), RefreshTokenRow::into_domain)
            })
        })
    }

    fn revoke_grant(&self, grant: &GrantId) -> Result<()> {
        run(|| {
            with_conn!(self, conn => {
                conn.transaction::<_, StoreError, _>(|conn| {
                    diesel::update(
                        access_tokens::table.filter(access_tokens::grant_id.eq(grant.as_str())),
                    )
                    .set(access_tokens::revoked.eq(true))
                    .execute(conn)?;
                    diesel::update(
                        refresh_tokens::table.filter(refresh_tokens::grant_id.eq(grant.as_str())),
                    )
                    .set(refresh_tokens::revoked.eq(true))
                    .execute(conn)?;
                    Ok(())
                })
            })
        })
    }
}
