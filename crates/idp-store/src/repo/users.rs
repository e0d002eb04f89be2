use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{
    ClientId, ConsentRepo, Group, GroupRef, GroupRepo, Result, ScopeSet, User, UserId, UserRepo,
};

use super::run;
use crate::pool::WriteTransaction;
use crate::rows::{to_unix, UserRow};
use crate::schema::{consents, group_members, user_groups, users};
use crate::{DieselStore, StoreError};

impl UserRepo for DieselStore {
    fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        run(|| {
            with_conn!(self, conn => {
                users::table
                    .filter(users::username.eq(username))
                    .load::<UserRow>(conn)?
                    .into_iter()
                    .next()
                    .map(UserRow::into_domain)
                    .transpose()
            })
        })
    }

    fn user_by_id(&self, id: &UserId) -> Result<Option<User>> {
        run(|| {
            with_conn!(self, conn => {
                users::table
                    .find(id.as_str())
                    .load::<UserRow>(conn)?
                    .into_iter()
                    .next()
                    .map(UserRow::into_domain)
                    .transpose()
            })
        })
    }

    fn insert_user(&self, user: &User, groups: &[String]) -> Result<()> {
        run(|| {
            let row = UserRow::from_domain(user)?;
            with_conn!(self, conn => {
                conn.write_transaction(|conn| {
                    diesel::insert_into(users::table)
                        .values(&row)
                        .execute(conn)
                        .map_err(|e| {
                            StoreError::conflict_as(e, || format!("user {}", user.username))
                        })?;
                    for group in groups {
                        let exists = user_groups::table
                            .find(group)
                            .count()
                            .get_result::<i64>(conn)?
                            > 0;
                        if !exists {
                            return Err(StoreError::NotFound(format!("group {group}")));
                        }
                        diesel::insert_into(group_members::table)
                            .values((
                                group_members::group_name.eq(group),
                                group_members::user_id.eq(&row.id),
                            ))
                            .on_conflict_do_nothing()
                            .execute(conn)?;
                    }
                    Ok(())
                })
            })
        })
    }

    fn users(&self) -> Result<Vec<User>> {
        run(|| {
            with_conn!(self, conn => {
                users::table
                    .order(users::username)
                    .load::<UserRow>(conn)?
                    .into_iter()
                    .map(UserRow::into_domain)
                    .collect()
            })
        })
    }

    fn delete_user(&self, username: &str) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::delete(users::table.filter(users::username.eq(username)))
                    .execute(conn)?;
                Ok(n > 0)
            })
        })
    }

    fn set_password_hash(&self, username: &str, password_hash: &str) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let n = diesel::update(users::table.filter(users::username.eq(username)))
                    .set(users::password_hash.eq(password_hash))
                    .execute(conn)?;
                Ok(n > 0)
            })
        })
    }

    fn update_user(&self, user: &User) -> Result<bool> {
        run(|| {
            let row = UserRow::from_domain(user)?;
            with_conn!(self, conn => {
                let n = diesel::update(users::table.find(&row.id))
                    .set((
                        users::username.eq(&row.username),
                        users::email.eq(&row.email),
                        users::email_verified.eq(row.email_verified),
                        users::name.eq(&row.name),
                        users::profile.eq(&row.profile),
                        users::updated_at.eq(row.updated_at),
                    ))
                    .execute(conn)
                    .map_err(|e| StoreError::conflict_as(e, || format!("user {}", user.username)))?;
                Ok(n > 0)
            })
        })
    }

    fn groups_of(&self, id: &UserId) -> Result<Vec<GroupRef>> {
        run(|| {
            with_conn!(self, conn => {
                Ok(group_members::table
                    .inner_join(user_groups::table)
                    .filter(group_members::user_id.eq(id.as_str()))
                    .select((user_groups::id, user_groups::name))
                    .order(user_groups::name)
                    .load::<(String, String)>(conn)?
                    .into_iter()
                    .map(|(id, name)| GroupRef { id, name })
                    .collect())
            })
        })
    }
}

impl GroupRepo for DieselStore {
    fn insert_group(&self, id: &str, name: &str, now: DateTime<Utc>) -> Result<()> {
        run(|| {
            with_conn!(self, conn => {
                diesel::insert_into(user_groups::table)
                    .values((
                        user_groups::id.eq(id),
                        user_groups::name.eq(name),
                        user_groups::created_at.eq(to_unix(now)),
                    ))
                    .execute(conn)
                    .map_err(|e| StoreError::conflict_as(e, || format!("group {name}")))?;
                Ok(())
            })
        })
    }

    fn groups(&self) -> Result<Vec<Group>> {
        run(|| {
            with_conn!(self, conn => {
                let names = user_groups::table
                    .select((user_groups::id, user_groups::name))
                    .order(user_groups::name)
                    .load::<(String, String)>(conn)?;
                let members = group_members::table
                    .inner_join(users::table)
                    .select((group_members::group_name, users::username))
                    .order((group_members::group_name, users::username))
                    .load::<(String, String)>(conn)?;
                Ok(names
                    .into_iter()
                    .map(|(id, name)| {
                        let members = members
                            .iter()
                            .filter(|(g, _)| *g == name)
                            .map(|(_, u)| u.clone())
                            .collect();
                        Group { id, name, members }
                    })
                    .collect())
            })
        })
    }

    fn add_member(&self, group: &str, username: &str) -> Result<()> {
        run(|| {
            with_conn!(self, conn => {
                conn.write_transaction(|conn| {
                    let exists =
                        user_groups::table.find(group).count().get_result::<i64>(conn)? > 0;
                    if !exists {
                        return Err(StoreError::NotFound(format!("group {group}")));
                    }
                    let user_id = users::table
                        .filter(users::username.eq(username))
                        .select(users::id)
                        .load::<String>(conn)?
                        .into_iter()
                        .next()
                        .ok_or_else(|| StoreError::NotFound(format!("user {username}")))?;
                    diesel::insert_into(group_members::table)
                        .values((
                            group_members::group_name.eq(group),
                            group_members::user_id.eq(user_id),
                        ))
                        .on_conflict_do_nothing()
                        .execute(conn)?;
                    Ok(())
                })
            })
        })
    }

    fn remove_member(&self, group: &str, username: &str) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                let user_ids = users::table
                    .filter(users::username.eq(username))
                    .select(users::id);
                let n = diesel::delete(
                    group_members::table
                        .filter(group_members::group_name.eq(group))
                        .filter(group_members::user_id.eq_any(user_ids)),
                )
                .execute(conn)?;
                Ok(n > 0)
            })
        })
    }
}

impl ConsentRepo for DieselStore {
    fn consent(&self, user: &UserId, client: &ClientId) -> Result<Option<ScopeSet>> {
        run(|| {
            with_conn!(self, conn => {
                consents::table
                    .find((user.as_str(), client.as_str()))
                    .select(consents::scope)
                    .load::<String>(conn)?
                    .into_iter()
                    .next()
                    .map(|s| ScopeSet::parse(&s).map_err(|_| StoreError::Corrupt("scope")))
                    .transpose()
            })
        })
    }

    fn save_consent(
        &self,
        user: &UserId,
        client: &ClientId,
        scope: &ScopeSet,
        now: DateTime<Utc>,
    ) -> Result<()> {
        run(|| {
            with_conn!(self, conn => {
                conn.write_transaction(|conn| {
                    let before = consents::table
                        .find((user.as_str(), client.as_str()))
                        .select(consents::scope)
                        .load::<String>(conn)?
                        .into_iter()
                        .next();
                    let merged = match before {
                        Some(s) => ScopeSet::parse(&s)
                            .map_err(|_| StoreError::Corrupt("scope"))?
                            .union(scope),
                        None => scope.clone(),
                    };
                    let merged = merged.to_string();
                    diesel::insert_into(consents::table)
                        .values((
                            consents::user_id.eq(user.as_str()),
                            consents::client_id.eq(client.as_str()),
                            consents::scope.eq(&merged),
                            consents::updated_at.eq(to_unix(now)),
                        ))
                        .on_conflict((consents::user_id, consents::client_id))
                        .do_update()
                        .set((
                            consents::scope.eq(&merged),
                            consents::updated_at.eq(to_unix(now)),
                        ))
                        .execute(conn)?;
                    Ok(())
                })
            })
        })
    }
}
