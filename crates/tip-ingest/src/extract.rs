//! What the front ends for web pages and PDFs hand the narrative parser: each country narrative
//! found in a file, as text in the layout the parser reads, with where in the file it was found.
//! The front ends only find and clean text; every rule about countries, tiers, sections and
//! recommendations stays in the narrative parser, so a page, a PDF and a text file of the same
//! narrative give the same report.

use std::ops::RangeInclusive;

use tip_model::pb::Tier;

/// One narrative found in a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtractedNarrative {
    /// The narrative as plain text in the parser's layout: the heading line ("MALI: TIER 2
    /// WATCH LIST", "MALI (Tier 2)"), then paragraphs separated by blank lines, each section
    /// heading ("PROSECUTION", "Prioritized Recommendations") on a line of its own, and each
    /// recommendation of a list a paragraph of its own.
    pub text: String,
    /// Where it was found.
    pub origin: Origin,
}

/// Where a narrative was found, as far as the file says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The page's `<title>`, or the PDF's document title.
    pub title: Option<String>,
    /// The page's canonical URL (`<link rel=canonical>`, `og:url`, `DC.identifier`).
    pub canonical_url: Option<String>,
    /// The publication date the file states, as written (ISO 8601 where the file gives it so).
    pub published: Option<String>,
    /// The PDF pages the narrative spans, numbered from 1 as a viewer shows them.
    pub pages: Option<RangeInclusive<u32>>,
}

/// A tier placement read from the report's own tier-placement pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedPlacement {
    /// The country as the list prints it.
    pub country_as_published: String,
    /// The tier of the list it stands in.
    pub tier: Tier,
    /// The PDF page it stands on.
    pub page: u32,
}

/// Everything a front end found in one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extraction {
    /// The country narratives, in file order.
    pub narratives: Vec<ExtractedNarrative>,
    /// Placements from the report's tier-placement pages (whole-report PDFs only).
    pub placements: Vec<ListedPlacement>,
    /// The report year the file states (a whole report's cover or running title), if any.
    pub report_year: Option<i32>,
    /// One note per part passed over (introduction, topical chapters, appendices), for the user.
    pub notes: Vec<String>,
}

/// Why a file could not be read, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ExtractError {
    /// Where it failed, as a user can find it: "byte 1234", "page 17", "line 3, column 5".
    pub location: String,
    /// What is wrong, such as "the PDF is encrypted" or "no country narrative in the page".
    pub message: String,
}
