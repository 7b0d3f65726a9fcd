//! The questions users bring, each one call: histories, a year's changes, search, filtered
//! lists, comparisons, distributions and recurring recommendations.

mod support;

use support::{TestServer, shared_narrative};
use tip_model::pb::{
    CompareReportsRequest, DowngradeRule, GetCountryRequest, GetPlacementCoverageRequest, GetReportRequest,
    GetTierDistributionRequest, GetTierHistoryRequest, IngestDocumentRequest, ListCountriesRequest,
    ListPlacementsRequest, ListRecommendationsRequest, ListReportsRequest, ListTierChangesRequest, Region,
    SearchReportsRequest, Tier, TierHistory, TierMovement,
};
use tonic::Code;
use tonic_types::StatusExt;

async fn ingest(server: &TestServer, file: &str, year: i32) {
    let request = IngestDocumentRequest { content: shared_narrative(file), year, ..Default::default() };
    server.ingest().ingest_document(request).await.unwrap();
}

#[tokio::test]
async fn mali_history_shows_the_watch_list_then_the_2023_upgrade() {
    let server = TestServer::start().await;
    let history = server
        .countries()
        .get_tier_history(GetTierHistoryRequest { name: "countries/MLI".into() })
        .await
        .unwrap()
        .into_inner();
    let year = |y: i32| history.entries.iter().find(|e| e.year == y).unwrap_or_else(|| panic!("{y} missing"));
    assert_eq!(year(2022).tier(), Tier::Tier2WatchList);
    assert!(year(2022).watch_list_years >= 2);
    let upgrade = year(2023);
    assert_eq!(upgrade.tier(), Tier::Tier2);
    assert_eq!(upgrade.movement(), TierMovement::Upgraded);
    assert!(upgrade.sources.iter().any(|s| s.source == "narrative" && s.report == "countries/MLI/reports/2023"));
    assert_eq!(year(2017).downgrade_rule(), DowngradeRule::Applied, "Tier 3 after the Watch List years");
    let missing =
        server.countries().get_tier_history(GetTierHistoryRequest { name: "countries/ZZZ".into() }).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn tier_changes_of_2023_include_mali_and_distribution_matches_the_2018_report() {
    let server = TestServer::start().await;
    let changes = server
        .insights()
        .list_tier_changes(ListTierChangesRequest { year: 2023, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .changes;
    let mali = changes.iter().find(|c| c.country == "countries/MLI").expect("Mali moved in 2023");
    assert_eq!(
        (mali.from_tier(), mali.to_tier(), mali.movement()),
        (Tier::Tier2WatchList, Tier::Tier2, TierMovement::Upgraded)
    );
    let africa = server
        .insights()
        .list_tier_changes(ListTierChangesRequest { year: 2023, region: Region::Eur as i32, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .changes;
    assert!(africa.iter().all(|c| c.region() == Region::Eur));

    let rows = server
        .insights()
        .get_tier_distribution(GetTierDistributionRequest { start_year: 2018, end_year: 2018, by_region: true })
        .await
        .unwrap()
        .into_inner()
        .rows;
    let all = rows.iter().find(|r| r.region() == Region::Unspecified).unwrap();
    let count = |tier: Tier| all.counts.iter().find(|c| c.tier() == tier).map_or(0, |c| c.count);
    // State's own 2018 counts.
    assert_eq!(
        [
            count(Tier::Tier1),
            count(Tier::Tier2),
            count(Tier::Tier2WatchList),
            count(Tier::Tier3),
            count(Tier::SpecialCase)
        ],
        [39, 80, 42, 22, 4]
    );
    assert_eq!(rows.iter().filter(|r| r.region() != Region::Unspecified).map(|r| r.total).sum::<i32>(), all.total);
    server.stop().await;
}

/// Reports and search pages are cached while the data is unchanged: a write by the server is
/// seen by the next request, a write by another process on the same file within
/// `OTHER_PROCESS_DELAY`.
async fn history(server: &TestServer, name: &str) -> TierHistory {
    let request = GetTierHistoryRequest { name: name.into() };
    server.countries().get_tier_history(request).await.unwrap().into_inner()
}

/// The bundled data has 2019: Tunisia's placement, and the 2019 movers measured against 2018.
#[tokio::test]
async fn a_fresh_server_knows_2019_and_its_movers_against_2018() {
    let server = TestServer::start().await;
    let tunisia = history(&server, "countries/TUN").await;
    let placed = tunisia.entries.iter().find(|e| e.year == 2019).expect("a 2019 entry");
    assert_eq!((placed.tier(), placed.missing, placed.previous_year), (Tier::Tier2, false, 2018));

    let request = ListTierChangesRequest { year: 2019, ..Default::default() };
    let changes = server.insights().list_tier_changes(request).await.unwrap().into_inner().changes;
    assert!(changes.len() >= 40, "{} movers", changes.len());
    assert!(changes.iter().all(|c| c.from_year == 2018 && !c.across_gap), "every 2019 move is from 2018");
    let mali = changes.iter().find(|c| c.country == "countries/MLI").expect("Mali moved in 2019");
    assert_eq!(
        (mali.from_tier(), mali.to_tier(), mali.movement()),
        (Tier::Tier2WatchList, Tier::Tier2, TierMovement::Upgraded)
    );
    server.stop().await;
}

/// No placement of 2024 is known for 34 countries ranked in 2023 and 2025 (most of them Tier 2):
/// their histories show the year as missing, a move from 2023 to 2025 says it crosses the gap,
/// and the distribution and the coverage count them.
#[tokio::test]
async fn the_2024_gaps_are_shown_as_gaps() {
    let server = TestServer::start().await;
    for (name, gaps) in [("countries/ZAF", &[2024][..]), ("countries/TUN", &[2004, 2024])] {
        let entries = history(&server, name).await.entries;
        let gap = entries.iter().find(|e| e.year == 2024).expect("a 2024 entry");
        assert!(gap.missing && gap.tier() == Tier::Unspecified && gap.sources.is_empty(), "{name}: {gap:?}");
        let after = entries.iter().find(|e| e.year == 2025).unwrap();
        assert_eq!((after.movement(), after.previous_year), (TierMovement::AfterGap, 2023), "{name}");
        let missing: Vec<i32> = entries.iter().filter(|e| e.missing).map(|e| e.year).collect();
        assert_eq!(missing, gaps, "{name}");
    }

    let request = ListTierChangesRequest { year: 2025, include_unchanged: true, ..Default::default() };
    let changes = server.insights().list_tier_changes(request).await.unwrap().into_inner().changes;
    let change = |name: &str| changes.iter().find(|c| c.country == name).unwrap_or_else(|| panic!("{name}"));
    let tunisia = change("countries/TUN");
    assert_eq!(
        (tunisia.from_year, tunisia.across_gap, tunisia.from_tier(), tunisia.to_tier(), tunisia.movement()),
        (2023, true, Tier::Tier2, Tier::Tier2WatchList, TierMovement::Downgraded)
    );
    let south_africa = change("countries/ZAF");
    assert_eq!((south_africa.from_year, south_africa.across_gap), (2023, true));
    assert_eq!(south_africa.movement(), TierMovement::Unchanged);
    let mali = change("countries/MLI");
    assert_eq!((mali.from_year, mali.across_gap), (2024, false));

    let request = GetTierDistributionRequest { start_year: 2023, end_year: 2024, by_region: false };
    let rows = server.insights().get_tier_distribution(request).await.unwrap().into_inner().rows;
    let missing: Vec<(i32, i32, i32)> = rows.iter().map(|r| (r.year, r.total, r.missing)).collect();
    assert_eq!(missing, [(2023, 188, 0), (2024, 154, 34)]);

    let request = GetPlacementCoverageRequest { start_year: 2024, end_year: 0 };
    let coverage = server.insights().get_placement_coverage(request).await.unwrap().into_inner().years;
    assert_eq!(coverage.len(), 1);
    assert_eq!((coverage[0].year, coverage[0].placed, coverage[0].missing.len()), (2024, 154, 34));
    assert!(coverage[0].missing.iter().any(|c| c == "countries/ZAF"), "{:?}", coverage[0].missing);
    let from_sources: i32 = coverage[0].sources.iter().map(|s| s.count).sum();
    assert!(from_sources >= 154, "every placement has a source");
    server.stop().await;
}

/// 2020 The Gambia and Saudi Arabia: the bundled table has one row each (Tier 2 Watch List,
/// CIA World Factbook); June 2020 news items said Tier 2. Loaded as a table of their own, both
/// sources show in the year, which is reported as a conflict.
#[tokio::test]
async fn a_table_that_disagrees_with_the_bundled_one_shows_as_a_conflict_with_both_sources() {
    let server = TestServer::start().await;
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("news_2020.csv");
    let table =
        "report_year,country,tier,source\n2020,The Gambia,Tier 2,wadr_org\n2020,Saudi Arabia,Tier 2,focuswashington\n";
    std::fs::write(&path, table).unwrap();
    ingest_with_cli(&server, &path);
    for (name, news) in [("countries/GMB", "wadr_org"), ("countries/SAU", "focuswashington")] {
        let entries = history(&server, name).await.entries;
        let year = entries.iter().find(|e| e.year == 2020).unwrap();
        let sources: Vec<(&str, Tier)> = year.sources.iter().map(|s| (s.source.as_str(), s.tier())).collect();
        assert_eq!(sources.len(), 2, "{name}: {sources:?}");
        assert!(sources.contains(&("cia_factbook_ed2021", Tier::Tier2WatchList)), "{name}: {sources:?}");
        assert!(sources.contains(&(news, Tier::Tier2)), "{name}: {sources:?}");
        let conflict = year.conflicts.iter().find(|c| c.starts_with("sources disagree")).expect("a conflict");
        assert!(conflict.contains("cia_factbook_ed2021") && conflict.contains(news), "{conflict}");
    }
    server.stop().await;
}

#[tokio::test]
async fn cached_replies_follow_writes_by_the_server_and_by_another_process() {
    let server = TestServer::start().await;
    let total = |query: &'static str| {
        let mut reports = server.reports();
        async move {
            let request = SearchReportsRequest { query: query.into(), ..Default::default() };
            reports.search_reports(request).await.unwrap().into_inner().total_size
        }
    };
    let luxembourg_digest = || {
        let mut reports = server.reports();
        async move {
            let request = GetReportRequest { name: "countries/LUX/reports/2023".into() };
            reports.get_report(request).await.unwrap().into_inner().source.unwrap().content_sha256
        }
    };
    for _ in 0..2 {
        assert_eq!(total("Luxembourg").await, 0);
        assert_eq!(total("Belarus").await, 0);
    }

    ingest(&server, "LUXEMBOURG_2023_gvnet.txt", 0).await;
    assert_eq!(total("Luxembourg").await, 1);
    let first_digest = luxembourg_digest().await;
    assert_eq!(luxembourg_digest().await, first_digest);

    // Another process stores Belarus, and the same Luxembourg text with other line ends: other
    // bytes, which replace the report.
    let folder = tempfile::tempdir().unwrap();
    let crlf = String::from_utf8(shared_narrative("LUXEMBOURG_2023_gvnet.txt")).unwrap().replace('\n', "\r\n");
    std::fs::write(folder.path().join("LUXEMBOURG_2023_crlf.txt"), crlf).unwrap();
    std::fs::write(folder.path().join("BELARUS_2023_gvnet.txt"), shared_narrative("BELARUS_2023_gvnet.txt")).unwrap();
    ingest_with_cli(&server, folder.path());
    tokio::time::sleep(tip_server::store::OTHER_PROCESS_DELAY + std::time::Duration::from_millis(50)).await;
    assert_eq!(total("Belarus").await, 1);
    assert_eq!(total("Luxembourg").await, 1);
    assert_ne!(luxembourg_digest().await, first_digest);
    server.stop().await;
}

#[tokio::test]
async fn search_finds_hereditary_slavery_with_highlights_and_refuses_bad_syntax() {
    let server = TestServer::start().await;
    let hits = server
        .reports()
        .search_reports(SearchReportsRequest { query: "\"hereditary slavery\"".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hits.results[0].report, "countries/MLI/reports/2023");
    let snippet = &hits.results[0].snippets[0];
    let chars: Vec<char> = snippet.text.chars().collect();
    let first = &snippet.highlights[0];
    assert_eq!(
        chars[first.start as usize..first.end as usize].iter().collect::<String>().to_lowercase(),
        "hereditary slavery"
    );

    let prefix = server
        .reports()
        .search_reports(SearchReportsRequest { query: "heredit*".into(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(prefix.get_ref().total_size, 1);
    let filtered = SearchReportsRequest { query: "slavery".into(), filter: "year = 2001".into(), ..Default::default() };
    assert_eq!(server.reports().search_reports(filtered).await.unwrap().get_ref().total_size, 0);

    for bad in ["\"unterminated", "AND OR", "slavery)", "tier:2 NEAR("] {
        let status = server
            .reports()
            .search_reports(SearchReportsRequest { query: bad.into(), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{bad}: {status:?}");
        assert_eq!(status.get_error_details().bad_request().unwrap().field_violations[0].field, "query");
    }
    server.stop().await;
}

/// The acceptance: AIP-160 precedence through the server, where OR binds tighter than
/// AND, so `a AND b OR c` is `a AND (b OR c)`.
#[tokio::test]
async fn list_reports_binds_or_tighter_than_and_as_aip_160_says() {
    let server = TestServer::start().await; // with the bundled Mali 2023, Tier 2
    ingest(&server, "BELARUS_2023_gvnet.txt", 0).await; // 2023, Tier 3
    ingest(&server, "LUXEMBOURG_2023_gvnet.txt", 0).await; // 2023, Tier 1
    // The 2018 text states no year of its own, so the hint files it as a 2023 Watch List report.
    ingest(&server, "SEYCHELLES_2018_tip-pdf-parse_COMPLETE.txt", 2023).await;
    ingest(&server, "MALI_2017_refworld.txt", 2017).await; // 2017, Tier 3
    let names = |filter: &str| {
        let request = ListReportsRequest { filter: filter.into(), ..Default::default() };
        let mut reports = server.reports();
        async move {
            let page = reports.list_reports(request).await.unwrap().into_inner();
            page.reports
                .into_iter()
                .map(|r| {
                    let tier = r.tier().as_str_name().to_owned();
                    (r.name, tier)
                })
                .collect::<Vec<_>>()
        }
    };
    let pairs = |list: &[(&str, &str)]| list.iter().map(|&(n, t)| (n.to_owned(), t.to_owned())).collect::<Vec<_>>();
    assert_eq!(
        names("year = 2023").await,
        pairs(&[
            ("countries/BLR/reports/2023", "TIER_3"),
            ("countries/LUX/reports/2023", "TIER_1"),
            ("countries/MLI/reports/2023", "TIER_2"),
            ("countries/SYC/reports/2023", "TIER_2_WATCH_LIST"),
        ])
    );
    let aip_160 = pairs(&[("countries/BLR/reports/2023", "TIER_3"), ("countries/MLI/reports/2023", "TIER_2")]);
    assert_eq!(names("year = 2023 AND tier = TIER_2 OR tier = TIER_3").await, aip_160);
    assert_eq!(names("year = 2023 AND (tier = TIER_2 OR tier = TIER_3)").await, aip_160);
    // Juxtaposition is AND too.
    assert_eq!(names("year = 2023 tier = TIER_2 OR tier = TIER_3").await, aip_160);
    // The SQL reading must be asked for, and brings back Mali's Tier 3 of 2017.
    assert_eq!(
        names("(year = 2023 AND tier = TIER_2) OR tier = TIER_3").await,
        pairs(&[
            ("countries/BLR/reports/2023", "TIER_3"),
            ("countries/MLI/reports/2017", "TIER_3"),
            ("countries/MLI/reports/2023", "TIER_2"),
        ])
    );
    server.stop().await;
}

#[tokio::test]
async fn list_reports_filters_orders_and_pages_with_a_token() {
    let server = TestServer::start().await;
    ingest(&server, "LUXEMBOURG_2023_gvnet.txt", 0).await;
    ingest(&server, "BELARUS_2023_gvnet.txt", 0).await;
    ingest(&server, "MALI_2017_refworld.txt", 2017).await;
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let request = ListReportsRequest {
            filter: "year = 2023".into(),
            order_by: "country desc".into(),
            page_size: 2,
            page_token: token,
            ..Default::default()
        };
        let page = server.reports().list_reports(request).await.unwrap().into_inner();
        assert_eq!(page.total_size, 3);
        names.extend(page.reports.into_iter().map(|r| r.name));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(names, ["countries/MLI/reports/2023", "countries/LUX/reports/2023", "countries/BLR/reports/2023"]);

    let request = ListReportsRequest { filter: "tier = TIER_3 AND region = AF".into(), ..Default::default() };
    let tier3 = server.reports().list_reports(request).await.unwrap().into_inner();
    assert_eq!(tier3.reports.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["countries/MLI/reports/2017"]);

    let reused = ListReportsRequest {
        filter: "year = 2022".into(),
        page_token: server
            .reports()
            .list_reports(ListReportsRequest { filter: "year = 2023".into(), page_size: 1, ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .next_page_token,
        ..Default::default()
    };
    assert_eq!(
        server.reports().list_reports(reused).await.unwrap_err().code(),
        Code::InvalidArgument,
        "token tied to its query"
    );

    let status = server
        .reports()
        .list_reports(ListReportsRequest { filter: "year = ".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let details = status.get_error_details();
    let violation = &details.bad_request().unwrap().field_violations[0];
    assert_eq!(violation.field, "filter");
    assert!(violation.description.contains("column"), "{}", violation.description);
    let injection =
        ListReportsRequest { filter: "country = \"MLI'; DROP TABLE reports; --\"".into(), ..Default::default() };
    assert_eq!(server.reports().list_reports(injection).await.unwrap_err().code(), Code::InvalidArgument);
    server.stop().await;
}

/// GetCountry's latest placement is the tier GetTierHistory settles for that year, also where
/// tier tables disagree: the tier most tables give, the alphabetically first source's on a tie.
#[tokio::test]
async fn a_countrys_latest_placement_is_the_tier_its_history_settles() {
    let server = TestServer::start().await;
    let folder = tempfile::tempdir().unwrap();
    let table = "report_year,country,tier,source\n\
                 2026,Mali,Tier 1,a_table\n2026,Mali,Tier 3,b_table\n2026,Mali,Tier 3,c_table\n\
                 2026,Niger,Tier 3,b_table\n2026,Niger,Tier 2,a_table\n";
    let path = folder.path().join("disagreeing.csv");
    std::fs::write(&path, table).unwrap();
    ingest_with_cli(&server, &path);

    for (name, expected) in [("countries/MLI", Tier::Tier3), ("countries/NER", Tier::Tier2)] {
        let country =
            server.countries().get_country(GetCountryRequest { name: name.into() }).await.unwrap().into_inner();
        let latest = country.latest_placement.unwrap();
        assert_eq!((latest.year, latest.tier()), (2026, expected), "{name}");
        let history = server
            .countries()
            .get_tier_history(GetTierHistoryRequest { name: name.into() })
            .await
            .unwrap()
            .into_inner();
        let last = history.entries.last().unwrap();
        assert_eq!((last.year, last.tier()), (2026, expected), "{name}");
        let filter = format!("year = 2026 AND country = {name:?}");
        let placed = placements(&server, &filter, 10).await;
        assert_eq!(placed.len(), 1, "the table's write refreshed the year's placements");
        assert_eq!((placed[0].tier(), placed[0].conflict), (expected, true), "{name}");
    }
    server.stop().await;
}

async fn placements(server: &TestServer, filter: &str, page_size: i32) -> Vec<tip_model::pb::Placement> {
    let mut request = ListPlacementsRequest { filter: filter.into(), page_size, ..Default::default() };
    let mut placements = Vec::new();
    loop {
        let page = server.countries().list_placements(request.clone()).await.unwrap().into_inner();
        placements.extend(page.placements);
        if page.next_page_token.is_empty() {
            return placements;
        }
        request.page_token = page.next_page_token;
    }
}

#[tokio::test]
async fn a_years_placements_are_each_countrys_tier_history_that_year() {
    let server = TestServer::start().await;
    let in_2018 = placements(&server, "year = 2018", 1000).await;
    assert!(in_2018.len() >= 180, "{}", in_2018.len());
    assert_eq!(placements(&server, "year = 2018", 37).await, in_2018, "pages join up to the whole");
    let mali = in_2018.iter().find(|p| p.country == "countries/MLI").unwrap();
    assert_eq!((mali.tier(), mali.display_name.as_str(), mali.region()), (Tier::Tier2WatchList, "Mali", Region::Af));
    for placement in
        in_2018.iter().filter(|p| ["countries/MLI", "countries/TUN", "countries/KWT"].contains(&p.country.as_str()))
    {
        let history = history(&server, &placement.country).await;
        let entry = history.entries.iter().find(|e| e.year == 2018).unwrap();
        assert_eq!(
            (placement.tier, placement.previous_year, placement.previous_tier, placement.movement),
            (entry.tier, entry.previous_year, entry.previous_tier, entry.movement),
            "{}",
            placement.country
        );
    }
    let upgraded = placements(&server, "year = 2023 AND movement = UPGRADED AND region = AF", 1000).await;
    assert!(upgraded.iter().any(|p| p.country == "countries/MLI" && p.previous_tier() == Tier::Tier2WatchList));
    assert!(upgraded.iter().all(|p| p.movement() == TierMovement::Upgraded && p.region() == Region::Af));
    let refused = server
        .countries()
        .list_placements(ListPlacementsRequest { filter: "movement = SIDEWAYS".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(refused.get_details_bad_request().unwrap().field_violations[0].field, "filter");
    server.stop().await;
}

#[tokio::test]
async fn countries_carry_their_latest_placement_and_filter_by_it() {
    let server = TestServer::start().await;
    let mali =
        server.countries().get_country(GetCountryRequest { name: "countries/MLI".into() }).await.unwrap().into_inner();
    let latest = mali.latest_placement.unwrap();
    assert_eq!((latest.year, latest.tier()), (2025, Tier::Tier2));
    let request =
        ListCountriesRequest { filter: "region = AF AND tier = TIER_3".into(), page_size: 100, ..Default::default() };
    let page = server.countries().list_countries(request).await.unwrap().into_inner();
    assert!(!page.countries.is_empty());
    assert!(
        page.countries.iter().all(|c| c.region() == Region::Af && c.latest_placement.unwrap().tier() == Tier::Tier3)
    );
    let request = ListCountriesRequest { order_by: "tier desc, country".into(), page_size: 5, ..Default::default() };
    let worst = server.countries().list_countries(request).await.unwrap().into_inner();
    assert_eq!(worst.countries[0].latest_placement.unwrap().tier(), Tier::SpecialCase, "highest enum value first");
    let bad = ListCountriesRequest { order_by: "population".into(), ..Default::default() };
    assert_eq!(server.countries().list_countries(bad).await.unwrap_err().code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn comparing_mali_2017_and_2023_shows_tier_3_to_tier_2() {
    let server = TestServer::start().await;
    ingest(&server, "MALI_2017_refworld.txt", 2017).await;
    let comparison = server
        .insights()
        .compare_reports(CompareReportsRequest {
            base: "countries/MLI/reports/2017".into(),
            target: "countries/MLI/reports/2023".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((comparison.base_tier(), comparison.target_tier()), (Tier::Tier3, Tier::Tier2));
    assert_eq!(comparison.movement(), TierMovement::Upgraded);
    assert_eq!(comparison.kept.len() + comparison.added.len(), 9);
    assert_eq!(comparison.kept.len() + comparison.dropped.len(), 1);
    let missing = server
        .insights()
        .compare_reports(CompareReportsRequest {
            base: "countries/MLI/reports/2010".into(),
            target: "countries/MLI/reports/2023".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn recommendations_that_keep_coming_back_are_grouped_across_years() {
    let server = TestServer::start().await;
    ingest(&server, "MALI_2018_tip-pdf-parse_COMPLETE.txt", 2018).await;
    let recommendations = server
        .insights()
        .list_recommendations(ListRecommendationsRequest { parent: "countries/MLI".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .recommendations;
    let recurring: Vec<_> = recommendations.iter().filter(|r| r.years == [2018, 2023]).collect();
    assert!(!recurring.is_empty(), "{recommendations:#?}");
    assert!(recurring.iter().all(|r| r.first_year == 2018 && r.last_year == 2023 && r.occurrences.len() == 2));
    assert!(recommendations.len() < 12 + 9, "some were matched");
    server.stop().await;
}

/// Loads a file into the running server's database with the real `tip-atlas ingest`.
fn ingest_with_cli(server: &TestServer, path: &std::path::Path) {
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas"))
        .arg("ingest")
        .arg("--db")
        .arg(server.db_path())
        .arg(path)
        .output()
        .unwrap();
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
}
