//! Properties of `parse_document` whatever the input: it returns (never panics), a document
//! without errors has a report name, country and year, and every diagnostic points inside the
//! text (column at most the line's length + 1).

use std::sync::LazyLock;

use proptest::prelude::*;
use tip_ingest::decode::decode;
use tip_ingest::{Hints, ParsedDocument, parse_document};

static SEED: LazyLock<String> = LazyLock::new(|| {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds/mali-2023.txt");
    std::fs::read_to_string(path).expect("the seed document")
});

fn hinted() -> Hints {
    Hints { country: Some("Mali".into()), year: Some(2023), source_uri: Some("test:".into()) }
}

/// Parses with and without hints and checks every invariant.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    for hints in [Hints::default(), hinted()] {
        let parsed = parse_document(bytes, &hints);
        check_complete(&parsed)?;
        check_positions(bytes, &parsed)?;
    }
    Ok(())
}

fn check_complete(parsed: &ParsedDocument) -> Result<(), TestCaseError> {
    if parsed.is_ok() {
        let report = &parsed.report;
        prop_assert!(parsed.storable_name().is_some(), "no name: {:?}", report.name);
        prop_assert!(report.country.starts_with("countries/"), "no country: {:?}", report.country);
        prop_assert!(report.year >= 2001, "no year: {}", report.year);
    }
    Ok(())
}

fn check_positions(bytes: &[u8], parsed: &ParsedDocument) -> Result<(), TestCaseError> {
    let text = decode(bytes).text;
    let lines: Vec<&str> = text.split('\n').collect();
    for diagnostic in parsed.diagnostics.errors.iter().chain(&parsed.diagnostics.warnings) {
        let (line, column) = (diagnostic.line as usize, diagnostic.column as usize);
        if line == 0 {
            prop_assert_eq!(column, 0, "{:?}", diagnostic);
            continue;
        }
        prop_assert!(line <= lines.len(), "line {} of {}: {:?}", line, lines.len(), diagnostic);
        let width = lines[line - 1].chars().count();
        prop_assert!((1..=width + 1).contains(&column), "column {} of a line of {}: {:?}", column, width, diagnostic);
    }
    Ok(())
}

/// Pieces of real layouts, to build documents that reach deep into the parser.
const PIECES: &[&str] = &[
    "MALI (Tier 2)",
    "MALI: TIER 2",
    "WATCH LIST",
    "  WATCH LISTThe Government of Mali",
    "SPECIAL CASE: YEMEN",
    "Somalia (Special Case)",
    "ST. LUCIA: TIER 3",
    "[ Human Trafficking, Country-by-Country ]",
    "MALI (Tier 2) Extracted in part  from the U.S. State Dept 2023 TIP Report",
    "LUXEMBOURG (TIER 1)   [Extracted from U.S. State Dept Trafficking in Persons Report, June 2009]",
    "2022 Trafficking in Persons Report: Somalia",
    "The Government of Mali does not fully meet the minimum standards",
    "; therefore Mali was upgraded to Tier 2 Watch List.",
    "remained on Tier 3 for the second consecutive year.",
    "Prioritized Recommendations",
    "RECOMMENDATIONS FOR MALI",
    "Recommendations for Iceland: a; b; and c.",
    "PROSECUTION",
    "TRAFFICKING PROFILE",
    "GOVERNMENT EFFORTS",
    "traffickers.Vigorously investigate",
    "• Train officials.",
    "292MALIirrespective",
    "labor.BULGARIA113",
    "133134CENTRAL AFRICAN REPUBLICresolution",
    "armed groups.PROSECUTIONThe government",
    "RECOMMENDATIONS FOR THE PHILIPPINESIncrease",
    "257KOREA, REPUBLIC OFRECOMMENDATIONS FOR THE REPUBLIC OF KOREA Increase",
    "periodŠthe same; ﬁcommunityﬂ conﬂict",
    "Côte d’Ivoire",
    "\u{a0}\u{2009}\u{feff}",
    "",
    " ",
    ".",
    "(",
    ")",
    ";",
    ":",
];

const BOMS: &[&[u8]] = &[&[0xEF, 0xBB, 0xBF], &[0xFF, 0xFE], &[0xFE, 0xFF]];

fn document() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => "\\PC{0,12}",
    ];
    let line = proptest::collection::vec(piece, 0..4).prop_map(|parts| parts.concat());
    let separator = proptest::sample::select(&["\n", "\n\n", "\r\n", " "][..]);
    proptest::collection::vec((line, separator), 0..14)
        .prop_map(|lines| lines.into_iter().map(|(line, sep)| line + sep).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes)?;
    }

    #[test]
    fn arbitrary_bytes_after_a_byte_order_mark(
        bom in proptest::sample::select(BOMS),
        bytes in proptest::collection::vec(any::<u8>(), 0..1024),
    ) {
        check(&[bom, &bytes].concat())?;
    }

    #[test]
    fn arbitrary_strings(text in "\\PC*") {
        check(text.as_bytes())?;
    }

    #[test]
    fn documents_of_real_pieces(text in document()) {
        check(text.as_bytes())?;
    }

    #[test]
    fn seed_truncated_at_any_char_boundary(cut in 0..=SEED.len()) {
        let text = SEED.as_str();
        let cut = (0..=cut).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        check(&text.as_bytes()[..cut])?;
    }

    #[test]
    fn seed_with_junk_inserted(at in 0..=SEED.len(), junk in "\\PC{1,40}|[\\x00-\\x1f]{1,4}") {
        let text = SEED.as_str();
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        check(format!("{}{junk}{}", &text[..at], &text[at..]).as_bytes())?;
    }

    #[test]
    fn seed_with_a_range_deleted_or_bytes_flipped(
        start in 0..=SEED.len(), len in 0usize..400, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
    ) {
        let mut bytes = SEED.as_bytes().to_vec();
        let end = (start + len).min(bytes.len());
        bytes.drain(start..end);
        for (at, byte) in flips {
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
        }
        check(&bytes)?;
    }
}

#[test]
fn the_seed_truncated_at_every_char_boundary() {
    let text = SEED.as_str();
    for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)).step_by(7) {
        check(&text.as_bytes()[..cut]).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
    }
}

/// Inputs built to make a careless parser quadratic: each must parse in well under a second per
/// 100 KB (the bound is loose for unoptimized builds).
#[test]
fn pathological_inputs_parse_in_linear_time() {
    let n = 100_000;
    let utf16_surrogates: Vec<u8> = [0xFF, 0xFE].into_iter().chain((0..n).flat_map(|_| [0x00, 0xD8])).collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a digit and a long run of capitals", format!("MALI (Tier 2)\n\n1{}", "A".repeat(n)).into_bytes()),
        ("a run of capitals and a number", format!("MALI (Tier 2)\n\n{}1", "AB. ".repeat(n / 4)).into_bytes()),
        ("runs of double spaces", format!("MALI (Tier 2)\n\n{}", "a  ".repeat(n / 3)).into_bytes()),
        ("em dashes and double spaces", format!("MALI (Tier 2)\n\n{}", "aŠb  ".repeat(n / 6)).into_bytes()),
        ("glued headings", format!("MALI (Tier 2)\n\n{}", "x.PROTECTIONThe ".repeat(n / 16)).into_bytes()),
        (
            "glued headings and dashes",
            format!("MALI (Tier 2)\n\n{}", "aŠb.PREVENTIONThe  ".repeat(n / 20)).into_bytes(),
        ),
        ("a long recommendations heading", format!("RECOMMENDATIONS FOR {}", "A".repeat(n)).into_bytes()),
        ("opening quotes without a close", format!("MALI (Tier 2)\n\n{}", " ﬁa".repeat(n / 5)).into_bytes()),
        ("many short lines", "MALI (Tier 2)\nx\n".repeat(n / 16).into_bytes()),
        ("unpaired UTF-16 surrogates", utf16_surrogates),
    ];
    for (name, bytes) in cases {
        let start = std::time::Instant::now();
        let parsed = parse_document(&bytes, &hinted());
        let elapsed = start.elapsed();
        assert!(elapsed.as_secs_f64() < 5.0, "{name}: {elapsed:?}");
        check_positions(&bytes, &parsed).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
