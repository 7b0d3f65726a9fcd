//! Feeds arbitrary bytes to `parse_document`, without hints and with a country and year hint.
//! A panic, a hang or a diagnostic pointing outside the text is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tip_ingest::decode::decode;
use tip_ingest::{Hints, parse_document};

fuzz_target!(|bytes: &[u8]| {
    let hinted = Hints { country: Some("MLI".into()), year: Some(2023), source_uri: None };
    for hints in [Hints::default(), hinted] {
        let parsed = parse_document(bytes, &hints);
        if parsed.is_ok() {
            assert!(parsed.storable_name().is_some(), "a document without errors has a name");
        }
        let text = decode(bytes).text;
        let lines: Vec<&str> = text.split('\n').collect();
        for d in parsed.diagnostics.errors.iter().chain(&parsed.diagnostics.warnings) {
            if d.line == 0 {
                assert_eq!(d.column, 0, "{d:?}");
                continue;
            }
            let line = lines.get(d.line as usize - 1).unwrap_or_else(|| panic!("no line {}: {d:?}", d.line));
            assert!(d.column >= 1 && d.column as usize <= line.chars().count() + 1, "{d:?}");
        }
    }
});
