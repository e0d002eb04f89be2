//! Grants, codes and tokens. Redemption is one write transaction: a conditional `UPDATE`
//! that marks the code or refresh token used (only if unused and its grant unrevoked) and
//! the inserts of the tokens it yields, so a failure anywhere leaves nothing half done.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{
    AccessToken, AuthorizationCode, CodeRepo, Grant, GrantId, Granted, NewTokens, Redemption,
    RefreshToken, Result, SecretDigest, TokenRepo,
};

use super::run;
use crate::pool::WriteTransaction;
use crate::rows::{
    granted, to_unix, AccessTokenRow, CodeRow, GrantRow, JoinedRow, RefreshTokenRow,
};
use crate::schema::{access_tokens, authorization_codes, grants, refresh_tokens, users};
use crate::{DieselStore, StoreError};

/// Stores the tokens of a redemption on `$conn`, inside its transaction.
macro_rules! insert_tokens {
    ($conn:expr, $tokens:expr) => {{
        diesel::insert_into(access_tokens::table)
            .values(AccessTokenRow::from_domain(&$tokens.access))
            .execute($conn)?;
        if let Some(refresh) = &$tokens.refresh {
            diesel::insert_into(refresh_tokens::table)
                .values(RefreshTokenRow::from_domain(refresh))
                .execute($conn)?;
        }
    }};
}

/// Grant ids that are not revoked (a subquery for conditional updates).
macro_rules! live_grants {
    () => {
        grants::table
            .filter(grants::revoked_at.is_null())
            .select(grants::id)
    };
}

impl CodeRepo for DieselStore {
    fn insert_code(&self, grant: &Grant, code: &AuthorizationCode) -> Result<()> {
        run(|| {
            let grant = GrantRow::from_domain(grant);
            let code = CodeRow::from_domain(code);
            with_conn!(self, conn => conn.write_transaction(|conn| {
                diesel::insert_into(grants::table).values(&grant).execute(conn)?;
                diesel::insert_into(authorization_codes::table).values(&code).execute(conn)?;
                Ok(())
            }))
        })
    }

    fn code(&self, digest: &SecretDigest) -> Result<Option<Granted<AuthorizationCode>>> {
        run(|| {
            with_conn!(self, conn => {
                authorization_codes::table
                    .inner_join(grants::table.left_join(users::table))
                    .filter(authorization_codes::code_digest.eq(digest.as_hex()))
                    .select((
                        authorization_codes::all_columns,
                        grants::all_columns,
                        users::all_columns.nullable(),
                    ))
                    .first::<JoinedRow<CodeRow>>(conn)
                    .optional()?
                    .map(|row| granted(row, CodeRow::into_domain))
                    .transpose()
            })
        })
    }

    fn redeem_code(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        tokens: &NewTokens,
    ) -> Result<Redemption> {
        run(|| {
            with_conn!(self, conn => conn.write_transaction(|conn| {
                // Of two concurrent redemptions exactly one changes the row.
                let updated = diesel::update(
                    authorization_codes::table
                        .filter(authorization_codes::code_digest.eq(digest.as_hex()))
                        .filter(authorization_codes::used_at.is_null())
                        .filter(authorization_codes::grant_id.eq_any(live_grants!())),
                )
                .set(authorization_codes::used_at.eq(Some(to_unix(now))))
                .execute(conn)?;
                if updated == 0 {
                    return Ok(Redemption::Refused);
                }
                insert_tokens!(conn, tokens);
                Ok(Redemption::Redeemed)
            }))
        })
    }
}

impl TokenRepo for DieselStore {
    fn access_token(&self, digest: &SecretDigest) -> Result<Option<Granted<AccessToken>>> {
        run(|| {
            with_conn!(self, conn => {
                access_tokens::table
                    .inner_join(grants::table.left_join(users::table))
                    .filter(access_tokens::token_digest.eq(digest.as_hex()))
                    .select((
                        access_tokens::all_columns,
                        grants::all_columns,
                        users::all_columns.nullable(),
                    ))
                    .first::<JoinedRow<AccessTokenRow>>(conn)
                    .optional()?
                    .map(|row| granted(row, AccessTokenRow::into_domain))
                    .transpose()
            })
        })
    }

    fn refresh_token(&self, digest: &SecretDigest) -> Result<Option<Granted<RefreshToken>>> {
        run(|| {
            with_conn!(self, conn => {
                refresh_tokens::table
                    .inner_join(grants::table.left_join(users::table))
                    .filter(refresh_tokens::token_digest.eq(digest.as_hex()))
                    .select((
                        refresh_tokens::all_columns,
                        grants::all_columns,
                        users::all_columns.nullable(),
                    ))
                    .first::<JoinedRow<RefreshTokenRow>>(conn)
                    .optional()?
                    .map(|row| granted(row, RefreshTokenRow::into_domain))
                    .transpose()
            })
        })
    }

    fn redeem_refresh_token(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        tokens: &NewTokens,
    ) -> Result<Redemption> {
        run(|| {
            with_conn!(self, conn => conn.write_transaction(|conn| {
                let updated = diesel::update(
                    refresh_tokens::table
                        .filter(refresh_tokens::token_digest.eq(digest.as_hex()))
                        .filter(refresh_tokens::used_at.is_null())
                        .filter(refresh_tokens::revoked.eq(false))
                        .filter(refresh_tokens::grant_id.eq_any(live_grants!())),
                )
                .set(refresh_tokens::used_at.eq(Some(to_unix(now))))
                .execute(conn)?;
                if updated == 0 {
                    return Ok(Redemption::Refused);
                }
                insert_tokens!(conn, tokens);
                Ok(Redemption::Redeemed)
            }))
        })
    }

    fn revoke_grant(&self, grant: &GrantId, now: DateTime<Utc>) -> Result<()> {
        run(|| {
            with_conn!(self, conn => {
                diesel::update(
                    grants::table
                        .find(grant.as_str())
                        .filter(grants::revoked_at.is_null()),
                )
                .set(grants::revoked_at.eq(Some(to_unix(now))))
                .execute(conn)?;
                Ok::<_, StoreError>(())
            })
        })
    }
}
