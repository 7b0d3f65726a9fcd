//! The 2018 narratives of `../shared/data/corpus2018` (96 ranked countries and the 4 Special
//! Cases, parsed from the 2018 report PDF by a third party), read in place, never copied into the
//! repository: the one reader of that corpus for the tests, benchmarks and PDF fixtures.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The corpus file of the ranked countries' narratives.
pub const RANKED: &str = "TIP2018_all_country_narratives_teomotun_normal_cases.json";
/// The corpus file of the Special Cases' narratives.
pub const SPECIAL_CASES: &str = "TIP2018_special_case_narratives_teomotun.json";

/// `../shared/data`, beside the repository.
pub fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// One narrative of the corpus: the JSON key (the country as the PDF prints it) and its parts in
/// order, such as ("INTRO", text), ("TIER", "TIER 2 WATCH LIST"), ("PROSECUTIONS", text).
#[derive(Clone, Debug)]
pub struct Record {
    /// The JSON key: the country as the PDF prints it.
    pub key: String,
    pub parts: Vec<(String, String)>,
    /// The corpus file it came from.
    pub file: &'static str,
}

impl Record {
    /// A part by its JSON name ("TIER", "INTRO", "PROSECUTIONS"), trimmed.
    pub fn part(&self, name: &str) -> Option<&str> {
        self.parts.iter().find(|(n, _)| n == name).map(|(_, t)| t.trim())
    }

    /// The tier as the heading prints it; a Watch List heading the corpus split ("TIER 2", then
    /// an INTRO starting "WATCH LIST") is whole again.
    pub fn tier_heading(&self) -> String {
        let tier = self.part("TIER").unwrap_or_default();
        if tier == "TIER 2" && self.part("INTRO").unwrap_or_default().starts_with("WATCH LIST") {
            "TIER 2 WATCH LIST".to_owned()
        } else {
            tier.to_owned()
        }
    }

    pub fn is_special_case(&self) -> bool {
        self.tier_heading() == "SPECIAL CASE"
    }

    /// The opening paragraph, without the split heading's "WATCH LIST".
    pub fn intro(&self) -> &str {
        let intro = self.part("INTRO").unwrap_or_default();
        intro.strip_prefix("WATCH LIST").map_or(intro, str::trim_start)
    }

    /// The record as plain text in the parser's layout, blank lines between blocks: what the
    /// narrative parser is given on the plain-text path.
    pub fn plain_text(&self) -> String {
        let mut blocks = vec![format!("{}: {}", self.key, self.part("TIER").unwrap_or_default())];
        blocks.push(self.part("INTRO").unwrap_or_default().to_owned());
        for (heading, text) in self.sections() {
            blocks.push(format!("{heading}\n{}", text.trim()));
        }
        blocks.join("\n\n") + "\n"
    }

    /// The sections after the opening paragraph, under the headings the report prints.
    pub fn sections(&self) -> impl Iterator<Item = (String, &str)> {
        self.parts.iter().filter(|(name, _)| name != "INTRO" && name != "TIER").map(|(name, text)| {
            let heading = match name.as_str() {
                "RECOMMENDATIONS" => format!("RECOMMENDATIONS FOR {}", self.key),
                "PROSECUTIONS" => "PROSECUTION".to_owned(),
                other => other.to_owned(),
            };
            (heading, text.trim())
        })
    }
}

/// The 96 ranked narratives and the 4 Special Cases, in the corpus's order.
pub fn corpus() -> Vec<Record> {
    [RANKED, SPECIAL_CASES].into_iter().flat_map(records).collect()
}

/// The ranked narratives of [`RANKED`] as (JSON key, plain text in the parser's layout).
pub fn ranked_narratives() -> Vec<(String, String)> {
    records(RANKED).into_iter().map(|record| (record.key.clone(), record.plain_text())).collect()
}

pub fn records(file: &'static str) -> Vec<Record> {
    let path = shared_data().join("corpus2018").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut records = Vec::new();
    for entry in json.as_array().expect("a list of records") {
        for (key, parts) in entry.as_object().expect("a one-key object") {
            let parts = parts
                .as_array()
                .expect("a list of parts")
                .iter()
                .flat_map(|part| part.as_object().expect("a one-key part"))
                .map(|(name, text)| (name.clone(), text.as_str().expect("text").to_owned()))
                .collect();
            records.push(Record { key: key.clone(), parts, file });
        }
    }
    records
}
