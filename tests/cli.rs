//! The `tip-atlas` command line: `check --json` against the narratives' manifest, exit codes.

mod fixtures_html;

use std::path::{Path, PathBuf};
use std::process::Command;

use tip_model::{CountryRegistry, parse_tier};

fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

fn tip_atlas(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tip-atlas")).args(args).output().unwrap()
}

/// Manifest years that later reference data showed wrong: (file, report year, why).
const MANIFEST_CORRECTIONS: &[(&str, i64, &str)] = &[(
    "SEYCHELLES_2022_gvnet_header-says-2021.txt",
    2023,
    "the manifest guessed 2022 for this stale-titled GVnet page, but the 2022 state.gov page has \
     Seychelles on Tier 2 and the 2023 report is the one saying it 'was upgraded to Tier 1'",
)];

#[test]
fn check_json_agrees_with_the_manifest_on_every_narrative() {
    let folder = shared_data().join("narratives");
    let output = tip_atlas(&["check", "--json", folder.to_str().unwrap()]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();

    let mut manifest = csv::Reader::from_path(folder.join("MANIFEST.csv")).unwrap();
    let header = manifest.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let registry = CountryRegistry::global();
    let mut checked = 0;
    for record in manifest.records() {
        let record = record.unwrap();
        let file = &record[column("file")];
        let line = lines
            .iter()
            .find(|l| l["path"].as_str().unwrap().ends_with(&format!("/{file}")))
            .unwrap_or_else(|| panic!("{file} not checked"));
        let country = registry.resolve(&record[column("country")]).unwrap();
        let tier = parse_tier(&record[column("tier_as_stated")]).unwrap();
        assert_eq!(line["country"], country.iso3.as_str(), "{file}");
        let year = MANIFEST_CORRECTIONS
            .iter()
            .find(|(corrected, ..)| *corrected == file)
            .map_or_else(|| record[column("report_year")].parse::<i64>().unwrap(), |&(_, year, _)| year);
        assert_eq!(line["year"], year, "{file}");
        assert_eq!(line["tier"], tier.as_str_name(), "{file}");
        let complete = record[column("complete")].starts_with("yes");
        assert_eq!(line["completeness"] == "COMPLETENESS_COMPLETE", complete, "{file}: {}", line["completeness"]);
        assert_eq!(line["errors"].as_array().unwrap().len(), 0, "{file}");
        checked += 1;
    }
    assert_eq!(checked, lines.len(), "every document has a manifest row");
    assert!(checked >= 27, "{checked}");
}

#[test]
fn check_exits_one_on_errors_and_two_on_bad_usage() {
    let folder = tempfile::tempdir().unwrap();
    let bad = folder.path().join("bad.txt");
    std::fs::write(&bad, "ATLANTIS (Tier 7)\n\nNothing here.").unwrap();
    let output = tip_atlas(&["check", "--json", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let errors = line["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e["line"] == 1 && e["column"] == 1), "{errors:?}");
    assert!(errors.iter().any(|e| e["line"] == 1 && e["column"] == 11), "{errors:?}");

    assert_eq!(tip_atlas(&["check"]).status.code(), Some(2), "no path");
    assert_eq!(tip_atlas(&["check", "/no/such/file"]).status.code(), Some(2));
    assert_eq!(tip_atlas(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn ingest_is_idempotent_and_export_gives_ndjson_and_csv() {
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("tip.sqlite");
    let narratives = shared_data().join("narratives");
    let args = ["ingest", "--db", db.to_str().unwrap(), narratives.to_str().unwrap()];
    let first = tip_atlas(&args);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let summary = String::from_utf8(first.stdout).unwrap();
    assert!(summary.contains(" 0 refused"), "{summary}");
    let second = String::from_utf8(tip_atlas(&args).stdout).unwrap();
    assert!(
        second.starts_with("files: 27 read, 0 refused; narratives: 0 created, 0 replaced, 27 unchanged"),
        "{second}"
    );

    let ndjson = tip_atlas(&["export", "--db", db.to_str().unwrap()]);
    let reports: Vec<serde_json::Value> =
        String::from_utf8(ndjson.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(reports.len() >= 24, "{}", reports.len());
    let mali = reports.iter().find(|r| r["name"] == "countries/MLI/reports/2023").unwrap();
    assert_eq!(mali["recommendations"].as_array().unwrap().len(), 9, "the complete seed stays current");

    let csv = String::from_utf8(
        tip_atlas(&["export", "--db", db.to_str().unwrap(), "--format", "csv", "--what", "placements"]).stdout,
    )
    .unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("report_year,iso3,tier,source,tier_as_published"));
    assert_eq!(lines.count(), 4142);

    // The reports' CSV reads back as one record per report, the quoted fields whole.
    let csv = tip_atlas(&["export", "--db", db.to_str().unwrap(), "--format", "csv"]).stdout;
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    assert_eq!(reader.headers().unwrap().get(0), Some("name"));
    let names: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    let expected: Vec<&str> = reports.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, expected);
}

#[test]
fn coverage_counts_the_bundled_placements_per_year_and_names_the_gaps() {
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("tip.sqlite");
    let output = tip_atlas(&["coverage", "--json", "--db", db.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let years: Vec<serde_json::Value> =
        String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let year = |y: i64| years.iter().find(|line| line["year"] == y).unwrap_or_else(|| panic!("no {y}"));
    assert_eq!(years.len(), 25, "2001 to 2025");
    assert_eq!(year(2019)["placed"], 185);
    assert_eq!(year(2019)["missing"], serde_json::json!(["NAM", "SGP"]));
    assert_eq!(year(2023)["sources"]["narrative"], 1, "the bundled Mali 2023 narrative");
    let missing_2024 = year(2024)["missing"].as_array().unwrap();
    assert!(missing_2024.contains(&"ZAF".into()), "{missing_2024:?}");
    let placed: i64 = years.iter().map(|y| y["placed"].as_i64().unwrap()).sum();
    assert!(placed >= 4100, "{placed}");
}

#[test]
fn check_json_gives_the_line_of_a_quote_left_open_in_a_tier_table() {
    let folder = tempfile::tempdir().unwrap();
    let table = folder.path().join("placements.csv");
    std::fs::write(
        &table,
        "report_year,country,tier,source\n2015,Mali,1,\"Heiss and Kelley\n(2017)\"\n2015,\"Chad,2,x\n2016,Niger,2,x\n",
    )
    .unwrap();
    let output = tip_atlas(&["check", "--json", table.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["placements"], 1);
    let rejected = line["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0]["line"], 4);
    assert!(rejected[0]["message"].as_str().unwrap().contains("lines 4 to 5"), "{rejected:?}");
    assert_eq!(line["notes"][0], "line 2: the \"source\" field runs from line 2 to line 3");
}

#[test]
fn export_of_a_new_store_gives_the_bundled_placements() {
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("tip.sqlite");
    let output = tip_atlas(&["export", "--db", db.to_str().unwrap(), "--what", "placements"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let placements = String::from_utf8(output.stdout).unwrap().lines().count();
    assert!(placements >= 4100, "{placements}");
}

#[test]
fn check_json_prints_a_line_per_narrative_of_a_web_page_and_refuses_a_page_without_one() {
    let folder = tempfile::tempdir().unwrap();
    let narrative = |file: &str| {
        fixtures_html::narrative(&std::fs::read_to_string(shared_data().join("narratives").join(file)).unwrap())
    };
    let (angola, nigeria) = (narrative("ANGOLA_2001_stategov_COMPLETE.txt"), narrative("NIGERIA_2001_refworld.txt"));
    let several =
        fixtures_html::state_gov_2001_2008(&[&angola, &nigeria], "IV. Country Narratives -- Tier 2", 2001, 3_930);
    std::fs::write(folder.path().join("tier2.htm"), several).unwrap();
    let text = std::fs::read(shared_data().join("narratives/MALI_2017_refworld.txt")).unwrap();
    std::fs::write(folder.path().join("MALI_2017_refworld.txt"), text).unwrap();

    let output = tip_atlas(&["check", "--json", folder.path().to_str().unwrap()]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary: Vec<(String, u64, &str, &str)> = lines
        .iter()
        .map(|l| {
            let file = l["path"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
            (file, l["part"].as_u64().unwrap(), l["media_type"].as_str().unwrap(), l["country"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("MALI_2017_refworld.txt".to_owned(), 0, "text/plain", "MLI"),
            ("tier2.htm".to_owned(), 0, "text/html", "AGO"),
            ("tier2.htm".to_owned(), 1, "text/html", "NGA"),
        ]
    );
    assert!(lines.iter().all(|l| l["pages"].is_null() && l["year"].is_i64()), "{stdout}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("passed over"), "the page's heading is noted");

    let empty = folder.path().join("recipes.html");
    std::fs::write(&empty, "<!doctype html><title>Recipes</title><main><p>Bake for twenty minutes.</p></main>")
        .unwrap();
    let output = tip_atlas(&["check", "--json", empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["media_type"], "text/html");
    assert_eq!(line["location"], "element main");
    assert!(line["error"].as_str().unwrap().starts_with("no country narrative in the page"), "{line}");
}

/// A folder holding Croatia 2018 (printed from the ranked 2018 corpus), whose narrative states the
/// four measures for both periods, and Libya 2018, which "did not report prosecuting or
/// convicting any trafficking offenders".
fn croatia_and_libya_2018() -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    let (_, croatia) =
        tip_corpus::corpus2018::ranked_narratives().into_iter().find(|(key, _)| key == "CROATIA").unwrap();
    std::fs::write(folder.path().join("CROATIA_2018.txt"), croatia).unwrap();
    let libya = "LIBYA_2018_tip-pdf-parse_COMPLETE.txt";
    std::fs::copy(shared_data().join("narratives").join(libya), folder.path().join(libya)).unwrap();
    folder
}

const CROATIA_INVESTIGATIONS: &str =
    "The government investigated nine cases involving 17 suspects (seven cases involving 11 suspects in 2016).";
const CROATIA_PROSECUTIONS: &str = "The government prosecuted 12 defendants in 2017 (11 in 2016).";
const CROATIA_CONVICTIONS: &str = "Courts convicted four traffickers (five in 2016) with sentences ranging between two \
                                   years and eight months and four years and six months.";
const CROATIA_VICTIMS: &str = "The government identified 29 victims (30 in 2016).";

#[test]
fn check_json_prints_the_enforcement_figures_with_their_sentences_and_null_where_none_is_stated() {
    let folder = croatia_and_libya_2018();
    let output = tip_atlas(&["check", "--json", folder.path().to_str().unwrap()]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let line_of = |iso3: &str| {
        stdout.lines().find(|l| l.contains(&format!("\"country\":\"{iso3}\""))).unwrap_or_else(|| panic!("{stdout}"))
    };

    let croatia = line_of("HRV");
    let figure = |count: i64, evidence: &str| serde_json::json!({"count": count, "unit": "PERSONS", "approximate": false, "evidence": evidence});
    let expected = serde_json::json!({
        "investigations": figure(17, CROATIA_INVESTIGATIONS),
        "prosecutions": figure(12, CROATIA_PROSECUTIONS),
        "convictions": figure(4, CROATIA_CONVICTIONS),
        "victims_identified": figure(29, CROATIA_VICTIMS),
        "previous": {
            "investigations": figure(11, CROATIA_INVESTIGATIONS),
            "prosecutions": figure(11, CROATIA_PROSECUTIONS),
            "convictions": figure(5, CROATIA_CONVICTIONS),
            "victims_identified": figure(30, CROATIA_VICTIMS),
        },
    });
    let line: serde_json::Value = serde_json::from_str(croatia).unwrap();
    assert_eq!(line["enforcement"], expected);
    // The keys come in the order, the figure's fields too.
    let at = |key: &str| croatia.find(key).unwrap_or_else(|| panic!("{key} in {croatia}"));
    let order = [
        "\"enforcement\":{\"investigations\":{\"count\":17,\"unit\":\"PERSONS\",\"approximate\":false,\"evidence\":",
        "\"prosecutions\":{",
        "\"convictions\":{",
        "\"victims_identified\":{",
        "\"previous\":{\"investigations\":{\"count\":11,",
    ];
    assert!(order.windows(2).all(|pair| at(pair[0]) < at(pair[1])), "{croatia}");

    let libya: serde_json::Value = serde_json::from_str(line_of("LBY")).unwrap();
    let enforcement = &libya["enforcement"];
    assert!(enforcement["prosecutions"].is_null() && enforcement["convictions"].is_null(), "{enforcement}");
    let previous = enforcement["previous"].as_object().unwrap();
    assert_eq!(previous.len(), 4, "the previous period names its four measures, null or not: {enforcement}");
}

#[test]
fn export_of_enforcement_gives_a_row_per_figure_that_reads_back_as_csv() {
    let folder = croatia_and_libya_2018();
    let db = folder.path().join("tip.sqlite");
    let luxembourg = shared_data().join("narratives/LUXEMBOURG_2018_tip-pdf-parse_COMPLETE.txt");
    let ingested = tip_atlas(&[
        "ingest",
        "--db",
        db.to_str().unwrap(),
        folder.path().to_str().unwrap(),
        luxembourg.to_str().unwrap(),
    ]);
    assert!(ingested.status.success(), "{}", String::from_utf8_lossy(&ingested.stderr));

    let export = |format: &str| {
        let output = tip_atlas(&["export", "--db", db.to_str().unwrap(), "--what", "enforcement", "--format", format]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        output.stdout
    };
    let csv = export("csv");
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "iso3",
            "year",
            "measure",
            "period",
            "count",
            "unit",
            "approximate",
            "sex",
            "labor",
            "cases",
            "section",
            "paragraph",
            "start",
            "end",
            "evidence"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let field = |row: &csv::StringRecord, name: &str| row[header.iter().position(|h| h == name).unwrap()].to_owned();
    let row = |iso3: &str, measure: &str, period: &str| {
        rows.iter()
            .find(|r| field(r, "iso3") == iso3 && field(r, "measure") == measure && field(r, "period") == period)
            .unwrap_or_else(|| panic!("no {iso3} {measure} {period}"))
    };

    let croatia: Vec<&csv::StringRecord> = rows.iter().filter(|r| field(r, "iso3") == "HRV").collect();
    assert_eq!(croatia.len(), 8, "four measures, two periods");
    let investigations = row("HRV", "investigations", "reporting");
    let columns: Vec<String> = header.iter().map(|name| field(investigations, name)).collect();
    assert_eq!(
        columns[..12],
        ["HRV", "2018", "investigations", "reporting", "17", "PERSONS", "false", "", "", "9", "PROSECUTION", "0"]
    );
    // The span points at the sentence in the first paragraph under the PROSECUTION heading.
    let text = std::fs::read_to_string(folder.path().join("CROATIA_2018.txt")).unwrap();
    let paragraph = text.split_once("\nPROSECUTION\n").unwrap().1.lines().next().unwrap();
    let (start, end): (usize, usize) =
        (field(investigations, "start").parse().unwrap(), field(investigations, "end").parse().unwrap());
    assert_eq!(paragraph.chars().skip(start).take(end - start).collect::<String>(), CROATIA_INVESTIGATIONS);
    assert_eq!(field(investigations, "evidence"), CROATIA_INVESTIGATIONS);
    assert_eq!(field(row("HRV", "victims_identified", "previous"), "count"), "30");
    assert_eq!(field(row("HRV", "victims_identified", "previous"), "section"), "PROTECTION");

    // The sex and labor parts of a figure summed from them.
    let victims = row("LUX", "victims_identified", "reporting");
    assert_eq!([field(victims, "count"), field(victims, "sex"), field(victims, "labor")], ["11", "3", "8"]);

    // Silence is no row, never a zero.
    let libya: Vec<String> = rows.iter().filter(|r| field(r, "iso3") == "LBY").map(|r| field(r, "measure")).collect();
    assert!(!libya.iter().any(|m| m == "prosecutions" || m == "convictions"), "{libya:?}");

    // NDJSON gives the same rows, parts not given as null.
    let ndjson: Vec<serde_json::Value> =
        String::from_utf8(export("ndjson")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(ndjson.len(), rows.len());
    let first = ndjson.iter().find(|r| r["iso3"] == "HRV" && r["measure"] == "investigations").unwrap();
    assert_eq!(first["count"], 17);
    assert_eq!(first["cases"], 9);
    assert!(first["sex"].is_null(), "{first}");
}
