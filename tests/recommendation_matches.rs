//! Which recommendations of one report CompareReports pairs with which of another, pinned on real
//! reports: the same country across years, from `../shared/data/narratives` (the 2018 ones are
//! the complete narratives of the 2018 corpus) and `../shared/seeds`; and, for more wordings,
//! neighbouring countries in the 2018 corpus (`../shared/data/corpus2018`). The fixture
//! `tests/fixtures/recommendation_matches.json` was first recorded with the matcher's former
//! hand-written stemmer (26 pairs); with Porter stems (Snowball English, as search stems) every
//! one of them still matches, and four more do, each because two inflections of one word now
//! share a stem that the old suffix list kept apart:
//! - Mali 2018 "Develop and train officials on standardized mechanisms to identify trafficking
//!   victims" ~ Mali 2023 "Train front-line actors, ... on the NRM and standard procedures to
//!   refer trafficking victims to care" (standardized = standard; 0.485);
//! - Mali 2018 "Provide care to all trafficking victims, irrespective of their participation in
//!   criminal proceedings" ~ Niger 2018 "Provide victims with information about their rights
//!   ... participating in the prosecution of, their traffickers" (participation = participating;
//!   0.417);
//! - Mali 2018 "Further train judges and prosecutors on the 2012 law" ~ Mauritania 2018 "...
//!   train prosecutors and judicial officials on the 2003 anti-trafficking and 2015
//!   anti-slavery laws" (law = laws, the third shared word a match needs; 0.408);
//! - Mali 2018 "Vigorously investigate and prosecute trafficking offenses ... with sentences
//!   prescribed in the 2012 law" ~ Mauritania 2018 "Significantly increase efforts to
//!   investigate, prosecute, and convict traffickers ... using the 2003 anti-trafficking and
//!   2015 anti-slavery laws" (law = laws; 0.431).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tip_ingest::similarity::compare;
use tip_ingest::{Hints, parse_document};
use tip_model::pb::Recommendation;

/// (base, target): every pair of reports of one country in two years that both have
/// recommendations, older first.
const PAIRS: &[(&str, &str)] = &[
    ("data/narratives/MALI_2017_refworld.txt", "data/narratives/MALI_2018_tip-pdf-parse_COMPLETE.txt"),
    ("data/narratives/MALI_2017_refworld.txt", "seeds/mali-2023.txt"),
    ("data/narratives/MALI_2018_tip-pdf-parse_COMPLETE.txt", "seeds/mali-2023.txt"),
    ("data/narratives/LUXEMBOURG_2009_gvnet.txt", "data/narratives/LUXEMBOURG_2018_tip-pdf-parse_COMPLETE.txt"),
    ("data/narratives/LUXEMBOURG_2009_gvnet.txt", "data/narratives/LUXEMBOURG_2023_gvnet.txt"),
    ("data/narratives/LUXEMBOURG_2018_tip-pdf-parse_COMPLETE.txt", "data/narratives/LUXEMBOURG_2023_gvnet.txt"),
    (
        "data/narratives/SEYCHELLES_2018_tip-pdf-parse_COMPLETE.txt",
        "data/narratives/SEYCHELLES_2022_gvnet_header-says-2021.txt",
    ),
    ("corpus2018/MALI", "corpus2018/NIGER"),
    ("corpus2018/MALI", "corpus2018/MAURITANIA"),
    ("corpus2018/SENEGAL", "corpus2018/THE GAMBIA"),
    ("corpus2018/GHANA", "corpus2018/NIGERIA"),
    ("corpus2018/NORWAY", "corpus2018/SWEDEN"),
    ("corpus2018/FRANCE", "corpus2018/LUXEMBOURG"),
];

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// The parsed recommendations of a file under `../shared`, or of `corpus2018/{COUNTRY}`: that
/// country's 2018 narrative in the corpus, its tier line, opening and recommendations printed
/// as the report lays them out.
fn recommendations(source: &str, corpus: &Value) -> Vec<Recommendation> {
    let report = match source.strip_prefix("corpus2018/") {
        Some(country) => {
            let part = |name: &str| {
                corpus
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find_map(|record| record.get(country))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find_map(|part| part.get(name).and_then(Value::as_str))
                    .unwrap_or_else(|| panic!("no {name} for {country} in the 2018 corpus"))
                    .trim()
            };
            let printed = format!(
                "{country}: {}\n\n{}\n\nRECOMMENDATIONS FOR {country}\n{}\n",
                part("TIER"),
                part("INTRO"),
                part("RECOMMENDATIONS")
            );
            parse_document(printed.as_bytes(), &Hints { year: Some(2018), ..Hints::default() }).report
        }
        None => {
            let path = shared().join(source);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            parse_document(&bytes, &Hints::from_path(&path)).report
        }
    };
    report.recommendations
}

/// The pairs the matcher keeps, as the fixture records them.
fn matches() -> Value {
    let path = shared().join("data/corpus2018/TIP2018_all_country_narratives_teomotun_normal_cases.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let corpus: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let pairs: Vec<Value> = PAIRS
        .iter()
        .map(|(base, target)| {
            let (base_items, target_items) = (recommendations(base, &corpus), recommendations(target, &corpus));
            assert!(!base_items.is_empty() && !target_items.is_empty(), "{base} or {target} has no recommendations");
            let kept: Vec<Value> = compare(&base_items, &target_items, &|| false)
                .unwrap()
                .kept
                .into_iter()
                .map(|pair| json!([pair.base_text, pair.target_text]))
                .collect();
            json!({ "base": base, "target": target, "kept": kept })
        })
        .collect();
    Value::Array(pairs)
}

#[test]
fn recommendations_match_across_years_as_recorded() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/recommendation_matches.json");
    let found = matches();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let expected: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert!(
        found == expected,
        "the matches differ from {}; found:\n{}",
        path.display(),
        serde_json::to_string_pretty(&found).unwrap()
    );
}
