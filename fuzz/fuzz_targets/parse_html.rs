//! Feeds arbitrary bytes to the web-page front end, then each narrative it finds to the
//! narrative parser, as `parse_file` does for a page. A panic, a hang, a page read without a
//! narrative, or an error that does not say where is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tip_ingest::{Hints, MediaType, html, parse_file};

fuzz_target!(|bytes: &[u8]| {
    match html::extract(bytes) {
        Ok(extraction) => {
            assert!(!extraction.narratives.is_empty(), "a page read has a narrative");
            assert!(extraction.narratives.iter().all(|n| !n.text.trim().is_empty()), "a narrative has text");
        }
        Err(error) => assert!(!error.location.is_empty() && !error.message.is_empty(), "{error:?}"),
    }
    if let Ok(parsed) = parse_file(bytes, &Hints::default(), Some(MediaType::Html)) {
        for (part, document) in parsed.parts.iter().enumerate() {
            let source = document.report.source.as_ref().expect("every part has a source");
            assert_eq!(source.part as usize, part);
            assert_eq!(source.media_type, "text/html");
        }
    }
});
