//! The TIP Atlas filter language: Google AIP-160 filters and AIP-132 `order_by`.
//!
//! Two steps that never mix, as in meilisearch's `filter-parser`:
//!
//! 1. [`parse`] and [`parse_order_by`] read the client's text into an AST ([`Filter`],
//!    [`OrderBy`]) whose every node keeps its byte [`Span`]; they know no field and no SQL.
//! 2. [`filter_sql`] and [`order_by_sql`] check the AST against the server's [`Field`] table and
//!    write parameterized SQL: column names come only from that table, and every value is bound
//!    as a `?` parameter after being read by its field (an integer, a normalized text, or an
//!    enum number). [`compile_filter`] and [`compile_order_by`] do both steps.
//!
//! Every error is a [`FilterError`] with the 1-based column of the client's text where it broke,
//! and errors come in the order of the text: an unknown field or a bad value read before a
//! syntax error is the one reported.
//!
//! Filter grammar, after AIP-160 (keywords are case-sensitive, whitespace is free around tokens):
//!
//! ```text
//! filter      := expression?
//! expression  := sequence ("AND" sequence)*
//! sequence    := factor factor*              (juxtaposition: "a b" means "a AND b")
//! factor      := term ("OR" term)*
//! term        := ("NOT" | "-")? simple
//! simple      := restriction | "(" expression ")"
//! restriction := FIELD OP VALUE
//! OP          := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
//! VALUE       := "double quoted" | 'single quoted' | bare_word
//! bare_word   := (letter | digit | "_" | "-" | "." | "/")+
//! ```
//!
//! Precedence is AIP-160's: OR binds tighter than AND, so `a AND b OR c` is `a AND (b OR c)`;
//! parentheses make it explicit. `:` (AIP-160's "has") is equality, which is what "has" means on
//! a field holding one value. A `-` is negation only where a term may start; after an operator
//! it is part of the value, so `year > -5` compares with minus five. Strings accept the escapes
//! `\\`, `\"`, `\'`, `\n`, `\t`, `\r`; any other escape is refused.
//!
//! Not supported, each refused with an error that says so: a value alone without a field
//! (AIP-160's global restriction), traversal (`a.b`), function calls (`f(x)`), a parenthesized
//! list of values on the right of an operator, and wildcards.

mod ast;
mod lexer;
mod order_by;
mod parser;
mod sql;

#[cfg(test)]
mod aip160_examples;
#[cfg(test)]
mod properties;

pub use ast::{Comparator, Expr, Filter, Ident, Op, Restriction, Span, Value};
pub use order_by::{Direction, OrderBy, OrderTerm, parse_order_by};
pub use parser::parse;
pub use sql::{Field, FieldKind, SqlFilter, SqlValue, compile_filter, compile_order_by, filter_sql, order_by_sql};

/// Longest filter or `order_by` accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 2000;
/// Most comparisons accepted in one filter.
pub const MAX_COMPARISONS: usize = 50;
/// Deepest nesting of parentheses accepted in one filter.
pub const MAX_DEPTH: usize = 20;

/// Why a filter or order_by was refused: where (1-based column in the client's string) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at column {column}: {message}")]
pub struct FilterError {
    /// 1-based column, counted in characters, of the client's string where it broke (one past
    /// the last character when the string ended too early).
    pub column: usize,
    /// What was found and what was expected instead.
    pub message: String,
}

impl FilterError {
    /// An error at byte offset `byte` of `src`.
    pub(crate) fn at(src: &str, byte: usize, message: impl Into<String>) -> Self {
        Self { column: column_of(src, byte), message: message.into() }
    }
}

/// A syntax error, with what the parser had read before it (fields, and values with their
/// fields), so that the SQL step can report a fault among those first.
pub(crate) struct Incomplete<R> {
    pub error: FilterError,
    pub read: Vec<R>,
}

/// Refuses strings longer than [`MAX_FILTER_BYTES`], pointing at the first character beyond.
pub(crate) fn check_length(src: &str, what: &str) -> Result<(), FilterError> {
    if src.len() <= MAX_FILTER_BYTES {
        return Ok(());
    }
    let within = src.char_indices().take_while(|(i, c)| i + c.len_utf8() <= MAX_FILTER_BYTES).count();
    Err(FilterError {
        column: within + 1,
        message: format!("{what} is {} bytes long; at most {MAX_FILTER_BYTES} are allowed", src.len()),
    })
}

/// The 1-based character column of byte offset `byte` of `src`.
pub(crate) fn column_of(src: &str, byte: usize) -> usize {
    src[..byte].chars().count() + 1
}

/// Client text for an error message: quoted with escapes, and shortened when long.
pub(crate) fn quote(text: &str) -> String {
    const LONGEST: usize = 40;
    if text.chars().count() > LONGEST {
        let short: String = text.chars().take(LONGEST).collect();
        format!("{short:?}…")
    } else {
        format!("{text:?}")
    }
}

/// The words with a meaning of their own in a filter.
pub(crate) fn is_keyword(word: &str) -> bool {
    matches!(word, "AND" | "OR" | "NOT")
}
