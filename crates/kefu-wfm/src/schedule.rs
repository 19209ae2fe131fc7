//! Shift scheduling by exact integer programming (good_lp + microlp): how many agents to put
//! on each shift template on each day to cover a per-period requirement curve.
//!
//! # Model
//! `x[d][s]` is the integer number of agents working shift `s` on day `d`. A shift's
//! `coverage` marks the periods of the day it is on duty (shifts do not cross midnight), so
//! the agents on duty in period `p` of day `d` are `Σₛ coverage[s][p] · x[d][s]`.
//!
//! * `min-cost`: minimise `Σ cost[s] · x[d][s]` subject to on-duty ≥ required in every
//!   period. A period with a positive requirement that no shift covers makes it infeasible.
//! * `min-abs-difference`: minimise `Σ |on-duty − required|` over all periods; the absolute
//!   value is linearised with continuous slack `u − v = on-duty − required`, `u, v ≥ 0`, so
//!   only the `x` stay integer. Among the schedules with that smallest difference the
//!   cheapest is returned (a second solve with the difference capped at its optimum).
//! * `max_period_concurrency`: at most this many agents on duty in any single period.
//! * `max_shift_concurrency`: at most this many agents on any one shift on one day.
//!
//! Nothing links one day to another (no weekly hours or rest rules yet), so the problem
//! splits exactly into one small ILP per day; days with the same requirement share a solve.
//! Periods covered by the same set of shifts collapse into one constraint (the largest
//! requirement for `min-cost`, a weighted slack per distinct requirement otherwise), and each
//! `x` is bounded by the largest requirement it covers, which keeps branch-and-bound small.
//!
//! # Output
//! `status` is `optimal` or `infeasible`; when infeasible there is no schedule at all, never a
//! partial one. `schedule` lists `{day, shift, agents}` for every non-zero assignment (days
//! count from 0, shifts by name, sorted by day then name), `coverage[d][p]` the agents on
//! duty, `cost` the total shift cost and `abs_difference` the total |on-duty − required|.

use std::collections::{BTreeMap, HashMap};

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable, constraint,
    microlp, variable,
};
use serde::{Deserialize, Serialize};

use crate::error::WfmError;

/// Largest inputs accepted, so an API caller cannot ask for an unbounded solve.
pub const MAX_DAYS: usize = 366;
pub const MAX_PERIODS_PER_DAY: usize = 1440;
pub const MAX_SHIFTS: usize = 500;
/// Largest per-period requirement accepted (microlp bounds integers to i32).
pub const MAX_REQUIRED: f64 = 1_000_000.0;

/// Schedule question (`kefu wfm schedule --input FILE.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// Number of days planned.
    pub days: usize,
    /// Periods in a day, e.g. 96 for 15-minute periods.
    pub periods_per_day: usize,
    /// `required[d][p]`: agents needed on duty in period `p` of day `d` (finite, ≥ 0).
    pub required: Vec<Vec<f64>>,
    /// Shift templates by name.
    pub shifts: BTreeMap<String, ShiftTemplate>,
    /// What to optimise.
    pub objective: Objective,
    /// At most this many agents on duty in any period.
    #[serde(default)]
    pub max_period_concurrency: Option<u32>,
    /// At most this many agents on any one shift on one day.
    #[serde(default)]
    pub max_shift_concurrency: Option<u32>,
}

/// One shift template: the periods it is on duty and its cost per agent-day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShiftTemplate {
    /// 0/1 per period of the day: 1 where an agent on this shift is on duty.
    pub coverage: Vec<u8>,
    /// Cost of one agent on this shift for one day (finite, ≥ 0); default 1.
    #[serde(default = "default_cost")]
    pub cost: f64,
}

fn default_cost() -> f64 {
    1.0
}

/// Objective of the schedule solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// Cheapest schedule covering every period's requirement.
    MinCost,
    /// Schedule closest to the requirement, Σ |on-duty − required|.
    MinAbsDifference,
}

/// Whether a schedule was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScheduleStatus {
    /// Proven optimal.
    Optimal,
    /// No schedule satisfies the constraints.
    Infeasible,
}

/// Agents on one shift on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShiftAssignment {
    pub day: usize,
    pub shift: String,
    pub agents: u32,
}

/// Schedule answer; see the module docs for the meaning of each field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleOutput {
    pub status: ScheduleStatus,
    /// Total cost; `null` when infeasible.
    pub cost: Option<f64>,
    /// Σ |on-duty − required| over every period; `null` when infeasible.
    pub abs_difference: Option<f64>,
    /// Non-zero assignments; empty when infeasible.
    pub schedule: Vec<ShiftAssignment>,
    /// `coverage[d][p]`: agents on duty; empty when infeasible.
    pub coverage: Vec<Vec<u32>>,
}

impl ScheduleOutput {
    fn infeasible() -> Self {
        Self {
            status: ScheduleStatus::Infeasible,
            cost: None,
            abs_difference: None,
            schedule: Vec::new(),
            coverage: Vec::new(),
        }
    }
}

/// Solves the schedule exactly. Bad shapes or values are errors; an instance without a
/// feasible schedule is an `Ok` with `status: infeasible`.
pub fn solve_schedule(input: &ScheduleInput) -> Result<ScheduleOutput, WfmError> {
    validate(input)?;
    let shifts: Vec<(&String, &ShiftTemplate)> = input.shifts.iter().collect();
    let mut solved: HashMap<Vec<u64>, Option<Vec<u32>>> = HashMap::new();
    let mut per_day = Vec::with_capacity(input.days);
    for required in &input.required {
        let key: Vec<u64> = required.iter().map(|r| r.to_bits()).collect();
        let agents = match solved.get(&key) {
            Some(known) => known.clone(),
            None => {
                let fresh = solve_day(input, &shifts, required)?;
                solved.insert(key, fresh.clone());
                fresh
            }
        };
        match agents {
            Some(agents) => per_day.push(agents),
            None => return Ok(ScheduleOutput::infeasible()),
        }
    }
    Ok(summarise(input, &shifts, &per_day))
}

fn validate(input: &ScheduleInput) -> Result<(), WfmError> {
    let shape = |msg: String| Err(WfmError::InvalidShape(msg));
    if input.days == 0 || input.days > MAX_DAYS {
        return shape(format!("days must be 1..={MAX_DAYS} (got {})", input.days));
    }
    let periods = input.periods_per_day;
    if periods == 0 || periods > MAX_PERIODS_PER_DAY {
        return shape(format!(
            "periods_per_day must be 1..={MAX_PERIODS_PER_DAY} (got {periods})"
        ));
    }
    if input.required.len() != input.days {
        return shape(format!(
            "required has {} day lists but days is {}",
            input.required.len(),
            input.days
        ));
    }
    for (day, row) in input.required.iter().enumerate() {
        if row.len() != periods {
            return shape(format!(
                "required[{day}] has {} periods but periods_per_day is {periods}",
                row.len()
            ));
        }
        if let Some((period, &value)) = row
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v >= 0.0 && **v <= MAX_REQUIRED))
        {
            return Err(WfmError::InvalidRequirement { day, period, value });
        }
    }
    if input.shifts.is_empty() {
        return Err(WfmError::NoShifts);
    }
    if input.shifts.len() > MAX_SHIFTS {
        return shape(format!("at most {MAX_SHIFTS} shifts are accepted"));
    }
    for (name, shift) in &input.shifts {
        let bad = |reason: String| {
            Err(WfmError::InvalidShift {
                shift: name.clone(),
                reason,
            })
        };
        if name.trim().is_empty() {
            return bad("a shift needs a non-empty name".into());
        }
        if shift.coverage.len() != periods {
            return bad(format!(
                "coverage has {} periods but periods_per_day is {periods}",
                shift.coverage.len()
            ));
        }
        if shift.coverage.iter().any(|&c| c > 1) {
            return bad("coverage entries must be 0 or 1".into());
        }
        if !(shift.cost.is_finite() && shift.cost >= 0.0) {
            return bad(format!("cost must be finite and ≥ 0 (got {})", shift.cost));
        }
    }
    Ok(())
}

/// Periods of one day grouped by the set of shifts covering them.
struct Group {
    shifts: Vec<usize>,
    /// Distinct requirements in the group with how many periods carry each.
    required: Vec<(f64, usize)>,
}

fn group_periods(shifts: &[(&String, &ShiftTemplate)], required: &[f64]) -> Vec<Group> {
    let mut by_cover: BTreeMap<Vec<usize>, Vec<(f64, usize)>> = BTreeMap::new();
    for (p, &r) in required.iter().enumerate() {
        let cover: Vec<usize> = shifts
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| t.coverage[p] == 1)
            .map(|(s, _)| s)
            .collect();
        let entry = by_cover.entry(cover).or_default();
        match entry.iter_mut().find(|(v, _)| v.to_bits() == r.to_bits()) {
            Some((_, n)) => *n += 1,
            None => entry.push((r, 1)),
        }
    }
    by_cover
        .into_iter()
        .map(|(shifts, required)| Group { shifts, required })
        .collect()
}

/// Whole agents needed for a requirement, forgiving float noise like 3.0000000001.
fn whole(r: f64) -> f64 {
    (r - 1e-9).ceil().max(0.0)
}

/// Optimal agents per shift for one day, or `None` when the day is infeasible.
fn solve_day(
    input: &ScheduleInput,
    shifts: &[(&String, &ShiftTemplate)],
    required: &[f64],
) -> Result<Option<Vec<u32>>, WfmError> {
    let groups = group_periods(shifts, required);
    let period_cap = input.max_period_concurrency.map(f64::from);
    let peak = |g: &Group| g.required.iter().map(|&(r, _)| r).fold(0.0, f64::max);
    if input.objective == Objective::MinCost
        && groups.iter().any(|g| {
            let need = whole(peak(g));
            (g.shifts.is_empty() && need > 0.0) || period_cap.is_some_and(|cap| need > cap)
        })
    {
        return Ok(None);
    }

    // A shift never needs more agents than the largest requirement it covers: one fewer
    // would still cover every period and cost no more (or differ less).
    let mut bound = vec![0.0_f64; shifts.len()];
    for g in &groups {
        for &s in &g.shifts {
            bound[s] = bound[s].max(whole(peak(g)));
        }
    }
    if let Some(cap) = input.max_shift_concurrency {
        bound.iter_mut().for_each(|b| *b = b.min(f64::from(cap)));
    }

    let day = DayModel {
        groups: &groups,
        bound: &bound,
        costs: shifts.iter().map(|(_, t)| t.cost).collect(),
        period_cap,
    };
    match input.objective {
        Objective::MinCost => day.solve(Goal::Cost, None),
        Objective::MinAbsDifference => {
            // Lexicographic: the closest schedule first, then the cheapest as close as that.
            let Some(closest) = day.solve(Goal::Difference, None)? else {
                return Ok(None);
            };
            let best = day.difference(&closest);
            let tolerance = 1e-6 * (1.0 + best);
            Ok(day
                .solve(Goal::Cost, Some(best + tolerance))?
                .filter(|cheaper| day.difference(cheaper) <= best + tolerance)
                .or(Some(closest)))
        }
    }
}

/// What one day's ILP minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Goal {
    Cost,
    Difference,
}

/// One day's grouped periods and per-shift bounds, ready to be turned into an ILP.
struct DayModel<'a> {
    groups: &'a [Group],
    bound: &'a [f64],
    costs: Vec<f64>,
    period_cap: Option<f64>,
}

impl DayModel<'_> {
    /// Σ |on-duty − required| of an assignment.
    fn difference(&self, agents: &[u32]) -> f64 {
        self.groups
            .iter()
            .map(|g| {
                let on: f64 = g.shifts.iter().map(|&s| f64::from(agents[s])).sum();
                g.required
                    .iter()
                    .map(|&(r, count)| count as f64 * (on - r).abs())
                    .sum::<f64>()
            })
            .sum()
    }

    /// Solves for `goal`. Covering every period is required when minimising cost without a
    /// difference cap; with `difference_cap`, the total difference must stay within it.
    fn solve(&self, goal: Goal, difference_cap: Option<f64>) -> Result<Option<Vec<u32>>, WfmError> {
        let mut vars = ProblemVariables::new();
        let x: Vec<Variable> = self
            .bound
            .iter()
            .map(|&ub| vars.add(variable().integer().min(0).max(ub)))
            .collect();
        let on_duty = |g: &Group| -> Expression { g.shifts.iter().map(|&s| x[s]).sum() };
        let mut constraints = Vec::new();
        let covering = goal == Goal::Cost && difference_cap.is_none();
        if covering {
            for g in self.groups.iter().filter(|g| !g.shifts.is_empty()) {
                let need = whole(g.required.iter().map(|&(r, _)| r).fold(0.0, f64::max));
                if need > 0.0 {
                    constraints.push(constraint!(on_duty(g) >= need));
                }
            }
        }
        let mut difference = Expression::from(0.0);
        if !covering {
            for g in self.groups {
                for &(r, count) in &g.required {
                    let over = vars.add(variable().min(0));
                    let under = vars.add(variable().min(0));
                    constraints.push(constraint!(on_duty(g) - r == over - under));
                    difference += (count as f64) * (over + under);
                }
            }
        }
        if let Some(cap) = difference_cap {
            constraints.push(constraint!(difference.clone() <= cap));
        }
        if let Some(cap) = self.period_cap {
            for g in self.groups.iter().filter(|g| !g.shifts.is_empty()) {
                constraints.push(constraint!(on_duty(g) <= cap));
            }
        }
        let objective = match goal {
            Goal::Cost => x.iter().zip(&self.costs).map(|(&v, &c)| c * v).sum(),
            Goal::Difference => difference,
        };
        let mut model = vars.minimise(objective).using(microlp);
        for c in constraints {
            model.add_constraint(c);
        }
        match model.solve() {
            Ok(solution) => Ok(Some(
                x.iter()
                    .map(|&v| solution.value(v).round().max(0.0) as u32)
                    .collect(),
            )),
            Err(ResolutionError::Infeasible) => Ok(None),
            Err(other) => Err(WfmError::Solver(other.to_string())),
        }
    }
}

fn summarise(
    input: &ScheduleInput,
    shifts: &[(&String, &ShiftTemplate)],
    per_day: &[Vec<u32>],
) -> ScheduleOutput {
    let mut cost = 0.0;
    let mut abs_difference = 0.0;
    let mut schedule = Vec::new();
    let mut coverage = Vec::with_capacity(per_day.len());
    for (day, agents) in per_day.iter().enumerate() {
        let mut on_duty = vec![0_u32; input.periods_per_day];
        for (&n, (name, template)) in agents.iter().zip(shifts) {
            if n == 0 {
                continue;
            }
            cost += template.cost * f64::from(n);
            schedule.push(ShiftAssignment {
                day,
                shift: (*name).clone(),
                agents: n,
            });
            for (slot, &c) in on_duty.iter_mut().zip(&template.coverage) {
                *slot += u32::from(c) * n;
            }
        }
        abs_difference += on_duty
            .iter()
            .zip(&input.required[day])
            .map(|(&have, &need)| (f64::from(have) - need).abs())
            .sum::<f64>();
        coverage.push(on_duty);
    }
    ScheduleOutput {
        status: ScheduleStatus::Optimal,
        cost: Some(cost),
        abs_difference: Some(abs_difference),
        schedule,
        coverage,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn input(json: &str) -> ScheduleInput {
        serde_json::from_str(json).unwrap()
    }

    const TWO_SHIFTS: &str = r#"{
        "days": 2, "periods_per_day": 4,
        "required": [[2, 3, 3, 1], [1, 1, 0, 0]],
        "shifts": {
            "early": {"coverage": [1, 1, 1, 0], "cost": 3},
            "late":  {"coverage": [0, 1, 1, 1]},
            "split": {"coverage": [1, 0, 0, 1], "cost": 1.5}
        },
        "objective": "min-cost"
    }"#;

    #[test]
    fn min_cost_covers_every_period() {
        let out = solve_schedule(&input(TWO_SHIFTS)).unwrap();
        assert_eq!(out.status, ScheduleStatus::Optimal);
        // Day 0: late 3 + split 2 = 6 beats any use of early (≥ 6.5).
        // Day 1: late 1 + split 1 = 2.5 beats early 1 = 3.
        assert_eq!(out.cost, Some(8.5));
        assert_eq!(out.coverage, vec![vec![2, 3, 3, 5], vec![1, 1, 1, 2]]);
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["status"], "optimal");
        assert_eq!(json["schedule"][0]["day"], 0);
        assert_eq!(json["schedule"][0]["shift"], "late");
        assert_eq!(json["schedule"][0]["agents"], 3);
    }

    #[test]
    fn uncovered_period_is_infeasible_not_partial() {
        let mut i = input(TWO_SHIFTS);
        i.shifts.remove("split");
        i.shifts.remove("late");
        let out = solve_schedule(&i).unwrap();
        assert_eq!(out.status, ScheduleStatus::Infeasible);
        assert!(out.schedule.is_empty() && out.coverage.is_empty() && out.cost.is_none());
        assert_eq!(serde_json::to_value(&out).unwrap()["status"], "infeasible");
    }

    #[test]
    fn concurrency_caps_can_make_it_infeasible() {
        let mut i = input(TWO_SHIFTS);
        i.max_period_concurrency = Some(2);
        assert_eq!(
            solve_schedule(&i).unwrap().status,
            ScheduleStatus::Infeasible
        );
        let mut i = input(TWO_SHIFTS);
        i.max_shift_concurrency = Some(1);
        assert_eq!(
            solve_schedule(&i).unwrap().status,
            ScheduleStatus::Infeasible
        );
        let mut i = input(TWO_SHIFTS);
        i.max_shift_concurrency = Some(2);
        i.max_period_concurrency = Some(3);
        let out = solve_schedule(&i).unwrap();
        assert_eq!(out.status, ScheduleStatus::Optimal);
        assert!(out.schedule.iter().all(|a| a.agents <= 2));
        assert!(out.coverage.iter().flatten().all(|&c| c <= 3));
    }

    #[test]
    fn abs_difference_tracks_the_curve_even_with_caps() {
        let mut i = input(TWO_SHIFTS);
        i.objective = Objective::MinAbsDifference;
        i.max_period_concurrency = Some(2);
        let out = solve_schedule(&i).unwrap();
        assert_eq!(out.status, ScheduleStatus::Optimal);
        assert!(out.coverage.iter().flatten().all(|&c| c <= 2));
        let diff = out.abs_difference.unwrap();
        // Day 0: early + late ≤ 2 caps periods 1–2 at 2 (diff 2), and then periods 0 and 3
        // cannot both match (diff ≥ 1). Day 1: no shift covers only periods 0–1 (diff 1).
        assert_eq!(diff, 4.0);
    }

    #[test]
    fn demo_file_solves() {
        // The example input shipped for the CLI (`kefu wfm schedule --input …`).
        let i = input(include_str!("../testdata/schedule-week.json"));
        let out = solve_schedule(&i).unwrap();
        assert_eq!(out.status, ScheduleStatus::Optimal);
        for (have, need) in out
            .coverage
            .iter()
            .flatten()
            .zip(i.required.iter().flatten())
        {
            assert!(f64::from(*have) >= *need);
        }
    }

    #[test]
    fn shape_errors_have_codes() {
        let mut i = input(TWO_SHIFTS);
        i.days = 3;
        assert_eq!(
            solve_schedule(&i).unwrap_err().code(),
            "invalid_schedule_shape"
        );
        let mut i = input(TWO_SHIFTS);
        i.required[1].push(1.0);
        assert_eq!(
            solve_schedule(&i).unwrap_err().code(),
            "invalid_schedule_shape"
        );
        let mut i = input(TWO_SHIFTS);
        i.required[0][2] = -1.0;
        assert_eq!(
            solve_schedule(&i).unwrap_err().code(),
            "invalid_requirement"
        );
        let mut i = input(TWO_SHIFTS);
        i.shifts.get_mut("late").unwrap().coverage = vec![0, 1, 2, 1];
        assert_eq!(solve_schedule(&i).unwrap_err().code(), "invalid_shift");
        let mut i = input(TWO_SHIFTS);
        i.shifts.get_mut("late").unwrap().coverage.pop();
        assert_eq!(solve_schedule(&i).unwrap_err().code(), "invalid_shift");
        let mut i = input(TWO_SHIFTS);
        i.shifts.get_mut("late").unwrap().cost = -1.0;
        assert_eq!(solve_schedule(&i).unwrap_err().code(), "invalid_shift");
        let mut i = input(TWO_SHIFTS);
        i.shifts.clear();
        assert_eq!(solve_schedule(&i).unwrap_err().code(), "no_shifts");
        assert!(serde_json::from_str::<ScheduleInput>(r#"{"days":1}"#).is_err());
    }
}
