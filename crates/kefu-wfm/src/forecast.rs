//! Volume and AHT forecasting from a per-interval history: a multiplicative decomposition
//! (level × day-of-week factor × holiday factor × intraday profile) with a damped Holt trend,
//! plus a hold-out backtest against the seasonal-naive baseline (same interval last week).
//!
//! # Model, in the order it is fitted
//! 1. Daily totals. Days listed in `holidays` are kept out of steps 2–4.
//! 2. Day-of-week factors `f[k]` (Monday first, mean 1): each day's total over its week's
//!    level, averaged per weekday; the week levels and factors are refined together.
//! 3. A damped Holt level and trend on the deseasonalised daily totals; smoothing α, β and
//!    damping φ are picked from a small grid by one-day-ahead squared error.
//! 4. Intraday profiles per weekday: each interval's share of the day, weighting recent weeks
//!    more (half-life [`PROFILE_HALF_LIFE_WEEKS`]).
//! 5. Holiday factor: actual over expected total on past holidays (their mean), or
//!    `holiday_factor` when the history has none, or 1. Holidays use the intraday profile of
//!    past holidays when there are any.
//! 6. AHT per interval of the week: a calls-weighted, recency-weighted average.
//!
//! The forecast for interval `i` of a future day `d` is
//! `(level + trend·(φ + … + φʰ)) · f[weekday(d)] · holiday(d) · profile[weekday(d)][i]`.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::curve::IntervalDemand;
use crate::error::WfmError;

/// Recent weeks dominate intraday profiles and AHT; four weeks back counts half.
pub const PROFILE_HALF_LIFE_WEEKS: f64 = 4.0;
/// Days of history the model needs after any hold-out: two weeks.
pub const MIN_HISTORY_DAYS: usize = 14;
/// Longest forecast horizon accepted.
pub const MAX_HORIZON_WEEKS: u32 = 52;

const SECS_PER_DAY: u32 = 86_400;
/// A weekday factor below this is a closed day (e.g. Sundays): it forecasts ~0 and is left
/// out of the level, which dividing by ~0 would wreck.
const CLOSED: f64 = 1e-6;

/// A contiguous history of whole days, starting at midnight (contact-center local time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Start of the first interval; must be a midnight.
    pub start: NaiveDateTime,
    /// Interval length in seconds; must divide a day (e.g. 900, 1800, 3600).
    pub interval_secs: u32,
    /// Contacts offered per interval (finite, ≥ 0), whole days only.
    pub calls: Vec<f64>,
    /// Average handle time per interval in seconds, same length as `calls`; optional.
    #[serde(default)]
    pub aht_secs: Option<Vec<f64>>,
}

/// Contacts seen at a moment: one row of a CSV import, or one contact from the event log
/// (`calls: 1` and its handle time).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// When the contacts arrived; they count in the interval containing this moment.
    pub at: NaiveDateTime,
    /// Number of contacts (finite, ≥ 0).
    pub calls: f64,
    /// Their average handle time in seconds, when known.
    #[serde(default)]
    pub aht_secs: Option<f64>,
}

impl History {
    /// Buckets observations in any order into whole days of `interval_secs` intervals, from
    /// the midnight before the first to the midnight after the last. Intervals with no
    /// observation get 0 contacts; AHT is the calls-weighted mean, and AHT is reported only
    /// when some observation carries one.
    pub fn from_observations(
        interval_secs: u32,
        observations: &[Observation],
    ) -> Result<Self, WfmError> {
        if interval_secs == 0 || !SECS_PER_DAY.is_multiple_of(interval_secs) {
            return Err(WfmError::InvalidHistory(format!(
                "interval_secs must divide a day of 86400 s (got {interval_secs})"
            )));
        }
        let (Some(first), Some(last)) = (
            observations.iter().map(|o| o.at).min(),
            observations.iter().map(|o| o.at).max(),
        ) else {
            return Err(WfmError::EmptyHistory {
                needed_days: MIN_HISTORY_DAYS,
            });
        };
        let start = first.date().and_time(NaiveTime::MIN);
        let days = (last.date() - first.date()).num_days() as usize + 1;
        let per_day = (SECS_PER_DAY / interval_secs) as usize;
        let mut calls = vec![0.0; days * per_day];
        let mut handled = vec![0.0; days * per_day];
        let mut with_aht = vec![0.0; days * per_day];
        for (i, o) in observations.iter().enumerate() {
            if !(o.calls.is_finite() && o.calls >= 0.0) {
                return Err(WfmError::InvalidHistory(format!(
                    "observation {i}: calls must be finite and ≥ 0 (got {})",
                    o.calls
                )));
            }
            let slot = ((o.at - start).num_seconds() / i64::from(interval_secs)) as usize;
            calls[slot] += o.calls;
            if let Some(aht) = o.aht_secs {
                if !(aht.is_finite() && aht >= 0.0) {
                    return Err(WfmError::InvalidHistory(format!(
                        "observation {i}: aht_secs must be finite and ≥ 0 (got {aht})"
                    )));
                }
                handled[slot] += o.calls * aht;
                with_aht[slot] += o.calls;
            }
        }
        let any_aht = observations.iter().any(|o| o.aht_secs.is_some());
        Ok(Self {
            start,
            interval_secs,
            calls,
            aht_secs: any_aht.then(|| {
                handled
                    .iter()
                    .zip(&with_aht)
                    .map(|(h, n)| if *n > 0.0 { h / n } else { 0.0 })
                    .collect()
            }),
        })
    }
}

/// Forecast question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ForecastInput {
    pub history: History,
    /// Weeks to forecast after the end of the history (1..=52).
    pub horizon_weeks: u32,
    /// Holiday dates, past (to learn their effect) and future (to apply it).
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Holiday volume relative to a normal day, used only when the history has no holiday.
    #[serde(default)]
    pub holiday_factor: Option<f64>,
}

/// The fitted model, so a planner can see why the forecast says what it says.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelSummary {
    /// Day-of-week factors, Monday first, mean 1.
    pub day_of_week_factors: [f64; 7],
    /// Holiday volume relative to a normal day of the same weekday.
    pub holiday_factor: f64,
    /// Deseasonalised daily volume at the end of the history.
    pub level: f64,
    /// Daily change of the level at the end of the history.
    pub trend: f64,
    pub alpha: f64,
    pub beta: f64,
    pub phi: f64,
}

/// Per-interval forecast starting where the history ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Forecast {
    pub start: NaiveDateTime,
    pub interval_secs: u32,
    pub calls: Vec<f64>,
    /// Present when the history had AHT.
    pub aht_secs: Option<Vec<f64>>,
    pub model: ModelSummary,
}

impl Forecast {
    /// The forecast as requirement-curve demand; intervals without an AHT forecast use
    /// `fallback_aht_secs`.
    pub fn demand(&self, fallback_aht_secs: f64) -> Vec<IntervalDemand> {
        self.calls
            .iter()
            .enumerate()
            .map(|(i, &calls)| IntervalDemand {
                calls,
                aht_secs: self
                    .aht_secs
                    .as_ref()
                    .and_then(|a| a.get(i).copied())
                    .filter(|a| *a > 0.0)
                    .unwrap_or(fallback_aht_secs),
            })
            .collect()
    }
}

/// Forecast error on one series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accuracy {
    /// Mean of |forecast − actual| / actual over intervals with actual > 0.
    pub mape: f64,
    /// Σ |forecast − actual| / Σ actual.
    pub wmape: f64,
}

/// Hold-out comparison of the model with the seasonal-naive baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Backtest {
    pub holdout_weeks: u32,
    /// Calls accuracy of the model.
    pub model: Accuracy,
    /// Calls accuracy of repeating the last training week.
    pub naive: Accuracy,
    /// Calls-weighted AHT accuracy of the model and the baseline, when AHT was given.
    pub model_aht: Option<Accuracy>,
    pub naive_aht: Option<Accuracy>,
}

/// Forecasts `horizon_weeks` of volume (and AHT) after the history.
pub fn forecast(input: &ForecastInput) -> Result<Forecast, WfmError> {
    check_weeks("horizon_weeks", input.horizon_weeks)?;
    let series = Series::new(&input.history, &input.holidays)?;
    let model = Model::fit(&series, input.holiday_factor)?;
    Ok(model.predict(&series, input.horizon_weeks as usize * 7, &input.holidays))
}

/// Holds back the last `holdout_weeks` of the history, fits on the rest and scores the
/// forecast of the held-back weeks against the seasonal-naive baseline.
pub fn backtest(input: &ForecastInput, holdout_weeks: u32) -> Result<Backtest, WfmError> {
    check_weeks("holdout_weeks", holdout_weeks)?;
    let full = Series::new(&input.history, &input.holidays)?;
    let held_days = holdout_weeks as usize * 7;
    if full.days() < held_days + MIN_HISTORY_DAYS {
        return Err(WfmError::InsufficientHistory {
            needed_days: held_days + MIN_HISTORY_DAYS,
            got_days: full.days(),
        });
    }
    let train = full.head(full.days() - held_days);
    let model = Model::fit(&train, input.holiday_factor)?;
    let predicted = model.predict(&train, held_days, &input.holidays);
    let per_day = train.per_day;
    let cut = train.calls.len();
    let actual = &full.calls[cut..];
    let last_week = &train.calls[cut - 7 * per_day..];
    let naive: Vec<f64> = (0..actual.len())
        .map(|i| last_week[i % last_week.len()])
        .collect();
    let (model_aht, naive_aht) = match (&full.aht, &predicted.aht_secs) {
        (Some(aht), Some(pred)) => {
            let actual_aht = &aht[cut..];
            let last_aht = &aht[cut - 7 * per_day..cut];
            let naive_aht: Vec<f64> = (0..actual.len())
                .map(|i| last_aht[i % last_aht.len()])
                .collect();
            (
                Some(weighted_accuracy(pred, actual_aht, actual)),
                Some(weighted_accuracy(&naive_aht, actual_aht, actual)),
            )
        }
        _ => (None, None),
    };
    Ok(Backtest {
        holdout_weeks,
        model: accuracy(&predicted.calls, actual),
        naive: accuracy(&naive, actual),
        model_aht,
        naive_aht,
    })
}

fn check_weeks(field: &'static str, value: u32) -> Result<(), WfmError> {
    if (1..=MAX_HORIZON_WEEKS).contains(&value) {
        Ok(())
    } else {
        Err(WfmError::InvalidHorizon {
            field,
            max: MAX_HORIZON_WEEKS,
            value,
        })
    }
}

/// MAPE and wMAPE of `forecast` against `actual`.
pub fn accuracy(forecast: &[f64], actual: &[f64]) -> Accuracy {
    let ones = vec![1.0; actual.len()];
    weighted_accuracy(forecast, actual, &ones)
}

/// MAPE and wMAPE where each interval counts `weight` times (calls, for AHT).
fn weighted_accuracy(forecast: &[f64], actual: &[f64], weight: &[f64]) -> Accuracy {
    let (mut ape, mut n, mut abs_err, mut total) = (0.0, 0.0, 0.0, 0.0);
    for ((f, a), w) in forecast.iter().zip(actual).zip(weight) {
        if *a > 0.0 && *w > 0.0 {
            ape += w * (f - a).abs() / a;
            n += w;
        }
        abs_err += w * (f - a).abs();
        total += w * a;
    }
    Accuracy {
        mape: if n > 0.0 { ape / n } else { 0.0 },
        wmape: if total > 0.0 { abs_err / total } else { 0.0 },
    }
}

/// The validated history cut into days.
#[derive(Debug, Clone)]
struct Series {
    start: NaiveDateTime,
    interval_secs: u32,
    per_day: usize,
    calls: Vec<f64>,
    aht: Option<Vec<f64>>,
    /// Weekday (0 = Monday) and holiday flag of each day.
    weekday: Vec<usize>,
    holiday: Vec<bool>,
}

impl Series {
    fn new(h: &History, holidays: &[NaiveDate]) -> Result<Self, WfmError> {
        let bad = |m: String| Err(WfmError::InvalidHistory(m));
        if h.calls.is_empty() {
            return Err(WfmError::EmptyHistory {
                needed_days: MIN_HISTORY_DAYS,
            });
        }
        if h.interval_secs == 0 || !SECS_PER_DAY.is_multiple_of(h.interval_secs) {
            return bad(format!(
                "interval_secs must divide a day of 86400 s (got {})",
                h.interval_secs
            ));
        }
        if h.start.time() != NaiveTime::MIN {
            return bad(format!("start must be a midnight (got {})", h.start));
        }
        let per_day = (SECS_PER_DAY / h.interval_secs) as usize;
        if !h.calls.len().is_multiple_of(per_day) {
            return bad(format!(
                "history must hold whole days of {per_day} intervals (got {})",
                h.calls.len()
            ));
        }
        if let Some(i) = h.calls.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
            return bad(format!(
                "calls[{i}] must be finite and ≥ 0 (got {})",
                h.calls[i]
            ));
        }
        if let Some(aht) = &h.aht_secs {
            if aht.len() != h.calls.len() {
                return bad(format!(
                    "aht_secs has {} intervals but calls has {}",
                    aht.len(),
                    h.calls.len()
                ));
            }
            if let Some(i) = aht.iter().position(|a| !(a.is_finite() && *a >= 0.0)) {
                return bad(format!(
                    "aht_secs[{i}] must be finite and ≥ 0 (got {})",
                    aht[i]
                ));
            }
        }
        let days = h.calls.len() / per_day;
        let first = h.start.date();
        let dates: Vec<NaiveDate> = (0..days)
            .map(|d| first + Duration::days(d as i64))
            .collect();
        Ok(Self {
            start: h.start,
            interval_secs: h.interval_secs,
            per_day,
            calls: h.calls.clone(),
            aht: h.aht_secs.clone(),
            weekday: dates.iter().map(|d| weekday(*d)).collect(),
            holiday: dates.iter().map(|d| holidays.contains(d)).collect(),
        })
    }

    fn days(&self) -> usize {
        self.weekday.len()
    }

    fn head(&self, days: usize) -> Self {
        let n = days * self.per_day;
        Self {
            calls: self.calls[..n].to_vec(),
            aht: self.aht.as_ref().map(|a| a[..n].to_vec()),
            weekday: self.weekday[..days].to_vec(),
            holiday: self.holiday[..days].to_vec(),
            ..self.clone()
        }
    }

    fn day(&self, d: usize) -> &[f64] {
        &self.calls[d * self.per_day..(d + 1) * self.per_day]
    }

    fn total(&self, d: usize) -> f64 {
        self.day(d).iter().sum()
    }

    fn normal_days(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.days()).filter(|&d| !self.holiday[d])
    }

    /// Recency weight of a day: 1 for the last day, halving every half-life.
    fn recency(&self, d: usize) -> f64 {
        let age_weeks = (self.days() - 1 - d) as f64 / 7.0;
        0.5_f64.powf(age_weeks / PROFILE_HALF_LIFE_WEEKS)
    }
}

fn weekday(date: NaiveDate) -> usize {
    date.weekday().num_days_from_monday() as usize
}

#[derive(Debug, Clone)]
struct Model {
    summary: ModelSummary,
    /// Share of the day per interval, per weekday.
    profile: [Vec<f64>; 7],
    holiday_profile: Option<Vec<f64>>,
    /// AHT per interval of the week (weekday-major).
    aht: Option<Vec<f64>>,
}

impl Model {
    fn fit(s: &Series, default_holiday_factor: Option<f64>) -> Result<Self, WfmError> {
        if s.days() < MIN_HISTORY_DAYS {
            return Err(WfmError::InsufficientHistory {
                needed_days: MIN_HISTORY_DAYS,
                got_days: s.days(),
            });
        }
        if let Some(f) = default_holiday_factor
            && !(f.is_finite() && f >= 0.0)
        {
            return Err(WfmError::InvalidHolidayFactor { value: f });
        }
        let totals: Vec<f64> = (0..s.days()).map(|d| s.total(d)).collect();
        let factors = day_of_week_factors(s, &totals)?;
        let deseasonalised: Vec<Option<f64>> = (0..s.days())
            .map(|d| {
                let f = factors[s.weekday[d]];
                (!s.holiday[d] && f > CLOSED).then(|| totals[d] / f)
            })
            .collect();
        let holt = Holt::best(&deseasonalised);
        let run = holt.run(&deseasonalised);

        // Past holidays against what the model expected for them that day.
        let ratios: Vec<f64> = (0..s.days())
            .filter(|&d| s.holiday[d] && run.expected[d] > 0.0 && factors[s.weekday[d]] > CLOSED)
            .map(|d| totals[d] / (run.expected[d] * factors[s.weekday[d]]))
            .collect();
        let holiday_factor = if ratios.is_empty() {
            default_holiday_factor.unwrap_or(1.0)
        } else {
            ratios.iter().sum::<f64>() / ratios.len() as f64
        };

        let profile_of = |days: &[usize]| -> Option<Vec<f64>> {
            let mut acc = vec![0.0; s.per_day];
            let mut total = 0.0;
            for &d in days {
                let w = s.recency(d);
                for (a, c) in acc.iter_mut().zip(s.day(d)) {
                    *a += w * c;
                }
                total += w * totals[d];
            }
            (total > 0.0).then(|| acc.iter().map(|a| a / total).collect())
        };
        let flat = vec![1.0 / s.per_day as f64; s.per_day];
        let profile: [Vec<f64>; 7] = std::array::from_fn(|k| {
            let days: Vec<usize> = s.normal_days().filter(|&d| s.weekday[d] == k).collect();
            profile_of(&days).unwrap_or_else(|| flat.clone())
        });
        let holidays: Vec<usize> = (0..s.days()).filter(|&d| s.holiday[d]).collect();
        let holiday_profile = profile_of(&holidays);

        Ok(Self {
            summary: ModelSummary {
                day_of_week_factors: factors,
                holiday_factor,
                level: run.level,
                trend: run.trend,
                alpha: holt.alpha,
                beta: holt.beta,
                phi: holt.phi,
            },
            profile,
            holiday_profile,
            aht: s.aht.as_ref().map(|aht| aht_profile(s, aht)),
        })
    }

    fn predict(self, s: &Series, days: usize, holidays: &[NaiveDate]) -> Forecast {
        let start = s.start + Duration::days(s.days() as i64);
        let m = &self.summary;
        let mut calls = Vec::with_capacity(days * s.per_day);
        let mut aht = self
            .aht
            .as_ref()
            .map(|_| Vec::with_capacity(days * s.per_day));
        let mut damped = 0.0;
        for h in 1..=days {
            damped += m.phi.powi(h as i32);
            let date = start.date() + Duration::days(h as i64 - 1);
            let k = weekday(date);
            let holiday = holidays.contains(&date);
            let level = (m.level + m.trend * damped).max(0.0);
            let day_total =
                level * m.day_of_week_factors[k] * if holiday { m.holiday_factor } else { 1.0 };
            let shape = match (&self.holiday_profile, holiday) {
                (Some(p), true) => p,
                _ => &self.profile[k],
            };
            calls.extend(shape.iter().map(|p| day_total * p));
            if let (Some(out), Some(week)) = (aht.as_mut(), &self.aht) {
                out.extend_from_slice(&week[k * s.per_day..(k + 1) * s.per_day]);
            }
        }
        Forecast {
            start,
            interval_secs: s.interval_secs,
            calls,
            aht_secs: aht,
            model: self.summary,
        }
    }
}

/// Weekday factors (mean 1) and week levels refined together, so a holiday or a partial
/// week does not distort either.
fn day_of_week_factors(s: &Series, totals: &[f64]) -> Result<[f64; 7], WfmError> {
    let weeks = s.days().div_ceil(7);
    let mut factors = [1.0; 7];
    for _ in 0..5 {
        let mut level = vec![(0.0, 0.0); weeks];
        for d in s.normal_days().filter(|&d| factors[s.weekday[d]] > CLOSED) {
            level[d / 7].0 += totals[d] / factors[s.weekday[d]];
            level[d / 7].1 += 1.0;
        }
        let mut ratio = [(0.0, 0.0); 7];
        for d in s.normal_days() {
            let (sum, n) = level[d / 7];
            if sum > 0.0 {
                ratio[s.weekday[d]].0 += totals[d] / (sum / n);
                ratio[s.weekday[d]].1 += 1.0;
            }
        }
        for (f, (sum, n)) in factors.iter_mut().zip(ratio) {
            *f = if n > 0.0 { sum / n } else { 1.0 };
        }
        let mean = factors.iter().sum::<f64>() / 7.0;
        if mean <= 0.0 {
            return Err(WfmError::InvalidHistory(
                "history has no contacts outside holidays".into(),
            ));
        }
        factors.iter_mut().for_each(|f| *f /= mean);
    }
    Ok(factors)
}

fn aht_profile(s: &Series, aht: &[f64]) -> Vec<f64> {
    let per_day = s.per_day;
    let mut num = vec![0.0; 7 * per_day];
    let mut den = vec![0.0; 7 * per_day];
    for d in s.normal_days() {
        let w = s.recency(d);
        let base = s.weekday[d] * per_day;
        for i in 0..per_day {
            let c = s.calls[d * per_day + i];
            num[base + i] += w * c * aht[d * per_day + i];
            den[base + i] += w * c;
        }
    }
    let overall = if den.iter().sum::<f64>() > 0.0 {
        num.iter().sum::<f64>() / den.iter().sum::<f64>()
    } else {
        0.0
    };
    num.iter()
        .zip(&den)
        .map(|(n, d)| if *d > 0.0 { n / d } else { overall })
        .collect()
}

/// Damped Holt smoothing parameters.
#[derive(Debug, Clone, Copy)]
struct Holt {
    alpha: f64,
    beta: f64,
    phi: f64,
}

/// A pass of Holt over the history: end state and one-day-ahead expectations.
struct HoltRun {
    level: f64,
    trend: f64,
    expected: Vec<f64>,
    squared_error: f64,
}

impl Holt {
    fn best(z: &[Option<f64>]) -> Self {
        let mut best = (
            f64::INFINITY,
            Self {
                alpha: 0.2,
                beta: 0.05,
                phi: 0.98,
            },
        );
        for alpha in [0.05, 0.1, 0.2, 0.3, 0.5] {
            for beta in [0.0, 0.01, 0.05, 0.1] {
                for phi in [0.9, 0.98] {
                    let candidate = Self { alpha, beta, phi };
                    let err = candidate.run(z).squared_error;
                    if err < best.0 {
                        best = (err, candidate);
                    }
                }
            }
        }
        best.1
    }

    fn run(&self, z: &[Option<f64>]) -> HoltRun {
        let week_mean = |days: std::ops::Range<usize>| {
            let v: Vec<f64> = z[days].iter().flatten().copied().collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let first = week_mean(0..7.min(z.len())).unwrap_or(0.0);
        let second = week_mean(7..14.min(z.len())).unwrap_or(first);
        let mut trend = (second - first) / 7.0;
        // The first week's mean sits at day 3, so the level just before day 0 is 4 days back.
        let mut level = first - 4.0 * trend;
        let mut expected = Vec::with_capacity(z.len());
        let mut squared_error = 0.0;
        for (d, value) in z.iter().enumerate() {
            let guess = level + self.phi * trend;
            expected.push(guess);
            match value {
                Some(v) => {
                    if d >= 7 {
                        squared_error += (v - guess).powi(2);
                    }
                    let new_level = self.alpha * v + (1.0 - self.alpha) * guess;
                    trend = self.beta * (new_level - level) + (1.0 - self.beta) * self.phi * trend;
                    level = new_level;
                }
                None => {
                    level = guess;
                    trend *= self.phi;
                }
            }
        }
        HoltRun {
            level,
            trend,
            expected,
            squared_error,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// Small seeded generator (xorshift64*) with Box–Muller normals, so the test data are
    /// the same on every run without a rand dependency.
    struct Rng(u64);

    impl Rng {
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        fn normal(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        }
    }

    const DOW: [f64; 7] = [1.15, 1.05, 1.0, 1.0, 0.95, 0.5, 0.35];
    const HOLIDAY: f64 = 0.3;

    fn date(d: usize) -> NaiveDate {
        // 2026-01-05 is a Monday.
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap() + Duration::days(d as i64)
    }

    /// Weeks of 30-minute intervals: a two-peak day, weekly pattern, slow growth, holidays,
    /// Poisson-sized noise and AHT that is longer in the evening.
    fn synthetic(weeks: usize, holidays: &[usize], seed: u64) -> ForecastInput {
        let mut rng = Rng(seed);
        let per_day = 48;
        let mut calls = Vec::new();
        let mut aht = Vec::new();
        for d in 0..weeks * 7 {
            let level = 1500.0 * (1.0 + 0.002 * d as f64);
            let holiday = if holidays.contains(&d) { HOLIDAY } else { 1.0 };
            let day_total = level * DOW[d % 7] * holiday;
            let shape: Vec<f64> = (0..per_day)
                .map(|i| {
                    let h = i as f64 / 2.0;
                    let bump = |c: f64, w: f64| (-((h - c) / w).powi(2)).exp();
                    0.02 + bump(10.5, 2.0) + 0.8 * bump(15.0, 2.5)
                })
                .collect();
            let norm: f64 = shape.iter().sum();
            for (i, sh) in shape.iter().enumerate() {
                let mean = day_total * sh / norm;
                calls.push((mean + mean.sqrt() * rng.normal()).max(0.0).round());
                aht.push(240.0 + 60.0 * (i as f64 / 48.0) + 15.0 * rng.normal());
            }
        }
        ForecastInput {
            history: History {
                start: date(0).and_time(NaiveTime::MIN),
                interval_secs: 1800,
                calls,
                aht_secs: Some(aht),
            },
            horizon_weeks: 2,
            holidays: holidays.iter().map(|&d| date(d)).collect(),
            holiday_factor: None,
        }
    }

    #[test]
    fn beats_seasonal_naive_on_held_back_weeks() {
        // Holidays on a Wednesday in training and a Tuesday in the held-back weeks.
        for seed in [1, 7, 42] {
            let input = synthetic(10, &[23, 57], seed);
            let bt = backtest(&input, 2).unwrap();
            assert!(bt.model.wmape < bt.naive.wmape, "seed {seed}: {bt:?}");
            assert!(bt.model.mape < bt.naive.mape, "seed {seed}: {bt:?}");
            let (m, n) = (bt.model_aht.unwrap(), bt.naive_aht.unwrap());
            assert!(m.wmape < n.wmape, "seed {seed}: {bt:?}");
        }
        // Without holidays the baseline's only handicap is noise; the model still wins.
        let bt = backtest(&synthetic(8, &[], 3), 2).unwrap();
        assert!(bt.model.wmape < bt.naive.wmape, "{bt:?}");
    }

    #[test]
    fn recovers_the_seasonality_it_was_given() {
        let f = forecast(&synthetic(10, &[23], 5)).unwrap();
        let mean = DOW.iter().sum::<f64>() / 7.0;
        for (got, want) in f.model.day_of_week_factors.iter().zip(DOW) {
            assert!((got - want / mean).abs() < 0.03, "{:?}", f.model);
        }
        assert!(
            (f.model.holiday_factor - HOLIDAY).abs() < 0.05,
            "{:?}",
            f.model
        );
        assert_eq!(f.calls.len(), 2 * 7 * 48);
        assert_eq!(f.aht_secs.as_ref().unwrap().len(), f.calls.len());
        // The history ends after 70 days: the forecast starts on the 71st, a Monday.
        assert_eq!(f.start, date(70).and_time(NaiveTime::MIN));
        let demand = f.demand(300.0);
        assert!(demand.iter().all(|d| d.calls >= 0.0 && d.aht_secs > 0.0));
    }

    #[test]
    fn future_holidays_are_lowered() {
        let mut input = synthetic(6, &[16], 9);
        let plain = forecast(&input).unwrap();
        input.holidays.push(date(6 * 7 + 2));
        let with = forecast(&input).unwrap();
        let day = |f: &Forecast, d: usize| f.calls[d * 48..(d + 1) * 48].iter().sum::<f64>();
        let ratio = day(&with, 2) / day(&plain, 2);
        assert!((ratio - with.model.holiday_factor).abs() < 1e-9 && ratio < 0.5);
        assert!((day(&with, 3) - day(&plain, 3)).abs() < 1e-9);
    }

    #[test]
    fn bad_history_has_codes() {
        let mut input = synthetic(3, &[], 1);
        input.history.calls.clear();
        input.history.aht_secs = None;
        assert_eq!(forecast(&input).unwrap_err().code(), "empty_history");

        let short = synthetic(1, &[], 1);
        assert_eq!(forecast(&short).unwrap_err().code(), "insufficient_history");
        let three = synthetic(3, &[], 1);
        assert_eq!(
            backtest(&three, 2).unwrap_err().code(),
            "insufficient_history"
        );

        let mut partial = synthetic(3, &[], 1);
        partial.history.calls.pop();
        assert_eq!(forecast(&partial).unwrap_err().code(), "invalid_history");
        let mut negative = synthetic(3, &[], 1);
        negative.history.calls[5] = -1.0;
        assert_eq!(forecast(&negative).unwrap_err().code(), "invalid_history");
        let mut odd = synthetic(3, &[], 1);
        odd.history.interval_secs = 7;
        assert_eq!(forecast(&odd).unwrap_err().code(), "invalid_history");
        let mut noon = synthetic(3, &[], 1);
        noon.history.start += Duration::hours(12);
        assert_eq!(forecast(&noon).unwrap_err().code(), "invalid_history");
        let mut long = synthetic(3, &[], 1);
        long.horizon_weeks = 0;
        assert_eq!(forecast(&long).unwrap_err().code(), "invalid_horizon");
        assert_eq!(backtest(&three, 0).unwrap_err().code(), "invalid_horizon");
        let mut factor = synthetic(3, &[], 1);
        factor.holiday_factor = Some(-0.5);
        assert_eq!(
            forecast(&factor).unwrap_err().code(),
            "invalid_holiday_factor"
        );
    }

    #[test]
    fn observations_are_bucketed_into_whole_days() {
        let at = |d: u32, h: u32, m: u32| {
            NaiveDate::from_ymd_opt(2026, 2, d)
                .unwrap()
                .and_hms_opt(h, m, 0)
                .unwrap()
        };
        let obs = [
            Observation {
                at: at(3, 9, 10),
                calls: 1.0,
                aht_secs: Some(100.0),
            },
            Observation {
                at: at(2, 23, 59),
                calls: 2.0,
                aht_secs: None,
            },
            Observation {
                at: at(3, 9, 59),
                calls: 3.0,
                aht_secs: Some(300.0),
            },
        ];
        let h = History::from_observations(3600, &obs).unwrap();
        assert_eq!(h.start, at(2, 0, 0));
        assert_eq!(h.calls.len(), 48);
        assert_eq!(h.calls[23], 2.0);
        assert_eq!(h.calls[24 + 9], 4.0);
        assert_eq!(h.calls.iter().sum::<f64>(), 6.0);
        let aht = h.aht_secs.unwrap();
        assert_eq!(aht[24 + 9], 250.0);
        assert_eq!(aht[23], 0.0);
        assert_eq!(
            History::from_observations(3600, &[]).unwrap_err().code(),
            "empty_history"
        );
        assert_eq!(
            History::from_observations(7, &obs).unwrap_err().code(),
            "invalid_history"
        );
    }

    #[test]
    fn accuracy_definitions() {
        let a = accuracy(&[110.0, 90.0, 5.0], &[100.0, 100.0, 0.0]);
        assert!((a.mape - 0.1).abs() < 1e-12);
        assert!((a.wmape - 25.0 / 200.0).abs() < 1e-12);
    }
}
