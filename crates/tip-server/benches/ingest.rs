//! Storing parsed reports: a transaction per document (`Store::put_report`, as the server's
//! IngestService does) against batches in one transaction (`Store::put_reports`), in one run:
//!
//! ```sh
//! cargo bench -p tip-server --bench ingest              # 5,000 documents, 3 rounds
//! INGEST_DOCUMENTS=20000 INGEST_ROUNDS=1 cargo bench -p tip-server --bench ingest
//! ```
//!
//! The documents are the scale corpus (the `tip-corpus` crate: one generator), parsed once
//! before the clock starts; each round stores them into a fresh store in a temporary folder,
//! once per way, and the table gives medians over the rounds.

use std::path::Path;
use std::time::Instant;

use tip_ingest::{Hints, parse_document};
use tip_model::ReportName;
use tip_model::pb::Report;
use tip_server::Store;

const BATCH: usize = 512;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if !n.is_multiple_of(2) { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// Seconds to store every document into a fresh store, one way or the other.
fn store_all(documents: &[(ReportName, Report, Vec<u8>)], batched: bool) -> f64 {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open(&folder.path().join("bench.sqlite")).expect("a store");
    let started = Instant::now();
    if batched {
        for chunk in documents.chunks(BATCH) {
            let batch: Vec<(ReportName, &Report, &[u8])> =
                chunk.iter().map(|(name, report, raw)| (*name, report, raw.as_slice())).collect();
            for outcome in store.put_reports(&batch).expect("a batch") {
                outcome.expect("a document");
            }
        }
    } else {
        for (name, report, raw) in documents {
            store.put_report(*name, report, raw).expect("a document");
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(store);
    seconds
}

fn main() {
    // `cargo test --benches` runs benches with --bench absent: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let count = env("INGEST_DOCUMENTS", 5_000);
    let rounds = env("INGEST_ROUNDS", 3);
    let started = Instant::now();
    let mut bytes = 0;
    let documents: Vec<(ReportName, Report, Vec<u8>)> = (0..count)
        .map(|index| {
            let document = tip_corpus::document(index);
            let parsed = parse_document(&document.bytes, &Hints::from_path(Path::new(&document.file_name)));
            let name = parsed.storable_name().expect("generated documents parse");
            bytes += document.bytes.len();
            (name, parsed.report, document.bytes)
        })
        .collect();
    let parse_seconds = started.elapsed().as_secs_f64();

    let (mut single, mut batched) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        single.push(store_all(&documents, false));
        batched.push(store_all(&documents, true));
        eprintln!(
            "round {round}: put_report {:.2} s, put_reports {:.2} s",
            single.last().unwrap_or(&0.0),
            batched.last().unwrap_or(&0.0)
        );
    }
    let (single, batched) = (median(single), median(batched));
    println!();
    println!(
        "store: {count} documents, {:.1} MB, fresh store per way and round; medians of {rounds} round(s)",
        bytes as f64 / 1e6
    );
    println!("{:<38} {:>9} {:>12} {:>9}", "way", "seconds", "documents/s", "speed-up");
    let row = |label: &str, seconds: f64| {
        println!("{label:<38} {seconds:>9.2} {:>12.0} {:>9.2}", count as f64 / seconds, single / seconds);
    };
    row("put_report (a transaction each)", single);
    row(&format!("put_reports (batches of {BATCH})"), batched);
    println!("(parsing them first took {parse_seconds:.2} s, {:.0} documents/s)", count as f64 / parse_seconds);
}
