//! Roles of users and scopes of API tokens, and what each may do.
//! Every endpoint asks one of these questions; the answers live here, not in handlers.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's role inside one tenant. Ordered by privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Agent, Role::Supervisor, Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Admins and owners configure the tenant: users, groups, tokens, settings.
    pub fn can_administer(self) -> bool {
        self >= Role::Admin
    }

    /// Supervisors and above see every agent's work and the audit of their team.
    pub fn can_supervise(self) -> bool {
        self >= Role::Supervisor
    }

    /// Only an owner may create or demote another owner, so an admin cannot lock owners out.
    pub fn can_assign(self, target: Role) -> bool {
        match target {
            Role::Owner => self == Role::Owner,
            _ => self.can_administer(),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

/// What an integration's API token may do. Users act with their role instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Scope {
    #[serde(rename = "customers:read")]
    CustomersRead,
    #[serde(rename = "customers:write")]
    CustomersWrite,
    #[serde(rename = "users:read")]
    UsersRead,
    #[serde(rename = "users:write")]
    UsersWrite,
    #[serde(rename = "groups:read")]
    GroupsRead,
    #[serde(rename = "groups:write")]
    GroupsWrite,
    #[serde(rename = "events:read")]
    EventsRead,
    /// Workforce math (Erlang staffing, schedules): computes, reads and writes no records.
    #[serde(rename = "wfm:compute")]
    WfmCompute,
    #[serde(rename = "tickets:read")]
    TicketsRead,
    /// Create and update tickets and add comments (a CRM or order system opening work).
    #[serde(rename = "tickets:write")]
    TicketsWrite,
    /// Contact-center reports (metrics folded from the event log): reads, writes nothing.
    #[serde(rename = "reports:read")]
    ReportsRead,
    /// Manage outgoing webhooks and read their delivery log (an integration registering itself).
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
    /// Read the knowledge base and ask its matcher (agent assist, a website's FAQ search).
    #[serde(rename = "kb:read")]
    KbRead,
    /// Edit, import and export the knowledge base and the bot's settings (a CMS syncing FAQs).
    #[serde(rename = "kb:write")]
    KbWrite,
}

impl Scope {
    pub const ALL: [Scope; 14] = [
        Scope::CustomersRead,
        Scope::CustomersWrite,
        Scope::UsersRead,
        Scope::UsersWrite,
        Scope::GroupsRead,
        Scope::GroupsWrite,
        Scope::EventsRead,
        Scope::WfmCompute,
        Scope::TicketsRead,
        Scope::TicketsWrite,
        Scope::ReportsRead,
        Scope::WebhooksWrite,
        Scope::KbRead,
        Scope::KbWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CustomersRead => "customers:read",
            Scope::CustomersWrite => "customers:write",
            Scope::UsersRead => "users:read",
            Scope::UsersWrite => "users:write",
            Scope::GroupsRead => "groups:read",
            Scope::GroupsWrite => "groups:write",
            Scope::EventsRead => "events:read",
            Scope::WfmCompute => "wfm:compute",
            Scope::TicketsRead => "tickets:read",
            Scope::TicketsWrite => "tickets:write",
            Scope::ReportsRead => "reports:read",
            Scope::WebhooksWrite => "webhooks:write",
            Scope::KbRead => "kb:read",
            Scope::KbWrite => "kb:write",
        }
    }

    /// The role a user needs to do what this scope allows.
    pub fn role_equivalent(self) -> Role {
        match self {
            Scope::CustomersRead
            | Scope::CustomersWrite
            | Scope::UsersRead
            | Scope::GroupsRead
            | Scope::TicketsRead
            | Scope::TicketsWrite
            | Scope::KbRead => Role::Agent,
            Scope::EventsRead | Scope::WfmCompute | Scope::ReportsRead | Scope::KbWrite => {
                Role::Supervisor
            }
            Scope::UsersWrite | Scope::GroupsWrite | Scope::WebhooksWrite => Role::Admin,
        }
    }
}

impl FromStr for Scope {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_assign_owner() {
        assert!(Role::Owner.can_assign(Role::Owner));
        assert!(!Role::Admin.can_assign(Role::Owner));
        assert!(Role::Admin.can_assign(Role::Admin));
        assert!(!Role::Supervisor.can_assign(Role::Agent));
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
