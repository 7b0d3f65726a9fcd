//! Document bytes to a `Report`: decoding, heading, body, verdict sentences, recommendations,
//! completeness, and every problem on the way with its line and column.

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};
use tip_model::pb::{
    Completeness, Recommendation, Report, Section, SectionKind, Source, StandardsFinding, Tier, TierChange,
};
use tip_model::tier::tier_label;
use tip_model::{Country, CountryRegistry, ReportName, ReportYear, parse_tier};

use crate::decode::{Encoding, decode};
use crate::diagnostics::{Diagnostics, Position, TextPositions};
use crate::layout::{self, Block, Line, Paragraph};
use crate::{recommendations, statements};

/// What the caller knows of a document beyond its bytes. A hint fills what the text does not
/// say; a hint that contradicts the text is reported as a warning and the text wins.
#[derive(Clone, Debug, Default)]
pub struct Hints {
    /// Country name, alias or ISO3 code.
    pub country: Option<String>,
    /// Report year.
    pub year: Option<i64>,
    /// Where the document came from.
    pub source_uri: Option<String>,
}

impl Hints {
    /// Hints from a file name such as `MALI_2017_refworld.txt` or `mali-2023.txt`: the first
    /// four-digit report year, and the first, longest run of words (up to four) that names a
    /// country.
    /// The path also becomes the source URI.
    pub fn from_path(path: &std::path::Path) -> Self {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let words: Vec<&str> = stem.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let year = words.iter().filter(|w| w.len() == 4).find_map(|w| ReportYear::new(w.parse().ok()?).ok());
        let registry = CountryRegistry::global();
        let country = (0..words.len())
            .flat_map(|start| (1..=4).rev().map(move |len| (start, len)))
            .filter(|(start, len)| start + len <= words.len())
            .find_map(|(start, len)| {
                let candidate = words[start..start + len].join(" ");
                // Short words ("us", "tip", "pdf") are too often not country names.
                let plausible = candidate.len() >= 4 && !candidate.chars().all(|c| c.is_ascii_digit());
                plausible.then(|| registry.resolve(&candidate)).flatten().map(|c| c.iso3.to_string())
            });
        Self { country, year: year.map(|y| i64::from(y.get())), source_uri: Some(path.display().to_string()) }
    }
}

/// The outcome of reading one document.
#[derive(Clone, Debug)]
pub struct ParsedDocument {
    /// The report as far as it could be read; `name` is set only when country and year are known.
    pub report: Report,
    /// Errors (the document must not be stored) and warnings (stored with the report).
    pub diagnostics: Diagnostics,
    /// The encoding detected.
    pub encoding: Encoding,
}

impl ParsedDocument {
    /// Whether the document can be stored: it has no errors.
    pub fn is_ok(&self) -> bool {
        self.diagnostics.errors.is_empty()
    }

    /// The name to store the report under; `None` when the document cannot be stored: it has
    /// errors, or does not say its country and year.
    pub fn storable_name(&self) -> Option<ReportName> {
        ReportName::parse(&self.report.name).ok().filter(|_| self.is_ok())
    }
}

/// Reads a country narrative. Never panics: whatever the bytes, the result is a report, possibly
/// empty, with diagnostics saying what is missing.
pub fn parse_document(bytes: &[u8], hints: &Hints) -> ParsedDocument {
    let registry = CountryRegistry::global();
    let decoded = decode(bytes);
    let mut diagnostics = Diagnostics::default();
    let mut positions = TextPositions::new(&decoded.text);
    for (offset, message) in &decoded.errors {
        diagnostics.error(positions.at(*offset), "encoding", message.clone());
    }
    for (offset, message) in &decoded.warnings {
        diagnostics.warn(positions.at(*offset), "encoding", message.clone());
    }
    let mut report = Report {
        source: Some(Source {
            uri: hints.source_uri.clone().unwrap_or_default(),
            encoding: decoded.encoding.to_string(),
            content_sha256: tip_model::hex::to_hex(&Sha256::digest(bytes)),
            ..Source::default()
        }),
        ..Report::default()
    };
    if !diagnostics.errors.is_empty() {
        diagnostics.finish();
        return ParsedDocument { report, diagnostics, encoding: decoded.encoding };
    }
    if decoded.text.trim().is_empty() {
        diagnostics.error(Position::DOCUMENT, "empty", "the document is empty");
        diagnostics.finish();
        return ParsedDocument { report, diagnostics, encoding: decoded.encoding };
    }

    let lines = layout::lines(&decoded.text);
    let mut reader = Reader { registry, diagnostics, report: &mut report, last_paragraph: None };
    reader.read(&lines, hints);
    let mut diagnostics = reader.diagnostics;
    diagnostics.finish();
    if let Some(source) = report.source.as_mut() {
        source.title_line = source.title_line.trim().to_owned();
    }
    report.warnings = diagnostics.warnings.clone();
    report.enforcement = Some(crate::enforcement::extract(&report));
    ParsedDocument { report, diagnostics, encoding: decoded.encoding }
}

/// What the heading and title lines establish.
#[derive(Default)]
struct Header {
    country: Option<(&'static Country, Position)>,
    year: Option<(i64, Position)>,
    tier: Option<(Tier, Position)>,
}

struct Reader<'a> {
    registry: &'static CountryRegistry,
    diagnostics: Diagnostics,
    report: &'a mut Report,
    /// The body's last paragraph once cleaned, when the body ends with one: page furniture
    /// glued to the end ("... in 2017.367ST. LUCIA") does not make a text cut off.
    last_paragraph: Option<String>,
}

impl Reader<'_> {
    fn read(&mut self, lines: &[Line], hints: &Hints) {
        let (header, continued, rest) = self.header(lines);
        let body: Vec<&Line> = continued.iter().chain(&lines[rest..]).collect();
        let blocks = layout::blocks(&body, self.registry);
        self.body(blocks);
        let whole = self.whole_text();
        // The opening paragraphs, joined as `whole` joins them: its beginning.
        let opening = &self.report.paragraphs;
        let intro = &whole[..opening.iter().map(String::len).sum::<usize>() + opening.len().saturating_sub(1)];

        let country = self.settle_country(header.country, &whole, hints);
        self.settle_tier(header.tier, &whole);
        let year = self.settle_year(header.year, hints, country);
        self.report.finding = statements::finding(if intro.is_empty() { &whole } else { intro })
            .unwrap_or(StandardsFinding::Unspecified) as i32;
        self.report.downgrade_waived = statements::downgrade_waived(if intro.is_empty() { &whole } else { intro });
        self.settle_completeness(lines, year.map(ReportYear::get));

        if let Some(country) = country {
            self.report.country = tip_model::names::country_name(country.iso3);
        }
        if let Some(year) = year {
            self.report.year = year.get();
        }
        if let (Some(country), Some(year)) = (country, year) {
            self.report.name = ReportName { country: country.iso3, year }.to_string();
        }
    }

    fn source(&mut self) -> &mut Source {
        self.report.source.get_or_insert_with(Source::default)
    }

    /// Reads banner, page title and heading lines; returns what they say and the body: the rest
    /// of a heading split over two lines, if any, then the lines from an index on.
    fn header<'t>(&mut self, lines: &[Line<'t>]) -> (Header, Option<Line<'t>>, usize) {
        let mut header = Header::default();
        let mut index = 0;
        let skip_blank = |index: &mut usize| {
            while lines.get(*index).is_some_and(|l| l.text.trim().is_empty()) {
                *index += 1;
            }
        };
        skip_blank(&mut index);
        while lines.get(index).is_some_and(|l| layout::is_banner(&l.text)) {
            index += 1;
            skip_blank(&mut index);
        }
        let mut title_lines = Vec::new();
        if let Some(line) = lines.get(index)
            && let Some((year, year_offset, country, country_offset)) = layout::page_title(&line.text)
        {
            header.year = Some((year, Position::in_line(line.number, &line.text, year_offset)));
            header.country = self.country_at(&country, line, country_offset);
            title_lines.push(line.text.clone());
            index += 1;
            skip_blank(&mut index);
        }
        let heading = lines.get(index).and_then(|line| Some((line, layout::heading(&line.text)?)));
        let mut continued = None;
        if let Some((line, heading)) = heading {
            index += 1;
            title_lines.push(line.text.clone());
            self.heading(line, &heading, &mut header);
            // A PDF heading split over two lines: "MALI: TIER 2", then "WATCH LIST ..." on the
            // next line with text (blank lines between, if any).
            let mut next_text = index;
            skip_blank(&mut next_text);
            if let (Some((Tier::Tier2, _)), Some(next)) = (header.tier, lines.get(next_text))
                && let Some(rest) = strip_prefix_ignore_case(next.text.trim_start(), "watch list")
                && !rest.trim_start().starts_with(char::is_lowercase)
            {
                index = next_text;
                header.tier = header.tier.map(|(_, at)| (Tier::Tier2WatchList, at));
                self.diagnostics.warn(
                    Position::line(next.number),
                    "split-heading",
                    "the heading continues on this line (\"WATCH LIST\"): read as Tier 2 Watch List",
                );
                // The words left of the text become spaces, so that columns stay true.
                let lead = next.text.len() - rest.len();
                let text = format!("{}{rest}", " ".repeat(next.text[..lead].chars().count()));
                continued = Some(Line { number: next.number, text: text.into() });
                index += 1;
            }
        }
        self.source().title_line = title_lines.join("\n");
        (header, continued, index.min(lines.len()))
    }

    /// Reads the country heading and the title that may follow it on the same line.
    fn heading(&mut self, line: &Line, heading: &layout::Heading, header: &mut Header) {
        let heading_country = self.country_at(&heading.country, line, heading.country_offset);
        if let (Some((page, _)), Some((country, at))) = (header.country, heading_country)
            && page.iso3 != country.iso3
        {
            self.diagnostics.warn(
                at,
                "country-conflict",
                format!("the heading names {} but the page title {}", country.display_name, page.display_name),
            );
        }
        header.country = header.country.or(heading_country);

        let tier_at = Position::in_line(line.number, &line.text, heading.tier_offset);
        match parse_tier(&heading.tier) {
            Some(tier) => header.tier = Some((tier, tier_at)),
            None => self.diagnostics.error(
                tier_at,
                "tier",
                format!("the heading's tier {:?} is not a tier: expected Tier 1, Tier 2, Tier 2 Watch List, Tier 3 or Special Case", heading.tier),
            ),
        }

        let facts = layout::title_facts(&heading.rest);
        if let Some((year, offset)) = facts.year {
            header.year = Some((year, Position::in_line(line.number, &line.text, heading.rest_offset + offset)));
        }
        if let Some((name, offset)) = &facts.country
            && let Some(named) = self.registry.resolve(name)
            && let Some((heading_country, _)) = header.country
            && named.iso3 != heading_country.iso3
        {
            let at = Position::in_line(line.number, &line.text, heading.rest_offset + offset);
            self.diagnostics.warn(
                at,
                "country-conflict",
                format!(
                    "the title ends with {} but the heading names {}",
                    named.display_name, heading_country.display_name
                ),
            );
        }
        let source = self.source();
        source.extracted_in_part = facts.extracted_in_part;
        source.publisher = facts.publisher;
    }

    /// Resolves a country named in a heading; an unknown name is an error at its place.
    fn country_at(&mut self, name: &str, line: &Line, offset: usize) -> Option<(&'static Country, Position)> {
        let at = Position::in_line(line.number, &line.text, offset);
        match self.registry.resolve(name) {
            Some(country) => Some((country, at)),
            None => {
                self.diagnostics.error(
                    at,
                    "country",
                    format!("{name:?} is not a country or territory the TIP Report ranks"),
                );
                None
            }
        }
    }

    /// Sorts body blocks into opening paragraphs and titled sections, and reads recommendations.
    fn body(&mut self, blocks: Vec<Block>) {
        let mut opening = Vec::new();
        let mut sections: Vec<(Section, Vec<Paragraph>)> = Vec::new();
        // A title inline with its text ("Recommendations for Iceland: a; b; and c.") heads that
        // one paragraph only; the untitled paragraphs after it stand under no heading.
        let mut open_section = false;
        let blocks: Vec<Block> = blocks
            .into_iter()
            .flat_map(|block| match block {
                Block::Paragraph(paragraph) => self.clean_and_split(paragraph),
                heading => vec![heading],
            })
            .collect();
        self.last_paragraph = match blocks.last() {
            Some(Block::Paragraph(paragraph)) => Some(paragraph.text.clone()),
            _ => None,
        };
        for block in blocks {
            match block {
                Block::Heading(heading) => {
                    open_section = heading.inline.is_none();
                    let section = Section { kind: heading.kind as i32, title: heading.title, paragraphs: Vec::new() };
                    let inline = heading.inline.map(|p| self.clean(p));
                    sections.push((section, inline.into_iter().collect()));
                }
                Block::Paragraph(paragraph) => match sections.last_mut() {
                    Some((_, paragraphs)) if open_section => paragraphs.push(paragraph),
                    _ => opening.push(paragraph),
                },
            }
        }
        if !sections.iter().any(|(s, _)| s.kind == SectionKind::Recommendations as i32)
            && let Some(headless) = self.headless_recommendations(&mut opening)
        {
            sections.insert(0, headless);
        }
        self.report.paragraphs = opening.into_iter().map(|p| p.text).collect();
        let mut recommendations = Vec::new();
        let last_section = sections.len().saturating_sub(1);
        for (index, (section, paragraphs)) in sections.iter_mut().enumerate() {
            if section.kind == SectionKind::Recommendations as i32 {
                let mut items = recommendations::split(paragraphs);
                // The document's last words, cut off mid-sentence: not a recommendation one can
                // act on or compare. The section keeps the text.
                if index == last_section && paragraphs.last().is_some_and(|p| !layout::ends_sentence(&p.text)) {
                    let line = paragraphs.last().map_or(0, |p| p.line);
                    self.diagnostics.warn(
                        Position::line(line),
                        "recommendation-cut-off",
                        "the last recommendation is cut off: left out of the recommendations, kept in the section's text",
                    );
                    items.pop();
                }
                let line = paragraphs.first().map_or(0, |p| p.line);
                recommendations.extend(items.into_iter().map(|item| (item, line)));
            }
            section.paragraphs = std::mem::take(paragraphs).into_iter().map(|p| p.text).collect();
        }
        if let Some((count, line)) = recommendations::cap(&mut recommendations) {
            self.diagnostics.warn(
                Position::line(line),
                "recommendations-capped",
                format!(
                    "kept the first {} recommendations ({} and {} KiB at most): {count} more left out of the recommendations, kept in the sections' text",
                    recommendations.len(),
                    recommendations::MAX_RECOMMENDATIONS,
                    recommendations::MAX_RECOMMENDATION_BYTES / 1024
                ),
            );
        }
        self.report.sections = sections.into_iter().map(|(section, _)| section).collect();
        self.report.recommendations = recommendations.into_iter().map(|(text, _)| Recommendation { text }).collect();
    }

    /// State.gov pages lose the "Prioritized Recommendations" heading: a closing run of
    /// paragraphs that each open with an imperative verb, after the opening paragraphs, is read as
    /// the recommendations.
    fn headless_recommendations(&mut self, opening: &mut Vec<Paragraph>) -> Option<(Section, Vec<Paragraph>)> {
        let run = opening.iter().skip(1).rev().take_while(|p| opens_with_imperative(&p.text)).count();
        if run == 0 {
            return None;
        }
        let items = opening.split_off(opening.len() - run);
        self.diagnostics.warn(
            Position::line(items[0].line),
            "recommendations-without-heading",
            "paragraphs of imperative sentences follow the summary without a heading: read as the recommendations",
        );
        let section =
            Section { kind: SectionKind::Recommendations as i32, title: String::new(), paragraphs: Vec::new() };
        Some((section, items))
    }

    /// Undoes the artifacts of PDF text extraction where the rule is clear, warning each time.
    fn clean(&mut self, paragraph: Paragraph) -> Paragraph {
        if !may_have_pdf_artifacts(&paragraph.text) {
            return paragraph;
        }
        let cleaned = clean_pdf_artifacts(&paragraph.text, self.registry);
        for (offset, message) in cleaned.fixes {
            self.diagnostics.warn(paragraph.position(offset), "pdf-artifact", message);
        }
        paragraph.rewritten(cleaned.text, &cleaned.anchors)
    }

    /// Cleans a paragraph and splits it where PDF extraction glued section headings into it.
    fn clean_and_split(&mut self, paragraph: Paragraph) -> Vec<Block> {
        let paragraph = self.clean(paragraph);
        if !layout::may_have_glued_heading(&paragraph.text) {
            return vec![Block::Paragraph(paragraph)];
        }
        let (blocks, glued) = layout::split_glued_headings(paragraph, self.registry);
        for heading in glued {
            self.diagnostics.warn(
                heading.position,
                "glued-heading",
                format!("the section heading {:?} is glued into the text: read as a heading", heading.title),
            );
        }
        blocks
    }

    /// The opening paragraphs and every section, as one text for sentence searches.
    fn whole_text(&self) -> String {
        let sections = self.report.sections.iter().flat_map(|s| s.paragraphs.iter());
        self.report.paragraphs.iter().chain(sections).map(String::as_str).collect::<Vec<_>>().join("\n")
    }

    fn settle_country(
        &mut self,
        from_header: Option<(&'static Country, Position)>,
        text: &str,
        hints: &Hints,
    ) -> Option<&'static Country> {
        let hinted = match hints.country.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            Some(hint) => match self.registry.resolve(hint) {
                Some(country) => Some(country),
                None => {
                    self.diagnostics.error(
                        Position::DOCUMENT,
                        "hint-country",
                        format!("the country hint {} is not a country or territory the TIP Report ranks", quoted(hint)),
                    );
                    None
                }
            },
            None => None,
        };
        let from_text = from_header.map(|(country, at)| (country, at, "the heading")).or_else(|| {
            statements::subject_country(text, self.registry)
                .map(|(country, _)| (country, Position::DOCUMENT, "the text"))
        });
        match (from_text, hinted) {
            (Some((country, at, origin)), Some(hint)) if hint.iso3 != country.iso3 => {
                self.diagnostics.warn(
                    at,
                    "hint-conflict",
                    format!(
                        "the country hint says {} but {origin} says {}: kept {}",
                        hint.display_name, country.display_name, country.display_name
                    ),
                );
                Some(country)
            }
            (Some((country, _, _)), _) => Some(country),
            (None, Some(hint)) => Some(hint),
            (None, None) => {
                if !self.diagnostics.has_error("country") {
                    self.diagnostics.error(Position::DOCUMENT, "no-country", "the document names no country: no heading such as \"MALI (Tier 2)\" and no sentence such as \"The Government of Mali ...\"; give a country hint");
                }
                None
            }
        }
    }

    /// The title's year wins over a hint, unless the bundled tier table shows the title wrong:
    /// it places the country on another tier that year than the text states, and the hint's year
    /// does not contradict the text (GVnet pages carry stale year labels).
    fn settle_year(
        &mut self,
        from_header: Option<(i64, Position)>,
        hints: &Hints,
        country: Option<&'static Country>,
    ) -> Option<ReportYear> {
        let hinted = hints.year.and_then(|year| match ReportYear::new(year) {
            Ok(year) => Some(year),
            Err(e) => {
                self.diagnostics.error(Position::DOCUMENT, "hint-year", format!("the year hint: {e}"));
                None
            }
        });
        let stated = from_header.and_then(|(year, at)| match ReportYear::new(year) {
            Ok(year) => Some((year, at)),
            Err(e) => {
                self.diagnostics.error(at, "year", e.to_string());
                None
            }
        });
        let tier = self.report.tier();
        let placed = |year: ReportYear| {
            let placements = crate::tier_table::bundled_placements();
            country.and_then(|c| placements.get(&(c.iso3, year)).copied())
        };
        let contradicts = |year: ReportYear| tier != Tier::Unspecified && placed(year).is_some_and(|t| t != tier);
        if let Some((year, at)) = stated
            && contradicts(year)
        {
            let table = placed(year).map_or("", tier_label);
            let name = country.map_or("", |c| c.display_name.as_str());
            let message = format!(
                "the title says {year}, but the tier table places {name} on {table} in {year} while this text says {}",
                tier_label(tier)
            );
            let better = match hinted {
                Some(hint) if hint != year && !contradicts(hint) => Some((hint, format!("kept the hint's {hint}"))),
                _ => self
                    .year_of_stated_change(year, placed)
                    .map(|later| (later, format!("kept {later}, the year the table places it so"))),
            };
            if let Some((better, why)) = better {
                self.diagnostics.warn(at, "year-conflict", format!("{message}: {why}"));
                return Some(better);
            }
            self.diagnostics.warn(at, "year-conflict", format!("{message}: the title's year may be wrong"));
        }
        match (stated, hinted) {
            (Some((year, at)), Some(hint)) if hint != year => {
                self.diagnostics.warn(
                    at,
                    "hint-conflict",
                    format!("the year hint says {hint} but the title says {year}: kept {year}"),
                );
                Some(year)
            }
            (Some((year, _)), _) => Some(year),
            (None, Some(hint)) => Some(hint),
            (None, None) => {
                if from_header.is_none() {
                    self.diagnostics.error(Position::DOCUMENT, "no-year", "the document states no report year (no title such as \"... 2023 TIP Report\"); give a year hint");
                }
                None
            }
        }
    }

    /// A stale title's true year: GVnet keeps a page's old year label when it puts up the next
    /// report, so the text may be one or two years newer than its title. The first of those years
    /// in which the table places the country on the text's tier, and, where the text states an
    /// upgrade or downgrade, on another tier the year before.
    fn year_of_stated_change(
        &self,
        title: ReportYear,
        placed: impl Fn(ReportYear) -> Option<Tier>,
    ) -> Option<ReportYear> {
        const STALE_YEARS: i64 = 2;
        let tier = self.report.tier();
        let changed = matches!(self.report.tier_change(), TierChange::Upgraded | TierChange::Downgraded);
        (1..=STALE_YEARS).filter_map(|n| ReportYear::new(i64::from(title.get()) + n).ok()).find(|&year| {
            let before = ReportYear::new(i64::from(year.get()) - 1).ok().and_then(&placed);
            placed(year) == Some(tier) && (!changed || before.is_some_and(|b| b != tier))
        })
    }

    /// The heading's tier wins over the text's; the text's fills a missing heading.
    fn settle_tier(&mut self, from_heading: Option<(Tier, Position)>, text: &str) {
        let stated = statements::tier_statement(text);
        if let Some(statement) = stated {
            self.report.tier_change = statement.change as i32;
        }
        let tier = match (from_heading, stated) {
            (Some((heading, at)), Some(statement)) if statement.tier != heading => {
                self.diagnostics.warn(
                    at,
                    "tier-conflict",
                    format!(
                        "the heading says {} but the text says {}: kept the heading's {}",
                        tier_label(heading),
                        tier_label(statement.tier),
                        tier_label(heading)
                    ),
                );
                heading
            }
            (Some((heading, _)), _) => heading,
            (None, Some(statement)) => statement.tier,
            (None, None) => Tier::Unspecified,
        };
        self.report.tier = tier as i32;
    }

    fn settle_completeness(&mut self, lines: &[Line], year: Option<i32>) {
        let last = lines.iter().rev().find(|l| !l.text.trim().is_empty());
        let completeness = match last {
            Some(line) if !layout::ends_sentence(self.last_paragraph.as_deref().unwrap_or(&line.text)) => {
                let at = Position::new(line.number, line.text.chars().count());
                self.diagnostics.warn(at, "truncated", "the text stops in the middle of a sentence: it looks cut off");
                Completeness::Truncated
            }
            _ => {
                let has = |kind: SectionKind| self.report.sections.iter().any(|s| s.kind == kind as i32);
                let all_sections = has(SectionKind::TraffickingProfile)
                    || (has(SectionKind::Prosecution) && has(SectionKind::Protection) && has(SectionKind::Prevention));
                let extracted = self.report.source.as_ref().is_some_and(|s| s.extracted_in_part);
                // Narratives had no titled sections before the 2005 report.
                if !extracted && (all_sections || year.is_some_and(|y| y < 2005)) {
                    Completeness::Complete
                } else {
                    Completeness::Excerpt
                }
            }
        };
        self.report.completeness = completeness as i32;
    }
}

/// Text quoted in a message, its first 80 characters at most: a message stays short whatever
/// the input (the longest page header, "CENTRAL AFRICAN REPUBLIC133134CENTRAL AFRICAN REPUBLIC",
/// has 54).
fn quoted(text: &str) -> String {
    const SHOWN: usize = 80;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
    }
}

fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// Verbs that open recommendations ("Vigorously investigate ...", "Amend ...").
const IMPERATIVES: &[&str] = &[
    "adopt",
    "allocate",
    "amend",
    "approve",
    "increase",
    "implement",
    "improve",
    "investigate",
    "institutionalize",
    "cease",
    "conduct",
    "continue",
    "coordinate",
    "create",
    "criminalize",
    "dedicate",
    "develop",
    "draft",
    "empower",
    "enact",
    "encourage",
    "enforce",
    "ensure",
    "establish",
    "expand",
    "finalize",
    "formalize",
    "fund",
    "hold",
    "identify",
    "provide",
    "prosecute",
    "proactively",
    "protect",
    "raise",
    "refer",
    "reduce",
    "screen",
    "seek",
    "strengthen",
    "take",
    "train",
    "undertake",
    "update",
    "use",
    "vigorously",
    "work",
    "make",
    "pass",
    "allow",
    "consistently",
    "systematically",
    "significantly",
    "monitor",
    "prevent",
    "prohibit",
    "publish",
    "regulate",
    "designate",
    "disseminate",
    "eliminate",
    "end",
    "extend",
    "facilitate",
    "issue",
    "enhance",
    "respect",
];

fn opens_with_imperative(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("");
    first.chars().next().is_some_and(char::is_uppercase) && IMPERATIVES.contains(&first.to_lowercase().as_str())
}

/// A page number, then the running header (the country in capitals) of the page it starts.
static NUMBER_THEN_HEADER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{1,4}(?P<run>\p{Lu}[\p{Lu} ,.'’&()-]*)").unwrap());
/// The running footer of the page that ends (the country in capitals), then its number (or the
/// numbers of two pages), after a word boundary.
static FOOTER_THEN_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[\s.!?;:,)”"’])(?P<run>\p{Lu}[\p{Lu} ,.'’&()-]*\p{Lu})(?P<number>\d{1,8})(?:$|\D)"#).unwrap()
});

/// Whether [`clean_pdf_artifacts`] could change anything: the text holds "Š", "ﬁ" or "ﬂ", or a
/// digit next to a capital letter (every page number glued to a running header or footer, in
/// either order). When not, the text is clean as it is.
fn may_have_pdf_artifacts(text: &str) -> bool {
    let bytes = text.as_bytes();
    // "Š" is C5 A0, "ﬁ" and "ﬂ" EF AC 81 and EF AC 82.
    if layout::any_byte(bytes, |b| (b == 0xC5) | (b == 0xEF))
        && (text.contains('Š') || text.contains('ﬁ') || text.contains('ﬂ'))
    {
        return true;
    }
    // A digit next to a capital, over pairs of bytes in a pass the compiler vectorizes. Between
    // two ASCII characters the pair says it all; where a character is not ASCII (a byte from
    // 0x80 on, a lead byte from 0xC0 on) the pair is only a candidate, checked below: its ASCII
    // neighbour is a digit or a capital, or both are not ASCII.
    let (digit, upper) = (|b: u8| b.is_ascii_digit(), |b: u8| b.is_ascii_uppercase());
    let candidate = layout::any_pair(bytes, |a, b| {
        (digit(a) & upper(b))
            | (upper(a) & digit(b))
            | ((digit(a) | upper(a)) & (b >= 0xC0))
            | ((a >= 0x80) & (digit(b) | upper(b) | (b >= 0xC0)))
    });
    if !candidate {
        return false;
    }
    // Unicode digits (the patterns' \d) are numeric, capitals (\p{Lu}) are upper case.
    let mut previous = ' ';
    for c in text.chars() {
        if (previous.is_numeric() && c.is_uppercase()) || (previous.is_uppercase() && c.is_numeric()) {
            return true;
        }
        previous = c;
    }
    false
}

/// The byte ranges of running headers and footers glued into the text by PDF extraction: the
/// page number then the country ("292MALIirrespective", "91BANGLADESHThe", "229IRAN" at the
/// end, "327NIGERIAANLTPTIM"), or the country then the page number ("labor.BULGARIA113",
/// "investigations BRAZIL108under", "CENTRAL AFRICAN REPUBLIC133134CENTRAL AFRICAN
/// REPUBLICresolution").
fn page_furniture(text: &str, registry: &CountryRegistry) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    for caps in NUMBER_THEN_HEADER.captures_iter(text) {
        let (Some(whole), Some(run)) = (caps.get(0), caps.name("run")) else { continue };
        if let Some(end) = layout::longest_name_prefix(run.as_str(), registry, |_| true) {
            ranges.push((whole.start(), run.start() + end));
        }
    }
    for caps in FOOTER_THEN_NUMBER.captures_iter(text) {
        let (Some(run), Some(number)) = (caps.name("run"), caps.name("number")) else { continue };
        // The run may begin with the capitals of the sentence before ("DRC. CABO VERDE124"):
        // the footer starts at the run's start or after a punctuation mark and a space.
        let starts = std::iter::once(0).chain(
            run.as_str()
                .match_indices(|c: char| ".;:,)".contains(c))
                .map(|(i, _)| i + 1)
                .filter(|&i| run.as_str()[i..].starts_with(' ')),
        );
        let name_start =
            starts.map(|i| i + (run.as_str()[i..].len() - run.as_str()[i..].trim_start().len())).find(|&i| {
                let name = &run.as_str()[i..];
                name.len() <= layout::MAX_NAME
                    && name.chars().filter(|c| c.is_alphabetic()).count() >= 4
                    && registry.resolve(name).is_some()
            });
        if let Some(i) = name_start {
            ranges.push((run.start() + i, number.end()));
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// PDF extraction artifacts of the 2018 report parse: running page numbers, headers and footers
/// glued into the text ("provide care 292MALIirrespective", "labor.BULGARIA113"), "Š" for an em
/// dash, "ﬁ"/"ﬂ" for curly double quotes. Returns the cleaned text and, per fix, its byte offset
/// and a message.
pub(crate) fn clean_pdf_artifacts(text: &str, registry: &CountryRegistry) -> Cleaned {
    let furniture = page_furniture(text, registry);
    let mut fixes: Vec<(usize, String)> = furniture
        .iter()
        .map(|&(start, end)| {
            let removed = &text[start..end];
            (start, format!("removed the page number and running header {} glued into the text", quoted(removed)))
        })
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut anchors = vec![(0, 0)];
    let mut next_range = 0;
    let mut after_gap = false;
    let last_close = text.rfind('ﬂ');
    let (mut dashes, mut quotes) = ((0, None), (0, None));
    // The next "Š", "ﬁ" or "ﬂ" from a byte offset on (their lead bytes are C5 and EF).
    let bytes = text.as_bytes();
    let next_special = |mut from: usize| {
        while let Some(at) = bytes.get(from..)?.iter().position(|&b| b == 0xC5 || b == 0xEF) {
            let i = from + at;
            if matches!(text[i..].chars().next(), Some('Š' | 'ﬁ' | 'ﬂ')) {
                return Some(i);
            }
            from = i + 1;
        }
        None
    };
    let mut special = next_special(0);
    // Character by character in effect, but the stretches between a header and a special
    // character are copied whole.
    let mut i = 0;
    while i < text.len() {
        if let Some(&(start, end)) = furniture.get(next_range)
            && i >= start
        {
            if i < end {
                after_gap = true;
                i = end;
                continue;
            }
            next_range += 1;
            continue;
        }
        while let Some(at) = special.filter(|&at| at < i) {
            special = next_special(at + 1);
        }
        let Some(c) = text[i..].chars().next() else { break };
        if after_gap {
            // Where the header sat between two sentences, they may now be doubly spaced.
            if c.is_whitespace() && (out.is_empty() || out.ends_with(' ')) {
                i += c.len_utf8();
                continue;
            }
            after_gap = false;
            anchors.push((out.len(), i));
        }
        let stop = furniture.get(next_range).map(|&(start, _)| start).into_iter().chain(special).min();
        let stop = stop.unwrap_or(text.len()).max(i);
        if stop > i {
            out.push_str(&text[i..stop]);
            i = stop;
            continue;
        }
        let before = out.chars().next_back();
        let after = text[i + c.len_utf8()..].chars().next();
        let replacement = match c {
            // An em dash between words; a capital Š that starts a word (Šiauliai) is a letter.
            'Š' if before.is_some_and(|b| b.is_alphanumeric() || b == ')' || b == ',') => {
                dashes = (dashes.0 + 1, dashes.1.or(Some(i)));
                "—"
            }
            'ﬁ' if !before.is_some_and(char::is_alphanumeric)
                && after.is_some_and(|a| !a.is_whitespace())
                && last_close.is_some_and(|close| close > i) =>
            {
                quotes = (quotes.0 + 1, quotes.1.or(Some(i)));
                "“"
            }
            // The ligature runs on in lower case ("conﬂict"); a quote may be followed by the
            // next sentence glued to it ("ﬁjohn school.ﬂPROTECTION").
            'ﬂ' if !after.is_some_and(char::is_lowercase) => {
                quotes = (quotes.0 + 1, quotes.1.or(Some(i)));
                "”"
            }
            'ﬁ' => "fi",
            'ﬂ' => "fl",
            c => {
                out.push(c);
                i += c.len_utf8();
                continue;
            }
        };
        anchors.push((out.len(), i));
        out.push_str(replacement);
        anchors.push((out.len(), i + c.len_utf8()));
        i += c.len_utf8();
    }
    out.truncate(out.trim_end().len());
    anchors.retain(|&(cleaned, _)| cleaned <= out.len());
    if let (count, Some(at)) = dashes {
        fixes.push((at, format!("read {count} \"Š\" between words as em dashes")));
    }
    if let (count, Some(at)) = quotes {
        fixes.push((at, format!("read {count} \"ﬁ\"/\"ﬂ\" as curly double quotes")));
    }
    Cleaned { text: out, fixes, anchors }
}

/// A paragraph with the artifacts of PDF extraction undone.
pub(crate) struct Cleaned {
    pub text: String,
    /// Per fix, its byte offset in the original text and a message.
    pub fixes: Vec<(usize, String)>,
    /// Where the cleaned text and the original text line up: (offset in the cleaned text, offset
    /// in the original), in order. Between two anchors the text is either copied unchanged or
    /// replaced as a whole.
    pub anchors: Vec<(usize, usize)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opening_paragraphs_say_whether_a_downgrade_was_waived() {
        let hints = Hints { year: Some(2018), ..Hints::default() };
        let waived = "KUWAIT: TIER 2 WATCH LIST\n\nThe Government of Kuwait does not fully meet the minimum standards. \
                      Kuwait was granted a waiver per the Trafficking Victims Protection Act from an otherwise \
                      required downgrade to Tier 3. Therefore Kuwait remained on Tier 2 Watch List.\n";
        let parsed = parse_document(waived.as_bytes(), &hints);
        assert!(parsed.report.downgrade_waived, "{:?}", parsed.report.paragraphs);
        let plain = "KUWAIT: TIER 2 WATCH LIST\n\nThe Government of Kuwait does not fully meet the minimum \
                     standards. Therefore Kuwait remained on Tier 2 Watch List.\n";
        assert!(!parse_document(plain.as_bytes(), &hints).report.downgrade_waived);
    }

    #[test]
    fn cleans_pdf_artifacts() {
        let registry = CountryRegistry::global();
        let Cleaned { text, fixes, .. } = clean_pdf_artifacts(
            "provide care to all victims, 292MALIirrespective of periodŠthe same; for ﬁcommunity protection.ﬂ Šiauliai",
            registry,
        );
        assert_eq!(
            text,
            "provide care to all victims, irrespective of period—the same; for “community protection.” Šiauliai"
        );
        assert_eq!(fixes.len(), 3);
        let cleaned = clean_pdf_artifacts("serve as 73ANTIGUA AND BARBUDAcouriers and 2017 NAPTIPx", registry);
        assert_eq!(cleaned.text, "serve as couriers and 2017 NAPTIPx");
        let cleaned = clean_pdf_artifacts("forced labor.BULGARIA113 ﬁThe endﬂ 133134CAR", registry);
        assert_eq!(cleaned.text, "forced labor. “The end” 133134CAR", "a header names a country of 4 letters or more");
        assert_eq!(cleaned.anchors, [(0, 0), (13, 24), (14, 25), (17, 28), (24, 35), (27, 38)]);
    }
}
