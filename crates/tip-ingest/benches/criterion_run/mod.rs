//! What the benchmarks share: where criterion writes, and the medians it saved in this run.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// `CRITERION_HOME`, else `criterion` in the target folder.
pub fn output_directory() -> PathBuf {
    std::env::var_os("CRITERION_HOME").map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
        target.join("criterion")
    })
}

/// The median time of one iteration of `benchmark` (its id, such as `parse/sha256`), in
/// seconds, as criterion saved it in this run (a file from an earlier run, of a benchmark
/// filtered out of this one, does not count).
pub fn median_seconds(directory: &Path, benchmark: &str, since: SystemTime) -> Option<f64> {
    let path = directory.join(benchmark).join("new").join("estimates.json");
    if std::fs::metadata(&path).and_then(|m| m.modified()).ok()? < since {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    Some(json["median"]["point_estimate"].as_f64()? / 1e9)
}
