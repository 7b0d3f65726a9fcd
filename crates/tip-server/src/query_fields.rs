//! The fields clients may name in filters and orderings, the store columns they read, and a
//! request's filter and order_by compiled over them.

use rusqlite::types::Value;
use tip_filter::{Field, FieldKind, SqlValue, compile_filter, compile_order_by};
use tip_model::enum_names::{self, UnknownName};

use crate::error::ApiError;

/// A compiled filter whose values rusqlite binds.
pub type SqlFilter = tip_filter::SqlFilter<Value>;

// The fields several listings share, each on the column of the same name.
const YEAR: Field = Field { name: "year", column: "year", kind: FieldKind::Integer };
const COUNTRY: Field = Field { name: "country", column: "iso3", kind: FieldKind::Text { normalize: country_code } };
const REGION: Field =
    Field { name: "region", column: "region", kind: FieldKind::Enum { parse: |v| number(enum_names::region(v)) } };
const TIER: Field =
    Field { name: "tier", column: "tier", kind: FieldKind::Enum { parse: |v| number(enum_names::tier(v)) } };

/// The fields a report filter may name, and their columns.
pub const REPORT_FIELDS: &[Field] = &[
    YEAR,
    COUNTRY,
    TIER,
    REGION,
    Field { name: "finding", column: "finding", kind: FieldKind::Enum { parse: |v| number(enum_names::finding(v)) } },
    Field {
        name: "tier_change",
        column: "tier_change",
        kind: FieldKind::Enum { parse: |v| number(enum_names::tier_change(v)) },
    },
    Field {
        name: "completeness",
        column: "completeness",
        kind: FieldKind::Enum { parse: |v| number(enum_names::completeness(v)) },
    },
];

/// The fields a country filter may name, and their columns: tier and year are those of the
/// latest placement.
pub const COUNTRY_FIELDS: &[Field] =
    &[COUNTRY, REGION, Field { column: "latest_tier", ..TIER }, Field { column: "latest_year", ..YEAR }];

/// The fields a placement filter may name, and their columns.
pub const PLACEMENT_FIELDS: &[Field] = &[
    YEAR,
    COUNTRY,
    REGION,
    TIER,
    Field {
        name: "movement",
        column: "movement",
        kind: FieldKind::Enum { parse: |v| number(enum_names::movement(v)) },
    },
];

/// The fields an enforcement figure filter may name, and the columns of the rows they read.
pub const ENFORCEMENT_FIELDS: &[Field] = &[
    Field { name: "measure", column: "measure", kind: FieldKind::Enum { parse: |v| number(enum_names::measure(v)) } },
    REGION,
    COUNTRY,
    Field { name: "unit", column: "unit", kind: FieldKind::Enum { parse: |v| number(enum_names::unit(v)) } },
    Field { name: "period", column: "period", kind: FieldKind::Enum { parse: |v| number(enum_names::period(v)) } },
    Field { name: "count", column: "count", kind: FieldKind::Integer },
];

/// The stored code of a country, as `iso3` holds it.
fn country_code(value: &str) -> Result<String, String> {
    enum_names::country(value).map(|c| c.iso3.to_string()).map_err(|e| e.to_string())
}

/// The stored number of an enum value, as the enum columns hold it.
fn number<E: Into<i32>>(read: Result<E, UnknownName>) -> Result<i64, String> {
    read.map(|e| i64::from(e.into())).map_err(|e| e.to_string())
}

/// A request's filter and order_by compiled, or INVALID_ARGUMENT naming the field at fault.
pub(crate) fn compiled_query(
    filter: &str,
    order_by: &str,
    fields: &[Field],
    default_order_sql: &str,
) -> Result<(SqlFilter, String), ApiError> {
    let filter = compile_filter(filter, fields).map_err(|e| ApiError::invalid("filter", e))?;
    let order = compile_order_by(order_by, fields, default_order_sql).map_err(|e| ApiError::invalid("order_by", e))?;
    // Ties broken by the default order (the key), so that pages never overlap or skip.
    Ok((filter.map_params(sqlite_value), format!("{order}, {default_order_sql}")))
}

fn sqlite_value(value: SqlValue) -> Value {
    match value {
        SqlValue::Integer(number) => Value::Integer(number),
        SqlValue::Text(text) => Value::Text(text),
    }
}

#[cfg(test)]
mod tests {
    use tip_model::pb::{Completeness, EnforcementMeasure, EnforcementPeriod, Region, Tier, Unit};

    use super::*;
    use crate::store::Store;

    #[test]
    fn report_fields_read_the_models_names_as_the_store_holds_them() {
        let (filter, order) = compiled_query(
            "tier = \"Tier 2 Watch List\" region = af country = 'countries/mli' completeness = EXCERPT",
            "year desc",
            REPORT_FIELDS,
            "iso3 ASC",
        )
        .unwrap();
        let expected = [
            Value::Integer(Tier::Tier2WatchList as i64),
            Value::Integer(Region::Af as i64),
            Value::Text("MLI".into()),
            Value::Integer(Completeness::Excerpt as i64),
        ];
        assert_eq!(filter.params, expected);
        assert_eq!(order, "year DESC, iso3 ASC");
    }

    #[test]
    fn a_refused_filter_or_order_by_is_invalid_argument_on_that_field_with_its_column() {
        let Err(ApiError::InvalidArgument { field, description }) =
            compiled_query("tier = TIER_9", "", COUNTRY_FIELDS, "iso3 ASC")
        else {
            panic!("tier = TIER_9 was accepted")
        };
        assert_eq!(field, "filter");
        assert_eq!(
            description,
            "at column 8: invalid value \"TIER_9\" for \"tier\": \"TIER_9\" is not a tier: use TIER_1, TIER_2, \
             TIER_2_WATCH_LIST, TIER_3 or TIER_SPECIAL_CASE"
        );
        let Err(ApiError::InvalidArgument { field, .. }) = compiled_query("", "latest_year", COUNTRY_FIELDS, "iso3")
        else {
            panic!("latest_year was accepted")
        };
        assert_eq!(field, "order_by");
    }

    #[test]
    fn enforcement_fields_read_short_or_full_enum_names_in_any_case() {
        let (filter, order) = compiled_query(
            "measure = victims_identified unit = UNIT_CASES period = Previous region = af count > 3",
            "count desc",
            ENFORCEMENT_FIELDS,
            "iso3 ASC",
        )
        .unwrap();
        let expected = [
            Value::Integer(EnforcementMeasure::VictimsIdentified as i64),
            Value::Integer(Unit::Cases as i64),
            Value::Integer(EnforcementPeriod::Previous as i64),
            Value::Integer(Region::Af as i64),
            Value::Integer(3),
        ];
        assert_eq!(filter.params, expected);
        assert_eq!(order, "count DESC, iso3 ASC");
        for refused in ["measure = ARRESTS", "measure = UNSPECIFIED", "unit = UNIT_UNSPECIFIED", "period = NEXT"] {
            let Err(ApiError::InvalidArgument { field, description }) =
                compiled_query(refused, "", ENFORCEMENT_FIELDS, "iso3 ASC")
            else {
                panic!("{refused} was accepted")
            };
            assert_eq!(field, "filter");
            assert!(description.contains("use "), "{refused}: {description}");
        }
    }

    /// Search joins every match to this index, not to the wide report rows: a filter on a
    /// column it lacks would read those rows again.
    #[test]
    fn the_search_index_holds_every_column_a_report_filter_names() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("tip.sqlite");
        Store::open(&path).unwrap();
        let connection = rusqlite::Connection::open(&path).unwrap();
        let mut statement = connection.prepare("SELECT name FROM pragma_index_info('reports_search_columns')").unwrap();
        let columns: Vec<String> = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
        for field in REPORT_FIELDS {
            assert!(columns.iter().any(|c| c == field.column), "{} is not in {columns:?}", field.column);
        }
    }
}
