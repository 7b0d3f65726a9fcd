//! Feeds arbitrary text to the AIP-160 filter and order_by compilers of tip-filter, over the
//! server's report fields. A panic is a finding, and so is compiled SQL that SQLite refuses or
//! whose placeholders do not match its values, or an AST node whose span is not a slice of the
//! text: the compiler must turn any text into either a precise error or SQL that runs.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use tip_filter::{Expr, SqlValue, compile_filter, compile_order_by, parse};
use tip_server::query_fields::REPORT_FIELDS;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    let connection = Connection::open_in_memory().unwrap();
    connection
        .execute_batch(
            "CREATE TABLE reports (iso3 TEXT, year INTEGER, tier INTEGER, region INTEGER, finding INTEGER,
                                   tier_change INTEGER, completeness INTEGER);
             INSERT INTO reports VALUES ('MLI', 2023, 2, 1, 2, 1, 2);",
        )
        .unwrap();
    if let Ok(filter) = parse(&text)
        && let Some(expr) = filter.expr()
    {
        assert_spans_within(&text, expr);
    }
    if let Ok(filter) = compile_filter(&text, REPORT_FIELDS) {
        assert_eq!(filter.sql.matches('?').count(), filter.params.len(), "{filter:?}");
        let sql = format!("SELECT count(*) FROM reports WHERE {}", filter.sql);
        let params = filter.params.iter().map(|value| match value {
            SqlValue::Integer(number) => Value::Integer(*number),
            SqlValue::Text(text) => Value::Text(text.clone()),
        });
        let counted: rusqlite::Result<i64> = connection.query_row(&sql, params_from_iter(params), |row| row.get(0));
        assert!(counted.is_ok(), "{text:?} compiled to SQL that SQLite refuses: {sql}: {counted:?}");
    }
    if let Ok(order) = compile_order_by(&text, REPORT_FIELDS, "iso3 ASC") {
        let sql = format!("SELECT iso3 FROM reports ORDER BY {order}");
        assert!(connection.prepare(&sql).is_ok(), "{text:?} compiled to an ORDER BY SQLite refuses: {sql}");
    }
});

/// Every node's span is a slice of `text`, inside its parent's.
fn assert_spans_within(text: &str, expr: &Expr) {
    let span = expr.span();
    assert!(text.get(span.start..span.end).is_some(), "{text:?}: span {span:?} of {expr}");
    for child in expr.children() {
        let inner = child.span();
        assert!(span.start <= inner.start && inner.end <= span.end, "{text:?}: {inner:?} outside {span:?}");
        assert_spans_within(text, child);
    }
}
