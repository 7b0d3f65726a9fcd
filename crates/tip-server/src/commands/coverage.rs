//! `tip-atlas coverage [--db PATH] [--json]`: per report year, how many countries have a known
//! placement, from which sources, and which are missing (ranked before and after that year but
//! not in it). Loads the bundled data first, like `serve`, so a fresh store shows the bundle.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use tip_model::CountryRegistry;
use tip_model::coverage::{YearCoverage, placement_coverage};
use tip_server::Store;

/// Prints the coverage table (or one JSON object per year); exit 0, or 2 when the store cannot
/// be read.
pub fn run(db: &Path, json: bool) -> ExitCode {
    let years = match super::open_with_bundle(db).and_then(|store| read(&store)) {
        Ok(years) => years,
        Err(error) => {
            eprintln!("tip-atlas: {error}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = if json { write_json(&years, &mut out) } else { write_table(&years, &mut out) };
    super::output_written(written.and_then(|()| out.flush()), "coverage")
}

fn read(store: &Store) -> Result<Vec<YearCoverage>, String> {
    let placements = store.placements(None).map_err(|error| format!("cannot read the placements: {error}"))?;
    let verdicts = store.verdicts(None).map_err(|error| format!("cannot read the reports: {error}"))?;
    Ok(placement_coverage(&placements, &verdicts))
}

fn write_table(years: &[YearCoverage], out: &mut impl Write) -> std::io::Result<()> {
    let registry = CountryRegistry::global();
    writeln!(out, "year  placed  missing  sources")?;
    for year in years {
        let sources = year.by_source.iter().map(|(source, n)| format!("{source} {n}")).collect::<Vec<_>>();
        writeln!(out, "{}  {:>6}  {:>7}  {}", year.year, year.placed, year.missing.len(), sources.join(", "))?;
        if !year.missing.is_empty() {
            let missing = year.missing.iter().map(|iso3| {
                let name = registry.get(*iso3).map_or("", |c| c.display_name.as_str());
                format!("{iso3} {name}")
            });
            writeln!(out, "{:25}missing: {}", "", missing.collect::<Vec<_>>().join(", "))?;
        }
    }
    Ok(())
}

fn write_json(years: &[YearCoverage], out: &mut impl Write) -> std::io::Result<()> {
    for year in years {
        let line = serde_json::json!({
            "year": year.year,
            "placed": year.placed,
            "sources": year.by_source,
            "missing": year.missing.iter().map(|iso3| iso3.as_str()).collect::<Vec<_>>(),
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}
