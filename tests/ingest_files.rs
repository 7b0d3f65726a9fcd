//! `tip-atlas ingest` and `check` on folders of what users hold: saved web pages of every layout,
//! plain text, a one-narrative PDF and a whole-report PDF, next to files that cannot be read.

mod fixtures_html;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tip_corpus::corpus2018::{Record, corpus};
use tip_corpus::pdf::{Block, HeadingStyle, chromium, narrative_blocks, report_blocks, writer};
use tip_ingest::{Hints, parse_document};

fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

fn tip_atlas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tip-atlas")).args(args).output().unwrap()
}

fn text_of(name: &str) -> String {
    std::fs::read_to_string(shared_data().join("narratives").join(name)).unwrap()
}

fn narrative(name: &str) -> fixtures_html::Narrative {
    fixtures_html::narrative(&text_of(name))
}

/// The first countries of the 2018 corpus, the narratives of the small whole report.
fn report_records() -> Vec<Record> {
    corpus().into_iter().take(5).collect()
}

/// A whole report of five narratives whose tier placement pages list a country that does not
/// exist and place the first country on Tier 3, against its narrative's heading.
fn small_report() -> Vec<u8> {
    let records = report_records();
    let first = records[0].key.clone();
    assert_ne!(records[0].tier_heading(), "TIER 3");
    let mut blocks: Vec<Block> = report_blocks(&records, HeadingStyle::Colon)
        .into_iter()
        .filter(|b| *b != Block::ListItem(first.clone()))
        .collect();
    let at = |blocks: &[Block], section: &str| {
        blocks.iter().position(|b| *b == Block::Section(section.to_owned())).expect("the tier list") + 1
    };
    let tier_1 = at(&blocks, "TIER 1");
    blocks.insert(tier_1, Block::ListItem("ATLANTIS".to_owned()));
    let tier_3 = at(&blocks, "TIER 3");
    blocks.insert(tier_3, Block::ListItem(first));
    let options =
        writer::Options { title: Some("2018 Trafficking in Persons Report".to_owned()), ..Default::default() };
    writer::write_pdf(&blocks, &options)
}

/// A folder of every web page layout, a text narrative and two PDFs, named so that nothing but
/// their bytes says what they are (no year or country in the names of the pages and PDFs).
fn write_readable_files(folder: &Path) {
    let pages = [
        ("current-page", fixtures_html::state_gov_report(&narrative("LIBYA_2024_ecoi.txt"), "Libya", 2024, false)),
        ("archive.htm", fixtures_html::state_gov_report(&narrative("TONGA_2019_stategov.txt"), "Tonga", 2019, true)),
        (
            "old-archive.html",
            fixtures_html::state_gov_2009_2017(&narrative("MALI_2012_refworld.txt"), "Mali", 2012, 192_367),
        ),
        (
            "several-countries.htm",
            fixtures_html::state_gov_2001_2008(
                &[&narrative("ANGOLA_2001_stategov_COMPLETE.txt"), &narrative("NIGERIA_2001_refworld.txt")],
                "IV. Country Narratives -- Tier 2",
                2001,
                3_930,
            ),
        ),
        (
            "refworld.html",
            fixtures_html::refworld(&narrative("NIGERIA_2003_refworld.txt"), "Nigeria", 2003, "4680d7a5e"),
        ),
        ("gvnet.html", fixtures_html::gvnet(&narrative("LUXEMBOURG_2023_gvnet.txt"), "Luxembourg", "utf-8")),
        (
            "other-site.html",
            fixtures_html::other_site(
                &narrative("SOMALIA_2022_ecoi.txt"),
                "2022 Trafficking in Persons Report: Somalia",
            ),
        ),
        ("preformatted.html", fixtures_html::preformatted(&text_of("LUXEMBOURG_2009_gvnet.txt"), "Luxembourg")),
        ("MALI_2017_refworld.txt", text_of("MALI_2017_refworld.txt")),
    ];
    for (name, page) in pages {
        std::fs::write(folder.join(name), page).unwrap();
    }
    let mali = corpus().into_iter().find(|r| r.key == "MALI").expect("Mali in the corpus");
    let one = writer::write_pdf(&narrative_blocks(&mali, HeadingStyle::Colon), &writer::Options::default());
    std::fs::write(folder.join("narrative-2018.pdf"), one).unwrap();
    std::fs::write(folder.join("whole-report"), small_report()).unwrap();
}

fn export_reports(db: &Path) -> Vec<Value> {
    let output = tip_atlas(&["export", "--db", db.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn file_of(report: &Value) -> &str {
    report["source_uri"].as_str().unwrap().rsplit('/').next().unwrap()
}

#[test]
fn a_folder_of_pages_text_and_pdfs_is_stored_one_report_per_narrative() {
    let folder = tempfile::tempdir().unwrap();
    let files = folder.path().join("files");
    std::fs::create_dir(&files).unwrap();
    write_readable_files(&files);
    let db = folder.path().join("tip.sqlite");
    let output = tip_atlas(&["ingest", "--db", db.to_str().unwrap(), files.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap());
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.trim(),
        "files: 11 read, 0 refused; narratives: 16 created, 0 replaced, 0 unchanged, 0 kept as revisions of a more \
         complete current one, 0 refused; tier placements: 5 read, 5 new or changed, 1 row(s) rejected",
        "{stderr}"
    );
    assert!(!stderr.contains("page 1/"), "no progress bar off a terminal: {stderr}");

    // The placement pages: the unknown country rejected with its page, the disagreement warned.
    let report = files.join("whole-report").display().to_string();
    assert!(stderr.contains(&format!("{report}: page 3: rejected: unknown country \"ATLANTIS\"")), "{stderr}");
    let first = &report_records()[0].key;
    let warning = format!("{report}: warning: \"{first}: ");
    assert!(
        stderr.lines().any(|l| l.starts_with(&warning) && l.ends_with(&format!("{first} under Tier 3 (page 3)"))),
        "{stderr}"
    );

    let reports = export_reports(&db);
    let stored: Vec<(&str, &str)> = reports
        .iter()
        .filter(|r| r["source_uri"].as_str().unwrap().starts_with(files.to_str().unwrap()))
        .map(|r| (file_of(r), r["name"].as_str().unwrap()))
        .collect();
    let mut expected = vec![
        ("current-page", "countries/LBY/reports/2024"),
        ("archive.htm", "countries/TON/reports/2019"),
        ("old-archive.html", "countries/MLI/reports/2012"),
        ("several-countries.htm", "countries/AGO/reports/2001"),
        ("several-countries.htm", "countries/NGA/reports/2001"),
        ("refworld.html", "countries/NGA/reports/2003"),
        ("gvnet.html", "countries/LUX/reports/2023"),
        ("other-site.html", "countries/SOM/reports/2022"),
        ("preformatted.html", "countries/LUX/reports/2009"),
        ("MALI_2017_refworld.txt", "countries/MLI/reports/2017"),
        ("narrative-2018.pdf", "countries/MLI/reports/2018"),
    ];
    let registry = tip_model::CountryRegistry::global();
    let in_report: Vec<String> = report_records()
        .iter()
        .map(|r| format!("countries/{}/reports/2018", registry.resolve(&r.key).unwrap().iso3))
        .collect();
    expected.extend(in_report.iter().map(|name| ("whole-report", name.as_str())));
    let (mut stored_sorted, mut expected_sorted) = (stored.clone(), expected.clone());
    stored_sorted.sort_unstable();
    expected_sorted.sort_unstable();
    assert_eq!(stored_sorted, expected_sorted);

    let by_name = |name: &str| reports.iter().find(|r| r["name"] == name).unwrap();
    let libya = by_name("countries/LBY/reports/2024");
    assert_eq!(libya["media_type"], "text/html");
    assert_eq!(libya["page_title"], "Libya - United States Department of State");
    assert!(libya["canonical_url"].as_str().unwrap().ends_with("/2024-trafficking-in-persons-report/libya/"));
    let old = by_name("countries/MLI/reports/2012");
    assert_eq!(
        (old["canonical_url"].as_str(), old["published"].as_str()),
        (Some("http://www.state.gov/j/tip/rls/tiprpt/countries/2012/192367.htm"), Some("2012-06-19"))
    );
    let parts: Vec<i64> = ["countries/AGO/reports/2001", "countries/NGA/reports/2001"]
        .map(|n| by_name(n)["part"].as_i64().unwrap())
        .into();
    assert_eq!(parts, [0, 1]);
    assert_eq!(by_name("countries/MLI/reports/2017")["media_type"], "text/plain");

    // The narratives of the whole report: pages in order, the whole file's hash, the year it states.
    let whole = std::fs::read(files.join("whole-report")).unwrap();
    let sha256 = tip_model::hex::to_hex(&Sha256::digest(&whole));
    let mut last_page = 0;
    for (part, name) in in_report.iter().enumerate() {
        let report = by_name(name);
        assert_eq!(report["media_type"], "application/pdf", "{name}");
        assert_eq!(report["part"], part, "{name}");
        assert_eq!(report["content_sha256"], sha256.as_str(), "{name}: the whole file is the stored document");
        let (first, last) = (report["first_page"].as_i64().unwrap(), report["last_page"].as_i64().unwrap());
        assert!(first >= last_page && last >= first, "{name}: pages {first}-{last} after {last_page}");
        last_page = last;
    }
    let mali = by_name("countries/MLI/reports/2018");
    assert_eq!((mali["first_page"].as_i64(), mali["part"].as_i64()), (Some(1), Some(0)));

    let csv = tip_atlas(&["export", "--db", db.to_str().unwrap(), "--format", "csv", "--what", "placements"]).stdout;
    let mut placements: Vec<(String, String)> = csv::Reader::from_reader(csv.as_slice())
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[3] == "report_2018")
        .map(|r| (r[1].to_owned(), r[2].to_owned()))
        .collect();
    placements.sort();
    let first_iso3 = registry.resolve(first).unwrap().iso3.to_string();
    assert_eq!(placements.len(), 5, "{placements:?}");
    assert!(placements.contains(&(first_iso3, "Tier 3".to_owned())), "stored as the pages list it: {placements:?}");

    // Re-derived from the stored files (a parser upgrade does it on start): each report reads
    // back from its own narrative of the file.
    let reindex = tip_atlas(&["reindex", "--db", db.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8(reindex.stdout).unwrap(), String::from_utf8(reindex.stderr).unwrap());
    assert!(reindex.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(", 0 failed;"), "{stdout}\n{stderr}");
    for (_, name) in &expected {
        assert!(!stdout.contains(&format!("{name}: changed")), "{name}: {stdout}");
    }

    // Again: every narrative unchanged, one document per file.
    let again = tip_atlas(&["ingest", "--db", db.to_str().unwrap(), files.to_str().unwrap()]);
    let summary = String::from_utf8(again.stdout).unwrap();
    assert!(
        summary.starts_with("files: 11 read, 0 refused; narratives: 0 created, 0 replaced, 16 unchanged"),
        "{summary}"
    );
}

#[test]
fn files_that_cannot_be_read_are_refused_with_where_and_nothing_of_them_stored() {
    let folder = tempfile::tempdir().unwrap();
    let files = folder.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("MALI_2017_refworld.txt"), text_of("MALI_2017_refworld.txt")).unwrap();
    let report = small_report();
    let cut = &report[..report.len() / 2];
    std::fs::write(files.join("damaged.pdf"), cut).unwrap();
    std::fs::write(files.join("scanned.pdf"), writer::scanned_pdf(2)).unwrap();
    let mali = corpus().into_iter().find(|r| r.key == "MALI").expect("Mali");
    std::fs::write(files.join("locked.pdf"), writer::encrypted_pdf(&narrative_blocks(&mali, HeadingStyle::Colon)))
        .unwrap();
    // A PDF whose middle, cross-reference table included, was overwritten.
    let mut corrupt = report.clone();
    let middle = corrupt.len() / 3..corrupt.len() - 64;
    corrupt[middle].fill(b'#');
    std::fs::write(files.join("corrupt.pdf"), corrupt).unwrap();
    std::fs::write(
        files.join("recipes.html"),
        "<!doctype html><title>Recipes</title><main><p>Bake for twenty minutes.</p></main>",
    )
    .unwrap();
    let db = folder.path().join("tip.sqlite");
    let output = tip_atlas(&["ingest", "--db", db.to_str().unwrap(), files.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap());
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("files: 1 read, 5 refused; narratives: 1 created"), "{stdout}");
    assert!(stdout.contains("tier placements: 0 read"), "{stdout}");
    let path = |name: &str| files.join(name).display().to_string();
    assert!(
        stderr.contains(&format!("{}: byte {}: error: the PDF is cut off", path("damaged.pdf"), cut.len())),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("{}: pages 1–2: error: ", path("scanned.pdf"))), "{stderr}");
    for name in ["locked.pdf", "corrupt.pdf"] {
        let line = stderr.lines().find(|l| l.starts_with(&path(name))).unwrap_or_else(|| panic!("{name}: {stderr}"));
        assert!(line.contains(": error: "), "{line}");
    }
    assert!(stderr.contains("encrypted"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: element main: error: no country narrative in the page", path("recipes.html"))),
        "{stderr}"
    );

    let stored: Vec<String> = export_reports(&db)
        .iter()
        .filter(|r| r["source_uri"].as_str().unwrap().starts_with(files.to_str().unwrap()))
        .map(|r| file_of(r).to_owned())
        .collect();
    assert_eq!(stored, ["MALI_2017_refworld.txt"]);
}

#[test]
fn check_json_gives_a_line_per_narrative_of_a_whole_report_with_its_pages_and_its_placements() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("report.pdf");
    std::fs::write(&path, small_report()).unwrap();
    let output = tip_atlas(&["check", "--json", path.to_str().unwrap()]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let records = report_records();
    assert_eq!(lines.len(), records.len() + 1, "{stdout}");
    let registry = tip_model::CountryRegistry::global();
    for (part, (line, record)) in lines.iter().zip(&records).enumerate() {
        assert_eq!(line["part"], part);
        assert_eq!(line["media_type"], "application/pdf");
        assert_eq!(line["country"], registry.resolve(&record.key).unwrap().iso3.as_str());
        assert_eq!(line["year"], 2018);
        let pages = line["pages"].as_array().unwrap();
        assert!(pages[0].as_i64().unwrap() >= 1 && pages[1].as_i64() >= pages[0].as_i64(), "{line}");
    }
    let placements = lines.last().unwrap();
    assert_eq!(placements["kind"], "report_tier_placements");
    assert_eq!(placements["placements"], records.len() + 1, "the five countries and ATLANTIS: {placements}");
}

/// `tip-atlas check --json` on the whole 2018 report as each producer prints it (the Rust
/// writer, and chromium, which `tests/run` installs): every narrative of the corpus it was built
/// from, in order, with the country and tier of the same narrative's plain text, and every
/// placement of its tier pages.
#[test]
fn check_json_finds_every_narrative_and_placement_of_each_generated_whole_report() {
    let records = corpus();
    let folder = tempfile::tempdir().unwrap();
    let blocks = report_blocks(&records, HeadingStyle::Colon);
    let options =
        writer::Options { title: Some("2018 Trafficking in Persons Report".to_owned()), ..Default::default() };
    let mut reports = vec![("writer", writer::write_pdf(&blocks, &options))];
    match chromium::print_to_pdf(&chromium::report_html(&blocks), &folder.path().join("chromium")) {
        Some(pdf) => reports.push(("chromium", pdf)),
        None => assert!(std::env::var_os("TIP_ATLAS_REQUIRE_TOOLS").is_none(), "chromium is not installed"),
    }
    let registry = tip_model::CountryRegistry::global();
    for (producer, pdf) in reports {
        let path = folder.path().join(format!("{producer}.pdf"));
        std::fs::write(&path, pdf).unwrap();
        let output = tip_atlas(&["check", "--json", path.to_str().unwrap()]);
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(output.status.success(), "{producer}: {}", String::from_utf8_lossy(&output.stderr));
        let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let (placements, narratives) = lines.split_last().unwrap();
        assert_eq!(narratives.len(), records.len(), "{producer}: every narrative");
        for (line, record) in narratives.iter().zip(&records) {
            let text = parse_document(record.plain_text().as_bytes(), &Hints { year: Some(2018), ..Hints::default() });
            let country = registry.resolve(&record.key).unwrap_or_else(|| panic!("{}", record.key));
            assert_eq!(line["country"], country.iso3.as_str(), "{producer}: {}", record.key);
            assert_eq!(line["tier"], text.report.tier().as_str_name(), "{producer}: {}", record.key);
            assert_eq!(line["year"], 2018, "{producer}: {}", record.key);
        }
        assert_eq!(placements["kind"], "report_tier_placements", "{producer}");
        assert_eq!(placements["placements"], records.len(), "{producer}: every placement of the tier pages");
    }
}
