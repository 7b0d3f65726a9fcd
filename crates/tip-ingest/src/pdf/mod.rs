//! The PDF front end: the text of a one-narrative PDF or of the whole annual report, split into
//! country narratives in the layout the narrative parser reads, with the report's tier
//! placement pages read as placements.
//!
//! Built on `lopdf` (pure Rust) for the file structure, streams and content-stream tokens: on
//! the generated reports it loaded and tokenized fastest and in the least memory of the three
//! crates tried (`pdf-extract` gives text in stream order only, with the running heads glued in;
//! `pdf`, pdf-rs, leaves text decoding to the caller as lopdf does). The text itself is read here: fonts (`fonts`), the content stream's text operators (`content`),
//! the page's reading order (`page`) and the report's parts (`report`). Pages are read one at a
//! time, each dropped before the next is read.

// PDF numbers are reals: `as` turns them into character codes, widths and grid cells, saturating
// at the type's bounds and dropping the fraction, which is what these conversions want. Integer
// narrowing in this module goes through `try_from`.
#![allow(clippy::cast_possible_truncation)]

mod content;
mod fonts;
mod page;
mod report;

use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::{Dictionary, Document, Object, ObjectId};
use tip_model::CountryRegistry;

use crate::extract::{ExtractError, Extraction};
use content::{FontCache, Interpreter};

/// A page's content may decompress to no more than this (a bound against compression bombs).
const MAX_PAGE_CONTENT: usize = 64 << 20;

/// Reads a PDF: its country narratives, tier placements, report year and notes.
pub fn extract(bytes: &[u8]) -> Result<Extraction, ExtractError> {
    extract_with_progress(bytes, &mut |_, _| {})
}

/// [`extract`], calling `progress(page, pages)` before each page is read.
pub fn extract_with_progress(bytes: &[u8], progress: &mut dyn FnMut(u32, u32)) -> Result<Extraction, ExtractError> {
    // The PDF library is not ours: whatever it does on a hostile file, the caller gets an error.
    catch_unwind(AssertUnwindSafe(|| read(bytes, progress)))
        .unwrap_or_else(|_| Err(error("document", "the PDF could not be read: its structure is damaged")))
}

fn error(location: impl Into<String>, message: impl Into<String>) -> ExtractError {
    ExtractError { location: location.into(), message: message.into() }
}

fn read(bytes: &[u8], progress: &mut dyn FnMut(u32, u32)) -> Result<Extraction, ExtractError> {
    let head = &bytes[..bytes.len().min(1024)];
    if memchr::memmem::find(head, b"%PDF-").is_none() {
        return Err(error("byte 0", "not a PDF: the file does not start with %PDF-"));
    }
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    if memchr::memmem::rfind(tail, b"%%EOF").is_none() {
        return Err(error(
            format!("byte {}", bytes.len()),
            "the PDF is cut off: it does not end with %%EOF (an incomplete download or copy?)",
        ));
    }
    let doc = Document::load_mem(bytes).map_err(|e| load_error(&e, bytes))?;
    // Decrypted by the library where the user password is empty; otherwise still encrypted.
    if doc.trailer.has(b"Encrypt") && !doc.was_encrypted() || doc.is_encrypted() {
        return Err(error("trailer /Encrypt", "the PDF is encrypted with a password; save an unprotected copy"));
    }
    let pages = doc.get_pages();
    let total = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if pages.is_empty() {
        return Err(error("document", "the PDF has no pages"));
    }
    let title = info_title(&doc);
    let mut fonts = FontCache::default();
    let mut assembler = report::Assembler::new(title);
    let (mut text_pages, mut image_pages) = (0u32, 0u32);
    for (&number, &id) in &pages {
        progress(number, total);
        let content = page_content(&doc, id).map_err(|message| error(format!("page {number}"), message))?;
        let resources = page_resources(&doc, id);
        let mut interpreter = Interpreter::new(&doc, &mut fonts);
        interpreter
            .run(&content, &resources, [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], 0)
            .map_err(|e| error(format!("page {number}"), e.0))?;
        text_pages += u32::from(!interpreter.runs.is_empty());
        image_pages += u32::from(interpreter.runs.is_empty() && interpreter.has_image);
        let runs = std::mem::take(&mut interpreter.runs);
        assembler.page(number, page::blocks(runs, media_box(&doc, id)));
    }
    let all = if total == 1 { "page 1".to_owned() } else { format!("pages 1–{total}") };
    if text_pages == 0 {
        return Err(if image_pages > 0 {
            error(all, "the PDF has no text layer: its pages are images (a scan?); run OCR on it first")
        } else {
            error(all, "the PDF has no text")
        });
    }
    let extraction = assembler.finish();
    if extraction.narratives.is_empty() && extraction.placements.is_empty() {
        return Err(error(
            all,
            "no country narrative in the PDF: no heading such as \"MALI: TIER 2\", \"MALI (Tier 2)\" or \"SPECIAL CASE: YEMEN\"",
        ));
    }
    Ok(extraction)
}

/// The library's error in a user's words, with the byte offset where it gives one.
fn load_error(e: &lopdf::Error, bytes: &[u8]) -> ExtractError {
    match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => {
            error("trailer /Encrypt", "the PDF is encrypted with a password; save an unprotected copy")
        }
        lopdf::Error::InvalidOffset(offset) => error(format!("byte {offset}"), format!("the PDF is damaged: {e}")),
        _ => {
            let at =
                memchr::memmem::rfind(bytes, b"startxref").map_or("document".to_owned(), |at| format!("byte {at}"));
            error(at, format!("the PDF is damaged, its objects cannot be read: {e}"))
        }
    }
}

/// A page's content streams, decompressed and joined; a stream that cannot be decompressed is
/// an error (the library would hand back its compressed bytes as if they were content).
fn page_content(doc: &Document, id: ObjectId) -> Result<Vec<u8>, String> {
    let mut content = Vec::new();
    for stream_id in doc.get_page_contents(id) {
        let Ok(stream) = doc.get_object(stream_id).and_then(Object::as_stream) else { continue };
        let remaining = MAX_PAGE_CONTENT.saturating_sub(content.len());
        let damaged =
            |e: &dyn std::fmt::Display| format!("the page's content stream (object {}) is damaged: {e}", stream_id.0);
        let filter = stream.dict.get(b"Filter").ok();
        let data = match filter {
            None => stream.content.clone(),
            // Inflated here: the library hands back what it could of a damaged Flate stream,
            // with no error.
            Some(Object::Name(name)) if name == b"FlateDecode" && !stream.dict.has(b"DecodeParms") => {
                inflate(&stream.content, remaining).map_err(|e| damaged(&e))?
            }
            Some(_) => stream.decompressed_content_with_limit(remaining).map_err(|e| damaged(&e))?,
        };
        content.extend_from_slice(&data);
        content.push(b'\n');
    }
    Ok(content)
}

fn inflate(data: &[u8], limit: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(data).take(limit as u64 + 1).read_to_end(&mut out)?;
    if out.len() > limit {
        return Err(std::io::Error::other(format!("it inflates to more than {} MiB", limit >> 20)));
    }
    Ok(out)
}

fn resolve<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Object> {
    doc.dereference(object).ok().map(|(_, o)| o)
}

/// The resource dictionaries of a page, its own first, then those it inherits.
fn page_resources(doc: &Document, id: ObjectId) -> Vec<&Dictionary> {
    let Ok((own, inherited)) = doc.get_page_resources(id) else { return Vec::new() };
    own.into_iter().chain(inherited.into_iter().filter_map(|id| doc.get_dictionary(id).ok())).collect()
}

/// The page's MediaBox, inherited from the page tree if need be; US Letter if none is given.
fn media_box(doc: &Document, id: ObjectId) -> [f32; 4] {
    let mut node = doc.get_dictionary(id).ok();
    for _ in 0..32 {
        let Some(dict) = node else { break };
        if let Some(Object::Array(values)) = dict.get(b"MediaBox").ok().and_then(|o| resolve(doc, o))
            && values.len() == 4
        {
            let mut numbers = [0.0f32; 4];
            for (slot, value) in numbers.iter_mut().zip(values) {
                *slot = resolve(doc, value).and_then(|v| v.as_float().ok()).unwrap_or(0.0);
            }
            let [x0, y0, x1, y1] = numbers;
            return [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)];
        }
        node = dict.get(b"Parent").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_dict().ok());
    }
    [0.0, 0.0, 612.0, 792.0]
}

/// The document title of the Info dictionary.
fn info_title(doc: &Document) -> Option<String> {
    let info = doc.trailer.get(b"Info").ok().and_then(|o| resolve(doc, o))?.as_dict().ok()?;
    let title = resolve(doc, info.get(b"Title").ok()?)?;
    let Object::String(bytes, _) = title else { return None };
    let text = match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => String::from_utf16_lossy(
            &utf16
                .chunks(2)
                .map(|p| u16::from(p[0]) << 8 | u16::from(p.get(1).copied().unwrap_or(0)))
                .collect::<Vec<_>>(),
        ),
        None => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Disagreements between the tier placement pages and the narratives' headings, one warning
/// each: a country placed on a tier its narrative's heading does not give it, or a narrative
/// of a country the pages do not list.
pub fn cross_check(extraction: &Extraction) -> Vec<String> {
    if extraction.placements.is_empty() {
        return Vec::new();
    }
    let registry = CountryRegistry::global();
    let listed: std::collections::HashMap<_, _> = extraction
        .placements
        .iter()
        .filter_map(|p| Some((registry.resolve(&p.country_as_published)?.iso3, p)))
        .collect();
    let mut warnings = Vec::new();
    for narrative in &extraction.narratives {
        let heading = narrative.text.lines().next().unwrap_or_default();
        let Some(parsed) = crate::layout::heading(heading) else { continue };
        let (Some(country), Some(tier)) = (registry.resolve(&parsed.country), tip_model::parse_tier(&parsed.tier))
        else {
            continue;
        };
        let pages = narrative.origin.pages.as_ref().map_or(String::new(), |p| format!(" (page {})", p.start()));
        match listed.get(&country.iso3) {
            Some(placement) if placement.tier != tier => warnings.push(format!(
                "\"{heading}\"{pages} disagrees with the tier placement pages, which list {} under {} (page {})",
                placement.country_as_published,
                tip_model::tier::tier_label(placement.tier),
                placement.page
            )),
            Some(_) => {}
            None => warnings.push(format!("\"{heading}\"{pages}: the tier placement pages do not list this country")),
        }
    }
    warnings
}
