//! The enforcement figures read from the 2018 narratives against the hand-coded ones of
//! `tests/fixtures/enforcement_2018.json` (issue 12): precision (figures produced that equal the
//! coded value) and recall (coded figures produced), per measure and overall, for the narratives
//! the extractor was tuned on and for those held out. A figure equals the coded one when count
//! and unit agree (the unit of a zero is not compared).
//!
//! ```sh
//! cargo test -p tip-ingest --test enforcement_accuracy -- --nocapture
//! ```
//! Targets on held-out narratives (issue 12): precision >= 95%, recall >= 85%. The first and only
//! blind run on the 12 held-out narratives gave 84.1% / 77.5% (69 of 82 produced right, 69 of 89
//! coded found); three general faults it showed were then fixed ("prosecutions against six
//! defendants" merged into an earlier investigations figure; "compared with one during the
//! previous reporting period" read as the period of the figure before; "zero prosecutions or
//! convictions" reading only the first noun), so the held-out set is no longer blind: code new
//! narratives to measure again. The assertions hold the floors measured after those fixes.
//!
//! Set `ENFORCEMENT_SHOW=held_out` to list the held-out differences too (the tuned ones always
//! show); `ENFORCEMENT_TUNING=1` hides the held-out scores while tuning the extractor.

use std::collections::HashMap;

use serde_json::Value;
use tip_ingest::{Hints, parse_document};
use tip_model::pb::{EnforcementFigures, Figure, Unit};

const MEASURES: [&str; 4] = ["investigations", "prosecutions", "convictions", "victims_identified"];

/// Counts for one cell of the table.
#[derive(Default, Clone, Copy)]
struct Score {
    produced: usize,
    produced_right: usize,
    coded: usize,
    coded_found: usize,
}

impl Score {
    fn add(&mut self, other: Score) {
        self.produced += other.produced;
        self.produced_right += other.produced_right;
        self.coded += other.coded;
        self.coded_found += other.coded_found;
    }
    fn precision(&self) -> f64 {
        ratio(self.produced_right, self.produced)
    }
    fn recall(&self) -> f64 {
        ratio(self.coded_found, self.coded)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 1.0 } else { part as f64 / whole as f64 }
}

fn read(figures: &EnforcementFigures, previous: bool, measure: &str) -> Option<Figure> {
    let four = if previous {
        let p = figures.previous.clone().unwrap_or_default();
        [p.investigations, p.prosecutions, p.convictions, p.victims_identified]
    } else {
        [
            figures.investigations.clone(),
            figures.prosecutions.clone(),
            figures.convictions.clone(),
            figures.victims_identified.clone(),
        ]
    };
    four[MEASURES.iter().position(|m| *m == measure).expect("a measure")].clone()
}

fn equal(produced: &Figure, coded: &Value) -> bool {
    let count = coded["count"].as_i64().expect("count");
    let unit = match coded["unit"].as_str() {
        Some("PERSONS") => Unit::Persons,
        Some("CASES") => Unit::Cases,
        other => panic!("unit {other:?}"),
    };
    produced.count == count && (count == 0 || produced.unit() == unit)
}

fn show(figure: &Option<Figure>) -> String {
    match figure {
        None => "not reported".to_owned(),
        Some(f) => format!("{} {:?}{}", f.count, f.unit(), if f.approximate { " (approx.)" } else { "" }),
    }
}

#[test]
fn enforcement_figures_match_the_hand_coded_2018_narratives() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/enforcement_2018.json");
    let coded: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).expect("the fixture")).expect("JSON");
    assert!(coded.len() >= 40, "at least 40 coded narratives");
    let documents: HashMap<String, String> = tip_corpus::corpus2018::ranked_narratives().into_iter().collect();
    let show_held_out = std::env::var("ENFORCEMENT_SHOW").is_ok_and(|v| v == "held_out");
    let tuning = std::env::var("ENFORCEMENT_TUNING").is_ok_and(|v| v == "1");

    // [tuned, held out] x measure
    let mut scores = [[Score::default(); 4]; 2];
    let mut differences = Vec::new();
    for entry in &coded {
        let country = entry["country"].as_str().expect("country");
        let held_out = entry["held_out"].as_bool().expect("held_out");
        let document = documents.get(country).unwrap_or_else(|| panic!("{country} is not in the corpus"));
        let parsed = parse_document(document.as_bytes(), &Hints { year: Some(2018), ..Hints::default() });
        let figures = parsed.report.enforcement.clone().unwrap_or_default();
        for (m, measure) in MEASURES.iter().enumerate() {
            for previous in [false, true] {
                let expected = if previous { &entry["previous"][measure] } else { &entry[measure] };
                let produced = read(&figures, previous, measure);
                let mut score = Score::default();
                if let Some(figure) = &produced {
                    score.produced = 1;
                    score.produced_right = usize::from(!expected.is_null() && equal(figure, expected));
                }
                if !expected.is_null() {
                    score.coded = 1;
                    score.coded_found = usize::from(produced.as_ref().is_some_and(|f| equal(f, expected)));
                }
                scores[usize::from(held_out)][m].add(score);
                let wrong = score.produced != score.produced_right || score.coded != score.coded_found;
                if wrong && (!held_out || show_held_out) {
                    let coded = if expected.is_null() {
                        "not reported".to_owned()
                    } else {
                        format!("{} {}", expected["count"], expected["unit"].as_str().unwrap_or(""))
                    };
                    let period = if previous { "previous" } else { "current" };
                    let sentence = produced.as_ref().and_then(|f| f.evidence.as_ref()).map_or("", |e| &e.sentence);
                    differences.push(format!(
                        "{}{country} {measure} ({period}): read {}, coded {coded}\n    from: {sentence}",
                        if held_out { "[held out] " } else { "" },
                        show(&produced)
                    ));
                }
            }
        }
    }
    for difference in &differences {
        println!("{difference}");
    }
    println!("\n{:<20} {:>22} {:>22}", "measure (both periods)", "tuned P / R", "held-out P / R");
    let cell = |score: Score, hidden: bool| {
        if hidden {
            format!("{:>22}", "(hidden)")
        } else {
            format!("{:>10.1}% / {:>6.1}%", 100.0 * score.precision(), 100.0 * score.recall())
        }
    };
    let mut overall = [Score::default(); 2];
    for (m, measure) in MEASURES.iter().enumerate() {
        overall[0].add(scores[0][m]);
        overall[1].add(scores[1][m]);
        println!("{measure:<20} {} {}", cell(scores[0][m], false), cell(scores[1][m], tuning));
    }
    println!("{:<20} {} {}", "overall", cell(overall[0], false), cell(overall[1], tuning));
    if tuning {
        return;
    }
    for (name, score) in ["tuned", "held out"].iter().zip(overall) {
        println!(
            "{name}: {} of {} figures produced are right, {} of {} coded figures found",
            score.produced_right, score.produced, score.coded_found, score.coded
        );
    }
    // Floors, not the targets: the held-out precision is short of 95% (see the module comment).
    let [tuned, held_out] = overall;
    assert!(tuned.precision() >= 0.97 && tuned.recall() >= 0.94, "tuned below its floor");
    assert!(held_out.precision() >= 0.90 && held_out.recall() >= 0.86, "held out below its floor");
}
