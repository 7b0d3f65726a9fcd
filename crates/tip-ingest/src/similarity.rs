//! Matching recommendations by meaning: normalized words (lowercase, no punctuation, no stop
//! words, Porter stems) compared as sets, so that rewordings across years still match. Besides
//! function words, the stop words hold the ones that open any recommendation ("continue",
//! "should"): they would make any two look alike. The stems are Snowball English (Porter2), the
//! revision of the Porter stemmer behind full-text search (SQLite FTS5 `porter`): both take
//! "laws" for "law" and "participating" for "participation", so that what search finds as one
//! word, matching counts as one word too.

use std::collections::BTreeSet;

use rust_stemmers::{Algorithm, Stemmer};
use tip_model::pb::{Recommendation, RecommendationMatch, RecommendationOccurrence, RecurringRecommendation, Report};

/// Two recommendations at least this similar are the same recommendation reworded.
const SAME_RECOMMENDATION: f64 = 0.4;

const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "any",
    "as",
    "at",
    "be",
    "by",
    "for",
    "from",
    "in",
    "including",
    "into",
    "is",
    "its",
    "of",
    "on",
    "or",
    "such",
    "that",
    "the",
    "their",
    "these",
    "this",
    "to",
    "with",
    "all",
    "other",
    "which",
    "should",
    "continue",
];

/// The comparison key of a text: its content words, stemmed.
pub fn words(text: &str) -> BTreeSet<String> {
    let english = Stemmer::create(Algorithm::English);
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.len() > 1 && !STOP_WORDS.contains(&w.as_str()))
        .map(|w| english.stem(&w).into_owned())
        .collect()
}

/// Fewer shared words than this make no match, however short the texts.
const MIN_SHARED_WORDS: usize = 3;

/// Similarity of two word sets, from 0 to 1: the mean of the overlap coefficient (shared /
/// smaller set: a recommendation later expanded with new clauses still matches its shorter
/// self) and the Dice coefficient (2·shared / both: of two candidates, the closer in length
/// wins); 0 when they share fewer than three words and are not identical.
fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a == b {
        return 1.0;
    }
    let shared = a.intersection(b).count();
    if shared < MIN_SHARED_WORDS {
        return 0.0;
    }
    let overlap = shared as f64 / a.len().min(b.len()) as f64;
    let dice = 2.0 * shared as f64 / (a.len() + b.len()) as f64;
    (overlap + dice) / 2.0
}

/// Pairs items of `base` with items of `target` by similarity, best pairs first, each item in
/// at most one pair, only pairs at least [`SAME_RECOMMENDATION`] alike. Returns (base index,
/// target index, similarity), in target order.
fn match_items(base: &[BTreeSet<String>], target: &[BTreeSet<String>]) -> Vec<(usize, usize, f64)> {
    let mut candidates: Vec<(usize, usize, f64)> = base
        .iter()
        .enumerate()
        .flat_map(|(i, b)| target.iter().enumerate().map(move |(j, t)| (i, j, similarity(b, t))))
        .filter(|(_, _, s)| *s >= SAME_RECOMMENDATION)
        .collect();
    candidates.sort_by(|x, y| y.2.total_cmp(&x.2).then(x.0.cmp(&y.0)).then(x.1.cmp(&y.1)));
    let (mut used_base, mut used_target) = (vec![false; base.len()], vec![false; target.len()]);
    let mut pairs = Vec::new();
    for (i, j, s) in candidates {
        if !used_base[i] && !used_target[j] {
            used_base[i] = true;
            used_target[j] = true;
            pairs.push((i, j, s));
        }
    }
    pairs.sort_by_key(|p| p.1);
    pairs
}

/// What became of one report's recommendations in another.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecommendationChanges {
    /// The pairs found in both, in target order.
    pub kept: Vec<RecommendationMatch>,
    /// The target's recommendations that the base does not have.
    pub added: Vec<Recommendation>,
    /// The base's recommendations that the target no longer has.
    pub dropped: Vec<Recommendation>,
}

/// The recommendations of `base` compared with those of `target`.
pub fn compare(base: &[Recommendation], target: &[Recommendation]) -> RecommendationChanges {
    let key = |items: &[Recommendation]| items.iter().map(|r| words(&r.text)).collect::<Vec<_>>();
    let pairs = match_items(&key(base), &key(target));
    let kept = pairs
        .iter()
        .map(|&(i, j, similarity)| RecommendationMatch {
            base_text: base[i].text.clone(),
            target_text: target[j].text.clone(),
            similarity,
        })
        .collect();
    let unmatched = |items: &[Recommendation], matched: &dyn Fn(usize) -> bool| {
        items.iter().enumerate().filter(|(i, _)| !matched(*i)).map(|(_, r)| r.clone()).collect()
    };
    RecommendationChanges {
        kept,
        added: unmatched(target, &|j| pairs.iter().any(|p| p.1 == j)),
        dropped: unmatched(base, &|i| pairs.iter().any(|p| p.0 == i)),
    }
}

/// The recommendations of one country's `reports` (oldest first) grouped across years by
/// similarity, each in at most one group per year, most recurring first, then most recent.
pub fn recurring(reports: &[Report]) -> Vec<RecurringRecommendation> {
    // Newest first, so that each group is worded as the latest report words it.
    let mut groups: Vec<(BTreeSet<String>, Vec<RecommendationOccurrence>)> = Vec::new();
    for report in reports.iter().rev() {
        let mut taken = vec![false; groups.len()];
        for recommendation in &report.recommendations {
            let key = words(&recommendation.text);
            let best = groups
                .iter()
                .enumerate()
                .filter(|(i, _)| !taken[*i])
                .map(|(i, (group_key, _))| (i, similarity(group_key, &key)))
                .filter(|(_, s)| *s >= SAME_RECOMMENDATION)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            let occurrence = |similarity| RecommendationOccurrence {
                year: report.year,
                text: recommendation.text.clone(),
                similarity,
            };
            match best {
                Some((i, s)) => {
                    taken[i] = true;
                    groups[i].1.push(occurrence(s));
                }
                None => {
                    groups.push((key, vec![occurrence(1.0)]));
                    taken.push(true);
                }
            }
        }
    }
    let mut recurring: Vec<RecurringRecommendation> = groups
        .into_iter()
        .map(|(_, mut occurrences)| {
            occurrences.sort_by_key(|o| o.year);
            let years: Vec<i32> = occurrences.iter().map(|o| o.year).collect();
            RecurringRecommendation {
                text: occurrences.last().map(|o| o.text.clone()).unwrap_or_default(),
                first_year: years.first().copied().unwrap_or_default(),
                last_year: years.last().copied().unwrap_or_default(),
                years,
                occurrences,
            }
        })
        .collect();
    recurring.sort_by(|a, b| b.years.len().cmp(&a.years.len()).then(b.last_year.cmp(&a.last_year)));
    recurring
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewordings_match_and_different_recommendations_do_not() {
        let a = words("Vigorously investigate and prosecute trafficking offenses and convict traffickers.");
        let b = words("Vigorously investigate and prosecute trafficking crimes, and convict and punish traffickers.");
        let c = words("Increase funding for victim shelters.");
        assert!(similarity(&a, &b) >= SAME_RECOMMENDATION, "{}", similarity(&a, &b));
        assert!(similarity(&a, &c) < 0.2);
        let pairs = match_items(&[a, c.clone()], &[c, b]);
        assert_eq!(pairs.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(), [(1, 0), (0, 1)]);
    }

    fn recommendations(texts: &[&str]) -> Vec<Recommendation> {
        texts.iter().map(|t| Recommendation { text: (*t).to_owned() }).collect()
    }

    #[test]
    fn a_comparison_keeps_rewordings_and_lists_the_rest() {
        let base = recommendations(&[
            "Vigorously investigate and prosecute trafficking offenses and convict traffickers.",
            "Increase funding for victim shelters.",
        ]);
        let target = recommendations(&[
            "Vigorously investigate and prosecute trafficking crimes, and convict and punish traffickers.",
            "Amend the law to criminalize hereditary slavery.",
        ]);
        let changes = compare(&base, &target);
        assert_eq!(changes.kept.len(), 1);
        assert_eq!(
            (changes.kept[0].base_text.as_str(), changes.kept[0].target_text.as_str()),
            (&*base[0].text, &*target[0].text)
        );
        assert_eq!((changes.added, changes.dropped), (vec![target[1].clone()], vec![base[1].clone()]));
    }

    #[test]
    fn recurring_recommendations_are_grouped_across_years_in_the_latest_wording() {
        let report =
            |year, texts: &[&str]| Report { year, recommendations: recommendations(texts), ..Report::default() };
        let reports = [
            report(2017, &["Investigate and prosecute trafficking offenses and convict traffickers.", "Train judges."]),
            report(2018, &["Vigorously investigate and prosecute trafficking crimes, and convict traffickers."]),
        ];
        let groups = recurring(&reports);
        assert_eq!(groups.len(), 2);
        assert_eq!(
            (groups[0].years.as_slice(), groups[0].first_year, groups[0].last_year),
            (&[2017, 2018][..], 2017, 2018)
        );
        assert_eq!(groups[0].text, reports[1].recommendations[0].text);
        assert_eq!(groups[1].years, [2017]);
    }

    #[test]
    fn inflections_of_a_word_are_one_word() {
        assert_eq!(words("Amend the laws on prosecutions"), words("amend law, prosecute"));
        assert_eq!(words("participation of standardized"), words("participating in standard"));
    }
}
