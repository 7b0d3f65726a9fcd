//! The ranked 2018 narratives of `../shared/data/corpus2018` as printed documents ("CROATIA:
//! TIER 1", the opening paragraph, then each section under its heading), for the tests and
//! benchmarks that need whole documents. (`tests/corpus2018.rs` keeps its own reader, which also
//! checks the special cases.)

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

pub fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// (JSON key, printed document) for each ranked narrative, in the order of the file.
pub fn ranked_narratives() -> Vec<(String, String)> {
    let path = shared_data().join("corpus2018/TIP2018_all_country_narratives_teomotun_normal_cases.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut narratives = Vec::new();
    for entry in json.as_array().expect("a list of records") {
        for (key, parts) in entry.as_object().expect("a one-key object") {
            let parts: Vec<(&String, &str)> = parts
                .as_array()
                .expect("a list of parts")
                .iter()
                .flat_map(|part| part.as_object().expect("a one-key part"))
                .map(|(name, text)| (name, text.as_str().expect("text").trim()))
                .collect();
            let part = |wanted: &str| parts.iter().find(|(n, _)| *n == wanted).map(|(_, t)| *t).unwrap_or("");
            let mut blocks = vec![format!("{key}: {}", part("TIER")), part("INTRO").to_owned()];
            for (name, text) in &parts {
                let heading = match name.as_str() {
                    "INTRO" | "TIER" => continue,
                    "RECOMMENDATIONS" => format!("RECOMMENDATIONS FOR {key}"),
                    "PROSECUTIONS" => "PROSECUTION".to_owned(),
                    other => other.to_owned(),
                };
                blocks.push(format!("{heading}\n{text}"));
            }
            narratives.push((key.clone(), blocks.join("\n\n") + "\n"));
        }
    }
    narratives
}
