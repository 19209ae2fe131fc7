//! Business-hours calendars: the serde shape a tenant writes (`CalendarSpec`), its validation,
//! and the checked `Calendar` that answers "which local hours are open on this date?".

use crate::error::SlaError;
use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Minutes in a local day; `24:00` is allowed as an interval end so 24/7 is expressible.
const MINUTES_PER_DAY: u16 = 24 * 60;

/// A calendar as a tenant writes it. Times are local wall-clock `HH:MM-HH:MM` in `time_zone`;
/// an interval may end at `24:00` but may not cross midnight.
///
/// ```json
/// { "time_zone": "Asia/Shanghai",
///   "weekly_hours": { "mon": ["09:00-12:00", "13:30-18:00"], "tue": ["09:00-18:00"] },
///   "holidays": ["2026-10-01"], "workdays": ["2026-09-27"] }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// IANA zone name, e.g. `Asia/Shanghai`, `Europe/Berlin`.
    pub time_zone: String,
    /// Open intervals per weekday; a weekday left out is closed.
    pub weekly_hours: WeeklyHours,
    /// Local dates that are closed whatever their weekday.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Make-up working days (调休): local dates open with `workday_hours` even if their
    /// weekday is closed.
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
    /// Hours of a make-up working day; when absent, Monday's hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workday_hours: Option<Vec<String>>,
}

/// Open intervals for each weekday, e.g. `"mon": ["09:00-12:00", "13:30-18:00"]`.
/// Every day `["00:00-24:00"]` is a 24/7 calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    #[serde(default)]
    pub mon: Vec<String>,
    #[serde(default)]
    pub tue: Vec<String>,
    #[serde(default)]
    pub wed: Vec<String>,
    #[serde(default)]
    pub thu: Vec<String>,
    #[serde(default)]
    pub fri: Vec<String>,
    #[serde(default)]
    pub sat: Vec<String>,
    #[serde(default)]
    pub sun: Vec<String>,
}

impl WeeklyHours {
    /// The same intervals on all seven days.
    pub fn every_day(intervals: &[&str]) -> Self {
        let day: Vec<String> = intervals.iter().map(|s| (*s).to_owned()).collect();
        Self {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day.clone(),
            sat: day.clone(),
            sun: day,
        }
    }

    /// The same intervals Monday to Friday, weekends closed.
    pub fn weekdays(intervals: &[&str]) -> Self {
        let all = Self::every_day(intervals);
        Self {
            sat: Vec::new(),
            sun: Vec::new(),
            ..all
        }
    }

    fn days(&self) -> [(&'static str, &Vec<String>); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}

/// One open local interval of a day, in minutes since local midnight; `end` may be 1440.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LocalInterval {
    pub(crate) start: u16,
    pub(crate) end: u16,
}

impl LocalInterval {
    pub(crate) fn start_offset(self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.start))
    }

    pub(crate) fn end_offset(self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.end))
    }
}

/// A validated calendar. Build it with [`Calendar::new`] from a [`CalendarSpec`] to get a
/// typed error, or deserialize it directly (the same checks run, the error becomes a serde
/// message carrying the code).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "CalendarSpec", into = "CalendarSpec")]
pub struct Calendar {
    spec: CalendarSpec,
    pub(crate) zone: Tz,
    /// Indexed by `Weekday::num_days_from_monday`, sorted, non-overlapping.
    weekly: [Vec<LocalInterval>; 7],
    workday_hours: Vec<LocalInterval>,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    /// Holidays and make-up days together: a week touching none of them is a plain week.
    pub(crate) special_dates: BTreeSet<NaiveDate>,
    /// Open wall-clock time of a plain week.
    pub(crate) week_total: TimeDelta,
}

impl PartialEq for Calendar {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl Calendar {
    /// Validates a spec: the zone must exist, intervals must parse, not be inverted and not
    /// overlap within a day, and no date may be both a holiday and a make-up working day.
    pub fn new(spec: CalendarSpec) -> Result<Self, SlaError> {
        let zone: Tz = spec
            .time_zone
            .parse()
            .map_err(|_| SlaError::InvalidTimeZone {
                value: spec.time_zone.clone(),
            })?;
        let mut weekly: [Vec<LocalInterval>; 7] = Default::default();
        for (index, (day, raw)) in spec.weekly_hours.days().into_iter().enumerate() {
            weekly[index] = parse_day(&format!("weekly_hours.{day}"), raw)?;
        }
        let workday_hours = match &spec.workday_hours {
            Some(raw) => parse_day("workday_hours", raw)?,
            None => weekly[0].clone(),
        };
        let holidays: BTreeSet<NaiveDate> = spec.holidays.iter().copied().collect();
        let workdays: BTreeSet<NaiveDate> = spec.workdays.iter().copied().collect();
        if let Some((index, date)) = spec
            .workdays
            .iter()
            .enumerate()
            .find(|(_, date)| holidays.contains(date))
        {
            return Err(SlaError::HolidayAndWorkday {
                field: format!("workdays[{index}]"),
                date: *date,
            });
        }
        let special_dates = holidays.union(&workdays).copied().collect();
        let week_total = weekly
            .iter()
            .flatten()
            .map(|i| i.end_offset() - i.start_offset())
            .sum();
        Ok(Self {
            spec,
            zone,
            weekly,
            workday_hours,
            holidays,
            workdays,
            special_dates,
            week_total,
        })
    }

    /// A calendar open around the clock in `time_zone` (holidays none).
    pub fn always_open(time_zone: &str) -> Result<Self, SlaError> {
        Self::new(CalendarSpec {
            time_zone: time_zone.to_owned(),
            weekly_hours: WeeklyHours::every_day(&["00:00-24:00"]),
            holidays: Vec::new(),
            workdays: Vec::new(),
            workday_hours: None,
        })
    }

    /// The spec this calendar was built from.
    pub fn spec(&self) -> &CalendarSpec {
        &self.spec
    }

    /// The calendar's time zone.
    pub fn time_zone(&self) -> Tz {
        self.zone
    }

    /// Open local intervals of a local date: none on a holiday, the make-up hours on a
    /// make-up working day, otherwise the weekday's hours.
    pub(crate) fn hours_on(&self, date: NaiveDate) -> &[LocalInterval] {
        if self.holidays.contains(&date) {
            &[]
        } else if self.workdays.contains(&date) {
            &self.workday_hours
        } else {
            &self.weekly[weekday_index(date.weekday())]
        }
    }

    /// True when some local date at or after `date` can still be open: a calendar without
    /// weekly hours is open only on its make-up days, and those run out.
    pub(crate) fn may_open_on_or_after(&self, date: NaiveDate) -> bool {
        self.week_total > TimeDelta::zero()
            || (!self.workday_hours.is_empty() && self.workdays.range(date..).next().is_some())
    }
}

impl TryFrom<CalendarSpec> for Calendar {
    type Error = String;

    fn try_from(spec: CalendarSpec) -> Result<Self, Self::Error> {
        // serde keeps only a message; put the code in it so API clients still get one.
        Self::new(spec).map_err(|e| format!("{}: {e}", e.code()))
    }
}

impl From<Calendar> for CalendarSpec {
    fn from(calendar: Calendar) -> Self {
        calendar.spec
    }
}

fn weekday_index(weekday: Weekday) -> usize {
    weekday.num_days_from_monday() as usize
}

/// Parses and checks one day's intervals; returns them sorted. `field` names the day for
/// errors, e.g. `weekly_hours.mon`, and the interval index is appended.
fn parse_day(field: &str, raw: &[String]) -> Result<Vec<LocalInterval>, SlaError> {
    let mut parsed = Vec::with_capacity(raw.len());
    for (index, text) in raw.iter().enumerate() {
        let field = format!("{field}[{index}]");
        let interval = parse_interval(text).ok_or_else(|| SlaError::InvalidInterval {
            field: field.clone(),
            value: text.clone(),
        })?;
        if interval.end <= interval.start {
            return Err(SlaError::InvertedInterval {
                field,
                value: text.clone(),
            });
        }
        parsed.push((interval, index));
    }
    parsed.sort_unstable();
    for pair in parsed.windows(2) {
        let [(earlier, earlier_index), (later, later_index)] = pair else {
            continue;
        };
        // Touching intervals (12:00-13:00, 13:00-14:00) are fine; sharing a minute is not.
        if later.start < earlier.end {
            let (index, other) = (
                *later_index.max(earlier_index),
                *later_index.min(earlier_index),
            );
            return Err(SlaError::OverlappingIntervals {
                field: format!("{field}[{index}]"),
                value: raw[index].clone(),
                other: raw[other].clone(),
            });
        }
    }
    Ok(parsed.into_iter().map(|(interval, _)| interval).collect())
}

/// `HH:MM-HH:MM` (an en dash also accepted, spaces ignored), times 00:00 to 24:00.
fn parse_interval(text: &str) -> Option<LocalInterval> {
    let (start, end) = text.split_once('-').or_else(|| text.split_once('–'))?;
    Some(LocalInterval {
        start: parse_time(start.trim())?,
        end: parse_time(end.trim())?,
    })
}

fn parse_time(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    if minutes >= 60 {
        return None;
    }
    let total = hours * 60 + minutes;
    (total <= MINUTES_PER_DAY).then_some(total)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn spec(weekly_hours: WeeklyHours) -> CalendarSpec {
        CalendarSpec {
            time_zone: "Asia/Shanghai".into(),
            weekly_hours,
            holidays: Vec::new(),
            workdays: Vec::new(),
            workday_hours: None,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn parses_split_days_and_midnight_end() {
        let cal = Calendar::new(spec(WeeklyHours {
            mon: vec!["13:30-18:00".into(), "09:00-12:00".into()],
            sat: vec!["20:00-24:00".into()],
            ..WeeklyHours::default()
        }))
        .unwrap();
        // 2026-06-01 is a Monday: sorted intervals.
        assert_eq!(
            cal.hours_on(date(2026, 6, 1)),
            &[
                LocalInterval {
                    start: 540,
                    end: 720
                },
                LocalInterval {
                    start: 810,
                    end: 1080
                }
            ]
        );
        assert_eq!(cal.week_total, TimeDelta::minutes(180 + 270 + 240));
        assert!(cal.hours_on(date(2026, 6, 2)).is_empty());
    }

    #[test]
    fn rejects_bad_zone_with_its_code_and_field() {
        let mut s = spec(WeeklyHours::weekdays(&["09:00-18:00"]));
        s.time_zone = "Asia/Beijing".into();
        let err = Calendar::new(s).unwrap_err();
        assert_eq!(err.code(), "invalid_time_zone");
        assert_eq!(err.field().as_deref(), Some("time_zone"));
    }

    #[test]
    fn rejects_malformed_inverted_and_overlapping_intervals() {
        for (text, code) in [
            ("9:00-18:00", "invalid_interval"),
            ("09:00-24:01", "invalid_interval"),
            ("09:60-10:00", "invalid_interval"),
            ("0900-1800", "invalid_interval"),
            ("18:00-09:00", "inverted_interval"),
            ("09:00-09:00", "inverted_interval"),
        ] {
            let err = Calendar::new(spec(WeeklyHours {
                tue: vec!["00:00-01:00".into(), text.into()],
                ..WeeklyHours::default()
            }))
            .unwrap_err();
            assert_eq!(err.code(), code, "{text}");
            assert_eq!(
                err.field().as_deref(),
                Some("weekly_hours.tue[1]"),
                "{text}"
            );
        }
        let err = Calendar::new(spec(WeeklyHours {
            wed: vec!["13:00-18:00".into(), "09:00-13:01".into()],
            ..WeeklyHours::default()
        }))
        .unwrap_err();
        assert_eq!(err.code(), "overlapping_intervals");
        assert_eq!(err.field().as_deref(), Some("weekly_hours.wed[1]"));
        // Touching is not overlapping.
        Calendar::new(spec(WeeklyHours {
            wed: vec!["13:00-18:00".into(), "09:00-13:00".into()],
            ..WeeklyHours::default()
        }))
        .unwrap();
    }

    #[test]
    fn rejects_a_date_both_holiday_and_workday() {
        let mut s = spec(WeeklyHours::weekdays(&["09:00-18:00"]));
        s.holidays = vec![date(2026, 10, 1)];
        s.workdays = vec![date(2026, 9, 27), date(2026, 10, 1)];
        let err = Calendar::new(s).unwrap_err();
        assert_eq!(err.code(), "holiday_and_workday");
        assert_eq!(err.field().as_deref(), Some("workdays[1]"));
    }

    #[test]
    fn workdays_default_to_monday_hours_and_can_be_set() {
        let mut s = spec(WeeklyHours {
            mon: vec!["09:00-12:00".into()],
            ..WeeklyHours::default()
        });
        s.workdays = vec![date(2026, 9, 27)];
        let cal = Calendar::new(s.clone()).unwrap();
        assert_eq!(
            cal.hours_on(date(2026, 9, 27)),
            &[LocalInterval {
                start: 540,
                end: 720
            }]
        );
        s.workday_hours = Some(vec!["10:00-11:00".into()]);
        let cal = Calendar::new(s).unwrap();
        assert_eq!(
            cal.hours_on(date(2026, 9, 27)),
            &[LocalInterval {
                start: 600,
                end: 660
            }]
        );
    }

    #[test]
    fn serde_rejects_unknown_fields_and_carries_the_code() {
        let unknown = r#"{"time_zone":"UTC","weekly_hours":{},"holiday":[]}"#;
        assert!(serde_json::from_str::<Calendar>(unknown).is_err());
        let bad = r#"{"time_zone":"UTC","weekly_hours":{"monday":["09:00-10:00"]}}"#;
        assert!(serde_json::from_str::<Calendar>(bad).is_err());
        let inverted = r#"{"time_zone":"UTC","weekly_hours":{"mon":["10:00-09:00"]}}"#;
        let err = serde_json::from_str::<Calendar>(inverted).unwrap_err();
        assert!(err.to_string().contains("inverted_interval"), "{err}");
        let good = r#"{"time_zone":"Europe/Berlin","weekly_hours":{"mon":["09:00-10:00"]},
            "holidays":["2026-12-25"],"workdays":["2026-12-27"]}"#;
        let cal: Calendar = serde_json::from_str(good).unwrap();
        let round: Calendar = serde_json::from_str(&serde_json::to_string(&cal).unwrap()).unwrap();
        assert_eq!(cal, round);
    }
}
