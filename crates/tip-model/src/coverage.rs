//! How complete the tier placements are: per report year, the countries with a known placement
//! and the sources behind them, and the gaps, a year with no placement for a country ranked both
//! before and after it (a country not yet ranked, or no longer, is not missing).

use std::collections::{BTreeMap, BTreeSet};

use crate::Iso3;
use crate::history::{ReportVerdict, TablePlacement};
use crate::pb::Tier;

/// One report year's coverage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct YearCoverage {
    /// The report year.
    pub year: i32,
    /// Countries with at least one placement that year.
    pub placed: usize,
    /// Placements per source (a country placed by two sources counts for both).
    pub by_source: BTreeMap<String, usize>,
    /// Countries ranked before and after this year but with no placement in it, by code.
    pub missing: Vec<Iso3>,
}

/// The years strictly between a country's first and last placement in which it has none.
pub fn gap_years(years: &BTreeSet<i32>) -> impl Iterator<Item = i32> + '_ {
    let span = match (years.first(), years.last()) {
        (Some(&first), Some(&last)) => first..last,
        _ => 0..0,
    };
    span.filter(|year| !years.contains(year))
}

/// The coverage of every report year from the first placement to the last, from
/// `(country, year, source)` triples.
pub fn coverage<'a>(placements: impl IntoIterator<Item = (Iso3, i32, &'a str)>) -> Vec<YearCoverage> {
    let mut years: BTreeMap<i32, (BTreeSet<Iso3>, BTreeMap<String, usize>)> = BTreeMap::new();
    let mut by_country: BTreeMap<Iso3, BTreeSet<i32>> = BTreeMap::new();
    for (iso3, year, source) in placements {
        let (placed, sources) = years.entry(year).or_default();
        placed.insert(iso3);
        *sources.entry(source.to_owned()).or_default() += 1;
        by_country.entry(iso3).or_default().insert(year);
    }
    let (Some(&first), Some(&last)) = (years.keys().next(), years.keys().next_back()) else {
        return Vec::new();
    };
    let mut missing: BTreeMap<i32, Vec<Iso3>> = BTreeMap::new();
    for (iso3, placed_years) in &by_country {
        for year in gap_years(placed_years) {
            missing.entry(year).or_default().push(*iso3);
        }
    }
    (first..=last)
        .map(|year| {
            let (placed, by_source) = years.remove(&year).unwrap_or_default();
            YearCoverage { year, placed: placed.len(), by_source, missing: missing.remove(&year).unwrap_or_default() }
        })
        .collect()
}

/// The coverage of the stored placements and narratives, a narrative counting as the source
/// "narrative"; rows without a tier place nothing.
pub fn placement_coverage(placements: &[TablePlacement], verdicts: &[ReportVerdict]) -> Vec<YearCoverage> {
    let tables = placements.iter().filter(|p| p.tier != Tier::Unspecified).map(|p| (p.iso3, p.year, p.source.as_str()));
    let narratives = verdicts.iter().filter(|v| v.tier != Tier::Unspecified).map(|v| (v.iso3, v.year, "narrative"));
    coverage(tables.chain(narratives))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso3(code: &str) -> Iso3 {
        Iso3::parse(code).unwrap()
    }

    #[test]
    fn gaps_are_years_between_the_first_and_last_placement() {
        let years = BTreeSet::from([2001, 2002, 2005, 2006]);
        assert_eq!(gap_years(&years).collect::<Vec<_>>(), [2003, 2004]);
        assert_eq!(gap_years(&BTreeSet::new()).count(), 0);
        assert_eq!(gap_years(&BTreeSet::from([2019])).count(), 0);
    }

    #[test]
    fn counts_countries_once_sources_each_and_lists_the_gaps() {
        let rows = [
            (iso3("MLI"), 2018, "table_a"),
            (iso3("MLI"), 2018, "narrative"),
            (iso3("MLI"), 2020, "table_a"),
            (iso3("TUN"), 2018, "table_a"),
            (iso3("TUN"), 2019, "table_b"),
            (iso3("VUT"), 2020, "table_a"),
        ];
        let years = coverage(rows);
        assert_eq!(years.iter().map(|y| y.year).collect::<Vec<_>>(), [2018, 2019, 2020]);
        assert_eq!(years[0].placed, 2);
        assert_eq!(years[0].by_source, BTreeMap::from([("narrative".to_owned(), 1), ("table_a".to_owned(), 2)]));
        assert_eq!(years[1].missing, [iso3("MLI")], "Mali was ranked in 2018 and 2020; Vanuatu not before 2020");
        assert!(years[2].missing.is_empty(), "Tunisia is not ranked after 2019: no gap");
    }
}
