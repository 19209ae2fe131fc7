//! Folds the event log into the metrics engine's inputs: one `InteractionRecord` per contact
//! of a conversation and one `AgentStateSpan` per stretch of agent presence, event by event.
//!
//! Pure and incremental: [`Fold::push`] takes events in sequence order and hands out every
//! record that can no longer change, so a caller streams the log in batches and memory holds
//! only the contacts still open (or resolved too recently to be past a late rating).

use chrono::{DateTime, TimeDelta, Utc};
use kefu_metrics::{
    AgentState, AgentStateSpan, BotOutcome, HandleTime, InteractionRecord, Offer, OfferOutcome,
    Rating,
};
use kefu_store::Event;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use uuid::Uuid;

/// Every chat contact is reported under this channel label.
pub const CHANNEL_CHAT: &str = "chat";

/// How long after its resolution a contact waits for the customer's rating before it is
/// handed to the engine. Ratings later than this are not counted (see docs/metrics.md): the
/// alternative, holding every resolved contact until the end of the log, would keep the whole
/// history in memory.
pub const RATING_GRACE: TimeDelta = TimeDelta::hours(24);

/// What the fold has handed out and not yet been drained by the caller.
#[derive(Debug, Default)]
pub struct Output {
    pub interactions: Vec<InteractionRecord>,
    pub spans: Vec<AgentStateSpan>,
}

/// The running fold. Push events in sequence order, drain [`Fold::output`] as you go, and call
/// [`Fold::finish`] at the end of the log. Serializable (without its undrained output) so the
/// rollup maintainer can save it and resume.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Fold {
    contacts: HashMap<Uuid, Contact>,
    /// Resolved contacts in resolution order: (resolved at, conversation, contact number).
    /// Log order is close to time order, so the front is always the next to pass its grace.
    resolved: VecDeque<(DateTime<Utc>, Uuid, u32)>,
    /// Each agent's current presence and since when.
    agents: HashMap<Uuid, (AgentState, DateTime<Utc>)>,
    /// The newest event time seen: the fold's notion of "now" in the log.
    clock: Option<DateTime<Utc>>,
    /// Ratings that arrived after their contact had been handed out (beyond the grace).
    pub late_ratings: u64,
    #[serde(skip)]
    pub output: Output,
}

/// Where an answered contact's agent time is going right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Segment {
    Idle,
    Talk(DateTime<Utc>),
    WrapUp(DateTime<Utc>),
}

/// One contact of a conversation, kept compact (ids as `Uuid`, queue as its key) because
/// thousands may be open at once.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Contact {
    /// 1 for the conversation's first contact, 2 after its first reopen, …
    number: u32,
    customer_id: Uuid,
    started_at: DateTime<Utc>,
    /// The first queue: (key, entered at).
    offer: Option<(String, DateTime<Utc>)>,
    answered: Option<(Uuid, DateTime<Utc>)>,
    abandoned_at: Option<DateTime<Utc>>,
    customer_wrote: bool,
    first_response_at: Option<DateTime<Utc>>,
    segment: Segment,
    talk_ms: u64,
    after_contact_work_ms: u64,
    resolved_at: Option<DateTime<Utc>>,
    transfers: u32,
    rating: Option<u8>,
    started_with_bot: bool,
    bot: Option<BotOutcome>,
}

impl Contact {
    fn new(number: u32, customer_id: Uuid, at: DateTime<Utc>) -> Self {
        Contact {
            number,
            customer_id,
            started_at: at,
            offer: None,
            answered: None,
            abandoned_at: None,
            customer_wrote: false,
            first_response_at: None,
            segment: Segment::Idle,
            talk_ms: 0,
            after_contact_work_ms: 0,
            resolved_at: None,
            transfers: 0,
            rating: None,
            started_with_bot: false,
            bot: None,
        }
    }

    /// Ends the running agent segment at `at`, adding its length to talk or wrap-up.
    fn close_segment(&mut self, at: DateTime<Utc>) {
        match self.segment {
            Segment::Idle => {}
            Segment::Talk(since) => self.talk_ms += millis_between(since, at),
            Segment::WrapUp(since) => self.after_contact_work_ms += millis_between(since, at),
        }
        self.segment = Segment::Idle;
    }

    fn enqueue(&mut self, queue: String, at: DateTime<Utc>) {
        if self.offer.is_none() {
            self.offer = Some((queue, at));
            if self.started_with_bot {
                self.bot = Some(BotOutcome::HandedOff);
            }
        }
    }

    /// The engine's record. Event times are taken inside separate transactions, so two events
    /// of one contact can be a few microseconds out of order; each time is clamped to the one
    /// it follows, because one reversed pair would make the engine reject the whole report.
    fn record(&self, conversation: Uuid) -> InteractionRecord {
        let started_at = self.started_at;
        let offer = self.offer.as_ref().map(|(queue, enqueued_at)| {
            let enqueued_at = (*enqueued_at).max(started_at);
            let outcome = match (self.answered, self.abandoned_at) {
                (Some((agent, at)), _) => OfferOutcome::Answered {
                    agent: agent.to_string(),
                    answered_at: at.max(enqueued_at),
                },
                (None, Some(at)) => OfferOutcome::Abandoned {
                    abandoned_at: at.max(enqueued_at),
                },
                (None, None) => OfferOutcome::Waiting,
            };
            Offer {
                queue: queue.clone(),
                enqueued_at,
                outcome,
            }
        });
        // Handle time is known once the agent's work is over, which for chat is resolution.
        let handle =
            (self.answered.is_some() && self.resolved_at.is_some()).then_some(HandleTime {
                talk_ms: self.talk_ms,
                hold_ms: 0,
                after_contact_work_ms: self.after_contact_work_ms,
            });
        let id = if self.number <= 1 {
            conversation.to_string()
        } else {
            format!("{conversation}#{}", self.number)
        };
        InteractionRecord {
            id,
            customer_id: self.customer_id.to_string(),
            channel: CHANNEL_CHAT.to_owned(),
            service_group: None,
            started_at,
            offer,
            first_response_at: self.first_response_at.map(|at| at.max(started_at)),
            handle,
            resolved_at: self.resolved_at.map(|at| at.max(started_at)),
            resolution_due_at: None,
            transfers: self.transfers,
            rating: self.rating.map(Rating::Csat),
            bot: self.bot,
        }
    }
}

fn millis_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    u64::try_from((to - from).num_milliseconds()).unwrap_or(0)
}

/// The queue a conversation waits in, as the router keys it: the inbox, and the topic if any.
pub fn queue_key(inbox_id: &str, topic: Option<&str>) -> String {
    match topic {
        Some(topic) => format!("{inbox_id}/{topic}"),
        None => inbox_id.to_owned(),
    }
}

/// The conversation snapshot every conversation event carries.
fn conversation_of(event: &Event) -> Option<&Value> {
    event.payload.0.get("conversation")
}

fn uuid_at(value: &Value, field: &str) -> Option<Uuid> {
    value.get(field)?.as_str()?.parse().ok()
}

fn queue_of(conversation: &Value) -> Option<String> {
    let inbox = conversation.get("inbox_id")?.as_str()?;
    let topic = conversation.get("topic").and_then(Value::as_str);
    Some(queue_key(inbox, topic))
}

fn presence_state(name: &str) -> Option<AgentState> {
    Some(match name {
        "available" => AgentState::Available,
        "away" => AgentState::Away,
        "busy" => AgentState::Busy,
        "wrap_up" => AgentState::WrapUp,
        "offline" => AgentState::Offline,
        _ => return None,
    })
}

impl Fold {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next event of the log. Events the fold does not use are skipped, and so are
    /// events about conversations it never saw created (a log read from the middle).
    pub fn push(&mut self, event: &Event) {
        let at = event.created_at;
        self.clock = Some(self.clock.map_or(at, |clock| clock.max(at)));
        match event.kind.as_str() {
            "agent.presence_changed" => self.presence(event),
            "conversation.created" => self.created(event),
            "message.created" => self.message(event),
            "conversation.rated" => self.rated(event),
            "conversation.reopened" => self.reopened(event),
            kind => {
                if let Some(id) = event.entity_id
                    && let Some(contact) = self.contacts.get_mut(&id)
                {
                    moved(contact, kind, event);
                    if kind == "conversation.resolved" {
                        self.resolved.push_back((at, id, contact.number));
                    }
                }
            }
        }
        self.release_rated_out(at);
    }

    /// The end of the log: every contact still held is handed out as it stands (waiting,
    /// being served, or resolved and unrated), and every agent's current state is closed at
    /// `end`, the report's end.
    /// The record the open contact of a conversation would have if the log ended now.
    pub fn open_record(&self, conversation: Uuid) -> Option<InteractionRecord> {
        self.contacts
            .get(&conversation)
            .map(|contact| contact.record(conversation))
    }

    /// Every open contact's record as of now, without handing them out.
    pub fn open_records(&self) -> Vec<InteractionRecord> {
        self.contacts
            .iter()
            .map(|(id, contact)| contact.record(*id))
            .collect()
    }

    /// Each agent's running presence and since when: the spans [`Fold::finish`] would close.
    pub fn running_presence(&self) -> impl Iterator<Item = (Uuid, AgentState, DateTime<Utc>)> + '_ {
        self.agents
            .iter()
            .map(|(agent, (state, since))| (*agent, *state, *since))
    }

    pub fn finish(&mut self, end: DateTime<Utc>) {
        let mut open: Vec<(Uuid, Contact)> = self.contacts.drain().collect();
        // Deterministic output order, so reports and tests do not depend on hash order.
        open.sort_by_key(|(id, contact)| (*id, contact.number));
        for (id, contact) in open {
            self.output.interactions.push(contact.record(id));
        }
        self.resolved.clear();
        let mut agents: Vec<_> = self.agents.drain().collect();
        agents.sort_by_key(|(id, _)| *id);
        for (agent, (state, since)) in agents {
            push_span(&mut self.output.spans, agent, state, since, end);
        }
    }

    /// Hands out resolved contacts whose rating grace has passed.
    fn release_rated_out(&mut self, now: DateTime<Utc>) {
        while let Some(&(resolved_at, id, number)) = self.resolved.front() {
            if resolved_at + RATING_GRACE > now {
                break;
            }
            self.resolved.pop_front();
            self.release_if(id, |c| c.number == number && c.resolved_at.is_some());
        }
    }

    fn release_if(&mut self, id: Uuid, ready: impl Fn(&Contact) -> bool) {
        if self.contacts.get(&id).is_some_and(ready)
            && let Some(contact) = self.contacts.remove(&id)
        {
            self.output.interactions.push(contact.record(id));
        }
    }

    fn presence(&mut self, event: &Event) {
        let Some(agent) = event.entity_id else {
            return;
        };
        let Some(state) = event
            .payload
            .0
            .get("state")
            .and_then(Value::as_str)
            .and_then(presence_state)
        else {
            return;
        };
        let at = event.created_at;
        // Before an agent's first event nothing is known: treated as offline, so not counted.
        if let Some((previous, since)) = self.agents.insert(agent, (state, at)) {
            push_span(&mut self.output.spans, agent, previous, since, at);
        }
    }

    fn created(&mut self, event: &Event) {
        let (Some(id), Some(conversation)) = (event.entity_id, conversation_of(event)) else {
            return;
        };
        let Some(customer_id) = uuid_at(conversation, "customer_id") else {
            return;
        };
        let at = event.created_at;
        let mut contact = Contact::new(1, customer_id, at);
        match conversation.get("status").and_then(Value::as_str) {
            Some("bot") => {
                contact.started_with_bot = true;
                contact.bot = Some(BotOutcome::Abandoned);
            }
            _ => {
                if let Some(queue) = queue_of(conversation) {
                    contact.enqueue(queue, at);
                }
            }
        }
        self.contacts.insert(id, contact);
    }

    /// A resolved conversation the customer wrote to again: its contact is final, and a new
    /// contact starts, offered to the queue at this instant.
    fn reopened(&mut self, event: &Event) {
        let Some(id) = event.entity_id else {
            return;
        };
        let Some(previous) = self.contacts.remove(&id) else {
            return;
        };
        self.output.interactions.push(previous.record(id));
        let at = event.created_at;
        let mut contact = Contact::new(previous.number + 1, previous.customer_id, at);
        if let Some(queue) = conversation_of(event).and_then(queue_of) {
            contact.enqueue(queue, at);
        }
        self.contacts.insert(id, contact);
    }

    fn message(&mut self, event: &Event) {
        let Some(id) = event.entity_id else {
            return;
        };
        let Some(contact) = self.contacts.get_mut(&id) else {
            return;
        };
        let Some(message) = event.payload.0.get("message") else {
            return;
        };
        let sender = message.get("sender_kind").and_then(Value::as_str);
        let kind = message.get("kind").and_then(Value::as_str);
        match (sender, kind) {
            (Some("customer"), _) => contact.customer_wrote = true,
            // A greeting sent before the customer wrote answers nothing; notes are internal.
            (Some("agent"), Some("text"))
                if contact.customer_wrote && contact.first_response_at.is_none() =>
            {
                contact.first_response_at = Some(event.created_at);
            }
            _ => {}
        }
    }

    fn rated(&mut self, event: &Event) {
        let Some(id) = event.entity_id else {
            return;
        };
        let score = event
            .payload
            .0
            .get("rating")
            .and_then(Value::as_u64)
            .and_then(|r| u8::try_from(r).ok())
            .filter(|r| (1..=5).contains(r));
        let Some(contact) = self.contacts.get_mut(&id) else {
            self.late_ratings += 1;
            return;
        };
        contact.rating = score;
        // Rated: nothing more can change this contact until a reopen starts the next one.
        self.release_if(id, |c| c.resolved_at.is_some());
    }
}

/// A conversation state move (`queued`, `offered`, `assigned`, `wrap_up`, `resolved`).
fn moved(contact: &mut Contact, kind: &str, event: &Event) {
    let at = event.created_at;
    match kind {
        "conversation.queued" => {
            contact.close_segment(at);
            let reason = event.payload.0.get("reason").and_then(Value::as_str);
            if reason == Some("transferred") {
                contact.transfers += 1;
            }
            // Only the first queue counts; later visits (offers that lapsed, transfers) do not
            // move the contact's statistics.
            if let Some(queue) = conversation_of(event).and_then(queue_of) {
                contact.enqueue(queue, at);
            }
        }
        "conversation.assigned" => {
            if contact.answered.is_none()
                && contact.abandoned_at.is_none()
                && let Some(agent) = conversation_of(event).and_then(|c| uuid_at(c, "assignee_id"))
            {
                contact.answered = Some((agent, at));
            }
            if let Segment::WrapUp(_) = contact.segment {
                contact.close_segment(at);
            }
            if contact.segment == Segment::Idle {
                contact.segment = Segment::Talk(at);
            }
        }
        "conversation.wrap_up" => {
            contact.close_segment(at);
            contact.segment = Segment::WrapUp(at);
        }
        "conversation.resolved" => {
            contact.close_segment(at);
            contact.resolved_at = Some(at);
            if contact.offer.is_some() && contact.answered.is_none() {
                // Closed while waiting: the customer left, or someone closed it for them.
                contact.abandoned_at = Some(at);
            } else if contact.offer.is_none() && contact.started_with_bot {
                contact.bot = Some(BotOutcome::Resolved);
            }
        }
        _ => {}
    }
}

fn push_span(
    spans: &mut Vec<AgentStateSpan>,
    agent: Uuid,
    state: AgentState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) {
    // Offline time is never counted, and a span cut by `to` before it starts has nothing in it.
    if state == AgentState::Offline || to <= from {
        return;
    }
    spans.push(AgentStateSpan {
        agent: agent.to_string(),
        service_group: None,
        state,
        from,
        to,
    });
}

/// Folds a whole slice of events at once; the convenience form of [`Fold`] for small logs.
pub fn fold_events(events: &[Event], end: DateTime<Utc>) -> Output {
    let mut fold = Fold::new();
    for event in events {
        fold.push(event);
    }
    fold.finish(end);
    std::mem::take(&mut fold.output)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use serde_json::json;
    use sqlx::types::Json;

    const INBOX: &str = "0190a000-0000-7000-8000-000000000001";
    const CUSTOMER: &str = "0190a000-0000-7000-8000-0000000000c1";
    const LINA: &str = "0190a000-0000-7000-8000-0000000000a1";
    const WANG: &str = "0190a000-0000-7000-8000-0000000000a2";
    const CONV: &str = "0190a000-0000-7000-8000-0000000000f1";

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_500_000 + secs, 0).unwrap()
    }

    /// A little log writer: events get consecutive sequence numbers.
    #[derive(Default)]
    struct Log(Vec<Event>);

    impl Log {
        fn push(&mut self, at: i64, kind: &str, entity: &str, payload: Value) -> &mut Self {
            let entity_type = if kind.starts_with("agent.") {
                "user"
            } else {
                "conversation"
            };
            self.0.push(Event {
                seq: self.0.len() as i64 + 1,
                kind: kind.to_owned(),
                entity_type: entity_type.to_owned(),
                entity_id: Some(entity.parse().unwrap()),
                actor_type: "system".to_owned(),
                actor_id: None,
                payload: Json(payload),
                created_at: t(at),
            });
            self
        }

        fn conv(&mut self, at: i64, kind: &str, reason: Option<&str>, conv: Value) -> &mut Self {
            self.push(
                at,
                kind,
                CONV,
                json!({"from": "queued", "reason": reason, "conversation": conv}),
            )
        }

        fn says(&mut self, at: i64, sender: &str, kind: &str) -> &mut Self {
            self.push(
                at,
                "message.created",
                CONV,
                json!({"message": {"sender_kind": sender, "kind": kind}, "visible_to_customer": kind == "text", "customer_id": CUSTOMER}),
            )
        }

        fn presence(&mut self, at: i64, agent: &str, state: &str) -> &mut Self {
            self.push(
                at,
                "agent.presence_changed",
                agent,
                json!({"state": state, "reason": null}),
            )
        }
    }

    fn conv(status: &str, assignee: Option<&str>, topic: Option<&str>) -> Value {
        json!({"id": CONV, "inbox_id": INBOX, "customer_id": CUSTOMER, "status": status,
               "assignee_id": assignee, "topic": topic})
    }

    #[test]
    fn an_answered_transferred_rated_chat_is_one_full_record() {
        let mut log = Log::default();
        log.conv(0, "conversation.created", None, conv("queued", None, None))
            .says(1, "customer", "text")
            .conv(
                5,
                "conversation.offered",
                None,
                conv("offered", Some(LINA), None),
            )
            .conv(
                8,
                "conversation.queued",
                Some("offer_timed_out"),
                conv("queued", None, None),
            )
            .conv(
                9,
                "conversation.offered",
                None,
                conv("offered", Some(LINA), None),
            )
            .conv(
                12,
                "conversation.assigned",
                None,
                conv("assigned", Some(LINA), None),
            )
            .says(13, "agent", "note")
            .says(20, "agent", "text")
            .conv(
                40,
                "conversation.queued",
                Some("transferred"),
                conv("queued", None, Some("billing")),
            )
            .conv(
                50,
                "conversation.assigned",
                None,
                conv("assigned", Some(WANG), Some("billing")),
            )
            .conv(
                110,
                "conversation.wrap_up",
                None,
                conv("wrap_up", Some(WANG), Some("billing")),
            )
            .conv(
                130,
                "conversation.resolved",
                None,
                conv("resolved", Some(WANG), Some("billing")),
            )
            .push(
                140,
                "conversation.rated",
                CONV,
                json!({"rating": 4, "conversation": {}}),
            );
        let out = fold_events(&log.0, t(1000));
        assert_eq!(out.interactions.len(), 1);
        let r = &out.interactions[0];
        assert_eq!(r.id, CONV);
        assert_eq!(r.customer_id, CUSTOMER);
        assert_eq!(r.channel, "chat");
        assert_eq!(r.started_at, t(0));
        let offer = r.offer.as_ref().unwrap();
        assert_eq!(offer.queue, INBOX, "the first queue, not the transfer's");
        assert_eq!(offer.enqueued_at, t(0));
        assert_eq!(
            offer.outcome,
            OfferOutcome::Answered {
                agent: LINA.to_owned(),
                answered_at: t(12)
            }
        );
        assert_eq!(r.first_response_at, Some(t(20)));
        // Talk 12→40 and 50→110, wrap-up 110→130; the transfer wait is nobody's handle time.
        assert_eq!(
            r.handle,
            Some(HandleTime {
                talk_ms: 88_000,
                hold_ms: 0,
                after_contact_work_ms: 20_000
            })
        );
        assert_eq!(r.transfers, 1);
        assert_eq!(r.resolved_at, Some(t(130)));
        assert_eq!(r.rating, Some(Rating::Csat(4)));
        r.validate().unwrap();
    }

    #[test]
    fn closed_while_waiting_is_abandoned_and_a_reopen_is_a_new_contact() {
        let mut log = Log::default();
        log.conv(0, "conversation.created", None, conv("queued", None, Some("billing")))
            .says(0, "customer", "text")
            .conv(30, "conversation.resolved", None, conv("resolved", None, Some("billing")))
            .push(
                100,
                "conversation.reopened",
                CONV,
                json!({"from": "resolved", "reason": null, "conversation": conv("queued", None, Some("billing"))}),
            )
            .says(100, "customer", "text")
            .conv(103, "conversation.assigned", None, conv("assigned", Some(LINA), Some("billing")))
            .says(104, "agent", "text");
        let out = fold_events(&log.0, t(1000));
        assert_eq!(out.interactions.len(), 2);
        let first = &out.interactions[0];
        assert_eq!(first.id, CONV);
        let offer = first.offer.as_ref().unwrap();
        assert_eq!(offer.queue, format!("{INBOX}/billing"));
        assert_eq!(
            offer.outcome,
            OfferOutcome::Abandoned {
                abandoned_at: t(30)
            }
        );
        assert_eq!(first.handle, None);
        assert_eq!(first.first_response_at, None);
        let second = &out.interactions[1];
        assert_eq!(second.id, format!("{CONV}#2"));
        assert_eq!(second.started_at, t(100));
        let offer = second.offer.as_ref().unwrap();
        assert_eq!(offer.enqueued_at, t(100));
        assert!(matches!(offer.outcome, OfferOutcome::Answered { .. }));
        assert_eq!(second.first_response_at, Some(t(104)));
        assert_eq!(second.resolved_at, None, "still open at the end of the log");
        assert_eq!(second.handle, None);
    }

    #[test]
    fn resolved_contacts_leave_memory_when_rated_or_after_the_grace() {
        let mut fold = Fold::new();
        let mut log = Log::default();
        log.conv(0, "conversation.created", None, conv("queued", None, None))
            .conv(
                2,
                "conversation.assigned",
                None,
                conv("assigned", Some(LINA), None),
            )
            .conv(
                9,
                "conversation.resolved",
                None,
                conv("resolved", Some(LINA), None),
            );
        for event in &log.0 {
            fold.push(event);
        }
        assert!(
            fold.output.interactions.is_empty(),
            "a rating may still come"
        );
        let mut later = Log::default();
        later.presence(9 + RATING_GRACE.num_seconds(), LINA, "available");
        fold.push(&later.0[0]);
        assert_eq!(fold.output.interactions.len(), 1);
        assert!(fold.contacts.is_empty());
        // A rating after the grace is counted as late, not lost silently.
        let mut late = Log::default();
        late.push(
            10 + RATING_GRACE.num_seconds(),
            "conversation.rated",
            CONV,
            json!({"rating": 5}),
        );
        fold.push(&late.0[0]);
        assert_eq!(fold.late_ratings, 1);
    }

    #[test]
    fn presence_becomes_spans_closed_at_the_report_end() {
        let mut log = Log::default();
        log.presence(0, LINA, "available")
            .presence(60, LINA, "away")
            .presence(90, LINA, "offline")
            .presence(100, WANG, "available");
        let out = fold_events(&log.0, t(400));
        let spans: Vec<_> = out
            .spans
            .iter()
            .map(|s| (s.agent.as_str(), s.state, s.from, s.to))
            .collect();
        assert_eq!(
            spans,
            [
                (LINA, AgentState::Available, t(0), t(60)),
                (LINA, AgentState::Away, t(60), t(90)),
                (WANG, AgentState::Available, t(100), t(400)),
            ]
        );
    }

    #[test]
    fn slightly_reversed_event_times_still_make_a_valid_record() {
        let mut log = Log::default();
        log.conv(10, "conversation.created", None, conv("queued", None, None))
            .conv(
                9,
                "conversation.assigned",
                None,
                conv("assigned", Some(LINA), None),
            )
            .conv(
                8,
                "conversation.resolved",
                None,
                conv("resolved", Some(LINA), None),
            );
        let out = fold_events(&log.0, t(100));
        out.interactions[0].validate().unwrap();
    }

    #[test]
    fn events_of_unknown_conversations_are_skipped() {
        let mut log = Log::default();
        log.conv(
            0,
            "conversation.assigned",
            None,
            conv("assigned", Some(LINA), None),
        )
        .says(1, "agent", "text");
        let out = fold_events(&log.0, t(100));
        assert!(out.interactions.is_empty());
    }
}
