//! Tier histories: one settled placement per country and report year from every source, the
//! change from the year before, Watch List streaks, the automatic downgrade rule, conflicts
//! between sources, and the years with no known placement between two that have one (see
//! [`crate::coverage::gap_years`]); and a country's latest placement, the newest year of that
//! history. Pure: the store gives the placements and verdicts, and keeps the latest placement it
//! derives here.

use std::collections::{BTreeMap, BTreeSet};

use crate::coverage::gap_years;
use crate::pb::{DowngradeRule, PlacementSource, Tier, TierChange, TierHistoryEntry, TierMovement};
use crate::tier::{tier_label, tier_rank};
use crate::{Iso3, ReportName, ReportYear};

/// A placement as a tier table gives it, with the table it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct TablePlacement {
    pub iso3: Iso3,
    pub year: i32,
    pub tier: Tier,
    /// The table, such as "tip_2023_tier_placements.csv".
    pub source: String,
    /// The tier as the table wrote it.
    pub tier_as_published: String,
}

/// The verdict of a country's report of one year, without its text.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportVerdict {
    pub iso3: Iso3,
    pub year: i32,
    pub tier: Tier,
    pub tier_change: TierChange,
    /// Whether the report says a downgrade was waived.
    pub waiver: bool,
}

/// The first report under the automatic downgrade rule (TVPRA 2008): Watch List years count
/// from here.
const DOWNGRADE_RULE_FIRST_YEAR: i32 = 2009;

/// The history of one country, oldest first, from its placements and its reports' verdicts
/// (both of this country only): one entry per report year from the first placement to the
/// last, the years without a known placement marked `missing`. A missing year ends a Watch List
/// streak, since the streak counts consecutive years known to be on the Watch List.
pub fn tier_history(iso3: Iso3, placements: &[TablePlacement], verdicts: &[ReportVerdict]) -> Vec<TierHistoryEntry> {
    let known = known_history(iso3, placements, verdicts);
    let years: BTreeSet<i32> = known.iter().map(|e| e.year).collect();
    let mut entries: Vec<TierHistoryEntry> =
        gap_years(&years).map(|year| TierHistoryEntry { year, missing: true, ..TierHistoryEntry::default() }).collect();
    entries.extend(known);
    entries.sort_by_key(|e| e.year);
    entries
}

/// The entries of the years with a known placement.
fn known_history(iso3: Iso3, placements: &[TablePlacement], verdicts: &[ReportVerdict]) -> Vec<TierHistoryEntry> {
    let mut years: BTreeMap<i32, (Vec<PlacementSource>, Option<&ReportVerdict>)> = BTreeMap::new();
    for p in placements.iter().filter(|p| p.iso3 == iso3 && p.tier != Tier::Unspecified) {
        years.entry(p.year).or_default().0.push(PlacementSource {
            source: p.source.clone(),
            tier: p.tier as i32,
            tier_as_published: p.tier_as_published.clone(),
            report: String::new(),
        });
    }
    for v in verdicts.iter().filter(|v| v.iso3 == iso3 && v.tier != Tier::Unspecified) {
        let entry = years.entry(v.year).or_default();
        let report = ReportYear::new(i64::from(v.year)).map(|year| ReportName { country: iso3, year }.to_string());
        entry.0.push(PlacementSource {
            source: "narrative".to_owned(),
            tier: v.tier as i32,
            tier_as_published: tier_label(v.tier).to_owned(),
            report: report.unwrap_or_default(),
        });
        entry.1 = Some(v);
    }

    let mut entries: Vec<TierHistoryEntry> = Vec::new();
    for (year, (sources, verdict)) in years {
        let mut conflicts = Vec::new();
        let tier = settle(&sources, verdict, &mut conflicts);
        let previous = entries.last().map(|e| (e.year, e.tier(), e.watch_list_years));
        let movement = movement(year, tier, previous.map(|(y, t, _)| (y, t)));
        if let (Some(verdict), Some((previous_year, previous_tier, _))) = (verdict, previous)
            && previous_year == year - 1
            && let Some(conflict) = stated_change_conflict(verdict.tier_change, previous_tier, tier)
        {
            conflicts
                .push(format!("the {year} narrative says {conflict} ({previous_year}: {})", tier_label(previous_tier)));
        }
        let consecutive = previous.is_some_and(|(y, _, _)| y == year - 1);
        let watch_list_years = match (tier, previous) {
            (Tier::Tier2WatchList, Some((_, _, streak))) if consecutive => streak + 1,
            (Tier::Tier2WatchList, _) => 1,
            _ => 0,
        };
        let downgrade_rule = if verdict.is_some_and(|v| v.waiver)
            || (tier == Tier::Tier2WatchList && rule_streak(watch_list_years, year) >= 3)
        {
            DowngradeRule::Waived
        } else if tier == Tier::Tier3
            && consecutive
            && previous.is_some_and(|(_, _, streak)| rule_streak(streak, year - 1) >= 2)
        {
            DowngradeRule::Applied
        } else {
            DowngradeRule::Unspecified
        };
        entries.push(TierHistoryEntry {
            year,
            tier: tier as i32,
            sources,
            movement: movement as i32,
            previous_tier: previous.map_or(Tier::Unspecified, |(_, t, _)| t) as i32,
            previous_year: previous.map_or(0, |(y, _, _)| y),
            watch_list_years,
            downgrade_rule: downgrade_rule as i32,
            conflicts,
            missing: false,
        });
    }
    entries
}

/// A country's latest placement: the newest known year of its tier history (see
/// [`tier_history`]), and the tier that year settles on.
pub fn latest_placement(history: &[TierHistoryEntry]) -> Option<(i32, Tier)> {
    history.iter().rev().find(|entry| !entry.missing).map(|entry| (entry.year, entry.tier()))
}

/// The part of a Watch List streak ending in `last_year` that falls under the downgrade rule.
fn rule_streak(streak: i32, last_year: i32) -> i32 {
    streak.min(last_year - DOWNGRADE_RULE_FIRST_YEAR + 1).max(0)
}

/// The tier of a year: the narrative's when there is one, else the tier most tables give (the
/// first source's on a tie). Disagreements are recorded.
fn settle(sources: &[PlacementSource], verdict: Option<&ReportVerdict>, conflicts: &mut Vec<String>) -> Tier {
    let distinct: Vec<i32> = sources.iter().map(|s| s.tier).fold(Vec::new(), |mut seen, t| {
        if !seen.contains(&t) {
            seen.push(t);
        }
        seen
    });
    if distinct.len() > 1 {
        let said = sources
            .iter()
            .map(|s| format!("{} says {}", s.source, tier_label(s.tier())))
            .collect::<Vec<_>>()
            .join(", ");
        conflicts.push(format!("sources disagree: {said}"));
    }
    if let Some(verdict) = verdict {
        return verdict.tier;
    }
    distinct
        .iter()
        .max_by_key(|t| {
            (sources.iter().filter(|s| s.tier == **t).count(), std::cmp::Reverse(distinct.iter().position(|d| d == *t)))
        })
        .and_then(|t| Tier::try_from(*t).ok())
        .unwrap_or(Tier::Unspecified)
}

/// How `tier` in `year` compares with the placement before it.
pub fn movement(year: i32, tier: Tier, previous: Option<(i32, Tier)>) -> TierMovement {
    let Some((previous_year, previous_tier)) = previous else { return TierMovement::FirstRanked };
    if previous_year != year - 1 {
        return TierMovement::AfterGap;
    }
    compare_tiers(previous_tier, tier)
}

/// How `after` compares with `before`.
pub fn compare_tiers(before: Tier, after: Tier) -> TierMovement {
    match (tier_rank(before), tier_rank(after)) {
        _ if before == Tier::Unspecified || after == Tier::Unspecified => TierMovement::Unspecified,
        (Some(before), Some(now)) if now > before => TierMovement::Upgraded,
        (Some(before), Some(now)) if now < before => TierMovement::Downgraded,
        _ if before == after => TierMovement::Unchanged,
        _ => TierMovement::SpecialCase,
    }
}

/// What is wrong when a narrative's stated change does not fit the year before.
fn stated_change_conflict(stated: TierChange, previous: Tier, now: Tier) -> Option<String> {
    let (before, after) = (tier_rank(previous)?, tier_rank(now)?);
    let fits = match stated {
        TierChange::Upgraded => after > before,
        TierChange::Downgraded => after < before,
        TierChange::Remained => after == before,
        TierChange::Placed | TierChange::Unspecified => true,
    };
    (!fits).then(|| format!("\"{}\" to {}", stated_word(stated), tier_label(now)))
}

fn stated_word(change: TierChange) -> &'static str {
    match change {
        TierChange::Upgraded => "upgraded",
        TierChange::Downgraded => "downgraded",
        TierChange::Remained => "remained",
        TierChange::Placed | TierChange::Unspecified => "placed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placement(year: i32, tier: Tier) -> TablePlacement {
        TablePlacement {
            iso3: Iso3::parse("MLI").unwrap(),
            year,
            tier,
            source: "table".into(),
            tier_as_published: tier_label(tier).into(),
        }
    }

    #[test]
    fn counts_watch_list_streaks_and_the_downgrade_rule() {
        let mli = Iso3::parse("MLI").unwrap();
        let placements: Vec<_> = [
            (2013, Tier::Tier2WatchList),
            (2014, Tier::Tier2WatchList),
            (2015, Tier::Tier2WatchList),
            (2016, Tier::Tier2WatchList),
            (2017, Tier::Tier3),
            (2018, Tier::Tier2WatchList),
            (2020, Tier::Tier2WatchList),
        ]
        .into_iter()
        .map(|(y, t)| placement(y, t))
        .collect();
        let history = tier_history(mli, &placements, &[]);
        let missing: Vec<i32> = history.iter().filter(|e| e.missing).map(|e| e.year).collect();
        assert_eq!(missing, [2019], "no placement known between 2018 and 2020");
        let streaks: Vec<i32> = history.iter().map(|e| e.watch_list_years).collect();
        assert_eq!(streaks, [1, 2, 3, 4, 0, 1, 0, 1], "the unknown 2019 ends the streak");
        let rules: Vec<DowngradeRule> = history.iter().map(|e| e.downgrade_rule()).collect();
        use DowngradeRule::{Applied, Unspecified, Waived};
        assert_eq!(rules, [Unspecified, Unspecified, Waived, Waived, Applied, Unspecified, Unspecified, Unspecified]);
        let moves: Vec<TierMovement> = history.iter().map(|e| e.movement()).collect();
        use TierMovement::*;
        assert_eq!(
            moves,
            [FirstRanked, Unchanged, Unchanged, Unchanged, Downgraded, Upgraded, TierMovement::Unspecified, AfterGap]
        );
        let after_gap = history.last().unwrap();
        assert_eq!((after_gap.previous_year, after_gap.previous_tier()), (2018, Tier::Tier2WatchList));
        assert_eq!(history[6].tier(), Tier::Unspecified);
        assert!(history[6].sources.is_empty());
    }

    #[test]
    fn the_narrative_settles_the_year_and_conflicts_show() {
        let mli = Iso3::parse("MLI").unwrap();
        let placements = vec![placement(2022, Tier::Tier2WatchList), placement(2023, Tier::Tier1)];
        let verdict = ReportVerdict {
            iso3: mli,
            year: 2023,
            tier: Tier::Tier2,
            tier_change: TierChange::Upgraded,
            waiver: false,
        };
        let history = tier_history(mli, &placements, &[verdict]);
        let last = history.last().unwrap();
        assert_eq!(last.tier(), Tier::Tier2);
        assert_eq!(last.movement(), TierMovement::Upgraded);
        assert_eq!(last.sources.len(), 2);
        assert!(last.conflicts[0].contains("sources disagree"), "{:?}", last.conflicts);

        let verdict = ReportVerdict {
            iso3: mli,
            year: 2023,
            tier: Tier::Tier2,
            tier_change: TierChange::Downgraded,
            waiver: false,
        };
        let history = tier_history(mli, &placements[..1], &[verdict]);
        assert!(history[1].conflicts.iter().any(|c| c.contains("\"downgraded\"")), "{:?}", history[1].conflicts);
    }

    #[test]
    fn the_latest_placement_is_the_newest_year_as_the_history_settles_it() {
        use Tier::{SpecialCase, Tier1, Tier2, Tier2WatchList, Tier3, Unspecified};
        let mli = Iso3::parse("MLI").unwrap();
        let table = |year: i32, tier: Tier, source: &str| TablePlacement {
            iso3: mli,
            year,
            tier,
            source: source.into(),
            tier_as_published: tier_label(tier).into(),
        };
        let narrative = |year: i32, tier: Tier| ReportVerdict {
            iso3: mli,
            year,
            tier,
            tier_change: TierChange::Unspecified,
            waiver: false,
        };
        type Case = (&'static str, Vec<TablePlacement>, Vec<ReportVerdict>, Option<(i32, Tier)>);
        let cases: Vec<Case> = vec![
            ("nothing known", vec![], vec![], None),
            ("one table", vec![table(2020, Tier2, "a")], vec![], Some((2020, Tier2))),
            (
                "the newest year wins",
                vec![table(2020, Tier2, "a"), table(2021, Tier3, "a")],
                vec![],
                Some((2021, Tier3)),
            ),
            (
                "the narrative wins over the tables of its year",
                vec![table(2021, Tier3, "a"), table(2021, Tier3, "b")],
                vec![narrative(2021, Tier1)],
                Some((2021, Tier1)),
            ),
            (
                "a newer table wins over an older narrative",
                vec![table(2022, Tier2WatchList, "a")],
                vec![narrative(2021, Tier1)],
                Some((2022, Tier2WatchList)),
            ),
            (
                "the tier most tables give",
                vec![table(2021, Tier3, "a"), table(2021, Tier2, "b"), table(2021, Tier2, "c")],
                vec![],
                Some((2021, Tier2)),
            ),
            (
                "on a tie, the first source's",
                vec![table(2021, SpecialCase, "a"), table(2021, Tier2, "b")],
                vec![],
                Some((2021, SpecialCase)),
            ),
            (
                "a narrative without a tier says nothing",
                vec![table(2020, Tier2, "a")],
                vec![narrative(2021, Unspecified)],
                Some((2020, Tier2)),
            ),
            ("a table row without a tier says nothing", vec![table(2021, Unspecified, "a")], vec![], None),
        ];
        for (case, placements, verdicts, expected) in cases {
            assert_eq!(latest_placement(&tier_history(mli, &placements, &verdicts)), expected, "{case}");
        }
    }
}
