//! Parser tests on the bundled seed document and on real narratives from `../shared/data`.

use std::path::{Path, PathBuf};

use tip_ingest::{Hints, parse_document};
use tip_model::pb::{Completeness, StandardsFinding, Tier, TierChange};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn parses_the_seed() {
    let bytes = std::fs::read(repo_root().join("seeds/mali-2023.txt")).unwrap();
    let parsed = parse_document(&bytes, &Hints::default());
    assert!(parsed.is_ok(), "{:?}", parsed.diagnostics);
    let report = &parsed.report;
    assert_eq!(report.name, "countries/MLI/reports/2023");
    assert_eq!(report.country, "countries/MLI");
    assert_eq!(report.year, 2023);
    assert_eq!(report.tier(), Tier::Tier2);
    assert_eq!(report.tier_change(), TierChange::Upgraded);
    assert_eq!(report.finding(), StandardsFinding::SignificantEfforts);
    assert_eq!(report.recommendations.len(), 9);
    assert!(report.recommendations[0].text.starts_with("Vigorously investigate and prosecute"));
    assert!(report.recommendations[8].text.starts_with("Empower the anti-trafficking inter-ministerial committee"));
    assert!(report.recommendations[2].text.contains("personnel’s recruitment"), "curly apostrophe kept");
    let source = report.source.as_ref().unwrap();
    assert_eq!(source.title_line, "MALI (Tier 2) Extracted in part  from the U.S. State Dept 2023 TIP Report");
    assert_eq!(source.publisher, "U.S. State Dept");
    assert!(source.extracted_in_part);
    assert_eq!(source.encoding, "UTF-8");
    assert_eq!(source.content_sha256.len(), 64);
    assert_eq!(report.paragraphs.len(), 1);
    assert!(!report.paragraphs[0].contains("  "), "doubled spaces are collapsed");
    assert_eq!(report.completeness(), Completeness::Excerpt);
    assert!(parsed.diagnostics.warnings.is_empty(), "{:?}", parsed.diagnostics.warnings);
}
