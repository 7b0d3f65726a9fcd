//! The real server on a loopback port, called through the generated tonic clients.

mod support;

use support::TestServer;
use tip_model::pb::{
    GetCountryRequest, GetReportRequest, ListCountriesRequest, ListReportsRequest, Region, ReportView,
    StandardsFinding, Tier, TierChange,
};
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn get_report_returns_the_seed() {
    let server = TestServer::start().await;
    let report = server
        .reports()
        .get_report(GetReportRequest { name: "countries/MLI/reports/2023".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.country, "countries/MLI");
    assert_eq!(report.year, 2023);
    assert_eq!(report.tier(), Tier::Tier2);
    assert_eq!(report.tier_change(), TierChange::Upgraded);
    assert_eq!(report.finding(), StandardsFinding::SignificantEfforts);
    assert_eq!(report.recommendations.len(), 9);
    assert!(report.recommendations[0].text.starts_with("Vigorously investigate and prosecute"));
    assert!(report.recommendations[8].text.starts_with("Empower the anti-trafficking inter-ministerial committee"));
    let source = report.source.unwrap();
    assert!(source.title_line.starts_with("MALI (Tier 2) Extracted in part"));
    assert!(source.extracted_in_part);
    assert!(report.ingest_time.is_some());
    server.stop().await;
}

#[tokio::test]
async fn unknown_report_is_not_found() {
    let server = TestServer::start().await;
    for name in ["countries/MLI/reports/2002", "countries/ZZZ/reports/2023"] {
        let status = server.reports().get_report(GetReportRequest { name: name.into() }).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{name}");
        assert!(status.message().contains(name), "{}", status.message());
        let info = status.get_error_details().resource_info().cloned().expect("ResourceInfo detail");
        assert_eq!(info.resource_name, name);
    }
    server.stop().await;
}

#[tokio::test]
async fn malformed_names_are_invalid_arguments_with_field_violations() {
    let server = TestServer::start().await;
    for name in ["not a name", "", "countries/MLI/reports/1850", &"x".repeat(100_000)] {
        let status = server.reports().get_report(GetReportRequest { name: name.to_owned() }).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let violations = status.get_error_details().bad_request().cloned().expect("BadRequest detail").field_violations;
        assert_eq!(violations[0].field, "name");
        assert!(status.message().len() < 400, "long input is not echoed whole");
    }
    let status = server.countries().get_country(GetCountryRequest { name: "countries/mli".into() }).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn lists_reports_and_countries_page_by_page() {
    let server = TestServer::start().await;
    let reports = server
        .reports()
        .list_reports(ListReportsRequest { parent: "countries/MLI".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reports.reports.len(), 1);
    assert!(reports.reports[0].recommendations.is_empty(), "BASIC view by default");
    let full = server
        .reports()
        .list_reports(ListReportsRequest { view: ReportView::Full as i32, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(full.reports[0].recommendations.len(), 9);

    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .countries()
            .list_countries(ListCountriesRequest { page_size: 50, page_token: token.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.total_size, 189);
        names.extend(page.countries.into_iter().map(|c| c.name));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(names.len(), 189);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "ordered by code, no repeats");

    let forged = server
        .countries()
        .list_countries(ListCountriesRequest { page_size: 50, page_token: "00".repeat(24), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::InvalidArgument);
    let negative = server
        .countries()
        .list_countries(ListCountriesRequest { page_size: -1, ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn get_country_gives_name_aliases_and_region() {
    let server = TestServer::start().await;
    let burma =
        server.countries().get_country(GetCountryRequest { name: "countries/MMR".into() }).await.unwrap().into_inner();
    assert_eq!(burma.display_name, "Burma");
    assert!(burma.aliases.iter().any(|a| a == "Myanmar"));
    assert_eq!(burma.region(), Region::Eap);
    let missing = server.countries().get_country(GetCountryRequest { name: "countries/ZZZ".into() }).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    server.stop().await;
}
