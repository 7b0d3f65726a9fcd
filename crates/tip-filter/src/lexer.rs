//! Splits a filter into tokens on demand, so that errors come in the order of the text.

use crate::{FilterError, Span, quote};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    /// A `-` where a term may start: negation.
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
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
}

pub(crate) struct Lexer<'a> {
    pub src: &'a str,
    pos: usize,
    /// Whether the last token was an operator, after which a `-` starts a value (`year > -5`)
    /// rather than negating the next term.
    after_operator: bool,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

fn is_operator_char(c: char) -> bool {
    matches!(c, '=' | '!' | '<' | '>' | ':')
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Self { src, pos: 0, after_operator: false }
    }

    fn error(&self, byte: usize, message: impl Into<String>) -> FilterError {
        FilterError::at(self.src, byte, message)
    }

    pub fn next_token(&mut self) -> Result<Token, FilterError> {
        let rest = &self.src[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
        let start = self.pos;
        let rest = &self.src[start..];
        let Some(c) = rest.chars().next() else {
            return Ok(Token { tok: Tok::End, span: Span { start, end: start } });
        };
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '-' if !self.after_operator => (Tok::Minus, 1),
            '"' | '\'' => self.string(c, start)?,
            c if is_operator_char(c) => (Tok::Op, rest.find(|c: char| !is_operator_char(c)).unwrap_or(rest.len())),
            c if is_word_char(c) => {
                let len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
                (Tok::Word(rest[..len].to_owned()), len)
            }
            '&' => return Err(self.error(start, "unexpected character \"&\" (use \"AND\")")),
            '|' => return Err(self.error(start, "unexpected character \"|\" (use \"OR\")")),
            '*' => return Err(self.error(start, "unexpected character \"*\" (wildcards are not supported)")),
            c => {
                return Err(self.error(
                    start,
                    format!("unexpected character {} (quote values that contain it)", quote(&c.to_string())),
                ));
            }
        };
        self.after_operator = tok == Tok::Op;
        self.pos = start + len;
        Ok(Token { tok, span: Span { start, end: self.pos } })
    }

    /// A string opened by `quote_char` at `start`; returns it unescaped and its length in bytes.
    fn string(&self, quote_char: char, start: usize) -> Result<(Tok, usize), FilterError> {
        let mut value = String::new();
        let mut chars = self.src[start + 1..].char_indices().map(|(i, c)| (start + 1 + i, c));
        let unterminated =
            || self.error(start, format!("unterminated string: no closing {quote_char} before end of filter"));
        loop {
            match chars.next() {
                None => return Err(unterminated()),
                Some((i, c)) if c == quote_char => return Ok((Tok::Str(value), i + c.len_utf8() - start)),
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
