//! Translates the tenant's records (users, inboxes, conversations) into the routing engine's
//! specs, and keeps the maps between our UUIDs and names and the engine's small numeric ids.

use kefu_core::{Channel as CoreChannel, PresenceState, TierSet};
use kefu_routing::{
    AgentId, AgentSpec, Channel, GroupId, InteractionId, InteractionSpec, LanguageId, Millis,
    Presence, QueueId, QueueSpec, SkillId, SkillReq, Tier,
};
use kefu_store::{Conversation, Inbox, InboxChannel, User};
use std::collections::HashMap;
use std::hash::Hash;
use uuid::Uuid;

/// The engine's limits on skills, languages and groups per tenant (see kefu-routing types).
const MAX_SKILLS: usize = kefu_routing::MAX_SKILLS;
const MAX_LANGUAGES: usize = 64;
const MAX_GROUPS: usize = 64;

/// A two-way map between our keys and dense engine numbers, handed out in first-seen order.
#[derive(Debug)]
pub(crate) struct Interner<K> {
    numbers: HashMap<K, u64>,
    keys: Vec<K>,
    limit: usize,
}

impl<K: Clone + Eq + Hash> Interner<K> {
    fn new(limit: usize) -> Self {
        Interner {
            numbers: HashMap::new(),
            keys: Vec::new(),
            limit,
        }
    }

    /// The key's number, assigned now if new; `None` once the engine's limit is reached.
    pub(crate) fn number(&mut self, key: &K) -> Option<u64> {
        if let Some(number) = self.numbers.get(key) {
            return Some(*number);
        }
        if self.keys.len() >= self.limit {
            return None;
        }
        let number = self.keys.len() as u64;
        self.numbers.insert(key.clone(), number);
        self.keys.push(key.clone());
        Some(number)
    }

    pub(crate) fn known(&self, key: &K) -> Option<u64> {
        self.numbers.get(key).copied()
    }

    pub(crate) fn key(&self, number: u64) -> Option<&K> {
        usize::try_from(number).ok().and_then(|i| self.keys.get(i))
    }
}

/// Which queue a conversation waits in: its inbox and the topic picked (none: the inbox's own).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct QueueKey {
    pub inbox_id: Uuid,
    pub topic: Option<String>,
}

/// Every id map of one tenant's router.
#[derive(Debug)]
pub(crate) struct Model {
    pub conversations: Interner<Uuid>,
    pub agents: Interner<Uuid>,
    pub queues: Interner<QueueKey>,
    skills: Interner<String>,
    languages: Interner<String>,
    groups: Interner<Uuid>,
    /// Primary language subtags some agent speaks: only those are routing requirements, so a
    /// customer writing in a language nobody lists still reaches someone.
    spoken: HashMap<String, usize>,
    agent_languages: HashMap<Uuid, Vec<String>>,
}

impl Model {
    pub(crate) fn new() -> Self {
        Model {
            conversations: Interner::new(usize::MAX),
            agents: Interner::new(usize::MAX),
            queues: Interner::new(usize::MAX),
            skills: Interner::new(MAX_SKILLS),
            languages: Interner::new(MAX_LANGUAGES),
            groups: Interner::new(MAX_GROUPS),
            spoken: HashMap::new(),
            agent_languages: HashMap::new(),
        }
    }

    pub(crate) fn conversation_id(&mut self, id: Uuid) -> InteractionId {
        InteractionId(self.conversations.number(&id).unwrap_or(u64::MAX))
    }

    pub(crate) fn conversation_uuid(&self, id: InteractionId) -> Option<Uuid> {
        self.conversations.key(id.0).copied()
    }

    pub(crate) fn agent_uuid(&self, id: AgentId) -> Option<Uuid> {
        self.agents.key(id.0).copied()
    }

    pub(crate) fn agent_id(&self, id: Uuid) -> Option<AgentId> {
        self.agents.known(&id).map(AgentId)
    }

    /// The engine spec of a user who takes conversations; `None` for users with no capacity.
    pub(crate) fn agent_spec(&mut self, user: &User) -> Option<AgentSpec> {
        let capacity: Vec<(Channel, u16)> = user
            .capacities
            .iter()
            .map(|(channel, capacity)| (engine_channel(*channel), *capacity))
            .collect();
        if !user.active || capacity.is_empty() {
            self.forget_languages(user.id);
            return None;
        }
        let id = AgentId(self.agents.number(&user.id)?);
        let skills = user
            .skills
            .iter()
            .filter_map(|level| {
                let skill = self.skills.number(&level.skill)?;
                Some((SkillId(u16::try_from(skill).ok()?), level.proficiency))
            })
            .collect();
        let primary: Vec<String> = user.languages.iter().map(|l| primary_subtag(l)).collect();
        let languages = primary
            .iter()
            .filter_map(|language| {
                let number = self.languages.number(language)?;
                Some(LanguageId(u8::try_from(number).ok()?))
            })
            .collect();
        self.forget_languages(user.id);
        for language in &primary {
            *self.spoken.entry(language.clone()).or_default() += 1;
        }
        self.agent_languages.insert(user.id, primary);
        let groups = user
            .group_ids
            .iter()
            .filter_map(|group| self.group(*group))
            .collect();
        Some(AgentSpec {
            id,
            presence: presence(user.presence, user.away_reason.as_deref()),
            skills,
            languages,
            groups,
            capacity,
            auto_accept: user.auto_accept,
        })
    }

    fn forget_languages(&mut self, user: Uuid) {
        for language in self.agent_languages.remove(&user).unwrap_or_default() {
            if let Some(count) = self.spoken.get_mut(&language) {
                *count = count.saturating_sub(1);
            }
        }
    }

    fn group(&mut self, group: Uuid) -> Option<GroupId> {
        let number = self.groups.number(&group)?;
        Some(GroupId(u8::try_from(number).ok()?))
    }

    fn skill_reqs(&mut self, skills: &[String]) -> Vec<SkillReq> {
        skills
            .iter()
            .filter_map(|skill| {
                let number = self.skills.number(&skill.trim().to_lowercase())?;
                Some(SkillReq::new(u16::try_from(number).ok()?, 1))
            })
            .collect()
    }

    /// The queues of an inbox: its own, and one per topic (with the topic's group and skills).
    pub(crate) fn queue_specs(&mut self, inbox: &Inbox) -> Vec<QueueSpec> {
        // Both web and app conversations are chats, served from the same chat capacity.
        let channel = match inbox.channel {
            InboxChannel::Web | InboxChannel::App => Channel::Chat,
        };
        let mut specs = Vec::new();
        let own = QueueKey {
            inbox_id: inbox.id,
            topic: None,
        };
        let inbox_skills = self.skill_reqs(&inbox.settings.skills);
        let inbox_groups: Vec<GroupId> = inbox
            .settings
            .group_id
            .and_then(|group| self.group(group))
            .into_iter()
            .collect();
        if let Some(number) = self.queues.number(&own) {
            let mut spec = QueueSpec::new(number, channel);
            spec.required_skills = inbox_skills.clone();
            spec.groups = inbox_groups.clone();
            specs.push(spec);
        }
        for topic in &inbox.settings.topics {
            let key = QueueKey {
                inbox_id: inbox.id,
                topic: Some(topic.key.clone()),
            };
            let Some(number) = self.queues.number(&key) else {
                continue;
            };
            let mut spec = QueueSpec::new(number, channel);
            spec.required_skills = inbox_skills.clone();
            for req in self.skill_reqs(&topic.skills) {
                if !spec.required_skills.iter().any(|r| r.skill == req.skill) {
                    spec.required_skills.push(req);
                }
            }
            spec.groups = match topic.group_id.and_then(|group| self.group(group)) {
                Some(group) => vec![group],
                None => inbox_groups.clone(),
            };
            specs.push(spec);
        }
        specs
    }

    /// The queue a conversation waits in: its topic's, or the inbox's own when the topic is
    /// unknown (removed since) or absent.
    pub(crate) fn queue_of(&self, conversation: &Conversation) -> Option<QueueId> {
        let topic = QueueKey {
            inbox_id: conversation.inbox_id,
            topic: conversation.topic.clone(),
        };
        let own = QueueKey {
            inbox_id: conversation.inbox_id,
            topic: None,
        };
        self.queues
            .known(&topic)
            .or_else(|| self.queues.known(&own))
            .map(QueueId)
    }

    pub(crate) fn interaction_spec(
        &mut self,
        conversation: &Conversation,
        queue: QueueId,
        customer_tier: Tier,
    ) -> InteractionSpec {
        let language = primary_subtag(&conversation.language);
        let language = if self.spoken.get(&language).copied().unwrap_or(0) > 0 {
            self.languages
                .number(&language)
                .and_then(|n| u8::try_from(n).ok())
                .map(LanguageId)
        } else {
            None
        };
        let enqueued = conversation.enqueued_at.unwrap_or(conversation.created_at);
        InteractionSpec {
            id: self.conversation_id(conversation.id),
            queue,
            required_skills: Vec::new(),
            language,
            tier: customer_tier,
            base_priority: i32::try_from(conversation.priority.clamp(-1_000_000, 1_000_000))
                .unwrap_or(0),
            enqueued_at: Some(millis(enqueued)),
            preferred_agent: None,
        }
    }
}

/// The tenant's tiers, lowest first, spread over the engine's four (normal, silver, gold, VIP).
pub(crate) fn engine_tier(tiers: &TierSet, tier: &str) -> Tier {
    let count = tiers.as_slice().len();
    let Some(rank) = tiers.rank(tier) else {
        return Tier::Normal;
    };
    if count <= 1 {
        return Tier::Normal;
    }
    match (rank * 3 + (count - 1) / 2) / (count - 1) {
        0 => Tier::Normal,
        1 => Tier::Silver,
        2 => Tier::Gold,
        _ => Tier::Vip,
    }
}

pub(crate) fn engine_channel(channel: CoreChannel) -> Channel {
    match channel {
        CoreChannel::Voice => Channel::Voice,
        CoreChannel::Chat => Channel::Chat,
        CoreChannel::Email => Channel::Email,
        CoreChannel::Ticket => Channel::Ticket,
        CoreChannel::Social => Channel::Social,
    }
}

/// Presence as the router sees it: busy and wrap-up set by hand keep offers away like away.
pub(crate) fn presence(state: PresenceState, reason: Option<&str>) -> Presence {
    match state {
        PresenceState::Available => Presence::Available,
        PresenceState::Offline => Presence::Offline,
        PresenceState::Away => Presence::away(reason.unwrap_or("away")),
        PresenceState::Busy => Presence::away(reason.unwrap_or("busy")),
        PresenceState::WrapUp => Presence::away(reason.unwrap_or("wrap_up")),
    }
}

fn primary_subtag(language: &str) -> String {
    language
        .split(['-', '_'])
        .next()
        .unwrap_or(language)
        .to_ascii_lowercase()
}

pub(crate) fn millis(at: chrono::DateTime<chrono::Utc>) -> Millis {
    Millis(u64::try_from(at.timestamp_millis()).unwrap_or(0))
}

pub(crate) fn datetime(at: Millis) -> chrono::DateTime<chrono::Utc> {
    i64::try_from(at.0)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_spread_over_the_engine_four() {
        let default = TierSet::new(vec![
            "normal".into(),
            "silver".into(),
            "gold".into(),
            "vip".into(),
        ]);
        let Ok(default) = default else {
            unreachable!("valid tiers")
        };
        let mapped: Vec<Tier> = ["normal", "silver", "gold", "vip"]
            .iter()
            .map(|t| engine_tier(&default, t))
            .collect();
        assert_eq!(mapped, [Tier::Normal, Tier::Silver, Tier::Gold, Tier::Vip]);
        assert_eq!(engine_tier(&default, "unknown"), Tier::Normal);
        let Ok(two) = TierSet::new(vec!["basic".into(), "premium".into()]) else {
            unreachable!("valid tiers")
        };
        assert_eq!(engine_tier(&two, "basic"), Tier::Normal);
        assert_eq!(engine_tier(&two, "premium"), Tier::Vip);
    }

    #[test]
    fn interners_are_two_way_and_bounded() {
        let mut groups = Interner::new(2);
        assert_eq!(groups.number(&"a"), Some(0));
        assert_eq!(groups.number(&"b"), Some(1));
        assert_eq!(groups.number(&"a"), Some(0));
        assert_eq!(groups.number(&"c"), None, "the engine's limit");
        assert_eq!(groups.key(1), Some(&"b"));
        assert_eq!(primary_subtag("zh-CN"), "zh");
    }
}
