//! Matching recommendations by meaning: normalized words (lowercase, no punctuation, no stop
//! words, Porter stems) compared as sets, so that rewordings across years still match. Besides
//! function words, the stop words hold the ones that open any recommendation ("continue",
//! "should"): they would make any two look alike. The stems are Snowball English (Porter2), the
//! revision of the Porter stemmer behind full-text search (SQLite FTS5 `porter`): both take
//! "laws" for "law" and "participating" for "participation", so that what search finds as one
//! word, matching counts as one word too.

use std::collections::BTreeSet;

use rust_stemmers::{Algorithm, Stemmer};

/// Two recommendations at least this similar are the same recommendation reworded.
pub const SAME_RECOMMENDATION: f64 = 0.4;

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
pub fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
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
pub fn match_items(base: &[BTreeSet<String>], target: &[BTreeSet<String>]) -> Vec<(usize, usize, f64)> {
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

    #[test]
    fn inflections_of_a_word_are_one_word() {
        assert_eq!(words("Amend the laws on prosecutions"), words("amend law, prosecute"));
        assert_eq!(words("participation of standardized"), words("participating in standard"));
    }
}
