//! Enforcement figures across countries and years: a country's series per measure, a year's
//! figures filtered and ordered, the figures a next year's report restates differently, and the
//! report's own global totals (bundled from `seeds/`) next to the sum of the stored narratives.
//!
//! The figures live inside the stored reports. A year holds about 190 of them, so a listing
//! reads that year's reports, lays their figures out as rows of an in-memory SQLite table and
//! runs the compiled AIP-160 filter and order over it: no derived table to migrate or refill.

use std::collections::BTreeMap;

use rusqlite::{Connection, params, params_from_iter};
use tip_model::Iso3;
use tip_model::names::{country_name, parse_country_name};
use tip_model::pb::{
    EnforcementConflict, EnforcementMeasure, EnforcementPeriod, EnforcementPoint, EnforcementRow, EnforcementSeries,
    Figure, GlobalEnforcement, GlobalMeasure, MeasureSeries, Region, Report, Unit,
};

use super::requests::{ConflictQuery, EnforcementListing, EnforcementSeriesQuery, GlobalEnforcementQuery};
use super::{Catalog, Page, blocking};
use crate::error::ApiError;
use crate::query_fields::SqlFilter;
use crate::store::{Store, StoreError};

/// The four measures, in the order of the enum.
const MEASURES: [EnforcementMeasure; 4] = [
    EnforcementMeasure::Investigations,
    EnforcementMeasure::Prosecutions,
    EnforcementMeasure::Convictions,
    EnforcementMeasure::VictimsIdentified,
];

/// A report's figure of `measure` for `period`, when the report states one.
fn figure(report: &Report, measure: EnforcementMeasure, period: EnforcementPeriod) -> Option<&Figure> {
    let figures = report.enforcement.as_ref()?;
    match period {
        EnforcementPeriod::Reporting => match measure {
            EnforcementMeasure::Investigations => figures.investigations.as_ref(),
            EnforcementMeasure::Prosecutions => figures.prosecutions.as_ref(),
            EnforcementMeasure::Convictions => figures.convictions.as_ref(),
            EnforcementMeasure::VictimsIdentified => figures.victims_identified.as_ref(),
            EnforcementMeasure::Unspecified => None,
        },
        EnforcementPeriod::Previous => {
            let previous = figures.previous.as_ref()?;
            match measure {
                EnforcementMeasure::Investigations => previous.investigations.as_ref(),
                EnforcementMeasure::Prosecutions => previous.prosecutions.as_ref(),
                EnforcementMeasure::Convictions => previous.convictions.as_ref(),
                EnforcementMeasure::VictimsIdentified => previous.victims_identified.as_ref(),
                EnforcementMeasure::Unspecified => None,
            }
        }
        EnforcementPeriod::Unspecified => None,
    }
}

/// Every stored report of one country, or of all, by country and year.
fn reports(store: &Store, country: Option<Iso3>) -> Result<BTreeMap<(String, i32), Report>, StoreError> {
    let filter = match country {
        Some(iso3) => SqlFilter::default().and("iso3 = ?", iso3.to_string()),
        None => SqlFilter::default(),
    };
    // SQLite's LIMIT is a signed 64-bit number.
    let every = i64::MAX.unsigned_abs();
    let (reports, _) = store.list_reports(&filter, "iso3 ASC, year ASC", 0, every)?;
    Ok(reports.into_iter().map(|r| ((r.country.clone(), r.year), r)).collect())
}

impl Catalog {
    /// A country's figures per measure across its stored reports, each with the same period's
    /// figure as the next year's report restates it.
    pub async fn enforcement_series(&self, query: EnforcementSeriesQuery) -> Result<EnforcementSeries, ApiError> {
        let EnforcementSeriesQuery { country, measure } = query;
        if self.registry.get(country).is_none() {
            return Err(ApiError::NotFound { resource_type: "tip.v1.Country", name: country_name(country) });
        }
        let store = self.store.clone();
        let reports = blocking(move || reports(&store, Some(country))).await?;
        let measures = measure.map_or(MEASURES.to_vec(), |m| vec![m]);
        let series = measures
            .into_iter()
            .map(|measure| {
                let points = reports
                    .iter()
                    .filter_map(|((code, year), report)| {
                        let stated = figure(report, measure, EnforcementPeriod::Reporting).cloned();
                        let next = reports.get(&(code.clone(), year + 1));
                        let restated = next.and_then(|n| figure(n, measure, EnforcementPeriod::Previous)).cloned();
                        (stated.is_some() || restated.is_some()).then(|| EnforcementPoint {
                            year: *year,
                            report: report.name.clone(),
                            figure: stated,
                            next_report: restated.as_ref().and(next).map(|n| n.name.clone()).unwrap_or_default(),
                            stated_next_year: restated,
                        })
                    })
                    .collect();
                MeasureSeries { measure: measure as i32, points }
            })
            .collect();
        Ok(EnforcementSeries { country: country_name(country), series })
    }

    /// A year's figures, one row per country, measure and period stated, filtered and ordered.
    pub async fn enforcement_figures(&self, listing: EnforcementListing) -> Result<Page<EnforcementRow>, ApiError> {
        let EnforcementListing { year, filter, order, page } = listing;
        let offset = self.offset(&page)?;
        let store = self.store.clone();
        let mut rows = Vec::new();
        let year_filter = SqlFilter::default().and("year = ?", i64::from(year.get()));
        let every = i64::MAX.unsigned_abs();
        let (stored, _) = blocking(move || store.list_reports(&year_filter, "iso3 ASC", 0, every)).await?;
        for report in &stored {
            let Ok(iso3) = parse_country_name(&report.country) else { continue };
            let (display_name, region) = self
                .registry
                .get(iso3)
                .map_or((String::new(), Region::Unspecified), |c| (c.display_name.clone(), c.region));
            for measure in MEASURES {
                for period in [EnforcementPeriod::Reporting, EnforcementPeriod::Previous] {
                    if let Some(figure) = figure(report, measure, period) {
                        rows.push(EnforcementRow {
                            country: report.country.clone(),
                            display_name: display_name.clone(),
                            region: region as i32,
                            year: report.year,
                            measure: measure as i32,
                            period: period as i32,
                            figure: Some(figure.clone()),
                            report: report.name.clone(),
                        });
                    }
                }
            }
        }
        let kept = blocking(move || {
            let order = select(&rows, &filter, &order)?;
            Ok(order.into_iter().map(|i| rows[i].clone()).collect::<Vec<_>>())
        })
        .await?;
        Ok(self.page_of_all(&page, offset, kept))
    }

    /// Where a report's previous-period figure differs from the reporting-period figure of the
    /// report before it, by country, year and measure.
    pub async fn enforcement_conflicts(&self, query: ConflictQuery) -> Result<Vec<EnforcementConflict>, ApiError> {
        let ConflictQuery { country, year } = query;
        let store = self.store.clone();
        let reports = blocking(move || reports(&store, country)).await?;
        let mut conflicts = Vec::new();
        for ((code, report_year), report) in &reports {
            if year.is_some_and(|y| y.get() != *report_year) {
                continue;
            }
            let Some(next) = reports.get(&(code.clone(), report_year + 1)) else { continue };
            for measure in MEASURES {
                let (Some(stated), Some(restated)) = (
                    figure(report, measure, EnforcementPeriod::Reporting),
                    figure(next, measure, EnforcementPeriod::Previous),
                ) else {
                    continue;
                };
                if (stated.count, stated.unit) != (restated.count, restated.unit) {
                    conflicts.push(EnforcementConflict {
                        country: code.clone(),
                        measure: measure as i32,
                        year: *report_year,
                        figure: Some(stated.clone()),
                        report: report.name.clone(),
                        restated: Some(restated.clone()),
                        restating_report: next.name.clone(),
                    });
                }
            }
        }
        Ok(conflicts)
    }
}

/// The report's Global Law Enforcement Data, one row per reporting period with its sources, as
/// `seeds/README.md` describes.
const GLOBAL_TABLE: &str = include_str!("../../../../seeds/global_law_enforcement_data.csv");

/// One row of the report's global table.
#[derive(Debug, Default, PartialEq)]
struct GlobalRow {
    /// The year the reporting period starts, the table's row label.
    period_year: i32,
    /// The totals, in the order of [`MEASURES`]; none for investigations.
    totals: [Option<i64>; 4],
    /// The labor trafficking parts of the totals.
    labor: [Option<i64>; 4],
    /// Where the row's figures were copied from.
    source: String,
}

/// The row of the global table that the report of `edition` first printed.
fn global_row(edition: i32) -> Result<Option<GlobalRow>, csv::Error> {
    let mut reader = csv::Reader::from_reader(GLOBAL_TABLE.as_bytes());
    let header = reader.headers()?.clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    for record in reader.records() {
        let record = record?;
        let number = |name: &str| column(name).and_then(|i| record.get(i)).and_then(|v| v.parse::<i64>().ok());
        if number("published_in_tip_edition") != Some(i64::from(edition)) {
            continue;
        }
        let measures = [None, Some("prosecutions"), Some("convictions"), Some("victims_identified")];
        return Ok(Some(GlobalRow {
            period_year: number("year").and_then(|y| i32::try_from(y).ok()).unwrap_or_default(),
            totals: measures.map(|m| m.and_then(number)),
            labor: measures.map(|m| m.and_then(|m| number(&format!("{m}_labor")))),
            source: column("source").and_then(|i| record.get(i)).unwrap_or_default().to_owned(),
        }));
    }
    Ok(None)
}

impl Catalog {
    /// A report year's global totals as the report's table states them, next to the sum of the
    /// year's stored narratives and how many of them state each measure.
    pub async fn global_enforcement(&self, query: GlobalEnforcementQuery) -> Result<GlobalEnforcement, ApiError> {
        let GlobalEnforcementQuery { year } = query;
        let row = global_row(year.get())
            .map_err(|e| ApiError::Internal(format!("the bundled global enforcement table: {e}")))?
            .unwrap_or_default();
        let store = self.store.clone();
        let year_filter = SqlFilter::default().and("year = ?", i64::from(year.get()));
        let every = i64::MAX.unsigned_abs();
        let (stored, _) = blocking(move || store.list_reports(&year_filter, "iso3 ASC", 0, every)).await?;
        let measures = MEASURES
            .iter()
            .enumerate()
            .map(|(index, &measure)| {
                let figures: Vec<&Figure> =
                    stored.iter().filter_map(|r| figure(r, measure, EnforcementPeriod::Reporting)).collect();
                GlobalMeasure {
                    measure: measure as i32,
                    reported_total: row.totals[index],
                    reported_labor: row.labor[index],
                    narratives_sum: figures.iter().map(|f| f.count).sum(),
                    countries_counted: as_count(figures.len()),
                    countries_in_cases: as_count(figures.iter().filter(|f| f.unit() == Unit::Cases).count()),
                }
            })
            .collect();
        Ok(GlobalEnforcement {
            year: year.get(),
            period_year: row.period_year,
            measures,
            source: row.source,
            narratives: as_count(stored.len()),
        })
    }
}

/// A number of narratives as a wire count (a year holds about 190).
fn as_count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The indexes of the `rows` that `filter` keeps, in `order`: both compiled from the request
/// over the columns of [`crate::query_fields::ENFORCEMENT_FIELDS`].
fn select(rows: &[EnforcementRow], filter: &SqlFilter, order: &str) -> Result<Vec<usize>, StoreError> {
    let connection = Connection::open_in_memory()?;
    connection.execute_batch(
        "CREATE TABLE figures (row INTEGER PRIMARY KEY, iso3 TEXT, region INTEGER, measure INTEGER, \
         period INTEGER, unit INTEGER, count INTEGER)",
    )?;
    let mut insert = connection.prepare("INSERT INTO figures VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
    for (index, row) in rows.iter().enumerate() {
        let figure = row.figure.clone().unwrap_or_default();
        let iso3 = row.country.trim_start_matches("countries/");
        insert.execute(params![index, iso3, row.region, row.measure, row.period, figure.unit, figure.count])?;
    }
    let mut statement =
        connection.prepare(&format!("SELECT row FROM figures WHERE {} ORDER BY {order}", filter.sql))?;
    let kept = statement.query_map(params_from_iter(filter.params.iter()), |row| row.get::<_, usize>(0))?;
    Ok(kept.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_table_gives_each_edition_the_row_it_first_printed() {
        let row = global_row(2018).unwrap().unwrap();
        assert_eq!(row.period_year, 2017);
        assert_eq!(row.totals, [None, Some(17471), Some(7135), Some(96960)]);
        assert_eq!(row.labor, [None, Some(869), Some(332), Some(23906)]);
        assert!(row.source.starts_with("https://greenlightoperation.org/"));
        // 2016: labor convictions and victims were not found.
        let row = global_row(2017).unwrap().unwrap();
        assert_eq!((row.totals[3], row.labor[2]), (Some(66520), None));
        assert!(global_row(2008).unwrap().is_none(), "the table starts with the 2009 edition");
        for edition in 2009..=2025 {
            assert!(global_row(edition).unwrap().is_some_and(|r| r.period_year == edition - 1), "{edition}");
        }
    }
}
