//! Client filters (Google AIP-160 style) and orderings (AIP-132 `order_by`) compiled to
//! parameterized SQL for rusqlite.
//!
//! Nothing the client writes reaches SQL as text: column names come only from the caller's
//! [`Field`] table, and every value is bound as a `?` parameter after being read by its field
//! (an integer, a normalized text, or an enum number).
//!
//! Filter grammar (keywords are case-sensitive, whitespace is free around tokens):
//!
//! ```text
//! expr       := and_expr ("OR" and_expr)*
//! and_expr   := unary ("AND" unary)*
//! unary      := ("NOT" | "-")? primary
//! primary    := "(" expr ")" | comparison
//! comparison := FIELD OP VALUE
//! OP         := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"      (":" means "=")
//! VALUE      := "double quoted" | 'single quoted' | bare_word
//! bare_word  := (letter | digit | "_" | "-" | "." | "/")+
//! ```
//!
//! Precedence: AND binds tighter than OR, as in SQL and most languages. AIP-160 says the
//! opposite (OR binds tighter), which surprises nearly everyone who writes `a OR b AND c`; this
//! service deliberately documents and implements the conventional precedence instead. Use
//! parentheses to be explicit.
//!
//! A `-` is negation only where a comparison or `(` may start (at the beginning, after `(`,
//! `AND`, `OR`, `NOT`); after an operator it is part of the value, so `year > -5` compares
//! with minus five. Adjacent comparisons without `AND` (AIP-160's implicit AND) are refused
//! with a message asking for `AND`. Strings accept the escapes `\\`, `\"`, `\'`, `\n`, `\t`,
//! `\r`; any other escape is refused.

use std::num::IntErrorKind;

use rusqlite::types::Value;

/// Longest filter or `order_by` accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 2000;
/// Most comparisons accepted in one filter.
pub const MAX_COMPARISONS: usize = 50;
/// Deepest nesting of parentheses accepted in one filter.
pub const MAX_DEPTH: usize = 20;

/// How a filter field maps to a column and how its values are read.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The name clients write, e.g. `country`.
    pub name: &'static str,
    /// The SQL column it reads, e.g. `iso3`. Trusted: it comes from the server, never the client.
    pub column: &'static str,
    /// How values of the field are read.
    pub kind: FieldKind,
}

/// How the values of a [`Field`] are read.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    /// An integer column (e.g. year).
    Integer,
    /// A text column compared exactly (after `normalize`, which may reject a value with a message).
    Text {
        /// Maps the client's value to the stored form, or explains why it cannot be one.
        normalize: fn(&str) -> Result<String, String>,
    },
    /// An integer column holding an enum; `parse` maps the client's value (e.g. "TIER_2", "Tier 2 Watch List", "2WL") to the stored number or explains why not.
    Enum {
        /// Maps the client's value to the stored number, or explains why it is none.
        parse: fn(&str) -> Result<i64, String>,
    },
}

/// A compiled filter: a SQL boolean expression with `?` placeholders and its values in order.
///
/// The expression is safe to embed anywhere a boolean is expected, including next to other
/// conditions joined with `AND` (a top-level `OR` comes wrapped in parentheses).
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    /// The boolean expression, e.g. `(year >= ?) AND (tier = ?)`; `1` for an empty filter.
    pub sql: String,
    /// The values of the `?` placeholders, in order.
    pub params: Vec<Value>,
}

impl Default for SqlFilter {
    /// The filter that keeps everything.
    fn default() -> Self {
        Self { sql: "1".to_owned(), params: Vec::new() }
    }
}

impl SqlFilter {
    /// This filter and one more condition of the server's own (`condition` holds one `?`).
    pub fn and(mut self, condition: &str, value: impl Into<Value>) -> Self {
        self.sql = format!("({}) AND ({condition})", self.sql);
        self.params.push(value.into());
        self
    }
}

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

/// Compiles an AIP-160 style `filter` over `fields` to a parameterized SQL expression.
/// An empty or blank filter compiles to `1` (true) without parameters.
pub fn compile_filter(filter: &str, fields: &[Field]) -> Result<SqlFilter, FilterError> {
    check_length(filter, "filter")?;
    if filter.trim().is_empty() {
        return Ok(SqlFilter { sql: "1".to_owned(), params: Vec::new() });
    }
    let mut parser = Parser {
        lexer: Lexer { src: filter, pos: 0, operand_start: true },
        lookahead: None,
        fields,
        comparisons: 0,
        params: Vec::new(),
    };
    let (sql, is_or) = parser.expr(0)?;
    let next = parser.peek()?.clone();
    match next.tok {
        Tok::End => {}
        Tok::RParen => return Err(parser.error(next.start, "unexpected \")\" without a matching \"(\"")),
        _ => return Err(parser.continuation_error(&next, "\"AND\", \"OR\" or end of filter")),
    }
    // A top-level OR is wrapped so that callers may write `... AND {sql}` safely.
    let sql = if is_or { format!("({sql})") } else { sql };
    Ok(SqlFilter { sql, params: parser.params })
}

/// Compiles an AIP-132 `order_by` (comma-separated `field [asc|desc]`, directions
/// case-insensitive) over `fields` to a SQL ordering such as `year DESC, iso3 ASC`.
/// An empty or blank `order_by` gives `default` unchanged.
pub fn compile_order_by(order_by: &str, fields: &[Field], default: &str) -> Result<String, FilterError> {
    check_length(order_by, "order_by")?;
    if order_by.trim().is_empty() {
        return Ok(default.to_owned());
    }
    let error = |byte: usize, message: String| FilterError { column: column_of(order_by, byte), message };
    let mut terms = Vec::new();
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut item_start = 0;
    for item in order_by.split(',') {
        let words = words_with_offsets(item, item_start);
        let item_end = item_start + item.len();
        let Some(&(field_at, name)) = words.first() else {
            let found = if item_end == order_by.len() { "end of order_by".to_owned() } else { "\",\"".to_owned() };
            let after = if item_start == 0 { String::new() } else { " after \",\"".to_owned() };
            return Err(error(item_end, format!("expected a field name{after}, found {found}")));
        };
        let field = find_field(fields, name).ok_or_else(|| error(field_at, unknown_field(name, fields)))?;
        if let Some(&(_, first_at)) = seen.iter().find(|(n, _)| *n == field.name) {
            return Err(error(
                field_at,
                format!(
                    "duplicate field {} (already ordered at column {})",
                    quote(name),
                    column_of(order_by, first_at)
                ),
            ));
        }
        seen.push((field.name, field_at));
        let direction = match words.get(1) {
            None => "ASC",
            Some(&(_, word)) if word.eq_ignore_ascii_case("asc") => "ASC",
            Some(&(_, word)) if word.eq_ignore_ascii_case("desc") => "DESC",
            Some(&(at, word)) => {
                return Err(error(
                    at,
                    format!("unknown direction {} after {}; use \"asc\" or \"desc\"", quote(word), quote(name)),
                ));
            }
        };
        if let Some(&(at, word)) = words.get(2) {
            let (_, previous) = words[1];
            return Err(error(
                at,
                format!("expected \",\" or end of order_by after {}, found {}", quote(previous), quote(word)),
            ));
        }
        terms.push(format!("{} {direction}", field.column));
        item_start = item_end + 1;
    }
    Ok(terms.join(", "))
}

/// Refuses strings longer than [`MAX_FILTER_BYTES`], pointing at the first character beyond.
fn check_length(src: &str, what: &str) -> Result<(), FilterError> {
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
fn column_of(src: &str, byte: usize) -> usize {
    src[..byte].chars().count() + 1
}

/// Client text for an error message: quoted with escapes, and shortened when long.
fn quote(text: &str) -> String {
    const LONGEST: usize = 40;
    if text.chars().count() > LONGEST {
        let short: String = text.chars().take(LONGEST).collect();
        format!("{short:?}…")
    } else {
        format!("{text:?}")
    }
}

fn find_field<'f>(fields: &'f [Field], name: &str) -> Option<&'f Field> {
    fields.iter().find(|f| f.name == name)
}

fn unknown_field(name: &str, fields: &[Field]) -> String {
    let names = fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
    format!("unknown field {}; fields: {names}", quote(name))
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

fn is_keyword(word: &str) -> bool {
    matches!(word, "AND" | "OR" | "NOT")
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

fn is_operator_char(c: char) -> bool {
    matches!(c, '=' | '!' | '<' | '>' | ':')
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    /// A `-` where a comparison may start: negation.
    Minus,
    /// A run of operator characters; checked by the parser.
    Op,
    /// A bare word: field name, keyword, number or unquoted value.
    Word(String),
    /// A quoted string, unescaped.
    Str(String),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Byte range in the filter.
    start: usize,
    end: usize,
}

/// Splits a filter into tokens on demand, so that errors come in the order of the text.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    /// Whether a comparison or `(` may start here, which makes `-` a negation.
    operand_start: bool,
}

impl Lexer<'_> {
    fn error(&self, byte: usize, message: impl Into<String>) -> FilterError {
        FilterError { column: column_of(self.src, byte), message: message.into() }
    }

    fn next_token(&mut self) -> Result<Token, FilterError> {
        let rest = &self.src[self.pos..];
        let skipped = rest.len() - rest.trim_start().len();
        self.pos += skipped;
        let start = self.pos;
        let rest = &self.src[start..];
        let Some(c) = rest.chars().next() else {
            return Ok(Token { tok: Tok::End, start, end: start });
        };
        let span = |len: usize| start + len;
        let (tok, end) = match c {
            '(' => (Tok::LParen, span(1)),
            ')' => (Tok::RParen, span(1)),
            '-' if self.operand_start => (Tok::Minus, span(1)),
            '"' | '\'' => self.string(c, start)?,
            c if is_operator_char(c) => {
                let len = rest.find(|c: char| !is_operator_char(c)).unwrap_or(rest.len());
                (Tok::Op, span(len))
            }
            c if is_word_char(c) => {
                let len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
                (Tok::Word(rest[..len].to_owned()), span(len))
            }
            '&' => return Err(self.error(start, "unexpected character \"&\" (use \"AND\")")),
            '|' => return Err(self.error(start, "unexpected character \"|\" (use \"OR\")")),
            c => {
                return Err(self.error(
                    start,
                    format!("unexpected character {} (quote values that contain it)", quote(&c.to_string())),
                ));
            }
        };
        self.operand_start = match &tok {
            Tok::LParen | Tok::Minus => true,
            Tok::Word(w) => is_keyword(w),
            _ => false,
        };
        self.pos = end;
        Ok(Token { tok, start, end })
    }

    /// A string opened by `quote_char` at `start`; returns it unescaped and the end of its token.
    fn string(&self, quote_char: char, start: usize) -> Result<(Tok, usize), FilterError> {
        let mut value = String::new();
        let mut chars = self.src[start + 1..].char_indices().map(|(i, c)| (start + 1 + i, c));
        let unterminated =
            || self.error(start, format!("unterminated string: no closing {quote_char} before end of filter"));
        loop {
            match chars.next() {
                None => return Err(unterminated()),
                Some((i, c)) if c == quote_char => return Ok((Tok::Str(value), i + c.len_utf8())),
                Some((i, '\\')) => match chars.next() {
                    None => return Err(unterminated()),
                    Some((_, c @ ('\\' | '"' | '\''))) => value.push(c),
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, 'r')) => value.push('\r'),
                    Some((_, other)) => {
                        return Err(self.error(
                            i,
                            format!(
                                "invalid escape \"\\{other}\" in string; escapes are \\\\, \\\", \\', \\n, \\t and \\r"
                            ),
                        ));
                    }
                },
                Some((_, c)) => value.push(c),
            }
        }
    }
}

/// Recursive descent over the filter grammar, writing SQL and collecting parameters as it goes.
struct Parser<'a> {
    lexer: Lexer<'a>,
    lookahead: Option<Token>,
    fields: &'a [Field],
    comparisons: usize,
    params: Vec<Value>,
}

impl Parser<'_> {
    fn error(&self, byte: usize, message: impl Into<String>) -> FilterError {
        self.lexer.error(byte, message)
    }

    fn peek(&mut self) -> Result<&Token, FilterError> {
        if self.lookahead.is_none() {
            self.lookahead = Some(self.lexer.next_token()?);
        }
        Ok(self.lookahead.as_ref().expect("just filled"))
    }

    fn advance(&mut self) -> Result<Token, FilterError> {
        self.peek()?;
        Ok(self.lookahead.take().expect("just peeked"))
    }

    fn peek_keyword(&mut self, keyword: &str) -> Result<bool, FilterError> {
        Ok(matches!(&self.peek()?.tok, Tok::Word(w) if w == keyword))
    }

    /// How a token reads in an error message.
    fn describe(&self, token: &Token) -> String {
        match token.tok {
            Tok::End => "end of filter".to_owned(),
            _ => quote(&self.lexer.src[token.start..token.end]),
        }
    }

    /// A token that cannot continue an expression, with a hint for lower-case keywords.
    fn continuation_error(&self, token: &Token, expected: &str) -> FilterError {
        let hint = match &token.tok {
            Tok::Word(w) if is_keyword(&w.to_ascii_uppercase()) => {
                format!(" (keywords are upper case: {})", w.to_ascii_uppercase())
            }
            Tok::Word(_) | Tok::Str(_) | Tok::Minus => " (join comparisons with \"AND\" or \"OR\")".to_owned(),
            _ => String::new(),
        };
        self.error(token.start, format!("expected {expected}, found {}{hint}", self.describe(token)))
    }

    /// `expr := and_expr ("OR" and_expr)*`. Returns the SQL and whether it is a top-level OR.
    ///
    /// AND binds tighter than OR here (conventional SQL precedence), unlike AIP-160 which makes
    /// OR bind tighter; see the module documentation.
    fn expr(&mut self, depth: usize) -> Result<(String, bool), FilterError> {
        let mut terms = vec![self.and_expr(depth)?];
        while self.peek_keyword("OR")? {
            self.advance()?;
            terms.push(self.and_expr(depth)?);
        }
        // SQL gives AND the same precedence over OR, so AND groups need no parentheses here.
        Ok((terms.join(" OR "), terms.len() > 1))
    }

    /// `and_expr := unary ("AND" unary)*`.
    fn and_expr(&mut self, depth: usize) -> Result<String, FilterError> {
        let mut terms = vec![self.unary(depth)?];
        while self.peek_keyword("AND")? {
            self.advance()?;
            terms.push(self.unary(depth)?);
        }
        Ok(terms.join(" AND "))
    }

    /// `unary := ("NOT" | "-")? primary`.
    fn unary(&mut self, depth: usize) -> Result<String, FilterError> {
        let negation = match &self.peek()?.tok {
            Tok::Minus => Some("-"),
            Tok::Word(w) if w == "NOT" => Some("NOT"),
            _ => None,
        };
        match negation {
            Some(negation) => {
                self.advance()?;
                Ok(format!("NOT {}", self.primary(depth, Some(negation))?))
            }
            None => self.primary(depth, None),
        }
    }

    /// `primary := "(" expr ")" | comparison`, always rendered in parentheses.
    fn primary(&mut self, depth: usize, negation: Option<&str>) -> Result<String, FilterError> {
        let token = self.peek()?.clone();
        match &token.tok {
            Tok::LParen => {
                if depth >= MAX_DEPTH {
                    return Err(self.error(
                        token.start,
                        format!("parentheses nested too deep: at most {MAX_DEPTH} levels are allowed"),
                    ));
                }
                self.advance()?;
                let (inner, _) = self.expr(depth + 1)?;
                let close = self.advance()?;
                if close.tok != Tok::RParen {
                    let open = column_of(self.lexer.src, token.start);
                    return Err(self.continuation_error(
                        &close,
                        &format!("\"AND\", \"OR\" or \")\" to close the \"(\" at column {open}"),
                    ));
                }
                Ok(format!("({inner})"))
            }
            Tok::Word(w) if !is_keyword(w) => self.comparison(),
            _ => {
                let expected = match negation {
                    Some(negation) => format!("a comparison or \"(\" after \"{negation}\""),
                    None => "a comparison (field, operator, value) or \"(\"".to_owned(),
                };
                let hint = if matches!(token.tok, Tok::Str(_)) { " (field names are not quoted)" } else { "" };
                Err(self.error(token.start, format!("expected {expected}, found {}{hint}", self.describe(&token))))
            }
        }
    }

    /// `comparison := FIELD OP VALUE`, rendered `(column op ?)` with the value bound.
    fn comparison(&mut self) -> Result<String, FilterError> {
        let field_token = self.advance()?;
        let Tok::Word(name) = &field_token.tok else { unreachable!("primary checked for a word") };
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(
                self.error(field_token.start, format!("too many comparisons: at most {MAX_COMPARISONS} are allowed"))
            );
        }
        let field = *find_field(self.fields, name).ok_or_else(|| {
            let message = unknown_field(name, self.fields);
            let upper = name.to_ascii_uppercase();
            if is_keyword(&upper) {
                self.error(field_token.start, format!("{message} (keywords are upper case: {upper})"))
            } else {
                self.error(field_token.start, message)
            }
        })?;

        let op_token = self.advance()?;
        let op_text = &self.lexer.src[op_token.start..op_token.end];
        let sql_op = match (&op_token.tok, op_text) {
            (Tok::Op, "=" | ":") => "=",
            (Tok::Op, "!=") => "<>",
            (Tok::Op, "<") => "<",
            (Tok::Op, "<=") => "<=",
            (Tok::Op, ">") => ">",
            (Tok::Op, ">=") => ">=",
            (Tok::Op, other) => {
                let advice = match other {
                    "==" | "===" => "use \"=\"".to_owned(),
                    "=<" => "use \"<=\"".to_owned(),
                    "=>" => "use \">=\"".to_owned(),
                    "<>" | "!==" | "=!" => "use \"!=\"".to_owned(),
                    "!" => "use \"!=\", or \"NOT\" before a comparison".to_owned(),
                    "::" => "use \":\"".to_owned(),
                    _ => "operators are =, !=, <, <=, >, >= and :".to_owned(),
                };
                return Err(self.error(op_token.start, format!("unknown operator {} ({advice})", quote(other))));
            }
            _ => {
                return Err(self.error(
                    op_token.start,
                    format!(
                        "expected an operator (=, !=, <, <=, >, >= or :) after {}, found {}",
                        quote(name),
                        self.describe(&op_token)
                    ),
                ));
            }
        };

        let value_token = self.advance()?;
        let text = match &value_token.tok {
            Tok::Word(w) if !is_keyword(w) => w.as_str(),
            Tok::Str(s) => s.as_str(),
            _ => {
                return Err(self.error(
                    value_token.start,
                    format!("expected a value after {}, found {}", quote(op_text), self.describe(&value_token)),
                ));
            }
        };
        let invalid = |message: String| self.error(value_token.start, message);
        let value = match field.kind {
            FieldKind::Integer => text.parse::<i64>().map(Value::Integer).map_err(|e| match e.kind() {
                IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => {
                    invalid(format!("invalid number {} for {}: out of range", quote(text), quote(field.name)))
                }
                _ => invalid(format!(
                    "invalid number {} for {}: expected a whole number such as 2023",
                    quote(text),
                    quote(field.name)
                )),
            })?,
            FieldKind::Text { normalize } => normalize(text)
                .map(Value::Text)
                .map_err(|m| invalid(format!("invalid value {} for {}: {m}", quote(text), quote(field.name))))?,
            FieldKind::Enum { parse } => parse(text)
                .map(Value::Integer)
                .map_err(|m| invalid(format!("invalid value {} for {}: {m}", quote(text), quote(field.name))))?,
        };
        self.params.push(value);
        Ok(format!("({} {sql_op} ?)", field.column))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn iso3(value: &str) -> Result<String, String> {
        if value.len() == 3 && value.chars().all(|c| c.is_ascii_alphabetic()) {
            Ok(value.to_ascii_uppercase())
        } else {
            Err("expected a 3-letter country code such as MLI".to_owned())
        }
    }

    fn tier(value: &str) -> Result<i64, String> {
        match value {
            "TIER_1" => Ok(1),
            "TIER_2" => Ok(2),
            _ => Err("expected TIER_1 or TIER_2".to_owned()),
        }
    }

    fn verbatim(value: &str) -> Result<String, String> {
        Ok(value.to_owned())
    }

    /// Field names differ from column names for country and tier, to prove the mapping.
    const FIELDS: &[Field] = &[
        Field { name: "year", column: "year", kind: FieldKind::Integer },
        Field { name: "country", column: "iso3", kind: FieldKind::Text { normalize: iso3 } },
        Field { name: "tier", column: "tier_code", kind: FieldKind::Enum { parse: tier } },
    ];

    /// The same plus a text field that accepts any string, to see hostile strings bound as data.
    const FIELDS_WITH_NAME: &[Field] = &[
        Field { name: "year", column: "year", kind: FieldKind::Integer },
        Field { name: "country", column: "iso3", kind: FieldKind::Text { normalize: iso3 } },
        Field { name: "tier", column: "tier_code", kind: FieldKind::Enum { parse: tier } },
        Field { name: "name", column: "name", kind: FieldKind::Text { normalize: verbatim } },
    ];

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (year INTEGER NOT NULL, iso3 TEXT NOT NULL, tier_code INTEGER NOT NULL, name TEXT NOT NULL);
             INSERT INTO t VALUES
               (2020, 'BFA', 2, 'Burkina Faso'),
               (2021, 'TCD', 3, 'Chad'),
               (2022, 'MLI', 2, 'Mali'),
               (2023, 'MLI', 1, 'Mali'),
               (2023, 'NER', 2, 'Niger'),
               (2023, 'CIV', 1, 'Cote d''Ivoire');",
        )
        .unwrap();
        conn
    }

    fn run(conn: &Connection, filter: &SqlFilter) -> Vec<(i64, String)> {
        let sql = format!("SELECT year, iso3 FROM t WHERE {} ORDER BY year, iso3", filter.sql);
        let mut statement = conn.prepare(&sql).unwrap();
        statement
            .query_map(rusqlite::params_from_iter(filter.params.iter()), |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The rows of `t` matching `filter` over [`FIELDS`].
    fn rows(filter: &str) -> Vec<(i64, String)> {
        let compiled = compile_filter(filter, FIELDS).unwrap_or_else(|e| panic!("{filter:?}: {e}"));
        run(&db(), &compiled)
    }

    fn r(list: &[(i64, &str)]) -> Vec<(i64, String)> {
        list.iter().map(|&(y, c)| (y, c.to_owned())).collect()
    }

    fn err(filter: &str) -> FilterError {
        match compile_filter(filter, FIELDS) {
            Ok(compiled) => panic!("{filter:?} compiled to {compiled:?}"),
            Err(e) => e,
        }
    }

    fn order_err(order_by: &str) -> FilterError {
        compile_order_by(order_by, FIELDS, "year").unwrap_err()
    }

    fn table_exists(conn: &Connection) -> bool {
        conn.query_row("SELECT count(*) FROM t", [], |row| row.get::<_, i64>(0)).unwrap() == 6
    }

    // ---- results against SQLite ----

    #[test]
    fn empty_and_blank_filters_compile_to_true_and_match_every_row() {
        for filter in ["", "   ", "\n\t"] {
            let compiled = compile_filter(filter, FIELDS).unwrap();
            assert_eq!(compiled, SqlFilter { sql: "1".into(), params: vec![] });
            assert_eq!(run(&db(), &compiled).len(), 6);
        }
    }

    #[test]
    fn integer_equality_year_2023_matches_only_2023_rows() {
        assert_eq!(rows("year = 2023"), r(&[(2023, "CIV"), (2023, "MLI"), (2023, "NER")]));
    }

    #[test]
    fn and_combines_integer_range_with_enum_value() {
        assert_eq!(rows("year >= 2020 AND tier = TIER_2"), r(&[(2020, "BFA"), (2022, "MLI"), (2023, "NER")]));
    }

    #[test]
    fn or_of_two_enum_values_matches_either_tier() {
        assert_eq!(
            rows("tier = TIER_1 OR tier = TIER_2"),
            r(&[(2020, "BFA"), (2022, "MLI"), (2023, "CIV"), (2023, "MLI"), (2023, "NER")])
        );
    }

    #[test]
    fn not_keyword_negates_a_comparison() {
        assert_eq!(rows("NOT year = 2023"), r(&[(2020, "BFA"), (2021, "TCD"), (2022, "MLI")]));
    }

    #[test]
    fn leading_minus_negates_like_not_with_or_without_space_and_before_parentheses() {
        let expected = r(&[(2020, "BFA"), (2021, "TCD"), (2022, "MLI")]);
        assert_eq!(rows("-year = 2023"), expected);
        assert_eq!(rows("- year = 2023"), expected);
        assert_eq!(rows("-(year = 2023)"), expected);
        assert_eq!(rows("tier = TIER_2 AND -country = MLI"), r(&[(2020, "BFA"), (2023, "NER")]));
    }

    #[test]
    fn minus_after_an_operator_is_a_negative_number_not_a_negation() {
        assert_eq!(rows("year > -5").len(), 6);
        assert_eq!(rows("year = -2023"), r(&[]));
        assert_eq!(compile_filter("year = -2023", FIELDS).unwrap().params, vec![Value::Integer(-2023)]);
    }

    #[test]
    fn parenthesized_or_inside_and_restricts_both_years_to_one_country() {
        assert_eq!(rows("(year = 2022 OR year = 2023) AND country = \"MLI\""), r(&[(2022, "MLI"), (2023, "MLI")]));
    }

    #[test]
    fn single_quoted_lowercase_country_is_normalized_before_comparing() {
        assert_eq!(rows("country = 'mli'"), r(&[(2022, "MLI"), (2023, "MLI")]));
        assert_eq!(rows("country = mli"), r(&[(2022, "MLI"), (2023, "MLI")]));
    }

    #[test]
    fn has_operator_colon_behaves_as_equality() {
        assert_eq!(rows("country:MLI"), rows("country = MLI"));
        assert_eq!(rows("tier : TIER_1"), r(&[(2023, "CIV"), (2023, "MLI")]));
    }

    #[test]
    fn ordering_and_inequality_operators_work_on_integer_enum_and_text_lexicographically() {
        assert_eq!(rows("year != 2023"), r(&[(2020, "BFA"), (2021, "TCD"), (2022, "MLI")]));
        assert_eq!(rows("year < 2021"), r(&[(2020, "BFA")]));
        assert_eq!(rows("year <= 2021"), r(&[(2020, "BFA"), (2021, "TCD")]));
        assert_eq!(rows("year > 2022").len(), 3);
        assert_eq!(rows("tier != TIER_2"), r(&[(2021, "TCD"), (2023, "CIV"), (2023, "MLI")]));
        assert_eq!(rows("tier > TIER_1"), r(&[(2020, "BFA"), (2021, "TCD"), (2022, "MLI"), (2023, "NER")]));
        assert_eq!(rows("country < MLI"), r(&[(2020, "BFA"), (2023, "CIV")]));
        assert_eq!(rows("country > BFA AND country < NER"), r(&[(2022, "MLI"), (2023, "CIV"), (2023, "MLI")]));
        assert_eq!(rows("country >= ner"), r(&[(2021, "TCD"), (2023, "NER")]));
    }

    #[test]
    fn quoted_integer_is_accepted_for_an_integer_field() {
        assert_eq!(rows("year = \"2023\""), rows("year = 2023"));
        assert_eq!(rows("year = '2022'"), r(&[(2022, "MLI")]));
    }

    #[test]
    fn whitespace_is_optional_and_free_around_tokens() {
        assert_eq!(rows("(year>=2022)AND(tier=TIER_2)"), r(&[(2022, "MLI"), (2023, "NER")]));
        assert_eq!(rows("\n\t year\n=\t2023 \n"), rows("year = 2023"));
    }

    #[test]
    fn and_binds_tighter_than_or_unlike_aip_160() {
        // a OR b AND c == a OR (b AND c): 2020 from a, 2023 NER from b AND c.
        assert_eq!(rows("year = 2020 OR year = 2023 AND country = NER"), r(&[(2020, "BFA"), (2023, "NER")]));
        // AIP-160's reading, (a OR b) AND c, must be asked for with parentheses.
        assert_eq!(rows("(year = 2020 OR year = 2023) AND country = NER"), r(&[(2023, "NER")]));
        assert_eq!(
            compile_filter("year = 2020 OR year = 2023 AND country = NER", FIELDS).unwrap().sql,
            "((year = ?) OR (year = ?) AND (iso3 = ?))"
        );
    }

    #[test]
    fn generated_sql_uses_field_columns_placeholders_and_params_in_order() {
        let compiled = compile_filter("year >= 2020 AND NOT (tier = TIER_2 OR country != 'ner')", FIELDS).unwrap();
        assert_eq!(compiled.sql, "(year >= ?) AND NOT ((tier_code = ?) OR (iso3 <> ?))");
        assert_eq!(compiled.params, vec![Value::Integer(2020), Value::Integer(2), Value::Text("NER".into())]);
        assert_eq!(compile_filter("NOT year = 1", FIELDS).unwrap().sql, "NOT (year = ?)");
    }

    #[test]
    fn top_level_or_is_wrapped_so_callers_can_and_it_with_other_conditions() {
        let compiled = compile_filter("year = 2020 OR year = 2021", FIELDS).unwrap();
        assert_eq!(compiled.sql, "((year = ?) OR (year = ?))");
        let conn = db();
        let sql = format!("SELECT count(*) FROM t WHERE tier_code = 3 AND {}", compiled.sql);
        let count: i64 =
            conn.query_row(&sql, rusqlite::params_from_iter(compiled.params.iter()), |row| row.get(0)).unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn string_escapes_are_decoded_and_bound_as_one_value() {
        let compiled = compile_filter(r#"name = "Cote d\'Ivoire""#, FIELDS_WITH_NAME).unwrap();
        assert_eq!(run(&db(), &compiled), r(&[(2023, "CIV")]));
        let compiled = compile_filter(r#"name = 'Cote d\'Ivoire'"#, FIELDS_WITH_NAME).unwrap();
        assert_eq!(run(&db(), &compiled), r(&[(2023, "CIV")]));
        let compiled = compile_filter(r#"name = "a\"b\\c\nd\te\rf""#, FIELDS_WITH_NAME).unwrap();
        assert_eq!(compiled.params, vec![Value::Text("a\"b\\c\nd\te\rf".into())]);
    }

    // ---- hostile input ----

    #[test]
    fn injection_in_quoted_country_is_refused_by_normalize_and_table_survives() {
        let conn = db();
        let e = err("country = \"MLI'; DROP TABLE t; --\"");
        assert_eq!(e.column, 11);
        assert!(e.message.contains("expected a 3-letter country code"), "{e}");
        assert!(table_exists(&conn));
    }

    #[test]
    fn injection_in_a_string_accepted_by_its_field_is_bound_as_data_matching_no_rows() {
        let conn = db();
        for filter in
            ["name = \"MLI'; DROP TABLE t; --\"", "name = 'x'' OR 1=1 --'", "name = \"x\\\" OR 1=1; DROP TABLE t; --\""]
        {
            match compile_filter(filter, FIELDS_WITH_NAME) {
                Ok(compiled) => {
                    assert!(!compiled.sql.contains("DROP") && !compiled.sql.contains('\''), "{}", compiled.sql);
                    assert_eq!(run(&conn, &compiled), r(&[]), "{filter}");
                }
                Err(e) => assert!(e.column > 0, "{e}"),
            }
            assert!(table_exists(&conn), "{filter}");
        }
    }

    #[test]
    fn statement_after_integer_value_is_refused_at_the_semicolon() {
        let conn = db();
        assert_eq!(
            err("year = 2023; DROP TABLE t"),
            FilterError { column: 12, message: "unexpected character \";\" (quote values that contain it)".into() }
        );
        assert!(table_exists(&conn));
    }

    #[test]
    fn clients_name_fields_not_sql_columns() {
        let e = err("iso3 = MLI");
        assert_eq!((e.column, e.message.as_str()), (1, "unknown field \"iso3\"; fields: year, country, tier"));
        let e = err("year = 2023 OR 1 = 1");
        assert_eq!((e.column, e.message.as_str()), (16, "unknown field \"1\"; fields: year, country, tier"));
    }

    // ---- errors, each with its column ----

    #[test]
    fn missing_value_reports_column_after_the_operator_and_end_of_filter() {
        assert_eq!(err("year = ").to_string(), "at column 8: expected a value after \"=\", found end of filter");
        assert_eq!(
            err("year = AND tier = TIER_1").to_string(),
            "at column 8: expected a value after \"=\", found \"AND\""
        );
        assert_eq!(err("year >= )").to_string(), "at column 9: expected a value after \">=\", found \")\"");
    }

    #[test]
    fn unknown_field_lists_the_known_fields() {
        assert_eq!(err("yeer = 2023").to_string(), "at column 1: unknown field \"yeer\"; fields: year, country, tier");
        assert_eq!(err("year = 1 AND Year = 2").column, 14);
    }

    #[test]
    fn unmatched_closing_parenthesis_is_unexpected_at_its_column() {
        assert_eq!(err("year = 2023)").to_string(), "at column 12: unexpected \")\" without a matching \"(\"");
        assert_eq!(
            err("(year)").to_string(),
            "at column 6: expected an operator (=, !=, <, <=, >, >= or :) after \"year\", found \")\""
        );
        assert_eq!(
            err(")").to_string(),
            "at column 1: expected a comparison (field, operator, value) or \"(\", found \")\""
        );
        assert_eq!(err("()").column, 2);
    }

    #[test]
    fn unclosed_parenthesis_points_at_end_and_names_the_opening_column() {
        assert_eq!(
            err("year = 1 AND (year = 2023").to_string(),
            "at column 26: expected \"AND\", \"OR\" or \")\" to close the \"(\" at column 14, found end of filter"
        );
    }

    #[test]
    fn unterminated_string_points_at_its_opening_quote() {
        assert_eq!(
            err("country = \"MLI").to_string(),
            "at column 11: unterminated string: no closing \" before end of filter"
        );
        assert_eq!(
            err("country = 'MLI\\'").to_string(),
            "at column 11: unterminated string: no closing ' before end of filter"
        );
    }

    #[test]
    fn invalid_escape_in_string_is_refused_at_the_backslash() {
        let e = err(r#"country = "M\qI""#);
        assert_eq!(e.column, 13);
        assert!(e.message.starts_with("invalid escape \"\\q\""), "{e}");
    }

    #[test]
    fn invalid_and_out_of_range_numbers_are_refused_at_the_value() {
        assert_eq!(
            err("year = 20x3").to_string(),
            "at column 8: invalid number \"20x3\" for \"year\": expected a whole number such as 2023"
        );
        assert_eq!(err("year = 2023.5").column, 8);
        assert_eq!(err("year = \"\"").column, 8);
        assert_eq!(
            err("year = 99999999999999999999").to_string(),
            "at column 8: invalid number \"99999999999999999999\" for \"year\": out of range"
        );
    }

    #[test]
    fn unknown_operators_say_which_one_to_use() {
        assert_eq!(err("year == 2023").to_string(), "at column 6: unknown operator \"==\" (use \"=\")");
        assert_eq!(err("year => 2020").to_string(), "at column 6: unknown operator \"=>\" (use \">=\")");
        assert_eq!(err("year =< 2020").message, "unknown operator \"=<\" (use \"<=\")");
        assert_eq!(err("year <> 2020").message, "unknown operator \"<>\" (use \"!=\")");
        assert_eq!(err("year ! 2020").message, "unknown operator \"!\" (use \"!=\", or \"NOT\" before a comparison)");
        assert_eq!(
            err("year ~ 2020").to_string(),
            "at column 6: unexpected character \"~\" (quote values that contain it)"
        );
    }

    #[test]
    fn missing_operator_is_reported_at_the_following_token() {
        assert_eq!(
            err("year 2023").to_string(),
            "at column 6: expected an operator (=, !=, <, <=, >, >= or :) after \"year\", found \"2023\""
        );
        assert_eq!(err("year").column, 5);
    }

    #[test]
    fn invalid_enum_and_text_values_carry_the_field_message() {
        assert_eq!(
            err("tier = TIER_9").to_string(),
            "at column 8: invalid value \"TIER_9\" for \"tier\": expected TIER_1 or TIER_2"
        );
        assert_eq!(
            err("country = Mali").to_string(),
            "at column 11: invalid value \"Mali\" for \"country\": expected a 3-letter country code such as MLI"
        );
    }

    #[test]
    fn lowercase_keywords_and_implicit_and_are_refused_with_a_hint() {
        assert_eq!(
            err("year = 2023 and tier = TIER_2").to_string(),
            "at column 13: expected \"AND\", \"OR\" or end of filter, found \"and\" (keywords are upper case: AND)"
        );
        assert_eq!(
            err("year = 2023 tier = TIER_2").to_string(),
            "at column 13: expected \"AND\", \"OR\" or end of filter, found \"tier\" (join comparisons with \"AND\" or \"OR\")"
        );
        assert_eq!(
            err("not year = 2023").to_string(),
            "at column 1: unknown field \"not\"; fields: year, country, tier (keywords are upper case: NOT)"
        );
    }

    #[test]
    fn negation_without_operand_and_double_negation_are_refused() {
        assert_eq!(
            err("NOT").to_string(),
            "at column 4: expected a comparison or \"(\" after \"NOT\", found end of filter"
        );
        assert_eq!(
            err("NOT NOT year = 1").to_string(),
            "at column 5: expected a comparison or \"(\" after \"NOT\", found \"NOT\""
        );
        assert_eq!(
            err("--year = 1").to_string(),
            "at column 2: expected a comparison or \"(\" after \"-\", found \"-\""
        );
        assert_eq!(err("year = 1 AND").column, 13);
        assert_eq!(err("OR year = 1").column, 1);
    }

    #[test]
    fn symbolic_and_or_and_quoted_field_names_are_refused_with_a_hint() {
        assert_eq!(
            err("year = 1 && tier = TIER_1").to_string(),
            "at column 10: unexpected character \"&\" (use \"AND\")"
        );
        assert_eq!(
            err("year = 1 || tier = TIER_1").to_string(),
            "at column 10: unexpected character \"|\" (use \"OR\")"
        );
        assert_eq!(
            err("\"year\" = 1").to_string(),
            "at column 1: expected a comparison (field, operator, value) or \"(\", found \"\\\"year\\\"\" (field names are not quoted)"
        );
    }

    #[test]
    fn errors_come_in_text_order_and_count_columns_in_characters() {
        // The unknown field comes before the bad character, so it is reported.
        assert_eq!(err("yeer = 1; x").column, 1);
        // "é" is two bytes but one column.
        assert_eq!(err("country = 'é' OR yeer = 1").column, 11);
        assert_eq!(err("year = 1 OR country = \"é\" OR yeer = 1").column, 23);
    }

    // ---- limits ----

    #[test]
    fn filter_of_2000_bytes_is_accepted_and_2001_refused_at_column_2001() {
        let accepted = format!("{:<2000}", "year = 2023");
        assert_eq!(accepted.len(), 2000);
        assert_eq!(run(&db(), &compile_filter(&accepted, FIELDS).unwrap()).len(), 3);
        let refused = format!("{:<2001}", "year = 2023");
        assert_eq!(err(&refused).to_string(), "at column 2001: filter is 2001 bytes long; at most 2000 are allowed");
        let blank = " ".repeat(5000);
        assert_eq!(err(&blank).column, 2001);
    }

    #[test]
    fn fifty_comparisons_are_accepted_and_the_fifty_first_is_refused_at_its_column() {
        let fifty = vec!["year = 2023"; 50].join(" OR ");
        assert_eq!(run(&db(), &compile_filter(&fifty, FIELDS).unwrap()).len(), 3);
        let fifty_one = vec!["year = 2023"; 51].join(" OR ");
        assert_eq!(err(&fifty_one).to_string(), "at column 751: too many comparisons: at most 50 are allowed");
    }

    #[test]
    fn twenty_nested_parentheses_are_accepted_and_the_twenty_first_is_refused() {
        let twenty = format!("{}year = 2023{}", "(".repeat(20), ")".repeat(20));
        assert_eq!(run(&db(), &compile_filter(&twenty, FIELDS).unwrap()).len(), 3);
        let twenty_one = format!("{}year = 2023{}", "(".repeat(21), ")".repeat(21));
        assert_eq!(
            err(&twenty_one).to_string(),
            "at column 21: parentheses nested too deep: at most 20 levels are allowed"
        );
        let negated = format!("{}year = 2023{}", "-(".repeat(21), ")".repeat(21));
        assert_eq!(err(&negated).column, 42);
    }

    #[test]
    fn hostile_deep_nesting_fails_fast_without_overflowing_the_stack() {
        assert_eq!(err(&"(".repeat(1999)).column, 21);
        assert_eq!(err(&"NOT (".repeat(399)).column, 105);
    }

    // ---- order_by ----

    #[test]
    fn order_by_maps_fields_to_columns_with_default_ascending() {
        assert_eq!(compile_order_by("year desc, country", FIELDS, "x").unwrap(), "year DESC, iso3 ASC");
        assert_eq!(compile_order_by("  tier   ASC ,year", FIELDS, "x").unwrap(), "tier_code ASC, year ASC");
    }

    #[test]
    fn order_by_directions_are_case_insensitive_but_field_names_are_not() {
        assert_eq!(compile_order_by("year DeSc", FIELDS, "x").unwrap(), "year DESC");
        assert_eq!(order_err("Year").to_string(), "at column 1: unknown field \"Year\"; fields: year, country, tier");
    }

    #[test]
    fn empty_or_blank_order_by_gives_the_default() {
        assert_eq!(compile_order_by("", FIELDS, "year DESC, iso3").unwrap(), "year DESC, iso3");
        assert_eq!(compile_order_by(" \t", FIELDS, "year DESC, iso3").unwrap(), "year DESC, iso3");
    }

    #[test]
    fn compiled_order_by_sorts_rows_in_sqlite() {
        let order = compile_order_by("tier desc, country, year desc", FIELDS, "year").unwrap();
        assert_eq!(order, "tier_code DESC, iso3 ASC, year DESC");
        let conn = db();
        let mut statement = conn.prepare(&format!("SELECT year, iso3 FROM t ORDER BY {order}")).unwrap();
        let got: Vec<(i64, String)> =
            statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(got, r(&[(2021, "TCD"), (2020, "BFA"), (2022, "MLI"), (2023, "NER"), (2023, "CIV"), (2023, "MLI")]));
    }

    #[test]
    fn order_by_unknown_field_and_injection_are_refused_at_the_field_column() {
        assert_eq!(
            order_err("year, yeer").to_string(),
            "at column 7: unknown field \"yeer\"; fields: year, country, tier"
        );
        assert_eq!(
            order_err("year; DROP TABLE t").to_string(),
            "at column 1: unknown field \"year;\"; fields: year, country, tier"
        );
        assert_eq!(order_err("iso3").column, 1);
    }

    #[test]
    fn order_by_unknown_direction_and_extra_words_are_refused_at_their_column() {
        assert_eq!(
            order_err("year down").to_string(),
            "at column 6: unknown direction \"down\" after \"year\"; use \"asc\" or \"desc\""
        );
        assert_eq!(
            order_err("year desc asc").to_string(),
            "at column 11: expected \",\" or end of order_by after \"desc\", found \"asc\""
        );
    }

    #[test]
    fn order_by_duplicate_field_is_refused_with_both_columns() {
        assert_eq!(
            order_err("year, country, year desc").to_string(),
            "at column 16: duplicate field \"year\" (already ordered at column 1)"
        );
    }

    #[test]
    fn order_by_empty_items_are_refused_at_the_comma_or_end() {
        assert_eq!(
            order_err("year,,country").to_string(),
            "at column 6: expected a field name after \",\", found \",\""
        );
        assert_eq!(
            order_err("year, ").to_string(),
            "at column 7: expected a field name after \",\", found end of order_by"
        );
        assert_eq!(order_err(", year").to_string(), "at column 1: expected a field name, found \",\"");
    }

    #[test]
    fn order_by_longer_than_2000_bytes_is_refused() {
        let long = format!("{:<2001}", "year");
        assert_eq!(
            order_err(&long).to_string(),
            "at column 2001: order_by is 2001 bytes long; at most 2000 are allowed"
        );
    }
}
