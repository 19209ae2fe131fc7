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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::calendar::{CalendarSpec, WeeklyHours};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    fn hours(h: f64) -> TimeDelta {
        TimeDelta::seconds((h * 3600.0) as i64)
    }

    fn dates(list: &[(i32, u32, u32)]) -> Vec<NaiveDate> {
        list.iter()
            .map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
            .collect()
    }

    fn calendar(zone: &str, weekly_hours: WeeklyHours) -> Calendar {
        Calendar::new(CalendarSpec {
            time_zone: zone.into(),
            weekly_hours,
            holidays: Vec::new(),
            workdays: Vec::new(),
            workday_hours: None,
        })
        .unwrap()
    }

    /// Shanghai office hours with a lunch break: 7.5 business hours a weekday.
    fn shanghai_office() -> Calendar {
        calendar(
            "Asia/Shanghai",
            WeeklyHours::weekdays(&["09:00-12:00", "13:30-18:00"]),
        )
    }

    /// The same, with the National Day break as stated here (not an official schedule):
    /// holidays Thu 2026-10-01 to Wed 10-07, make-up working days Sun 09-27 and Sat 10-10.
    fn shanghai_national_day() -> Calendar {
        let mut spec = shanghai_office().spec().clone();
        spec.holidays = dates(&[
            (2026, 10, 1),
            (2026, 10, 2),
            (2026, 10, 3),
            (2026, 10, 4),
            (2026, 10, 5),
            (2026, 10, 6),
            (2026, 10, 7),
        ]);
        spec.workdays = dates(&[(2026, 9, 27), (2026, 10, 10)]);
        Calendar::new(spec).unwrap()
    }

    #[test]
    fn nights_and_lunch_breaks_are_skipped() {
        let cal = shanghai_office();
        // Mon 2026-06-01 17:00: one hour today, one tomorrow morning.
        let from = at("2026-06-01T17:00:00+08:00");
        let due = cal.add_business(from, hours(2.0)).unwrap();
        assert_eq!(due, at("2026-06-02T10:00:00+08:00"));
        assert_eq!(cal.business_duration(from, due).unwrap(), hours(2.0));
        // Tue 11:00 + 2 h: 11–12, lunch, 13:30–14:30.
        let from = at("2026-06-02T11:00:00+08:00");
        assert_eq!(
            cal.add_business(from, hours(2.0)).unwrap(),
            at("2026-06-02T14:30:00+08:00")
        );
        // Running out exactly at closing time is due at closing time, not next morning.
        let from = at("2026-06-02T09:00:00+08:00");
        assert_eq!(
            cal.add_business(from, hours(7.5)).unwrap(),
            at("2026-06-02T18:00:00+08:00")
        );
        assert!(!cal.is_open(at("2026-06-02T12:30:00+08:00")));
        assert_eq!(
            cal.next_open(at("2026-06-02T12:30:00+08:00")),
            Some(at("2026-06-02T13:30:00+08:00"))
        );
        assert_eq!(
            cal.next_open(at("2026-06-02T10:00:00+08:00")),
            Some(at("2026-06-02T10:00:00+08:00"))
        );
    }

    #[test]
    fn weekends_are_skipped() {
        let cal = shanghai_office();
        // Fri 2026-06-05 16:00 + 4 h: 2 h on Friday, 2 h on Monday morning.
        let from = at("2026-06-05T16:00:00+08:00");
        assert_eq!(
            cal.add_business(from, hours(4.0)).unwrap(),
            at("2026-06-08T11:00:00+08:00")
        );
        assert_eq!(
            cal.next_open(at("2026-06-06T12:00:00+08:00")),
            Some(at("2026-06-08T09:00:00+08:00"))
        );
        // Four plain weeks of 37.5 h.
        let from = at("2026-06-01T00:00:00+08:00");
        let to = at("2026-06-29T00:00:00+08:00");
        assert_eq!(cal.business_duration(from, to).unwrap(), hours(150.0));
    }

    #[test]
    fn national_day_holidays_and_make_up_days() {
        let cal = shanghai_national_day();
        // Wed 09-30 09:00 + 24 h: Wed 7.5, holidays 10-01..07, Thu 10-08 7.5, Fri 10-09 7.5,
        // and the last 1.5 h on the make-up Saturday 10-10.
        let from = at("2026-09-30T09:00:00+08:00");
        assert_eq!(
            cal.add_business(from, hours(24.0)).unwrap(),
            at("2026-10-10T10:30:00+08:00")
        );
        // Without the break the same target ends on Monday 10-05.
        assert_eq!(
            shanghai_office().add_business(from, hours(24.0)).unwrap(),
            at("2026-10-05T10:30:00+08:00")
        );
        // Fri 09-25 17:00 + 9 h: 1 h Friday, 7.5 h on the make-up Sunday 09-27, then Monday.
        let from = at("2026-09-25T17:00:00+08:00");
        assert_eq!(
            cal.add_business(from, hours(9.0)).unwrap(),
            at("2026-09-28T09:30:00+08:00")
        );
        // 09-25 to 10-12: Fri 25, Sun 27, Mon–Wed 28–30, Thu–Fri 10-08/09, Sat 10-10 = 8 days.
        let span = cal
            .business_duration(
                at("2026-09-25T00:00:00+08:00"),
                at("2026-10-12T00:00:00+08:00"),
            )
            .unwrap();
        assert_eq!(span, hours(8.0 * 7.5));
        assert!(cal.is_open(at("2026-09-27T10:00:00+08:00")));
        assert!(!cal.is_open(at("2026-10-01T10:00:00+08:00")));
        assert_eq!(
            cal.next_open(at("2026-10-01T10:00:00+08:00")),
            Some(at("2026-10-08T09:00:00+08:00"))
        );
    }

    #[test]
    fn the_same_hours_in_two_zones_end_at_different_instants() {
        let hours_spec = WeeklyHours::weekdays(&["09:00-18:00"]);
        let shanghai = calendar("Asia/Shanghai", hours_spec.clone());
        let london = calendar("Europe/London", hours_spec);
        // Fri 2026-06-05 08:00 UTC is 16:00 in Shanghai and 09:00 (BST) in London.
        let from = at("2026-06-05T08:00:00Z");
        assert_eq!(
            shanghai.add_business(from, hours(8.0)).unwrap(),
            at("2026-06-08T07:00:00Z")
        );
        assert_eq!(
            london.add_business(from, hours(8.0)).unwrap(),
            at("2026-06-05T16:00:00Z")
        );
    }

    #[test]
    fn dst_days_are_23_and_25_hours_long() {
        let ny = Calendar::always_open("America/New_York").unwrap();
        let spring = ny.business_duration(
            at("2026-03-08T00:00:00-05:00"),
            at("2026-03-09T00:00:00-04:00"),
        );
        assert_eq!(spring.unwrap(), hours(23.0));
        let fall = ny.business_duration(
            at("2026-11-01T00:00:00-04:00"),
            at("2026-11-02T00:00:00-05:00"),
        );
        assert_eq!(fall.unwrap(), hours(25.0));

        let berlin = calendar(
            "Europe/Berlin",
            WeeklyHours {
                sun: vec!["00:00-06:00".into()],
                ..WeeklyHours::default()
            },
        );
        let sunday = |from: &str, to: &str| berlin.business_duration(at(from), at(to)).unwrap();
        // 2026-03-29 02:00 CET jumps to 03:00 CEST; 2026-10-25 03:00 CEST falls to 02:00 CET.
        assert_eq!(
            sunday("2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"),
            hours(5.0)
        );
        assert_eq!(
            sunday("2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"),
            hours(7.0)
        );
        assert_eq!(
            sunday("2026-04-05T00:00:00+02:00", "2026-04-06T00:00:00+02:00"),
            hours(6.0)
        );
    }

    #[test]
    fn an_interval_in_a_dst_gap_is_clipped_and_a_repeated_hour_counts_twice() {
        let ny = calendar(
            "America/New_York",
            WeeklyHours {
                sun: vec!["01:00-04:00".into()],
                ..WeeklyHours::default()
            },
        );
        let periods = |from: &str, to: &str| ny.open_periods(at(from), at(to)).unwrap();
        // 2026-03-08: 02:00–03:00 does not exist; 01:00 EST to 04:00 EDT is two real hours.
        assert_eq!(
            periods("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
            vec![OpenPeriod {
                start: at("2026-03-08T06:00:00Z"),
                end: at("2026-03-08T08:00:00Z"),
            }]
        );
        // 2026-11-01: 01:00–02:00 happens twice (EDT then EST): four real hours.
        assert_eq!(
            periods("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
            vec![OpenPeriod {
                start: at("2026-11-01T05:00:00Z"),
                end: at("2026-11-01T09:00:00Z"),
            }]
        );
        assert!(ny.is_open(at("2026-11-01T01:30:00-04:00")));
        assert!(ny.is_open(at("2026-11-01T01:30:00-05:00")));

        let gap_only = calendar(
            "America/New_York",
            WeeklyHours {
                sun: vec!["02:15-02:45".into()],
                ..WeeklyHours::default()
            },
        );
        let day = |from: &str, to: &str| gap_only.business_duration(at(from), at(to)).unwrap();
        assert_eq!(
            day("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
            TimeDelta::zero()
        );
        assert_eq!(
            day("2026-03-15T00:00:00Z", "2026-03-16T00:00:00Z"),
            hours(0.5)
        );
        // The gap day has nothing, so a target started then runs to the next Sunday.
        assert_eq!(
            gap_only
                .add_business(at("2026-03-08T00:00:00Z"), hours(0.25))
                .unwrap(),
            at("2026-03-15T02:30:00-04:00")
        );
    }

    #[test]
    fn add_business_crosses_a_dst_weekend() {
        let berlin = calendar("Europe/Berlin", WeeklyHours::weekdays(&["09:00-17:00"]));
        // Fri 2026-03-27 16:00 CET + 2 h: 1 h Friday, then Monday 09:00 CEST + 1 h.
        assert_eq!(
            berlin
                .add_business(at("2026-03-27T16:00:00+01:00"), hours(2.0))
                .unwrap(),
            at("2026-03-30T10:00:00+02:00")
        );
    }

    #[test]
    fn a_calendar_without_open_time_answers_instead_of_looping() {
        let closed = calendar("Asia/Shanghai", WeeklyHours::default());
        let from = at("2026-01-01T00:00:00Z");
        assert_eq!(
            closed.add_business(from, hours(1.0)),
            Err(SlaError::NoBusinessTime { from })
        );
        assert_eq!(closed.next_open(from), None);
        assert_eq!(
            closed.business_duration(from, from + WEEK * 52).unwrap(),
            TimeDelta::zero()
        );

        // Open only on one make-up day: usable until that day has passed.
        let mut spec = closed.spec().clone();
        spec.workdays = dates(&[(2026, 9, 27)]);
        spec.workday_hours = Some(vec!["09:00-10:00".into()]);
        let one_day = Calendar::new(spec).unwrap();
        assert_eq!(
            one_day.add_business(from, hours(0.5)).unwrap(),
            at("2026-09-27T09:30:00+08:00")
        );
        assert!(one_day.add_business(from, hours(2.0)).is_err());
        assert_eq!(one_day.next_open(at("2026-09-28T00:00:00Z")), None);
        assert_eq!(
            closed.add_business(from, -hours(1.0)),
            Err(SlaError::NegativeDuration)
        );
    }

    #[test]
    fn long_spans_skip_whole_weeks() {
        let cal = shanghai_national_day();
        let from = at("2026-01-05T09:00:00+08:00");
        // About forty years of 37.5-hour weeks: thousands of weeks, each skipped in one step.
        let duration = hours(37.5) * 52 * 40;
        let due = cal.add_business(from, duration).unwrap();
        assert_eq!(cal.business_duration(from, due).unwrap(), duration);
        assert!(due.year() >= 2065);
        assert_eq!(
            cal.add_business(from, TimeDelta::weeks(52 * 200)),
            Err(SlaError::NoBusinessTime { from })
        );
        assert!(
            cal.business_duration(from, at("9999-01-01T00:00:00Z"))
                .is_ok()
        );
        let year_10000 = NaiveDate::from_ymd_opt(10_000, 1, 1)
            .unwrap()
            .and_time(NaiveTime::MIN);
        let err = cal
            .business_duration(from, year_10000.and_utc())
            .unwrap_err();
        assert_eq!(err.code(), "out_of_range");
    }

    const ZONES: [&str; 7] = [
        "Asia/Shanghai",
        "America/New_York",
        "Europe/Berlin",
        "Europe/London",
        "Australia/Lord_Howe", // half-hour DST shift
        "Asia/Kolkata",
        "America/Sao_Paulo", // DST until 2019, none after
    ];

    /// Random weekly hours (0–2 intervals a day on a 15-minute grid), zone and holidays.
    fn any_calendar() -> impl Strategy<Value = Calendar> {
        let day = prop::collection::vec(0u16..=96, 0..=4).prop_map(|mut marks| {
            marks.sort_unstable();
            marks.dedup();
            marks
                .chunks_exact(2)
                .map(|pair| format!("{}-{}", hhmm(pair[0] * 15), hhmm(pair[1] * 15)))
                .collect::<Vec<_>>()
        });
        let special = prop::collection::vec(0u32..1100, 0..12);
        (
            prop::sample::select(ZONES.to_vec()),
            prop::array::uniform7(day),
            special.clone(),
            special,
        )
            .prop_map(|(zone, days, holidays, workdays)| {
                let [mon, tue, wed, thu, fri, sat, sun] = days;
                let date = |n: u32| {
                    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + TimeDelta::days(i64::from(n))
                };
                let holidays: Vec<NaiveDate> = holidays.into_iter().map(date).collect();
                let workdays = workdays
                    .into_iter()
                    .map(date)
                    .filter(|d| !holidays.contains(d))
                    .collect();
                Calendar::new(CalendarSpec {
                    time_zone: zone.into(),
                    weekly_hours: WeeklyHours {
                        mon,
                        tue,
                        wed,
                        thu,
                        fri,
                        sat,
                        sun,
                    },
                    holidays,
                    workdays,
                    workday_hours: None,
                })
                .unwrap()
            })
    }

    fn hhmm(minutes: u16) -> String {
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }

    /// Instants from 2025 to the end of 2027, to the second.
    fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
        (1_735_689_600i64..1_830_297_600).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    /// Up to 60 days of business time, to the second.
    fn any_duration() -> impl Strategy<Value = TimeDelta> {
        (0i64..60 * 86_400).prop_map(TimeDelta::seconds)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn add_business_inverts_business_duration(
            cal in any_calendar(), from in any_instant(), d in any_duration(),
        ) {
            match cal.add_business(from, d) {
                Ok(due) => {
                    prop_assert!(due >= from);
                    prop_assert_eq!(cal.business_duration(from, due).unwrap(), d);
                    // Earliest such instant: a second earlier, less had elapsed.
                    if d > TimeDelta::zero() {
                        let before = cal.business_duration(from, due - TimeDelta::seconds(1)).unwrap();
                        prop_assert!(before < d);
                    }
                }
                Err(SlaError::NoBusinessTime { .. }) => {
                    prop_assert!(cal.week_total.is_zero());
                }
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }

        #[test]
        fn add_business_is_monotone(
            cal in any_calendar(), from in any_instant(), a in any_duration(), b in any_duration(),
        ) {
            let (short, long) = (a.min(b), a.max(b));
            if let (Ok(x), Ok(y)) = (cal.add_business(from, short), cal.add_business(from, long)) {
                prop_assert!(x <= y);
            }
        }

        #[test]
        fn business_duration_is_additive_and_bounded(
            cal in any_calendar(), a in any_instant(), b in any_instant(), c in any_instant(),
        ) {
            let mut v = [a, b, c];
            v.sort_unstable();
            let [a, b, c] = v;
            let ab = cal.business_duration(a, b).unwrap();
            let bc = cal.business_duration(b, c).unwrap();
            prop_assert_eq!(cal.business_duration(a, c).unwrap(), ab + bc);
            prop_assert!(ab <= b - a);
            prop_assert_eq!(cal.business_duration(b, a).unwrap(), TimeDelta::zero());
        }

        #[test]
        fn is_open_agrees_with_open_periods_and_next_open(
            cal in any_calendar(), from in any_instant(), probes in prop::collection::vec(0i64..3 * 86_400, 1..20),
        ) {
            let to = from + TimeDelta::days(3);
            let periods = cal.open_periods(from, to).unwrap();
            let total: TimeDelta = periods.iter().map(OpenPeriod::duration).sum();
            prop_assert_eq!(total, cal.business_duration(from, to).unwrap());
            for pair in periods.windows(2) {
                prop_assert!(pair[0].end < pair[1].start);
            }
            for offset in probes {
                let x = from + TimeDelta::seconds(offset);
                let inside = periods.iter().any(|p| p.start <= x && x < p.end);
                prop_assert_eq!(cal.is_open(x), inside);
                match cal.next_open(x) {
                    Some(open) => {
                        prop_assert!(open >= x);
                        prop_assert!(cal.is_open(open));
                        prop_assert_eq!(open == x, inside);
                        prop_assert_eq!(cal.business_duration(x, open).unwrap(), TimeDelta::zero());
                    }
                    None => prop_assert!(!inside),
                }
            }
        }

        #[test]
        fn skipping_whole_weeks_matches_walking_day_by_day(
            cal in any_calendar(), from in any_instant(), span in any_duration(),
        ) {
            // open_periods never skips a week, so it is the slow reference.
            let to = from + span;
            let walked: TimeDelta = cal.open_periods(from, to).unwrap().iter().map(OpenPeriod::duration).sum();
            prop_assert_eq!(cal.business_duration(from, to).unwrap(), walked);
        }

        #[test]
        fn a_24_7_calendar_counts_wall_time_in_any_zone(
            zone in prop::sample::select(ZONES.to_vec()), a in any_instant(), b in any_instant(),
        ) {
            let cal = Calendar::always_open(zone).unwrap();
            let (from, to) = (a.min(b), a.max(b));
            prop_assert_eq!(cal.business_duration(from, to).unwrap(), to - from);
            prop_assert_eq!(cal.add_business(from, to - from).unwrap(), to);
        }
    }
}
