//! Recursive descent over the filter grammar (see the crate documentation), to a [`Filter`].

use crate::ast::{Comparator, Expr, Filter, Ident, Op, Restriction, Value};
use crate::lexer::{Lexer, Tok, Token};
use crate::{FilterError, Incomplete, MAX_COMPARISONS, MAX_DEPTH, check_length, column_of, is_keyword, quote};

/// What the parser had read of a restriction when it stopped.
pub(crate) struct Read {
    pub field: Ident,
    /// No operator followed the field: it was a value alone (AIP-160's global restriction).
    pub alone: bool,
    pub value: Option<Value>,
}

/// Parses an AIP-160 filter. A blank filter parses to a [`Filter`] without expression.
pub fn parse(filter: &str) -> Result<Filter<'_>, FilterError> {
    parse_reading(filter).map_err(|incomplete| incomplete.error)
}

/// [`parse`], which on a syntax error also gives the fields and values read before it.
pub(crate) fn parse_reading(filter: &str) -> Result<Filter<'_>, Incomplete<Read>> {
    let incomplete = |error| Incomplete { error, read: Vec::new() };
    check_length(filter, "filter").map_err(incomplete)?;
    if filter.trim().is_empty() {
        return Ok(Filter { source: filter, expr: None });
    }
    let mut parser = Parser { lexer: Lexer::new(filter), lookahead: None, comparisons: 0, read: Vec::new() };
    match parser.filter() {
        Ok(expr) => Ok(Filter { source: filter, expr: Some(expr) }),
        Err(error) => Err(Incomplete { error, read: parser.read }),
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    lookahead: Option<Token>,
    comparisons: usize,
    read: Vec<Read>,
}

impl Parser<'_> {
    fn error(&self, byte: usize, message: impl Into<String>) -> FilterError {
        FilterError::at(self.lexer.src, byte, message)
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
            _ => quote(&self.lexer.src[token.span.start..token.span.end]),
        }
    }

    fn unexpected(&self, token: &Token, expected: &str) -> FilterError {
        self.error(token.span.start, format!("expected {expected}, found {}", self.describe(token)))
    }

    /// `filter := expression`, which must use up the text.
    fn filter(&mut self) -> Result<Expr, FilterError> {
        let expr = self.expression(0)?;
        let next = self.peek()?.clone();
        match next.tok {
            Tok::End => Ok(expr),
            Tok::RParen => Err(self.error(next.span.start, "unexpected \")\" without a matching \"(\"")),
            _ => Err(self.unexpected(&next, "\"AND\", \"OR\" or end of filter")),
        }
    }

    /// `expression := sequence ("AND" sequence)*`. Juxtaposition and `AND` both mean AND, so
    /// the operands of both levels make one [`Expr::And`].
    fn expression(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut operands = self.sequence(depth)?;
        while self.peek_keyword("AND")? {
            self.advance()?;
            operands.extend(self.sequence(depth)?);
        }
        Ok(if operands.len() == 1 { operands.pop().expect("one operand") } else { Expr::And(operands) })
    }

    /// `sequence := factor factor*`: factors side by side, as in `a b`.
    fn sequence(&mut self, depth: usize) -> Result<Vec<Expr>, FilterError> {
        let mut factors = vec![self.factor(depth)?];
        while self.term_starts()? {
            factors.push(self.factor(depth)?);
        }
        Ok(factors)
    }

    /// Whether the next token begins a term (a quoted string does, to be refused as a field).
    fn term_starts(&mut self) -> Result<bool, FilterError> {
        Ok(match &self.peek()?.tok {
            Tok::LParen | Tok::Minus | Tok::Str(_) => true,
            Tok::Word(w) => w == "NOT" || !is_keyword(w),
            Tok::RParen | Tok::Op | Tok::End => false,
        })
    }

    /// `factor := term ("OR" term)*`: OR binds tighter than AND, as AIP-160 says.
    fn factor(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut terms = vec![self.term(depth)?];
        while self.peek_keyword("OR")? {
            self.advance()?;
            terms.push(self.term(depth)?);
        }
        Ok(if terms.len() == 1 { terms.pop().expect("one term") } else { Expr::Or(terms) })
    }

    /// `term := ("NOT" | "-")? simple`.
    fn term(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let negation = match &self.peek()?.tok {
            Tok::Minus => Some("-"),
            Tok::Word(w) if w == "NOT" => Some("NOT"),
            _ => None,
        };
        match negation {
            Some(negation) => {
                let operator = self.advance()?.span;
                let operand = Box::new(self.simple(depth, Some(negation))?);
                Ok(Expr::Not { operator, operand })
            }
            None => self.simple(depth, None),
        }
    }

    /// `simple := restriction | "(" expression ")"`.
    fn simple(&mut self, depth: usize, negation: Option<&str>) -> Result<Expr, FilterError> {
        let token = self.peek()?.clone();
        match &token.tok {
            Tok::LParen => {
                if depth >= MAX_DEPTH {
                    return Err(self.error(
                        token.span.start,
                        format!("parentheses nested too deep: at most {MAX_DEPTH} levels are allowed"),
                    ));
                }
                self.advance()?;
                let inner = Box::new(self.expression(depth + 1)?);
                let close = self.advance()?;
                if close.tok != Tok::RParen {
                    let open = column_of(self.lexer.src, token.span.start);
                    return Err(self
                        .unexpected(&close, &format!("\"AND\", \"OR\" or \")\" to close the \"(\" at column {open}")));
                }
                Ok(Expr::Group { span: token.span.to(close.span), inner })
            }
            Tok::Word(w) if !is_keyword(w) => self.restriction().map(Expr::Restriction),
            _ => {
                let expected = match negation {
                    Some(negation) => format!("a comparison or \"(\" after \"{negation}\""),
                    None => "a comparison (field, operator, value) or \"(\"".to_owned(),
                };
                let hint = if matches!(token.tok, Tok::Str(_)) { " (field names are not quoted)" } else { "" };
                Err(self.error(token.span.start, format!("expected {expected}, found {}{hint}", self.describe(&token))))
            }
        }
    }

    /// `restriction := FIELD OP VALUE`.
    fn restriction(&mut self) -> Result<Restriction, FilterError> {
        let field_token = self.advance()?;
        let Tok::Word(name) = field_token.tok else { unreachable!("simple checked for a word") };
        let field = Ident { name, span: field_token.span };
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(
                self.error(field.span.start, format!("too many comparisons: at most {MAX_COMPARISONS} are allowed"))
            );
        }
        let next = self.peek()?;
        if next.tok == Tok::LParen && next.span.start == field.span.end {
            return Err(self.error(
                field.span.start,
                format!("function calls such as {} are not supported", quote(&format!("{}(...)", field.name))),
            ));
        }
        if field.name.contains('.') {
            return Err(self.error(
                field.span.start,
                format!("traversal such as {} is not supported: fields have no sub-fields", quote(&field.name)),
            ));
        }
        self.read.push(Read { field: field.clone(), alone: false, value: None });

        let op_token = self.advance()?;
        let op_text = &self.lexer.src[op_token.span.start..op_token.span.end];
        let op = match (&op_token.tok, op_text) {
            (Tok::Op, "=") => Op::Equals,
            (Tok::Op, ":") => Op::Has,
            (Tok::Op, "!=") => Op::NotEquals,
            (Tok::Op, "<") => Op::Less,
            (Tok::Op, "<=") => Op::LessOrEquals,
            (Tok::Op, ">") => Op::Greater,
            (Tok::Op, ">=") => Op::GreaterOrEquals,
            (Tok::Op, other) => {
                let advice = match other {
                    "==" | "===" => "use \"=\"",
                    "=<" => "use \"<=\"",
                    "=>" => "use \">=\"",
                    "<>" | "!==" | "=!" => "use \"!=\"",
                    "!" => "use \"!=\", or \"NOT\" before a comparison",
                    "::" => "use \":\"",
                    _ => "operators are =, !=, <, <=, >, >= and :",
                };
                return Err(self.error(op_token.span.start, format!("unknown operator {} ({advice})", quote(other))));
            }
            _ => {
                self.read.last_mut().expect("field pushed above").alone = true;
                let expected = format!("an operator (=, !=, <, <=, >, >= or :) after {}", quote(&field.name));
                return Err(self.unexpected(&op_token, &expected));
            }
        };
        let comparator = Comparator { op, span: op_token.span };

        let value_token = self.advance()?;
        let text = match value_token.tok {
            Tok::Word(w) if !is_keyword(&w) => w,
            Tok::Str(s) => s,
            _ => return Err(self.unexpected(&value_token, &format!("a value after {}", quote(op_text)))),
        };
        let value = Value { text, span: value_token.span };
        self.read.last_mut().expect("field pushed above").value = Some(value.clone());
        Ok(Restriction { field, comparator, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;

    fn tree(filter: &str) -> String {
        parse(filter).unwrap_or_else(|e| panic!("{filter:?}: {e}")).expr().expect("not blank").to_string()
    }

    fn error(filter: &str) -> String {
        parse(filter).expect_err(filter).to_string()
    }

    #[test]
    fn or_binds_tighter_than_and() {
        assert_eq!(tree("a = 1 AND b = 2 OR c = 3"), "(AND a = 1 (OR b = 2 c = 3))");
        assert_eq!(tree("a = 1 OR b = 2 AND c = 3"), "(AND (OR a = 1 b = 2) c = 3)");
        assert_eq!(tree("a = 1 OR b = 2 AND c = 3 OR d = 4"), "(AND (OR a = 1 b = 2) (OR c = 3 d = 4))");
        assert_eq!(tree("(a = 1 AND b = 2) OR c = 3"), "(OR (AND a = 1 b = 2) c = 3)");
    }

    #[test]
    fn juxtaposition_is_and_and_binds_looser_than_or() {
        assert_eq!(tree("a = 1 b = 2"), "(AND a = 1 b = 2)");
        assert_eq!(tree("a = 1 b = 2 OR c = 3"), "(AND a = 1 (OR b = 2 c = 3))");
        assert_eq!(tree("a = 1 b = 2 AND c = 3 -d = 4"), "(AND a = 1 b = 2 c = 3 (NOT d = 4))");
        assert_eq!(tree("(a = 1)(b = 2)"), "(AND a = 1 b = 2)");
    }

    #[test]
    fn negation_takes_one_term_only() {
        assert_eq!(tree("NOT a = 1 OR b = 2"), "(OR (NOT a = 1) b = 2)");
        assert_eq!(tree("-(a = 1 OR b = 2)"), "(NOT (OR a = 1 b = 2))");
    }

    #[test]
    fn every_node_keeps_its_span() {
        let text = "year >= 2020 AND NOT (tier = \"T2\" OR x:1)";
        let filter = parse(text).unwrap();
        let Some(Expr::And(operands)) = filter.expr() else { panic!("{:?}", filter.expr()) };
        let slice = |span: Span| &text[span.start..span.end];
        assert_eq!(slice(filter.expr().unwrap().span()), text);
        let Expr::Restriction(first) = &operands[0] else { panic!() };
        assert_eq!(
            (slice(first.field.span), slice(first.comparator.span), slice(first.value.span)),
            ("year", ">=", "2020")
        );
        assert_eq!(first.comparator.op, Op::GreaterOrEquals);
        let Expr::Not { operator, operand } = &operands[1] else { panic!() };
        assert_eq!(slice(*operator), "NOT");
        assert_eq!(slice(operand.span()), "(tier = \"T2\" OR x:1)");
        let Expr::Group { inner, .. } = operand.as_ref() else { panic!() };
        let Expr::Or(terms) = inner.as_ref() else { panic!() };
        let Expr::Restriction(quoted) = &terms[0] else { panic!() };
        assert_eq!((quoted.value.text.as_str(), slice(quoted.value.span)), ("T2", "\"T2\""));
        assert_eq!(quoted.value.span.column(text), 30);
        assert_eq!(slice(terms[1].span()), "x:1");
    }

    #[test]
    fn blank_filter_has_no_expression() {
        assert_eq!(parse("  \n").unwrap().expr(), None);
    }

    #[test]
    fn the_parser_knows_no_fields() {
        assert_eq!(tree("anything = whatever"), "anything = whatever");
    }

    #[test]
    fn traversal_functions_and_wildcards_are_refused_as_unsupported() {
        assert_eq!(
            error("a.b = true"),
            "at column 1: traversal such as \"a.b\" is not supported: fields have no sub-fields"
        );
        assert_eq!(
            error("x = 1 AND regex(a, 'b')"),
            "at column 11: function calls such as \"regex(...)\" are not supported"
        );
        assert_eq!(error("m:*"), "at column 3: unexpected character \"*\" (wildcards are not supported)");
    }

    #[test]
    fn a_value_alone_is_refused_for_want_of_an_operator() {
        assert_eq!(
            error("Victor"),
            "at column 7: expected an operator (=, !=, <, <=, >, >= or :) after \"Victor\", found end of filter"
        );
        assert_eq!(error("a = (1 OR 2)"), "at column 5: expected a value after \"=\", found \"(\"");
    }
}
