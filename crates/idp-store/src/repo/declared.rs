use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{DeclaredChanges, DeclaredItem, DeclaredKind, DeclaredRepo, Result};

use super::run;
use crate::pool::WriteTransaction;
use crate::postgres::{lock_keys, SerialTransaction};
use crate::rows::{to_unix, ClientRow};
use crate::schema::{clients, declared_items, group_members, scopes, user_groups, users};
use crate::{DieselStore, StoreError};

impl DeclaredRepo for DieselStore {
    fn declared_items(&self) -> Result<Vec<DeclaredItem>> {
        run(|| {
            with_conn!(self, conn => {
                declared_items::table
                    .select((declared_items::kind, declared_items::name))
                    .order((declared_items::kind, declared_items::name))
                    .load::<(String, String)>(conn)?
                    .into_iter()
                    .map(|(kind, name)| {
                        let kind = DeclaredKind::parse(&kind)
                            .ok_or(StoreError::Corrupt("declared item kind"))?;
                        Ok(DeclaredItem { kind, name })
                    })
                    .collect()
            })
        })
    }

    fn apply_declared(&self, changes: &DeclaredChanges, now: DateTime<Utc>) -> Result<()> {
        run(|| {
            let inserted = changes
                .insert_clients
                .iter()
                .map(ClientRow::from_domain)
                .collect::<Result<Vec<_>, _>>()?;
            let updated = changes
                .update_clients
                .iter()
                .map(ClientRow::from_domain)
                .collect::<Result<Vec<_>, _>>()?;
            let now = to_unix(now);
            with_conn!(self, conn => {
                conn.write_transaction(|conn| {
                    // One application at a time across instances (SQLite's BEGIN
                    // IMMEDIATE already serialises).
                    conn.serialise(lock_keys::DECLARATIONS)?;
                    for scope in &changes.insert_scopes {
                        diesel::insert_into(scopes::table)
                            .values((
                                scopes::name.eq(&scope.name),
                                scopes::description.eq(&scope.description),
                                scopes::created_at.eq(to_unix(scope.created_at)),
                            ))
                            .execute(conn)
                            .map_err(|e| {
                                StoreError::conflict_as(e, || format!("scope {}", scope.name))
                            })?;
                    }
                    for scope in &changes.update_scopes {
                        diesel::update(scopes::table.find(&scope.name))
                            .set(scopes::description.eq(&scope.description))
                            .execute(conn)?;
                    }
                    for group in &changes.insert_groups {
                        diesel::insert_into(user_groups::table)
                            .values((
                                user_groups::id.eq(&group.id),
                                user_groups::name.eq(&group.name),
                                user_groups::created_at.eq(now),
                            ))
                            .execute(conn)
                            .map_err(|e| {
                                StoreError::conflict_as(e, || format!("group {}", group.name))
                            })?;
                    }
                    for group in changes.insert_groups.iter().chain(&changes.set_group_members) {
                        diesel::delete(
                            group_members::table.filter(group_members::group_name.eq(&group.name)),
                        )
                        .execute(conn)?;
                        for username in &group.members {
                            let user_id = users::table
                                .filter(users::username.eq(username))
                                .select(users::id)
                                .load::<String>(conn)?
                                .into_iter()
                                .next()
                                .ok_or_else(|| StoreError::NotFound(format!("user {username}")))?;
                            diesel::insert_into(group_members::table)
                                .values((
                                    group_members::group_name.eq(&group.name),
                                    group_members::user_id.eq(user_id),
                                ))
                                .on_conflict_do_nothing()
                                .execute(conn)?;
                        }
                    }
                    for row in &inserted {
                        diesel::insert_into(clients::table)
                            .values(row)
                            .execute(conn)
                            .map_err(|e| {
                                StoreError::conflict_as(e, || format!("client {}", row.client_id))
                            })?;
                    }
                    for row in &updated {
                        diesel::update(clients::table.find(&row.client_id))
                            .set((
                                clients::name.eq(&row.name),
                                clients::secret_digest.eq(&row.secret_digest),
                                clients::secret_sealed.eq(&row.secret_sealed),
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
                    }
                    for item in &changes.delete {
                        let name = item.name.as_str();
                        match item.kind {
                            DeclaredKind::Client => {
                                diesel::delete(clients::table.find(name)).execute(conn)?;
                            }
                            DeclaredKind::Scope => {
                                diesel::delete(scopes::table.find(name)).execute(conn)?;
                            }
                            DeclaredKind::Group => {
                                diesel::delete(user_groups::table.find(name)).execute(conn)?;
                            }
                        }
                        diesel::delete(declared_items::table.find((item.kind.as_str(), name)))
                            .execute(conn)?;
                    }
                    for item in &changes.record {
                        diesel::insert_into(declared_items::table)
                            .values((
                                declared_items::kind.eq(item.kind.as_str()),
                                declared_items::name.eq(&item.name),
                                declared_items::applied_at.eq(now),
                            ))
                            .on_conflict((declared_items::kind, declared_items::name))
                            .do_update()
                            .set(declared_items::applied_at.eq(now))
                            .execute(conn)?;
                    }
                    Ok(())
                })
            })
        })
    }
}
