//! `tip-pathological --size BYTES --out DIR`: writes one document of each hostile pattern of
//! `tip_corpus::pathological`, for `tip-atlas check` by hand.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tip_corpus::pathological::Pattern;

/// Writes one hostile document per pattern, each about SIZE bytes.
#[derive(Parser)]
#[command(name = "tip-pathological")]
struct Args {
    /// The size of each document in bytes.
    #[arg(long, default_value_t = 1_000_000)]
    size: usize,
    /// The folder to write them into, created when missing.
    #[arg(long, default_value = "target/pathological")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let Args { size, out } = Args::parse();
    if let Err(error) = std::fs::create_dir_all(&out) {
        eprintln!("tip-pathological: cannot create {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    for pattern in Pattern::ALL {
        // The file name hints the year; the heading names the country.
        let path = out.join(format!("{}_2023.txt", pattern.name()));
        if let Err(error) = std::fs::write(&path, pattern.document(size)) {
            eprintln!("tip-pathological: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{}", path.display());
    }
    ExitCode::SUCCESS
}
