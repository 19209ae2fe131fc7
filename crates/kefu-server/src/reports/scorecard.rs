//! Agent scorecards: each agent's totals over a window, read from the engine's agent rows of a
//! one-bucket (`whole`) report, so every figure is the metric `docs/metrics.md` defines, plus
//! the tickets each agent solved. Adherence needs published schedules, which kefu does not
//! keep yet: it is always `null`.

use super::table::{Cell, Table};
use kefu_core::Role;
use kefu_metrics::{DimensionKey, MetricRow, MetricsReport};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Someone who may have a scorecard.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub active: bool,
}

/// One agent's figures over the window.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Scorecard {
    pub agent_id: Uuid,
    pub name: String,
    /// Conversations the agent answered (offered in the window).
    pub conversations_answered: u64,
    /// Of those, the ones whose handling (with wrap-up) has ended: AHT's denominator.
    pub conversations_handled: u64,
    /// Tickets assigned to the agent whose latest solve falls in the window.
    pub tickets_solved: u64,
    /// Average handle time (talk + hold + after-contact work), seconds.
    pub aht_secs: Option<f64>,
    /// Average first response time, seconds.
    pub frt_secs: Option<f64>,
    /// CSAT: the share of ratings of 4 or 5 (0–1).
    pub csat: Option<f64>,
    pub csat_responses: u64,
    /// First-contact resolution rate (0–1) over the judged contacts.
    pub fcr_rate: Option<f64>,
    /// Transferred answered conversations over answered (0–1).
    pub transfer_rate: Option<f64>,
    /// Busy and wrap-up time over busy, wrap-up and available time (0–1).
    pub occupancy: Option<f64>,
    /// Schedule adherence (0–1): `null` until kefu keeps published agent schedules.
    pub adherence: Option<f64>,
}

/// A window's scorecards and the parameters they were computed with.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ScorecardReport {
    pub window_start: chrono::DateTime<chrono::Utc>,
    pub window_end: chrono::DateTime<chrono::Utc>,
    pub time_zone: String,
    /// N of FCR's "no repeat contact within N days".
    pub fcr_window_days: u32,
    /// By name, then id.
    pub scorecards: Vec<Scorecard>,
}

/// The scorecards of `people` from a one-bucket report with the agent dimension and the
/// tickets each solved. Anyone with work in the window has a card; an active agent with none
/// gets one of zeros and nulls too (so a team's table is complete).
pub fn scorecards(
    report: &MetricsReport,
    tickets_solved: &HashMap<Uuid, u64>,
    people: &[Person],
) -> ScorecardReport {
    let rows: HashMap<&str, &MetricRow> = report
        .rows
        .iter()
        .filter_map(|row| match &row.dimension {
            DimensionKey::Agent(id) => Some((id.as_str(), row)),
            _ => None,
        })
        .collect();
    let mut cards: Vec<Scorecard> = people
        .iter()
        .filter_map(|person| {
            let row = rows.get(person.id.to_string().as_str()).copied();
            let solved = tickets_solved.get(&person.id).copied().unwrap_or(0);
            if row.is_none() && solved == 0 && !(person.active && person.role == Role::Agent) {
                return None;
            }
            Some(card(person, row, solved))
        })
        .collect();
    cards.sort_by(|a, b| a.name.cmp(&b.name).then(a.agent_id.cmp(&b.agent_id)));
    ScorecardReport {
        window_start: report.window_start,
        window_end: report.window_end,
        time_zone: report.time_zone.clone(),
        fcr_window_days: report.fcr_window_days,
        scorecards: cards,
    }
}

fn card(person: &Person, row: Option<&MetricRow>, tickets_solved: u64) -> Scorecard {
    let counts = row.map(|r| r.counts).unwrap_or_default();
    let durations = row.map(|r| r.durations).unwrap_or_default();
    let rates = row.map(|r| r.rates).unwrap_or_default();
    Scorecard {
        agent_id: person.id,
        name: person.name.clone(),
        conversations_answered: counts.answered,
        conversations_handled: counts.handled,
        tickets_solved,
        aht_secs: durations.aht_secs,
        frt_secs: durations.frt_secs,
        csat: rates.csat,
        csat_responses: counts.csat_responses,
        fcr_rate: rates.fcr_rate,
        transfer_rate: rates.transfer_rate,
        occupancy: rates.occupancy,
        adherence: None,
    }
}

/// Scorecards as a table for CSV and XLSX (rates as fractions, seconds as numbers).
pub fn table(report: &ScorecardReport) -> Table {
    let headers = [
        "agent_id",
        "name",
        "conversations_answered",
        "conversations_handled",
        "tickets_solved",
        "aht_secs",
        "frt_secs",
        "csat",
        "csat_responses",
        "fcr_rate",
        "transfer_rate",
        "occupancy",
        "adherence",
    ]
    .map(str::to_owned)
    .to_vec();
    let rows = report
        .scorecards
        .iter()
        .map(|c| {
            vec![
                Cell::Text(c.agent_id.to_string()),
                Cell::Text(c.name.clone()),
                Cell::Count(c.conversations_answered),
                Cell::Count(c.conversations_handled),
                Cell::Count(c.tickets_solved),
                Cell::Secs(c.aht_secs),
                Cell::Secs(c.frt_secs),
                Cell::Rate(c.csat),
                Cell::Count(c.csat_responses),
                Cell::Rate(c.fcr_rate),
                Cell::Rate(c.transfer_rate),
                Cell::Rate(c.occupancy),
                Cell::Rate(c.adherence),
            ]
        })
        .collect();
    Table { headers, rows }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use chrono::DateTime;
    use kefu_metrics::{
        AggregationSpec, Dimension, Granularity, InteractionRecord, Offer, OfferOutcome, Tz,
        aggregate,
    };

    fn person(n: u128, name: &str, role: Role, active: bool) -> Person {
        Person {
            id: Uuid::from_u128(n),
            name: name.into(),
            role,
            active,
        }
    }

    #[test]
    fn everyone_with_work_and_every_active_agent_has_a_card() {
        let at = |s: i64| DateTime::from_timestamp(1_772_500_000 + s, 0).unwrap();
        let mut spec = AggregationSpec::new(Tz::UTC, Granularity::Whole, at(0), at(3600));
        spec.dimensions = vec![Dimension::Agent];
        let record = InteractionRecord {
            id: "c1".into(),
            customer_id: "u1".into(),
            channel: "chat".into(),
            service_group: None,
            started_at: at(10),
            offer: Some(Offer {
                queue: "q1".into(),
                enqueued_at: at(10),
                outcome: OfferOutcome::Answered {
                    agent: Uuid::from_u128(2).to_string(),
                    answered_at: at(15),
                },
            }),
            first_response_at: None,
            handle: None,
            resolved_at: None,
            resolution_due_at: None,
            transfers: 0,
            rating: None,
            bot: None,
        };
        let report = aggregate(spec, [&record], []).unwrap();
        let people = [
            person(1, "Idle agent", Role::Agent, true),
            person(2, "Busy supervisor", Role::Supervisor, true),
            person(3, "Gone agent", Role::Agent, false),
            person(4, "Admin", Role::Admin, true),
            person(5, "Gone solver", Role::Agent, false),
        ];
        let solved = HashMap::from([(Uuid::from_u128(5), 3)]);
        let cards = scorecards(&report, &solved, &people).scorecards;
        let names: Vec<&str> = cards.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Busy supervisor", "Gone solver", "Idle agent"]);
        assert_eq!(cards[0].conversations_answered, 1);
        assert_eq!(cards[1].tickets_solved, 3);
        assert_eq!(
            (cards[2].conversations_answered, cards[2].aht_secs),
            (0, None)
        );
        assert!(cards.iter().all(|c| c.adherence.is_none()));
        let table = table(&ScorecardReport {
            scorecards: cards,
            ..scorecards(&report, &solved, &[])
        });
        assert_eq!(table.rows.len(), 3);
        assert!(table.rows.iter().all(|r| r.len() == table.headers.len()));
    }
}
