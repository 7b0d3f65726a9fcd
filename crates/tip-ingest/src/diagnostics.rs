//! Errors and warnings collected while reading a document, each located by line and column.

use tip_model::pb::Diagnostic;

/// Every problem seen in one document: errors make it unusable, warnings were worked around.
///
/// Each list keeps the first [`Diagnostics::PER_CODE`] of a code and [`Diagnostics::TOTAL`] in
/// all; the others are counted, and the parser closes the list with one "… and K more" per code
/// left out, at the first of them. A hostile document (40,000 page headers glued into its text)
/// thus costs a few kilobytes of diagnostics, not megabytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics {
    /// Problems that stop the document from being stored.
    pub errors: Vec<Diagnostic>,
    /// Problems worked around; the report is stored with them.
    pub warnings: Vec<Diagnostic>,
    left_out_errors: Vec<LeftOut>,
    left_out_warnings: Vec<LeftOut>,
}

/// The diagnostics of one code past the caps: how many, and the first of them.
#[derive(Clone, Debug, PartialEq)]
struct LeftOut {
    first: Diagnostic,
    count: usize,
}

impl Diagnostics {
    /// Diagnostics kept per code in each list.
    pub const PER_CODE: usize = 20;
    /// Diagnostics kept in each list, whatever their codes.
    pub const TOTAL: usize = 100;

    pub(crate) fn error(&mut self, at: Position, code: &str, message: impl Into<String>) {
        keep_or_count(&mut self.errors, &mut self.left_out_errors, at, code, message.into());
    }

    pub(crate) fn warn(&mut self, at: Position, code: &str, message: impl Into<String>) {
        keep_or_count(&mut self.warnings, &mut self.left_out_warnings, at, code, message.into());
    }

    /// Whether an error of this code was seen, kept or left out.
    pub(crate) fn has_error(&self, code: &str) -> bool {
        self.errors.iter().map(|e| &e.code).chain(self.left_out_errors.iter().map(|l| &l.first.code)).any(|c| c == code)
    }

    /// Closes each list with one diagnostic per code left out, which gives their number.
    pub(crate) fn finish(&mut self) {
        close(&mut self.errors, &mut self.left_out_errors, "errors");
        close(&mut self.warnings, &mut self.left_out_warnings, "warnings");
    }
}

fn keep_or_count(kept: &mut Vec<Diagnostic>, left_out: &mut Vec<LeftOut>, at: Position, code: &str, message: String) {
    // The codes are the parser's own, a few dozen at most: a list is as fast as a map. Once a
    // code is left out, so are all its next diagnostics; the kept list is scanned only while it
    // grows (up to TOTAL times) or when a code first overflows.
    if let Some(l) = left_out.iter_mut().find(|l| l.first.code == code) {
        l.count += 1;
    } else if kept.len() < Diagnostics::TOTAL && kept.iter().filter(|d| d.code == code).count() < Diagnostics::PER_CODE
    {
        kept.push(at.diagnostic(code, message));
    } else {
        left_out.push(LeftOut { first: at.diagnostic(code, message), count: 1 });
    }
}

fn close(kept: &mut Vec<Diagnostic>, left_out: &mut Vec<LeftOut>, kind: &str) {
    for LeftOut { first, count } in left_out.drain(..) {
        let message =
            format!("… and {count} more {:?} {kind} (the first of them is here): {}", first.code, first.message);
        kept.push(Diagnostic { message, ..first });
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

    /// A line and column counted in `usize`; documents are at most a few MiB, so both fit, and
    /// one past `u32::MAX` would read as the last place rather than wrap to the first.
    pub fn new(line: usize, column: usize) -> Self {
        let saturated = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self { line: saturated(line), column: saturated(column) }
    }

    /// The start of a line.
    pub fn line(line: usize) -> Self {
        Self::new(line, 1)
    }

    /// The position of a byte offset inside a line that starts at `line`.
    pub fn in_line(line: usize, text: &str, byte_offset: usize) -> Self {
        let column = text.get(..byte_offset).map_or(0, |prefix| prefix.chars().count()) + 1;
        Self::new(line, column)
    }

    fn diagnostic(self, code: &str, message: String) -> Diagnostic {
        Diagnostic { line: self.line, column: self.column, message, code: code.to_owned() }
    }
}

/// Positions of byte offsets in a whole text, found in one pass when the offsets come in order
/// (an offset before the last one starts over from the text's start).
pub(crate) struct TextPositions<'t> {
    text: &'t str,
    /// The byte offset the counts below reach.
    at: usize,
    line: usize,
    /// Characters between the start of `line` and `at`.
    column: usize,
}

impl<'t> TextPositions<'t> {
    pub fn new(text: &'t str) -> Self {
        Self { text, at: 0, line: 1, column: 0 }
    }

    /// The position of a byte offset (one inside a character means that character).
    pub fn at(&mut self, byte_offset: usize) -> Position {
        let mut end = byte_offset.min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        if end < self.at {
            *self = Self::new(self.text);
        }
        let between = &self.text[self.at..end];
        match between.rfind('\n') {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', between.as_bytes()).count();
                self.column = between[last + 1..].chars().count();
            }
            None => self.column += between.chars().count(),
        }
        self.at = end;
        Position::new(self.line, self.column + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PER_CODE: usize = Diagnostics::PER_CODE;
    const TOTAL: usize = Diagnostics::TOTAL;

    fn at(line: usize) -> Position {
        Position::line(line)
    }

    #[test]
    fn keeps_the_first_of_a_code_and_counts_the_rest_at_the_first_left_out() {
        let mut diagnostics = Diagnostics::default();
        for line in 1..=PER_CODE + 5 {
            diagnostics.warn(at(line), "pdf-artifact", format!("removed a header on line {line}"));
        }
        diagnostics.warn(at(99), "glued-heading", "a heading");
        diagnostics.finish();
        let warnings = &diagnostics.warnings;
        assert_eq!(warnings.len(), PER_CODE + 2);
        assert!(warnings[..PER_CODE].iter().all(|w| w.code == "pdf-artifact"));
        assert_eq!(warnings[PER_CODE].code, "glued-heading");
        let more = &warnings[PER_CODE + 1];
        assert_eq!((more.code.as_str(), more.line), ("pdf-artifact", Position::line(PER_CODE + 1).line));
        assert!(more.message.starts_with("… and 5 more \"pdf-artifact\" warnings"), "{}", more.message);
        assert!(more.message.ends_with("removed a header on line 21"), "{}", more.message);
    }

    #[test]
    fn keeps_a_total_whatever_the_codes() {
        let mut diagnostics = Diagnostics::default();
        let codes: Vec<String> = (0..30).map(|i| format!("code-{i}")).collect();
        for round in 0..10 {
            for code in &codes {
                diagnostics.error(at(round + 1), code, "an error");
            }
        }
        assert!(diagnostics.has_error("code-29"), "a code left out is still seen");
        diagnostics.finish();
        let (kept, more): (Vec<_>, Vec<_>) = diagnostics.errors.iter().partition(|e| !e.message.starts_with('…'));
        assert_eq!(kept.len(), TOTAL);
        // Every code had errors left out past the total: one closing error each, and the counts
        // add up to all that was seen.
        assert_eq!(more.len(), codes.len());
        let count = |message: &str| message.split(' ').nth(2).and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
        assert_eq!(kept.len() + more.iter().map(|m| count(&m.message)).sum::<usize>(), 300);
        assert!(diagnostics.warnings.is_empty());
    }

    #[test]
    fn places_offsets_in_a_text_in_any_order() {
        let text = "Côte\nd’Ivoire\n\nend";
        let naive = |offset: usize| {
            let prefix = &text[..offset];
            let line = prefix.matches('\n').count() + 1;
            let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
            Position::new(line, prefix[line_start..].chars().count() + 1)
        };
        let mut positions = TextPositions::new(text);
        let offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        for &offset in offsets.iter().chain(offsets.iter().rev()) {
            assert_eq!(positions.at(offset), naive(offset), "{offset}");
        }
        // Inside a character: that character.
        assert_eq!(positions.at(2), naive(1));
    }

    #[test]
    fn below_the_caps_nothing_changes() {
        let mut diagnostics = Diagnostics::default();
        for line in 1..=PER_CODE {
            diagnostics.warn(at(line), "pdf-artifact", "removed a header");
        }
        let before = diagnostics.warnings.clone();
        diagnostics.finish();
        assert_eq!(diagnostics.warnings, before);
    }
}
