//! The filter AST: what the client wrote, with the byte span of every node, and nothing of SQL.

use std::fmt;

use crate::column_of;

/// A byte range of the client's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// The 1-based character column where the span starts in `src`.
    pub fn column(self, src: &str) -> usize {
        column_of(src, self.start)
    }
}

/// A parsed filter: the client's text and its expression (none for a blank filter).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter<'a> {
    pub(crate) source: &'a str,
    pub(crate) expr: Option<Expr>,
}

impl<'a> Filter<'a> {
    /// The text the filter was parsed from; spans index into it.
    pub fn source(&self) -> &'a str {
        self.source
    }

    /// The expression; `None` when the filter is blank and keeps everything.
    pub fn expr(&self) -> Option<&Expr> {
        self.expr.as_ref()
    }
}

/// A boolean expression of the filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `field op value`.
    Restriction(Restriction),
    /// `NOT operand` or `-operand`; `operator` is the span of the `NOT` or `-`.
    Not { operator: Span, operand: Box<Expr> },
    /// `( inner )`; `span` covers both parentheses.
    Group { span: Span, inner: Box<Expr> },
    /// Two or more operands joined by `AND` or by juxtaposition, in the order written.
    And(Vec<Expr>),
    /// Two or more operands joined by `OR`, in the order written.
    Or(Vec<Expr>),
}

impl Expr {
    /// The part of the client's text this expression was read from.
    pub fn span(&self) -> Span {
        match self {
            Expr::Restriction(r) => r.span(),
            Expr::Not { operator, operand } => operator.to(operand.span()),
            Expr::Group { span, .. } => *span,
            Expr::And(operands) | Expr::Or(operands) => {
                let first = operands.first().expect("AND and OR have operands").span();
                first.to(operands.last().expect("AND and OR have operands").span())
            }
        }
    }

    /// The expressions directly inside this one, in the order written.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Restriction(_) => Vec::new(),
            Expr::Not { operand, .. } => vec![operand],
            Expr::Group { inner, .. } => vec![inner],
            Expr::And(operands) | Expr::Or(operands) => operands.iter().collect(),
        }
    }
}

/// Shows the structure as an S-expression, such as `(AND year = 2023 (OR tier = 2 tier = 3))`;
/// parentheses the client wrote are not shown, as they only shape the tree.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, name: &str, operands: &[Expr]| {
            write!(f, "({name}")?;
            operands.iter().try_for_each(|operand| write!(f, " {operand}"))?;
            write!(f, ")")
        };
        match self {
            Expr::Restriction(r) => write!(f, "{} {} {}", r.field.name, r.comparator.op.symbol(), r.value.text),
            Expr::Not { operand, .. } => write!(f, "(NOT {operand})"),
            Expr::Group { inner, .. } => write!(f, "{inner}"),
            Expr::And(operands) => list(f, "AND", operands),
            Expr::Or(operands) => list(f, "OR", operands),
        }
    }
}

/// `field op value`, such as `year >= 2020`.
#[derive(Debug, Clone, PartialEq)]
pub struct Restriction {
    pub field: Ident,
    pub comparator: Comparator,
    pub value: Value,
}

impl Restriction {
    /// From the field to the end of the value.
    pub fn span(&self) -> Span {
        self.field.span.to(self.value.span)
    }
}

/// A field name as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A comparison operator and where it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comparator {
    pub op: Op,
    pub span: Span,
}

/// The comparison operators of AIP-160.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    Less,
    LessOrEquals,
    Greater,
    GreaterOrEquals,
    /// `:`, AIP-160's "has"; on a field holding one value it means equality.
    Has,
}

impl Op {
    /// The operator as the client writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Equals => "=",
            Op::NotEquals => "!=",
            Op::Less => "<",
            Op::LessOrEquals => "<=",
            Op::Greater => ">",
            Op::GreaterOrEquals => ">=",
            Op::Has => ":",
        }
    }
}

/// A value as the client wrote it: a bare word, or a quoted string with its escapes decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    /// Covers the quotes of a quoted string.
    pub span: Span,
}
