//! Device authorizations (RFC 8628). The decision, each poll and the redemption are each
//! one conditional `UPDATE`, so concurrent requests on any instance see one outcome.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{
    ClientId, DeviceApproval, DeviceAuthorization, DeviceRepo, DeviceStatus, Grant, NewTokens,
    PollTiming, Redemption, Result, ScopeSet, SecretDigest, UserId,
};

use super::run;
use crate::pool::WriteTransaction;
use crate::rows::{from_unix, to_unix, AccessTokenRow, GrantRow, RefreshTokenRow};
use crate::schema::{access_tokens, device_authorizations as da, grants, refresh_tokens};
use crate::{DieselStore, StoreError};

/// A device authorization as stored (also copied by `idp-admin migrate`).
#[derive(Queryable, Insertable)]
#[diesel(table_name = da)]
pub(crate) struct DeviceAuthorizationRow {
    pub device_code_digest: String,
    pub user_code_digest: String,
    pub client_id: String,
    pub scope: String,
    pub status: String,
    pub user_id: Option<String>,
    pub auth_time: Option<i64>,
    pub sid: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_polled_at: Option<i64>,
    pub interval_secs: i64,
    pub redeemed_at: Option<i64>,
    pub resources: String,
}

impl DeviceAuthorizationRow {
    fn from_domain(a: &DeviceAuthorization) -> Self {
        let approval = a.approval.as_ref();
        DeviceAuthorizationRow {
            device_code_digest: a.device_code_digest.as_hex().to_owned(),
            user_code_digest: a.user_code_digest.as_hex().to_owned(),
            client_id: a.client_id.as_str().to_owned(),
            scope: a.scope.to_string(),
            status: a.status.as_str().to_owned(),
            user_id: approval.map(|x| x.user_id.as_str().to_owned()),
            auth_time: approval.map(|x| to_unix(x.auth_time)),
            sid: approval.map(|x| x.sid.clone()),
            created_at: to_unix(a.created_at),
            expires_at: to_unix(a.expires_at),
            last_polled_at: a.last_polled_at.map(to_unix),
            interval_secs: a.interval_secs,
            redeemed_at: a.redeemed_at.map(to_unix),
            resources: a.resources.join(" "),
        }
    }

    fn into_domain(self) -> std::result::Result<DeviceAuthorization, StoreError> {
        let approval = match (self.user_id, self.auth_time, self.sid) {
            (Some(user_id), Some(auth_time), Some(sid)) => Some(DeviceApproval {
                user_id: UserId::new(user_id),
                auth_time: from_unix(auth_time)?,
                sid,
            }),
            _ => None,
        };
        Ok(DeviceAuthorization {
            device_code_digest: SecretDigest::from_hex(self.device_code_digest),
            user_code_digest: SecretDigest::from_hex(self.user_code_digest),
            client_id: ClientId::new(self.client_id),
            scope: ScopeSet::parse(&self.scope).map_err(|_| StoreError::Corrupt("scope"))?,
            status: self
                .status
                .parse()
                .map_err(|_| StoreError::Corrupt("device authorization status"))?,
            approval,
            created_at: from_unix(self.created_at)?,
            expires_at: from_unix(self.expires_at)?,
            last_polled_at: self.last_polled_at.map(from_unix).transpose()?,
            interval_secs: self.interval_secs,
            redeemed_at: self.redeemed_at.map(from_unix).transpose()?,
            resources: self
                .resources
                .split(' ')
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}

impl DeviceRepo for DieselStore {
    fn insert_device_authorization(&self, authorization: &DeviceAuthorization) -> Result<()> {
        run(|| {
            let row = DeviceAuthorizationRow::from_domain(authorization);
            with_conn!(self, conn => {
                diesel::insert_into(da::table)
                    .values(&row)
                    .execute(conn)
                    .map_err(|e| StoreError::conflict_as(e, || "device authorization".to_owned()))?;
                Ok::<_, StoreError>(())
            })
        })
    }

    fn device_authorization(&self, digest: &SecretDigest) -> Result<Option<DeviceAuthorization>> {
        run(|| {
            with_conn!(self, conn => {
                da::table
                    .filter(da::device_code_digest.eq(digest.as_hex()))
                    .load::<DeviceAuthorizationRow>(conn)?
                    .into_iter()
                    .next()
                    .map(DeviceAuthorizationRow::into_domain)
                    .transpose()
            })
        })
    }

    fn pending_device_authorization(
        &self,
        user_code: &SecretDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<DeviceAuthorization>> {
        run(|| {
            with_conn!(self, conn => {
                da::table
                    .filter(da::user_code_digest.eq(user_code.as_hex()))
                    .filter(da::status.eq(DeviceStatus::Pending.as_str()))
                    .filter(da::expires_at.gt(to_unix(now)))
                    .load::<DeviceAuthorizationRow>(conn)?
                    .into_iter()
                    .next()
                    .map(DeviceAuthorizationRow::into_domain)
                    .transpose()
            })
        })
    }

    fn decide_device_authorization(
        &self,
        user_code: &SecretDigest,
        approval: Option<&DeviceApproval>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        run(|| {
            let status = if approval.is_some() {
                DeviceStatus::Approved
            } else {
                DeviceStatus::Denied
            };
            let target = da::table
                .filter(da::user_code_digest.eq(user_code.as_hex()))
                .filter(da::status.eq(DeviceStatus::Pending.as_str()))
                .filter(da::expires_at.gt(to_unix(now)));
            with_conn!(self, conn => {
                let n = diesel::update(target)
                    .set((
                        da::status.eq(status.as_str()),
                        da::user_id.eq(approval.map(|a| a.user_id.as_str())),
                        da::auth_time.eq(approval.map(|a| to_unix(a.auth_time))),
                        da::sid.eq(approval.map(|a| a.sid.as_str())),
                    ))
                    .execute(conn)?;
                Ok::<_, StoreError>(n > 0)
            })
        })
    }

    fn record_device_poll(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        penalty_secs: i64,
    ) -> Result<PollTiming> {
        run(|| {
            let now = to_unix(now);
            let pending = da::table
                .filter(da::device_code_digest.eq(digest.as_hex()))
                .filter(da::status.eq(DeviceStatus::Pending.as_str()));
            with_conn!(self, conn => {
                // On time: no poll before, or the interval has passed since the last one.
                let on_time = diesel::update(pending.filter(
                    da::last_polled_at
                        .is_null()
                        .or((da::last_polled_at + da::interval_secs.nullable()).le(now)),
                ))
                .set(da::last_polled_at.eq(Some(now)))
                .execute(conn)?;
                if on_time > 0 {
                    return Ok::<_, StoreError>(PollTiming::OnTime);
                }
                // Too soon: the interval grows (RFC 8628 §3.5) and this poll counts.
                let slowed = diesel::update(pending)
                    .set((
                        da::last_polled_at.eq(Some(now)),
                        da::interval_secs.eq(da::interval_secs + penalty_secs),
                    ))
                    .execute(conn)?;
                Ok(if slowed > 0 {
                    PollTiming::TooSoon
                } else {
                    PollTiming::Unknown
                })
            })
        })
    }

    fn redeem_device_code(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        grant: &Grant,
        tokens: &NewTokens,
    ) -> Result<Redemption> {
        run(|| {
            let now = to_unix(now);
            let grant = GrantRow::from_domain(grant)?;
            let access = AccessTokenRow::from_domain(&tokens.access);
            let refresh = tokens.refresh.as_ref().map(RefreshTokenRow::from_domain);
            with_conn!(self, conn => conn.write_transaction(|conn| {
                // Of concurrent redemptions exactly one changes the row.
                let updated = diesel::update(
                    da::table
                        .filter(da::device_code_digest.eq(digest.as_hex()))
                        .filter(da::status.eq(DeviceStatus::Approved.as_str()))
                        .filter(da::redeemed_at.is_null())
                        .filter(da::expires_at.gt(now)),
                )
                .set(da::redeemed_at.eq(Some(now)))
                .execute(conn)?;
                if updated == 0 {
                    return Ok(Redemption::Refused);
                }
                diesel::insert_into(grants::table).values(&grant).execute(conn)?;
                diesel::insert_into(access_tokens::table).values(&access).execute(conn)?;
                if let Some(refresh) = &refresh {
                    diesel::insert_into(refresh_tokens::table).values(refresh).execute(conn)?;
                }
                Ok(Redemption::Redeemed)
            }))
        })
    }
}
