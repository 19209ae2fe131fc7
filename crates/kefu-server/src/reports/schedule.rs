//! The rules of scheduled reports, with no I/O: what a schedule may say (at most 20 valid
//! recipients, a local HH:MM, a weekday for weekly ones, filters the report takes) and which
//! period is due at an instant in the tenant's zone, with the report window it covers.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use kefu_core::{IdentityKind, ValidationErrors, normalize_identity};
use kefu_metrics::Tz;
use kefu_store::NewReportSchedule;
use serde::Deserialize;
use utoipa::ToSchema;

/// Most recipients of one schedule.
pub const MAX_RECIPIENTS: usize = 20;
/// Longest schedule name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// A schedule as a client sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    #[schema(example = "每日坐席绩效 Daily scorecards")]
    pub name: String,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// ISO weekday of a weekly schedule: 1 (Monday) to 7 (Sunday).
    pub weekday: Option<i64>,
    /// Local time `HH:MM` in the tenant's time zone.
    #[schema(example = "08:00")]
    pub send_time: String,
    /// 1–20 e-mail addresses.
    pub recipients: Vec<String>,
    /// `metrics` or `scorecards`.
    pub report_kind: String,
    /// The report's query parameters except `from`, `to` and `format` (the period and the
    /// schedule's format decide those), e.g. `{"granularity": "60m"}` or `{"group": "…"}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub filters: serde_json::Map<String, serde_json::Value>,
    /// `csv` or `xlsx`.
    pub format: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// The report a schedule sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Metrics,
    Scorecards,
}

impl ReportKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "metrics" => Some(Self::Metrics),
            "scorecards" => Some(Self::Scorecards),
            _ => None,
        }
    }
}

/// Filters a report of `kind` accepts from a schedule: its query parameters but the window
/// and the format.
fn allowed_filters(kind: ReportKind) -> &'static [&'static str] {
    match kind {
        ReportKind::Metrics => &[
            "granularity",
            "time_zone",
            "dimensions",
            "service_level",
            "sl_threshold_secs",
            "short_abandon_secs",
            "fcr_window_days",
        ],
        ReportKind::Scorecards => &["time_zone", "group", "agent", "fcr_window_days"],
    }
}

/// Checks a schedule and normalises it (trimmed name, lower-case unique addresses). The
/// filters' values are checked by the report itself (`check_filters` in the routes).
pub fn check(input: ScheduleInput) -> Result<NewReportSchedule, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.push(
            "name",
            "invalid_length",
            format!("a name of 1 to {MAX_NAME_CHARS} characters"),
        );
    }
    match (input.frequency.as_str(), input.weekday) {
        ("daily", None) => {}
        ("daily", Some(_)) => {
            errors.push("weekday", "not_allowed", "daily schedules have no weekday")
        }
        ("weekly", Some(1..=7)) => {}
        ("weekly", _) => errors.push("weekday", "invalid_weekday", "1 (Monday) to 7 (Sunday)"),
        _ => errors.push("frequency", "invalid_frequency", "daily or weekly"),
    }
    if parse_send_time(&input.send_time).is_none() {
        errors.push(
            "send_time",
            "invalid_time",
            "a local time HH:MM, 00:00 to 23:59",
        );
    }
    let mut recipients: Vec<String> = Vec::new();
    for (i, raw) in input.recipients.iter().enumerate() {
        match normalize_identity(IdentityKind::Email, raw) {
            Ok(email) if !recipients.contains(&email) => recipients.push(email),
            Ok(_) => {}
            Err(_) => errors.push(
                format!("recipients[{i}]"),
                "invalid_email",
                format!("{raw:?} is not an e-mail address"),
            ),
        }
    }
    if recipients.is_empty()
        && errors
            .errors
            .iter()
            .all(|e| !e.field.starts_with("recipients"))
    {
        errors.push("recipients", "required", "at least one recipient");
    }
    if recipients.len() > MAX_RECIPIENTS {
        errors.push(
            "recipients",
            "too_many",
            format!("at most {MAX_RECIPIENTS} recipients"),
        );
    }
    match ReportKind::parse(&input.report_kind) {
        Some(kind) => {
            for (key, value) in &input.filters {
                if !allowed_filters(kind).contains(&key.as_str()) {
                    errors.push(
                        format!("filters.{key}"),
                        "unknown_filter",
                        format!(
                            "{} reports take {}",
                            input.report_kind,
                            allowed_filters(kind).join(", ")
                        ),
                    );
                } else if !value.is_string() {
                    errors.push(
                        format!("filters.{key}"),
                        "invalid_filter",
                        "filter values are strings",
                    );
                }
            }
        }
        None => errors.push(
            "report_kind",
            "invalid_report_kind",
            "metrics or scorecards",
        ),
    }
    if !matches!(input.format.as_str(), "csv" | "xlsx") {
        errors.push("format", "invalid_format", "csv or xlsx");
    }
    errors.into_result()?;
    Ok(NewReportSchedule {
        name,
        frequency: input.frequency,
        weekday: input.weekday,
        send_time: input.send_time.trim().to_owned(),
        recipients,
        report_kind: input.report_kind,
        filters: input.filters,
        format: input.format,
        enabled: input.enabled,
    })
}

/// `HH:MM`, 00:00–23:59.
pub fn parse_send_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// When a schedule sends: every day, or one weekday, at a local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub weekday: Option<Weekday>,
    pub at: NaiveTime,
}

impl Timing {
    /// The stored schedule's timing; `None` if its fields no longer parse.
    pub fn of(weekday: Option<i64>, send_time: &str) -> Option<Self> {
        let weekday = match weekday {
            None => None,
            Some(n) => Some(Weekday::try_from(u8::try_from(n.checked_sub(1)?).ok()?).ok()?),
        };
        Some(Timing {
            weekday,
            at: parse_send_time(send_time)?,
        })
    }
}

/// One period of a schedule: the local date it is due, when, and the window it reports on
/// (the day before for daily schedules, the seven days before for weekly ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub date: NaiveDate,
    pub due_at: DateTime<Utc>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
}

impl Period {
    /// The key stored with the delivery: one row per schedule and key.
    pub fn key(&self) -> String {
        self.date.format("%Y-%m-%d").to_string()
    }
}

/// The first instant of a local wall time; a time skipped by DST moves to the first one
/// after the gap (looked for in quarter hours).
fn local_instant(zone: Tz, date: NaiveDate, at: NaiveTime) -> Option<DateTime<Utc>> {
    let start = date.and_time(at);
    (0..=12).find_map(|quarter| {
        let local = start + chrono::TimeDelta::minutes(15 * quarter);
        zone.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// The period due on `date` (whatever its weekday): its send instant and window.
pub fn period_on(timing: Timing, zone: Tz, date: NaiveDate) -> Option<Period> {
    let days_back = if timing.weekday.is_some() { 7 } else { 1 };
    let first = date.checked_sub_days(Days::new(days_back))?;
    let midnight = NaiveTime::MIN;
    Some(Period {
        date,
        due_at: local_instant(zone, date, timing.at)?,
        window_start: local_instant(zone, first, midnight)?,
        window_end: local_instant(zone, date, midnight)?,
    })
}

/// The latest period due at or before `now`, if any in the last eight days.
pub fn latest_due(timing: Timing, zone: Tz, now: DateTime<Utc>) -> Option<Period> {
    let today = now.with_timezone(&zone).date_naive();
    (0..=8u64)
        .filter_map(|back| today.checked_sub_days(Days::new(back)))
        .filter(|date| timing.weekday.is_none_or(|w| date.weekday() == w))
        .filter_map(|date| period_on(timing, zone, date))
        .find(|period| period.due_at <= now)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn input() -> ScheduleInput {
        ScheduleInput {
            name: " Daily ".into(),
            frequency: "daily".into(),
            weekday: None,
            send_time: "08:00".into(),
            recipients: vec!["Boss@Example.com".into(), "boss@example.com".into()],
            report_kind: "scorecards".into(),
            filters: serde_json::Map::new(),
            format: "xlsx".into(),
            enabled: true,
        }
    }

    #[test]
    fn a_good_schedule_is_normalised() {
        let checked = check(input()).unwrap();
        assert_eq!(checked.name, "Daily");
        assert_eq!(checked.recipients, ["boss@example.com"]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = input();
        bad.name = " ".into();
        bad.frequency = "weekly".into();
        bad.send_time = "8:00".into();
        bad.recipients = (0..21).map(|i| format!("a{i}@x.test")).collect();
        bad.recipients.push("not an address".into());
        bad.report_kind = "metrics".into();
        bad.filters.insert("group".into(), "x".into());
        bad.format = "pdf".into();
        let err = check(bad).unwrap_err();
        let mut fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "filters.group",
                "format",
                "name",
                "recipients",
                "recipients[21]",
                "send_time",
                "weekday"
            ]
        );
        let mut empty = input();
        empty.recipients.clear();
        assert_eq!(check(empty).unwrap_err().errors[0].code, "required");
    }

    #[test]
    fn a_daily_period_is_due_at_the_local_time_and_covers_yesterday() {
        let timing = Timing::of(None, "08:00").unwrap();
        let zone = Tz::Asia__Shanghai;
        // 07:59 Shanghai on 3 March: the 2 March period is the latest due.
        let p = latest_due(timing, zone, at("2026-03-02T23:59:00Z")).unwrap();
        assert_eq!(p.key(), "2026-03-02");
        assert_eq!(p.due_at, at("2026-03-02T00:00:00Z"));
        assert_eq!(p.window_start, at("2026-02-28T16:00:00Z"));
        assert_eq!(p.window_end, at("2026-03-01T16:00:00Z"));
        // 08:00 exactly: 3 March is due.
        let p = latest_due(timing, zone, at("2026-03-03T00:00:00Z")).unwrap();
        assert_eq!(p.key(), "2026-03-03");
    }

    #[test]
    fn a_weekly_period_is_due_on_its_weekday_and_covers_seven_days() {
        // Mondays 09:30 in New York, across the DST start of 8 March 2026.
        let timing = Timing::of(Some(1), "09:30").unwrap();
        let zone = Tz::America__New_York;
        let p = latest_due(timing, zone, at("2026-03-11T12:00:00Z")).unwrap();
        assert_eq!(p.key(), "2026-03-09");
        assert_eq!(p.due_at, at("2026-03-09T13:30:00Z"));
        assert_eq!(p.window_start, at("2026-03-02T05:00:00Z"));
        assert_eq!(p.window_end, at("2026-03-09T04:00:00Z"));
    }

    #[test]
    fn a_send_time_lost_to_dst_moves_after_the_gap() {
        let timing = Timing::of(None, "02:30").unwrap();
        let p = period_on(
            timing,
            Tz::America__New_York,
            NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
        )
        .unwrap();
        // 02:30 does not exist that night; 03:00 EDT is the first quarter hour after it.
        assert_eq!(p.due_at, at("2026-03-08T07:00:00Z"));
    }
}
