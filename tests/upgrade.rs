//! A database written by the release before numbered migrations (31b9ee7) opens with this one,
//! every report intact, and its reports are re-derived with this release's parser: by
//! `tip-atlas reindex`, or by `serve` on start; and it takes this release's newer bundled tier
//! placements on start, keeping the rows its user loaded.
//!
//! `tests/fixtures/release-31b9ee7.sqlite` was written by that release's binary:
//! `tip-atlas ingest --db F` on MALI_2017_refworld, MALI_2018_tip-pdf-parse_COMPLETE,
//! SEYCHELLES_2021_stategov, LIBYA_2024_ecoi, LUXEMBOURG_2009_gvnet and MALI_2023_statenewswire
//! of `../shared/data/narratives` (the last kept as a revision of the bundled Mali 2023), and
//! `tests/fixtures/KUWAIT_2018_teomotun.txt`, the Kuwait record of `corpus2018` laid out as
//! tests/corpus2018.rs prints it, whose narrative states a downgrade waiver; then `VACUUM`.

mod support;

use std::path::{Path, PathBuf};

use std::io::BufRead;

use support::TestServer;
use tip_ingest::PARSER_VERSION;
use tip_model::ReportName;
use tip_model::pb::{
    DowngradeRule, GetReportRequest, GetTierHistoryRequest, ListPlacementsRequest, ListReportsRequest, Tier,
};
use tip_server::Store;
use tip_server::api::country_service_client::CountryServiceClient;
use tip_server::seeds::BUNDLED_DATA_VERSION;

/// The reports of the fixture.
const REPORTS: [&str; 7] = [
    "countries/KWT/reports/2018",
    "countries/LBY/reports/2024",
    "countries/LUX/reports/2009",
    "countries/MLI/reports/2017",
    "countries/MLI/reports/2018",
    "countries/MLI/reports/2023",
    "countries/SYC/reports/2021",
];

/// A copy of the fixture in a temporary folder (kept alive by the returned guard).
fn old_database() -> (tempfile::TempDir, PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("old.sqlite");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/release-31b9ee7.sqlite");
    std::fs::copy(fixture, &path).unwrap();
    (folder, path)
}

fn user_version(path: &Path) -> i64 {
    rusqlite::Connection::open(path).unwrap().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap()
}

/// Checks over the real server that every report is served, and that Kuwait's 2018 waiver is
/// read from its text and shows in its tier history.
async fn check_served(db: &Path) {
    let server = TestServer::start_with(|config| config.db = db.to_owned()).await;
    let listed = server
        .reports()
        .list_reports(ListReportsRequest { page_size: 100, ..ListReportsRequest::default() })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = listed.reports.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, REPORTS);
    for name in REPORTS {
        let report = server.reports().get_report(GetReportRequest { name: name.into() }).await.unwrap().into_inner();
        assert!(!report.paragraphs.is_empty() && report.tier() != Tier::Unspecified, "{name}");
        assert_eq!(report.downgrade_waived, name == "countries/KWT/reports/2018", "{name}");
    }
    let history = server
        .countries()
        .get_tier_history(GetTierHistoryRequest { name: "countries/KWT".into() })
        .await
        .unwrap()
        .into_inner();
    let year = history.entries.iter().find(|e| e.year == 2018).expect("a 2018 entry");
    assert_eq!(year.downgrade_rule(), DowngradeRule::Waived);
    // Derived on migration: every year's placement, as the histories settle it.
    let request = ListPlacementsRequest { filter: "country = KWT AND year = 2018".into(), ..Default::default() };
    let placed = server.countries().list_placements(request).await.unwrap().into_inner().placements;
    assert_eq!(placed.iter().map(|p| p.tier).collect::<Vec<_>>(), [year.tier]);
    server.stop().await;
}

#[tokio::test]
async fn reindex_rederives_a_database_of_the_previous_release() {
    let (_folder, db) = old_database();
    assert_eq!(user_version(&db), 0, "the fixture predates numbered migrations");
    {
        let store = Store::open(&db).unwrap();
        assert_eq!(user_version(&db), tip_server::store::SCHEMA_VERSION);
        for name in REPORTS {
            let report = store.get_report(ReportName::parse(name).unwrap()).unwrap().expect(name);
            assert!(!report.paragraphs.is_empty(), "{name} intact");
        }
        assert_eq!(store.parser_version().unwrap(), 1, "derived by the previous parser");
    }

    let reindex = std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas"))
        .args(["reindex", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8(reindex.stdout).unwrap();
    assert!(reindex.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&reindex.stderr));
    // Every report's source gains the media type the file was read as (`text/plain`).
    assert_eq!(
        stdout,
        format!(
            "countries/KWT/reports/2018: changed: source, downgrade_waived, enforcement\n\
             countries/LBY/reports/2024: changed: source, enforcement\n\
             countries/LUX/reports/2009: changed: source, enforcement\n\
             countries/MLI/reports/2017: changed: source, enforcement\n\
             countries/MLI/reports/2018: changed: source, enforcement\n\
             countries/MLI/reports/2023: changed: source, enforcement\n\
             countries/SYC/reports/2021: changed: source, enforcement\n\
             parser version {PARSER_VERSION}: 7 report(s) re-derived, 7 changed, 0 unchanged, 0 failed; \
             1 earlier revision(s) re-read\n"
        )
    );
    assert_eq!(user_version(&db), tip_server::store::SCHEMA_VERSION);
    check_served(&db).await;
}

#[tokio::test]
async fn serve_rederives_the_reports_of_an_older_parser_on_start() {
    let (_folder, db) = old_database();
    check_served(&db).await;
    assert_eq!(Store::open(&db).unwrap().parser_version().unwrap(), PARSER_VERSION);
}

/// The previous release bundled 3,778 placements (almost none for 2019); this one 4,142. On
/// start, the new rows are added and logged per year, and a tier row a user loaded under the
/// previous release (another source for Tunisia 2019, disagreeing with the bundled one) stays.
#[tokio::test]
async fn serve_adds_the_newer_bundled_placements_and_keeps_the_rows_users_loaded() {
    let (_folder, db) = old_database();
    {
        let old = rusqlite::Connection::open(&db).unwrap();
        let count = |sql: &str| old.query_row(sql, [], |row| row.get::<_, i64>(0)).unwrap();
        assert_eq!(count("SELECT count(*) FROM placements"), 3778, "the previous release's bundled table");
        assert_eq!(count("SELECT count(*) FROM placements WHERE year = 2019"), 6);
        assert_eq!(count("SELECT count(*) FROM meta WHERE key = 'bundled_data_version'"), 0, "no version yet");
        // A row of the user's own tier table, in the previous release's schema (Tier 3 is 4).
        old.execute(
            "INSERT INTO placements (iso3, year, tier, source, tier_as_published, country_as_published)
             VALUES ('TUN', 2019, 4, 'my_newsroom_table', 'Tier 3', 'Tunisia')",
            [],
        )
        .unwrap();
    }

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
    let address = first_line.trim().strip_prefix("listening on ").unwrap().to_owned();
    // "data ready" is logged once the bundled data is in. The log is read to its end, so that
    // the server never writes into a closed pipe.
    let (lines, log) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let ready = log.iter().find(|line| line.contains("data ready")).expect("a data ready line");
    let expected = format!(
        "bundled data {BUNDLED_DATA_VERSION} replaces the unversioned data of an earlier release: 0 report(s), \
         364 placement(s) added (2016: 1, 2019: 179, 2022: 127, 2023: 1, 2024: 56), 0 changed"
    );
    assert!(ready.contains(&expected), "{ready}");

    let channel = tonic::transport::Channel::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
    let history = CountryServiceClient::new(channel)
        .get_tier_history(GetTierHistoryRequest { name: "countries/TUN".into() })
        .await
        .unwrap()
        .into_inner();
    let year = history.entries.iter().find(|e| e.year == 2019).expect("a 2019 entry");
    let sources: Vec<(&str, Tier)> = year.sources.iter().map(|s| (s.source.as_str(), s.tier())).collect();
    assert_eq!(sources, [("ecoi_net_2019", Tier::Tier2), ("my_newsroom_table", Tier::Tier3)]);
    assert!(year.conflicts.iter().any(|c| c.contains("sources disagree")), "{:?}", year.conflicts);
    let _ = child.kill();
    let _ = child.wait();

    let store = Store::open(&db).unwrap();
    assert_eq!(store.placement_count().unwrap(), 4142 + 1, "the bundle and the user's row");
    assert_eq!(store.meta("bundled_data_version").unwrap().as_deref(), Some(BUNDLED_DATA_VERSION.as_bytes()));
}
