//! Properties whatever the client writes, over text made of the language's own tokens (which
//! random bytes would rarely hit): the compiler never panics; what it accepts is SQL that SQLite
//! runs with as many values as placeholders; what it refuses points inside the text; and every
//! node of a parsed filter spans a slice of the text, inside its parent's.

use proptest::prelude::*;
use rusqlite::Connection;
use rusqlite::types::Value;

use crate::{Expr, Field, FieldKind, SqlValue, compile_filter, compile_order_by, parse};

fn verbatim(value: &str) -> Result<String, String> {
    Ok(value.to_owned())
}

fn tier(value: &str) -> Result<i64, String> {
    value.strip_prefix("TIER_").and_then(|n| n.parse().ok()).ok_or_else(|| "expected TIER_n".to_owned())
}

const FIELDS: &[Field] = &[
    Field { name: "year", column: "year", kind: FieldKind::Integer },
    Field { name: "country", column: "iso3", kind: FieldKind::Text { normalize: verbatim } },
    Field { name: "tier", column: "tier_code", kind: FieldKind::Enum { parse: tier } },
];

fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "year",
        "country",
        "tier",
        "yeer",
        "=",
        "!=",
        "<",
        "<=",
        ">=",
        ":",
        "==",
        "2023",
        "-5",
        "TIER_2",
        "'MLI'",
        "\"a\\\"b\"",
        "é",
        "AND",
        "OR",
        "NOT",
        "and",
        "-",
        "(",
        ")",
        "a.b",
        "f(",
        "*",
        ";",
        "'",
        ",",
        "desc",
    ])
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec((token(), prop::sample::select(vec!["", " "])), 0..24)
        .prop_map(|parts| parts.into_iter().map(|(token, space)| format!("{token}{space}")).collect())
}

fn spans_within(text: &str, expr: &Expr) -> Result<(), TestCaseError> {
    let span = expr.span();
    prop_assert!(text.get(span.start..span.end).is_some(), "span {:?} of {}", span, expr);
    for child in expr.children() {
        let inner = child.span();
        prop_assert!(span.start <= inner.start && inner.end <= span.end, "{:?} outside {:?}", inner, span);
        spans_within(text, child)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_text_compiles_to_sql_that_runs_or_to_an_error_inside_it(text in text()) {
        let columns = text.chars().count() + 1;
        if let Ok(filter) = parse(&text) && let Some(expr) = filter.expr() {
            spans_within(&text, expr)?;
        }
        match compile_filter(&text, FIELDS) {
            Ok(filter) => {
                prop_assert_eq!(filter.sql.matches('?').count(), filter.params.len());
                let connection = Connection::open_in_memory().unwrap();
                connection.execute_batch("CREATE TABLE t (year INTEGER, iso3 TEXT, tier_code INTEGER)").unwrap();
                let params = filter.params.iter().map(|value| match value {
                    SqlValue::Integer(number) => Value::Integer(*number),
                    SqlValue::Text(text) => Value::Text(text.clone()),
                });
                let sql = format!("SELECT count(*) FROM t WHERE {}", filter.sql);
                let counted = connection.query_row(&sql, rusqlite::params_from_iter(params), |row| row.get::<_, i64>(0));
                prop_assert!(counted.is_ok(), "{} -> {}: {:?}", text, sql, counted);
            }
            Err(error) => prop_assert!((1..=columns).contains(&error.column), "{}: {}", text, error),
        }
        if let Err(error) = compile_order_by(&text, FIELDS, "year") {
            prop_assert!((1..=columns).contains(&error.column), "{}: {}", text, error);
        }
    }
}
