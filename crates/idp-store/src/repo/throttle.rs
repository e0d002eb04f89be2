use chrono::{DateTime, Utc};
use diesel::dsl::case_when;
use diesel::prelude::*;
use idp_core::{Failures, Result, ThrottleRepo};

use super::run;
use crate::rows::{from_unix, to_unix};
use crate::schema::failure_counters;
use crate::{DieselStore, StoreError};

fn failures(count: i64, last: i64) -> std::result::Result<Failures, StoreError> {
    Ok(Failures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        last: from_unix(last)?,
    })
}

impl ThrottleRepo for DieselStore {
    fn note_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_start: DateTime<Utc>,
    ) -> Result<Failures> {
        run(|| {
            // One statement, atomic on both backends: a counter whose last failure is
            // older than the window starts again at 1.
            let now = to_unix(now);
            let count = with_conn!(self, conn => {
                Ok(diesel::insert_into(failure_counters::table)
                    .values((
                        failure_counters::counter_key.eq(key),
                        failure_counters::failures.eq(1),
                        failure_counters::last_failure_at.eq(now),
                    ))
                    .on_conflict(failure_counters::counter_key)
                    .do_update()
                    .set((
                        failure_counters::failures.eq(case_when(
                            failure_counters::last_failure_at.ge(to_unix(window_start)),
                            failure_counters::failures + 1,
                        )
                        .otherwise(1)),
                        failure_counters::last_failure_at.eq(now),
                    ))
                    .returning(failure_counters::failures)
                    .get_result::<i64>(conn)?)
            })?;
            failures(count, now)
        })
    }

    fn failures(&self, key: &str, window_start: DateTime<Utc>) -> Result<Option<Failures>> {
        run(|| {
            with_conn!(self, conn => {
                failure_counters::table
                    .find(key)
                    .filter(failure_counters::last_failure_at.ge(to_unix(window_start)))
                    .select((failure_counters::failures, failure_counters::last_failure_at))
                    .load::<(i64, i64)>(conn)?
                    .into_iter()
                    .next()
                    .map(|(n, last)| failures(n, last))
                    .transpose()
            })
        })
    }

    fn clear_failures(&self, key: &str) -> Result<()> {
        run(|| {
            with_conn!(self, conn => {
                diesel::delete(failure_counters::table.find(key)).execute(conn)?;
                Ok(())
            })
        })
    }
}
