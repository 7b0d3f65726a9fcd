//! AIP-132 `order_by`: comma-separated `field [asc|desc]`, directions case-insensitive.

use crate::ast::{Ident, Span};
use crate::{FilterError, Incomplete, check_length, quote};

/// A parsed `order_by`: the client's text and its terms (none when blank).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy<'a> {
    pub(crate) source: &'a str,
    pub(crate) terms: Vec<OrderTerm>,
}

impl<'a> OrderBy<'a> {
    /// The text the order was parsed from; spans index into it.
    pub fn source(&self) -> &'a str {
        self.source
    }

    /// The terms, most significant first.
    pub fn terms(&self) -> &[OrderTerm] {
        &self.terms
    }
}

/// One `field [asc|desc]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderTerm {
    pub field: Ident,
    pub direction: Direction,
    /// Where the direction was written; `None` when left to the default (ascending).
    pub direction_span: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// Parses an AIP-132 `order_by`. A blank one parses to no terms.
pub fn parse_order_by(order_by: &str) -> Result<OrderBy<'_>, FilterError> {
    parse_reading(order_by).map_err(|incomplete| incomplete.error)
}

/// [`parse_order_by`], which on a syntax error also gives the fields read before it.
pub(crate) fn parse_reading(order_by: &str) -> Result<OrderBy<'_>, Incomplete<Ident>> {
    check_length(order_by, "order_by").map_err(|error| Incomplete { error, read: Vec::new() })?;
    let mut terms = Vec::new();
    if order_by.trim().is_empty() {
        return Ok(OrderBy { source: order_by, terms });
    }
    let mut read = Vec::new();
    let fail = |byte: usize, message: String, read: Vec<Ident>| Incomplete {
        error: FilterError::at(order_by, byte, message),
        read,
    };
    let mut item_start = 0;
    for item in order_by.split(',') {
        let words = words_with_offsets(item, item_start);
        let item_end = item_start + item.len();
        let Some(&(field_at, name)) = words.first() else {
            let found = if item_end == order_by.len() { "end of order_by" } else { "\",\"" };
            let after = if item_start == 0 { "" } else { " after \",\"" };
            return Err(fail(item_end, format!("expected a field name{after}, found {found}"), read));
        };
        let field = Ident { name: name.to_owned(), span: Span { start: field_at, end: field_at + name.len() } };
        read.push(field.clone());
        let (direction, direction_span) = match words.get(1) {
            None => (Direction::Ascending, None),
            Some(&(at, word)) => {
                let span = Some(Span { start: at, end: at + word.len() });
                if word.eq_ignore_ascii_case("asc") {
                    (Direction::Ascending, span)
                } else if word.eq_ignore_ascii_case("desc") {
                    (Direction::Descending, span)
                } else {
                    let message =
                        format!("unknown direction {} after {}; use \"asc\" or \"desc\"", quote(word), quote(name));
                    return Err(fail(at, message, read));
                }
            }
        };
        if let Some(&(at, word)) = words.get(2) {
            let (_, previous) = words[1];
            let message = format!("expected \",\" or end of order_by after {}, found {}", quote(previous), quote(word));
            return Err(fail(at, message, read));
        }
        terms.push(OrderTerm { field, direction, direction_span });
        item_start = item_end + 1;
    }
    Ok(OrderBy { source: order_by, terms })
}

/// The whitespace-separated words of `item` with their byte offsets in the whole string.
fn words_with_offsets(item: &str, base: usize) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in item.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                words.push((base + s, &item[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((base + s, &item[s..]));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_keep_fields_directions_and_their_spans() {
        let text = "year desc, country";
        let order = parse_order_by(text).unwrap();
        let [year, country] = order.terms() else { panic!("{order:?}") };
        assert_eq!((year.field.name.as_str(), year.direction), ("year", Direction::Descending));
        assert_eq!(year.direction_span, Some(Span { start: 5, end: 9 }));
        assert_eq!(
            (country.field.span, country.direction, country.direction_span),
            (Span { start: 11, end: 18 }, Direction::Ascending, None)
        );
    }

    #[test]
    fn blank_order_by_has_no_terms() {
        assert!(parse_order_by(" \t").unwrap().terms().is_empty());
    }
}
