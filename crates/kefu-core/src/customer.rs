//! Customer rules: value tiers configured per tenant, tags, and channel identities
//! normalised so that one person is recognised on phone, web, app, WeChat and email.

use crate::error::ValidationErrors;
use serde::{Deserialize, Serialize};

/// Kinds of identity a customer can be recognised by; each value is unique within a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    Phone,
    Email,
    WechatOpenid,
    AppUserId,
    WebVisitorId,
}

impl IdentityKind {
    pub const ALL: [IdentityKind; 5] = [
        IdentityKind::Phone,
        IdentityKind::Email,
        IdentityKind::WechatOpenid,
        IdentityKind::AppUserId,
        IdentityKind::WebVisitorId,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Phone => "phone",
            IdentityKind::Email => "email",
            IdentityKind::WechatOpenid => "wechat_openid",
            IdentityKind::AppUserId => "app_user_id",
            IdentityKind::WebVisitorId => "web_visitor_id",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Brings an identity value to the one form it is stored and looked up in.
/// Phones keep a leading `+` and digits only; emails are lowercased; opaque ids are trimmed.
pub fn normalize_identity(kind: IdentityKind, raw: &str) -> Result<String, ValidationErrors> {
    let value = raw.trim();
    let invalid = |msg: &str| Err(ValidationErrors::single("value", "invalid_identity", msg));
    match kind {
        IdentityKind::Phone => {
            let plus = value.starts_with('+');
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            let only_phone_chars = value
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !only_phone_chars || !(5..=20).contains(&digits.len()) {
                return invalid(
                    "a phone number has 5–20 digits, optionally with +, spaces, dashes and brackets",
                );
            }
            Ok(if plus { format!("+{digits}") } else { digits })
        }
        IdentityKind::Email => {
            let lower = value.to_lowercase();
            let valid = lower.len() <= 254
                && lower.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                })
                && !lower.chars().any(char::is_whitespace)
                && lower.matches('@').count() == 1;
            if valid {
                Ok(lower)
            } else {
                invalid("not an email address")
            }
        }
        IdentityKind::WechatOpenid | IdentityKind::AppUserId | IdentityKind::WebVisitorId => {
            if value.is_empty() || value.len() > 128 || value.chars().any(char::is_control) {
                invalid("an id has 1–128 printable characters")
            } else {
                Ok(value.to_owned())
            }
        }
    }
}

/// The ordered value tiers of one tenant, lowest first. Tier names are lowercase slugs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TierSet(Vec<String>);

impl Default for TierSet {
    fn default() -> Self {
        TierSet(
            ["normal", "silver", "gold", "vip"]
                .map(String::from)
                .to_vec(),
        )
    }
}

impl TierSet {
    pub fn new(tiers: Vec<String>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let tiers: Vec<String> = tiers.into_iter().map(|t| t.trim().to_lowercase()).collect();
        if tiers.is_empty() || tiers.len() > 16 {
            errors.push("tiers", "out_of_range", "between 1 and 16 tiers");
        }
        for (i, tier) in tiers.iter().enumerate() {
            if !is_slug(tier, 32) {
                errors.push(
                    format!("tiers[{i}]"),
                    "invalid_tier",
                    "a tier is 1–32 of a-z, 0-9, _ and -",
                );
            }
            if tiers[..i].contains(tier) {
                errors.push(
                    format!("tiers[{i}]"),
                    "duplicate",
                    format!("tier {tier} is listed twice"),
                );
            }
        }
        errors.into_result().map(|()| TierSet(tiers))
    }

    pub fn lowest(&self) -> &str {
        self.0.first().map_or("normal", String::as_str)
    }

    /// The tier's rank (0 = lowest): the router turns it into a priority boost.
    pub fn rank(&self, tier: &str) -> Option<usize> {
        self.0.iter().position(|t| t == tier)
    }

    pub fn check(&self, tier: &str) -> Result<String, ValidationErrors> {
        let tier = tier.trim().to_lowercase();
        match self.rank(&tier) {
            Some(_) => Ok(tier),
            None => Err(ValidationErrors::single(
                "tier",
                "invalid_tier",
                format!("tier must be one of: {}", self.0.join(", ")),
            )),
        }
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

fn is_slug(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Tags one record holds at most.
pub const MAX_TAGS: usize = 100;

/// Trims, drops empties and duplicates, keeps the given order; a tag is at most 64 characters.
pub fn normalize_tags(tags: Vec<String>) -> Result<Vec<String>, ValidationErrors> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, tag) in tags.into_iter().enumerate() {
        let tag = tag.trim().to_owned();
        if tag.chars().count() > 64 {
            return Err(ValidationErrors::single(
                format!("tags[{i}]"),
                "too_long",
                "a tag is at most 64 characters",
            ));
        }
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(ValidationErrors::single(
            "tags",
            "out_of_range",
            "at most 100 tags",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn identities_normalise() {
        assert_eq!(
            normalize_identity(IdentityKind::Phone, "+86 138-0013-8000").unwrap(),
            "+8613800138000"
        );
        assert_eq!(
            normalize_identity(IdentityKind::Email, " Li.Lei@Example.COM ").unwrap(),
            "li.lei@example.com"
        );
        assert!(normalize_identity(IdentityKind::Email, "nobody").is_err());
        assert!(normalize_identity(IdentityKind::Phone, "call me").is_err());
        assert!(normalize_identity(IdentityKind::WechatOpenid, "").is_err());
    }

    #[test]
    fn tiers_are_ordered_and_checked() {
        let tiers = TierSet::default();
        assert_eq!(tiers.rank("vip"), Some(3));
        assert_eq!(tiers.check("VIP").unwrap(), "vip");
        assert_eq!(
            tiers.check("platinum").unwrap_err().primary_code(),
            "invalid_tier"
        );
        assert!(TierSet::new(vec!["a".into(), "a".into()]).is_err());
        assert!(TierSet::new(vec![]).is_err());
    }

    #[test]
    fn tags_dedupe() {
        assert_eq!(
            normalize_tags(vec![" a".into(), "a".into(), "".into(), "b".into()]).unwrap(),
            vec!["a", "b"]
        );
    }
}
