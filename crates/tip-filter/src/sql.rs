//! From the AST to parameterized SQL, over the server's [`Field`] table.

use std::num::IntErrorKind;

use crate::ast::{Expr, Filter, Ident, Restriction, Value};
use crate::order_by::{Direction, OrderBy};
use crate::{FilterError, is_keyword, order_by, parser, quote};

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

/// The value of a `?` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    Integer(i64),
    Text(String),
}

impl From<i64> for SqlValue {
    fn from(value: i64) -> Self {
        SqlValue::Integer(value)
    }
}

impl From<String> for SqlValue {
    fn from(value: String) -> Self {
        SqlValue::Text(value)
    }
}

/// A compiled filter: a SQL boolean expression with `?` placeholders and its values in order.
///
/// The expression is safe to embed anywhere a boolean is expected, including next to other
/// conditions joined with `AND` (a top-level `OR` comes wrapped in parentheses). `V` is the
/// type of the values: [`SqlValue`] here, the database driver's own after [`SqlFilter::map_params`].
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter<V = SqlValue> {
    /// The boolean expression, e.g. `(year >= ?) AND (tier = ?)`; `1` for an empty filter.
    pub sql: String,
    /// The values of the `?` placeholders, in order.
    pub params: Vec<V>,
}

impl<V> Default for SqlFilter<V> {
    /// The filter that keeps everything.
    fn default() -> Self {
        Self { sql: "1".to_owned(), params: Vec::new() }
    }
}

impl<V> SqlFilter<V> {
    /// This filter and one more condition of the server's own (`condition` holds one `?`).
    pub fn and(mut self, condition: &str, value: impl Into<V>) -> Self {
        self.sql = format!("({}) AND ({condition})", self.sql);
        self.params.push(value.into());
        self
    }

    /// The same filter with its values turned into another type, such as a driver's.
    pub fn map_params<W>(self, convert: impl FnMut(V) -> W) -> SqlFilter<W> {
        SqlFilter { sql: self.sql, params: self.params.into_iter().map(convert).collect() }
    }
}

/// Parses an AIP-160 `filter` and compiles it over `fields` to a parameterized SQL expression.
/// An empty or blank filter compiles to `1` (true) without parameters.
pub fn compile_filter(filter: &str, fields: &[Field]) -> Result<SqlFilter, FilterError> {
    match parser::parse_reading(filter) {
        Ok(parsed) => filter_sql(&parsed, fields),
        Err(incomplete) => {
            // Errors come in the order of the text: a field or value read before the syntax
            // error is reported first.
            let mut compiler = Compiler { src: filter, fields, params: Vec::new() };
            for read in &incomplete.read {
                let field = find_field(filter, fields, &read.field, read.alone)?;
                if let Some(value) = &read.value {
                    compiler.bind(field, value)?;
                }
            }
            Err(incomplete.error)
        }
    }
}

/// Compiles a parsed filter over `fields`: every field must be one of them and every value
/// must read as its field's. A blank filter compiles to `1` (true).
pub fn filter_sql(filter: &Filter<'_>, fields: &[Field]) -> Result<SqlFilter, FilterError> {
    let Some(expr) = filter.expr() else { return Ok(SqlFilter::default()) };
    let mut compiler = Compiler { src: filter.source(), fields, params: Vec::new() };
    let sql = compiler.expr(expr)?;
    // A top-level OR is wrapped so that callers may write `... AND {sql}` safely.
    let sql = if matches!(expr, Expr::Or(_)) { format!("({sql})") } else { sql };
    Ok(SqlFilter { sql, params: compiler.params })
}

/// Parses an AIP-132 `order_by` and compiles it over `fields` to a SQL ordering such as
/// `year DESC, iso3 ASC`. An empty or blank `order_by` gives `default` unchanged.
pub fn compile_order_by(order_by: &str, fields: &[Field], default: &str) -> Result<String, FilterError> {
    match order_by::parse_reading(order_by) {
        Ok(parsed) => order_by_sql(&parsed, fields, default),
        Err(incomplete) => {
            // As for filters: an unknown or repeated field before the syntax error comes first.
            ordered_fields(order_by, incomplete.read.iter(), fields)?;
            Err(incomplete.error)
        }
    }
}

/// Compiles a parsed `order_by` over `fields`; without terms it gives `default` unchanged.
pub fn order_by_sql(order_by: &OrderBy<'_>, fields: &[Field], default: &str) -> Result<String, FilterError> {
    if order_by.terms().is_empty() {
        return Ok(default.to_owned());
    }
    let columns = ordered_fields(order_by.source(), order_by.terms().iter().map(|term| &term.field), fields)?;
    let terms = columns.iter().zip(order_by.terms()).map(|(field, term)| {
        let direction = match term.direction {
            Direction::Ascending => "ASC",
            Direction::Descending => "DESC",
        };
        format!("{} {direction}", field.column)
    });
    Ok(terms.collect::<Vec<_>>().join(", "))
}

/// The fields `names` name, each once at most.
fn ordered_fields<'f, 'n>(
    src: &str,
    names: impl Iterator<Item = &'n Ident>,
    fields: &'f [Field],
) -> Result<Vec<&'f Field>, FilterError> {
    let mut seen: Vec<(&Field, &Ident)> = Vec::new();
    for name in names {
        let field = find_field(src, fields, name, false)?;
        if let Some((_, first)) = seen.iter().find(|(f, _)| f.name == field.name) {
            return Err(FilterError::at(
                src,
                name.span.start,
                format!("duplicate field {} (already ordered at column {})", quote(&name.name), first.span.column(src)),
            ));
        }
        seen.push((field, name));
    }
    Ok(seen.into_iter().map(|(field, _)| field).collect())
}

/// The field `name` names, or an error listing the fields there are. `alone` says that no
/// operator followed the name, so the client may have meant a value alone.
fn find_field<'f>(src: &str, fields: &'f [Field], name: &Ident, alone: bool) -> Result<&'f Field, FilterError> {
    fields.iter().find(|f| f.name == name.name).ok_or_else(|| {
        let names = fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
        let upper = name.name.to_ascii_uppercase();
        let hint = if is_keyword(&upper) {
            format!(" (keywords are upper case: {upper})")
        } else if alone {
            " (a value alone is not supported: write field = value)".to_owned()
        } else {
            String::new()
        };
        FilterError::at(src, name.span.start, format!("unknown field {}; fields: {names}{hint}", quote(&name.name)))
    })
}

/// Writes SQL for an expression, collecting its parameters in the order of the text.
struct Compiler<'a> {
    src: &'a str,
    fields: &'a [Field],
    params: Vec<SqlValue>,
}

impl<'a> Compiler<'a> {
    /// Reads `value` as `field` reads it and binds it as the next parameter.
    fn bind(&mut self, field: &Field, value: &Value) -> Result<(), FilterError> {
        let text = value.text.as_str();
        let invalid = |message: String| FilterError::at(self.src, value.span.start, message);
        let bound = match field.kind {
            FieldKind::Integer => text.parse::<i64>().map(SqlValue::Integer).map_err(|e| match e.kind() {
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
                .map(SqlValue::Text)
                .map_err(|m| invalid(format!("invalid value {} for {}: {m}", quote(text), quote(field.name))))?,
            FieldKind::Enum { parse } => parse(text)
                .map(SqlValue::Integer)
                .map_err(|m| invalid(format!("invalid value {} for {}: {m}", quote(text), quote(field.name))))?,
        };
        self.params.push(bound);
        Ok(())
    }

    /// SQL for `expr`. Restrictions and groups come in parentheses; an OR inside an AND gets
    /// them too, since SQL binds AND tighter than OR where AIP-160 does the opposite.
    fn expr(&mut self, expr: &Expr) -> Result<String, FilterError> {
        Ok(match expr {
            Expr::Restriction(restriction) => self.restriction(restriction)?,
            Expr::Not { operand, .. } => format!("NOT {}", self.expr(operand)?),
            Expr::Group { inner, .. } => format!("({})", self.expr(inner)?),
            Expr::And(operands) => self.operands(operands, " AND ")?,
            Expr::Or(operands) => self.operands(operands, " OR ")?,
        })
    }

    /// The operands of an AND or OR joined by `joiner`, an AND or OR among them in parentheses.
    fn operands(&mut self, operands: &[Expr], joiner: &str) -> Result<String, FilterError> {
        let mut terms = Vec::with_capacity(operands.len());
        for operand in operands {
            let sql = self.expr(operand)?;
            terms.push(if matches!(operand, Expr::And(_) | Expr::Or(_)) { format!("({sql})") } else { sql });
        }
        Ok(terms.join(joiner))
    }

    /// `(column op ?)`, with the value bound.
    fn restriction(&mut self, restriction: &Restriction) -> Result<String, FilterError> {
        use crate::Op::*;
        let field = find_field(self.src, self.fields, &restriction.field, false)?;
        self.bind(field, &restriction.value)?;
        let op = match restriction.comparator.op {
            Equals | Has => "=",
            NotEquals => "<>",
            Less => "<",
            LessOrEquals => "<=",
            Greater => ">",
            GreaterOrEquals => ">=",
        };
        Ok(format!("({} {op} ?)", field.column))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;
    use rusqlite::types::Value;

    /// The rusqlite value of a parameter, as the server binds it.
    fn sqlite(value: &SqlValue) -> Value {
        match value {
            SqlValue::Integer(i) => Value::Integer(*i),
            SqlValue::Text(t) => Value::Text(t.clone()),
        }
    }

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
            .query_map(rusqlite::params_from_iter(filter.params.iter().map(sqlite)), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
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
        assert_eq!(compile_filter("year = -2023", FIELDS).unwrap().params, vec![SqlValue::Integer(-2023)]);
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
    fn or_binds_tighter_than_and_as_aip_160_says() {
        // a OR b AND c == (a OR b) AND c: only 2023 NER.
        assert_eq!(rows("year = 2020 OR year = 2023 AND country = NER"), r(&[(2023, "NER")]));
        assert_eq!(
            compile_filter("year = 2020 OR year = 2023 AND country = NER", FIELDS).unwrap().sql,
            "((year = ?) OR (year = ?)) AND (iso3 = ?)"
        );
        // a AND b OR c == a AND (b OR c): the 2023 rows on tier 2 or of Mali.
        assert_eq!(rows("year = 2023 AND tier = TIER_2 OR country = MLI"), r(&[(2023, "MLI"), (2023, "NER")]));
        // The SQL reading, a OR (b AND c), must be asked for with parentheses.
        assert_eq!(rows("year = 2020 OR (year = 2023 AND country = NER)"), r(&[(2020, "BFA"), (2023, "NER")]));
    }

    #[test]
    fn comparisons_side_by_side_are_joined_by_and() {
        assert_eq!(rows("year = 2023 tier = TIER_2"), rows("year = 2023 AND tier = TIER_2"));
        assert_eq!(rows("year = 2023 -country = MLI"), r(&[(2023, "CIV"), (2023, "NER")]));
        assert_eq!(
            compile_filter("year = 2023 tier = TIER_1 OR tier = TIER_2", FIELDS).unwrap().sql,
            "(year = ?) AND ((tier_code = ?) OR (tier_code = ?))"
        );
    }

    #[test]
    fn generated_sql_uses_field_columns_placeholders_and_params_in_order() {
        let compiled = compile_filter("year >= 2020 AND NOT (tier = TIER_2 OR country != 'ner')", FIELDS).unwrap();
        assert_eq!(compiled.sql, "(year >= ?) AND NOT ((tier_code = ?) OR (iso3 <> ?))");
        assert_eq!(compiled.params, vec![SqlValue::Integer(2020), SqlValue::Integer(2), SqlValue::Text("NER".into())]);
        assert_eq!(compile_filter("NOT year = 1", FIELDS).unwrap().sql, "NOT (year = ?)");
    }

    #[test]
    fn top_level_or_is_wrapped_so_callers_can_and_it_with_other_conditions() {
        let compiled = compile_filter("year = 2020 OR year = 2021", FIELDS).unwrap();
        assert_eq!(compiled.sql, "((year = ?) OR (year = ?))");
        let conn = db();
        let sql = format!("SELECT count(*) FROM t WHERE tier_code = 3 AND {}", compiled.sql);
        let count: i64 = conn
            .query_row(&sql, rusqlite::params_from_iter(compiled.params.iter().map(sqlite)), |row| row.get(0))
            .unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn string_escapes_are_decoded_and_bound_as_one_value() {
        let compiled = compile_filter(r#"name = "Cote d\'Ivoire""#, FIELDS_WITH_NAME).unwrap();
        assert_eq!(run(&db(), &compiled), r(&[(2023, "CIV")]));
        let compiled = compile_filter(r#"name = 'Cote d\'Ivoire'"#, FIELDS_WITH_NAME).unwrap();
        assert_eq!(run(&db(), &compiled), r(&[(2023, "CIV")]));
        let compiled = compile_filter(r#"name = "a\"b\\c\nd\te\rf""#, FIELDS_WITH_NAME).unwrap();
        assert_eq!(compiled.params, vec![SqlValue::Text("a\"b\\c\nd\te\rf".into())]);
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
    fn lowercase_keywords_are_refused_with_a_hint() {
        // "and" is read as the field of a comparison side by side with the first (implicit AND).
        assert_eq!(
            err("year = 2023 and tier = TIER_2").to_string(),
            "at column 13: unknown field \"and\"; fields: year, country, tier (keywords are upper case: AND)"
        );
        assert_eq!(
            err("year = 1 or tier = TIER_1").to_string(),
            "at column 10: unknown field \"or\"; fields: year, country, tier (keywords are upper case: OR)"
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

    #[test]
    fn a_field_or_value_fault_before_a_syntax_error_is_reported_first() {
        assert_eq!(err("yeer == 1").column, 1);
        assert_eq!(err("year = 20x3 AND (").column, 8);
        assert_eq!(err("year = 1 AND (tier = TIER_9").column, 22);
        assert_eq!(order_err("yeer down").column, 1);
        assert_eq!(
            order_err("year, year down").to_string(),
            "at column 7: duplicate field \"year\" (already ordered at column 1)"
        );
    }

    // ---- the two steps apart ----

    #[test]
    fn a_parsed_filter_compiles_over_any_field_table() {
        let parsed = crate::parse("tier = TIER_2 OR country = ner").unwrap();
        let compiled = filter_sql(&parsed, FIELDS).unwrap();
        assert_eq!(compiled.sql, "((tier_code = ?) OR (iso3 = ?))");
        assert_eq!(compiled.params, vec![SqlValue::Integer(2), SqlValue::Text("NER".into())]);
        let error = filter_sql(&parsed, &FIELDS[..2]).unwrap_err();
        assert_eq!(error.to_string(), "at column 1: unknown field \"tier\"; fields: year, country");
    }

    #[test]
    fn server_conditions_are_anded_and_params_take_the_drivers_type() {
        let compiled = compile_filter("year = 2020 OR year = 2023", FIELDS).unwrap().and("iso3 = ?", "MLI".to_owned());
        assert_eq!(compiled.sql, "(((year = ?) OR (year = ?))) AND (iso3 = ?)");
        let driver = compiled.map_params(|v| sqlite(&v));
        assert_eq!(driver.params, vec![Value::Integer(2020), Value::Integer(2023), Value::Text("MLI".into())]);
        assert_eq!(SqlFilter::<Value>::default().sql, "1");
    }

    #[test]
    fn a_parsed_order_by_compiles_apart() {
        let parsed = crate::parse_order_by("tier desc").unwrap();
        assert_eq!(order_by_sql(&parsed, FIELDS, "x").unwrap(), "tier_code DESC");
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
