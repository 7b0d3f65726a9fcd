//! The sentences that carry a report's verdict: the finding on the minimum standards, the tier
//! the text states and how it changed, and the country a heading-less text is about.

use std::sync::LazyLock;

use regex::Regex;
use tip_model::pb::{StandardsFinding, Tier, TierChange};
use tip_model::{Country, CountryRegistry, parse_tier};

/// A tier the text states, with the change it names and where it says so (byte offset).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TierStatement {
    pub tier: Tier,
    pub change: TierChange,
    pub offset: usize,
}

const TIER_WORDS: &str = r"tier\s+(?:1|2|3|one|two|three)(?:\s+watch\s*list)?";

static TIER_MOVES: LazyLock<[(Regex, Option<TierChange>); 4]> = LazyLock::new(|| {
    [
        (Regex::new(&format!(r"(?i)\b(?:was|is|has\s+been|been)\s+(upgraded|downgraded)\s+to\s+(?P<tier>{TIER_WORDS})")).unwrap(), None),
        (
            Regex::new(&format!(r"(?i)\b(?:remained|remains|remain|will\s+remain)\s+on\s+(?P<tier>{TIER_WORDS})")).unwrap(),
            Some(TierChange::Remained),
        ),
        (
            Regex::new(&format!(
                r"(?i)\b(?:is|was|be|been)\s+(?:therefore\s+|thus\s+)?(?:placed|ranked)\s+(?:on\s+|as\s+)?(?P<tier>{TIER_WORDS})"
            ))
            .unwrap(),
            Some(TierChange::Placed),
        ),
        (
            Regex::new(r"(?i)\b(?:is|remains|remained|was)\s+(?:a\s+)?(?P<tier>special\s+case)(?P<consecutive>\s+for\s+the\s+\w+\s+consecutive\s+year)?").unwrap(),
            Some(TierChange::Placed),
        ),
    ]
});

/// The words the tier patterns need, in lower case (none overlaps another).
static NEEDED_WORDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("tier|graded|remain|pecial|placed|ranked|ran\u{212A}ed").unwrap());

/// The first sentence that states the tier: "therefore Mali was upgraded to Tier 2", "remained
/// on Tier 1", "is therefore ranked Tier 3", "is a Special Case for the third consecutive year".
pub(crate) fn tier_statement(text: &str) -> Option<TierStatement> {
    // Each pattern needs words that most texts lack: look for them first (one pass over the
    // text), which is much faster than searches that fail. The words avoid "k" and "s", which
    // case-insensitive patterns also match as the Kelvin sign and the long s.
    let lower = text.to_ascii_lowercase();
    let mut needed = [false; 4];
    let mut tier = false;
    for found in NEEDED_WORDS.find_iter(&lower) {
        let rest = &lower[found.end()..];
        let after = rest.trim_start();
        let spaced = after.len() < rest.len();
        match found.as_str() {
            "tier" => tier |= spaced,
            "graded" => needed[0] |= spaced && after.starts_with("to"),
            "remain" => {
                let word_end = ["ed", "s", "ſ"].iter().find_map(|s| rest.strip_prefix(s)).unwrap_or(rest);
                let after_word = word_end.trim_start();
                needed[1] |= (spaced && after.starts_with("on"))
                    || (after_word.len() < word_end.len() && after_word.starts_with("on"));
            }
            "pecial" => needed[3] |= spaced && after.starts_with("ca"),
            // "placed", "ranked", "ran\u{212A}ed"
            _ => needed[2] |= spaced,
        }
    }
    needed[0] &= tier;
    needed[1] &= tier;
    needed[2] &= tier;
    TIER_MOVES
        .iter()
        .zip(needed)
        .filter(|(_, needed)| *needed)
        .map(|(pattern, _)| pattern)
        .filter_map(|(pattern, change)| {
            let caps = pattern.captures(text)?;
            let tier = parse_tier(caps.name("tier")?.as_str())?;
            let change = match change {
                Some(TierChange::Placed) if caps.name("consecutive").is_some() => TierChange::Remained,
                Some(change) => *change,
                None if caps[1].eq_ignore_ascii_case("upgraded") => TierChange::Upgraded,
                None => TierChange::Downgraded,
            };
            Some(TierStatement { tier, change, offset: caps.get(0)?.start() })
        })
        .min_by_key(|statement| statement.offset)
}

/// The finding on the minimum standards, read from the first sentence that mentions them.
pub(crate) fn finding(text: &str) -> Option<StandardsFinding> {
    let at = text.find("minimum standards")?;
    let start = text[..at].rfind(". ").map_or(0, |i| i + 2);
    let end = text[at..].find(". ").map_or(text.len(), |i| at + i);
    let sentence = text[start..end].to_lowercase();
    let denied = ["does not", "do not", "did not", "not yet", "has not"].iter().any(|n| sentence.contains(n));
    let finding = if sentence.contains("not making significant efforts")
        || sentence.contains("not making any significant efforts")
    {
        StandardsFinding::NotSignificantEfforts
    } else if denied && sentence.contains("significant efforts") {
        StandardsFinding::SignificantEfforts
    } else if !denied
        && (sentence.contains("fully meets")
            || sentence.contains("fully complies")
            || sentence.contains("fully comply")
            || sentence.contains("fully meet"))
    {
        StandardsFinding::FullyMeets
    } else {
        return None;
    };
    Some(finding)
}

static DOWNGRADE_WAIVER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bgranted\s+a\s+waiver\b[^.]*\bdowngrade|\botherwise\s+required\s+downgrade").unwrap()
});

/// Whether the text says a downgrade was waived: "was granted a waiver per the Trafficking
/// Victims Protection Act from an otherwise required downgrade to Tier 3".
pub(crate) fn downgrade_waived(text: &str) -> bool {
    DOWNGRADE_WAIVER.is_match(text)
}

static COUNTRY_SUBJECTS: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    let name = r"(?P<country>[A-Z][\w’'.\-]*(?:\s+(?:and|of|the|de|da|d[’']\w+|[A-Z][\w’'.\-]*))*?)";
    [
        Regex::new(&format!(
            r"(?:[Gg]overnment|[Aa]uthorities)\s+of\s+(?:the\s+)?{name}(?:\s+(?:does|do|did|fully|is|has|made|demonstrated|remains?|was)\b|[,;.])"
        ))
        .unwrap(),
        Regex::new(&format!(r"(?m)^{name}\s+(?:is|remains|was)\s+a\s+(?:source|transit|destination|special\s+case|country)")).unwrap(),
        Regex::new(&format!(r"therefore,?\s+{name}\s+(?:was|remained|remains|is)\b")).unwrap(),
    ]
});

/// The country a heading-less narrative is about, from "The Government of Estonia ...",
/// "Estonia is a source, transit ..." or "therefore Estonia remained ...", with the byte offset.
pub(crate) fn subject_country<'r>(text: &str, registry: &'r CountryRegistry) -> Option<(&'r Country, usize)> {
    COUNTRY_SUBJECTS
        .iter()
        .filter_map(|pattern| {
            pattern.captures_iter(text).find_map(|caps| {
                let name = caps.name("country")?;
                registry.resolve(name.as_str()).map(|country| (country, name.start()))
            })
        })
        .min_by_key(|(_, offset)| *offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tier_statements_of_every_era() {
        for (text, tier, change) in [
            ("efforts; therefore Mali was upgraded to Tier 2. These", Tier::Tier2, TierChange::Upgraded),
            ("therefore Seychelles was downgraded to Tier 2 Watch List", Tier::Tier2WatchList, TierChange::Downgraded),
            (
                "Therefore Kuwait remained on Tier 2 Watch List for the third",
                Tier::Tier2WatchList,
                TierChange::Remained,
            ),
            (
                "it is no longer eligible for that ranking and is therefore ranked Tier 3.",
                Tier::Tier3,
                TierChange::Placed,
            ),
            ("Libya is a Special Case for the third consecutive year.", Tier::SpecialCase, TierChange::Remained),
            ("Yemen remains a Special Case for the sixth consecutive year.", Tier::SpecialCase, TierChange::Remained),
            ("The country is placed on Tier 2 Watch List.", Tier::Tier2WatchList, TierChange::Placed),
        ] {
            let statement = tier_statement(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((statement.tier, statement.change), (tier, change), "{text}");
        }
        assert_eq!(tier_statement("granted a waiver from an otherwise required downgrade to Tier 3"), None);
    }

    #[test]
    fn reads_findings_of_every_wording() {
        for (text, expected) in [
            (
                "The Government of Angola does not yet fully meet the minimum standards; however, the Government is making significant efforts to combat trafficking.",
                StandardsFinding::SignificantEfforts,
            ),
            (
                "The Government of Belarus does not fully meet the minimum standards for the elimination of trafficking and is not making significant efforts to do so.",
                StandardsFinding::NotSignificantEfforts,
            ),
            (
                "The Government of Luxembourg fully complies with the minimum standards for the elimination of trafficking.",
                StandardsFinding::FullyMeets,
            ),
            (
                "The Government of Luxembourg fully meets the minimum standards for the elimination of trafficking.",
                StandardsFinding::FullyMeets,
            ),
            (
                "The Government of Mali does not fully comply with the minimum standards for the elimination of trafficking; however, it is making significant efforts to do so.",
                StandardsFinding::SignificantEfforts,
            ),
        ] {
            assert_eq!(finding(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn reads_downgrade_waivers() {
        for (text, waived) in [
            (
                "Kuwait was granted a waiver per the Trafficking Victims Protection Act from an otherwise required downgrade to Tier 3. Therefore Kuwait remained on Tier 2 Watch List",
                true,
            ),
            ("Eswatini was granted a waiver from an\notherwise required downgrade to Tier 3.", true),
            ("an otherwise required  downgrade to Tier 3", true),
            ("Therefore Kuwait remained on Tier 2 Watch List for the third consecutive year.", false),
            ("Migrants were granted a waiver of visa fees. The country was downgraded to Tier 3.", false),
        ] {
            assert_eq!(downgrade_waived(text), waived, "{text}");
        }
    }

    #[test]
    fn finds_the_country_of_a_text_without_heading() {
        let registry = CountryRegistry::global();
        let text = "The Government of Seychelles does not fully meet the minimum standards";
        assert_eq!(subject_country(text, registry).unwrap().0.iso3.as_str(), "SYC");
        let text = "Estonia is a source, transit, and destination country for women";
        assert_eq!(subject_country(text, registry).unwrap().0.iso3.as_str(), "EST");
        let text = "The transition government of Mali does not fully meet";
        assert_eq!(subject_country(text, registry).unwrap().0.iso3.as_str(), "MLI");
    }
}
