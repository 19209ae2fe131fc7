//! The running sums of one bucket × dimension value, fed one contact or span piece at a time,
//! and how they turn into a `MetricRow` (every division and percentile happens here, once).

use crate::partial::PartialTally;
use crate::record::{AgentState, BotOutcome, HandleTime, InteractionRecord, OfferOutcome, Rating};
use crate::report::{
    MetricCounts, MetricDurations, MetricRates, mean_secs, nearest_rank_ms, ratio,
};
use crate::service_level::{SlCounts, SlDefinition};

/// Thresholds in milliseconds, fixed for one report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Thresholds {
    pub service_level_ms: u64,
    pub short_abandon_ms: u64,
    pub observed_until_ms: i64,
}

/// What one contact contributes, worked out once and then added to each of its dimension
/// rows (tenant, queue, channel, agent, group), so a record costs one pass of arithmetic.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ContactFacts {
    offered: bool,
    answered_wait_ms: Option<u64>,
    abandoned_wait_ms: Option<u64>,
    handle: Option<HandleTime>,
    transfers: u32,
    first_response_ms: Option<u64>,
    resolution_ms: Option<u64>,
    rating: Option<Rating>,
    bot: Option<BotOutcome>,
    sla: Option<SlaOutcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlaOutcome {
    Met,
    Breached,
    Open,
}

/// Milliseconds from `from` to `to`; validation has already ruled out negative spans.
fn elapsed_ms(from: i64, to: i64) -> u64 {
    u64::try_from(to.saturating_sub(from)).unwrap_or(0)
}

impl ContactFacts {
    pub(crate) fn of(record: &InteractionRecord, observed_until_ms: i64) -> Self {
        let started = record.started_at.timestamp_millis();
        let mut facts = Self {
            first_response_ms: record
                .first_response_at
                .map(|at| elapsed_ms(started, at.timestamp_millis())),
            resolution_ms: record
                .resolved_at
                .map(|at| elapsed_ms(started, at.timestamp_millis())),
            rating: record.rating,
            bot: record.bot,
            ..Self::default()
        };
        if let Some(offer) = &record.offer {
            let enqueued = offer.enqueued_at.timestamp_millis();
            facts.offered = true;
            match &offer.outcome {
                OfferOutcome::Answered { answered_at, .. } => {
                    facts.answered_wait_ms =
                        Some(elapsed_ms(enqueued, answered_at.timestamp_millis()));
                    facts.handle = record.handle;
                    facts.transfers = record.transfers;
                }
                OfferOutcome::Abandoned { abandoned_at } => {
                    facts.abandoned_wait_ms =
                        Some(elapsed_ms(enqueued, abandoned_at.timestamp_millis()));
                }
                OfferOutcome::Waiting => {}
            }
        }
        facts.sla = record.resolution_due_at.map(|due| {
            match (
                record.resolved_at,
                due.timestamp_millis() < observed_until_ms,
            ) {
                (Some(resolved), _) if resolved <= due => SlaOutcome::Met,
                (Some(_), _) | (None, true) => SlaOutcome::Breached,
                (None, false) => SlaOutcome::Open,
            }
        });
        facts
    }
}

/// Running sums for one row. Sums of milliseconds saturate: absurd input must not panic.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    pub bucket_end_ms: i64,
    counts: MetricCounts,
    answered_wait_ms: u64,
    talk_ms: u64,
    hold_ms: u64,
    after_contact_work_ms: u64,
    first_response_ms: u64,
    resolution_ms: u64,
    resolution_values_ms: Vec<u64>,
    available_ms: u64,
    away_ms: u64,
    busy_ms: u64,
    wrap_up_ms: u64,
}

/// How one resolved contact fared on first contact resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FcrOutcome {
    ResolvedFirstContact,
    Repeated,
    Undetermined,
}

impl Tally {
    pub(crate) fn new(bucket_end_ms: i64) -> Self {
        Self {
            bucket_end_ms,
            ..Self::default()
        }
    }

    pub(crate) fn add_contact(&mut self, f: &ContactFacts, t: &Thresholds) {
        let c = &mut self.counts;
        if f.offered {
            c.offered += 1;
            match (f.answered_wait_ms, f.abandoned_wait_ms) {
                (Some(wait), _) => {
                    c.answered += 1;
                    c.answered_within_threshold += u64::from(wait <= t.service_level_ms);
                    self.answered_wait_ms = self.answered_wait_ms.saturating_add(wait);
                    c.transferred += u64::from(f.transfers > 0);
                    c.transfers += u64::from(f.transfers);
                }
                (None, Some(wait)) => {
                    c.abandoned += 1;
                    c.abandoned_within_threshold += u64::from(wait <= t.service_level_ms);
                    c.short_abandoned += u64::from(wait <= t.short_abandon_ms);
                }
                (None, None) => c.waiting += 1,
            }
        }
        if let Some(handle) = f.handle {
            c.handled += 1;
            self.talk_ms = self.talk_ms.saturating_add(handle.talk_ms);
            self.hold_ms = self.hold_ms.saturating_add(handle.hold_ms);
            self.after_contact_work_ms = self
                .after_contact_work_ms
                .saturating_add(handle.after_contact_work_ms);
        }
        if let Some(ms) = f.first_response_ms {
            c.first_responses += 1;
            self.first_response_ms = self.first_response_ms.saturating_add(ms);
        }
        if let Some(ms) = f.resolution_ms {
            c.resolved += 1;
            self.resolution_ms = self.resolution_ms.saturating_add(ms);
            self.resolution_values_ms.push(ms);
        }
        match f.rating {
            Some(Rating::Csat(score)) => {
                c.csat_responses += 1;
                c.csat_satisfied += u64::from(score >= 4);
            }
            Some(Rating::Nps(score)) => {
                c.nps_responses += 1;
                c.nps_promoters += u64::from(score >= 9);
                c.nps_detractors += u64::from(score <= 6);
            }
            None => {}
        }
        if let Some(bot) = f.bot {
            c.bot_conversations += 1;
            c.bot_resolved += u64::from(bot == BotOutcome::Resolved);
            c.bot_handed_off += u64::from(bot == BotOutcome::HandedOff);
        }
        if let Some(sla) = f.sla {
            c.sla_tickets += 1;
            match sla {
                SlaOutcome::Met => c.sla_met += 1,
                SlaOutcome::Breached => c.sla_breached += 1,
                SlaOutcome::Open => c.sla_open += 1,
            }
        }
    }

    /// Adds pre-aggregated sums. Thresholds are applied to the wait histograms here, and FCR
    /// and ticket SLA are decided against `observed_until` exactly as for single contacts.
    pub(crate) fn add_partial(&mut self, p: &PartialTally, t: &Thresholds, fcr_window_ms: i64) {
        let count = |v: i64| u64::try_from(v).unwrap_or(0);
        let sum = |total: &mut u64, v: i64| *total = total.saturating_add(count(v));
        let within = |histogram: &crate::partial::Histogram, limit_ms: u64| -> u64 {
            let limit_secs = i64::try_from(limit_ms / 1000).unwrap_or(i64::MAX);
            count(histogram.range(..=limit_secs).map(|(_, n)| *n).sum())
        };
        let c = &mut self.counts;
        c.offered += count(p.offered);
        c.answered += count(p.answered);
        c.abandoned += count(p.abandoned);
        c.waiting += count(p.waiting);
        c.answered_within_threshold += within(&p.answered_wait_secs, t.service_level_ms);
        c.abandoned_within_threshold += within(&p.abandoned_wait_secs, t.service_level_ms);
        c.short_abandoned += within(&p.abandoned_wait_secs, t.short_abandon_ms);
        c.handled += count(p.handled);
        c.transferred += count(p.transferred);
        c.transfers += count(p.transfers);
        c.first_responses += count(p.first_responses);
        c.resolved += count(p.resolved);
        c.csat_responses += count(p.csat_responses);
        c.csat_satisfied += count(p.csat_satisfied);
        c.nps_responses += count(p.nps_responses);
        c.nps_promoters += count(p.nps_promoters);
        c.nps_detractors += count(p.nps_detractors);
        c.bot_conversations += count(p.bot_conversations);
        c.bot_resolved += count(p.bot_resolved);
        c.bot_handed_off += count(p.bot_handed_off);
        let due_passed = count(
            p.sla_due_open_ms
                .range(..t.observed_until_ms)
                .map(|(_, n)| *n)
                .sum(),
        );
        let due_open = count(p.sla_due_open_ms.values().sum::<i64>()).saturating_sub(due_passed);
        c.sla_met += count(p.sla_met);
        c.sla_breached += count(p.sla_breached_resolved) + due_passed;
        c.sla_open += due_open;
        c.sla_tickets += count(p.sla_met) + count(p.sla_breached_resolved) + due_passed + due_open;
        // FCR: a next contact within N days (gap ≤ N whole days) is a repeat; a later one means
        // the N days passed without one; with no next contact the N days must be observed.
        let window_days = fcr_window_ms / 86_400_000;
        for (gap_days, n) in &p.fcr_gap_days {
            if *gap_days <= window_days {
                c.fcr_repeated += count(*n);
            } else {
                c.fcr_resolved_first_contact += count(*n);
            }
        }
        for (resolved_ms, n) in &p.fcr_open_resolved_ms {
            if resolved_ms.saturating_add(fcr_window_ms) <= t.observed_until_ms {
                c.fcr_resolved_first_contact += count(*n);
            } else {
                c.fcr_undetermined += count(*n);
            }
        }
        sum(&mut self.answered_wait_ms, p.answered_wait_ms);
        sum(&mut self.talk_ms, p.talk_ms);
        sum(&mut self.hold_ms, p.hold_ms);
        sum(&mut self.after_contact_work_ms, p.after_contact_work_ms);
        sum(&mut self.first_response_ms, p.first_response_ms);
        sum(&mut self.resolution_ms, p.resolution_ms);
        for (ms, n) in &p.resolution_values_ms {
            let value = count(*ms);
            self.resolution_values_ms
                .extend(std::iter::repeat_n(value, usize::try_from(*n).unwrap_or(0)));
        }
        sum(&mut self.available_ms, p.available_ms);
        sum(&mut self.away_ms, p.away_ms);
        sum(&mut self.busy_ms, p.busy_ms);
        sum(&mut self.wrap_up_ms, p.wrap_up_ms);
    }

    pub(crate) fn add_state_time(&mut self, state: AgentState, ms: u64) {
        let total = match state {
            AgentState::Available => &mut self.available_ms,
            AgentState::Away => &mut self.away_ms,
            AgentState::Busy => &mut self.busy_ms,
            AgentState::WrapUp => &mut self.wrap_up_ms,
            AgentState::Offline => return,
        };
        *total = total.saturating_add(ms);
    }

    pub(crate) fn add_fcr(&mut self, outcome: FcrOutcome) {
        let c = &mut self.counts;
        match outcome {
            FcrOutcome::ResolvedFirstContact => c.fcr_resolved_first_contact += 1,
            FcrOutcome::Repeated => c.fcr_repeated += 1,
            FcrOutcome::Undetermined => c.fcr_undetermined += 1,
        }
    }

    /// The row's counts, durations and rates. Consumes the tally: the percentile selection
    /// reorders the stored resolution times.
    pub(crate) fn finish(
        mut self,
        definition: SlDefinition,
    ) -> (MetricCounts, MetricDurations, MetricRates) {
        let c = self.counts;
        let handling_ms = self.busy_ms.saturating_add(self.wrap_up_ms);
        let logged_in_ms = handling_ms
            .saturating_add(self.available_ms)
            .saturating_add(self.away_ms);
        let handle_total_ms = self
            .talk_ms
            .saturating_add(self.hold_ms)
            .saturating_add(self.after_contact_work_ms);
        let durations = MetricDurations {
            asa_secs: mean_secs(self.answered_wait_ms, c.answered),
            aht_secs: mean_secs(handle_total_ms, c.handled),
            avg_talk_secs: mean_secs(self.talk_ms, c.handled),
            avg_hold_secs: mean_secs(self.hold_ms, c.handled),
            avg_after_contact_work_secs: mean_secs(self.after_contact_work_ms, c.handled),
            frt_secs: mean_secs(self.first_response_ms, c.first_responses),
            resolution_avg_secs: mean_secs(self.resolution_ms, c.resolved),
            resolution_p50_secs: nearest_rank_ms(&mut self.resolution_values_ms, 50)
                .map(|ms| ms as f64 / 1000.0),
            resolution_p90_secs: nearest_rank_ms(&mut self.resolution_values_ms, 90)
                .map(|ms| ms as f64 / 1000.0),
            available_secs: self.available_ms as f64 / 1000.0,
            away_secs: self.away_ms as f64 / 1000.0,
            busy_secs: self.busy_ms as f64 / 1000.0,
            wrap_up_secs: self.wrap_up_ms as f64 / 1000.0,
        };
        let sl_counts = SlCounts {
            answered: c.answered,
            abandoned: c.abandoned,
            answered_within: c.answered_within_threshold,
            abandoned_within: c.abandoned_within_threshold,
            short_abandoned: c.short_abandoned,
        };
        let rates = MetricRates {
            answer_rate: ratio(c.answered, c.offered),
            abandonment_rate: ratio(c.abandoned - c.short_abandoned, c.offered),
            service_level: definition.compute(&sl_counts),
            occupancy: ratio(handling_ms, handling_ms.saturating_add(self.available_ms)),
            utilization: ratio(handling_ms, logged_in_ms),
            transfer_rate: ratio(c.transferred, c.answered),
            fcr_rate: ratio(
                c.fcr_resolved_first_contact,
                c.fcr_resolved_first_contact + c.fcr_repeated,
            ),
            csat: ratio(c.csat_satisfied, c.csat_responses),
            nps: ratio(c.nps_promoters, c.nps_responses).and_then(|promoters| {
                ratio(c.nps_detractors, c.nps_responses)
                    .map(|detractors| 100.0 * (promoters - detractors))
            }),
            bot_answer_rate: ratio(c.bot_resolved, c.bot_conversations),
            bot_handoff_rate: ratio(c.bot_handed_off, c.bot_conversations),
            sla_attainment: ratio(c.sla_met, c.sla_met + c.sla_breached),
        };
        (c, durations, rates)
    }
}
