//! A file as a user has it: plain text, a saved web page or a PDF, to the reports it holds.

use sha2::{Digest, Sha256};

use tip_model::{CountryRegistry, ReportYear};

use crate::extract::{ExtractError, ExtractedNarrative, Extraction, ListedPlacement};
use crate::media::MediaType;
use crate::parse::{Hints, ParsedDocument, parse_document};
use crate::tier_table::Placement;
use crate::{html, pdf};

/// The outcome of reading one file.
#[derive(Clone, Debug)]
pub struct ParsedFile {
    /// What the file was read as.
    pub media_type: MediaType,
    /// One parsed narrative per country narrative found, in file order; a text file has one.
    pub parts: Vec<ParsedDocument>,
    /// Placements from a whole report's tier-placement pages.
    pub placements: Vec<ListedPlacement>,
    /// One note per part of the file passed over, for the user.
    pub notes: Vec<String>,
    /// The report year the file states (a whole report's title or cover), if any.
    pub report_year: Option<i32>,
    /// Where the tier placement pages and the narratives' headings disagree, one warning each.
    pub disagreements: Vec<String>,
}

/// A placement of the tier placement pages that cannot be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedPlacement {
    /// The PDF page it stands on.
    pub page: u32,
    pub reason: String,
}

/// "page 3: rejected: unknown country \"ATLANTIS\"", as the command line and gRPC notes say it.
impl std::fmt::Display for RejectedPlacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "page {}: rejected: {}", self.page, self.reason)
    }
}

impl ParsedFile {
    /// The placements of a whole report's tier placement pages as tier placements of the year
    /// the report states, with source `report_YYYY`; a country the registry does not know, or
    /// every placement of a report that states no year, is rejected with its page.
    pub fn tier_placements(&self) -> (Vec<Placement>, Vec<RejectedPlacement>) {
        let registry = CountryRegistry::global();
        let year = self.report_year.and_then(|year| ReportYear::new(i64::from(year)).ok());
        let mut placements = Vec::new();
        let mut rejected = Vec::new();
        for listed in &self.placements {
            let reject = |reason: String| RejectedPlacement { page: listed.page, reason };
            let Some(year) = year else {
                rejected.push(reject(format!(
                    "{}: the report states no year its placements could be stored under",
                    listed.country_as_published
                )));
                continue;
            };
            let Some(country) = registry.resolve(&listed.country_as_published) else {
                rejected.push(reject(format!("unknown country \"{}\"", listed.country_as_published)));
                continue;
            };
            placements.push(Placement {
                iso3: country.iso3,
                year,
                tier: listed.tier,
                tier_as_published: tip_model::tier::tier_label(listed.tier).to_owned(),
                country_as_published: listed.country_as_published.clone(),
                source: format!("report_{year}"),
            });
        }
        (placements, rejected)
    }
}

/// Reads a file of any media type read: sniffed from the bytes unless `media_type` says.
///
/// Plain text is one narrative, read by [`parse_document`] as it stands. A web page or a PDF goes
/// through its front end, then each narrative found through [`parse_document`] with the same
/// hints (the year the file states fills a missing year hint; a country hint holds only for a
/// file of one narrative); the report's source keeps where it was found, and the hash of the
/// whole file, whose bytes are the ones kept.
///
/// # Errors
/// When the file cannot be read at all: a page with no narrative, a PDF that is encrypted,
/// truncated or without text. A narrative that can be found but not read is a part with errors.
pub fn parse_file(bytes: &[u8], hints: &Hints, media_type: Option<MediaType>) -> Result<ParsedFile, ExtractError> {
    parse_file_with_progress(bytes, hints, media_type, &mut |_, _| {})
}

/// [`parse_file`], calling `progress(page, pages)` before each page of a PDF is read.
///
/// # Errors
/// As [`parse_file`].
pub fn parse_file_with_progress(
    bytes: &[u8],
    hints: &Hints,
    media_type: Option<MediaType>,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<ParsedFile, ExtractError> {
    let media_type = MediaType::detect(bytes, media_type);
    let (extraction, encoding) = match media_type {
        MediaType::Text => {
            let mut parsed = parse_document(bytes, hints);
            if let Some(source) = parsed.report.source.as_mut() {
                source.media_type = media_type.mime().to_owned();
            }
            return Ok(ParsedFile {
                media_type,
                parts: vec![parsed],
                placements: Vec::new(),
                notes: Vec::new(),
                report_year: None,
                disagreements: Vec::new(),
            });
        }
        MediaType::Html => (html::extract(bytes)?, Some(html::encoding_name(bytes))),
        MediaType::Pdf => (pdf::extract_with_progress(bytes, progress)?, None),
    };
    let disagreements = pdf::cross_check(&extraction);
    let Extraction { narratives, placements, report_year, notes } = extraction;
    // A country hint names a file's one country; for a file of several, each heading names its own.
    let country = if narratives.len() == 1 { hints.country.clone() } else { None };
    let hints = Hints { country, year: hints.year.or(report_year.map(i64::from)), ..hints.clone() };
    let file_sha256 = tip_model::hex::to_hex(&Sha256::digest(bytes));
    let parts = narratives
        .iter()
        .enumerate()
        .map(|(part, narrative)| {
            let mut parsed = parse_document(narrative.text.as_bytes(), &hints);
            record_origin(&mut parsed, narrative, part, media_type, &file_sha256, encoding);
            parsed
        })
        .collect();
    Ok(ParsedFile { media_type, parts, placements, notes, report_year, disagreements })
}

/// Writes where a narrative was found into its report's source.
fn record_origin(
    parsed: &mut ParsedDocument,
    narrative: &ExtractedNarrative,
    part: usize,
    media_type: MediaType,
    file_sha256: &str,
    encoding: Option<&str>,
) {
    let Some(source) = parsed.report.source.as_mut() else { return };
    let origin = &narrative.origin;
    source.content_sha256 = file_sha256.to_owned();
    source.media_type = media_type.mime().to_owned();
    source.part = i32::try_from(part).unwrap_or(i32::MAX);
    source.page_title = origin.title.clone().unwrap_or_default();
    source.canonical_url = origin.canonical_url.clone().unwrap_or_default();
    source.published = origin.published.clone().unwrap_or_default();
    if let Some(pages) = &origin.pages {
        source.first_page = i32::try_from(*pages.start()).unwrap_or(i32::MAX);
        source.last_page = i32::try_from(*pages.end()).unwrap_or(i32::MAX);
    }
    if let Some(encoding) = encoding {
        source.encoding = encoding.to_owned();
    }
}

#[cfg(test)]
mod tests {
    use tip_model::pb::Tier;

    use super::*;

    fn listing(report_year: Option<i32>) -> ParsedFile {
        let listed = |country: &str, tier| ListedPlacement { country_as_published: country.to_owned(), tier, page: 3 };
        ParsedFile {
            media_type: MediaType::Pdf,
            parts: Vec::new(),
            placements: vec![listed("MALI", Tier::Tier2WatchList), listed("ATLANTIS", Tier::Tier1)],
            notes: Vec::new(),
            report_year,
            disagreements: Vec::new(),
        }
    }

    #[test]
    fn listed_placements_are_stored_under_the_report_year_and_unknown_countries_rejected() {
        let (placements, rejected) = listing(Some(2018)).tier_placements();
        assert_eq!(placements.len(), 1);
        let mali = &placements[0];
        assert_eq!((mali.iso3.as_str(), mali.year.get(), mali.tier), ("MLI", 2018, Tier::Tier2WatchList));
        assert_eq!((mali.source.as_str(), mali.country_as_published.as_str()), ("report_2018", "MALI"));
        assert_eq!(rejected, [RejectedPlacement { page: 3, reason: "unknown country \"ATLANTIS\"".to_owned() }]);
    }

    #[test]
    fn listed_placements_of_a_report_that_states_no_year_are_all_rejected() {
        let (placements, rejected) = listing(None).tier_placements();
        assert!(placements.is_empty());
        assert_eq!(rejected.len(), 2);
        assert!(rejected[0].reason.contains("states no year"), "{}", rejected[0].reason);
    }
}
