//! How complete a document is, in order: which of two documents of a report stays current.

use crate::pb::Completeness;

/// Orders completeness, higher is more complete: a complete narrative over an excerpt over a
/// cut-off text over one not assessed.
pub fn completeness_rank(completeness: Completeness) -> u8 {
    match completeness {
        Completeness::Complete => 3,
        Completeness::Excerpt => 2,
        Completeness::Truncated => 1,
        Completeness::Unspecified => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_narrative_outranks_an_excerpt_which_outranks_a_cut_off_text() {
        let ranked =
            [Completeness::Complete, Completeness::Excerpt, Completeness::Truncated, Completeness::Unspecified];
        for pair in ranked.windows(2) {
            assert!(completeness_rank(pair[0]) > completeness_rank(pair[1]), "{pair:?}");
        }
    }
}
