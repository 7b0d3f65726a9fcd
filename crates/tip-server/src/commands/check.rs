//! `tip-atlas check [--json] PATH...`: parse documents without writing and print diagnostics,
//! one line per country narrative found in a file (a web page or a whole-report PDF holds
//! several).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use tip_ingest::{Hints, MediaType, ParsedDocument, parse_file};
use tip_model::pb::{Diagnostic, EnforcementFigures, Figure, Tier};

use super::figures::{Period, figures_of, unit_name};
use super::{Input, collect_inputs, read_tier_table};

#[derive(Serialize)]
struct DiagnosticLine<'a> {
    line: u32,
    column: u32,
    code: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct RejectedLine<'a> {
    line: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct TableLine<'a> {
    path: String,
    kind: &'static str,
    placements: usize,
    rejected: Vec<RejectedLine<'a>>,
    /// How the table was read where that was a choice, and fields that run over lines.
    notes: &'a [String],
}

#[derive(Serialize)]
struct DocumentLine<'a> {
    path: String,
    /// The narrative's index within the file.
    part: usize,
    /// The PDF pages the narrative spans, `[first, last]`.
    pages: Option<[i32; 2]>,
    media_type: &'static str,
    country: Option<&'a str>,
    year: Option<i32>,
    tier: Option<&'static str>,
    tier_change: &'static str,
    finding: &'static str,
    completeness: &'static str,
    recommendations: usize,
    enforcement: EnforcementLine<'a>,
    encoding: &'a str,
    errors: Vec<DiagnosticLine<'a>>,
    warnings: Vec<DiagnosticLine<'a>>,
}

/// The four measures of the reporting period, then those of the previous period; `null` where
/// the text states no figure.
#[derive(Serialize)]
struct EnforcementLine<'a> {
    #[serde(flatten)]
    reporting: MeasuresLine<'a>,
    previous: MeasuresLine<'a>,
}

#[derive(Serialize)]
struct MeasuresLine<'a> {
    investigations: Option<FigureLine<'a>>,
    prosecutions: Option<FigureLine<'a>>,
    convictions: Option<FigureLine<'a>>,
    victims_identified: Option<FigureLine<'a>>,
}

#[derive(Serialize)]
struct FigureLine<'a> {
    count: i64,
    unit: &'static str,
    approximate: bool,
    /// The sentence the figure was read from.
    evidence: &'a str,
}

impl<'a> MeasuresLine<'a> {
    fn new(figures: &'a EnforcementFigures, period: Period) -> Self {
        let [investigations, prosecutions, convictions, victims_identified] =
            figures_of(figures, period).map(|figure| figure.map(FigureLine::new));
        MeasuresLine { investigations, prosecutions, convictions, victims_identified }
    }
}

impl<'a> FigureLine<'a> {
    fn new(figure: &'a Figure) -> Self {
        FigureLine {
            count: figure.count,
            unit: unit_name(figure),
            approximate: figure.approximate,
            evidence: figure.evidence.as_ref().map_or("", |e| e.sentence.as_str()),
        }
    }
}

fn diagnostic_lines(diagnostics: &[Diagnostic]) -> Vec<DiagnosticLine<'_>> {
    diagnostics
        .iter()
        .map(|d| DiagnosticLine { line: d.line, column: d.column, code: &d.code, message: &d.message })
        .collect()
}

/// A file that could not be read at all: no narrative in the page, an encrypted PDF.
#[derive(Serialize)]
struct FailedFileLine<'a> {
    path: String,
    media_type: &'static str,
    /// Where in the file it failed: "the file", "page 17", "div#content".
    location: &'a str,
    error: &'a str,
}

/// The placements read from a whole report's tier-placement pages.
#[derive(Serialize)]
struct PlacementsLine {
    path: String,
    kind: &'static str,
    media_type: &'static str,
    placements: usize,
}

fn document_line<'a>(path: &Path, part: usize, media_type: MediaType, parsed: &'a ParsedDocument) -> DocumentLine<'a> {
    static NONE: EnforcementFigures = EnforcementFigures {
        investigations: None,
        prosecutions: None,
        convictions: None,
        victims_identified: None,
        previous: None,
    };
    let report = &parsed.report;
    let figures = report.enforcement.as_ref().unwrap_or(&NONE);
    let source = report.source.as_ref();
    DocumentLine {
        path: path.display().to_string(),
        part,
        pages: source.filter(|s| s.first_page > 0).map(|s| [s.first_page, s.last_page]),
        media_type: media_type.mime(),
        country: report.country.strip_prefix("countries/"),
        year: (report.year != 0).then_some(report.year),
        tier: (report.tier() != Tier::Unspecified).then(|| report.tier().as_str_name()),
        tier_change: report.tier_change().as_str_name(),
        finding: report.finding().as_str_name(),
        completeness: report.completeness().as_str_name(),
        recommendations: report.recommendations.len(),
        enforcement: EnforcementLine {
            reporting: MeasuresLine::new(figures, Period::Reporting),
            previous: MeasuresLine::new(figures, Period::Previous),
        },
        encoding: report.source.as_ref().map_or("", |s| s.encoding.as_str()),
        errors: diagnostic_lines(&parsed.diagnostics.errors),
        warnings: diagnostic_lines(&parsed.diagnostics.warnings),
    }
}

/// Checks every document under `paths`; exit 0 when none has errors, 1 otherwise, 2 when a path
/// cannot be read at all.
pub fn run(paths: &[PathBuf], json: bool) -> ExitCode {
    let (inputs, unreadable) = collect_inputs(paths);
    let mut stdout = std::io::stdout().lock();
    let mut failed = false;
    for input in &inputs {
        let path = match input {
            Input::Document(path) => path,
            Input::Table { path, named } => {
                let Some(table) = read_tier_table(path, *named, &mut failed) else { continue };
                let line = TableLine {
                    path: path.display().to_string(),
                    kind: "tier_table",
                    placements: table.placements.len(),
                    rejected: table
                        .rejected
                        .iter()
                        .map(|r| RejectedLine { line: r.line, message: &r.reason })
                        .collect(),
                    notes: &table.notes,
                };
                if emit(&mut stdout, json, &line, write_table).is_err() {
                    return ExitCode::from(2);
                }
                continue;
            }
        };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("tip-atlas: cannot read {}: {error}", path.display());
                failed = true;
                continue;
            }
        };
        if check_file(&mut stdout, json, path, &bytes, &mut failed).is_err() {
            return ExitCode::from(2);
        }
    }
    if unreadable {
        ExitCode::from(2)
    } else if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Checks one file: a line per narrative found, a line for the placements of a whole report's
/// tier pages, or one line saying why the file cannot be read. Notes on parts passed over go to
/// standard error.
fn check_file(out: &mut impl Write, json: bool, path: &Path, bytes: &[u8], failed: &mut bool) -> std::io::Result<()> {
    let media_type = MediaType::sniff(bytes);
    let parsed = match parse_file(bytes, &Hints::from_path(path), Some(media_type)) {
        Ok(parsed) => parsed,
        Err(error) => {
            *failed = true;
            let line = FailedFileLine {
                path: path.display().to_string(),
                media_type: media_type.mime(),
                location: &error.location,
                error: &error.message,
            };
            return emit(out, json, &line, write_failed);
        }
    };
    for note in &parsed.notes {
        eprintln!("tip-atlas: {}: {note}", path.display());
    }
    for (part, document) in parsed.parts.iter().enumerate() {
        *failed |= !document.is_ok();
        emit(out, json, &document_line(path, part, parsed.media_type, document), write_human)?;
    }
    if !parsed.placements.is_empty() {
        let line = PlacementsLine {
            path: path.display().to_string(),
            kind: "report_tier_placements",
            media_type: parsed.media_type.mime(),
            placements: parsed.placements.len(),
        };
        emit(out, json, &line, write_placements)?;
    }
    Ok(())
}

/// Writes one line of output: JSON, or `human`'s words.
fn emit<W: Write, T: Serialize>(
    out: &mut W,
    json: bool,
    line: &T,
    human: fn(&mut W, &T) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string(line).map_err(std::io::Error::other)?)
    } else {
        human(out, line)
    }
}

fn write_table(out: &mut impl Write, line: &TableLine<'_>) -> std::io::Result<()> {
    writeln!(
        out,
        "ok: {} — tier table, {} placement(s), {} row(s) rejected",
        line.path,
        line.placements,
        line.rejected.len()
    )?;
    for note in line.notes {
        writeln!(out, "  {}: {note}", line.path)?;
    }
    for r in &line.rejected {
        writeln!(out, "  {}:{}: rejected: {}", line.path, r.line, r.message)?;
    }
    Ok(())
}

fn write_failed(out: &mut impl Write, line: &FailedFileLine<'_>) -> std::io::Result<()> {
    writeln!(out, "ERROR: {} — {}: {}", line.path, line.location, line.error)
}

fn write_placements(out: &mut impl Write, line: &PlacementsLine) -> std::io::Result<()> {
    writeln!(out, "ok: {} — {} tier placement(s) listed in the report", line.path, line.placements)
}

fn write_human(out: &mut impl Write, line: &DocumentLine<'_>) -> std::io::Result<()> {
    let verdict = if line.errors.is_empty() { "ok" } else { "ERROR" };
    // A text file is one narrative: its line reads as before.
    let part = match line.pages {
        _ if line.media_type == MediaType::Text.mime() => String::new(),
        Some([first, last]) => format!(" (part {}, pages {first}-{last})", line.part),
        None => format!(" (part {})", line.part),
    };
    writeln!(
        out,
        "{verdict}: {}{part} — {} {} {}, {} recommendation(s), {}",
        line.path,
        line.country.unwrap_or("?"),
        line.year.map_or("?".to_owned(), |y| y.to_string()),
        line.tier.unwrap_or("tier unknown"),
        line.recommendations,
        line.completeness,
    )?;
    for (kind, diagnostics) in [("error", &line.errors), ("warning", &line.warnings)] {
        for d in diagnostics {
            writeln!(out, "  {}:{}:{}: {kind}: {}", line.path, d.line, d.column, d.message)?;
        }
    }
    Ok(())
}
