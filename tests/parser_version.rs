//! Stores re-derive their reports when `tip_ingest::PARSER_VERSION` is newer than the one they
//! recorded, so a change of what the parser makes of the same bytes must bump it. This test pins
//! the parser's output on every document at hand to the version: when the output changes, it
//! fails until the version is bumped and the new fingerprint pinned beside it.

use std::path::{Path, PathBuf};

use prost::Message;
use sha2::{Digest, Sha256};
use tip_ingest::{Hints, PARSER_VERSION, parse_document};

/// The parser version and the fingerprint of its output on the documents below.
const PINNED: (u32, &str) = (3, "1771153dfbdba672d0c6a9eb12174c5e3afbcc68c2a855c9c66e1ac5b5540e71");

/// The seed, every reference narrative, and the waiver fixture, in a fixed order.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths = vec![root.join("seeds/mali-2023.txt"), root.join("tests/fixtures/KUWAIT_2018_teomotun.txt")];
    let narratives = root.join("../shared/data/narratives");
    let mut shared: Vec<PathBuf> = std::fs::read_dir(&narratives)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "txt"))
        .collect();
    shared.sort();
    paths.extend(shared);
    paths
}

#[test]
fn a_change_of_the_parsers_output_bumps_its_version() {
    let mut fingerprint = Sha256::new();
    for path in documents() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // The URI the file name, not the path: the same on every machine.
        let hints = Hints { source_uri: Some(name.clone()), ..Hints::from_path(&path) };
        let parsed = parse_document(&std::fs::read(&path).unwrap(), &hints);
        fingerprint.update(name.as_bytes());
        fingerprint.update(parsed.report.encode_to_vec());
    }
    let fingerprint = tip_model::hex::to_hex(&fingerprint.finalize());
    assert_eq!(
        (PARSER_VERSION, fingerprint.as_str()),
        PINNED,
        "the parser's output changed: bump tip_ingest::PARSER_VERSION (stores re-derive their reports on start) \
         and pin the new fingerprint"
    );
}
