//! Hostile documents for the parser: each pattern, repeated to any size, once drove a parser
//! path quadratic or swelled the report (issue 16, findings 4 and 12). tip-ingest's benchmark
//! `benches/linear.rs` and test `tests/parser_limits.rs` take them from here: there is one
//! generator. To reproduce with the command line:
//!
//! ```sh
//! cargo run -p tip-corpus --bin tip-pathological -- --size 1000000 --out target/pathological
//! tip-atlas check target/pathological
//! ```

/// A hostile layout, repeated to fill a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// One line of "aŠ": an em dash read for every "Š", a column for every fix.
    DashLine,
    /// Page numbers and running headers glued into one line ("292MALIirrespective").
    GluedPageHeaders,
    /// Running footers then page numbers ("labor.BULGARIA113").
    GluedPageFooters,
    /// Section headings glued into one line ("groups.PROSECUTIONThe").
    GluedHeadings,
    /// "RECOMMENDATIONS FOR MALIIncrease" glued into one line.
    GluedRecommendationHeadings,
    /// One line of plain narrative sentences.
    LongLine,
    /// Hard-wrapped lines that never end a sentence: one paragraph of many lines.
    WrappedParagraph,
    /// Many one-sentence paragraphs.
    TinyParagraphs,
    /// One "Recommendations for Mali: a; b; ..." paragraph with many semicolons.
    Semicolons,
    /// Many list items under a recommendations heading.
    ListItems,
    /// Many recommendations glued together without a space ("traffickers.Vigorously").
    GluedRecommendations,
    /// A heading line followed by a huge title.
    LongTitle,
    /// Section headings, one a line.
    SectionLines,
    /// "The Government of X" for a name that is no country, over and over (no heading).
    GovernmentOf,
}

impl Pattern {
    pub const ALL: [Pattern; 14] = [
        Pattern::DashLine,
        Pattern::GluedPageHeaders,
        Pattern::GluedPageFooters,
        Pattern::GluedHeadings,
        Pattern::GluedRecommendationHeadings,
        Pattern::LongLine,
        Pattern::WrappedParagraph,
        Pattern::TinyParagraphs,
        Pattern::Semicolons,
        Pattern::ListItems,
        Pattern::GluedRecommendations,
        Pattern::LongTitle,
        Pattern::SectionLines,
        Pattern::GovernmentOf,
    ];

    /// A name for files and benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::DashLine => "dash_line",
            Pattern::GluedPageHeaders => "glued_page_headers",
            Pattern::GluedPageFooters => "glued_page_footers",
            Pattern::GluedHeadings => "glued_headings",
            Pattern::GluedRecommendationHeadings => "glued_recommendation_headings",
            Pattern::LongLine => "long_line",
            Pattern::WrappedParagraph => "wrapped_paragraph",
            Pattern::TinyParagraphs => "tiny_paragraphs",
            Pattern::Semicolons => "semicolons",
            Pattern::ListItems => "list_items",
            Pattern::GluedRecommendations => "glued_recommendations",
            Pattern::LongTitle => "long_title",
            Pattern::SectionLines => "section_lines",
            Pattern::GovernmentOf => "government_of",
        }
    }

    /// What comes before the repeated unit, the unit, and what closes the document.
    fn parts(self) -> (&'static str, &'static str, &'static str) {
        const HEADING: &str = "MALI (Tier 2)\n\n";
        match self {
            Pattern::DashLine => (HEADING, "aŠ", ".\n"),
            Pattern::GluedPageHeaders => (HEADING, "292MALIirrespective ", "end.\n"),
            Pattern::GluedPageFooters => (HEADING, "forced labor.BULGARIA113 ", "end.\n"),
            Pattern::GluedHeadings => (HEADING, "armed groups.PROSECUTIONThe ", "end.\n"),
            Pattern::GluedRecommendationHeadings => {
                (HEADING, "armed groups.RECOMMENDATIONS FOR MALIIncrease ", "end.\n")
            }
            Pattern::LongLine => (HEADING, "The Government of Mali does not fully meet the minimum standards. ", "\n"),
            Pattern::WrappedParagraph => (HEADING, "the government did not report\n", "any convictions.\n"),
            Pattern::TinyParagraphs => (HEADING, "Ok.\n\n", ""),
            Pattern::Semicolons => {
                ("MALI (Tier 2)\n\nRecommendations for Mali: ", "train officials; ", "and fund shelters.\n")
            }
            Pattern::ListItems => ("MALI (Tier 2)\n\nPRIORITIZED RECOMMENDATIONS:\n", "• Train officials.\n", ""),
            Pattern::GluedRecommendations => {
                ("MALI (Tier 2)\n\nPRIORITIZED RECOMMENDATIONS:\n", "Prosecute traffickers.", "\n")
            }
            Pattern::LongTitle => ("MALI (Tier 2) Extracted from ", "the site ", "2023 TIP Report\n\nEnd.\n"),
            Pattern::SectionLines => (HEADING, "PROSECUTION\n", "End.\n"),
            Pattern::GovernmentOf => ("", "The Government of Xanadu Yorland made ", "efforts.\n"),
        }
    }

    /// A document of about `size` bytes (never less than one unit).
    pub fn document(self, size: usize) -> Vec<u8> {
        let (head, unit, tail) = self.parts();
        let units = (size.saturating_sub(head.len() + tail.len()) / unit.len()).max(1);
        let mut text = String::with_capacity(head.len() + unit.len() * units + tail.len());
        text.push_str(head);
        for _ in 0..units {
            text.push_str(unit);
        }
        text.push_str(tail);
        text.into_bytes()
    }

    /// How many times the document of `size` bytes repeats its unit.
    pub fn units(self, size: usize) -> usize {
        let (head, unit, tail) = self.parts();
        (size.saturating_sub(head.len() + tail.len()) / unit.len()).max(1)
    }
}
