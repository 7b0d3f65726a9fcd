//! The enforcement figures through InsightService: a country's series, a year's figures filtered
//! and ordered, the figures a next year's report restates differently, and the report's global
//! totals next to the sum of the stored narratives.

mod support;

use support::TestServer;
use tip_model::pb::{
    EnforcementMeasure, EnforcementPeriod, GetEnforcementSeriesRequest, GetGlobalEnforcementRequest,
    IngestDocumentRequest, ListEnforcementConflictsRequest, ListEnforcementFiguresRequest, Region, Unit,
};
use tonic::Code;
use tonic_types::StatusExt;

/// A 2018 narrative of the ranked corpus, by its key ("CROATIA").
fn narrative_2018(key: &str) -> String {
    let narratives = tip_corpus::corpus2018::ranked_narratives();
    narratives.into_iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("{key} not in the corpus")).1
}

/// Croatia as a 2019 report would state it: the 2018 narrative a year on, restating the 2018
/// prosecutions (12) and victims (29) as the previous period, but not its convictions (four,
/// restated as five) or its investigations (17 suspects, restated as 11).
fn croatia_2019() -> String {
    narrative_2018("CROATIA")
        .replace("in 2017", "in 2018")
        .replace("in 2016", "in 2017")
        .replace("(11 in 2017)", "(12 in 2017)")
        .replace("(30 in 2017)", "(29 in 2017)")
}

async fn ingest(server: &TestServer, text: String, year: i32) {
    let request = IngestDocumentRequest { content: text.into_bytes(), year, ..Default::default() };
    server.ingest().ingest_document(request).await.unwrap();
}

/// A server holding Croatia 2018 and 2019, and four other 2018 narratives of two regions.
async fn server_with_narratives() -> TestServer {
    let server = TestServer::start().await;
    for key in ["CROATIA", "SLOVENIA", "MONTENEGRO", "KENYA", "GHANA"] {
        ingest(&server, narrative_2018(key), 2018).await;
    }
    ingest(&server, croatia_2019(), 2019).await;
    server
}

fn field_of(status: &tonic::Status) -> String {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status.get_error_details().bad_request().unwrap().field_violations[0].field.clone()
}

#[tokio::test]
async fn croatia_series_shows_each_figure_with_its_sentence_and_the_next_years_restatement() {
    let server = server_with_narratives().await;
    let series = server
        .insights()
        .get_enforcement_series(GetEnforcementSeriesRequest { name: "countries/HRV".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(series.country, "countries/HRV");
    let measures: Vec<_> = series.series.iter().map(|s| s.measure()).collect();
    assert_eq!(
        measures,
        [
            EnforcementMeasure::Investigations,
            EnforcementMeasure::Prosecutions,
            EnforcementMeasure::Convictions,
            EnforcementMeasure::VictimsIdentified
        ]
    );
    let convictions = &series.series[2].points;
    assert_eq!(convictions.iter().map(|p| p.year).collect::<Vec<_>>(), [2018, 2019]);
    let first = &convictions[0];
    assert_eq!(first.report, "countries/HRV/reports/2018");
    let figure = first.figure.as_ref().unwrap();
    assert_eq!((figure.count, figure.unit(), figure.approximate), (4, Unit::Persons, false));
    assert!(figure.evidence.as_ref().unwrap().sentence.starts_with("Courts convicted four traffickers"));
    assert_eq!(first.stated_next_year.as_ref().unwrap().count, 5);
    assert_eq!(first.next_report, "countries/HRV/reports/2019");
    assert!(convictions[1].stated_next_year.is_none() && convictions[1].next_report.is_empty());

    let one = GetEnforcementSeriesRequest {
        name: "countries/HRV".into(),
        measure: EnforcementMeasure::VictimsIdentified as i32,
    };
    let victims = server.insights().get_enforcement_series(one).await.unwrap().into_inner();
    assert_eq!(victims.series.len(), 1);
    assert_eq!(victims.series[0].points[0].figure.as_ref().unwrap().count, 29);

    let unknown = GetEnforcementSeriesRequest { name: "countries/HRV".into(), measure: 9 };
    assert_eq!(field_of(&server.insights().get_enforcement_series(unknown).await.unwrap_err()), "measure");
    let nowhere = GetEnforcementSeriesRequest { name: "countries/ZZZ".into(), ..Default::default() };
    assert_eq!(server.insights().get_enforcement_series(nowhere).await.unwrap_err().code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn a_years_figures_are_filtered_by_measure_and_region_and_ordered_by_count() {
    let server = server_with_narratives().await;
    let list = |filter: &str, order_by: &str, page_size: i32, page_token: String| ListEnforcementFiguresRequest {
        year: 2018,
        filter: filter.into(),
        order_by: order_by.into(),
        page_size,
        page_token,
    };
    let request = list("measure = CONVICTIONS AND region = EUR AND period = REPORTING", "count desc", 0, String::new());
    let rows = server.insights().list_enforcement_figures(request).await.unwrap().into_inner();
    assert!(!rows.figures.is_empty());
    for row in &rows.figures {
        assert_eq!(
            (row.measure(), row.region(), row.period(), row.year),
            (EnforcementMeasure::Convictions, Region::Eur, EnforcementPeriod::Reporting, 2018)
        );
        assert!(!row.figure.as_ref().unwrap().evidence.as_ref().unwrap().sentence.is_empty());
    }
    let counts: Vec<i64> = rows.figures.iter().map(|r| r.figure.as_ref().unwrap().count).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "not by count descending: {counts:?}");
    let croatia = rows.figures.iter().find(|r| r.country == "countries/HRV").expect("Croatia convicted four");
    assert_eq!((croatia.figure.as_ref().unwrap().count, croatia.report.as_str()), (4, "countries/HRV/reports/2018"));
    assert!(rows.figures.iter().all(|r| r.country != "countries/KEN" && r.country != "countries/GHA"));

    // Croatia's previous period, by country and unit, in the year's rows only.
    let request = list("country = HRV AND period = PREVIOUS AND unit = PERSONS", "", 0, String::new());
    let previous = server.insights().list_enforcement_figures(request).await.unwrap().into_inner();
    let counts: Vec<i64> = previous.figures.iter().map(|r| r.figure.as_ref().unwrap().count).collect();
    assert_eq!(counts, [11, 11, 5, 30], "investigations, prosecutions, convictions, victims of 2016");

    // Pages of one row walk the same rows.
    let all = server.insights().list_enforcement_figures(list("", "", 0, String::new())).await.unwrap().into_inner();
    let first = server.insights().list_enforcement_figures(list("", "", 1, String::new())).await.unwrap().into_inner();
    assert_eq!((first.figures.len(), first.total_size, &first.figures[0]), (1, all.total_size, &all.figures[0]));
    let second =
        server.insights().list_enforcement_figures(list("", "", 1, first.next_page_token)).await.unwrap().into_inner();
    assert_eq!(second.figures[0], all.figures[1]);

    for (filter, order_by, field) in [
        ("measure = ARRESTS", "", "filter"),
        ("measure = ENFORCEMENT_MEASURE_UNSPECIFIED", "", "filter"),
        ("unit = KILOGRAMS", "", "filter"),
        ("", "tier desc", "order_by"),
    ] {
        let status = server.insights().list_enforcement_figures(list(filter, order_by, 0, String::new())).await;
        assert_eq!(field_of(&status.unwrap_err()), field, "{filter} {order_by}");
    }
    server.stop().await;
}

#[tokio::test]
async fn restated_figures_that_differ_are_listed_with_both_sentences() {
    let server = server_with_narratives().await;
    let request = ListEnforcementConflictsRequest { parent: "countries/HRV".into(), year: 2018 };
    let conflicts = server.insights().list_enforcement_conflicts(request).await.unwrap().into_inner().conflicts;
    let measures: Vec<_> = conflicts.iter().map(|c| c.measure()).collect();
    assert_eq!(measures, [EnforcementMeasure::Investigations, EnforcementMeasure::Convictions]);
    let convictions = &conflicts[1];
    assert_eq!((convictions.year, convictions.report.as_str()), (2018, "countries/HRV/reports/2018"));
    assert_eq!(convictions.restating_report, "countries/HRV/reports/2019");
    let (stated, restated) = (convictions.figure.as_ref().unwrap(), convictions.restated.as_ref().unwrap());
    assert_eq!((stated.count, restated.count), (4, 5));
    assert!(stated.evidence.as_ref().unwrap().sentence.starts_with("Courts convicted four"));
    assert!(restated.evidence.as_ref().unwrap().sentence.contains("(five in 2017)"));

    // Every country and year: only Croatia has a next year stored.
    let all = ListEnforcementConflictsRequest::default();
    let everywhere = server.insights().list_enforcement_conflicts(all).await.unwrap().into_inner().conflicts;
    assert_eq!(everywhere, conflicts);
    let none = ListEnforcementConflictsRequest { parent: "countries/HRV".into(), year: 2019 };
    assert!(server.insights().list_enforcement_conflicts(none).await.unwrap().into_inner().conflicts.is_empty());
    let bad = ListEnforcementConflictsRequest { parent: "Croatia".into(), year: 2018 };
    assert_eq!(field_of(&server.insights().list_enforcement_conflicts(bad).await.unwrap_err()), "parent");
    server.stop().await;
}

#[tokio::test]
async fn the_reports_global_totals_stand_next_to_the_sum_of_the_stored_narratives() {
    let server = server_with_narratives().await;
    let request = GetGlobalEnforcementRequest { year: 2018 };
    let global = server.insights().get_global_enforcement(request).await.unwrap().into_inner();
    assert_eq!((global.year, global.period_year, global.narratives), (2018, 2017, 5));
    assert!(global.source.starts_with("https://"), "{}", global.source);
    let measure = |m: EnforcementMeasure| global.measures.iter().find(|g| g.measure() == m).unwrap();
    let convictions = measure(EnforcementMeasure::Convictions);
    assert_eq!((convictions.reported_total, convictions.reported_labor), (Some(7135), Some(332)));
    let victims = measure(EnforcementMeasure::VictimsIdentified);
    assert_eq!(victims.reported_total, Some(96960));
    assert_eq!(measure(EnforcementMeasure::Investigations).reported_total, None, "the table has no investigations");

    // The sums are those of the year's rows, Croatia's four convictions and 29 victims among them.
    let all = ListEnforcementFiguresRequest { year: 2018, filter: "period = REPORTING".into(), ..Default::default() };
    let rows = server.insights().list_enforcement_figures(all).await.unwrap().into_inner().figures;
    for sum in &global.measures {
        let stated: Vec<_> =
            rows.iter().filter(|r| r.measure == sum.measure).filter_map(|r| r.figure.as_ref()).collect();
        assert_eq!(sum.narratives_sum, stated.iter().map(|f| f.count).sum::<i64>(), "{:?}", sum.measure());
        assert_eq!(usize::try_from(sum.countries_counted).unwrap(), stated.len());
        assert!(sum.countries_counted <= global.narratives);
    }
    assert!(convictions.narratives_sum >= 4 && victims.narratives_sum >= 29);

    // A year with no narratives stored still has the report's totals; one outside the reports is refused.
    let later = server.insights().get_global_enforcement(GetGlobalEnforcementRequest { year: 2024 }).await.unwrap();
    let later = later.into_inner();
    assert_eq!((later.period_year, later.narratives), (2023, 0));
    assert_eq!(later.measures[3].reported_total, Some(133943));
    let status = server.insights().get_global_enforcement(GetGlobalEnforcementRequest { year: 1990 }).await;
    assert_eq!(field_of(&status.unwrap_err()), "year");
    server.stop().await;
}
