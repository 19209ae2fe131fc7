//! kefu-wfm: workforce-management math with no I/O, no async and no clock.
//! Erlang B/C/A, staffing searches, requirement curves, shift scheduling by integer
//! programming and volume/AHT forecasting; dates and data come in as arguments.
//!
//! # Entry points for the CLI and HTTP API
//! Every input struct is `Deserialize` (unknown fields rejected), every output `Serialize`;
//! every failure is a [`WfmError`] with a stable [`WfmError::code`].
//!
//! | command | input | function | output |
//! |---|---|---|---|
//! | `kefu wfm erlang-c` | [`ErlangCInput`] | [`staff_erlang_c`] | [`ErlangCStaffing`] |
//! | `kefu wfm erlang-a` | [`ErlangAInput`] | [`staff_erlang_a`] | [`ErlangAStaffing`] |
//! | `kefu wfm erlang-b` | [`ErlangBInput`] | [`erlang_b_blocking`] | [`ErlangBOutput`] |
//! | `kefu wfm schedule` | [`ScheduleInput`] | [`solve_schedule`] | [`ScheduleOutput`] |
//! | forecast | [`ForecastInput`] | [`forecast()`] / [`backtest`] | [`Forecast`] / [`Backtest`] |
//! | requirement curve | [`IntervalDemand`]s + [`CurveTargets`] | [`requirement_curve`] | [`RequirementCurve`] |
//!
//! The queue formulas for a fixed number of agents are [`erlang_b()`], [`erlang_c()`] (with
//! [`ErlangC::Unbounded`] when agents ≤ traffic) and [`erlang_a()`].

pub mod curve;
pub mod erlang;
pub mod erlang_a;
pub mod error;
pub mod forecast;
pub mod schedule;
pub mod staffing;
mod validate;

pub use curve::{CurveTargets, IntervalDemand, RequirementCurve, requirement_curve};
pub use erlang::{ErlangC, ErlangCMetrics, erlang_b, erlang_c};
pub use erlang_a::{ErlangAMetrics, erlang_a};
pub use error::WfmError;
pub use forecast::{
    Accuracy, Backtest, Forecast, ForecastInput, History, ModelSummary, Observation, backtest,
    forecast,
};
pub use schedule::{
    Objective, ScheduleInput, ScheduleOutput, ScheduleStatus, ShiftAssignment, ShiftTemplate,
    solve_schedule,
};
pub use staffing::{
    ErlangAInput, ErlangAStaffing, ErlangBInput, ErlangBOutput, ErlangCInput, ErlangCStaffing,
    MAX_AGENTS, erlang_b_blocking, scheduled_agents, staff_erlang_a, staff_erlang_c,
};
