use diesel::prelude::*;
use idp_core::{Client, ClientDocumentRecord, ClientDocumentRepo, ClientId, Result};

use super::run;
use crate::pool::WriteTransaction;
use crate::rows::{ClientDocumentRow, ClientRow};
use crate::schema::{client_metadata_documents, clients};
use crate::{DieselStore, StoreError};

impl ClientDocumentRepo for DieselStore {
    fn client_document(&self, id: &ClientId) -> Result<Option<ClientDocumentRecord>> {
        run(|| {
            with_conn!(self, conn => {
                client_metadata_documents::table
                    .find(id.as_str())
                    .load::<ClientDocumentRow>(conn)?
                    .into_iter()
                    .next()
                    .map(ClientDocumentRow::into_domain)
                    .transpose()
            })
        })
    }

    fn store_client_document(&self, client: &Client, record: &ClientDocumentRecord) -> Result<()> {
        run(|| {
            let row = ClientRow::from_domain(client)?;
            let cache = ClientDocumentRow::from_domain(&client.id, record);
            with_conn!(self, conn => {
                conn.write_transaction(|conn| {
                    // Insert, or — the document's client already stored, perhaps by
                    // another instance a moment ago — replace what the document says.
                    let inserted = diesel::insert_into(clients::table)
                        .values(&row)
                        .on_conflict_do_nothing()
                        .execute(conn)?;
                    if inserted == 0 {
                        // Read after the insert: on PostgreSQL this statement sees the
                        // record of an instance whose insert this one waited for.
                        let has_record: i64 = client_metadata_documents::table
                            .find(&row.client_id)
                            .count()
                            .get_result(conn)?;
                        if has_record == 0 {
                            // A client of another kind with this id: never overwritten.
                            return Err(StoreError::Conflict(format!("client {}", client.id)));
                        }
                        diesel::update(clients::table.find(&row.client_id))
                            .set((
                                clients::name.eq(&row.name),
                                clients::redirect_uris.eq(&row.redirect_uris),
                                clients::grant_types.eq(&row.grant_types),
                                clients::scopes.eq(&row.scopes),
                                clients::default_scopes.eq(&row.default_scopes),
                                clients::options.eq(&row.options),
                                clients::updated_at.eq(row.updated_at),
                            ))
                            .execute(conn)?;
                    }
                    diesel::insert_into(client_metadata_documents::table)
                        .values(&cache)
                        .on_conflict(client_metadata_documents::client_id)
                        .do_update()
                        .set((
                            client_metadata_documents::fetched_at.eq(cache.fetched_at),
                            client_metadata_documents::expires_at.eq(cache.expires_at),
                        ))
                        .execute(conn)?;
                    Ok(())
                })
            })
        })
    }
}
