//! Enum values as clients write them, in filters for instance: the name of the `tip.v1` enum
//! value ("REGION_AF"), the same without its prefix in any case ("AF", "af"), and for tiers
//! every spelling of the reports ("Tier 2 Watch List", "2WL"); countries by code, name or
//! resource name.

use crate::pb::{
    Completeness, EnforcementMeasure, EnforcementPeriod, Region, StandardsFinding, Tier, TierChange, TierMovement, Unit,
};
use crate::{Country, CountryRegistry, parse_tier};

/// A value that names none of what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {expected}")]
pub struct UnknownName {
    /// The value as read.
    pub value: String,
    /// What it should have named, and the names to use.
    pub expected: &'static str,
}

/// A country by ISO3 code, name or alias ("MLI", "mli", "Côte d'Ivoire"), or by resource name
/// ("countries/MLI").
pub fn country(value: &str) -> Result<&'static Country, UnknownName> {
    let value = value.strip_prefix("countries/").unwrap_or(value);
    CountryRegistry::global()
        .resolve(value)
        .ok_or_else(|| UnknownName { value: value.to_owned(), expected: "country the TIP Report ranks" })
}

/// A tier by enum name ("TIER_2_WATCH_LIST", "TIER_UNSPECIFIED" too) or as the reports write it
/// ("Tier 2 Watch List", "2WL", "Tier 3").
pub fn tier(value: &str) -> Result<Tier, UnknownName> {
    Tier::from_str_name(value).or_else(|| parse_tier(value)).ok_or_else(|| UnknownName {
        value: value.to_owned(),
        expected: "tier: use TIER_1, TIER_2, TIER_2_WATCH_LIST, TIER_3 or TIER_SPECIAL_CASE",
    })
}

/// A region by enum name or short name ("REGION_AF", "AF", "af").
pub fn region(value: &str) -> Result<Region, UnknownName> {
    prefixed(value, "REGION_", Region::from_str_name, "region: use AF, EAP, EUR, NEA, SCA or WHA")
}

/// A standards finding by enum name or short name ("FULLY_MEETS", "fully_meets").
pub fn finding(value: &str) -> Result<StandardsFinding, UnknownName> {
    prefixed(
        value,
        "STANDARDS_FINDING_",
        StandardsFinding::from_str_name,
        "finding: use FULLY_MEETS, SIGNIFICANT_EFFORTS or NOT_SIGNIFICANT_EFFORTS",
    )
}

/// A tier change by enum name or short name ("TIER_CHANGE_UPGRADED", "upgraded").
pub fn tier_change(value: &str) -> Result<TierChange, UnknownName> {
    prefixed(
        value,
        "TIER_CHANGE_",
        TierChange::from_str_name,
        "tier change: use UPGRADED, DOWNGRADED, REMAINED or PLACED",
    )
}

/// A tier history's move by enum name or short name ("TIER_MOVEMENT_UPGRADED", "after_gap").
pub fn movement(value: &str) -> Result<TierMovement, UnknownName> {
    prefixed(
        value,
        "TIER_MOVEMENT_",
        TierMovement::from_str_name,
        "movement: use UPGRADED, DOWNGRADED, UNCHANGED, FIRST_RANKED, AFTER_GAP or SPECIAL_CASE",
    )
}

/// An enforcement measure by enum name or short name ("ENFORCEMENT_MEASURE_CONVICTIONS",
/// "convictions").
pub fn measure(value: &str) -> Result<EnforcementMeasure, UnknownName> {
    prefixed(
        value,
        "ENFORCEMENT_MEASURE_",
        EnforcementMeasure::from_str_name,
        "measure: use INVESTIGATIONS, PROSECUTIONS, CONVICTIONS or VICTIMS_IDENTIFIED",
    )
}

/// What a figure counts, by enum name or short name ("UNIT_CASES", "cases").
pub fn unit(value: &str) -> Result<Unit, UnknownName> {
    prefixed(value, "UNIT_", Unit::from_str_name, "unit: use PERSONS or CASES")
}

/// The period of a figure by enum name or short name ("ENFORCEMENT_PERIOD_PREVIOUS", "previous").
pub fn period(value: &str) -> Result<EnforcementPeriod, UnknownName> {
    prefixed(value, "ENFORCEMENT_PERIOD_", EnforcementPeriod::from_str_name, "period: use REPORTING or PREVIOUS")
}

/// A completeness by enum name or short name ("COMPLETENESS_EXCERPT", "excerpt").
pub fn completeness(value: &str) -> Result<Completeness, UnknownName> {
    prefixed(value, "COMPLETENESS_", Completeness::from_str_name, "completeness: use COMPLETE, EXCERPT or TRUNCATED")
}

/// An enum value by its full name or without `prefix`, in any case; never the unspecified
/// value (numbered 0), which names no region, finding or the like.
fn prefixed<E: Copy + Into<i32>>(
    value: &str,
    prefix: &str,
    from_name: fn(&str) -> Option<E>,
    expected: &'static str,
) -> Result<E, UnknownName> {
    let upper = value.to_uppercase();
    from_name(&upper)
        .or_else(|| from_name(&format!("{prefix}{upper}")))
        .filter(|v| (*v).into() != 0)
        .ok_or_else(|| UnknownName { value: value.to_owned(), expected })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_by_enum_name_and_by_the_reports_spelling() {
        for (value, expected) in [
            ("TIER_2", Tier::Tier2),
            ("TIER_2_WATCH_LIST", Tier::Tier2WatchList),
            ("Tier 2 Watch List", Tier::Tier2WatchList),
            ("2WL", Tier::Tier2WatchList),
            ("3", Tier::Tier3),
            ("TIER_UNSPECIFIED", Tier::Unspecified),
        ] {
            assert_eq!(tier(value), Ok(expected), "{value:?}");
        }
        assert_eq!(
            tier("TIER_9").unwrap_err().to_string(),
            "\"TIER_9\" is not a tier: use TIER_1, TIER_2, TIER_2_WATCH_LIST, TIER_3 or TIER_SPECIAL_CASE"
        );
    }

    #[test]
    fn prefixed_enums_by_full_or_short_name_in_any_case_but_never_unspecified() {
        assert_eq!(region("REGION_AF"), Ok(Region::Af));
        assert_eq!(region("af"), Ok(Region::Af));
        assert_eq!(finding("fully_meets"), Ok(StandardsFinding::FullyMeets));
        assert_eq!(tier_change("Upgraded"), Ok(TierChange::Upgraded));
        assert_eq!(completeness("COMPLETENESS_EXCERPT"), Ok(Completeness::Excerpt));
        assert_eq!(
            region("UNSPECIFIED").unwrap_err().to_string(),
            "\"UNSPECIFIED\" is not a region: use AF, EAP, EUR, NEA, SCA or WHA"
        );
        assert!(completeness("REGION_AF").is_err());
    }

    #[test]
    fn countries_by_code_name_or_resource_name() {
        assert_eq!(country("mli").unwrap().iso3.as_str(), "MLI");
        assert_eq!(country("countries/MLI").unwrap().iso3.as_str(), "MLI");
        assert_eq!(country("Côte d'Ivoire").unwrap().iso3.as_str(), "CIV");
        assert_eq!(country("countries/XYZ").unwrap_err().to_string(), "\"XYZ\" is not a country the TIP Report ranks");
    }
}
