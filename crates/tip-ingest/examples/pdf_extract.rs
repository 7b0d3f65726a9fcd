//! Reads a PDF with the PDF front end and parses each narrative found, as ingestion does;
//! prints one line per narrative (pages, country, tier, problems) and a summary on stderr.
//!
//!   cargo run --release --example pdf_extract -- REPORT.pdf [--text]   (--text: the narratives' text)
//!   cargo run --release --example pdf_extract -- --plain NARRATIVES.txt (form-feed separated text)

use std::time::Instant;

use tip_ingest::{Hints, parse_document};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started = Instant::now();
    let hints = Hints { year: Some(2018), ..Hints::default() };
    if args.first().map(String::as_str) == Some("--plain") {
        let text = std::fs::read_to_string(&args[1]).expect("read");
        let parsed: Vec<_> = text.split('\u{c}').map(|n| parse_document(n.as_bytes(), &hints)).collect();
        let ok = parsed.iter().filter(|p| p.storable_name().is_some()).count();
        eprintln!(
            "plain text: {} narratives, {ok} storable, {} bytes, {:.3} s",
            parsed.len(),
            text.len(),
            started.elapsed().as_secs_f64()
        );
        return;
    }
    let bytes = std::fs::read(&args[0]).expect("read");
    let mut pages = 0;
    let extraction = match tip_ingest::pdf::extract_with_progress(&bytes, &mut |_, total| pages = total) {
        Ok(extraction) => extraction,
        Err(e) => {
            eprintln!("{}: {e}", args[0]);
            std::process::exit(1);
        }
    };
    let extracted = started.elapsed().as_secs_f64();
    let mut storable = 0;
    for narrative in &extraction.narratives {
        let parsed = parse_document(narrative.text.as_bytes(), &hints);
        storable += usize::from(parsed.storable_name().is_some());
        if args.iter().any(|a| a == "--text") {
            println!("=== pages {:?}\n{}", narrative.origin.pages, narrative.text);
        } else {
            println!(
                "{:?}\t{}\t{:?}\t{} recommendations\t{:?}",
                narrative.origin.pages,
                parsed.report.country,
                parsed.report.tier(),
                parsed.report.recommendations.len(),
                parsed.diagnostics.errors.iter().map(|e| &e.message).collect::<Vec<_>>()
            );
        }
    }
    for note in &extraction.notes {
        eprintln!("note: {note}");
    }
    for warning in tip_ingest::pdf::cross_check(&extraction) {
        eprintln!("cross-check: {warning}");
    }
    eprintln!(
        "{}: {pages} pages, {} bytes, {} narratives ({storable} storable), {} placements, year {:?}; extract {extracted:.3} s, total {:.3} s",
        args[0],
        bytes.len(),
        extraction.narratives.len(),
        extraction.placements.len(),
        extraction.report_year,
        started.elapsed().as_secs_f64()
    );
}
