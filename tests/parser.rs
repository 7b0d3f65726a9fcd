//! Parser tests: the bundled seed document, then a synthetic document for every layout era,
//! heading form, encoding and error, each named for what it proves.

use std::path::{Path, PathBuf};

use tip_ingest::{Encoding, Hints, ParsedDocument, parse_document};
use tip_model::pb::{Completeness, Diagnostic, Report, Section, SectionKind, StandardsFinding, Tier, TierChange};

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

fn parse(text: &str) -> ParsedDocument {
    parse_document(text.as_bytes(), &Hints::default())
}

fn parse_in(year: i64, text: &str) -> ParsedDocument {
    parse_document(text.as_bytes(), &Hints { year: Some(year), ..Hints::default() })
}

fn assert_ok(parsed: &ParsedDocument) {
    assert!(parsed.is_ok(), "{:?}", parsed.diagnostics.errors);
}

fn kinds(report: &Report) -> Vec<SectionKind> {
    report.sections.iter().map(|s| s.kind()).collect()
}

fn recommendations(report: &Report) -> Vec<&str> {
    report.recommendations.iter().map(|r| r.text.as_str()).collect()
}

fn warning<'p>(parsed: &'p ParsedDocument, code: &str) -> &'p Diagnostic {
    let warnings = &parsed.diagnostics.warnings;
    warnings.iter().find(|w| w.code == code).unwrap_or_else(|| panic!("no {code} warning in {warnings:?}"))
}

fn error<'p>(parsed: &'p ParsedDocument, code: &str) -> &'p Diagnostic {
    let errors = &parsed.diagnostics.errors;
    errors.iter().find(|e| e.code == code).unwrap_or_else(|| panic!("no {code} error in {errors:?}"))
}

// --- One document per layout era -------------------------------------------------------------

const ANGOLA_2001: &str = "Angola (Tier 2)

Angola is a source country for trafficked persons. Women and children are trafficked for forced labor and sexual exploitation.

The Government of Angola does not yet fully meet the minimum standards for the elimination of trafficking; however, it is making significant efforts to do so. The Government acknowledges that trafficking is a problem.

Efforts to prevent trafficking are limited. Victims are referred to church shelters.
";

#[test]
fn era_2001_2004_paren_heading_and_untitled_paragraphs() {
    let parsed = parse_in(2001, ANGOLA_2001);
    assert_ok(&parsed);
    let report = &parsed.report;
    assert_eq!((report.name.as_str(), report.tier()), ("countries/AGO/reports/2001", Tier::Tier2));
    assert_eq!(report.finding(), StandardsFinding::SignificantEfforts);
    assert_eq!(report.paragraphs.len(), 3);
    assert!(report.paragraphs[0].starts_with("Angola is a source country"));
    assert!(report.sections.is_empty() && report.recommendations.is_empty());
    assert_eq!(report.completeness(), Completeness::Complete, "no sections before 2005: complete");
}

const AFGHANISTAN_2006: &str = "AFGHANISTAN (TIER 2)

Afghanistan is a source, transit, and destination country for men, women, and children trafficked for forced labor and sexual exploitation.

The Government of Afghanistan does not fully comply with the minimum standards for the elimination of trafficking; however, it is making significant efforts to do so.

Prosecution
The Government of Afghanistan made modest law enforcement efforts during the reporting period.
";

#[test]
fn era_2005_2007_upper_case_heading_and_prosecution_sub_heading() {
    let parsed = parse_in(2006, AFGHANISTAN_2006);
    assert_ok(&parsed);
    let report = &parsed.report;
    assert_eq!((report.name.as_str(), report.tier()), ("countries/AFG/reports/2006", Tier::Tier2));
    assert_eq!(report.finding(), StandardsFinding::SignificantEfforts);
    assert_eq!(report.paragraphs.len(), 2);
    assert_eq!(kinds(report), [SectionKind::Prosecution]);
    assert_eq!(report.sections[0].title, "Prosecution");
    assert_eq!(report.sections[0].paragraphs.len(), 1);
    assert_eq!(report.completeness(), Completeness::Excerpt, "protection and prevention are missing");
}

#[test]
fn era_2005_2007_watch_list_heading_with_dash() {
    let parsed = parse_in(
        2005,
        "ARMENIA (TIER 2 - WATCH LIST)\n\nThe Government of Armenia does not fully comply with the minimum standards for the elimination of trafficking; however, it is making significant efforts to do so.\n",
    );
    assert_ok(&parsed);
    assert_eq!(parsed.report.tier(), Tier::Tier2WatchList);
    assert_eq!(parsed.report.country, "countries/ARM");
}

const ICELAND_2009: &str = "ICELAND (Tier 2)

Iceland is a destination and transit country for women trafficked from Eastern Europe for the purpose of commercial sexual exploitation.

The Government of Iceland does not fully comply with the minimum standards for the elimination of trafficking; however, it is making significant efforts to do so.

Recommendations for Iceland: Use the new law to investigate and prosecute trafficking offenses; train officials to identify victims (including among women in prostitution; and migrant workers); and raise public awareness.

The government did not report any investigations.
";

#[test]
fn era_2008_2016_inline_recommendations_paragraph() {
    let parsed = parse_in(2009, ICELAND_2009);
    assert_ok(&parsed);
    let report = &parsed.report;
    assert_eq!((report.name.as_str(), report.tier()), ("countries/ISL/reports/2009", Tier::Tier2));
    assert_eq!(report.finding(), StandardsFinding::SignificantEfforts, "\"does not fully comply\"");
    assert_eq!(kinds(report), [SectionKind::Recommendations]);
    assert_eq!(report.sections[0].title, "Recommendations for Iceland");
    assert_eq!(
        recommendations(report),
        [
            "Use the new law to investigate and prosecute trafficking offenses.",
            "Train officials to identify victims (including among women in prostitution; and migrant workers).",
            "Raise public awareness."
        ]
    );
    assert_eq!(report.paragraphs.len(), 3, "the untitled paragraph after the inline title stands under no heading");
}

#[test]
fn era_2008_2016_recommendations_heading_on_its_own_line() {
    let text = "ICELAND (Tier 1)

The Government of Iceland fully complies with the minimum standards for the elimination of trafficking.

RECOMMENDATIONS FOR ICELAND:
Vigorously prosecute trafficking offenses; and increase funding for victim services.
";
    let parsed = parse_in(2015, text);
    assert_ok(&parsed);
    let report = &parsed.report;
    assert_eq!((report.tier(), report.finding()), (Tier::Tier1, StandardsFinding::FullyMeets));
    assert_eq!(report.sections[0].title, "RECOMMENDATIONS FOR ICELAND");
    assert_eq!(
        recommendations(report),
        ["Vigorously prosecute trafficking offenses.", "Increase funding for victim services."]
    );
}

const MALI_2017: &str = "MALI: TIER 3

The Government of Mali does not fully meet the minimum standards for the elimination of trafficking and is not making significant efforts to do so; therefore Mali was downgraded to Tier 3.

RECOMMENDATIONS FOR MALI
Cease support to armed groups that recruit and use children; vigorously investigate and prosecute trafficking offenses; and train law enforcement.
";

#[test]
fn era_2017_2018_colon_heading_and_recommendations_for_heading() {
    let parsed = parse_in(2017, MALI_2017);
    assert_ok(&parsed);
    let report = &parsed.report;
    assert_eq!((report.name.as_str(), report.tier()), ("countries/MLI/reports/2017", Tier::Tier3));
    assert_eq!(report.tier_change(), TierChange::Downgraded);
    assert_eq!(report.finding(), StandardsFinding::NotSignificantEfforts);
    assert_eq!(report.sections[0].title, "RECOMMENDATIONS FOR MALI");
    assert_eq!(report.recommendations.len(), 3);
    assert!(parsed.diagnostics.warnings.is_empty(), "{:?}", parsed.diagnostics.warnings);
}

#[test]
fn era_2017_2018_mixed_case_colon_heading() {
    let text = "TONGA: Tier 2\n\nThe Government of Tonga does not fully meet the minimum standards for the elimination of trafficking; however, it is making significant efforts to do so; therefore Tonga remained on Tier 2.\n";
    let parsed = parse_in(2017, text);
    assert_ok(&parsed);
    assert_eq!((parsed.report.country.as_str(), parsed.report.tier()), ("countries/TON", Tier::Tier2));
    assert_eq!(parsed.report.tier_change(), TierChange::Remained);
}

const ICELAND_2020: &str = "ICELAND (Tier 2)

The Government of Iceland does not fully meet the minimum standards for the elimination of trafficking but is making significant efforts to do so; therefore Iceland was downgraded to Tier 2.

Prioritized Recommendations

Vigorously investigate and prosecute trafficking cases; seek adequate sentences.

Increase training for police, prosecutors, and judges.

Formally adopt the national action plan.
";

#[test]
fn era_2019_on_prioritized_recommendations_one_per_paragraph() {
    let parsed = parse_in(2020, ICELAND_2020);
    assert_ok(&parsed);
    let report = &parsed.report;
    assert_eq!((report.name.as_str(), report.tier()), ("countries/ISL/reports/2020", Tier::Tier2));
    assert_eq!(report.tier_change(), TierChange::Downgraded);
    assert_eq!(report.sections[0].title, "Prioritized Recommendations");
    assert_eq!(
        recommendations(report),
        [
            "Vigorously investigate and prosecute trafficking cases; seek adequate sentences.",
            "Increase training for police, prosecutors, and judges.",
            "Formally adopt the national action plan."
        ]
    );
}

#[test]
fn era_2019_on_glued_and_bulleted_recommendations() {
    let text = "ICELAND (Tier 2)

The Government of Iceland does not fully meet the minimum standards for the elimination of trafficking but is making significant efforts to do so; therefore Iceland remained on Tier 2.

Prioritized Recommendations

Increase efforts to prosecute traffickers.Vigorously investigate labor trafficking cases.
• Train officials on victim identification.
• Fund specialized shelters.
";
    let parsed = parse_in(2020, text);
    assert_ok(&parsed);
    assert_eq!(
        recommendations(&parsed.report),
        [
            "Increase efforts to prosecute traffickers.",
            "Vigorously investigate labor trafficking cases.",
            "Train officials on victim identification.",
            "Fund specialized shelters."
        ]
    );
}

// --- Special Cases ---------------------------------------------------------------------------

#[test]
fn special_case_headings_of_every_form() {
    for (year, heading, iso3, intro) in [
        (2021, "SPECIAL CASE: YEMEN", "YEM", "Yemen remains a Special Case for the sixth consecutive year."),
        (2022, "Somalia (Special Case)", "SOM", "Somalia remains a Special Case for the 20th consecutive year."),
        (2018, "LIBYA: SPECIAL CASE", "LBY", "Libya is a Special Case for the third consecutive year."),
    ] {
        let text = format!(
            "{heading}\n\n{intro}\n\nGOVERNMENT EFFORTS\nThe government lacked institutional capacity.\n\nTRAFFICKING PROFILE\nAs reported over the past five years, traffickers exploit victims.\n"
        );
        let parsed = parse_in(year, &text);
        assert_ok(&parsed);
        let report = &parsed.report;
        assert_eq!(report.name, format!("countries/{iso3}/reports/{year}"), "{heading}");
        assert_eq!(report.tier(), Tier::SpecialCase, "{heading}");
        assert_eq!(report.tier_change(), TierChange::Remained, "{heading}");
        assert_eq!(kinds(report), [SectionKind::GovernmentEfforts, SectionKind::TraffickingProfile], "{heading}");
        assert_eq!(report.completeness(), Completeness::Complete, "{heading}");
        assert!(report.recommendations.is_empty(), "{heading}");
    }
}

// --- Headings missing, or from other sites ---------------------------------------------------

const ESTONIA_NO_HEADING: &str = "Estonia is a source, transit, and destination country for women subjected to sex trafficking.

The Government of Estonia does not fully comply with the minimum standards for the elimination of trafficking; however, it is making significant efforts to do so; therefore Estonia remained on Tier 2.
";

#[test]
fn no_heading_takes_country_from_the_text_and_year_from_the_hint() {
    let parsed = parse_in(2010, ESTONIA_NO_HEADING);
    assert_ok(&parsed);
    let report = &parsed.report;
    assert_eq!((report.name.as_str(), report.tier()), ("countries/EST/reports/2010", Tier::Tier2));
    assert_eq!(report.source.as_ref().unwrap().title_line, "");
}

#[test]
fn no_heading_and_no_year_hint_is_an_error() {
    let parsed = parse(ESTONIA_NO_HEADING);
    assert_eq!(error(&parsed, "no-year").line, 0);
    assert_eq!(parsed.report.country, "countries/EST");
}

#[test]
fn gvnet_2009_banner_and_extracted_from_title() {
    let text = "[ Country-by-Country Reports ]

LUXEMBOURG (TIER 1)   [Extracted from U.S. State Dept Trafficking in Persons Report, June 2009]

Luxembourg is a destination country for women trafficked for the purpose of commercial sexual exploitation. The Government of Luxembourg fully complies with the minimum standards for the elimination of trafficking.
";
    let parsed = parse(text);
    assert_ok(&parsed);
    let report = &parsed.report;
    assert_eq!((report.name.as_str(), report.tier()), ("countries/LUX/reports/2009", Tier::Tier1));
    let source = report.source.as_ref().unwrap();
    assert_eq!(source.publisher, "U.S. State Dept");
    assert!(!source.extracted_in_part);
    assert!(source.title_line.starts_with("LUXEMBOURG (TIER 1)"));
    assert_eq!(report.completeness(), Completeness::Excerpt);
}

// --- Conflicts, uncertainty, truncation ------------------------------------------------------

#[test]
fn heading_wins_a_tier_conflict_with_a_located_warning() {
    let text = "MALI (Tier 2)\n\nThe Government of Mali does not fully meet the minimum standards for the elimination of trafficking and is not making significant efforts to do so; therefore Mali was downgraded to Tier 3.\n";
    let parsed = parse_in(2023, text);
    assert_ok(&parsed);
    assert_eq!(parsed.report.tier(), Tier::Tier2);
    let conflict = warning(&parsed, "tier-conflict");
    assert_eq!((conflict.line, conflict.column), (1, 7), "at \"Tier 2\" in the heading");
    assert!(conflict.message.contains("Tier 3"), "{}", conflict.message);
}

#[test]
fn significant_efforts_alone_do_not_settle_the_tier() {
    let text = "The Government of Estonia does not fully meet the minimum standards for the elimination of trafficking; however, it is making significant efforts to do so.\n";
    let parsed = parse_in(2018, text);
    assert_ok(&parsed);
    assert_eq!(parsed.report.tier(), Tier::Unspecified, "Tier 2 or Watch List: the text does not say");
    assert_eq!(parsed.report.finding(), StandardsFinding::SignificantEfforts);
}

#[test]
fn a_cut_off_document_is_truncated_with_a_warning() {
    let text = "MALI: TIER 3\n\nThe Government of Mali does not fully meet the minimum standards for the elimination of trafficking and is not making significant efforts to do so; therefore Mali was downgraded to Tier 3. The government did not investigate";
    let parsed = parse_in(2017, text);
    assert_ok(&parsed);
    assert_eq!(parsed.report.completeness(), Completeness::Truncated);
    let cut = warning(&parsed, "truncated");
    assert_eq!(cut.line, 3);
    assert_eq!(cut.column as usize, text.lines().nth(2).unwrap().chars().count());
}

// --- Encodings and line ends -----------------------------------------------------------------

const CIV_2021: &str = "COTE D’IVOIRE (Tier 2)

The Government of Côte d’Ivoire does not fully meet the minimum standards for the elimination of trafficking but is making significant efforts to do so; therefore Côte d’Ivoire remained on Tier 2.

Prioritized Recommendations

Increase efforts to investigate and prosecute traffickers.

Train officials to identify victims.
";

/// What must not depend on how the document was encoded.
fn essence(parsed: &ParsedDocument) -> (String, Tier, Vec<String>, Vec<Section>, Vec<String>, Completeness) {
    let report = &parsed.report;
    let recommendations = report.recommendations.iter().map(|r| r.text.clone()).collect();
    (
        report.name.clone(),
        report.tier(),
        report.paragraphs.clone(),
        report.sections.clone(),
        recommendations,
        report.completeness(),
    )
}

fn check_encoding(bytes: &[u8], encoding: Encoding, label: &str) {
    let expected = parse_in(2021, CIV_2021);
    assert_ok(&expected);
    assert_eq!(expected.report.name, "countries/CIV/reports/2021");
    let parsed = parse_document(bytes, &Hints { year: Some(2021), ..Hints::default() });
    assert_ok(&parsed);
    assert_eq!(parsed.encoding, encoding);
    assert_eq!(parsed.report.source.as_ref().unwrap().encoding, label);
    assert_eq!(essence(&parsed), essence(&expected));
}

#[test]
fn encoding_utf8() {
    check_encoding(CIV_2021.as_bytes(), Encoding::Utf8, "UTF-8");
}

#[test]
fn encoding_utf8_with_bom() {
    let bytes = [&[0xEF, 0xBB, 0xBF], CIV_2021.as_bytes()].concat();
    check_encoding(&bytes, Encoding::Utf8Bom, "UTF-8 (BOM)");
}

#[test]
fn encoding_utf16le_with_bom() {
    let bytes: Vec<u8> = [0xFF, 0xFE].into_iter().chain(CIV_2021.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    check_encoding(&bytes, Encoding::Utf16Le, "UTF-16LE");
}

#[test]
fn encoding_utf16be_with_bom() {
    let bytes: Vec<u8> = [0xFE, 0xFF].into_iter().chain(CIV_2021.encode_utf16().flat_map(u16::to_be_bytes)).collect();
    check_encoding(&bytes, Encoding::Utf16Be, "UTF-16BE");
}

#[test]
fn encoding_windows_1252() {
    // "Cote D" 0x92 "Ivoire": the curly apostrophe of Windows-1252, invalid as UTF-8.
    // "ô" is U+00F4, byte 0xF4 in Windows-1252 too: every char below U+0100 is its own byte.
    let text = CIV_2021.replace('’', "\u{92}");
    let bytes: Vec<u8> = text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    assert!(bytes.windows(8).any(|w| w == b"COTE D\x92I"));
    check_encoding(&bytes, Encoding::Windows1252, "windows-1252");
    let parsed = parse_document(&bytes, &Hints { year: Some(2021), ..Hints::default() });
    let warning = warning(&parsed, "encoding");
    assert_eq!((warning.line, warning.column), (1, 7), "at the first byte that is not UTF-8");
}

#[test]
fn line_ends_crlf_and_cr() {
    check_encoding(CIV_2021.replace('\n', "\r\n").as_bytes(), Encoding::Utf8, "UTF-8");
    check_encoding(CIV_2021.replace('\n', "\r").as_bytes(), Encoding::Utf8, "UTF-8");
}

#[test]
fn non_breaking_spaces_read_as_spaces() {
    let text = CIV_2021
        .replace("(Tier 2)", "(Tier\u{A0}2)")
        .replace("Prioritized Recommendations", "Prioritized\u{A0}Recommendations\u{A0}")
        .replace("Train officials", "Train\u{A0}officials");
    check_encoding(text.as_bytes(), Encoding::Utf8, "UTF-8");
}

// --- Errors, located ------------------------------------------------------------------------

#[test]
fn unknown_country_in_heading_is_located() {
    let parsed =
        parse_in(2023, "ATLANTIS (Tier 2)\n\nThe Government of Atlantis does not fully meet the minimum standards.\n");
    let e = error(&parsed, "country");
    assert_eq!((e.line, e.column), (1, 1));
    assert!(e.message.contains("ATLANTIS"), "{}", e.message);
    assert!(parsed.report.name.is_empty());
}

#[test]
fn impossible_tier_in_heading_is_located() {
    let parsed =
        parse_in(2023, "\nMALI (Tier 7)\n\nThe Government of Mali does not fully meet the minimum standards.\n");
    let e = error(&parsed, "tier");
    assert_eq!((e.line, e.column), (2, 7));
    assert!(e.message.contains("Tier 7"), "{}", e.message);
}

#[test]
fn impossible_year_in_title_is_located() {
    let title = "MALI (Tier 2) Extracted in part  from the U.S. State Dept 2999 TIP Report";
    let parsed = parse(&format!("{title}\n\nThe Government of Mali does not fully meet the minimum standards.\n"));
    let e = error(&parsed, "year");
    assert_eq!((e.line, e.column as usize), (1, title.find("2999").unwrap() + 1));
    assert!(e.message.contains("2999"), "{}", e.message);
}

#[test]
fn empty_document_is_an_error() {
    for bytes in [&b""[..], b"  \n\r\n\t\n"] {
        let parsed = parse_document(bytes, &Hints::default());
        assert_eq!(error(&parsed, "empty").line, 0);
        assert!(parsed.report.name.is_empty());
    }
}

#[test]
fn nul_bytes_are_an_error_at_their_place() {
    let parsed = parse_document(b"MALI (Tier 2)\nThe Gov\0ernment of Mali.\n", &Hints::default());
    let e = error(&parsed, "encoding");
    assert_eq!((e.line, e.column), (2, 8));
    assert!(e.message.contains("NUL"), "{}", e.message);
}

// --- Artifacts of the 2018 PDF parse ---------------------------------------------------------

#[test]
fn pdf_split_heading_across_a_blank_line_gives_the_watch_list() {
    let text = "SOUTH AFRICA: TIER 2\n\n  WATCH LISTThe Government of South Africa does not fully meet the minimum standards for the elimination of trafficking; however, it is making significant efforts to do so.\n";
    let parsed = parse_in(2018, text);
    assert_ok(&parsed);
    assert_eq!(parsed.report.tier(), Tier::Tier2WatchList);
    assert!(parsed.report.paragraphs[0].starts_with("The Government of South Africa"));
    let split = warning(&parsed, "split-heading");
    assert_eq!(split.line, 3);
}

#[test]
fn watch_list_words_that_open_a_sentence_do_not_extend_the_heading() {
    let text = "MALI (Tier 2)\n\nWatch list countries are reviewed. The Government of Mali does not fully meet the minimum standards; therefore Mali remained on Tier 2.\n";
    let parsed = parse_in(2023, text);
    assert_ok(&parsed);
    assert_eq!(parsed.report.tier(), Tier::Tier2);
    assert!(parsed.diagnostics.warnings.iter().all(|w| w.code != "split-heading"));
}

#[test]
fn pdf_glued_section_headings_and_running_headers_are_undone_with_warnings() {
    let text = "ST. VINCENT AND THE GRENADINES: TIER 2\n\nThe Government of St. Vincent and the Grenadines does not fully meet the minimum standards for the elimination of trafficking; however, it is making significant efforts to do so; therefore St. Vincent and the Grenadines remained on Tier 2. Officials 368ST. VINCENT AND THE GRENADINESidentified no victims.RECOMMENDATIONS FOR ST. VINCENT AND THE GRENADINESIncrease efforts to prosecute traffickers; and train officials.PROSECUTIONThe government maintained efforts.BULGARIA113 PROTECTIONThe government identified no victims. 91BANGLADESHThe government referred none.PREVENTIONThe government maintained efforts.TRAFFICKING PROFILEAs reported over the past five years, St. Vincent and the Grenadines is a destination country.229IRAN\n";
    let parsed = parse_in(2018, text);
    assert_ok(&parsed);
    let report = &parsed.report;
    assert_eq!((report.name.as_str(), report.tier()), ("countries/VCT/reports/2018", Tier::Tier2));
    assert_eq!(
        kinds(report),
        [
            SectionKind::Recommendations,
            SectionKind::Prosecution,
            SectionKind::Protection,
            SectionKind::Prevention,
            SectionKind::TraffickingProfile
        ]
    );
    assert!(report.paragraphs[0].ends_with("Officials identified no victims."), "{}", report.paragraphs[0]);
    assert_eq!(recommendations(report), ["Increase efforts to prosecute traffickers.", "Train officials."]);
    assert_eq!(report.sections[1].paragraphs, ["The government maintained efforts."]);
    assert_eq!(report.sections[2].paragraphs, ["The government identified no victims. The government referred none."]);
    assert!(report.sections[4].paragraphs[0].ends_with("a destination country."));
    assert_eq!(report.completeness(), Completeness::Complete, "the page header at the end is no cut");
    let glued: Vec<&Diagnostic> = parsed.diagnostics.warnings.iter().filter(|w| w.code == "glued-heading").collect();
    assert_eq!(glued.len(), 5);
    assert_eq!(parsed.diagnostics.warnings.iter().filter(|w| w.message.contains("running header")).count(), 4);
    let line = text.lines().nth(2).unwrap();
    let at = line[..line.find("RECOMMENDATIONS").unwrap()].chars().count() + 1;
    assert_eq!((glued[0].line, glued[0].column as usize), (3, at));
}

#[test]
fn headings_accept_st_abbreviations() {
    for heading in ["St. Lucia (Tier 2)", "ST. LUCIA: TIER 2"] {
        let parsed = parse_in(2018, &format!("{heading}\n\nThe government made efforts.\n"));
        assert_ok(&parsed);
        assert_eq!((parsed.report.country.as_str(), parsed.report.tier()), ("countries/LCA", Tier::Tier2), "{heading}");
    }
}

#[test]
fn a_stale_title_year_gives_way_to_the_year_the_table_shows_the_stated_change() {
    // GVnet labels this page "2021 TIP Report", but the table has Seychelles on Tier 2 in 2021
    // and 2022, and on Tier 1 from 2023: the text's "upgraded to Tier 1" is the 2023 report's.
    let text = "Seychelles (Tier 1) Extracted in part from the U.S. State Dept 2021 TIP Report\n\nThe Government of Seychelles fully meets the minimum standards for the elimination of trafficking. Therefore Seychelles was upgraded to Tier 1.\n";
    let parsed = parse(text);
    assert_ok(&parsed);
    assert_eq!(parsed.report.year, 2023);
    let conflict = warning(&parsed, "year-conflict");
    assert!(conflict.message.contains("kept 2023"), "{}", conflict.message);
}
