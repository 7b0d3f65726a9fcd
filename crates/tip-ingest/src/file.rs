//! A file as a user has it: plain text, a saved web page or a PDF, to the reports it holds.

use sha2::{Digest, Sha256};

use crate::extract::{ExtractError, ExtractedNarrative, Extraction, ListedPlacement};
use crate::media::MediaType;
use crate::parse::{Hints, ParsedDocument, parse_document};
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
    let media_type = MediaType::detect(bytes, media_type);
    let (extraction, encoding) = match media_type {
        MediaType::Text => {
            let mut parsed = parse_document(bytes, hints);
            if let Some(source) = parsed.report.source.as_mut() {
                source.media_type = media_type.mime().to_owned();
            }
            return Ok(ParsedFile { media_type, parts: vec![parsed], placements: Vec::new(), notes: Vec::new() });
        }
        MediaType::Html => (html::extract(bytes)?, Some(html::encoding_name(bytes))),
        MediaType::Pdf => (pdf::extract(bytes)?, None),
    };
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
    Ok(ParsedFile { media_type, parts, placements, notes })
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
