//! The shape of a narrative: banner and title lines, the country heading, and the body as
//! paragraphs and section headings.

use std::sync::LazyLock;

use regex::Regex;
use tip_model::CountryRegistry;
use tip_model::pb::SectionKind;

/// One line of the decoded text, with typographic spaces made plain (one character for one, so
/// columns stay true).
#[derive(Clone)]
pub(crate) struct Line {
    pub number: usize,
    pub text: String,
}

/// Splits decoded text into numbered lines, trailing spaces removed.
pub(crate) fn lines(text: &str) -> Vec<Line> {
    text.split('\n')
        .enumerate()
        .map(|(index, raw)| Line {
            number: index + 1,
            text: raw
                .chars()
                .map(|c| match c {
                    '\u{A0}' | '\u{2007}' | '\u{202F}' | '\u{2009}' | '\u{200A}' | '\t' | '\u{c}' => ' ',
                    '\u{200B}' | '\u{FEFF}' => ' ',
                    c => c,
                })
                .collect::<String>()
                .trim_end()
                .to_owned(),
        })
        .collect()
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

static PAREN_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<country>[^()\[\]:;.!?]{2,60}?)\s*\((?P<tier>[^()]{1,40})\)\s*(?P<rest>.*)$").unwrap()
});
static COLON_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?P<country>[^:()\[\];.!?]{2,60}?)\s*:\s*(?P<tier>(?:tier\b.{0,30}|special case|not rated))\s*$",
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
        let rest = caps.name("rest")?;
        return Some(Heading {
            country: country.as_str().trim().to_owned(),
            country_offset: country.start(),
            tier: tier.as_str().trim().to_owned(),
            tier_offset: tier.start(),
            rest: rest.as_str().trim().to_owned(),
            rest_offset: rest.start(),
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
static ANY_YEAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{4})\b").unwrap());

/// Reads an "Extracted in part from the U.S. State Dept 2023 TIP Report" title.
pub(crate) fn title_facts(title: &str) -> TitleFacts {
    if let Some(caps) = EXTRACTED.captures(title) {
        let year = caps.name("year").or_else(|| caps.name("year2"));
        return TitleFacts {
            extracted_in_part: caps.name("part").is_some(),
            publisher: caps.name("publisher").map_or(String::new(), |m| collapse_spaces(m.as_str())),
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

static RECOMMENDATIONS_FOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?P<title>recommendations\s+for\s+(?P<country>[^:]{2,60}?))\s*(?::\s*(?P<rest>.*))?$").unwrap()
});

/// Recognizes a section heading line, or a paragraph that opens with an inline
/// "Recommendations for X:" title.
fn section_heading(line: &Line, registry: &CountryRegistry) -> Option<SectionHeading> {
    let trimmed = line.text.trim();
    let bare = trimmed.trim_end_matches(':').trim();
    let kind = match bare.to_lowercase().as_str() {
        "prioritized recommendations" | "recommendations" | "priority recommendations" => {
            Some(SectionKind::Recommendations)
        }
        "prosecution" | "prosecutions" => Some(SectionKind::Prosecution),
        "protection" => Some(SectionKind::Protection),
        "prevention" => Some(SectionKind::Prevention),
        "trafficking profile" => Some(SectionKind::TraffickingProfile),
        "government efforts" => Some(SectionKind::GovernmentEfforts),
        _ => None,
    };
    if let Some(kind) = kind {
        return Some(SectionHeading { kind, title: bare.to_owned(), inline: None });
    }
    let caps = RECOMMENDATIONS_FOR.captures(trimmed)?;
    registry.resolve(caps.name("country")?.as_str())?;
    let inline = caps
        .name("rest")
        .map(|m| m.as_str().trim())
        .filter(|rest| !rest.is_empty())
        .map(|rest| Paragraph { text: collapse_spaces(rest), line: line.number });
    Some(SectionHeading {
        kind: SectionKind::Recommendations,
        title: collapse_spaces(caps.name("title")?.as_str()),
        inline,
    })
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
pub(crate) fn blocks(body: &[Line], registry: &CountryRegistry) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Paragraph> = None;
    for line in body {
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
            Some(paragraph) if !ends_sentence(&paragraph.text) && !is_bullet(text) => {
                paragraph.text.push(' ');
                paragraph.text.push_str(&collapse_spaces(text));
            }
            _ => {
                blocks.extend(current.take().map(Block::Paragraph));
                current = Some(Paragraph { text: collapse_spaces(text), line: line.number });
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
