//! Parser throughput on one core, against the floor of a plain scan of the same bytes, in one run:
//!
//! ```sh
//! cargo bench -p tip-ingest --bench parse
//! ```
//!
//! The documents are the first 500 of the scale corpus (the `tip-corpus` crate: one generator),
//! about 6 MB over every layout era. Three measurements over the same bytes:
//!
//! * `floor_memchr_lines`: count the lines with `memchr`, the least any reader of the text does;
//! * `sha256`: the content hash every parse computes (it names a document's revision), the
//!   least `parse_document` can cost;
//! * `parse_document`: decode, heading, sections, verdict sentences, recommendations and
//!   diagnostics, with the file name's hints as `tip-atlas ingest` gives them.
//!
//! Criterion prints each median with its MB/s; the table at the end gives documents/s and the
//! ratios to the floor, from the medians of this run.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, SystemTime};

mod criterion_run;

use criterion::{Criterion, SamplingMode, Throughput};
use sha2::{Digest, Sha256};
use tip_ingest::{Hints, parse_document};

use criterion_run::{median_seconds, output_directory};

const DOCUMENTS: usize = 500;
const GROUP: &str = "parse";
const FLOOR: &str = "floor_memchr_lines";
const SHA256: &str = "sha256";
const PARSE: &str = "parse_document";

fn main() {
    let documents: Vec<(Hints, Vec<u8>)> = (0..DOCUMENTS)
        .map(|index| {
            let document = tip_corpus::document(index);
            (Hints::from_path(Path::new(&document.file_name)), document.bytes)
        })
        .collect();
    for (hints, bytes) in &documents {
        let parsed = parse_document(bytes, hints);
        assert!(parsed.is_ok(), "{:?}: {:?}", hints.source_uri, parsed.diagnostics.errors);
    }
    let total: usize = documents.iter().map(|(_, bytes)| bytes.len()).sum();

    let started = SystemTime::now();
    let directory = output_directory();
    let mut criterion = Criterion::default()
        .output_directory(&directory)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6))
        .configure_from_args();
    let mut group = criterion.benchmark_group(GROUP);
    group.throughput(Throughput::Bytes(total as u64)).sampling_mode(SamplingMode::Flat);
    group.bench_function(FLOOR, |b| {
        b.iter(|| {
            documents.iter().map(|(_, bytes)| memchr::memchr_iter(b'\n', black_box(bytes)).count()).sum::<usize>()
        })
    });
    group.bench_function(SHA256, |b| {
        b.iter(|| documents.iter().map(|(_, bytes)| Sha256::digest(black_box(bytes))[0] as usize).sum::<usize>())
    });
    group.bench_function(PARSE, |b| {
        b.iter(|| {
            for (hints, bytes) in &documents {
                black_box(parse_document(black_box(bytes), hints));
            }
        })
    });
    group.finish();
    criterion.final_summary();

    let floor = median_seconds(&directory, &format!("{GROUP}/{FLOOR}"), started);
    println!();
    println!("parse: {DOCUMENTS} documents, {:.2} MB, one core; medians of this run", total as f64 / 1e6);
    println!("{:<22} {:>12} {:>10} {:>12} {:>14}", "measurement", "median", "MB/s", "documents/s", "speed vs floor");
    for bench in [FLOOR, SHA256, PARSE] {
        let Some(seconds) = median_seconds(&directory, &format!("{GROUP}/{bench}"), started) else {
            println!("{bench:<22} {:>12}", "not run");
            continue;
        };
        let ratio = floor.map_or_else(|| "n/a".to_owned(), |floor| format!("{:.4}", floor / seconds));
        println!(
            "{bench:<22} {:>9.3} ms {:>10.1} {:>12.0} {:>14}",
            seconds * 1e3,
            total as f64 / seconds / 1e6,
            DOCUMENTS as f64 / seconds,
            ratio
        );
    }
}
