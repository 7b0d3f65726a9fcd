//! The shape of a narrative: banner and title lines, the country heading, and the body as
//! paragraphs and section headings.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::LazyLock;

use memchr::memmem;
use regex::Regex;
use tip_model::CountryRegistry;
use tip_model::pb::SectionKind;

use crate::diagnostics::Position;

/// One line of the decoded text, with typographic spaces made plain (one character for one, so
/// columns stay true): borrowed from the text unless there were such spaces.
#[derive(Clone)]
pub(crate) struct Line<'t> {
    pub number: usize,
    pub text: Cow<'t, str>,
}

/// Whether any byte passes `test`: an OR over chunks of 64 bytes, which the compiler turns into
/// vector instructions (a `bool` fold with an early exit it leaves byte by byte).
#[inline]
pub(crate) fn any_byte(bytes: &[u8], test: impl Fn(u8) -> bool) -> bool {
    bytes.chunks(64).any(|chunk| chunk.iter().fold(0u8, |found, &b| found | u8::from(test(b))) != 0)
}

/// Whether any two neighbouring bytes pass `test`, as [`any_byte`] does.
#[inline]
pub(crate) fn any_pair(bytes: &[u8], test: impl Fn(u8, u8) -> bool) -> bool {
    let (Some(firsts), Some(seconds)) = (bytes.get(..bytes.len().saturating_sub(1)), bytes.get(1..)) else {
        return false;
    };
    firsts
        .chunks(64)
        .zip(seconds.chunks(64))
        .any(|(a, b)| a.iter().zip(b).fold(0u8, |found, (&a, &b)| found | u8::from(test(a, b))) != 0)
}

/// Splits decoded text into numbered lines, trailing spaces removed.
pub(crate) fn lines(text: &str) -> Vec<Line<'_>> {
    let special = has_special_space(text);
    // `split('\n')` with the memchr crate's vectorized search.
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]);
    let mut start = 0;
    ends.enumerate()
        .map(|(index, end)| {
            let raw = &text[start..end];
            start = end + 1;
            Line { number: index + 1, text: if special { plain_spaces(raw) } else { Cow::Borrowed(raw.trim_end()) } }
        })
        .collect()
}

/// A line with typographic spaces, tabs and form feeds as plain spaces, trailing spaces removed.
fn plain_spaces(raw: &str) -> Cow<'_, str> {
    if !has_special_space(raw) {
        return Cow::Borrowed(raw.trim_end());
    }
    let mut plain: String = raw
        .chars()
        .map(|c| match c {
            '\u{A0}' | '\u{2007}' | '\u{202F}' | '\u{2009}' | '\u{200A}' | '\t' | '\u{c}' => ' ',
            '\u{200B}' | '\u{FEFF}' => ' ',
            c => c,
        })
        .collect();
    plain.truncate(plain.trim_end().len());
    Cow::Owned(plain)
}

/// Whether a line holds a character that [`plain_spaces`] replaces: a tab, a form feed, or the
/// UTF-8 of U+00A0, U+2007, U+2009, U+200A, U+200B, U+202F or U+FEFF.
fn has_special_space(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    // A branch-free pass the compiler vectorizes, over the last bytes of those characters (rare
    // in other characters: U+2019 and U+2014 end in 0x99 and 0x94).
    // (Comparisons joined with `|`, not a `matches!`, which becomes a byte-by-byte bit test.)
    let candidate =
        |b: u8| (b == b'\t') | (b == 0x0C) | (b == 0xA0) | (b.wrapping_sub(0x87) <= 4) | (b == 0xAF) | (b == 0xBF);
    if !any_byte(bytes, candidate) {
        return false;
    }
    let mut from = 0;
    while let Some(at) = bytes[from..].iter().position(|&b| matches!(b, b'\t' | 0x0C | 0xC2 | 0xE2 | 0xEF)) {
        let i = from + at;
        let next = |k: usize| bytes.get(i + k).copied().unwrap_or(0);
        let special = match bytes[i] {
            b'\t' | 0x0C => true,
            0xC2 => next(1) == 0xA0,
            0xE2 => next(1) == 0x80 && matches!(next(2), 0x87 | 0x89 | 0x8A | 0x8B | 0xAF),
            _ => next(1) == 0xBB && next(2) == 0xBF,
        };
        if special {
            return true;
        }
        from = i + 1;
    }
    false
}

/// The country heading of a narrative, such as "MALI (Tier 2)", "TONGA: Tier 2" or
/// "SPECIAL CASE: YEMEN", with whatever follows it on the line.
pub(crate) struct Heading {
    pub country: String,
    /// Byte offset of the country in the line.
    pub country_offset: usize,
    pub tier: String,
    /// Byte offset of the tier in the line.
    pub tier_offset: usize,
    /// What follows the heading on the same line (the GVnet "Extracted ..." title).
    pub rest: String,
    pub rest_offset: usize,
}

/// The abbreviations with a period that country names contain ("St. Lucia", "ST. MAARTEN").
const ABBREVIATION: &str = r"\b(?i:st|ste)\.\s";

/// Up to the tier and the spaces after it: the rest of the line is taken from the line, not
/// captured (a pattern that ran to the end would pay for all of it).
static PAREN_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^\s*(?P<country>(?:{ABBREVIATION}|[^()\[\]:;.!?]){{2,60}}?)\s*\((?P<tier>[^()]{{1,40}})\)\s*"
    ))
    .unwrap()
});
static COLON_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        &format!(r"(?i)^\s*(?P<country>(?:{ABBREVIATION}|[^:()\[\];.!?]){{2,60}}?)\s*:\s*(?P<tier>(?:tier\b.{{0,30}}|special case|not rated))\s*$"),
    )
    .unwrap()
});
static SPECIAL_CASE_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?P<tier>special case)\s*:\s*(?P<country>[^:()]{2,60}?)\s*$").unwrap());

/// Reads a heading line; `None` when the line is not a heading.
pub(crate) fn heading(line: &str) -> Option<Heading> {
    if let Some(caps) = PAREN_HEADING.captures(line) {
        let tier = caps.name("tier")?;
        let lower = tier.as_str().to_lowercase();
        if !(lower.contains("tier")
            || lower.contains("special")
            || lower.contains("not rated")
            || lower.contains("watch"))
        {
            return None;
        }
        let country = caps.name("country")?;
        let rest_offset = caps.get(0)?.end();
        return Some(Heading {
            country: country.as_str().trim().to_owned(),
            country_offset: country.start(),
            tier: tier.as_str().trim().to_owned(),
            tier_offset: tier.start(),
            rest: line[rest_offset..].trim().to_owned(),
            rest_offset,
        });
    }
    let caps = COLON_HEADING.captures(line).or_else(|| SPECIAL_CASE_HEADING.captures(line))?;
    let (country, tier) = (caps.name("country")?, caps.name("tier")?);
    Some(Heading {
        country: country.as_str().trim().to_owned(),
        country_offset: country.start(),
        tier: tier.as_str().trim().to_owned(),
        tier_offset: tier.start(),
        rest: String::new(),
        rest_offset: line.len(),
    })
}

/// What the title that accompanies a heading says about its source.
#[derive(Default)]
pub(crate) struct TitleFacts {
    pub extracted_in_part: bool,
    pub publisher: String,
    pub year: Option<(i64, usize)>,
    /// A trailing country, as in "... 2023 TIP Report - Belarus", with its offset.
    pub country: Option<(String, usize)>,
}

static EXTRACTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)extracted\s+(?P<part>in\s+part\s+)?from\s+(?:the\s+)?(?P<publisher>.+?)\s+(?:(?P<year>\d{4})\s+(?:TIP|Trafficking in Persons)\s+Report|Trafficking\s+in\s+Persons\s+Report,?\s*(?:[A-Z][a-z]+\s+)?(?P<year2>\d{4}))(?:\s*[-–—:]\s*(?P<country>[^\]]+?))?\s*\]?\s*$",
    )
    .unwrap()
});
/// The longest publisher a title names ("U.S. State Dept", "the U.S. Department of State"),
/// with room to spare: a longer match is a heading line run on into text, which the report keeps
/// as its title line, not twice.
const MAX_PUBLISHER: usize = 120;
static ANY_YEAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{4})\b").unwrap());

/// Reads an "Extracted in part from the U.S. State Dept 2023 TIP Report" title.
pub(crate) fn title_facts(title: &str) -> TitleFacts {
    if let Some(caps) = EXTRACTED.captures(title) {
        let year = caps.name("year").or_else(|| caps.name("year2"));
        return TitleFacts {
            extracted_in_part: caps.name("part").is_some(),
            publisher: caps
                .name("publisher")
                .filter(|m| m.len() <= MAX_PUBLISHER)
                .map_or(String::new(), |m| collapse_spaces(m.as_str())),
            year: year.and_then(|m| Some((m.as_str().parse().ok()?, m.start()))),
            country: caps.name("country").map(|m| (m.as_str().trim().to_owned(), m.start())),
        };
    }
    TitleFacts {
        year: ANY_YEAR.captures(title).and_then(|c| {
            let m = c.get(1)?;
            Some((m.as_str().parse().ok()?, m.start()))
        }),
        ..TitleFacts::default()
    }
}

static PAGE_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?P<year>\d{4})\s+trafficking\s+in\s+persons\s+report\s*[:\-–—]\s*(?P<country>[^:()]{2,60}?)\s*$",
    )
    .unwrap()
});

/// A page title such as "2022 Trafficking in Persons Report: Somalia": (year, its offset,
/// country, its offset).
pub(crate) fn page_title(line: &str) -> Option<(i64, usize, String, usize)> {
    let caps = PAGE_TITLE.captures(line)?;
    let (year, country) = (caps.name("year")?, caps.name("country")?);
    Some((year.as_str().parse().ok()?, year.start(), country.as_str().to_owned(), country.start()))
}

/// A banner line that some sites print above the heading, such as
/// "[ Human Trafficking, Country-by-Country ]".
pub(crate) fn is_banner(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.starts_with('[') && trimmed.ends_with(']') && trimmed.len() < 80
}

/// A paragraph of the body: its text with runs of spaces collapsed, and where it starts.
#[derive(Clone, Debug)]
pub(crate) struct Paragraph {
    pub text: String,
    pub line: usize,
    /// Where each line joined into the paragraph starts, to place an offset of `text` back in
    /// the document. Empty for paragraphs made up in tests.
    pub spans: Vec<Span>,
    /// The characters of `text` before every block of bytes, built at the first column asked
    /// for far from a line's start: without it every column of a long line costs the line.
    chars: OnceCell<CharIndex>,
}

/// Characters before each [`CharIndex::BLOCK`] bytes of a text, so that counting the characters
/// before any offset reads one block at most.
#[derive(Clone, Debug)]
struct CharIndex(Box<[usize]>);

impl CharIndex {
    const BLOCK: usize = 256;

    fn new(text: &str) -> Self {
        let mut before = 0;
        let counts = text.as_bytes().chunks(Self::BLOCK).map(|block| {
            let at = before;
            before += count_chars(block);
            at
        });
        CharIndex(counts.collect())
    }

    /// The characters of `text` before byte `offset` (a char boundary).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let block = offset / Self::BLOCK;
        let counted = self.0.get(block).copied().unwrap_or(0);
        counted + count_chars(&text.as_bytes()[(block * Self::BLOCK).min(offset)..offset])
    }
}

/// The characters of UTF-8 bytes cut at char boundaries: the bytes that are not continuation
/// bytes (10xxxxxx).
fn count_chars(bytes: &[u8]) -> usize {
    #[cfg(test)]
    tests::BYTES_COUNTED.with(|counted| counted.set(counted.get() + bytes.len()));
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// One line's share of a paragraph: its byte offset in the paragraph's text, its line number,
/// the column of its first character in that line, and the line's length in characters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub width: usize,
}

impl Paragraph {
    pub fn new(text: String, line: usize, spans: Vec<Span>) -> Self {
        Paragraph { text, line, spans, chars: OnceCell::new() }
    }

    /// A paragraph of the text of `line` that starts at byte `start` of it, runs of spaces
    /// collapsed.
    pub fn from_line(line: &Line, start: usize) -> Self {
        let rest = line.text.get(start..).unwrap_or("");
        let first_column = line.text.get(..start).map_or(0, |prefix| prefix.chars().count()) + 1;
        let width = line.text.chars().count();
        match spacing(rest) {
            Spacing::Single => {
                // Words apart by one space each, as most lines are: the text as it is, one span.
                let span = Span { offset: 0, line: line.number, column: first_column, width };
                return Paragraph::new(rest.to_owned(), line.number, vec![span]);
            }
            Spacing::SpacesOnly => return Self::collapse_spaces(line.number, rest, first_column, width),
            Spacing::Other => {}
        }
        let mut text = String::with_capacity(rest.len());
        let mut spans = Vec::new();
        let mut previous_end = None;
        // Characters of `rest` before `counted`, counted once.
        let (mut counted, mut chars) = (0, 0);
        for word in rest.split_whitespace() {
            let at = word.as_ptr() as usize - rest.as_ptr() as usize;
            chars += rest[counted..at].chars().count();
            counted = at;
            if previous_end.is_some() {
                text.push(' ');
            }
            // A new span wherever collapsing spaces moved the text against the line.
            if previous_end.is_none_or(|end: usize| at != end + 1) {
                spans.push(Span { offset: text.len(), line: line.number, column: first_column + chars, width });
            }
            text.push_str(word);
            previous_end = Some(at + word.len());
        }
        if spans.is_empty() {
            spans.push(Span { offset: 0, line: line.number, column: first_column, width });
        }
        Paragraph::new(text, line.number, spans)
    }

    /// [`Paragraph::from_line`] for text whose only white space is ASCII spaces: runs of spaces
    /// found by the standard library's vectorized search, single-spaced stretches copied whole.
    fn collapse_spaces(line: usize, rest: &str, first_column: usize, width: usize) -> Self {
        let bytes = rest.as_bytes();
        let skip_spaces =
            |from: usize| from + bytes[from..].iter().position(|&b| b != b' ').unwrap_or(bytes.len() - from);
        let mut text = String::with_capacity(rest.len());
        let mut spans = Vec::new();
        // Characters of `rest` before `counted`, counted once.
        let (mut counted, mut chars) = (0, 0);
        let mut at = skip_spaces(0);
        while at < bytes.len() {
            // Up to the next run of two spaces or more; the words in between are one space apart.
            let end = find_double_space(&bytes[at..]).map_or(bytes.len(), |run| at + run);
            let stretch = rest[at..end].trim_end_matches(' ');
            chars += rest[counted..at].chars().count();
            counted = at;
            if !text.is_empty() {
                text.push(' ');
            }
            spans.push(Span { offset: text.len(), line, column: first_column + chars, width });
            text.push_str(stretch);
            at = skip_spaces(at + stretch.len());
        }
        if spans.is_empty() {
            spans.push(Span { offset: 0, line, column: first_column, width });
        }
        Paragraph::new(text, line, spans)
    }

    /// Joins the next line of hard-wrapped text.
    fn join(&mut self, line: &Line) {
        let next = Paragraph::from_line(line, 0);
        // The text grows: characters counted before no longer cover it.
        self.chars.take();
        self.text.push(' ');
        let offset = self.text.len();
        self.text.push_str(&next.text);
        self.spans.extend(next.spans.into_iter().map(|span| Span { offset: offset + span.offset, ..span }));
    }

    /// The line and column of a byte offset of the text. Exact before the text is cleaned; after
    /// cleaning it may drift, but it stays inside the line it names.
    pub fn position(&self, offset: usize) -> Position {
        let Some(span) = self.span_at(offset).or(self.spans.first()) else {
            return Position::line(self.line);
        };
        let (from, to) = (span.offset.min(self.text.len()), offset.min(self.text.len()));
        let chars = self.chars_between(from, to);
        let column = (span.column + chars).min(span.width + 1).max(1);
        Position::new(span.line, column)
    }

    /// The characters from byte `from` to byte `to` of the text; 0 unless both are char
    /// boundaries in order. A short stretch is counted; a long one read off the index.
    fn chars_between(&self, from: usize, to: usize) -> usize {
        const SHORT: usize = 2 * CharIndex::BLOCK;
        let Some(between) = self.text.get(from..to) else { return 0 };
        if between.len() <= SHORT {
            return count_chars(between.as_bytes());
        }
        let index = self.chars.get_or_init(|| CharIndex::new(&self.text));
        index.chars_before(&self.text, to) - index.chars_before(&self.text, from)
    }

    /// The paragraph with its text rewritten, the new text lining up with the old at `anchors`
    /// ((new offset, old offset), in order; between two anchors the text is copied unchanged or
    /// replaced as a whole): positions stay true.
    pub fn rewritten(&self, text: String, anchors: &[(usize, usize)]) -> Paragraph {
        let width_at = |old: usize| self.span_at(old).map_or(0, |s| s.width);
        let span_at = |new: usize, old: usize| {
            let at = self.position(old);
            Span { offset: new, line: at.line as usize, column: at.column as usize, width: width_at(old) }
        };
        let mut spans: Vec<Span> = anchors.iter().map(|&(new, old)| span_at(new, old)).collect();
        // The lines joined into the paragraph start where the copied text puts them.
        for span in &self.spans {
            let Some(index) = anchors.partition_point(|&(_, old)| old <= span.offset).checked_sub(1) else {
                continue;
            };
            let (new, old) = anchors[index];
            // Past the text copied from this anchor on, the line start was removed with a header.
            let copied = anchors.get(index + 1).is_none_or(|&(next_new, _)| span.offset - old <= next_new - new);
            if copied && new + (span.offset - old) <= text.len() {
                spans.push(Span { offset: new + (span.offset - old), ..*span });
            }
        }
        spans.sort_by_key(|s| s.offset);
        let line = spans.first().map_or(self.line, |s| s.line);
        Paragraph::new(text, line, spans)
    }

    /// The span an offset of the text falls in (spans are in order of offset).
    fn span_at(&self, offset: usize) -> Option<&Span> {
        self.spans.partition_point(|s| s.offset <= offset).checked_sub(1).map(|i| &self.spans[i])
    }

    /// The part of the paragraph from byte `start` to byte `end` (char boundaries), trimmed, with
    /// its spans.
    pub fn slice(&self, start: usize, end: usize) -> Paragraph {
        let raw = self.text.get(start..end).unwrap_or("");
        let start = start + (raw.len() - raw.trim_start().len());
        let text = raw.trim().to_owned();
        let first = self.position(start);
        let mut spans = vec![Span {
            offset: 0,
            line: first.line as usize,
            column: first.column as usize,
            width: self.span_at(start).map_or(0, |s| s.width),
        }];
        let (from, to) = (
            self.spans.partition_point(|s| s.offset <= start),
            self.spans.partition_point(|s| s.offset < start + text.len()),
        );
        spans.extend(self.spans[from..to.max(from)].iter().map(|s| Span { offset: s.offset - start, ..*s }));
        Paragraph::new(text, first.line as usize, spans)
    }
}

/// How a line's words are spaced.
enum Spacing {
    /// One ASCII space between words, none at either end: collapsing spaces changes nothing.
    Single,
    /// ASCII spaces only, some in runs or at an end.
    SpacesOnly,
    /// Other white space too.
    Other,
}

fn spacing(text: &str) -> Spacing {
    let bytes = text.as_bytes();
    // ASCII control characters (\t \n \x0B \x0C \r among them), in a pass the compiler
    // vectorizes.
    if any_byte(bytes, |b| b < 0x20) {
        return Spacing::Other;
    }
    if !bytes.is_ascii() {
        // The other white space characters end in one of these pairs of bytes: C2 85 (U+0085),
        // C2 A0 (U+00A0), 9A 80 (U+1680), 80 80-8A (U+2000-U+200A, U+3000), 80 A8, 80 A9, 80 AF
        // (U+2028, U+2029, U+202F), 81 9F (U+205F). U+2019 (E2 80 99) and U+2014 (E2 80 94) do
        // not.
        let candidate = |a: u8, b: u8| {
            ((a == 0xC2) & ((b == 0x85) | (b == 0xA0)))
                | ((a == 0x9A) & (b == 0x80))
                | ((a == 0x80) & ((b <= 0x8A) | (b == 0xA8) | (b == 0xA9) | (b == 0xAF)))
                | ((a == 0x81) & (b == 0x9F))
        };
        if any_pair(bytes, candidate) && text.chars().any(|c| c.is_whitespace() && c != ' ') {
            return Spacing::Other;
        }
    }
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') || find_double_space(bytes).is_some() {
        Spacing::SpacesOnly
    } else {
        Spacing::Single
    }
}

/// The byte offset of the first two spaces in a row (a vectorized search, where `str::find`
/// sets up a general substring search on every call).
fn find_double_space(bytes: &[u8]) -> Option<usize> {
    static DOUBLE_SPACE: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new("  "));
    DOUBLE_SPACE.find(bytes)
}

/// A section heading of the body, with text that follows it on the same line.
pub(crate) struct SectionHeading {
    pub kind: SectionKind,
    pub title: String,
    pub inline: Option<Paragraph>,
}

/// The body as the reader sees it: paragraphs and section headings in order.
pub(crate) enum Block {
    Paragraph(Paragraph),
    Heading(SectionHeading),
}

/// The title up to its colon or the end of the line. What follows the colon is taken from the
/// line, not captured: a pattern that ran to the end would pay for the whole paragraph.
static RECOMMENDATIONS_FOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?P<title>recommendations\s+for\s+(?P<country>[^:]{2,60}?))\s*(?::|$)").unwrap()
});

/// Recognizes a section heading line, or a paragraph that opens with an inline
/// "Recommendations for X:" title.
fn section_heading(line: &Line, registry: &CountryRegistry) -> Option<SectionHeading> {
    let trimmed = line.text.trim();
    let bare = trimmed.trim_end_matches(':').trim();
    // The longest title has 27 characters, so no more than 108 bytes: a longer line is text.
    let lower = if bare.len() <= 108 { bare.to_lowercase() } else { String::new() };
    if let Some(kind) = section_kind(&lower) {
        return Some(SectionHeading { kind, title: bare.to_owned(), inline: None });
    }
    // Most lines do not open with the word: a regex would still pay for the whole line.
    if !starts_with_word_ignore_case(trimmed, "recommendations") {
        return None;
    }
    let caps = RECOMMENDATIONS_FOR.captures(trimmed)?;
    registry.resolve(caps.name("country")?.as_str())?;
    let rest = trimmed[caps.get(0)?.end()..].trim();
    let inline = (!rest.is_empty()).then(|| Paragraph::from_line(line, line.text.len() - rest.len()));
    Some(SectionHeading {
        kind: SectionKind::Recommendations,
        title: collapse_spaces(caps.name("title")?.as_str()),
        inline,
    })
}

/// The section a title names, in lower case ("prosecution", "trafficking profile").
fn section_kind(lower: &str) -> Option<SectionKind> {
    match lower {
        "prioritized recommendations" | "recommendations" | "priority recommendations" => {
            Some(SectionKind::Recommendations)
        }
        "prosecution" | "prosecutions" => Some(SectionKind::Prosecution),
        "protection" => Some(SectionKind::Protection),
        "prevention" => Some(SectionKind::Prevention),
        "trafficking profile" => Some(SectionKind::TraffickingProfile),
        "government efforts" => Some(SectionKind::GovernmentEfforts),
        _ => None,
    }
}

/// Whether text opens with `word` (ASCII, lower case) in any case, as a case-insensitive regex
/// reads it: Unicode simple case folding also takes the long s (U+017F) for "s" and the Kelvin
/// sign (U+212A) for "k".
fn starts_with_word_ignore_case(text: &str, word: &str) -> bool {
    let mut chars = text.chars();
    word.bytes().all(|expected| {
        chars.next().is_some_and(|c| {
            c.to_ascii_lowercase() == char::from(expected)
                || (expected == b's' && c == '\u{17F}')
                || (expected == b'k' && c == '\u{212A}')
        })
    })
}

static GLUED_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:^|[.!?”"’)\]:;])\s*(?P<title>PROSECUTIONS?|PROTECTION|PREVENTION|TRAFFICKING PROFILE|GOVERNMENT EFFORTS|RECOMMENDATIONS FOR\s+(?P<country>[\p{Lu} ,.'’&()\-]+))"#,
    )
    .unwrap()
});

/// Whether [`split_glued_headings`] could find a heading: the text holds one of the titles in
/// capitals ("PR" opens PROSECUTION, PROTECTION and PREVENTION, and is in TRAFFICKING PROFILE).
pub(crate) fn may_have_glued_heading(text: &str) -> bool {
    static TITLE_WORDS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new("PR|GOVERNMENT EFFORTS|RECOMMENDATIONS FOR").unwrap());
    TITLE_WORDS.is_match(text)
}

/// A section heading that PDF extraction glued into the running text, with where it starts in
/// the document.
pub(crate) struct GluedHeading {
    pub position: Position,
    pub title: String,
}

/// Splits a paragraph where PDF text extraction ran a section heading into the text: after the
/// end of a sentence (or at the start), the heading in capitals, then the section's first word
/// ("... armed groups.PROSECUTIONThe government ...", "RECOMMENDATIONS FOR THE PHILIPPINESIncrease
/// ..."). Returns the blocks in order and, per heading, where it was.
pub(crate) fn split_glued_headings(
    paragraph: Paragraph,
    registry: &CountryRegistry,
) -> (Vec<Block>, Vec<GluedHeading>) {
    let text = paragraph.text.as_str();
    let mut cuts = Vec::new();
    for caps in GLUED_HEADING.captures_iter(text) {
        let Some(title) = caps.name("title") else { continue };
        let (title_text, rest) = match caps.name("country") {
            // The country runs into the section's first word: take the longest run of capitals
            // that names a country and leaves a capitalized word behind.
            Some(country) => {
                let opens = |end: usize| opens_word(text[country.start() + end..].trim_start());
                let Some(end) = longest_name_prefix(country.as_str(), registry, opens) else {
                    continue;
                };
                (collapse_spaces(&text[title.start()..country.start() + end]), country.start() + end)
            }
            None => (title.as_str().to_owned(), title.end()),
        };
        if !opens_word(text[rest..].trim_start()) {
            continue;
        }
        cuts.push((title.start(), rest, title_text));
    }
    if cuts.is_empty() {
        return (vec![Block::Paragraph(paragraph)], Vec::new());
    }
    let mut blocks = Vec::new();
    let mut glued = Vec::new();
    let mut last = 0;
    for (start, rest, title) in cuts {
        if start < last {
            continue;
        }
        let before = paragraph.slice(last, start);
        if !before.text.is_empty() {
            blocks.push(Block::Paragraph(before));
        }
        // The titles are the capitalized words or "RECOMMENDATIONS FOR X".
        let bare = title.to_lowercase();
        let kind = section_kind(&bare).unwrap_or(SectionKind::Recommendations);
        glued.push(GluedHeading { position: paragraph.position(start), title: title.clone() });
        blocks.push(Block::Heading(SectionHeading { kind, title, inline: None }));
        last = rest;
    }
    let after = paragraph.slice(last, paragraph.text.len());
    if !after.text.is_empty() {
        blocks.push(Block::Paragraph(after));
    }
    (blocks, glued)
}

/// Whether text opens with a capitalized word ("The", "As", "Increase").
fn opens_word(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(char::is_uppercase) && chars.next().is_some_and(|c| c.is_lowercase() || c == ' ')
}

/// The longest country name in bytes, with room to spare ("KOREA, DEMOCRATIC PEOPLE'S REPUBLIC
/// OF" has 38).
pub(crate) const MAX_NAME: usize = 64;

/// The byte length of the longest prefix of a run of capitals that names a country (four
/// letters at least, so that an acronym is not read as an ISO3 code) and whose end satisfies
/// `accept`.
pub(crate) fn longest_name_prefix(
    run: &str,
    registry: &CountryRegistry,
    accept: impl Fn(usize) -> bool,
) -> Option<usize> {
    // No country name is longer than this: a longer run costs nothing more.
    let mut cap = run.len().min(MAX_NAME);
    while !run.is_char_boundary(cap) {
        cap -= 1;
    }
    let run = &run[..cap];
    run.char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .filter(|&end| run[..end].ends_with(|c: char| c.is_uppercase()))
        .filter(|&end| run[..end].chars().filter(|c| c.is_alphabetic()).count() >= 4)
        .rev()
        .find(|&end| accept(end) && registry.resolve(&run[..end]).is_some())
}

/// Characters that open a list item (U+F0B7 is the Symbol-font bullet of Word documents).
pub(crate) const BULLETS: [char; 6] = ['•', '·', '▪', '●', '\u{F0B7}', '*'];

/// Whether a line opens a list item.
pub(crate) fn is_bullet(text: &str) -> bool {
    let trimmed = text.trim_start();
    trimmed.starts_with(BULLETS) || trimmed.starts_with("- ") || trimmed.starts_with("– ")
}

/// Groups body lines into paragraphs and headings. A blank line, a heading or a list item ends
/// a paragraph; so does a line that ends a sentence. A line that stops mid-sentence is joined
/// with the next one (hard-wrapped text).
pub(crate) fn blocks(body: &[&Line], registry: &CountryRegistry) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Paragraph> = None;
    for &line in body {
        let text = line.text.trim();
        if text.is_empty() {
            blocks.extend(current.take().map(Block::Paragraph));
            continue;
        }
        if let Some(heading) = section_heading(line, registry) {
            blocks.extend(current.take().map(Block::Paragraph));
            blocks.push(Block::Heading(heading));
            continue;
        }
        match current.as_mut() {
            Some(paragraph) if !ends_sentence(&paragraph.text) && !is_bullet(text) => paragraph.join(line),
            _ => {
                blocks.extend(current.take().map(Block::Paragraph));
                current = Some(Paragraph::from_line(line, 0));
            }
        }
    }
    blocks.extend(current.map(Block::Paragraph));
    blocks
}

/// Whether text ends where a sentence may end.
pub(crate) fn ends_sentence(text: &str) -> bool {
    text.trim_end().ends_with(['.', '!', '?', '"', '”', '’', ')', ']', ':', ';'])
}

/// Collapses runs of white space into one space and trims the ends.
pub(crate) fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// The bytes [`count_chars`] read on this thread: the work of placing columns.
        pub(super) static BYTES_COUNTED: Cell<usize> = const { Cell::new(0) };
    }

    /// A paragraph of one long line mixing one-, two- and three-byte characters.
    fn long_line(units: usize) -> (String, Paragraph) {
        let text = "aŠ b’c".repeat(units);
        let paragraph = Paragraph::from_line(&Line { number: 3, text: Cow::Borrowed(&text) }, 0);
        (text, paragraph)
    }

    #[test]
    fn places_every_offset_of_a_long_line_as_counting_from_its_start_does() {
        let (text, paragraph) = long_line(2_000);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let column = text[..offset].chars().count() + 1;
            assert_eq!(paragraph.position(offset), Position::new(3, column), "{offset}");
        }
    }

    #[test]
    fn the_work_of_placing_columns_grows_with_the_offsets_placed_not_with_the_line_squared() {
        for units in [1_000, 10_000, 100_000] {
            let (text, paragraph) = long_line(units);
            BYTES_COUNTED.with(|counted| counted.set(0));
            let offsets: Vec<usize> = text.match_indices('Š').map(|(at, _)| at).collect();
            for &offset in &offsets {
                paragraph.position(offset);
            }
            let counted = BYTES_COUNTED.with(Cell::get);
            // The index once, then at most two blocks a column (counting from the line's start
            // each time read the line squared over six).
            let bound = text.len() + offsets.len() * 2 * CharIndex::BLOCK;
            assert!(counted <= bound, "{units} units: {counted} bytes read for {} columns", offsets.len());
        }
    }

    #[test]
    fn places_offsets_in_a_joined_line_with_a_run_of_spaces() {
        let first = Line { number: 4, text: Cow::Borrowed("The government did not") };
        let second = Line { number: 5, text: Cow::Borrowed("report any  convictions in 2023.") };
        let mut paragraph = Paragraph::from_line(&first, 0);
        paragraph.join(&second);
        assert_eq!(paragraph.text, "The government did not report any convictions in 2023.");
        let at = |word: &str| paragraph.position(paragraph.text.find(word).unwrap());
        assert_eq!(at("government"), Position { line: 4, column: 5 });
        assert_eq!(at("report"), Position { line: 5, column: 1 });
        assert_eq!(at("any"), Position { line: 5, column: 8 });
        // Past the two spaces, the column of the line, not of the collapsed text.
        assert_eq!(at("convictions"), Position { line: 5, column: 13 });
        assert_eq!(at("2023"), Position { line: 5, column: 28 });
    }
}
