//! The errors of the knowledge core, each with a stable machine code that the API and the CLI
//! print as `{code, message}`.

/// Everything the knowledge core can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KnowledgeError {
    #[error("the question is empty")]
    EmptyQuestion,
    #[error("the knowledge base has no question to learn from")]
    EmptyKnowledgeBase,
    #[error("FAQ {id:?}: {reason}")]
    InvalidEntry { id: String, reason: String },
    #[error("invalid settings: {0}")]
    InvalidSettings(String),
    #[error("line {line}: {message}")]
    InvalidCsv { line: u64, message: String },
}

impl KnowledgeError {
    /// Stable code for clients; never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            KnowledgeError::EmptyQuestion => "empty_question",
            KnowledgeError::EmptyKnowledgeBase => "empty_knowledge_base",
            KnowledgeError::InvalidEntry { .. } => "invalid_entry",
            KnowledgeError::InvalidSettings(_) => "invalid_settings",
            KnowledgeError::InvalidCsv { .. } => "invalid_csv",
        }
    }
}
