//! The parser's time per byte on hostile documents, from 10 kB to 4 MB: flat when every path is
//! linear (issue 16, finding 4).
//!
//! ```sh
//! nice cargo bench -p tip-ingest --bench linear -- --quick
//! nice cargo bench -p tip-ingest --bench linear -- --quick 'dash_line/(1000000|4000000)$'
//! ```
//!
//! The documents come from `tip_corpus::pathological` (one generator), one
//! group per pattern, one benchmark per size. The table at the end gives each median as
//! nanoseconds per byte and the ratio of the largest size's to the smallest's: about 1 when the
//! cost grows linearly, the size ratio (400) when it grows quadratically.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

mod criterion_run;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use tip_ingest::{Hints, parse_document};

use tip_corpus::pathological::Pattern;

use criterion_run::{median_seconds, output_directory};

const SIZES: [usize; 4] = [10_000, 100_000, 1_000_000, 4_000_000];

fn main() {
    let hints = Hints { year: Some(2023), ..Hints::default() };
    let started = SystemTime::now();
    let directory = output_directory();
    let mut criterion = Criterion::default()
        .output_directory(&directory)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for pattern in Pattern::ALL {
        let mut group = criterion.benchmark_group(pattern.name());
        group.sampling_mode(SamplingMode::Flat);
        for size in SIZES {
            let document = pattern.document(size);
            group.throughput(Throughput::Bytes(document.len() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(size), &document, |b, document| {
                b.iter(|| parse_document(black_box(document), &hints))
            });
        }
        group.finish();
    }
    criterion.final_summary();

    println!();
    println!("linear: nanoseconds per byte, medians of this run");
    let header: String = SIZES.iter().map(|size| format!("{size:>12}")).collect();
    println!("{:<30}{header}{:>12}", "pattern", "last/first");
    for pattern in Pattern::ALL {
        let per_byte: Vec<Option<f64>> = SIZES
            .iter()
            .map(|&size| {
                let bytes = pattern.document(size).len() as f64;
                median_seconds(&directory, &format!("{}/{size}", pattern.name()), started).map(|s| s * 1e9 / bytes)
            })
            .collect();
        if per_byte.iter().all(Option::is_none) {
            continue;
        }
        let cells: String = per_byte
            .iter()
            .map(|cell| cell.map_or_else(|| format!("{:>12}", "-"), |ns| format!("{ns:>12.2}")))
            .collect();
        let measured: Vec<f64> = per_byte.iter().flatten().copied().collect();
        let ratio = match (measured.first(), measured.last()) {
            (Some(first), Some(last)) if measured.len() > 1 => format!("{:>12.2}", last / first),
            _ => format!("{:>12}", "-"),
        };
        println!("{:<30}{cells}{ratio}", pattern.name());
    }
}
