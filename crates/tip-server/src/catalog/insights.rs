//! Insights across countries and years: tier histories, a year's tier changes, the distribution
//! of tiers, two reports compared, and recurring recommendations.

use std::collections::BTreeMap;

use tip_ingest::similarity::{MatchingError, TooManyWordings, compare, recurring};
use tip_model::Iso3;
use tip_model::coverage::placement_coverage;
use tip_model::history::{compare_tiers, tier_history};
use tip_model::names::country_name;
use tip_model::pb::{
    PlacementCoverage, RecurringRecommendation, Region, ReportComparison, SourceCount, Tier, TierChangeEntry,
    TierCount, TierDistributionRow, TierHistory, TierHistoryEntry, TierMovement, YearPlacementCoverage,
};

use super::requests::{Comparison, CoverageQuery, DistributionQuery, RecommendationListing, TierChangeQuery};
use super::{Catalog, Page, blocking};
use crate::error::ApiError;
use crate::query_fields::SqlFilter;
use crate::store::{self, StoreError};

impl Catalog {
    /// Every known placement of a country, year by year.
    pub async fn tier_history(&self, iso3: Iso3) -> Result<TierHistory, ApiError> {
        if self.registry.get(iso3).is_none() {
            return Err(ApiError::NotFound { resource_type: "tip.v1.Country", name: country_name(iso3) });
        }
        let store = self.store.clone();
        let (placements, verdicts) =
            blocking(move || Ok((store.placements(Some(iso3))?, store.verdicts(Some(iso3))?))).await?;
        Ok(TierHistory { country: country_name(iso3), entries: tier_history(iso3, &placements, &verdicts) })
    }

    /// The histories of every country, by code.
    async fn all_histories(&self) -> Result<Vec<(Iso3, Vec<TierHistoryEntry>)>, ApiError> {
        let store = self.store.clone();
        let (placements, verdicts) = blocking(move || Ok((store.placements(None)?, store.verdicts(None)?))).await?;
        // One pass to group by country, rather than a scan of every row per country.
        let mut by_country: BTreeMap<Iso3, (Vec<_>, Vec<_>)> = BTreeMap::new();
        for placement in placements {
            by_country.entry(placement.iso3).or_default().0.push(placement);
        }
        for verdict in verdicts {
            by_country.entry(verdict.iso3).or_default().1.push(verdict);
        }
        Ok(by_country
            .into_iter()
            .map(|(iso3, (placements, verdicts))| (iso3, tier_history(iso3, &placements, &verdicts)))
            .collect())
    }

    /// A year's moves, each from the last year before it with a known placement (across a gap
    /// when that is not the year before): upgrades first, then downgrades, then moves to or from
    /// Special Case, then (on request) the unchanged.
    pub async fn tier_changes(&self, query: TierChangeQuery) -> Result<Vec<TierChangeEntry>, ApiError> {
        let TierChangeQuery { year, region, include_unchanged } = query;
        // The year's placements as writes derive them from the histories (`year_placements`).
        let mut filter = SqlFilter::default().and("year = ?", i64::from(year.get()));
        if region != Region::Unspecified {
            filter = filter.and("region = ?", i64::from(region as i32));
        }
        let store = self.store.clone();
        let (placements, _) = blocking(move || store.list_placements(&filter, "iso3", 0, u64::MAX)).await?;
        let mut changes = Vec::new();
        for entry in placements {
            let Some(country) = self.registry.get(entry.iso3) else { continue };
            if entry.previous_year == 0 {
                continue; // first ranked: nothing to move from
            }
            let tier = |number| Tier::try_from(number).unwrap_or_default();
            let moved = compare_tiers(tier(entry.previous_tier), tier(entry.tier));
            let wanted = match moved {
                TierMovement::Upgraded | TierMovement::Downgraded | TierMovement::SpecialCase => true,
                TierMovement::Unchanged => include_unchanged,
                TierMovement::FirstRanked | TierMovement::AfterGap | TierMovement::Unspecified => false,
            };
            if wanted {
                changes.push(TierChangeEntry {
                    country: country_name(entry.iso3),
                    display_name: country.display_name.clone(),
                    region: country.region as i32,
                    from_tier: entry.previous_tier,
                    to_tier: entry.tier,
                    movement: moved as i32,
                    from_year: entry.previous_year,
                    across_gap: entry.previous_year != entry.year - 1,
                });
            }
        }
        let order = |m: i32| match TierMovement::try_from(m) {
            Ok(TierMovement::Upgraded) => 0,
            Ok(TierMovement::Downgraded) => 1,
            Ok(TierMovement::SpecialCase) => 2,
            _ => 3,
        };
        changes.sort_by(|a, b| order(a.movement).cmp(&order(b.movement)).then(a.country.cmp(&b.country)));
        Ok(changes)
    }

    /// Countries per tier, per year in `years` (all known years when `None`), in total and, with
    /// `by_region`, per region; and the countries with no placement known that year.
    pub async fn tier_distribution(&self, query: DistributionQuery) -> Result<Vec<TierDistributionRow>, ApiError> {
        let DistributionQuery { years, by_region } = query;
        // Per (year, region): countries per tier, and countries missing.
        let mut counts: BTreeMap<(i32, i32), (BTreeMap<i32, i32>, i32)> = BTreeMap::new();
        for (iso3, entries) in self.all_histories().await? {
            let region = self.registry.get(iso3).map_or(Region::Unspecified, |c| c.region) as i32;
            for entry in entries.iter().filter(|e| years.is_none_or(|(from, to)| (from..=to).contains(&e.year))) {
                let regions: &[i32] = if by_region { &[0, region] } else { &[0] };
                for &region in regions {
                    let (tiers, missing) = counts.entry((entry.year, region)).or_default();
                    if entry.missing {
                        *missing += 1;
                    } else {
                        *tiers.entry(entry.tier).or_default() += 1;
                    }
                }
            }
        }
        Ok(counts
            .into_iter()
            .map(|((year, region), (tiers, missing))| TierDistributionRow {
                year,
                region,
                total: tiers.values().sum(),
                counts: tiers.into_iter().map(|(tier, count)| TierCount { tier, count }).collect(),
                missing,
            })
            .collect())
    }

    /// Per report year in `years` (all known years when `None`), the countries placed, by
    /// source, and those missing.
    pub async fn placement_coverage(&self, query: CoverageQuery) -> Result<PlacementCoverage, ApiError> {
        let CoverageQuery { years } = query;
        let store = self.store.clone();
        let (placements, verdicts) = blocking(move || Ok((store.placements(None)?, store.verdicts(None)?))).await?;
        let covered = placement_coverage(&placements, &verdicts)
            .into_iter()
            .filter(|c| years.is_none_or(|(from, to)| (from..=to).contains(&c.year)))
            .map(|c| YearPlacementCoverage {
                year: c.year,
                placed: as_count(c.placed),
                sources: c
                    .by_source
                    .into_iter()
                    .map(|(source, n)| SourceCount { source, count: as_count(n) })
                    .collect(),
                missing: c.missing.into_iter().map(country_name).collect(),
            });
        Ok(PlacementCoverage { years: covered.collect() })
    }

    /// Two reports compared: tiers, findings, recommendations kept, added and dropped.
    pub async fn compare_reports(&self, comparison: Comparison) -> Result<ReportComparison, ApiError> {
        let Comparison { base, target } = comparison;
        let (base_report, target_report) = (self.stored_report(base).await?, self.stored_report(target).await?);
        let (base_items, target_items) = (base_report.recommendations.clone(), target_report.recommendations.clone());
        let subject = format!("{base} compared with {target}");
        let changes = matching(subject, move |stop| Ok(compare(&base_items, &target_items, stop))).await?;
        let (base_tier, target_tier) = (base_report.tier(), target_report.tier());
        let moved = compare_tiers(base_tier, target_tier);
        Ok(ReportComparison {
            base: base.to_string(),
            target: target.to_string(),
            base_tier: base_tier as i32,
            target_tier: target_tier as i32,
            movement: moved as i32,
            base_finding: base_report.finding,
            target_finding: target_report.finding,
            kept: changes.kept,
            added: changes.added,
            dropped: changes.dropped,
        })
    }

    /// A country's recommendations grouped across years by similarity, most recurring first.
    pub async fn recurring_recommendations(
        &self,
        listing: RecommendationListing,
    ) -> Result<Page<RecurringRecommendation>, ApiError> {
        let RecommendationListing { country, page } = listing;
        let offset = self.offset(&page)?;
        let store = self.store.clone();
        let filter = SqlFilter::default().and("iso3 = ?", country.to_string());
        // Every report of the country: SQLite's LIMIT is a signed 64-bit number.
        let every = i64::MAX.unsigned_abs();
        // Grouping weighs many recommendations: off the async threads, as the read is.
        let subject = format!("recommendations of {}", country_name(country));
        let grouped =
            matching(subject, move |stop| Ok(recurring(&store.list_reports(&filter, "year ASC", 0, every)?.0, stop)))
                .await?;
        Ok(self.page_of_all(&page, offset, grouped))
    }
}

/// Runs recommendation matching (and the reads it needs) off the async threads, as [`blocking`]
/// does: it takes seconds near the wordings cap, so it stops, as the reads do, once its request
/// ends (deadline, cancellation), and says so in the log.
async fn matching<T: Send + 'static>(
    subject: String,
    work: impl FnOnce(&dyn Fn() -> bool) -> Result<Result<T, MatchingError>, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let span = tracing::Span::current();
    let matched = blocking(move || match work(&store::request_ended)? {
        Ok(matched) => Ok(Ok(matched)),
        Err(MatchingError::TooManyWordings(too_many)) => Ok(Err(too_many_wordings(subject, too_many))),
        Err(MatchingError::Stopped) => {
            tracing::info!(parent: &span, %subject, "recommendation matching stopped: its request ended");
            // Stopped as SQLite stops a query (nobody waits for the answer any more).
            let interrupted = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_INTERRUPT);
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(interrupted, None)))
        }
    });
    matched.await?
}

/// Reports with more distinct recommendations than matching weighs: only reports stored by an
/// older parser, which kept every list item, can hold that many.
fn too_many_wordings(subject: String, too_many: TooManyWordings) -> ApiError {
    ApiError::TooLarge {
        subject,
        description: format!("{too_many}; ingest the document again (the parser now keeps fewer per report)"),
    }
}

/// A count as a proto int32 (counts of countries and placements are far below its limit).
fn as_count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use tip_ingest::similarity::words;

    /// Two words that full-text search takes for one (they share an FTS5 `porter` token, the
    /// store's tokenizer) are one word to recommendation matching too, and the other way round,
    /// but for one known difference: Snowball English (Porter2) takes an adverb in -ly for its
    /// adjective ("significantly", "significant"), which Porter keeps apart ("significantli").
    /// Checked on every word of the recommendations the matching fixture pins.
    #[test]
    fn recommendations_are_matched_on_the_stems_search_uses() {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/recommendation_matches.json");
        let text = std::fs::read_to_string(fixture).unwrap();
        let tokens: BTreeSet<String> =
            text.split(|c: char| !c.is_alphabetic()).map(str::to_lowercase).filter(|w| words(w).len() == 1).collect();
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE VIRTUAL TABLE words USING fts5(word, tokenize = 'porter unicode61 remove_diacritics 2');
                 CREATE VIRTUAL TABLE terms USING fts5vocab(words, 'instance');",
            )
            .unwrap();
        for token in &tokens {
            connection.execute("INSERT INTO words (word) VALUES (?)", [token]).unwrap();
        }
        let mut statement =
            connection.prepare("SELECT w.word, t.term FROM terms t JOIN words w ON w.rowid = t.doc").unwrap();
        let search_stems: Vec<(String, String)> =
            statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect();
        let (mut by_search, mut by_matching) = (BTreeMap::<_, BTreeSet<_>>::new(), BTreeMap::<_, BTreeSet<_>>::new());
        for (word, search_stem) in &search_stems {
            let matching_stem = words(word).pop_first().unwrap();
            by_search.entry(search_stem.clone()).or_default().insert(matching_stem.clone());
            by_matching.entry(matching_stem).or_default().insert(search_stem.clone());
        }
        assert_eq!(search_stems.len(), tokens.len());
        let split: Vec<_> = by_search.iter().filter(|(_, stems)| stems.len() > 1).collect();
        let adverb = |stem: &str, search_stem: &str| search_stem == stem || search_stem.ends_with("li");
        let merged: Vec<_> = by_matching
            .iter()
            .filter(|(stem, search_stems)| search_stems.len() > 1 && !search_stems.iter().all(|s| adverb(stem, s)))
            .collect();
        assert!(split.is_empty() && merged.is_empty(), "search stems split by matching: {split:?}; merged: {merged:?}");
    }
}
