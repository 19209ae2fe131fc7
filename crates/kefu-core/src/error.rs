//! Validation errors: which field is wrong, a stable machine code, and a message for people.
//! The server turns these into `422 {"code","message","details"}` responses.

use serde::Serialize;

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// Every invalid field found in one input, so a form can show them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("invalid input: {}", .errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        let mut errors = Self::new();
        errors.push(field, code, message);
        errors
    }

    pub fn push(
        &mut self,
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.errors.push(FieldError {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The code of the first error: the one an API response leads with.
    pub fn primary_code(&self) -> &'static str {
        self.errors.first().map_or("invalid_field", |e| e.code)
    }

    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Checks a required, trimmed, length-bounded text field.
pub fn check_text(errors: &mut ValidationErrors, field: &str, value: &str, max_chars: usize) {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(field, "required", format!("{field} must not be empty"));
    } else if trimmed.chars().count() > max_chars {
        errors.push(
            field,
            "too_long",
            format!("{field} must be at most {max_chars} characters"),
        );
    }
}
