use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{Result, SettingsRepo};

use super::run;
use crate::rows::to_unix;
use crate::schema::settings;
use crate::DieselStore;

impl SettingsRepo for DieselStore {
    fn settings(&self) -> Result<Vec<(String, String)>> {
        run(|| {
            with_conn!(self, conn => {
                Ok(settings::table
                    .select((settings::name, settings::value))
                    .order(settings::name)
                    .load::<(String, String)>(conn)?)
            })
        })
    }

    fn set_setting(&self, name: &str, value: &str, now: DateTime<Utc>) -> Result<()> {
        run(|| {
            with_conn!(self, conn => {
                diesel::insert_into(settings::table)
                    .values((
                        settings::name.eq(name),
                        settings::value.eq(value),
                        settings::updated_at.eq(to_unix(now)),
                    ))
                    .on_conflict(settings::name)
                    .do_update()
                    .set((
                        settings::value.eq(value),
                        settings::updated_at.eq(to_unix(now)),
                    ))
                    .execute(conn)?;
                Ok(())
            })
        })
    }

    fn unset_setting(&self, name: &str) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                Ok(diesel::delete(settings::table.find(name)).execute(conn)? > 0)
            })
        })
    }
}
