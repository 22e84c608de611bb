use std::fmt;

/// A value that failed validation: which field, what was given, and why.
///
/// `field` is a path such as `members[2].code` when the value sits inside a
/// larger structure; [`InvalidField::within`] prefixes it as the error travels up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidField {
    /// Path of the offending field, e.g. `period` or `indicators[3].range`.
    pub field: String,
    /// Why the value is not acceptable, in words a user can act on.
    pub reason: String,
}

impl InvalidField {
    /// An error for `field` with the given reason.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error seen from a containing structure: `prefix.field`.
    pub fn within(mut self, prefix: impl fmt::Display) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_string()
        } else if self.field.starts_with('[') {
            format!("{prefix}{}", self.field)
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for InvalidField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_builds_paths() {
        let e = InvalidField::new("code", "must be 6 digits")
            .within("[2]")
            .within("members");
        assert_eq!(e.field, "members[2].code");
        assert_eq!(e.to_string(), "members[2].code: must be 6 digits");
    }
}
