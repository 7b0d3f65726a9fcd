//! Feeds arbitrary bytes to the PDF front end, then every narrative it finds to the narrative
//! parser. A panic (the fuzzer's panic hook aborts even inside the front end's guard), a hang,
//! or a narrative without its page range is a finding. Seeds: generated reports
//! (`cargo run --example pdf_report -- rust fuzz/corpus/parse_pdf/report.pdf 3`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tip_ingest::{Hints, parse_document};

fuzz_target!(|bytes: &[u8]| {
    let mut last_page = 0;
    let Ok(extraction) = tip_ingest::pdf::extract_with_progress(bytes, &mut |page, _| last_page = page) else {
        return;
    };
    for narrative in &extraction.narratives {
        let pages = narrative.origin.pages.as_ref().expect("a narrative has its pages");
        assert!(*pages.start() >= 1 && *pages.end() <= last_page, "{pages:?} beyond page {last_page}");
        let _ = parse_document(narrative.text.as_bytes(), &Hints::default());
    }
    let _ = tip_ingest::pdf::cross_check(&extraction);
});
