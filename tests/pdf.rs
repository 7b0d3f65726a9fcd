//! The PDF front end on PDFs generated from the 2018 corpus (`tip_corpus::pdf`): whole
//! reports by two producers, where every country narrative must be found and parse to the same
//! country and tier as the plain text of the same narrative, and the tier placement pages must
//! all read; a one-narrative PDF; and PDFs that cannot be read, each with a clear error.

use std::collections::HashMap;
use std::sync::OnceLock;

use proptest::prelude::*;
use tip_corpus::corpus2018::{Record, corpus};
use tip_corpus::pdf::{HeadingStyle, chromium, narrative_blocks, report_blocks, tier_lists, writer};
use tip_ingest::extract::Extraction;
use tip_ingest::pdf::{cross_check, extract, extract_with_progress};
use tip_ingest::{Hints, parse_document};
use tip_model::parse_tier;

fn records() -> &'static [Record] {
    static RECORDS: OnceLock<Vec<Record>> = OnceLock::new();
    RECORDS.get_or_init(corpus)
}

fn rust_report() -> &'static [u8] {
    static PDF: OnceLock<Vec<u8>> = OnceLock::new();
    PDF.get_or_init(|| {
        let options = writer::Options {
            title: Some("2018 Trafficking in Persons Report".to_owned()),
            ..writer::Options::default()
        };
        writer::write_pdf(&report_blocks(records(), HeadingStyle::Colon), &options)
    })
}

/// The chromium-printed report, or `None` where chromium is missing (an error under
/// `TIP_ATLAS_REQUIRE_TOOLS=1`, as `tests/run` sets).
fn chromium_report() -> Option<&'static [u8]> {
    static PDF: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    PDF.get_or_init(|| {
        let html = chromium::report_html(&report_blocks(records(), HeadingStyle::Colon));
        let work = std::env::temp_dir().join(format!("tip-atlas-pdf-test-{}", std::process::id()));
        let pdf = chromium::print_to_pdf(&html, &work);
        let _ = std::fs::remove_dir_all(&work);
        if pdf.is_none() {
            assert!(
                std::env::var_os("TIP_ATLAS_REQUIRE_TOOLS").is_none(),
                "chromium is not installed (tests/run installs it)"
            );
            eprintln!("chromium is not installed: the chromium-printed report is not tested");
        }
        pdf
    })
    .as_deref()
}

/// One narrative printed by chromium (Type0 fonts, ToUnicode CMaps), for damaging.
fn chromium_narrative() -> Option<&'static [u8]> {
    static PDF: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    PDF.get_or_init(|| {
        let mali = records().iter().find(|r| r.key == "MALI").expect("Mali");
        let html = chromium::report_html(&narrative_blocks(mali, HeadingStyle::Colon));
        let work = std::env::temp_dir().join(format!("tip-atlas-pdf-narrative-{}", std::process::id()));
        let pdf = chromium::print_to_pdf(&html, &work);
        let _ = std::fs::remove_dir_all(&work);
        pdf
    })
    .as_deref()
}

/// Words of a text, letters and digits only, for comparing what was read with the source.
fn words(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in text.split(|c: char| !c.is_alphanumeric() || matches!(c, 'ﬁ' | 'ﬂ' | 'Š')).filter(|w| !w.is_empty())
    {
        *counts.entry(word.to_lowercase()).or_default() += 1;
    }
    counts
}

/// Every narrative of the corpus found, in order, parsing to the plain text's country and tier;
/// returns the share of the source's words read back.
fn check_report(extraction: &Extraction, producer: &str) -> f64 {
    let hints = Hints { year: Some(2018), ..Hints::default() };
    assert_eq!(extraction.narratives.len(), records().len(), "{producer}: narratives found");
    assert_eq!(extraction.report_year, Some(2018), "{producer}: report year (cover or title)");
    let (mut common, mut total) = (0usize, 0usize);
    let mut previous_page = 0;
    let mut failures = Vec::new();
    for (record, narrative) in records().iter().zip(&extraction.narratives) {
        let expected = parse_document(record.plain_text().as_bytes(), &hints);
        let read = parse_document(narrative.text.as_bytes(), &hints);
        let (want, got) = (&expected.report, &read.report);
        if (got.country.as_str(), got.tier()) != (want.country.as_str(), want.tier()) || read.storable_name().is_none()
        {
            failures.push(format!(
                "{}: read {} {:?} (errors {:?}), expected {} {:?}",
                record.key,
                got.country,
                got.tier(),
                read.diagnostics.errors,
                want.country,
                want.tier()
            ));
        }
        let sections = |r: &tip_model::pb::Report| r.sections.iter().map(|s| s.kind()).collect::<Vec<_>>();
        if sections(got) != sections(want) {
            failures.push(format!("{}: sections {:?}, expected {:?}", record.key, sections(got), sections(want)));
        }
        let pages = narrative.origin.pages.clone().expect("a page range");
        assert!(*pages.start() >= previous_page && pages.start() <= pages.end(), "{}: pages {pages:?}", record.key);
        previous_page = *pages.start();
        let (source, read) = (words(&record.plain_text()), words(&narrative.text));
        total += source.values().sum::<usize>();
        common += source.iter().map(|(w, n)| (*n).min(read.get(w).copied().unwrap_or(0))).sum::<usize>();
    }
    assert!(failures.is_empty(), "{producer}: {} narratives differ:\n{}", failures.len(), failures.join("\n"));
    let share = common as f64 / total as f64;
    println!("{producer}: {} narratives, {:.2}% of the source's words read back", records().len(), share * 100.0);
    share
}

/// Every country of the tier placement pages read under its tier, and no disagreement with the
/// narratives' headings.
fn check_placements(extraction: &Extraction, producer: &str) {
    let expected: Vec<(String, tip_model::pb::Tier)> = tier_lists(records())
        .into_iter()
        .flat_map(|(title, names)| {
            let tier = parse_tier(title.trim_end_matches('S')).expect("a tier");
            names.into_iter().map(move |name| (name, tier))
        })
        .collect();
    let read: Vec<(String, tip_model::pb::Tier)> =
        extraction.placements.iter().map(|p| (p.country_as_published.clone(), p.tier)).collect();
    assert_eq!(read, expected, "{producer}: tier placements");
    assert!(extraction.placements.iter().all(|p| p.page == 3), "{producer}: the tier pages are page 3");
    assert_eq!(cross_check(extraction), Vec::<String>::new(), "{producer}: cross-check");
}

/// The parts passed over, one note each.
fn check_notes(extraction: &Extraction, producer: &str) {
    for title in ["INTRODUCTION", "ENGAGING SURVIVORS OF HUMAN TRAFFICKING", "RELEVANT INTERNATIONAL CONVENTIONS"] {
        let notes = extraction.notes.iter().filter(|n| n.contains(&format!("\"{title}\""))).count();
        assert_eq!(notes, 1, "{producer}: one note for {title}: {:?}", extraction.notes);
    }
}

#[test]
fn the_written_report_gives_every_narrative_and_placement() {
    let mut pages_seen = Vec::new();
    let extraction = extract_with_progress(rust_report(), &mut |page, pages| pages_seen.push((page, pages)))
        .expect("the report reads");
    let pages = pages_seen.last().expect("progress").1;
    assert_eq!(pages_seen, (1..=pages).map(|p| (p, pages)).collect::<Vec<_>>(), "progress once per page");
    let share = check_report(&extraction, "rust writer");
    assert!(share > 0.995, "words read back: {share}");
    check_placements(&extraction, "rust writer");
    check_notes(&extraction, "rust writer");
}

#[test]
fn the_cross_check_reports_a_placement_that_disagrees_with_its_narrative() {
    let mut extraction = extract(rust_report()).expect("the report reads");
    let mali = extraction.placements.iter_mut().find(|p| p.country_as_published == "MALI").expect("Mali listed");
    mali.tier = tip_model::pb::Tier::Tier3;
    let warnings = cross_check(&extraction);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("\"MALI: TIER 2 WATCH LIST\" (page "), "{}", warnings[0]);
    assert!(warnings[0].contains("MALI under Tier 3 (page 3)"), "{}", warnings[0]);
}

#[test]
fn a_report_with_the_early_years_headings_gives_every_narrative() {
    let pdf = writer::write_pdf(&report_blocks(records(), HeadingStyle::Parenthesized), &writer::Options::default());
    let extraction = extract(&pdf).expect("the report reads");
    assert!(extraction.narratives[0].text.starts_with("Afghanistan (Tier 2)\n\n"));
    check_report(&extraction, "rust writer, \"MALI (Tier 2)\" headings");
}

#[test]
fn the_chromium_printed_report_gives_every_narrative_and_placement() {
    let Some(pdf) = chromium_report() else { return };
    let extraction = extract(pdf).expect("the report reads");
    let share = check_report(&extraction, "chromium");
    assert!(share > 0.99, "words read back: {share}");
    check_placements(&extraction, "chromium");
    check_notes(&extraction, "chromium");
}

#[test]
fn the_report_text_has_no_page_furniture_and_no_broken_glyphs() {
    let extraction = extract(rust_report()).expect("the report reads");
    let glued = regex::Regex::new(r"\d{2,3}[A-Z]{3,}[a-z]").unwrap();
    for narrative in &extraction.narratives {
        for furniture in ["TRAFFICKING IN PERSONS REPORT", "ﬁ", "ﬂ", "ﬀ"] {
            assert!(!narrative.text.contains(furniture), "{furniture:?} in {}", &narrative.text[..60]);
        }
        assert!(!glued.is_match(&narrative.text), "a page number glued to a running head");
    }
    let afghanistan = &extraction.narratives[0].text;
    assert!(afghanistan.starts_with("AFGHANISTAN: TIER 2\n\nThe Government of Afghanistan"), "{afghanistan:.80}");
    // A word the writer hyphenated at a line end is whole again; one written with a hyphen keeps it.
    assert!(afghanistan.contains("anti-trafficking"));
    assert!(!afghanistan.contains("traf- ficking") && !afghanistan.contains("traf-ficking"));
    // The corpus's slips undone: "ﬁ…ﬂ" quotes and "Š" dashes.
    let all: String = extraction.narratives.iter().map(|n| n.text.as_str()).collect();
    assert!(all.contains("“partner.”"), "quotes");
    assert!(all.contains("reporting period—the same"), "dashes");
    // A heading broken over two lines reads whole.
    assert!(all.contains("BANGLADESH: TIER 2 WATCH LIST\n\n"));
    // Each recommendation is a paragraph of its own.
    assert!(afghanistan.contains("RECOMMENDATIONS FOR AFGHANISTAN\n\n• Cease the unlawful recruitment"), "bullets");
}

#[test]
fn a_one_narrative_pdf_gives_its_narrative() {
    let mali = records().iter().find(|r| r.key == "MALI").expect("Mali in the corpus");
    let pdf = writer::write_pdf(&narrative_blocks(mali, HeadingStyle::Parenthesized), &writer::Options::default());
    let extraction = extract(&pdf).expect("the narrative reads");
    assert_eq!(extraction.narratives.len(), 1);
    let narrative = &extraction.narratives[0];
    assert!(narrative.text.starts_with("Mali (Tier 2 Watch List)\n\n"), "{:.60}", narrative.text);
    let pages = narrative.origin.pages.clone().expect("pages");
    assert_eq!(*pages.start(), 1);
    let parsed = parse_document(narrative.text.as_bytes(), &Hints { year: Some(2018), ..Hints::default() });
    assert_eq!(parsed.report.country, "countries/MLI");
    assert_eq!(parsed.report.tier(), tip_model::pb::Tier::Tier2WatchList);
    assert!(parsed.report.recommendations.len() > 5);
    assert!(extraction.placements.is_empty() && extraction.notes.is_empty(), "{:?}", extraction.notes);
}

#[test]
fn a_one_narrative_pdf_printed_by_chromium_gives_its_narrative() {
    let Some(pdf) = chromium_narrative() else { return };
    let extraction = extract(pdf).expect("the narrative reads");
    assert_eq!(extraction.narratives.len(), 1);
    let text = &extraction.narratives[0].text;
    assert!(text.starts_with("MALI: TIER 2 WATCH LIST\n\nThe Government of Mali"), "{text:.60}");
    let parsed = parse_document(text.as_bytes(), &Hints { year: Some(2018), ..Hints::default() });
    assert_eq!(
        (parsed.report.country.as_str(), parsed.report.tier()),
        ("countries/MLI", tip_model::pb::Tier::Tier2WatchList)
    );
}

fn error_of(bytes: &[u8]) -> tip_ingest::extract::ExtractError {
    extract(bytes).expect_err("the PDF must not read")
}

#[test]
fn a_truncated_pdf_says_it_is_cut_off_and_where() {
    let whole = rust_report();
    let cut = &whole[..whole.len() / 2];
    let error = error_of(cut);
    assert_eq!(error.location, format!("byte {}", cut.len()));
    assert!(error.message.contains("cut off"), "{error}");
}

#[test]
fn an_encrypted_pdf_says_it_is_encrypted() {
    let mali = records().iter().find(|r| r.key == "MALI").expect("Mali");
    let error = error_of(&writer::encrypted_pdf(&narrative_blocks(mali, HeadingStyle::Colon)));
    assert!(error.message.contains("encrypted"), "{error}");
    assert_eq!(error.location, "trailer /Encrypt");
}

#[test]
fn an_image_only_pdf_says_it_has_no_text_layer() {
    let error = error_of(&writer::scanned_pdf(3));
    assert_eq!(error.location, "pages 1–3");
    assert!(error.message.contains("no text layer"), "{error}");
}

#[test]
fn corrupt_pdfs_say_what_is_damaged_and_where() {
    // Not a PDF at all.
    let error = error_of(b"PK\x03\x04 a zip file %%EOF");
    assert_eq!((error.location.as_str(), error.message.contains("not a PDF")), ("byte 0", true), "{error}");
    // A header and an end, and garbage between.
    let error = error_of(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> garbage ]]]\nstartxref\n99999\n%%EOF\n");
    assert!(error.location.starts_with("byte ") || error.location == "document", "{error}");
    assert!(error.message.contains("damaged") || error.message.contains("no pages"), "{error}");
    // A page whose content stream is not a content stream.
    let mali = records().iter().find(|r| r.key == "MALI").expect("Mali");
    let mut pdf = writer::write_pdf(&narrative_blocks(mali, HeadingStyle::Colon), &writer::Options::default());
    let stream = memchr::memmem::find(&pdf, b"/FlateDecode >>\nstream\n").expect("a stream") + 23;
    pdf[stream..stream + 40].copy_from_slice(&[0xFF; 40]);
    match extract(&pdf) {
        Err(error) => assert!(error.location.starts_with("page ") || error.location.starts_with("byte "), "{error}"),
        // A damaged first page may read as no text; the narrative then starts on the next page
        // or is not found, but nothing panics.
        Ok(extraction) => assert!(extraction.narratives.len() <= 1),
    }
}

/// A PDF of the given objects (numbered from 1; the first is the catalog), with its xref table.
fn raw_pdf(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let trailer = format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    out.extend_from_slice(trailer.as_bytes());
    out
}

#[test]
fn a_page_whose_forms_draw_each_other_without_end_says_so() {
    // A form that draws itself twenty times: twenty to the eighth power draws, nesting cut at eight.
    let draws = "/Fm Do ".repeat(20);
    let pdf = raw_pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Fm 5 0 R >> >> /Contents 4 0 R >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{draws}\nendstream", draws.len() + 1),
        format!(
            "<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /Fm 5 0 R >> >> /Length {} >>\nstream\n{draws}\nendstream",
            draws.len() + 1
        ),
    ]);
    let error = error_of(&pdf);
    assert_eq!(error.location, "page 1");
    assert!(error.message.contains("operations"), "{error}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = extract(&bytes);
        let mut framed = b"%PDF-1.4\n".to_vec();
        framed.extend_from_slice(&bytes);
        framed.extend_from_slice(b"\n%%EOF\n");
        let _ = extract(&framed);
    }

    #[test]
    fn damaged_chromium_narratives_never_panic(at in 0usize..1_000_000, len in 1usize..64, fill in any::<u8>()) {
        if let Some(pdf) = chromium_narrative() {
            let mut pdf = pdf.to_vec();
            let at = at % pdf.len();
            let end = (at + len).min(pdf.len());
            pdf[at..end].iter_mut().for_each(|b| *b = fill);
            let _ = extract(&pdf);
        }
    }

    #[test]
    fn damaged_reports_never_panic(at in 0usize..100_000, len in 1usize..64, fill in any::<u8>()) {
        let mali = records().iter().find(|r| r.key == "MALI").expect("Mali");
        let mut pdf = writer::write_pdf(&narrative_blocks(mali, HeadingStyle::Colon), &writer::Options::default());
        let at = at % pdf.len();
        let end = (at + len).min(pdf.len());
        pdf[at..end].iter_mut().for_each(|b| *b = fill);
        let _ = extract(&pdf);
    }
}
