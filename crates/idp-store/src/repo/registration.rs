use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{
    Client, ClientId, InitialAccessToken, RegistrationRecord, RegistrationRepo, Result,
    SecretDigest,
};

use super::run;
use crate::pool::WriteTransaction;
use crate::postgres::{lock_keys, SerialTransaction};
use crate::rows::{to_unix, ClientRow, InitialAccessTokenRow, RegistrationRow};
use crate::schema::{client_registrations, clients, initial_access_tokens};
use crate::{DieselStore, StoreError};

impl RegistrationRepo for DieselStore {
    fn insert_registered_client(
        &self,
        client: &Client,
        record: &RegistrationRecord,
        max_live: u64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        run(|| {
            let row = ClientRow::from_domain(client)?;
            let registration = RegistrationRow::from_domain(&client.id, record);
            let now = to_unix(now);
            with_conn!(self, conn => {
                conn.write_transaction(|conn| {
                    conn.serialise(lock_keys::REGISTRATION)?;
                    let live: i64 = client_registrations::table
                        .filter(
                            client_registrations::expires_at
                                .is_null()
                                .or(client_registrations::expires_at.gt(now)),
                        )
                        .count()
                        .get_result(conn)?;
                    if u64::try_from(live).unwrap_or(u64::MAX) >= max_live {
                        return Ok(false);
                    }
                    diesel::insert_into(clients::table)
                        .values(&row)
                        .execute(conn)
                        .map_err(|e| {
                            StoreError::conflict_as(e, || format!("client {}", client.id))
                        })?;
                    diesel::insert_into(client_registrations::table)
                        .values(&registration)
                        .execute(conn)?;
                    Ok(true)
                })
            })
        })
    }

    fn registration_record(&self, id: &ClientId) -> Result<Option<RegistrationRecord>> {
        run(|| {
            with_conn!(self, conn => {
                client_registrations::table
                    .find(id.as_str())
                    .load::<RegistrationRow>(conn)?
                    .into_iter()
                    .next()
                    .map(RegistrationRow::into_domain)
                    .transpose()
            })
        })
    }

    fn end_registration(&self, id: &ClientId) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                Ok(diesel::delete(client_registrations::table.find(id.as_str())).execute(conn)? > 0)
            })
        })
    }

    fn insert_initial_access_token(&self, token: &InitialAccessToken) -> Result<()> {
        run(|| {
            let row = InitialAccessTokenRow::from_domain(token);
            with_conn!(self, conn => {
                diesel::insert_into(initial_access_tokens::table)
                    .values(&row)
                    .execute(conn)
                    .map_err(|e| {
                        StoreError::conflict_as(e, || format!("registration token {}", token.id))
                    })?;
                Ok(())
            })
        })
    }

    fn initial_access_token(&self, digest: &SecretDigest) -> Result<Option<InitialAccessToken>> {
        run(|| {
            with_conn!(self, conn => {
                initial_access_tokens::table
                    .filter(initial_access_tokens::token_digest.eq(digest.as_hex()))
                    .load::<InitialAccessTokenRow>(conn)?
                    .into_iter()
                    .next()
                    .map(InitialAccessTokenRow::into_domain)
                    .transpose()
            })
        })
    }

    fn initial_access_tokens(&self) -> Result<Vec<InitialAccessToken>> {
        run(|| {
            with_conn!(self, conn => {
                initial_access_tokens::table
                    .order((initial_access_tokens::created_at, initial_access_tokens::id))
                    .load::<InitialAccessTokenRow>(conn)?
                    .into_iter()
                    .map(InitialAccessTokenRow::into_domain)
                    .collect()
            })
        })
    }

    fn delete_initial_access_token(&self, id: &str) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                Ok(diesel::delete(initial_access_tokens::table.find(id)).execute(conn)? > 0)
            })
        })
    }
}
