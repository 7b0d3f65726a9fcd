//! Tiers in every coding the sources use, and their plain names.

use crate::pb::Tier;

/// Reads a tier in any of the codings seen in headings and tier tables: "Tier 2 Watch List",
/// "TIER 2 - WATCH LIST", "Watchlist", "2WL", "2w", "2.5", "Tier 1", "3", "Special Case",
/// "TIER_SPECIAL_CASE". Returns `None` for anything else, such as "Tier 7".
pub fn parse_tier(text: &str) -> Option<Tier> {
    let folded: String = text
        .to_lowercase()
        .replace("tier_", "tier ")
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '.' { c } else { ' ' })
        .collect();
    let words: Vec<&str> = folded.split_whitespace().filter(|w| *w != "tier").collect();
    let tier = match words.as_slice() {
        ["1"] | ["one"] | ["1.0"] => Tier::Tier1,
        ["2"] | ["two"] | ["2.0"] => Tier::Tier2,
        ["3"] | ["three"] | ["3.0"] => Tier::Tier3,
        ["2wl"]
        | ["2w"]
        | ["2.5"]
        | ["watchlist"]
        | ["watch", "list"]
        | ["2", "watch", "list"]
        | ["2", "watchlist"]
        | ["two", "watch", "list"] => Tier::Tier2WatchList,
        ["special", "case"] | ["special"] | ["sc"] => Tier::SpecialCase,
        _ => return None,
    };
    Some(tier)
}

/// The tier as the report writes it, such as "Tier 2 Watch List".
pub fn tier_label(tier: Tier) -> &'static str {
    match tier {
        Tier::Unspecified => "unspecified",
        Tier::Tier1 => "Tier 1",
        Tier::Tier2 => "Tier 2",
        Tier::Tier2WatchList => "Tier 2 Watch List",
        Tier::Tier3 => "Tier 3",
        Tier::SpecialCase => "Special Case",
    }
}

/// Rank for comparing tiers (higher is better); `None` for tiers outside the ranking.
pub fn tier_rank(tier: Tier) -> Option<u8> {
    match tier {
        Tier::Tier1 => Some(4),
        Tier::Tier2 => Some(3),
        Tier::Tier2WatchList => Some(2),
        Tier::Tier3 => Some(1),
        Tier::Unspecified | Tier::SpecialCase => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_coding_of_the_sources() {
        for (text, tier) in [
            ("Tier 1", Tier::Tier1),
            ("TIER 2", Tier::Tier2),
            ("Tier 2    ", Tier::Tier2),
            ("Tier 2 Watch List", Tier::Tier2WatchList),
            ("Tier 2 Watch list", Tier::Tier2WatchList),
            ("TIER 2 - WATCH LIST", Tier::Tier2WatchList),
            ("Watchlist    ", Tier::Tier2WatchList),
            ("2WL", Tier::Tier2WatchList),
            ("2w", Tier::Tier2WatchList),
            ("2.5", Tier::Tier2WatchList),
            ("3", Tier::Tier3),
            ("Special Case", Tier::SpecialCase),
            ("SPECIAL CASE", Tier::SpecialCase),
            ("TIER_2_WATCH_LIST", Tier::Tier2WatchList),
        ] {
            assert_eq!(parse_tier(text), Some(tier), "{text:?}");
        }
        for text in ["Tier 7", "", "NA", "2 3", "tier"] {
            assert_eq!(parse_tier(text), None, "{text:?}");
        }
    }
}
