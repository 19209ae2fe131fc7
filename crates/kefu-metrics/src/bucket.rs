//! Time buckets in the tenant's calendar: which bucket an instant falls in, where it ends,
//! and the list of buckets a report window covers; DST-correct through chrono-tz.

use chrono::{DateTime, Datelike, Days, FixedOffset, Months, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::MetricsError;

/// How long one report row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Granularity {
    #[serde(rename = "15m")]
    Minutes15,
    #[serde(rename = "30m")]
    Minutes30,
    #[serde(rename = "60m")]
    Minutes60,
    /// A local calendar day (23 or 25 hours on DST change days).
    #[serde(rename = "day")]
    Day,
    /// An ISO week, Monday 00:00 local to the next Monday.
    #[serde(rename = "week")]
    Week,
    /// A calendar month from the 1st, 00:00 local.
    #[serde(rename = "month")]
    Month,
    /// The whole report window as one bucket: totals per dimension value (agent scorecards).
    #[serde(rename = "whole")]
    Whole,
}

const MINUTE_MS: i64 = 60_000;

impl Granularity {
    /// The fixed length of sub-day intervals; `None` for calendar periods.
    fn interval_ms(self) -> Option<i64> {
        match self {
            Self::Minutes15 => Some(15 * MINUTE_MS),
            Self::Minutes30 => Some(30 * MINUTE_MS),
            Self::Minutes60 => Some(60 * MINUTE_MS),
            Self::Day | Self::Week | Self::Month | Self::Whole => None,
        }
    }
}

/// Maps instants (Unix milliseconds) to buckets `[start, end)` of one granularity in one zone.
/// Remembers the last bucket, because records mostly arrive in time order and a time-zone
/// lookup per record would dominate the aggregation.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: Tz,
    granularity: Granularity,
    last: Option<(i64, i64)>,
    /// The report window, the one bucket of [`Granularity::Whole`].
    window: Option<(i64, i64)>,
}

impl Calendar {
    pub fn new(zone: Tz, granularity: Granularity) -> Self {
        Self {
            zone,
            granularity,
            last: None,
            window: None,
        }
    }

    /// A calendar for a report over `[start_ms, end_ms)`: needed by [`Granularity::Whole`],
    /// whose bucket is that window.
    pub fn for_window(zone: Tz, granularity: Granularity, start_ms: i64, end_ms: i64) -> Self {
        Self {
            window: Some((start_ms, end_ms)),
            ..Self::new(zone, granularity)
        }
    }

    /// The bucket `[start, end)` holding `at_ms`.
    pub fn bucket_of(&mut self, at_ms: i64) -> Result<(i64, i64), MetricsError> {
        if let Some((start, end)) = self.last
            && start <= at_ms
            && at_ms < end
        {
            return Ok((start, end));
        }
        let bucket = match (self.granularity, self.granularity.interval_ms()) {
            (Granularity::Whole, _) => self.whole_bucket(at_ms)?,
            (_, Some(len)) => self.interval_bucket(at_ms, len)?,
            (_, None) => self.calendar_bucket(at_ms)?,
        };
        self.last = Some(bucket);
        Ok(bucket)
    }

    /// Every bucket that overlaps `[start_ms, end_ms)`, in order, at most `max` of them.
    pub(crate) fn buckets_covering(
        &mut self,
        start_ms: i64,
        end_ms: i64,
        max: usize,
    ) -> Result<Vec<(i64, i64)>, MetricsError> {
        let mut buckets = Vec::new();
        let mut cursor = start_ms;
        while cursor < end_ms {
            if buckets.len() == max {
                return Err(MetricsError::TooManyBuckets { max });
            }
            let bucket = self.bucket_of(cursor)?;
            if bucket.1 <= cursor {
                // A bucket must end after the instant it holds; never loop on a bad zone.
                return Err(MetricsError::UnrepresentableTime {
                    at: format!("{cursor} ms"),
                });
            }
            buckets.push(bucket);
            cursor = bucket.1;
        }
        Ok(buckets)
    }

    /// The bucket start as a local time with its UTC offset, for the report.
    pub(crate) fn local(&self, at_ms: i64) -> Result<DateTime<FixedOffset>, MetricsError> {
        Ok(utc(at_ms)?.with_timezone(&self.zone).fixed_offset())
    }

    /// Sub-day intervals align to the local clock using the offset in force at the instant,
    /// and every UTC-offset change is a boundary too. So on a fall-back night the repeated
    /// local hour gives two distinct buckets, on a spring-forward night the missing hour has
    /// none, and the buckets always partition time (each instant in exactly one).
    /// The window, for an instant inside it; nothing else has a whole-window bucket.
    fn whole_bucket(&self, at_ms: i64) -> Result<(i64, i64), MetricsError> {
        match self.window {
            Some((start, end)) if start <= at_ms && at_ms < end => Ok((start, end)),
            _ => Err(MetricsError::UnrepresentableTime {
                at: format!("{at_ms} ms (outside the whole-window bucket)"),
            }),
        }
    }

    fn interval_bucket(&self, at_ms: i64, len: i64) -> Result<(i64, i64), MetricsError> {
        let offset = self.offset_ms(at_ms)?;
        let floor = (at_ms + offset).div_euclid(len) * len - offset;
        let start = if self.offset_ms(floor)? == offset {
            floor
        } else {
            // The offset changed inside (floor, at]: the bucket starts at that change.
            self.first_instant_where(floor, at_ms, |o| o == offset)?
        };
        let naive_end = floor + len;
        let end = if self.offset_ms(naive_end - 1)? == offset {
            naive_end
        } else {
            // The offset changes inside (at, naive_end): the bucket ends at that change.
            self.first_instant_where(at_ms, naive_end - 1, |o| o != offset)?
        };
        Ok((start, end))
    }

    /// Binary search for the first instant in `(lo, hi]` whose offset satisfies `wanted`,
    /// given that `lo` does not and `hi` does (one offset change in between, as zones have).
    fn first_instant_where(
        &self,
        mut lo: i64,
        mut hi: i64,
        wanted: impl Fn(i64) -> bool,
    ) -> Result<i64, MetricsError> {
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if wanted(self.offset_ms(mid)?) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    }

    fn offset_ms(&self, at_ms: i64) -> Result<i64, MetricsError> {
        let at = utc(at_ms)?;
        let offset = self.zone.offset_from_utc_datetime(&at.naive_utc());
        Ok(i64::from(offset.fix().local_minus_utc()) * 1000)
    }

    fn calendar_bucket(&self, at_ms: i64) -> Result<(i64, i64), MetricsError> {
        let date = utc(at_ms)?.with_timezone(&self.zone).date_naive();
        let unplaceable = || MetricsError::UnrepresentableTime {
            at: format!("{at_ms} ms"),
        };
        let (first, next) = match self.granularity {
            Granularity::Week => {
                let monday = date
                    .checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday())))
                    .ok_or_else(unplaceable)?;
                (monday, monday.checked_add_days(Days::new(7)))
            }
            Granularity::Month => {
                let first = date.with_day(1).ok_or_else(unplaceable)?;
                (first, first.checked_add_months(Months::new(1)))
            }
            _ => (date, date.checked_add_days(Days::new(1))),
        };
        let next = next.ok_or_else(unplaceable)?;
        Ok((self.start_of_day(first)?, self.start_of_day(next)?))
    }

    /// The first instant of a local date: local midnight, or when midnight falls in a DST gap
    /// (some zones switch at 00:00), the first quarter-hour after it that exists.
    fn start_of_day(&self, date: NaiveDate) -> Result<i64, MetricsError> {
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        (0..=96)
            .filter_map(|quarter| {
                let local = midnight + chrono::TimeDelta::minutes(15 * quarter);
                self.zone.from_local_datetime(&local).earliest()
            })
            .map(|start| start.with_timezone(&Utc).timestamp_millis())
            .next()
            .ok_or_else(|| MetricsError::UnrepresentableTime {
                at: date.to_string(),
            })
    }
}

fn utc(at_ms: i64) -> Result<DateTime<Utc>, MetricsError> {
    DateTime::from_timestamp_millis(at_ms).ok_or_else(|| MetricsError::UnrepresentableTime {
        at: format!("{at_ms} ms"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn quarter_hours_follow_a_half_hour_offset() {
        // India is UTC+05:30: local 10:00 is 04:30Z, so a 60-minute bucket starts there.
        let mut cal = Calendar::new(chrono_tz::Asia::Kolkata, Granularity::Minutes60);
        let (start, end) = cal.bucket_of(ms("2026-03-02T04:45:00Z")).unwrap();
        assert_eq!(start, ms("2026-03-02T04:30:00Z"));
        assert_eq!(end, ms("2026-03-02T05:30:00Z"));
    }

    #[test]
    fn lord_howe_half_hour_fall_back_splits_the_hour() {
        // Lord Howe leaves DST (+11 → +10:30) at 02:00 local on 2026-04-05.
        let mut cal = Calendar::new(chrono_tz::Australia::Lord_Howe, Granularity::Minutes60);
        // Local 01:00–02:00 (+11), then 01:30–02:00 (+10:30) alone, then 02:00–03:00.
        let (start, end) = cal.bucket_of(ms("2026-04-04T14:45:00Z")).unwrap();
        assert_eq!(start, ms("2026-04-04T14:00:00Z"));
        assert_eq!(end, ms("2026-04-04T15:00:00Z"));
        let (next_start, next_end) = cal.bucket_of(ms("2026-04-04T15:10:00Z")).unwrap();
        assert_eq!(next_start, end);
        assert_eq!(next_end, ms("2026-04-04T15:30:00Z"));
        let (third, _) = cal.bucket_of(next_end).unwrap();
        assert_eq!(third, next_end);
    }

    #[test]
    fn week_starts_monday_and_month_on_the_first() {
        let mut week = Calendar::new(chrono_tz::Asia::Shanghai, Granularity::Week);
        // Sunday 2026-03-08 12:00 Shanghai → week of Monday 2026-03-02 00:00 (+08).
        let (start, end) = week.bucket_of(ms("2026-03-08T04:00:00Z")).unwrap();
        assert_eq!(start, ms("2026-03-01T16:00:00Z"));
        assert_eq!(end, ms("2026-03-08T16:00:00Z"));
        let mut month = Calendar::new(chrono_tz::Asia::Shanghai, Granularity::Month);
        let (start, end) = month.bucket_of(ms("2026-02-28T20:00:00Z")).unwrap();
        assert_eq!(start, ms("2026-02-28T16:00:00Z"));
        assert_eq!(end, ms("2026-03-31T16:00:00Z"));
    }

    #[test]
    fn midnight_in_a_dst_gap_starts_the_day_at_one() {
        // Asia/Beirut springs forward at 00:00 → 01:00 on 2026-03-29.
        let mut cal = Calendar::new(chrono_tz::Asia::Beirut, Granularity::Day);
        let (start, _) = cal.bucket_of(ms("2026-03-29T10:00:00Z")).unwrap();
        assert_eq!(start, ms("2026-03-28T22:00:00Z"));
    }
}
