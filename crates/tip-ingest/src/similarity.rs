//! Matching recommendations by meaning: normalized words (lowercase, no punctuation, no stop
//! words, Porter stems) compared as sets, so that rewordings across years still match. Besides
//! function words, the stop words hold the ones that open any recommendation ("continue",
//! "should"): they would make any two look alike. The stems are Snowball English (Porter2), the
//! revision of the Porter stemmer behind full-text search (SQLite FTS5 `porter`): both take
//! "laws" for "law" and "participating" for "participation", so that what search finds as one
//! word, matching counts as one word too.

use std::collections::{BTreeSet, BinaryHeap, HashMap};

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

/// The most distinct wordings one call may weigh (across both reports of a comparison, across
/// every report of a country for recurring recommendations). Identical wordings count once,
/// however often they repeat; under this cap the work is bounded whatever the reports hold
/// (the parser keeps far fewer per report).
pub const MAX_DISTINCT_WORDINGS: usize = 2_000;

/// More distinct recommendation wordings than [`MAX_DISTINCT_WORDINGS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{distinct} distinct recommendation wordings; at most {MAX_DISTINCT_WORDINGS} are weighed in one call")]
pub struct TooManyWordings {
    /// The distinct wordings the call would weigh (for recurring recommendations, counted up to
    /// the first over the cap).
    pub distinct: usize,
}

/// Why matching gave no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MatchingError {
    /// More wordings than one call weighs.
    #[error(transparent)]
    TooManyWordings(#[from] TooManyWordings),
    /// Its caller asked it to stop (the request it works for ended): under the wordings cap
    /// matching still takes seconds, which nobody would wait for.
    #[error("recommendation matching stopped when asked")]
    Stopped,
}

/// Asks `stop` (the caller's "should this work stop?") between two steps of matching, each a
/// few microseconds to milliseconds: a cancelled call stops within that.
fn go_on(stop: &dyn Fn() -> bool) -> Result<(), MatchingError> {
    if stop() { Err(MatchingError::Stopped) } else { Ok(()) }
}

/// The distinct word sets of some items, each with the items (ascending) that have it, and an
/// index from each word to the distinct sets that hold it: what finds the candidates of a match
/// without weighing every pair.
#[derive(Default)]
struct Wordings {
    keys: Vec<BTreeSet<String>>,
    items: Vec<Vec<usize>>,
    by_key: HashMap<BTreeSet<String>, usize>,
    by_word: HashMap<String, Vec<usize>>,
}

impl Wordings {
    /// Adds `key` as item `item`; returns its wording's index.
    fn add(&mut self, key: BTreeSet<String>, item: usize) -> usize {
        if let Some(&known) = self.by_key.get(&key) {
            self.items[known].push(item);
            return known;
        }
        let index = self.keys.len();
        for word in &key {
            self.by_word.entry(word.clone()).or_default().push(index);
        }
        self.by_key.insert(key.clone(), index);
        self.keys.push(key);
        self.items.push(vec![item]);
        index
    }

    /// The wordings at least [`SAME_RECOMMENDATION`] like `key`, with their similarity: those
    /// that share [`MIN_SHARED_WORDS`] words with it, found through the word index, and `key`
    /// itself if known.
    fn alike(&self, key: &BTreeSet<String>) -> Vec<(usize, f64)> {
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for word in key {
            for &index in self.by_word.get(word).into_iter().flatten() {
                *shared.entry(index).or_default() += 1;
            }
        }
        let same = self.by_key.get(key).copied();
        let mut alike: Vec<(usize, f64)> = shared
            .into_iter()
            .filter(|&(index, count)| count >= MIN_SHARED_WORDS || Some(index) == same)
            .map(|(index, _)| (index, similarity(&self.keys[index], key)))
            .filter(|(_, s)| *s >= SAME_RECOMMENDATION)
            .collect();
        if let Some(same) = same.filter(|same| !alike.iter().any(|(index, _)| index == same)) {
            alike.push((same, 1.0));
        }
        alike
    }
}

/// The wordings of `keys`, the items numbered in order.
fn wordings(keys: Vec<BTreeSet<String>>) -> Wordings {
    let mut wordings = Wordings::default();
    for (item, key) in keys.into_iter().enumerate() {
        wordings.add(key, item);
    }
    wordings
}

/// The next free pair of one pair of wordings: the first base item and the first target item
/// of each still unpaired. Ordered as the pairing takes them: most similar first, then by base
/// item, then by target item.
#[derive(Clone, Copy, PartialEq)]
struct Candidate {
    similarity: f64,
    base: usize,
    target: usize,
    wordings: (usize, usize),
}

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // The best candidate is the greatest, as BinaryHeap pops it.
        self.similarity
            .total_cmp(&other.similarity)
            .then(other.base.cmp(&self.base))
            .then(other.target.cmp(&self.target))
            .then(other.wordings.cmp(&self.wordings))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Pairs items of `base` with items of `target` by similarity, best pairs first, each item in
/// at most one pair, only pairs at least [`SAME_RECOMMENDATION`] alike. Returns (base index,
/// target index, similarity), in target order.
///
/// The pairing is greedy over every item pair sorted by similarity, then base index, then target
/// index; but it never lists every pair. Items with the same words are one wording, and only
/// wordings that share words are weighed. Of a pair of wordings, the next pair the greedy order
/// would take is always its first free base item with its first free target item: a heap holds
/// that one pair per pair of wordings, and finds it taken, or stale, when it comes up.
fn match_items(
    base: Vec<BTreeSet<String>>,
    target: Vec<BTreeSet<String>>,
    stop: &dyn Fn() -> bool,
) -> Result<Vec<(usize, usize, f64)>, MatchingError> {
    let (base_len, target_len) = (base.len(), target.len());
    let (base, target) = (wordings(base), wordings(target));
    let distinct = base.keys.len() + target.keys.len();
    if distinct > MAX_DISTINCT_WORDINGS {
        return Err(TooManyWordings { distinct }.into());
    }
    let (mut base_free, mut target_free) = (vec![true; base_len], vec![true; target_len]);
    // Per pair of wordings, how far its items are known to be taken.
    let first_free = |items: &[usize], from: &mut usize, free: &[bool]| {
        while items.get(*from).is_some_and(|&item| !free[item]) {
            *from += 1;
        }
        items.get(*from).copied()
    };
    let mut cursors: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
    let mut heap = BinaryHeap::new();
    for (b, key) in base.keys.iter().enumerate() {
        go_on(stop)?;
        for (t, similarity) in target.alike(key) {
            cursors.insert((b, t), (0, 0));
            heap.push(Candidate { similarity, base: base.items[b][0], target: target.items[t][0], wordings: (b, t) });
        }
    }
    let mut pairs = Vec::new();
    while let Some(candidate) = heap.pop() {
        go_on(stop)?;
        let (b, t) = candidate.wordings;
        if base_free[candidate.base] && target_free[candidate.target] {
            base_free[candidate.base] = false;
            target_free[candidate.target] = false;
            pairs.push((candidate.base, candidate.target, candidate.similarity));
        }
        let cursor = cursors.get_mut(&(b, t)).expect("every candidate has a cursor");
        let next_base = first_free(&base.items[b], &mut cursor.0, &base_free);
        let next_target = first_free(&target.items[t], &mut cursor.1, &target_free);
        if let (Some(base), Some(target)) = (next_base, next_target) {
            heap.push(Candidate { base, target, ..candidate });
        }
    }
    pairs.sort_by_key(|p| p.1);
    Ok(pairs)
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

/// The recommendations of `base` compared with those of `target`; an error when they hold more
/// than [`MAX_DISTINCT_WORDINGS`] distinct wordings between them, or when `stop` answers true.
pub fn compare(
    base: &[Recommendation],
    target: &[Recommendation],
    stop: &dyn Fn() -> bool,
) -> Result<RecommendationChanges, MatchingError> {
    let key = |items: &[Recommendation]| {
        items.iter().map(|r| go_on(stop).map(|()| words(&r.text))).collect::<Result<Vec<_>, _>>()
    };
    let pairs = match_items(key(base)?, key(target)?, stop)?;
    let kept = pairs
        .iter()
        .map(|&(i, j, similarity)| RecommendationMatch {
            base_text: base[i].text.clone(),
            target_text: target[j].text.clone(),
            similarity,
        })
        .collect();
    let unmatched = |items: &[Recommendation], paired: Vec<usize>| {
        let mut matched = vec![false; items.len()];
        paired.into_iter().for_each(|i| matched[i] = true);
        items.iter().zip(matched).filter(|(_, matched)| !matched).map(|(r, _)| r.clone()).collect()
    };
    Ok(RecommendationChanges {
        kept,
        added: unmatched(target, pairs.iter().map(|p| p.1).collect()),
        dropped: unmatched(base, pairs.iter().map(|p| p.0).collect()),
    })
}

/// The recommendations of one country's `reports` (oldest first) grouped across years by
/// similarity, each in at most one group per year, most recurring first, then most recent; an
/// error when they hold more than [`MAX_DISTINCT_WORDINGS`] distinct wordings, or when `stop`
/// answers true.
///
/// Each recommendation joins the most similar group not yet joined that year (of equals, the
/// last made), or starts one. Groups are found through their wordings: only wordings that share
/// words with the recommendation are weighed, and of the groups of one wording the last made
/// that is free this year is the one to join.
pub fn recurring(reports: &[Report], stop: &dyn Fn() -> bool) -> Result<Vec<RecurringRecommendation>, MatchingError> {
    // Newest first, so that each group is worded as the latest report words it.
    let mut occurrences: Vec<Vec<RecommendationOccurrence>> = Vec::new();
    // The groups of each wording, in the order they were made (a group keeps the wording it was
    // made with).
    let mut wordings = Wordings::default();
    for report in reports.iter().rev() {
        // Per wording, its groups made before this report that this report has not joined are
        // the first `free[wording]`: joined from the last down.
        let mut free: Vec<usize> = wordings.items.iter().map(Vec::len).collect();
        for recommendation in &report.recommendations {
            go_on(stop)?;
            let key = words(&recommendation.text);
            let best = wordings
                .alike(&key)
                .into_iter()
                .filter_map(|(wording, s)| {
                    let group = *wordings.items[wording].get(free[wording].checked_sub(1)?)?;
                    Some((group, s, wording))
                })
                .max_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let occurrence = |similarity| RecommendationOccurrence {
                year: report.year,
                text: recommendation.text.clone(),
                similarity,
            };
            match best {
                Some((group, s, wording)) => {
                    free[wording] -= 1;
                    occurrences[group].push(occurrence(s));
                }
                None => {
                    let group = occurrences.len();
                    occurrences.push(vec![occurrence(1.0)]);
                    let wording = wordings.add(key, group);
                    if wording == free.len() {
                        free.push(0);
                    }
                    if wordings.keys.len() > MAX_DISTINCT_WORDINGS {
                        return Err(TooManyWordings { distinct: wordings.keys.len() }.into());
                    }
                }
            }
        }
    }
    let mut recurring: Vec<RecurringRecommendation> = occurrences
        .into_iter()
        .map(|mut occurrences| {
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
    Ok(recurring)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A caller that never asks matching to stop.
    fn never() -> bool {
        false
    }

    #[test]
    fn rewordings_match_and_different_recommendations_do_not() {
        let a = words("Vigorously investigate and prosecute trafficking offenses and convict traffickers.");
        let b = words("Vigorously investigate and prosecute trafficking crimes, and convict and punish traffickers.");
        let c = words("Increase funding for victim shelters.");
        assert!(similarity(&a, &b) >= SAME_RECOMMENDATION, "{}", similarity(&a, &b));
        assert!(similarity(&a, &c) < 0.2);
        let pairs = match_items(vec![a, c.clone()], vec![c, b], &never).unwrap();
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
        let changes = compare(&base, &target, &never).unwrap();
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
        let groups = recurring(&reports, &never).unwrap();
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

    /// The matching as first written, every pair weighed: what the indexed matching must equal.
    fn match_every_pair(base: &[BTreeSet<String>], target: &[BTreeSet<String>]) -> Vec<(usize, usize, f64)> {
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

    /// A group's occurrences: year and text.
    type Occurrences = Vec<(i32, String)>;

    /// The grouping as first written, every group weighed for every recommendation.
    fn group_against_every_group(reports: &[Report]) -> Vec<Occurrences> {
        let mut groups: Vec<(BTreeSet<String>, Occurrences)> = Vec::new();
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
                match best {
                    Some((i, _)) => {
                        taken[i] = true;
                        groups[i].1.push((report.year, recommendation.text.clone()));
                    }
                    None => {
                        groups.push((key, vec![(report.year, recommendation.text.clone())]));
                        taken.push(true);
                    }
                }
            }
        }
        groups.into_iter().map(|(_, occurrences)| occurrences).collect()
    }

    /// Recommendations from few words, so that many are alike, many identical, some empty.
    fn texts() -> impl Strategy<Value = Vec<String>> {
        const VOCABULARY: &[&str] =
            &["prosecute", "traffickers", "victims", "shelters", "judges", "train", "law", "fund", "labor", "the"];
        let text = proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..6).prop_map(|w| w.join(" "));
        proptest::collection::vec(text, 0..24)
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn indexed_matching_equals_weighing_every_pair(base in texts(), target in texts()) {
            let key = |texts: &[String]| texts.iter().map(|t| words(t)).collect::<Vec<_>>();
            let expected = match_every_pair(&key(&base), &key(&target));
            prop_assert_eq!(match_items(key(&base), key(&target), &never).unwrap(), expected);
        }

        #[test]
        fn indexed_grouping_equals_weighing_every_group(years in proptest::collection::vec(texts(), 0..5)) {
            let reports: Vec<Report> = years
                .iter()
                .zip(2015..)
                .map(|(texts, year)| Report {
                    year,
                    recommendations: texts.iter().map(|text| Recommendation { text: text.clone() }).collect(),
                    ..Report::default()
                })
                .collect();
            let mut expected = group_against_every_group(&reports);
            let mut grouped: Vec<Occurrences> = recurring(&reports, &never)
                .unwrap()
                .into_iter()
                .map(|group| group.occurrences.into_iter().map(|o| (o.year, o.text)).collect())
                .collect();
            expected.iter_mut().for_each(|occurrences| occurrences.sort_by_key(|o| o.0));
            expected.sort();
            grouped.sort();
            prop_assert_eq!(grouped, expected);
        }
    }

    #[test]
    fn thousands_of_identical_recommendations_are_one_wording() {
        let same = recommendations(&["Vigorously prosecute traffickers and protect victims."; 12_000]);
        let changes = compare(&same, &same, &never).unwrap();
        assert_eq!((changes.kept.len(), changes.added.len(), changes.dropped.len()), (12_000, 0, 0));
        assert!(changes.kept.iter().all(|m| m.similarity == 1.0));
        let yearly = &same[..1_000];
        let reports: Vec<Report> =
            (2000..2025).map(|year| Report { year, recommendations: yearly.to_vec(), ..Report::default() }).collect();
        let groups = recurring(&reports, &never).unwrap();
        assert_eq!(groups.len(), 1_000);
        assert!(groups.iter().all(|group| group.years.len() == 25));
    }

    #[test]
    fn more_distinct_wordings_than_the_cap_are_refused() {
        let texts: Vec<String> =
            (0..=MAX_DISTINCT_WORDINGS).map(|n| format!("prosecute traffickers case{n} victims")).collect();
        let distinct: Vec<Recommendation> = texts.into_iter().map(|text| Recommendation { text }).collect();
        let refused = compare(&distinct, &[], &never).unwrap_err();
        assert_eq!(refused, TooManyWordings { distinct: MAX_DISTINCT_WORDINGS + 1 }.into());
        let report = Report { year: 2020, recommendations: distinct, ..Report::default() };
        assert!(recurring(&[report], &never).is_err());
    }

    /// A "should stop" that answers true from its `after`-th question on, and counts them.
    fn stop_after(after: usize) -> (impl Fn() -> bool, std::rc::Rc<std::cell::Cell<usize>>) {
        let asked = std::rc::Rc::new(std::cell::Cell::new(0));
        let counter = asked.clone();
        let stop = move || {
            counter.set(counter.get() + 1);
            counter.get() >= after
        };
        (stop, asked)
    }

    #[test]
    fn matching_stops_soon_after_it_is_asked_to() {
        // Distinct recommendations that all share three words: every one is weighed against
        // every other, the costliest matching under the cap.
        let texts: Vec<Recommendation> = (0..1_000)
            .map(|n| Recommendation { text: format!("prosecute traffickers victims case{n} court{n} judge{n}") })
            .collect();
        let (stop, asked) = stop_after(10);
        assert_eq!(compare(&texts, &texts, &stop).unwrap_err(), MatchingError::Stopped);
        assert_eq!(asked.get(), 10, "no more questions once told to stop");
        let reports: Vec<Report> = texts
            .chunks(100)
            .zip(2010..)
            .map(|(chunk, year)| Report { year, recommendations: chunk.to_vec(), ..Report::default() })
            .collect();
        let (stop, asked) = stop_after(10);
        assert_eq!(recurring(&reports, &stop).unwrap_err(), MatchingError::Stopped);
        assert_eq!(asked.get(), 10);
        // Asked at every step, and never told to stop, it finishes.
        let (stop, asked) = stop_after(usize::MAX);
        assert_eq!(compare(&texts, &texts, &stop).unwrap().kept.len(), texts.len());
        assert!(asked.get() >= texts.len());
    }
}
