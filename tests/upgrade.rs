//! A database written by the release before numbered migrations (31b9ee7) opens with this one,
//! every report intact, and its reports are re-derived with this release's parser: by
//! `tip-atlas reindex`, or by `serve` on start.
//!
//! `tests/fixtures/release-31b9ee7.sqlite` was written by that release's binary:
//! `tip-atlas ingest --db F` on MALI_2017_refworld, MALI_2018_tip-pdf-parse_COMPLETE,
//! SEYCHELLES_2021_stategov, LIBYA_2024_ecoi, LUXEMBOURG_2009_gvnet and MALI_2023_statenewswire
//! of `../shared/data/narratives` (the last kept as a revision of the bundled Mali 2023), and
//! `tests/fixtures/KUWAIT_2018_teomotun.txt`, the Kuwait record of `corpus2018` laid out as
//! tests/corpus2018.rs prints it, whose narrative states a downgrade waiver; then `VACUUM`.

mod support;

use std::path::{Path, PathBuf};

use support::TestServer;
use tip_ingest::PARSER_VERSION;
use tip_model::ReportName;
use tip_model::pb::{DowngradeRule, GetReportRequest, GetTierHistoryRequest, ListReportsRequest, Tier};
use tip_server::Store;

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
    assert_eq!(
        stdout,
        format!(
            "countries/KWT/reports/2018: changed: downgrade_waived, enforcement\n\
             countries/LBY/reports/2024: changed: enforcement\n\
             countries/LUX/reports/2009: changed: enforcement\n\
             countries/MLI/reports/2017: changed: enforcement\n\
             countries/MLI/reports/2018: changed: enforcement\n\
             countries/MLI/reports/2023: changed: enforcement\n\
             countries/SYC/reports/2021: changed: enforcement\n\
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
