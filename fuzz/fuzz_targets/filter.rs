//! Feeds arbitrary text to the AIP-160 filter and order_by compilers. A panic is a finding, and
//! so is compiled SQL that SQLite refuses or whose placeholders do not match its values: the
//! compiler must turn any text into either a precise error or SQL that runs.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rusqlite::{Connection, params_from_iter};
use tip_server::catalog::REPORT_FIELDS;
use tip_server::filter::{compile_filter, compile_order_by};

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
    if let Ok(filter) = compile_filter(&text, REPORT_FIELDS) {
        assert_eq!(filter.sql.matches('?').count(), filter.params.len(), "{filter:?}");
        let sql = format!("SELECT count(*) FROM reports WHERE {}", filter.sql);
        let counted: rusqlite::Result<i64> =
            connection.query_row(&sql, params_from_iter(filter.params.iter()), |row| row.get(0));
        assert!(counted.is_ok(), "{text:?} compiled to SQL that SQLite refuses: {sql}: {counted:?}");
    }
    if let Ok(order) = compile_order_by(&text, REPORT_FIELDS, "iso3 ASC") {
        let sql = format!("SELECT iso3 FROM reports ORDER BY {order}");
        assert!(connection.prepare(&sql).is_ok(), "{text:?} compiled to an ORDER BY SQLite refuses: {sql}");
    }
});
