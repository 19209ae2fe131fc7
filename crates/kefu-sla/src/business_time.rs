//! Business-time arithmetic on a validated [`Calendar`]: open periods in UTC, business time
//! between instants, the instant a business duration ends, and the next opening.
//!
//! The one rule everything follows: an instant is open when its local wall-clock reading
//! (date and time in the calendar's zone) falls inside an open interval of that local date.
//! So a local interval in a spring-forward gap shrinks to what exists, and one in a fall-back
//! hour counts both passes of that hour. Work is done one UTC day at a time; a whole week with
//! no holiday, make-up day or offset change is skipped in one step, because its open time is
//! exactly the weekly total.

use crate::calendar::Calendar;
use crate::error::SlaError;
use chrono::{DateTime, Datelike, NaiveTime, Offset, TimeDelta, TimeZone, Utc};

const DAY: TimeDelta = TimeDelta::days(1);
const WEEK: TimeDelta = TimeDelta::weeks(1);
/// Offsets are probed this often; real zones never change offset twice within it.
const PROBE_STEP: TimeDelta = TimeDelta::hours(6);
/// How far ahead `add_business` and `next_open` search before giving up: a calendar open
/// once a century is treated as never open rather than searched forever.
const SEARCH_HORIZON: TimeDelta = TimeDelta::days(366 * 100);
/// Instants are accepted in these years so that every date step stays far from chrono's limits.
const FIRST_YEAR: i32 = 1000;
const LAST_YEAR: i32 = 9999;

/// A half-open stretch `[start, end)` of open time, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenPeriod {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl OpenPeriod {
    pub fn duration(&self) -> TimeDelta {
        self.end - self.start
    }
}

impl Calendar {
    /// Whether business is open at `at`.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.zone).naive_local();
        let since_midnight = local.time() - NaiveTime::MIN;
        self.hours_on(local.date())
            .iter()
            .any(|i| i.start_offset() <= since_midnight && since_midnight < i.end_offset())
    }

    /// `at` itself when open, else the start of the next open period; `None` when the
    /// calendar never opens again (within a century) or `at` is outside the years 1000–9999.
    pub fn next_open(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        in_range(at).ok()?;
        let mut cursor = at;
        while cursor - at <= SEARCH_HORIZON && self.may_open_after(cursor) {
            if self.week_total.is_zero() && self.is_plain_week(cursor) {
                cursor += WEEK;
                continue;
            }
            if let Some(first) = self.open_periods_in(cursor, cursor + DAY).first() {
                return Some(first.start);
            }
            cursor += DAY;
        }
        None
    }

    /// Business time between `from` and `to`; zero when `to` is not after `from`.
    pub fn business_duration(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<TimeDelta, SlaError> {
        in_range(from)?;
        in_range(to)?;
        let mut total = TimeDelta::zero();
        let mut cursor = from;
        while cursor < to {
            if to - cursor >= WEEK && self.is_plain_week(cursor) {
                total += self.week_total;
                cursor += WEEK;
                continue;
            }
            let window_end = (cursor + DAY).min(to);
            total += self
                .open_periods_in(cursor, window_end)
                .iter()
                .map(OpenPeriod::duration)
                .sum::<TimeDelta>();
            cursor = window_end;
        }
        Ok(total)
    }

    /// The earliest instant at which `duration` of business time has passed since `from`.
    /// A zero duration returns `from`; otherwise the result always lies in or at the end of
    /// an open period (a target that runs out at closing time is due at closing time).
    pub fn add_business(
        &self,
        from: DateTime<Utc>,
        duration: TimeDelta,
    ) -> Result<DateTime<Utc>, SlaError> {
        in_range(from)?;
        if duration < TimeDelta::zero() {
            return Err(SlaError::NegativeDuration);
        }
        if duration.is_zero() {
            return Ok(from);
        }
        let mut remaining = duration;
        let mut cursor = from;
        while cursor - from <= SEARCH_HORIZON && self.may_open_after(cursor) {
            // Strictly more than a week's worth: if it were equal, the answer is the end of
            // this week's last open period, not the end of the week.
            if remaining > self.week_total && self.is_plain_week(cursor) {
                remaining -= self.week_total;
                cursor += WEEK;
                continue;
            }
            for period in self.open_periods_in(cursor, cursor + DAY) {
                if remaining <= period.duration() {
                    return Ok(period.start + remaining);
                }
                remaining -= period.duration();
            }
            cursor += DAY;
        }
        Err(SlaError::NoBusinessTime { from })
    }

    /// Open periods within `[from, to)`, in order, clipped to the window.
    pub fn open_periods(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<OpenPeriod>, SlaError> {
        in_range(from)?;
        in_range(to)?;
        let mut periods: Vec<OpenPeriod> = Vec::new();
        let mut cursor = from;
        while cursor < to {
            let window_end = (cursor + DAY).min(to);
            for period in self.open_periods_in(cursor, window_end) {
                push_merged(&mut periods, period);
            }
            cursor = window_end;
        }
        Ok(periods)
    }

    /// Open periods in a window of at most a few days, sorted and merged. The window is cut
    /// into stretches of constant UTC offset; in each, wall-clock time is UTC plus the offset,
    /// so every local date the stretch shows is intersected with that date's hours.
    fn open_periods_in(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<OpenPeriod> {
        let mut periods = Vec::new();
        for (start, end, offset) in self.constant_offset_stretches(from, to) {
            let wall_start = start.naive_utc() + offset;
            let wall_end = end.naive_utc() + offset;
            let mut date = wall_start.date();
            while date.and_time(NaiveTime::MIN) < wall_end {
                let midnight = date.and_time(NaiveTime::MIN);
                for interval in self.hours_on(date) {
                    let open = (midnight + interval.start_offset()).max(wall_start);
                    let close = (midnight + interval.end_offset()).min(wall_end);
                    if open < close {
                        periods.push(OpenPeriod {
                            start: (open - offset).and_utc(),
                            end: (close - offset).and_utc(),
                        });
                    }
                }
                let Some(next) = date.succ_opt() else { break };
                date = next;
            }
        }
        periods.sort_by_key(|p| p.start);
        let mut merged = Vec::with_capacity(periods.len());
        for period in periods {
            push_merged(&mut merged, period);
        }
        merged
    }

    /// `[from, to)` cut where the zone's UTC offset changes, each piece with its offset.
    fn constant_offset_stretches(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>, TimeDelta)> {
        let mut stretches = Vec::new();
        let mut stretch_start = from;
        let mut offset = self.offset_at(from);
        let mut probe = from;
        while probe < to {
            let next_probe = (probe + PROBE_STEP).min(to);
            while self.offset_at(next_probe) != offset {
                let change = self.first_change_after(probe.max(stretch_start), next_probe, offset);
                if change >= to {
                    break;
                }
                stretches.push((stretch_start, change, offset));
                stretch_start = change;
                offset = self.offset_at(change);
            }
            probe = next_probe;
        }
        if stretch_start < to {
            stretches.push((stretch_start, to, offset));
        }
        stretches
    }

    /// The first whole second in `(low, high]` whose offset differs from `offset`, which is
    /// the offset at `low` and differs from the one at `high`. Zone transitions happen on
    /// whole seconds, so bisecting over seconds finds the exact instant.
    fn first_change_after(
        &self,
        low: DateTime<Utc>,
        high: DateTime<Utc>,
        offset: TimeDelta,
    ) -> DateTime<Utc> {
        let mut same = low.timestamp();
        let mut changed = high.timestamp();
        while changed - same > 1 {
            let middle = same + (changed - same) / 2;
            match DateTime::from_timestamp(middle, 0) {
                Some(m) if self.offset_at(m) == offset => same = middle,
                _ => changed = middle,
            }
        }
        DateTime::from_timestamp(changed, 0).unwrap_or(high)
    }

    fn offset_at(&self, at: DateTime<Utc>) -> TimeDelta {
        let seconds = self
            .zone
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc();
        TimeDelta::seconds(i64::from(seconds))
    }

    /// A week from `from` is plain when its offset never changes and none of the local dates
    /// it touches is a holiday or make-up day: its open time is then exactly `week_total`.
    fn is_plain_week(&self, from: DateTime<Utc>) -> bool {
        let offset = self.offset_at(from);
        let mut probe = from;
        while probe < from + WEEK {
            probe += PROBE_STEP;
            if self.offset_at(probe) != offset {
                return false;
            }
        }
        let first_date = (from.naive_utc() + offset).date();
        let last_date = (from.naive_utc() + WEEK + offset).date();
        self.special_dates
            .range(first_date..=last_date)
            .next()
            .is_none()
    }

    fn may_open_after(&self, at: DateTime<Utc>) -> bool {
        // A day of slack: the local date of a later instant is never earlier than that.
        let local_date = (at.naive_utc() - DAY).date();
        self.may_open_on_or_after(local_date)
    }
}

fn push_merged(periods: &mut Vec<OpenPeriod>, period: OpenPeriod) {
    match periods.last_mut() {
        Some(last) if period.start <= last.end => last.end = last.end.max(period.end),
        _ => periods.push(period),
    }
}

pub(crate) fn in_range(at: DateTime<Utc>) -> Result<(), SlaError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&at.year()) {
        Ok(())
    } else {
        Err(SlaError::OutOfRange { at })
    }
}
