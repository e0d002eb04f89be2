use diesel::prelude::*;
use idp_core::{Result, ScopeDefinition, ScopeRepo};

use super::run;
use crate::rows::{from_unix, to_unix};
use crate::schema::scopes;
use crate::{DieselStore, StoreError};

impl ScopeRepo for DieselStore {
    fn insert_scope(&self, scope: &ScopeDefinition) -> Result<()> {
        run(|| {
            with_conn!(self, conn => {
                diesel::insert_into(scopes::table)
                    .values((
                        scopes::name.eq(&scope.name),
                        scopes::description.eq(&scope.description),
                        scopes::created_at.eq(to_unix(scope.created_at)),
                    ))
                    .execute(conn)
                    .map_err(|e| StoreError::conflict_as(e, || format!("scope {}", scope.name)))?;
                Ok(())
            })
        })
    }

    fn scope_definitions(&self) -> Result<Vec<ScopeDefinition>> {
        run(|| {
            with_conn!(self, conn => {
                scopes::table
                    .order(scopes::name)
                    .load::<(String, String, i64)>(conn)?
                    .into_iter()
                    .map(|(name, description, created_at)| {
                        Ok(ScopeDefinition {
                            name,
                            description,
                            created_at: from_unix(created_at)?,
                        })
                    })
                    .collect()
            })
        })
    }

    fn delete_scope(&self, name: &str) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                Ok(diesel::delete(scopes::table.find(name)).execute(conn)? > 0)
            })
        })
    }
}
