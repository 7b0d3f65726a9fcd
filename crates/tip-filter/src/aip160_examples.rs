//! The examples of the AIP-160 text (https://google.aip.dev/160), one by one, in the order the
//! text gives them: those that apply to fields like ours compile to the SQL they mean; the
//! others parse to the tree AIP-160 gives them, or are refused with an error that says what is
//! not supported.

use crate::{Field, FieldKind, SqlFilter, SqlValue, compile_filter, parse};

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
        "TIER_3" => Ok(3),
        _ => Err("expected TIER_1, TIER_2 or TIER_3".to_owned()),
    }
}

const FIELDS: &[Field] = &[
    Field { name: "year", column: "year", kind: FieldKind::Integer },
    Field { name: "country", column: "iso3", kind: FieldKind::Text { normalize: iso3 } },
    Field { name: "tier", column: "tier", kind: FieldKind::Enum { parse: tier } },
];

fn sql(filter: &str) -> String {
    compile_filter(filter, FIELDS).unwrap_or_else(|e| panic!("{filter:?}: {e}")).sql
}

fn compiled(filter: &str) -> SqlFilter {
    compile_filter(filter, FIELDS).unwrap_or_else(|e| panic!("{filter:?}: {e}"))
}

fn error(filter: &str) -> String {
    match compile_filter(filter, FIELDS) {
        Ok(compiled) => panic!("{filter:?} compiled to {compiled:?}"),
        Err(e) => e.to_string(),
    }
}

/// The tree of a filter over any names, for the examples whose fields we lack.
fn tree(filter: &str) -> String {
    parse(filter).unwrap_or_else(|e| panic!("{filter:?}: {e}")).expr().expect("not blank").to_string()
}

// ---- Literals ----

#[test]
fn bare_literals_42_and_hugo_are_refused_as_values_alone() {
    assert_eq!(
        error("42"),
        "at column 1: unknown field \"42\"; fields: year, country, tier (a value alone is not supported: write field = value)"
    );
    assert_eq!(
        error("Hugo"),
        "at column 1: unknown field \"Hugo\"; fields: year, country, tier (a value alone is not supported: write field = value)"
    );
}

#[test]
fn victor_hugo_is_refused_at_victor_and_juxtaposed_comparisons_mean_and() {
    assert_eq!(
        error("Victor Hugo"),
        "at column 1: unknown field \"Victor\"; fields: year, country, tier (a value alone is not supported: write field = value)"
    );
    // "Victor Hugo is roughly equivalent to Victor AND Hugo", with comparisons for literals.
    assert_eq!(compiled("year = 2023 country = MLI"), compiled("year = 2023 AND country = MLI"));
}

// ---- Logical operators ----

#[test]
fn a_and_b() {
    assert_eq!(sql("year = 2023 AND tier = TIER_2"), "(year = ?) AND (tier = ?)");
}

#[test]
fn a_or_b_or_c() {
    assert_eq!(sql("tier = TIER_1 OR tier = TIER_2 OR tier = TIER_3"), "((tier = ?) OR (tier = ?) OR (tier = ?))");
}

#[test]
fn a_and_b_or_c_evaluates_a_and_b_or_c_in_parentheses() {
    assert_eq!(tree("a = 1 AND b = 2 OR c = 3"), "(AND a = 1 (OR b = 2 c = 3))");
    assert_eq!(tree("a = 1 AND b = 2 OR c = 3"), tree("a = 1 AND (b = 2 OR c = 3)"));
    assert_eq!(sql("year = 2023 AND tier = TIER_2 OR tier = TIER_3"), "(year = ?) AND ((tier = ?) OR (tier = ?))");
}

// ---- Negation operators ----

#[test]
fn not_a_and_minus_a_are_interchangeable() {
    assert_eq!(sql("NOT year = 2023"), "NOT (year = ?)");
    assert_eq!(compiled("-year = 2023"), compiled("NOT year = 2023"));
    assert_eq!(compiled("-(year = 2023 OR tier = TIER_3)"), compiled("NOT (year = 2023 OR tier = TIER_3)"));
}

// ---- Comparison operators ----

#[test]
fn a_equals_true_has_no_boolean_field_here_and_true_is_no_number() {
    assert_eq!(tree("a = true"), "a = true");
    assert_eq!(
        error("year = true"),
        "at column 8: invalid number \"true\" for \"year\": expected a whole number such as 2023"
    );
}

#[test]
fn a_not_equals_42() {
    let filter = compiled("year != 2023");
    assert_eq!((filter.sql.as_str(), filter.params), ("(year <> ?)", vec![SqlValue::Integer(2023)]));
}

#[test]
fn a_less_than_42() {
    assert_eq!(sql("year < 2023"), "(year < ?)");
}

#[test]
fn a_greater_than_foo_is_lexical_on_text() {
    let filter = compiled("country > \"bfa\"");
    assert_eq!((filter.sql.as_str(), filter.params), ("(iso3 > ?)", vec![SqlValue::Text("BFA".into())]));
}

#[test]
fn a_at_most_foo() {
    assert_eq!(sql("country <= \"MLI\""), "(iso3 <= ?)");
}

#[test]
fn a_at_least_42() {
    assert_eq!(sql("year >= 2020"), "(year >= ?)");
}

#[test]
fn field_names_must_be_on_the_left() {
    assert_eq!(error("2023 = year"), "at column 1: unknown field \"2023\"; fields: year, country, tier");
}

#[test]
fn enums_take_their_names_and_numbers_take_integers() {
    assert_eq!(compiled("tier = TIER_2").params, vec![SqlValue::Integer(2)]);
    assert_eq!(
        error("year = 2.997e9"),
        "at column 8: invalid number \"2.997e9\" for \"year\": expected a whole number such as 2023"
    );
}

#[test]
fn durations_and_timestamps_have_no_field_here() {
    assert_eq!(tree("a = 20s"), "a = 20s");
    assert_eq!(tree("a = \"2012-04-21T11:30:00-04:00\""), "a = 2012-04-21T11:30:00-04:00");
    assert_eq!(
        error("year = \"2012-04-21T11:30:00-04:00\""),
        "at column 8: invalid number \"2012-04-21T11:30:00-04:00\" for \"year\": expected a whole number such as 2023"
    );
}

#[test]
fn wildcard_string_ends_with_foo_is_not_supported() {
    assert_eq!(
        error("country = \"*.foo\""),
        "at column 11: invalid value \"*.foo\" for \"country\": expected a 3-letter country code such as MLI"
    );
    assert_eq!(error("country = *.foo"), "at column 11: unexpected character \"*\" (wildcards are not supported)");
}

// ---- Traversal operator ----

#[test]
fn traversal_a_b_and_a_b_c_is_not_supported() {
    for (filter, path) in [("a.b = true", "a.b"), ("a.b > 42", "a.b"), ("a.b.c = \"foo\"", "a.b.c")] {
        assert_eq!(
            error(filter),
            format!("at column 1: traversal such as \"{path}\" is not supported: fields have no sub-fields")
        );
    }
}

// ---- Has operator ----

#[test]
fn has_on_a_field_of_one_value_is_equality() {
    // `r:42` on a repeated field and `m.foo:42` on a map: our fields hold one value each.
    assert_eq!(compiled("year:2023"), compiled("year = 2023"));
    assert_eq!(tree("r:42"), "r : 42");
    assert_eq!(
        error("r.foo:42"),
        "at column 1: traversal such as \"r.foo\" is not supported: fields have no sub-fields"
    );
}

#[test]
fn map_keys_and_presence_are_not_supported() {
    assert_eq!(tree("m:foo"), "m : foo");
    assert_eq!(
        error("m.foo:*"),
        "at column 1: traversal such as \"m.foo\" is not supported: fields have no sub-fields"
    );
    assert_eq!(
        error("m.foo:42"),
        "at column 1: traversal such as \"m.foo\" is not supported: fields have no sub-fields"
    );
    assert_eq!(error("year:*"), "at column 6: unexpected character \"*\" (wildcards are not supported)");
}

#[test]
fn elements_of_repeated_fields_are_not_valid_filters() {
    assert_eq!(
        error("e.0.foo = 42"),
        "at column 1: traversal such as \"e.0.foo\" is not supported: fields have no sub-fields"
    );
    assert_eq!(error("e[0].foo = 42"), "at column 2: unexpected character \"[\" (quote values that contain it)");
}

// ---- Functions ----

#[test]
fn function_calls_are_not_supported() {
    assert_eq!(error("call(year)"), "at column 1: function calls such as \"call(...)\" are not supported");
    assert_eq!(
        error("year = 2023 AND regex(country, \"M.*\")"),
        "at column 17: function calls such as \"regex(...)\" are not supported"
    );
}

// ---- Limitations ----

#[test]
fn limits_on_the_number_of_operators_are_errors_with_a_column() {
    let many = vec!["year = 2023"; 51].join(" OR ");
    assert_eq!(error(&many), "at column 751: too many comparisons: at most 50 are allowed");
}
