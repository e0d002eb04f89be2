use diesel::prelude::*;
use idp_core::{KeyRepo, Result, SigningKey};

use super::run;
use crate::rows::SigningKeyRow;
use crate::schema::signing_keys;
use crate::{DieselStore, StoreError};

impl KeyRepo for DieselStore {
    fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        run(|| {
            with_conn!(self, conn => {
                signing_keys::table
                    .order((
                        signing_keys::created_at.desc(),
                        signing_keys::active.desc(),
                        signing_keys::kid,
                    ))
                    .load::<SigningKeyRow>(conn)?
                    .into_iter()
                    .map(SigningKeyRow::into_domain)
                    .collect()
            })
        })
    }

    fn insert_signing_key(&self, key: &SigningKey) -> Result<()> {
        run(|| {
            let row = SigningKeyRow::from_domain(key);
            with_conn!(self, conn => {
                conn.transaction::<_, StoreError, _>(|conn| {
                    if key.active {
                        diesel::update(signing_keys::table)
                            .set(signing_keys::active.eq(false))
                            .execute(conn)?;
                    }
                    diesel::insert_into(signing_keys::table)
                        .values(&row)
                        .execute(conn)
                        .map_err(|e| StoreError::conflict_as(e, || format!("key {}", key.kid)))?;
                    Ok(())
                })
            })
        })
    }
}
