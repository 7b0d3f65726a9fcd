//! What reading the enforcement figures adds to a parse, on the 96 ranked narratives of 2018
//! (`../shared/data/corpus2018`, about 1.5 MB):
//!
//! ```sh
//! cargo bench -p tip-ingest --bench enforcement
//! ```
//!
//! * `parse_document`: the whole parse, enforcement figures included;
//! * `extract`: the enforcement figures alone, from the parsed reports.
//!
//! The table at the end gives the share the figures add: extract / (parse - extract), from five
//! timed passes of each over the corpus after criterion's runs (target: under 20%). On a loaded
//! machine wall time swings; instruction counts do not:
//!
//! ```sh
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/deps/enforcement-* --bench nomatch
//! callgrind_annotate --inclusive=yes cg.out | grep -E 'enforcement::extract$|parse::parse_document$'
//! ```
//! (`nomatch` skips criterion's runs: `extract` then runs 11 times, `parse_document` 6 times.)

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use tip_ingest::enforcement::extract;
use tip_ingest::{Hints, parse_document};
use tip_model::pb::Report;

fn main() {
    let documents: Vec<String> = tip_corpus::corpus2018::ranked_narratives().into_iter().map(|(_, d)| d).collect();
    let bytes: usize = documents.iter().map(String::len).sum();
    let hints = Hints { year: Some(2018), ..Hints::default() };
    let parse_all = || documents.iter().map(|d| parse_document(d.as_bytes(), &hints).report).collect::<Vec<Report>>();
    let reports = parse_all();

    let mut criterion = Criterion::default().configure_from_args().measurement_time(Duration::from_secs(5));
    let mut group = criterion.benchmark_group("enforcement");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse_document", |b| b.iter(|| black_box(parse_all())));
    group.bench_function("extract", |b| {
        b.iter(|| reports.iter().for_each(|r| drop(black_box(extract(r)))));
    });
    group.finish();
    criterion.final_summary();

    let time = |run: &dyn Fn()| {
        let rounds = 5;
        let start = Instant::now();
        for _ in 0..rounds {
            run();
        }
        start.elapsed().as_secs_f64() / f64::from(rounds)
    };
    let parse = time(&|| {
        black_box(parse_all());
    });
    let figures = time(&|| {
        reports.iter().for_each(|r| {
            black_box(extract(r));
        });
    });
    println!("\n{} narratives, {:.2} MB", documents.len(), bytes as f64 / 1e6);
    println!("parse_document (figures included): {:>8.2} ms", parse * 1e3);
    println!("extract (figures alone):           {:>8.2} ms", figures * 1e3);
    println!("the figures add {:.1}% to the rest of the parse", 100.0 * figures / (parse - figures));
}
