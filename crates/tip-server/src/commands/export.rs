//! `tip-atlas export --format ndjson|csv [--what reports|placements|enforcement]`: the store's
//! data for pandas, R or a spreadsheet, on standard output.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;
use tip_model::pb::{Evidence, Exploitation, Report};
use tip_model::tier::tier_label;
use tip_server::Store;
use tip_server::query_fields::SqlFilter;

use super::figures::{MEASURES, Period, cases_behind, figures_of, part_of, section_name, unit_name};

/// The output format.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header line (RFC 4180).
    Csv,
}

/// What to export.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum What {
    /// One row per report: verdict, source and, in NDJSON, the text and recommendations.
    Reports,
    /// One row per tier placement and source.
    Placements,
    /// One row per enforcement figure stated: country, year, measure and period, with the
    /// sentence it was read from.
    Enforcement,
}

#[derive(Serialize)]
struct ReportRow<'a> {
    name: &'a str,
    iso3: &'a str,
    year: i32,
    tier: &'static str,
    tier_change: &'static str,
    finding: &'static str,
    completeness: &'static str,
    recommendation_count: usize,
    source_uri: &'a str,
    content_sha256: &'a str,
    /// What the file was read as, and where in it the narrative was found (a web page's title,
    /// canonical URL and date; the index within the file; a PDF's pages, 0 elsewhere).
    media_type: &'a str,
    part: i32,
    first_page: i32,
    last_page: i32,
    page_title: &'a str,
    canonical_url: &'a str,
    published: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendations: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paragraphs: Option<&'a [String]>,
}

#[derive(Serialize)]
struct PlacementRow<'a> {
    report_year: i32,
    iso3: &'a str,
    tier: &'static str,
    source: &'a str,
    tier_as_published: &'a str,
}

/// One enforcement figure. `sex`, `labor` and `cases` are the parts the text gives (empty when
/// it gives none); `start` and `end` count code points within the paragraph.
#[derive(Serialize)]
struct FigureRow<'a> {
    iso3: &'a str,
    year: i32,
    measure: &'static str,
    period: &'static str,
    count: i64,
    unit: &'static str,
    approximate: bool,
    sex: Option<i64>,
    labor: Option<i64>,
    cases: Option<i64>,
    section: &'static str,
    paragraph: i32,
    start: i32,
    end: i32,
    evidence: &'a str,
}

/// Writes the export; exit 0, or 2 when the store cannot be read or stdout closes.
pub fn run(db: &Path, format: Format, what: What) -> ExitCode {
    let store = match super::open_with_bundle(db) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("tip-atlas: {error}");
            return ExitCode::from(2);
        }
    };
    let mut rows = Rows::new(format, std::io::BufWriter::new(std::io::stdout().lock()));
    let written = match what {
        What::Reports => export_reports(&store, &mut rows),
        What::Placements => export_placements(&store, &mut rows),
        What::Enforcement => for_each_report(&store, |report| write_figures(report, &mut rows)),
    };
    super::output_written(written.and_then(|()| rows.finish()), "export")
}

fn export_reports(store: &Store, rows: &mut Rows<impl Write>) -> std::io::Result<()> {
    let with_text = matches!(rows, Rows::Ndjson(_));
    for_each_report(store, |report| rows.write(&report_row(report, with_text)))
}

/// Calls `visit` on every stored report by country and year, a page at a time.
fn for_each_report(store: &Store, mut visit: impl FnMut(&Report) -> std::io::Result<()>) -> std::io::Result<()> {
    const PAGE: u64 = 500;
    let mut offset = 0;
    loop {
        let (reports, total) = store
            .list_reports(&SqlFilter::default(), "iso3 ASC, year ASC", offset, PAGE)
            .map_err(std::io::Error::other)?;
        for report in &reports {
            visit(report)?;
        }
        offset += reports.len() as u64;
        if reports.is_empty() || offset >= total {
            return Ok(());
        }
    }
}

/// A row per figure of the report, reporting period first, measures in their order.
fn write_figures(report: &Report, rows: &mut Rows<impl Write>) -> std::io::Result<()> {
    let Some(figures) = report.enforcement.as_ref() else { return Ok(()) };
    let no_evidence = Evidence::default();
    for period in Period::ALL {
        for (measure, figure) in MEASURES.into_iter().zip(figures_of(figures, period)) {
            let Some(figure) = figure else { continue };
            let evidence = figure.evidence.as_ref().unwrap_or(&no_evidence);
            rows.write(&FigureRow {
                iso3: report.country.strip_prefix("countries/").unwrap_or(&report.country),
                year: report.year,
                measure,
                period: period.name(),
                count: figure.count,
                unit: unit_name(figure),
                approximate: figure.approximate,
                sex: part_of(figure, Exploitation::Sex),
                labor: part_of(figure, Exploitation::Labor),
                cases: cases_behind(figure),
                section: section_name(evidence.section()),
                paragraph: evidence.paragraph,
                start: evidence.start,
                end: evidence.end,
                evidence: &evidence.sentence,
            })?;
        }
    }
    Ok(())
}

fn report_row(report: &Report, with_text: bool) -> ReportRow<'_> {
    let source = report.source.as_ref();
    ReportRow {
        name: &report.name,
        iso3: report.country.strip_prefix("countries/").unwrap_or(&report.country),
        year: report.year,
        tier: report.tier().as_str_name(),
        tier_change: report.tier_change().as_str_name(),
        finding: report.finding().as_str_name(),
        completeness: report.completeness().as_str_name(),
        recommendation_count: report.recommendations.len(),
        source_uri: source.map_or("", |s| s.uri.as_str()),
        content_sha256: source.map_or("", |s| s.content_sha256.as_str()),
        media_type: source.map_or("", |s| s.media_type.as_str()),
        part: source.map_or(0, |s| s.part),
        first_page: source.map_or(0, |s| s.first_page),
        last_page: source.map_or(0, |s| s.last_page),
        page_title: source.map_or("", |s| s.page_title.as_str()),
        canonical_url: source.map_or("", |s| s.canonical_url.as_str()),
        published: source.map_or("", |s| s.published.as_str()),
        recommendations: with_text.then(|| report.recommendations.iter().map(|r| r.text.as_str()).collect()),
        paragraphs: with_text.then_some(report.paragraphs.as_slice()),
    }
}

fn export_placements(store: &Store, rows: &mut Rows<impl Write>) -> std::io::Result<()> {
    for p in store.placements(None).map_err(std::io::Error::other)? {
        let row = PlacementRow {
            report_year: p.year,
            iso3: p.iso3.as_str(),
            tier: tier_label(p.tier),
            source: &p.source,
            tier_as_published: &p.tier_as_published,
        };
        rows.write(&row)?;
    }
    Ok(())
}

/// Writes serializable rows as NDJSON, or as CSV with a header of the first row's field names.
enum Rows<W: Write> {
    Ndjson(W),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Rows<W> {
    fn new(format: Format, out: W) -> Self {
        match format {
            Format::Ndjson => Rows::Ndjson(out),
            Format::Csv => Rows::Csv(Box::new(csv::Writer::from_writer(out))),
        }
    }

    fn write(&mut self, row: &impl Serialize) -> std::io::Result<()> {
        match self {
            Rows::Ndjson(out) => {
                serde_json::to_writer(&mut *out, row)?;
                writeln!(out)
            }
            Rows::Csv(writer) => writer.serialize(row).map_err(io_error),
        }
    }

    /// Flushes what is still buffered.
    fn finish(&mut self) -> std::io::Result<()> {
        match self {
            Rows::Ndjson(out) => out.flush(),
            Rows::Csv(writer) => writer.flush(),
        }
    }
}

/// A CSV error as an I/O error of the same kind when it is one (a closed pipe is no failure).
fn io_error(error: csv::Error) -> std::io::Error {
    match error.kind() {
        csv::ErrorKind::Io(io) => std::io::Error::new(io.kind(), error),
        _ => std::io::Error::other(error),
    }
}
