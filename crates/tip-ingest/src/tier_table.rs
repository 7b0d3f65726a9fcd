//! Tier-placement tables in CSV: `report_year,country,tier` at least, the country by name, alias
//! or ISO3, the tier in any coding the sources use. Every row is accounted for: loaded, or
//! rejected with its line and a reason.

use std::collections::HashMap;
use std::sync::OnceLock;

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
    /// One-based line of the file where the row starts (a quoted field may hold line breaks).
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
///
/// Rows are CSV records and may hold quoted line breaks; every line number is the line where
/// the record starts in the file. A quote left open takes the rows after it into one field: a
/// record whose year, country or tier field runs over lines is rejected, one whose quote runs
/// to the end of the file too, and any other field that runs over lines gets a note.
pub fn parse_tier_table(bytes: &[u8], name: &str) -> Result<TierTable, NotATierTable> {
    let decoded = decode(bytes);
    if let Some((_, message)) = decoded.errors.first() {
        return Err(NotATierTable(message.clone()));
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(decoded.text.as_bytes());
    let header = reader.headers().map_err(|e| NotATierTable(e.to_string()))?.clone();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(NotATierTable("the file is empty".into()));
    }
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
    let key_columns: Vec<usize> =
        [Some(year_column), Some(tier_column), iso3_column, name_column].into_iter().flatten().collect();

    let registry = CountryRegistry::global();
    let mut table = TierTable::default();
    let mut records = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => records.push(record),
            Err(error) => table.rejected.push(RejectedRow { line: error_line(&error), reason: error.to_string() }),
        }
    }
    // Heiss and Kelley's numeric coding shifts the Watch List in: 3 is the Watch List, 4 Tier 3.
    // A 4 anywhere in the tier column gives the coding away.
    let shifted = records.iter().any(|r| r.get(tier_column).is_some_and(|t| t.trim() == "4"));
    if shifted {
        table.notes.push("numeric tier coding with 4 = Tier 3: 3 read as Tier 2 Watch List".to_owned());
    }
    let unclosed_at_end = !decoded.text.trim_end_matches('\n').ends_with('"');
    for (index, record) in records.iter().enumerate() {
        let line = record_line(record);
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let reject = |reason: String| RejectedRow { line, reason };
        let at_end = index + 1 == records.len() && unclosed_at_end;
        match spanned_fields(record, &header, &key_columns, at_end) {
            Ok(notes) => table.notes.extend(notes),
            Err(reason) => {
                table.rejected.push(reject(reason));
                continue;
            }
        }
        let field = |column: Option<usize>| column.and_then(|c| record.get(c)).map_or("", |f| f.trim());
        let country_text = field(name_column);
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

/// The fields of a record that run over lines, as notes; an error when that is a quote left
/// open: one that runs to the end of the file (`at_end`: the file does not end with a closing
/// quote), or one in a year, country or tier field, which never holds a line break.
fn spanned_fields(
    record: &csv::StringRecord,
    header: &csv::StringRecord,
    key_columns: &[usize],
    at_end: bool,
) -> Result<Vec<String>, String> {
    let line = record_line(record);
    // The line a field starts on, or with `column + 1` the line it ends on.
    let field_line = |column: usize| line + record.iter().take(column).map(line_breaks).sum::<usize>();
    let name = |column: usize| header.get(column).unwrap_or("").trim();
    let last = record.len().checked_sub(1);
    if let Some(last) = last.filter(|&last| at_end && line_breaks(&record[last]) > 0) {
        let opened = field_line(last);
        let end = opened + line_breaks(record[last].trim_end_matches('\n'));
        return Err(format!(
            "a quote opened on line {opened} is never closed: lines {opened} to {end} were read as one {:?} field",
            name(last)
        ));
    }
    let spanned: Vec<usize> = (0..record.len()).filter(|&c| line_breaks(&record[c]) > 0).collect();
    if let Some(&key) = spanned.iter().find(|c| key_columns.contains(c)) {
        return Err(format!(
            "the {:?} field runs from line {} to line {}: a quote left open takes the rows between into one field",
            name(key),
            field_line(key),
            field_line(key + 1)
        ));
    }
    Ok(spanned
        .into_iter()
        .map(|c| {
            format!(
                "line {line}: the {:?} field runs from line {} to line {}",
                name(c),
                field_line(c),
                field_line(c + 1)
            )
        })
        .collect())
}

/// The line a record starts on.
fn record_line(record: &csv::StringRecord) -> usize {
    record.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX))
}

/// The line a reading error happened on.
fn error_line(error: &csv::Error) -> usize {
    error.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX))
}

/// How many line breaks a field holds (line ends are `\n` once decoded).
fn line_breaks(field: &str) -> usize {
    field.matches('\n').count()
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

    fn rejected(table: &TierTable) -> Vec<(usize, &str)> {
        table.rejected.iter().map(|r| (r.line, r.reason.as_str())).collect()
    }

    #[test]
    fn a_quote_never_closed_is_rejected_at_its_line_with_the_rows_it_took() {
        let csv = "report_year,country,tier\n2015,Mali,1\n2015,\"Chad,2\n2016,Niger,2\n2017,Benin,3\n";
        let table = parse_tier_table(csv.as_bytes(), "t").unwrap();
        assert_eq!(table.placements.len(), 1);
        assert_eq!(
            rejected(&table),
            [(3, "a quote opened on line 3 is never closed: lines 3 to 5 were read as one \"country\" field")]
        );
    }

    #[test]
    fn a_quote_left_open_until_a_later_quote_is_rejected_and_the_rows_after_load() {
        let csv = "report_year,country,tier\n2015,\"Mali,1\n2015,Chad,2\n2015,\"Niger\",2\n2016,Benin,2\n";
        let table = parse_tier_table(csv.as_bytes(), "t").unwrap();
        assert_eq!(table.placements.iter().map(|p| p.iso3.as_str()).collect::<Vec<_>>(), ["BEN"]);
        assert_eq!(
            rejected(&table),
            [(
                2,
                "the \"country\" field runs from line 2 to line 4: a quote left open takes the rows between into one field"
            )]
        );
    }

    #[test]
    fn a_quoted_line_break_is_read_and_later_rows_keep_their_file_lines() {
        let csv = "report_year,country,tier,source\n2015,Mali,1,\"Heiss and Kelley\n(2017)\"\n2015,Chad,2,x\n2015,Atlantis,2,x\n";
        let table = parse_tier_table(csv.as_bytes(), "t").unwrap();
        let sources: Vec<&str> = table.placements.iter().map(|p| p.source.as_str()).collect();
        assert_eq!(sources, ["Heiss and Kelley\n(2017)", "x"]);
        assert_eq!(rejected(&table), [(5, "unknown country \"Atlantis\"")]);
        assert_eq!(table.notes, ["line 2: the \"source\" field runs from line 2 to line 3"]);
    }

    #[test]
    fn a_stray_quote_inside_a_field_stays_in_its_row() {
        let csv = "report_year,country,tier\n2015,Ma\"li,1\n2015,Chad,2\n";
        let table = parse_tier_table(csv.as_bytes(), "t").unwrap();
        assert_eq!(table.placements.iter().map(|p| p.iso3.as_str()).collect::<Vec<_>>(), ["TCD"]);
        assert_eq!(rejected(&table), [(2, "unknown country \"Ma\\\"li\"")]);
    }

    #[test]
    fn the_bundled_table_loads_whole() {
        let table = parse_tier_table(BUNDLED_TIER_TABLE, "bundled").unwrap();
        assert_eq!(table.rejected, []);
        assert_eq!(table.placements.len(), 4142);
    }
}
