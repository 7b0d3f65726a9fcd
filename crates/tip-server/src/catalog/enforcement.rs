//! Enforcement figures across countries and years: a country's series per measure, a year's
//! figures filtered and ordered, and the figures a next year's report restates differently.
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
    Figure, MeasureSeries, Region, Report,
};

use super::requests::{ConflictQuery, EnforcementListing, EnforcementSeriesQuery};
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
