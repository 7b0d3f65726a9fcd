//! The web-page front end: pages of every layout read, written at test time from real
//! narratives (`fixtures_html`), give the same report as the plain text of the same narrative;
//! a page of several countries gives one report per country; charsets; pages without a
//! narrative; arbitrary bytes never panic.

mod fixtures_html;

use std::path::{Path, PathBuf};

use fixtures_html::Narrative;
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use tip_ingest::{Hints, MediaType, ParsedDocument, ParsedFile, parse_document, parse_file};
use tip_model::pb::Report;

fn narratives_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/narratives")
}

/// A narrative file's path: `../shared/data/narratives/NAME`, or the repository's seed.
fn narrative_path(name: &str) -> PathBuf {
    if name == "mali-2023.txt" {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds/mali-2023.txt")
    } else {
        narratives_dir().join(name)
    }
}

fn text_of(name: &str) -> String {
    std::fs::read_to_string(narrative_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The plain-text narrative as the parser reads it, with the hints its file name gives.
fn from_text(name: &str) -> ParsedDocument {
    parse_document(text_of(name).as_bytes(), &Hints::from_path(&narrative_path(name)))
}

fn from_page(page: &[u8]) -> ParsedFile {
    let parsed = parse_file(page, &Hints::default(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.media_type, MediaType::Html, "a page is sniffed as HTML");
    parsed
}

/// What a reader compares: country, year, tier, verdicts, paragraphs, sections (kind and text)
/// and recommendations.
#[derive(Debug, PartialEq)]
struct Essence {
    name: String,
    tier: i32,
    tier_change: i32,
    finding: i32,
    completeness: i32,
    paragraphs: Vec<String>,
    sections: Vec<(i32, Vec<String>)>,
    recommendations: Vec<String>,
}

fn essence(report: &Report) -> Essence {
    Essence {
        name: report.name.clone(),
        tier: report.tier,
        tier_change: report.tier_change,
        finding: report.finding,
        completeness: report.completeness,
        paragraphs: report.paragraphs.clone(),
        sections: report.sections.iter().map(|s| (s.kind, s.paragraphs.clone())).collect(),
        recommendations: report.recommendations.iter().map(|r| r.text.clone()).collect(),
    }
}

/// Asserts that the page's only narrative gives the report of the text file `name`.
fn assert_same_report(page: &[u8], name: &str) -> ParsedDocument {
    let text = from_text(name);
    assert!(text.is_ok(), "{name} as text: {:?}", text.diagnostics.errors);
    let parsed = from_page(page);
    assert_eq!(parsed.parts.len(), 1, "{name}: one narrative in the page");
    let part = parsed.parts.into_iter().next().unwrap();
    assert!(part.is_ok(), "{name} as a page: {:?}", part.diagnostics.errors);
    assert_eq!(essence(&part.report), essence(&text.report), "{name}: the page and the text differ");
    assert!(!part.report.name.is_empty(), "{name}: country and year known");
    assert!(!part.report.paragraphs.is_empty(), "{name}: the narrative's text was read");
    part
}

fn narrative(name: &str) -> Narrative {
    fixtures_html::narrative(&text_of(name))
}

#[test]
fn state_gov_report_pages_since_2021_give_the_text_report() {
    // The seed is GVnet's copy of the 2023 page; state.gov prints the bare heading and says the
    // year in its URL and title.
    let mut mali = narrative("mali-2023.txt");
    mali.heading = "MALI (Tier 2)".to_owned();
    let page = fixtures_html::state_gov_report(&mali, "Mali", 2023, false);
    let part = assert_same_report(page.as_bytes(), "mali-2023.txt");
    assert_eq!(part.report.recommendations.len(), 9, "each <li> is one recommendation");

    let source = part.report.source.unwrap();
    assert_eq!(source.media_type, "text/html");
    assert_eq!(source.part, 0);
    assert_eq!(source.page_title, "Mali - United States Department of State");
    assert_eq!(source.canonical_url, "https://www.state.gov/reports/2023-trafficking-in-persons-report/mali/");
    assert_eq!(source.published, "2023-06-15T13:00:00+00:00");
    assert_eq!(source.encoding, "UTF-8");
    assert_eq!(
        source.content_sha256,
        tip_model::hex::to_hex(&Sha256::digest(page.as_bytes())),
        "the whole page's hash"
    );
    assert_eq!((source.first_page, source.last_page), (0, 0), "no pages in a web page");

    for (name, country, year) in [("LIBYA_2024_ecoi.txt", "Libya", 2024), ("MALI_2023_statenewswire.txt", "Mali", 2023)]
    {
        let page = fixtures_html::state_gov_report(&narrative(name), country, year, false);
        assert_same_report(page.as_bytes(), name);
    }
}

#[test]
fn list_items_are_separate_recommendations_never_glued() {
    let mut mali = narrative("mali-2023.txt");
    mali.heading = "MALI (Tier 2)".to_owned();
    let page = fixtures_html::state_gov_report(&mali, "Mali", 2023, false);
    let report = &from_page(page.as_bytes()).parts[0].report;
    let glued = regex::Regex::new(r"[a-z]\.[A-Z][a-z]").unwrap();
    for recommendation in &report.recommendations {
        assert!(!glued.is_match(&recommendation.text), "glued: {}", recommendation.text);
    }
    assert!(report.recommendations[0].text.starts_with("Vigorously investigate"));
    assert!(report.recommendations[1].text.starts_with("Amend the anti-trafficking law"));
}

#[test]
fn state_gov_2017_2021_archive_pages_give_the_text_report() {
    for (name, country, year) in [
        ("TONGA_2019_stategov.txt", "Tonga", 2019),
        ("MALI_2018_tip-pdf-parse_COMPLETE.txt", "Mali", 2018),
        ("NIGERIA_2018_tip-pdf-parse_COMPLETE.txt", "Nigeria", 2018),
        ("LIBYA_2018_tip-pdf-parse_COMPLETE.txt", "Libya", 2018),
        ("YEMEN_2021_thefederalnewswire.txt", "Yemen", 2021),
    ] {
        let page = fixtures_html::state_gov_report(&narrative(name), country, year, true);
        assert_same_report(page.as_bytes(), name);
    }
}

#[test]
fn state_gov_2009_2017_pages_give_the_text_report() {
    let page = fixtures_html::state_gov_2009_2017(&narrative("MALI_2012_refworld.txt"), "Mali", 2012, 192_367);
    let part = assert_same_report(page.as_bytes(), "MALI_2012_refworld.txt");
    let source = part.report.source.unwrap();
    assert_eq!(source.page_title, "Mali");
    assert_eq!(source.canonical_url, "http://www.state.gov/j/tip/rls/tiprpt/countries/2012/192367.htm");
    assert_eq!(source.published, "2012-06-19");
}

#[test]
fn a_2001_2008_page_of_several_countries_gives_one_report_per_country() {
    let angola = narrative("ANGOLA_2001_stategov_COMPLETE.txt");
    let nigeria = narrative("NIGERIA_2001_refworld.txt");
    let page =
        fixtures_html::state_gov_2001_2008(&[&angola, &nigeria], "IV. Country Narratives -- Tier 2", 2001, 3_930);
    let parsed = from_page(page.as_bytes());
    assert_eq!(parsed.parts.len(), 2, "{:?}", parsed.parts.iter().map(|p| &p.report.name).collect::<Vec<_>>());
    for (part, name) in parsed.parts.iter().zip(["ANGOLA_2001_stategov_COMPLETE.txt", "NIGERIA_2001_refworld.txt"]) {
        assert!(part.is_ok(), "{name}: {:?}", part.diagnostics.errors);
        assert_eq!(essence(&part.report), essence(&from_text(name).report), "{name}");
    }
    assert_eq!(parsed.parts[0].report.name, "countries/AGO/reports/2001", "the year from the page's URL");
    assert_eq!(parsed.parts[1].report.name, "countries/NGA/reports/2001");
    let parts: Vec<i32> = parsed.parts.iter().map(|p| p.report.source.as_ref().unwrap().part).collect();
    assert_eq!(parts, [0, 1]);
    assert_eq!(parsed.notes.len(), 1, "the page's own heading is passed over: {:?}", parsed.notes);
    assert!(parsed.notes[0].contains("IV. Country Narratives"), "{:?}", parsed.notes);

    // A country hint, as a file name gives one, holds for a file of one narrative only.
    let hints = Hints { country: Some("Angola".to_owned()), ..Hints::default() };
    let parsed = parse_file(page.as_bytes(), &hints, None).unwrap();
    let conflicts: Vec<_> =
        parsed.parts.iter().flat_map(|p| &p.report.warnings).filter(|w| w.code == "hint-conflict").collect();
    assert!(conflicts.is_empty(), "{conflicts:?}");
}

#[test]
fn refworld_pages_give_the_text_report() {
    for (name, country, year, docid) in [
        ("MALI_2017_refworld.txt", "Mali", 2017, "5959ec9013"),
        ("NIGERIA_2003_refworld.txt", "Nigeria", 2003, "4680d7a5e"),
    ] {
        let page = fixtures_html::refworld(&narrative(name), country, year, docid);
        let part = assert_same_report(page.as_bytes(), name);
        assert_eq!(
            part.report.source.unwrap().page_title,
            format!("Refworld | {year} Trafficking in Persons Report - {country}")
        );
    }
}

#[test]
fn gvnet_pages_give_the_text_report() {
    for (name, country) in
        [("mali-2023.txt", "Mali"), ("LUXEMBOURG_2023_gvnet.txt", "Luxembourg"), ("BELARUS_2023_gvnet.txt", "Belarus")]
    {
        let page = fixtures_html::gvnet(&narrative(name), country, "utf-8");
        assert_same_report(page.as_bytes(), name);
    }
}

#[test]
fn a_windows_1252_page_is_read_in_its_declared_charset() {
    let page = fixtures_html::gvnet(&narrative("LUXEMBOURG_2009_gvnet.txt"), "Luxembourg", "windows-1252");
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&page);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "the page is not UTF-8");
    let part = assert_same_report(&bytes, "LUXEMBOURG_2009_gvnet.txt");
    assert_eq!(part.report.source.as_ref().unwrap().encoding, "windows-1252");
    assert!(part.report.paragraphs.iter().any(|p| p.contains("migrating – legally")), "{:?}", part.report.paragraphs);
}

#[test]
fn pages_of_other_sites_are_read_by_the_general_rule() {
    for (name, title) in [
        ("SOMALIA_2022_ecoi.txt", "2022 Trafficking in Persons Report: Somalia"),
        ("SEYCHELLES_2018_tip-pdf-parse_COMPLETE.txt", "2018 Trafficking in Persons Report: Seychelles"),
    ] {
        let page = fixtures_html::other_site(&narrative(name), title);
        let part = assert_same_report(page.as_bytes(), name);
        assert_eq!(part.report.source.unwrap().published, "2022-07-19");
    }
}

#[test]
fn a_narrative_shown_as_preformatted_text_gives_the_text_report() {
    for (name, title) in [
        ("TONGA_2019_stategov.txt", "2019 Trafficking in Persons Report: Tonga"),
        ("MALI_2018_tip-pdf-parse_COMPLETE.txt", "Trafficking in Persons Report 2018 - Mali"),
        ("LUXEMBOURG_2009_gvnet.txt", "Luxembourg"),
    ] {
        let page = fixtures_html::preformatted(&text_of(name), title);
        assert_same_report(page.as_bytes(), name);
    }
}

#[test]
fn a_page_without_a_narrative_is_refused_with_where_it_looked() {
    let page = "<!DOCTYPE html><html><head><title>Recipes</title></head><body><nav><a href=/>Home</a></nav>\
                <div id=content><p>Mix the flour and the butter, then bake for twenty minutes.</p></div>\
                <footer>Contact</footer></body></html>";
    let error = parse_file(page.as_bytes(), &Hints::default(), None).unwrap_err();
    assert_eq!(error.location, "element div#content");
    assert!(error.message.starts_with("no country narrative in the page"), "{error}");

    let error = parse_file(b"<html><body><script>x()</script></body></html>", &Hints::default(), None).unwrap_err();
    assert!(error.message.contains("has no text"), "{error}");
}

#[test]
fn plain_text_is_read_as_before() {
    let bytes = text_of("MALI_2017_refworld.txt");
    let hints = Hints::from_path(&narrative_path("MALI_2017_refworld.txt"));
    let parsed = parse_file(bytes.as_bytes(), &hints, None).unwrap();
    assert_eq!(parsed.media_type, MediaType::Text);
    assert_eq!(parsed.parts.len(), 1);
    let alone = parse_document(bytes.as_bytes(), &hints);
    assert_eq!(essence(&parsed.parts[0].report), essence(&alone.report));
    assert_eq!(parsed.parts[0].report.source.as_ref().unwrap().media_type, "text/plain");
    assert_eq!(
        parsed.parts[0].report.source.as_ref().unwrap().content_sha256,
        alone.report.source.unwrap().content_sha256
    );
}

#[test]
fn a_media_type_hint_overrides_the_sniffing() {
    let page = "<html><body><p>MALI (Tier 2)</p></body></html>";
    let as_text = parse_file(page.as_bytes(), &Hints::default(), Some(MediaType::Text)).unwrap();
    assert_eq!(as_text.media_type, MediaType::Text);
    let error = parse_file(b"MALI (Tier 2)", &Hints::default(), Some(MediaType::Pdf)).unwrap_err();
    assert!(!error.message.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_html_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_file(&bytes, &Hints::default(), Some(MediaType::Html));
    }

    #[test]
    fn arbitrary_markup_never_panics(pieces in proptest::collection::vec(prop_oneof![
        Just("<p>".to_owned()), Just("</p>".to_owned()), Just("<br>".to_owned()), Just("<b>".to_owned()),
        Just("</b>".to_owned()), Just("<table><tr><td>".to_owned()), Just("</td></tr></table>".to_owned()),
        Just("<ul><li>".to_owned()), Just("</li>".to_owned()), Just("<h2>".to_owned()), Just("</h2>".to_owned()),
        Just("<nav>".to_owned()), Just("<section class=entry-content>".to_owned()), Just("<div id=docMain>".to_owned()),
        Just("MALI (Tier 2)".to_owned()), Just("Angola (Tier 2)".to_owned()), Just("PROSECUTION".to_owned()),
        Just("<meta charset=windows-1252>".to_owned()), "[a-z ,.;]{0,40}",
    ], 0..64)) {
        let page = pieces.concat();
        if let Ok(parsed) = parse_file(page.as_bytes(), &Hints::default(), Some(MediaType::Html)) {
            prop_assert!(!parsed.parts.is_empty(), "a page read has a narrative");
        }
    }
}
