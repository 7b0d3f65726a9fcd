//! What kind of file a document is, told from its bytes: a saved name says little (a page saved
//! as `.txt`, a PDF without an extension), the first bytes say it plainly.

use std::fmt;
use std::str::FromStr;

/// The media types the ingestion reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// A narrative as plain text.
    Text,
    /// A web page.
    Html,
    /// A PDF: one narrative or the whole annual report.
    Pdf,
}

/// How far into the file the signature may stand: PDF readers accept junk before `%PDF-`, and
/// a page may open with a byte-order mark, blank lines and comments.
const SNIFF_LEN: usize = 1024;

/// The openings of markup that a saved or fetched web page starts with, in lower case.
const MARKUP_OPENINGS: [&[u8]; 5] = [b"<!doctype html", b"<html", b"<head", b"<body", b"<meta"];

impl MediaType {
    /// The media type a hint names, or the one the bytes show when there is no hint.
    pub fn detect(bytes: &[u8], hint: Option<MediaType>) -> MediaType {
        hint.unwrap_or_else(|| MediaType::sniff(bytes))
    }

    /// The media type the first kilobyte shows: an HTML opening (after a byte-order mark, blank
    /// space, an XML declaration and comments) for a page, else `%PDF-` for a PDF, else text. The
    /// markup is looked for first: a page may quote `%PDF-` in its head, a PDF never opens with
    /// markup.
    pub fn sniff(bytes: &[u8]) -> MediaType {
        let head = &bytes[..bytes.len().min(SNIFF_LEN)];
        if opens_with_markup(&ascii_head(head)) {
            MediaType::Html
        } else if memchr::memmem::find(head, b"%PDF-").is_some() {
            MediaType::Pdf
        } else {
            MediaType::Text
        }
    }

    /// The IANA name: `text/plain`, `text/html`, `application/pdf`.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Text => "text/plain",
            MediaType::Html => "text/html",
            MediaType::Pdf => "application/pdf",
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

/// A media type name that is none of those read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown media type {0:?}: expected text/plain, text/html or application/pdf (or text, html, pdf)")]
pub struct UnknownMediaType(pub String);

impl FromStr for MediaType {
    type Err = UnknownMediaType;

    /// Reads `text/plain`, `text/html`, `application/pdf` (parameters such as `; charset=utf-8`
    /// ignored) or the short names `text`, `txt`, `html`, `htm`, `pdf`, in any case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let essence = name.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/plain" | "text" | "txt" | "plain" => Ok(MediaType::Text),
            "text/html" | "application/xhtml+xml" | "html" | "htm" | "xhtml" => Ok(MediaType::Html),
            "application/pdf" | "pdf" => Ok(MediaType::Pdf),
            _ => Err(UnknownMediaType(name.to_owned())),
        }
    }
}

/// The first bytes as ASCII in lower case, whatever the Unicode encoding form: a UTF-16 page
/// (told by its byte-order mark) keeps its ASCII characters; any other character becomes 0xFF,
/// which opens no markup.
fn ascii_head(head: &[u8]) -> Vec<u8> {
    let units: Vec<u8> = match head {
        [0xFF, 0xFE, rest @ ..] => rest.chunks_exact(2).map(|p| if p[1] == 0 { p[0] } else { 0xFF }).collect(),
        [0xFE, 0xFF, rest @ ..] => rest.chunks_exact(2).map(|p| if p[0] == 0 { p[1] } else { 0xFF }).collect(),
        _ => head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head).to_vec(),
    };
    units.to_ascii_lowercase()
}

/// Whether the text opens with HTML markup once blank space, an XML declaration and comments
/// are passed over.
fn opens_with_markup(mut text: &[u8]) -> bool {
    loop {
        text = text.trim_ascii_start();
        if MARKUP_OPENINGS.iter().any(|opening| text.starts_with(opening)) {
            return true;
        }
        let close: &[u8] = if text.starts_with(b"<!--") {
            b"-->"
        } else if text.starts_with(b"<?xml") {
            b"?>"
        } else {
            return false;
        };
        match memchr::memmem::find(text, close) {
            Some(end) => text = &text[end + close.len()..],
            // A comment longer than the sniffed head: nothing after it to go by.
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_is_told_by_its_signature() {
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), MediaType::Pdf);
        assert_eq!(MediaType::sniff(b"\r\n%PDF-1.4"), MediaType::Pdf);
    }

    #[test]
    fn a_page_is_told_by_its_opening_markup_in_any_case() {
        for page in [
            &b"<!DOCTYPE html><html><body>MALI (Tier 2)</body></html>"[..],
            b"\xEF\xBB\xBF\n  <HTML lang=en>",
            b"<head><title>Mali</title>",
            b"<body><p>x</p>",
            b"<meta charset=windows-1252><p>x",
            b"<!-- saved from url=(0045)https://www.state.gov/ -->\n<html>",
            b"<?xml version=\"1.0\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\">",
            b"<html><head><script>var magic = '%PDF-';</script>",
        ] {
            assert_eq!(MediaType::sniff(page), MediaType::Html, "{}", String::from_utf8_lossy(page));
        }
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("<html>".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(MediaType::sniff(&utf16), MediaType::Html);
    }

    #[test]
    fn a_narrative_is_text_even_when_it_mentions_markup() {
        for text in [
            &b"MALI (Tier 2)\n\nThe page <html> tag ..."[..],
            b"[ Human Trafficking, Country-by-Country ]",
            b"<!-- a comment and then words -->MALI (Tier 2)",
            b"",
            b"\xff\xfe\x00",
        ] {
            assert_eq!(MediaType::sniff(text), MediaType::Text, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn a_hint_overrides_the_bytes() {
        assert_eq!(MediaType::detect(b"<html>", Some(MediaType::Text)), MediaType::Text);
        assert_eq!(MediaType::detect(b"<html>", None), MediaType::Html);
    }

    #[test]
    fn names_and_short_names_are_read() {
        assert_eq!("text/html; charset=utf-8".parse(), Ok(MediaType::Html));
        assert_eq!("PDF".parse(), Ok(MediaType::Pdf));
        assert_eq!("text/plain".parse(), Ok(MediaType::Text));
        assert!("image/png".parse::<MediaType>().is_err());
        for media_type in [MediaType::Text, MediaType::Html, MediaType::Pdf] {
            assert_eq!(media_type.mime().parse(), Ok(media_type));
        }
    }
}
