//! Grants, codes and tokens. Redemption is one write transaction: a conditional `UPDATE`
//! that marks the code or refresh token used (only if unused and its grant unrevoked) and
//! the inserts of the tokens it yields, so a failure anywhere leaves nothing half done.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{
    AccessToken, AuthorizationCode, CodeRepo, Grant, GrantId, Granted, Immediate, NewTokens,
    Redemption, RefreshToken, Result, SecretDigest, TokenRepo,
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

/// Reads, on `$conn`, the row of `$table` whose `$digest` column is `$hex`, joined with
/// its grant and the grant's user, in one query, as a `Granted` domain value.
macro_rules! read_granted {
    ($conn:ident, $table:ident, $digest:ident, $hex:expr, $row:ty) => {
        $table::table
            .inner_join(grants::table.left_join(users::table))
            .filter($table::$digest.eq($hex))
            .select((
                $table::all_columns,
                grants::all_columns,
                users::all_columns.nullable(),
            ))
            .load::<JoinedRow<$row>>($conn)?
            .into_iter()
            .next()
            .map(|row| granted(row, <$row>::into_domain))
            .transpose()
    };
}

/// Marks the single-use row of `$table` whose `$digest` column is `$hex` used — only if it
/// is unused and its grant is live, plus `$extra` conditions — and stores `$tokens`, in one
/// write transaction.
macro_rules! redeem {
    ($store:expr, $table:ident, $digest:ident, $hex:expr, $now:expr, $tokens:expr $(, $extra:expr)*) => {
        with_conn!($store, conn => conn.write_transaction(|conn| {
            // Of concurrent redemptions exactly one changes the row.
            let updated = diesel::update(
                $table::table
                    .filter($table::$digest.eq($hex))
                    .filter($table::used_at.is_null())
                    $(.filter($extra))*
                    .filter(diesel::dsl::exists(live_grant!($table))),
            )
            .set($table::used_at.eq(Some(to_unix($now))))
            .execute(conn)?;
            if updated == 0 {
                return Ok(Redemption::Refused);
            }
            insert_tokens!(conn, $tokens);
            Ok(Redemption::Redeemed)
        }))
    };
}

/// The row's grant, if it is not revoked: a correlated subquery for conditional updates,
/// answered by one primary-key lookup. (`grant_id IN (SELECT id FROM grants WHERE
/// revoked_at IS NULL)` made SQLite build a temporary index of every live grant for each
/// redemption, which grew with the table: at a few thousand grants it was most of a code
/// exchange's time.)
macro_rules! live_grant {
    ($table:ident) => {
        grants::table
            .filter(grants::id.eq($table::grant_id))
            .filter(grants::revoked_at.is_null())
            .select(grants::id)
    };
}

impl CodeRepo for DieselStore {
    fn insert_code(&self, grant: &Grant, code: &AuthorizationCode) -> Result<()> {
        run(|| {
            let grant = GrantRow::from_domain(grant)?;
            let code = CodeRow::from_domain(code);
            with_conn!(self, conn => conn.write_transaction(|conn| {
                diesel::insert_into(grants::table).values(&grant).execute(conn)?;
                diesel::insert_into(authorization_codes::table).values(&code).execute(conn)?;
                Ok(())
            }))
        })
    }

    fn insert_grant_with_tokens(
        &self,
        grant: &Grant,
        code: Option<&AuthorizationCode>,
        access: Option<&AccessToken>,
    ) -> Result<()> {
        run(|| {
            let grant = GrantRow::from_domain(grant)?;
            let code = code.map(CodeRow::from_domain);
            let access = access.map(AccessTokenRow::from_domain);
            with_conn!(self, conn => conn.write_transaction(|conn| {
                diesel::insert_into(grants::table).values(&grant).execute(conn)?;
                if let Some(code) = &code {
                    diesel::insert_into(authorization_codes::table).values(code).execute(conn)?;
                }
                if let Some(access) = &access {
                    diesel::insert_into(access_tokens::table).values(access).execute(conn)?;
                }
                Ok(())
            }))
        })
    }

    fn code(&self, digest: &SecretDigest) -> Result<Option<Granted<AuthorizationCode>>> {
        run(
            || with_conn!(self, conn => read_granted!(conn, authorization_codes, code_digest, digest.as_hex(), CodeRow)),
        )
    }

    fn redeem_code(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        tokens: &NewTokens,
    ) -> Result<Redemption> {
        run(|| {
            redeem!(
                self,
                authorization_codes,
                code_digest,
                digest.as_hex(),
                now,
                tokens
            )
        })
    }
}

impl TokenRepo for DieselStore {
    fn access_token_immediate(
        &self,
        digest: &SecretDigest,
    ) -> Result<Immediate<Option<Granted<AccessToken>>>> {
        run(|| {
            with_immediate_conn!(self, conn => read_granted!(
                conn,
                access_tokens,
                token_digest,
                digest.as_hex(),
                AccessTokenRow
            ))
        })
    }

    fn access_token(&self, digest: &SecretDigest) -> Result<Option<Granted<AccessToken>>> {
        run(
            || with_conn!(self, conn => read_granted!(conn, access_tokens, token_digest, digest.as_hex(), AccessTokenRow)),
        )
    }

    fn refresh_token(&self, digest: &SecretDigest) -> Result<Option<Granted<RefreshToken>>> {
        run(
            || with_conn!(self, conn => read_granted!(conn, refresh_tokens, token_digest, digest.as_hex(), RefreshTokenRow)),
        )
    }

    fn insert_grant_with_issued_tokens(&self, grant: &Grant, tokens: &NewTokens) -> Result<()> {
        run(|| {
            let grant = GrantRow::from_domain(grant)?;
            with_conn!(self, conn => conn.write_transaction(|conn| {
                if let Some(parent) = &grant.parent_grant_id {
                    // A write that changes nothing: on PostgreSQL it waits for a
                    // concurrent revocation's row lock and then sees its outcome; a
                    // revocation that comes later waits for this transaction and then
                    // finds the new grant among the parent's children.
                    let live = diesel::update(
                        grants::table
                            .find(parent)
                            .filter(grants::revoked_at.is_null()),
                    )
                    .set(grants::revoked_at.eq(None::<i64>))
                    .execute(conn)?;
                    if live == 0 {
                        return Err(StoreError::Conflict("the parent grant is revoked".into()));
                    }
                }
                diesel::insert_into(grants::table).values(&grant).execute(conn)?;
                insert_tokens!(conn, tokens);
                Ok(())
            }))
        })
    }

    fn redeem_refresh_token(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        tokens: &NewTokens,
    ) -> Result<Redemption> {
        run(|| {
            redeem!(
                self,
                refresh_tokens,
                token_digest,
                digest.as_hex(),
                now,
                tokens,
                refresh_tokens::revoked.eq(false)
            )
        })
    }

    fn revoke_grant(&self, grant: &GrantId, now: DateTime<Utc>) -> Result<()> {
        let now = to_unix(now);
        run(|| {
            with_conn!(self, conn => conn.write_transaction(|conn| {
                diesel::update(
                    grants::table
                        .find(grant.as_str())
                        .filter(grants::revoked_at.is_null()),
                )
                .set(grants::revoked_at.eq(Some(now)))
                .execute(conn)?;
                // Token exchange (RFC 8693): the grants made by exchanging its tokens end
                // with it, and theirs with them, down the chain.
                // One statement per generation: the children revoked are the next parents.
                let mut parents = vec![grant.as_str().to_owned()];
                while !parents.is_empty() {
                    parents = diesel::update(
                        grants::table
                            .filter(grants::parent_grant_id.eq_any(&parents))
                            .filter(grants::revoked_at.is_null()),
                    )
                    .set(grants::revoked_at.eq(Some(now)))
                    .returning(grants::id)
                    .get_results(conn)?;
                }
                Ok(())
            }))
        })
    }

    fn revoke_access_token(&self, digest: &SecretDigest) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::update(access_tokens::table.find(digest.as_hex()))
                    .set(access_tokens::revoked.eq(true))
                    .execute(conn)?;
                Ok::<_, StoreError>(n > 0)
            })
        })
    }
}
