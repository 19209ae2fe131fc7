//! The tenant's business hours as a calendar: whether the service is open now and when it
//! opens next, for the widget's "leave a message" mode. The calendar math is kefu-sla's.

use chrono::{DateTime, Utc};
use kefu_sla::{Calendar, CalendarSpec, WeeklyHours};
use kefu_store::TenantSettings;

/// Open now, and if not, when next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenState {
    pub open: bool,
    pub next_open_at: Option<DateTime<Utc>>,
}

/// The tenant's weekly hours as a calendar spec; `None` when no hours are set (always open).
pub fn tenant_spec(settings: &TenantSettings) -> Option<CalendarSpec> {
    if settings.business_hours.values().all(Vec::is_empty) {
        return None;
    }
    let day = |name: &str| -> Vec<String> {
        settings
            .business_hours
            .get(name)
            .map(|ranges| {
                ranges
                    .iter()
                    .map(|[from, to]| format!("{from}-{to}"))
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(CalendarSpec {
        time_zone: settings.timezone.clone(),
        weekly_hours: WeeklyHours {
            mon: day("mon"),
            tue: day("tue"),
            wed: day("wed"),
            thu: day("thu"),
            fri: day("fri"),
            sat: day("sat"),
            sun: day("sun"),
        },
        holidays: Vec::new(),
        workdays: Vec::new(),
        workday_hours: None,
    })
}

/// Every hour of every day in the tenant's zone: SLA clocks without business hours.
pub fn around_the_clock(settings: &TenantSettings) -> CalendarSpec {
    let all = || vec!["00:00-24:00".to_owned()];
    CalendarSpec {
        time_zone: settings.timezone.clone(),
        weekly_hours: WeeklyHours {
            mon: all(),
            tue: all(),
            wed: all(),
            thu: all(),
            fri: all(),
            sat: all(),
            sun: all(),
        },
        holidays: Vec::new(),
        workdays: Vec::new(),
        workday_hours: None,
    }
}

/// No hours configured means always open; hours that do not parse (checked when saved, so
/// only an old record) are treated the same rather than closing the service.
pub fn open_state(settings: &TenantSettings, now: DateTime<Utc>) -> OpenState {
    let always = OpenState {
        open: true,
        next_open_at: None,
    };
    let Some(spec) = tenant_spec(settings) else {
        return always;
    };
    match Calendar::new(spec) {
        Ok(calendar) if calendar.is_open(now) => always,
        Ok(calendar) => OpenState {
            open: false,
            next_open_at: calendar.next_open(now),
        },
        Err(err) => {
            tracing::warn!(%err, "business hours do not form a calendar; treating as open");
            always
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn shanghai_nine_to_six() -> TenantSettings {
        TenantSettings {
            timezone: "Asia/Shanghai".into(),
            business_hours: ["mon", "tue", "wed", "thu", "fri"]
                .into_iter()
                .map(|d| (d.to_owned(), vec![["09:00".to_owned(), "18:00".to_owned()]]))
                .collect(),
            ..TenantSettings::default()
        }
    }

    #[test]
    fn open_in_hours_closed_at_night_and_over_the_weekend() {
        let settings = shanghai_nine_to_six();
        // Wednesday 2026-11-25 10:00 in Shanghai is 02:00 UTC.
        let wednesday_ten = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).single();
        let Some(wednesday_ten) = wednesday_ten else {
            unreachable!("valid time")
        };
        assert!(open_state(&settings, wednesday_ten).open);
        // Friday 20:00 Shanghai (12:00 UTC): next open Monday 09:00 Shanghai (01:00 UTC).
        let Some(friday_night) = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).single() else {
            unreachable!("valid time")
        };
        let state = open_state(&settings, friday_night);
        assert!(!state.open);
        assert_eq!(
            state.next_open_at,
            Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).single()
        );
    }

    #[test]
    fn no_hours_means_always_open() {
        let state = open_state(&TenantSettings::default(), Utc::now());
        assert!(state.open);
        assert_eq!(state.next_open_at, None);
    }
}
