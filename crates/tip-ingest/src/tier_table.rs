//! Tier-placement tables in CSV: `report_year,country,tier` at least, the country by name, alias
//! or ISO3, the tier in any coding the sources use. Every row is accounted for: loaded, or
//! rejected with its line and a reason.

use std::collections::HashMap;
use std::sync::OnceLock;

use tip_model::csv::csv_records;
use tip_model::pb::Tier;
use tip_model::{CountryRegistry, Iso3, ReportYear, parse_tier};

use crate::decode::decode;

/// One placement of a country on a tier in a report year.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub iso3: Iso3,
    pub year: ReportYear,
    pub tier: Tier,
    /// The tier as the source wrote it.
    pub tier_as_published: String,
    /// The country as the source wrote it.
    pub country_as_published: String,
    /// Where the placement came from: the table's `source` column, else the table's name.
    pub source: String,
}

/// A row that was not loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedRow {
    /// One-based line of the row in the file.
    pub line: usize,
    pub reason: String,
}

/// What a table held.
#[derive(Debug, Default)]
pub struct TierTable {
    pub placements: Vec<Placement>,
    pub rejected: Vec<RejectedRow>,
    /// How the table was read where that was a choice, such as its tier coding.
    pub notes: Vec<String>,
}

/// Why a file is not a tier table at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a tier table: {0}")]
pub struct NotATierTable(pub String);

/// Reads a tier table. `name` is the source given to rows without a `source` column.
pub fn parse_tier_table(bytes: &[u8], name: &str) -> Result<TierTable, NotATierTable> {
    let decoded = decode(bytes);
    if let Some((_, message)) = decoded.errors.first() {
        return Err(NotATierTable(message.clone()));
    }
    let records = csv_records(&decoded.text);
    let Some(header) = records.first() else { return Err(NotATierTable("the file is empty".into())) };
    let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.trim().to_lowercase().as_str()));
    let year_column =
        column(&["report_year", "year"]).ok_or_else(|| NotATierTable("no report_year or year column".into()))?;
    let tier_column = column(&["tier"]).ok_or_else(|| NotATierTable("no tier column".into()))?;
    let iso3_column = column(&["iso3", "iso"]);
    let name_column = column(&["country", "country_as_published", "countryname", "name"]);
    if iso3_column.is_none() && name_column.is_none() {
        return Err(NotATierTable("no country, country_as_published, countryname, name or iso3 column".into()));
    }
    let source_column = column(&["source"]);
    let published_column = column(&["tier_as_published"]);

    let registry = CountryRegistry::global();
    let mut table = TierTable::default();
    // Heiss and Kelley's numeric coding shifts the Watch List in: 3 is the Watch List, 4 Tier 3.
    // A 4 anywhere in the tier column gives the coding away.
    let shifted = records.iter().skip(1).any(|r| r.get(tier_column).is_some_and(|t| t.trim() == "4"));
    if shifted {
        table.notes.push("numeric tier coding with 4 = Tier 3: 3 read as Tier 2 Watch List".to_owned());
    }
    for (index, record) in records.iter().enumerate().skip(1) {
        let line = index + 1;
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let field = |column: Option<usize>| column.and_then(|c| record.get(c)).map_or("", |f| f.trim());
        let country_text = field(name_column);
        let reject = |reason: String| RejectedRow { line, reason };
        let year = match field(Some(year_column))
            .parse::<i64>()
            .map_err(|_| ())
            .and_then(|y| ReportYear::new(y).map_err(|_| ()))
        {
            Ok(year) => year,
            Err(()) => {
                table.rejected.push(reject(format!("{:?} is not a report year", field(Some(year_column)))));
                continue;
            }
        };
        let country = registry.resolve(field(iso3_column)).or_else(|| registry.resolve(country_text));
        let Some(country) = country else {
            table.rejected.push(reject(format!(
                "unknown country {:?}",
                if country_text.is_empty() { field(iso3_column) } else { country_text }
            )));
            continue;
        };
        let tier_text = field(Some(tier_column));
        let Some(tier) = table_tier(tier_text, shifted) else {
            table.rejected.push(reject(format!("{tier_text:?} is not a tier (not ranked, or unknown coding)")));
            continue;
        };
        table.placements.push(Placement {
            iso3: country.iso3,
            year,
            tier,
            tier_as_published: published_column.map_or(tier_text, |c| field(Some(c))).to_owned(),
            country_as_published: if country_text.is_empty() {
                country.display_name.clone()
            } else {
                country_text.to_owned()
            },
            source: Some(field(source_column)).filter(|s| !s.is_empty()).unwrap_or(name).to_owned(),
        });
    }
    Ok(table)
}

/// A tier as tables code it: every textual coding, Cho and Kelley's 666 for Special Case, and
/// with `shifted` the numeric coding where 3 is the Watch List and 4 is Tier 3.
fn table_tier(text: &str, shifted: bool) -> Option<Tier> {
    match text.trim() {
        "666" | "666.0" => Some(Tier::SpecialCase),
        "3" if shifted => Some(Tier::Tier2WatchList),
        "4" if shifted => Some(Tier::Tier3),
        other => parse_tier(other),
    }
}

/// The placement table bundled in `seeds/` (see `seeds/README.md`).
pub const BUNDLED_TIER_TABLE: &[u8] = include_bytes!("../../../seeds/tier_placements.csv");

/// The bundled placements by country and year, parsed once.
pub fn bundled_placements() -> &'static HashMap<(Iso3, ReportYear), Tier> {
    static PLACEMENTS: OnceLock<HashMap<(Iso3, ReportYear), Tier>> = OnceLock::new();
    PLACEMENTS.get_or_init(|| {
        parse_tier_table(BUNDLED_TIER_TABLE, "bundled")
            .map(|table| table.placements.into_iter().map(|p| ((p.iso3, p.year), p.tier)).collect())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_coding_and_accounts_for_every_row() {
        let csv = "report_year,country,tier\n2015,\"Korea, South\",1\n2015,Burma,Watchlist\n2015,Somalia,666\n2014,MLI,2.5\n2014,Atlantis,1\n1999,Mali,2\n2016,Mali,NA\n2016,Mali,Tier 7\n";
        let table = parse_tier_table(csv.as_bytes(), "test").unwrap();
        let tiers: Vec<(String, Tier)> = table.placements.iter().map(|p| (p.iso3.to_string(), p.tier)).collect();
        assert_eq!(
            tiers,
            [
                ("KOR".into(), Tier::Tier1),
                ("MMR".into(), Tier::Tier2WatchList),
                ("SOM".into(), Tier::SpecialCase),
                ("MLI".into(), Tier::Tier2WatchList)
            ]
        );
        assert_eq!(table.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [6, 7, 8, 9]);
        assert!(table.placements.iter().all(|p| p.source == "test"));
    }

    #[test]
    fn reads_the_shifted_numeric_coding() {
        let table = parse_tier_table(b"year,iso,tier\n2010,MLI,3\n2011,MLI,4\n2012,MLI,2\n", "t").unwrap();
        let tiers: Vec<Tier> = table.placements.iter().map(|p| p.tier).collect();
        assert_eq!(tiers, [Tier::Tier2WatchList, Tier::Tier3, Tier::Tier2]);
        assert_eq!(table.notes.len(), 1);
    }

    #[test]
    fn refuses_files_that_are_not_tier_tables() {
        assert!(parse_tier_table(b"file,country,report_year\n", "x").is_err());
        assert!(parse_tier_table(b"", "x").is_err());
    }

    #[test]
    fn the_bundled_table_loads_whole() {
        let table = parse_tier_table(BUNDLED_TIER_TABLE, "bundled").unwrap();
        assert_eq!(table.rejected, []);
        assert_eq!(table.placements.len(), 4142);
    }
}
