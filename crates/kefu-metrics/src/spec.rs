//! What a report asks for: window, time zone, granularity, dimensions and the thresholds
//! (service-level T, short abandon, FCR days); defaults and range checks live here.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::bucket::Granularity;
use crate::error::MetricsError;
use crate::service_level::SlDefinition;

/// A grouping of report rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// One row per bucket for the whole tenant.
    Tenant,
    Queue,
    Channel,
    /// Interactions the agent answered, and the agent's state spans.
    Agent,
    ServiceGroup,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Self::Tenant,
        Self::Queue,
        Self::Channel,
        Self::Agent,
        Self::ServiceGroup,
    ];
}

/// The parameters of one report. Build with [`AggregationSpec::new`] and adjust fields, or
/// deserialize (unknown fields rejected, omitted ones defaulted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregationSpec {
    /// The tenant's zone (IANA name): it decides where days, weeks and months start.
    pub time_zone: Tz,
    pub granularity: Granularity,
    /// Contacts offered in `[window_start, window_end)` are reported; buckets are aligned
    /// so the first one holds `window_start`.
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// The event log is complete up to here (defaults to `window_end`). FCR windows and
    /// ticket deadlines that end after it are reported as undetermined or open.
    #[serde(default)]
    pub observed_until: Option<DateTime<Utc>>,
    #[serde(default = "all_dimensions")]
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub service_level: SlDefinition,
    /// T in "answered within T seconds".
    #[serde(default = "default_service_level_secs")]
    pub service_level_secs: u32,
    /// Abandons with a wait ≤ this many seconds are short abandons.
    #[serde(default = "default_short_abandon_secs")]
    pub short_abandon_secs: u32,
    /// N in "no repeat contact within N days".
    #[serde(default = "default_fcr_window_days")]
    pub fcr_window_days: u32,
}

fn all_dimensions() -> Vec<Dimension> {
    Dimension::ALL.to_vec()
}
fn default_service_level_secs() -> u32 {
    20
}
fn default_short_abandon_secs() -> u32 {
    5
}
fn default_fcr_window_days() -> u32 {
    7
}

/// Longest thresholds accepted: beyond these the numbers stop meaning anything.
const MAX_THRESHOLD_SECS: u32 = 86_400;
const MAX_FCR_WINDOW_DAYS: u32 = 366;

impl AggregationSpec {
    /// A spec with kefu's defaults: every dimension, SL definition 3 with T = 20 s, short
    /// abandons ≤ 5 s, FCR within 7 days, the log complete up to `window_end`.
    pub fn new(
        time_zone: Tz,
        granularity: Granularity,
        window_start: DateTime<Utc>,
        window_end: DateTime<Utc>,
    ) -> Self {
        Self {
            time_zone,
            granularity,
            window_start,
            window_end,
            observed_until: None,
            dimensions: all_dimensions(),
            service_level: SlDefinition::default(),
            service_level_secs: default_service_level_secs(),
            short_abandon_secs: default_short_abandon_secs(),
            fcr_window_days: default_fcr_window_days(),
        }
    }

    /// The instant up to which the log is complete.
    pub fn observed_until(&self) -> DateTime<Utc> {
        self.observed_until.unwrap_or(self.window_end)
    }

    pub fn validate(&self) -> Result<(), MetricsError> {
        if self.window_end <= self.window_start {
            return Err(MetricsError::EmptyWindow {
                start: self.window_start.to_rfc3339(),
                end: self.window_end.to_rfc3339(),
            });
        }
        let in_range = |field, value: u32, min: u32, max: u32, expected| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(MetricsError::InvalidParameter {
                    field,
                    expected,
                    value: i64::from(value),
                })
            }
        };
        in_range(
            "service_level_secs",
            self.service_level_secs,
            0,
            MAX_THRESHOLD_SECS,
            "0 to 86400 seconds",
        )?;
        in_range(
            "short_abandon_secs",
            self.short_abandon_secs,
            0,
            MAX_THRESHOLD_SECS,
            "0 to 86400 seconds",
        )?;
        in_range(
            "fcr_window_days",
            self.fcr_window_days,
            1,
            MAX_FCR_WINDOW_DAYS,
            "1 to 366 days",
        )
    }
}
