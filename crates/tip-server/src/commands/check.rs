//! `tip-atlas check [--json] PATH...`: parse documents without writing and print diagnostics.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use tip_ingest::{Hints, ParsedDocument, parse_document};
use tip_model::pb::{Diagnostic, Tier};

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
    country: Option<&'a str>,
    year: Option<i32>,
    tier: Option<&'static str>,
    tier_change: &'static str,
    finding: &'static str,
    completeness: &'static str,
    recommendations: usize,
    encoding: &'a str,
    errors: Vec<DiagnosticLine<'a>>,
    warnings: Vec<DiagnosticLine<'a>>,
}

fn diagnostic_lines(diagnostics: &[Diagnostic]) -> Vec<DiagnosticLine<'_>> {
    diagnostics
        .iter()
        .map(|d| DiagnosticLine { line: d.line, column: d.column, code: &d.code, message: &d.message })
        .collect()
}

fn document_line<'a>(path: &Path, parsed: &'a ParsedDocument) -> DocumentLine<'a> {
    let report = &parsed.report;
    DocumentLine {
        path: path.display().to_string(),
        country: report.country.strip_prefix("countries/"),
        year: (report.year != 0).then_some(report.year),
        tier: (report.tier() != Tier::Unspecified).then(|| report.tier().as_str_name()),
        tier_change: report.tier_change().as_str_name(),
        finding: report.finding().as_str_name(),
        completeness: report.completeness().as_str_name(),
        recommendations: report.recommendations.len(),
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
        let parsed = parse_document(&bytes, &Hints::from_path(path));
        failed |= !parsed.is_ok();
        let line = document_line(path, &parsed);
        if emit(&mut stdout, json, &line, write_human).is_err() {
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

fn write_human(out: &mut impl Write, line: &DocumentLine<'_>) -> std::io::Result<()> {
    let verdict = if line.errors.is_empty() { "ok" } else { "ERROR" };
    writeln!(
        out,
        "{verdict}: {} — {} {} {}, {} recommendation(s), {}",
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
