use diesel::prelude::*;
use idp_core::{Client, ClientId, ClientRepo, Result, SecretDigest};

use super::run;
use crate::rows::{ClientRow, RegistrationRow};
use crate::schema::{client_registrations, clients};
use crate::{DieselStore, StoreError};

impl ClientRepo for DieselStore {
    fn client(&self, id: &ClientId) -> Result<Option<Client>> {
        run(|| {
            with_conn!(self, conn => {
                clients::table
                    .left_join(client_registrations::table)
                    .filter(clients::client_id.eq(id.as_str()))
                    .load::<(ClientRow, Option<RegistrationRow>)>(conn)?
                    .into_iter()
                    .next()
                    .map(|(c, r)| c.with_registration(r))
                    .transpose()
            })
        })
    }

    fn insert_client(&self, client: &Client) -> Result<()> {
        run(|| {
            let row = ClientRow::from_domain(client)?;
            with_conn!(self, conn => {
                diesel::insert_into(clients::table)
                    .values(&row)
                    .execute(conn)
                    .map_err(|e| StoreError::conflict_as(e, || format!("client {}", client.id)))?;
                Ok(())
            })
        })
    }

    fn clients(&self) -> Result<Vec<Client>> {
        run(|| {
            with_conn!(self, conn => {
                clients::table
                    .left_join(client_registrations::table)
                    .order(clients::client_id)
                    .load::<(ClientRow, Option<RegistrationRow>)>(conn)?
                    .into_iter()
                    .map(|(c, r)| c.with_registration(r))
                    .collect()
            })
        })
    }

    fn delete_client(&self, id: &ClientId) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::delete(clients::table.find(id.as_str())).execute(conn)?;
                Ok(n > 0)
            })
        })
    }

    fn update_client(&self, client: &Client) -> Result<bool> {
        run(|| {
            let row = ClientRow::from_domain(client)?;
            with_conn!(self, conn => {
                let n = diesel::update(clients::table.find(&row.client_id))
                    .set((
                        clients::name.eq(&row.name),
                        clients::redirect_uris.eq(&row.redirect_uris),
                        clients::grant_types.eq(&row.grant_types),
                        clients::scopes.eq(&row.scopes),
                        clients::default_scopes.eq(&row.default_scopes),
                        clients::first_party.eq(row.first_party),
                        clients::refresh_without_offline_access
                            .eq(row.refresh_without_offline_access),
                        clients::include_user_id.eq(row.include_user_id),
                        clients::options.eq(&row.options),
                        clients::updated_at.eq(row.updated_at),
                    ))
                    .execute(conn)?;
                Ok(n > 0)
            })
        })
    }

    fn set_client_secret(
        &self,
        id: &ClientId,
        digest: &SecretDigest,
        sealed: Option<&[u8]>,
    ) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::update(clients::table.find(id.as_str()))
                    .set((
                        clients::secret_digest.eq(Some(digest.as_hex())),
                        clients::secret_sealed.eq(sealed),
                    ))
                    .execute(conn)?;
                Ok(n > 0)
            })
        })
    }
}
