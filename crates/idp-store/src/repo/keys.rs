use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{KeyRepo, KeySummary, Result, SealedKeyChange, SealedSecretChange, SigningKey};

use super::run;
use crate::pool::WriteTransaction;
use crate::rows::{key_summary, to_unix, KeySummaryRow, SigningKeyRow};
use crate::schema::{clients, signing_keys};
use crate::{DieselStore, StoreError};

impl KeyRepo for DieselStore {
    fn key_summaries(&self) -> Result<Vec<KeySummary>> {
        run(|| {
            with_conn!(self, conn => {
                signing_keys::table
                    .select((
                        signing_keys::kid,
                        signing_keys::alg,
                        signing_keys::created_at,
                        signing_keys::activate_at,
                        signing_keys::retired_at,
                    ))
                    .order((signing_keys::created_at.desc(), signing_keys::kid))
                    .load::<KeySummaryRow>(conn)?
                    .into_iter()
                    .map(key_summary)
                    .collect()
            })
        })
    }

    fn signing_key(&self, kid: &str) -> Result<Option<SigningKey>> {
        run(|| {
            with_conn!(self, conn => {
                signing_keys::table
                    .find(kid)
                    .load::<SigningKeyRow>(conn)?
                    .into_iter()
                    .next()
                    .map(SigningKeyRow::into_domain)
                    .transpose()
            })
        })
    }

    fn insert_signing_key(&self, key: &SigningKey) -> Result<()> {
        run(|| {
            let row = SigningKeyRow::from_domain(key);
            with_conn!(self, conn => {
                diesel::insert_into(signing_keys::table)
                    .values(&row)
                    .execute(conn)
                    .map_err(|e| StoreError::conflict_as(e, || format!("key {}", key.summary.kid)))?;
                Ok(())
            })
        })
    }

    fn replace_sealed(
        &self,
        keys: &[SealedKeyChange],
        client_secrets: &[SealedSecretChange],
    ) -> Result<()> {
        run(|| {
            with_conn!(self, conn => conn.write_transaction(|conn| {
                // Each only if the stored value is still the one that was read and sealed
                // anew: a concurrent change aborts the whole replacement (an error rolls
                // everything back).
                for change in keys {
                    let n = diesel::update(
                        signing_keys::table
                            .find(&change.kid)
                            .filter(signing_keys::private_key_pkcs8.eq(&change.old)),
                    )
                    .set(signing_keys::private_key_pkcs8.eq(&change.new))
                    .execute(conn)?;
                    if n != 1 {
                        return Err(StoreError::NotFound(format!(
                            "key {} as it was read (changed meanwhile; nothing was replaced)",
                            change.kid
                        )));
                    }
                }
                for change in client_secrets {
                    let n = diesel::update(
                        clients::table
                            .find(change.client_id.as_str())
                            .filter(clients::secret_sealed.eq(&change.old)),
                    )
                    .set(clients::secret_sealed.eq(&change.new))
                    .execute(conn)?;
                    if n != 1 {
                        return Err(StoreError::NotFound(format!(
                            "the sealed secret of client {} as it was read (changed meanwhile; \
                             nothing was replaced)",
                            change.client_id
                        )));
                    }
                }
                Ok(())
            }))
        })
    }

    fn retire_key(&self, kid: &str, at: DateTime<Utc>) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::update(
                    signing_keys::table
                        .find(kid)
                        .filter(signing_keys::retired_at.is_null()),
                )
                .set(signing_keys::retired_at.eq(Some(to_unix(at))))
                .execute(conn)?;
                Ok(n > 0)
            })
        })
    }
}
