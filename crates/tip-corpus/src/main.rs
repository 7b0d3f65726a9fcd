//! `tip-corpus --count N --out DIR`: writes the first N documents of the scale corpus into a
//! folder, on up to eight threads.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Writes the first N documents of the TIP Atlas scale corpus into a folder: the same bytes on
/// every machine.
#[derive(Parser)]
#[command(name = "tip-corpus")]
struct Args {
    /// How many documents, from document 0 (underscores allowed: 50_000).
    #[arg(long, value_parser = parse_count)]
    count: usize,
    /// The folder to write them into, created when missing.
    #[arg(long)]
    out: PathBuf,
}

fn parse_count(text: &str) -> Result<usize, String> {
    text.replace('_', "").parse().map_err(|e| format!("{e}"))
}

fn main() -> ExitCode {
    let Args { count, out } = Args::parse();
    if let Err(error) = std::fs::create_dir_all(&out) {
        eprintln!("tip-corpus: cannot create {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let started = std::time::Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let written: Result<Vec<usize>, String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let out = &out;
                scope.spawn(move || {
                    let mut bytes = 0;
                    for index in (t..count).step_by(threads) {
                        let document = tip_corpus::document(index);
                        let path = out.join(&document.file_name);
                        std::fs::write(&path, &document.bytes)
                            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
                        bytes += document.bytes.len();
                    }
                    Ok(bytes)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or_else(|_| Err("a worker panicked".to_owned()))).collect()
    });
    let bytes: usize = match written {
        Ok(bytes) => bytes.iter().sum(),
        Err(error) => {
            eprintln!("tip-corpus: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "wrote {count} documents ({:.1} MB, {} distinct country-years) to {} in {:.1} s",
        bytes as f64 / 1e6,
        count.min(tip_corpus::sweep()),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_may_group_digits_with_underscores() {
        assert_eq!(parse_count("50_000"), Ok(50_000));
        assert_eq!(parse_count("300"), Ok(300));
        assert!(parse_count("-1").is_err());
        assert!(parse_count("").is_err());
    }
}
