//! Errors and warnings collected while reading a document, each located by line and column.

use tip_model::pb::Diagnostic;

/// Every problem seen in one document: errors make it unusable, warnings were worked around.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics {
    /// Problems that stop the document from being stored.
    pub errors: Vec<Diagnostic>,
    /// Problems worked around; the report is stored with them.
    pub warnings: Vec<Diagnostic>,
}

impl Diagnostics {
    pub(crate) fn error(&mut self, at: Position, code: &str, message: impl Into<String>) {
        self.errors.push(at.diagnostic(code, message.into()));
    }

    pub(crate) fn warn(&mut self, at: Position, code: &str, message: impl Into<String>) {
        self.warnings.push(at.diagnostic(code, message.into()));
    }
}

/// A place in the decoded text: one-based line and column (0 for "the whole document").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    /// The whole document.
    pub const DOCUMENT: Position = Position { line: 0, column: 0 };

    /// The start of a line.
    pub fn line(line: usize) -> Self {
        Self { line: line as u32, column: 1 }
    }

    /// The position of a byte offset inside a line that starts at `line`.
    pub fn in_line(line: usize, text: &str, byte_offset: usize) -> Self {
        let column = text.get(..byte_offset).map_or(0, |prefix| prefix.chars().count()) + 1;
        Self { line: line as u32, column: column as u32 }
    }

    /// The position of a byte offset in a whole text.
    pub fn in_text(text: &str, byte_offset: usize) -> Self {
        let mut end = byte_offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let prefix = &text[..end];
        let line = prefix.matches('\n').count() + 1;
        let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
        Self { line: line as u32, column: (prefix[line_start..].chars().count() + 1) as u32 }
    }

    fn diagnostic(self, code: &str, message: String) -> Diagnostic {
        Diagnostic { line: self.line, column: self.column, message, code: code.to_owned() }
    }
}
