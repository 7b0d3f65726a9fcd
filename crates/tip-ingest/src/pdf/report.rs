//! A report's pages, block by block, into its parts: a country narrative starts at each bold
//! heading of a narrative's form ("MALI: TIER 2 WATCH LIST", "SPECIAL CASE: YEMEN",
//! "MALI (Tier 2)") and runs to the next such heading or chapter title (bold, half as large
//! again as the body text); the tier placement chapter becomes placements; other chapters are
//! passed over with a note. Narrative text is written in the layout the narrative parser reads.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use tip_model::pb::Tier;
use tip_model::{CountryRegistry, parse_tier};

use super::page::{Block, Line, starts_with_bullet};
use crate::extract::{ExtractedNarrative, Extraction, ListedPlacement, Origin};

/// A narrative heading: "MALI: TIER 2 WATCH LIST", "SPECIAL CASE: YEMEN", "MALI (Tier 2)".
static NARRATIVE_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    let tier = r"TIER\s+[123](?:\s*[-–]?\s*WATCH\s*LIST)?|SPECIAL\s+CASE";
    Regex::new(&format!(
        r"(?i)^(?:SPECIAL\s+CASE\s*:\s*[^:()]{{2,60}}|[^:()]{{2,60}}?\s*:\s*(?:{tier})|[^:()]{{2,60}}?\s*\((?:{tier})\))$"
    ))
    .unwrap()
});

static YEAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(19[89]\d|20\d\d)\b").unwrap());
/// The report's title with its year: "2018 Trafficking in Persons Report", "2023 Trafficking in
/// Persons Report: Mali", "Trafficking in Persons Report, June 2018" (a title, not a sentence
/// that cites a report).
static REPORT_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(?:19|20)\d\d\s+trafficking\s+in\s+persons\s+report\b.{0,40}|trafficking\s+in\s+persons\s+report\W{1,3}(?:[a-z]{3,9}\s+)?(?:19|20)\d\d)$").unwrap()
});
/// A cover's date line: "JUNE 2018", "June 2018", "2018".
static COVER_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[A-Za-z]{3,9}\s+)?(?:19[89]\d|20\d\d)$").unwrap());

/// What a chapter title is, compared with the body text.
const CHAPTER_SCALE: f32 = 1.5;

enum Part {
    /// Before the first heading.
    Front {
        first: u32,
        last: u32,
    },
    Passed {
        title: String,
        first: u32,
        last: u32,
    },
    Tiers {
        tier: Option<Tier>,
        first: u32,
        last: u32,
        count: usize,
    },
    Narrative(Draft),
}

struct Draft {
    heading: String,
    first: u32,
    last: u32,
    items: Vec<Item>,
}

struct Item {
    heading: bool,
    lines: Vec<String>,
    /// The block may run on into the next column or page.
    open_end: bool,
}

pub(super) struct Assembler {
    title: Option<String>,
    part: Option<Part>,
    extraction: Extraction,
    /// Characters of regular text by font size (in tenths of a point): the body size is the
    /// most common.
    sizes: HashMap<u32, usize>,
    /// Hyphenated words seen whole inside a line ("anti-trafficking"): a line-end hyphen
    /// between the same halves is kept.
    hyphenated: HashSet<String>,
    /// The first pages' text, where the cover states the year.
    front_text: String,
}

/// The hyphenated words remembered (a bound on memory; a report has a few thousand).
const MAX_HYPHENATED: usize = 200_000;

impl Assembler {
    pub fn new(title: Option<String>) -> Self {
        Assembler {
            title,
            part: None,
            extraction: Extraction::default(),
            sizes: HashMap::new(),
            hyphenated: HashSet::new(),
            front_text: String::new(),
        }
    }

    fn body_size(&self) -> f32 {
        self.sizes.iter().max_by_key(|(size, count)| (**count, **size)).map_or(10.0, |(size, _)| *size as f32 / 10.0)
    }

    pub fn page(&mut self, number: u32, blocks: Vec<Block>) {
        for line in blocks.iter().flat_map(|b| &b.lines) {
            if !line.bold {
                *self.sizes.entry((line.size * 10.0).round() as u32).or_default() += line.text.len();
            }
            if self.hyphenated.len() < MAX_HYPHENATED {
                let words = line.text.split_whitespace().rev().skip(1);
                for word in words.filter(|w| w.contains('-')) {
                    self.hyphenated.insert(bare_word(word).to_lowercase());
                }
            }
            if number <= 2 && self.front_text.len() < 4096 {
                self.front_text.push_str(&line.text);
                self.front_text.push('\n');
            }
        }
        let body = self.body_size();
        for block in blocks {
            self.block(number, block, body);
        }
    }

    fn block(&mut self, page: u32, block: Block, body: f32) {
        let joined = |lines: &[Line]| lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" ");
        let text = joined(&block.lines);
        let bold = block.bold();
        // The heading's lines: the whole bold block, or its first lines where a bold head of the
        // same size follows without a gap.
        let heading_lines =
            (1..=block.lines.len()).rev().find(|&n| bold && NARRATIVE_HEADING.is_match(&joined(&block.lines[..n])));
        if let Some(n) = heading_lines {
            self.finish_part();
            let rest = &block.lines[n..];
            let items = if rest.is_empty() {
                Vec::new()
            } else {
                vec![Item { heading: true, lines: rest.iter().map(|l| l.text.clone()).collect(), open_end: false }]
            };
            let heading = joined(&block.lines[..n]);
            self.part = Some(Part::Narrative(Draft { heading, first: page, last: page, items }));
            return;
        }
        if bold && block.size() >= body * CHAPTER_SCALE {
            self.finish_part();
            self.part = Some(if text.to_uppercase().contains("TIER PLACEMENTS") {
                Part::Tiers { tier: None, first: page, last: page, count: 0 }
            } else {
                Part::Passed { title: text, first: page, last: page }
            });
            return;
        }
        let part = self.part.get_or_insert(Part::Front { first: page, last: page });
        match part {
            Part::Front { last, .. } | Part::Passed { last, .. } => *last = page,
            Part::Tiers { tier, last, count, .. } => {
                *last = page;
                if bold {
                    *tier = parse_tier(text.trim_end_matches(['s', 'S', ':']));
                } else if let Some(tier) = *tier {
                    for line in &block.lines {
                        let placements = &mut self.extraction.placements;
                        match placements.last_mut() {
                            Some(previous) if continues_name(&previous.country_as_published, &line.text) => {
                                previous.country_as_published.push(' ');
                                previous.country_as_published.push_str(&line.text);
                            }
                            _ => {
                                placements.push(ListedPlacement {
                                    country_as_published: line.text.clone(),
                                    tier,
                                    page,
                                });
                                *count += 1;
                            }
                        }
                    }
                }
            }
            Part::Narrative(draft) => {
                draft.last = page;
                let lines: Vec<String> = block.lines.iter().map(|l| l.text.clone()).collect();
                // The second line of a heading that a column or page break cut off.
                if bold && draft.items.is_empty() && text.eq_ignore_ascii_case("WATCH LIST") {
                    draft.heading.push(' ');
                    draft.heading.push_str(&text);
                    return;
                }
                match draft.items.last_mut() {
                    Some(previous)
                        if previous.open_end
                            && !previous.heading
                            && !bold
                            && block.at_column_top
                            && !starts_with_bullet(&lines[0]) =>
                    {
                        previous.lines.extend(lines);
                        previous.open_end = block.open_end;
                    }
                    _ => draft.items.push(Item { heading: bold, lines, open_end: block.open_end }),
                }
            }
        }
    }

    fn finish_part(&mut self) {
        let Some(part) = self.part.take() else { return };
        let pages = |first: u32, last: u32| {
            if first == last { format!("page {first}") } else { format!("pages {first}–{last}") }
        };
        match part {
            Part::Front { first, last } => self
                .extraction
                .notes
                .push(format!("{}: text before the first heading, passed over", pages(first, last))),
            Part::Passed { title, first, last } => self
                .extraction
                .notes
                .push(format!("{}: \"{title}\" is not a country narrative, passed over", pages(first, last))),
            Part::Tiers { first, last, count, .. } => {
                self.extraction.notes.push(format!("{}: tier placements, {count} countries read", pages(first, last)))
            }
            Part::Narrative(draft) => {
                let narrative = self.narrative(draft);
                self.extraction.narratives.push(narrative);
            }
        }
    }

    fn narrative(&self, draft: Draft) -> ExtractedNarrative {
        let mut blocks = vec![collapse(&draft.heading)];
        for item in &draft.items {
            if item.heading {
                blocks.push(collapse(&item.lines.join(" ")).trim_end_matches(':').trim_end().to_owned());
            } else {
                blocks.push(strip_glued_furniture(&clean_glyphs(&self.join_lines(&item.lines))));
            }
        }
        ExtractedNarrative {
            text: blocks.join("\n\n") + "\n",
            origin: Origin { title: self.title.clone(), pages: Some(draft.first..=draft.last), ..Origin::default() },
        }
    }

    /// A paragraph's lines as one line: a hyphen at a line end is dropped between two halves of
    /// a word ("govern-" "ment"), kept where the document writes the word with it elsewhere
    /// ("anti-" "trafficking") or where the next line does not go on in lower case.
    fn join_lines(&self, lines: &[String]) -> String {
        let mut text = String::new();
        for line in lines {
            let line = line.trim();
            if text.is_empty() {
                text.push_str(line);
                continue;
            }
            let soft_break = text.ends_with('-')
                && text[..text.len() - 1].chars().next_back().is_some_and(char::is_alphabetic)
                && line.chars().next().is_some_and(char::is_lowercase);
            if soft_break {
                let head = bare_word(text.rsplit(' ').next().unwrap_or_default()).to_lowercase();
                let tail = bare_word(line.split(' ').next().unwrap_or_default()).to_lowercase();
                if !self.hyphenated.contains(&format!("{head}{tail}")) {
                    text.pop();
                }
            } else if !text.ends_with('-') && !text.ends_with('/') {
                text.push(' ');
            }
            text.push_str(line);
        }
        text
    }

    /// The report year: from the document title ("2018 Trafficking in Persons Report"), or from
    /// a line of the first two pages that names the report with a year, or that is a date
    /// alone ("JUNE 2018") on a page that names the report (a cover). A year in the text of a
    /// narrative ("in 2017") is never taken.
    pub fn finish(mut self) -> Extraction {
        self.finish_part();
        let title_year = |line: &str| REPORT_TITLE.captures(line.trim()).and_then(|c| year_in(c.get(0)?.as_str()));
        let from_title = self.title.as_deref().and_then(title_year);
        let cover = self.front_text.to_uppercase().contains("TRAFFICKING IN PERSONS REPORT");
        let from_front = || {
            self.front_text.lines().find_map(|line| {
                title_year(line)
                    .or_else(|| cover.then(|| line.trim()).filter(|l| COVER_DATE.is_match(l)).and_then(year_in))
            })
        };
        self.extraction.report_year = from_title.or_else(from_front);
        self.extraction
    }
}

fn year_in(text: &str) -> Option<i32> {
    YEAR.captures(text)?.get(1)?.as_str().parse().ok()
}

/// A word without the punctuation around it (the hyphen at its end kept).
fn bare_word(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric() && c != '-').trim_start_matches('-')
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a tier list's line continues the name above it, cut where the column was too narrow
/// ("CONGO, DEMOCRATIC REPUBLIC" / "OF THE"): no country name starts with "of" or "and".
fn continues_name(previous: &str, line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or_default().to_uppercase();
    previous.ends_with(',') || first == "OF" || first == "AND"
}

static GLUED_NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d{1,3}[A-Z][A-Z .,'’\-]*").unwrap());
/// The section titles a narrative prints in capitals, which may follow a glued running head.
const SECTION_TITLES: [&str; 6] =
    ["RECOMMENDATIONS", "PROSECUTION", "PROTECTION", "PREVENTION", "TRAFFICKING PROFILE", "GOVERNMENT EFFORTS"];

/// Page furniture that a producer put inside the text flow, glued to it: a page number and a
/// running head ("victims, 292MALIirrespective", "67ALBANIAother"), the head a country name or
/// the report's title.
fn strip_glued_furniture(text: &str) -> String {
    let registry = CountryRegistry::global();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for found in GLUED_NUMBER.find_iter(text) {
        let run = found.as_str();
        let digits = run.bytes().take_while(u8::is_ascii_digit).count();
        if found.start() > 0 && text.as_bytes()[found.start() - 1].is_ascii_digit() {
            continue;
        }
        // The longest head that names a country and is followed by a word in lower case or one
        // capitalized ("91BANGLADESHThe"), or by the end.
        let head = (digits + 3..=run.len()).rev().filter(|&end| run.is_char_boundary(end)).find(|&end| {
            let name = run[digits..end].trim();
            let rest = &text[found.start() + end..];
            let mut next = rest.chars();
            let (first, second) = (next.next(), next.next());
            let word_follows = first.is_none_or(char::is_lowercase)
                || (first.is_some_and(char::is_uppercase) && second.is_some_and(char::is_lowercase))
                || SECTION_TITLES.iter().any(|title| rest.starts_with(title));
            word_follows
                && (name == "TRAFFICKING IN PERSONS REPORT" || registry.resolve(name).is_some())
                && name.len() > 2
        });
        if let Some(end) = head {
            out.push_str(&text[from..found.start()]);
            from = found.start() + end;
        }
    }
    out.push_str(&text[from..]);
    out
}

/// Ligatures undone and the font-encoding slips of PDF text undone: "Š" for an em dash
/// ("periodŠthe"; a word that starts with a capital Š followed by lower case, as in Šiauliai,
/// is left alone), "Œ" for an en dash between digits or spaces, and "ﬁ…ﬂ" for curly double
/// quotes. A "ﬁ" inside a word, or one at a word's start before a lower-case letter with no
/// closing "ﬂ" before the next word-start "ﬁ", is the ligature; a "ﬂ" followed by a lower-case
/// letter is the ligature.
pub(super) fn clean_glyphs(text: &str) -> String {
    if !text.contains(['ﬀ', 'ﬁ', 'ﬂ', 'ﬃ', 'ﬄ', 'Š', 'Œ', '\u{AD}', '\u{F001}', '\u{F002}']) {
        return text.to_owned();
    }
    // Fonts that keep the fi and fl ligatures at U+F001 and U+F002 (private use, after the Mac
    // Roman convention) map them there in their ToUnicode tables.
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '\u{F001}' => 'ﬁ',
            '\u{F002}' => 'ﬂ',
            c => c,
        })
        .collect();
    let word_start = |i: usize| i == 0 || !chars[i - 1].is_alphanumeric();
    // A closing quote: "ﬂ" not followed by a lower-case letter (a ligature never stands before
    // a capital; a quote may, where a heading was glued on: "school.ﬂPROTECTION").
    let lower = |i: usize| chars.get(i).is_some_and(|c| c.is_lowercase());
    let closes = |i: usize| chars[i] == 'ﬂ' && !lower(i + 1);
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            'ﬀ' => out.push_str("ff"),
            'ﬃ' => out.push_str("ffi"),
            'ﬄ' => out.push_str("ffl"),
            '\u{AD}' => {}
            'ﬁ' if word_start(i) => {
                let quote = !lower(i + 1)
                    || chars[i + 1..]
                        .iter()
                        .enumerate()
                        .map(|(k, _)| i + 1 + k)
                        .find(|&k| closes(k) || (chars[k] == 'ﬁ' && word_start(k)))
                        .is_some_and(closes);
                out.push_str(if quote { "“" } else { "fi" });
            }
            'ﬁ' => out.push_str("fi"),
            'ﬂ' if closes(i) && i > 0 && !chars[i - 1].is_whitespace() => out.push('”'),
            'ﬂ' => out.push_str("fl"),
            'Š' if word_start(i) && chars.get(i + 1).is_some_and(|c| c.is_lowercase()) => out.push('Š'),
            'Š' => out.push('—'),
            'Œ' if i > 0
                && chars.get(i + 1).is_some()
                && ((chars[i - 1].is_ascii_digit() && chars[i + 1].is_ascii_digit())
                    || (chars[i - 1] == ' ' && chars[i + 1] == ' ')) =>
            {
                out.push('–')
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips_and_ligatures_are_undone() {
        assert_eq!(
            clean_glyphs(
                "a signi\u{F001}cant ﬁpartnerﬂ in con\u{F002}ict, the reporting periodŠthe same; ﬁnd ﬁbaby factoriesﬂŠoften"
            ),
            "a significant “partner” in conflict, the reporting period—the same; find “baby factories”—often"
        );
        assert_eq!(clean_glyphs("Šiauliai, 2017Œ2021, ﬀ"), "Šiauliai, 2017–2021, ff");
    }

    #[test]
    fn page_furniture_glued_to_the_text_is_removed() {
        assert_eq!(
            strip_glued_furniture("victims, 292MALIirrespective of 67ALBANIAother groups; in 2017 and 15 IOM staff"),
            "victims, irrespective of other groups; in 2017 and 15 IOM staff"
        );
        assert_eq!(strip_glued_furniture("restitution. 91BANGLADESHThe PSHTA"), "restitution. The PSHTA");
        assert_eq!(strip_glued_furniture("and section 338PAKISTANtrafficking in"), "and section trafficking in");
        assert_eq!(
            strip_glued_furniture("efforts. 257KOREA, REPUBLIC OFRECOMMENDATIONS FOR THE REPUBLIC OF KOREA Increase"),
            "efforts. RECOMMENDATIONS FOR THE REPUBLIC OF KOREA Increase"
        );
    }

    #[test]
    fn narrative_headings_of_every_style_are_recognized() {
        for heading in [
            "MALI: TIER 2 WATCH LIST",
            "SPECIAL CASE: YEMEN",
            "Mali (Tier 2)",
            "ST. LUCIA: TIER 2",
            "LIBYA: SPECIAL CASE",
        ] {
            assert!(NARRATIVE_HEADING.is_match(heading), "{heading}");
        }
        for other in ["TIER 2 WATCH LIST", "TIER PLACEMENTS", "PROSECUTION", "RECOMMENDATIONS FOR MALI:"] {
            assert!(!NARRATIVE_HEADING.is_match(other), "{other}");
        }
    }

    fn line(text: &str, size: f32, bold: bool) -> Line {
        Line { text: text.to_owned(), x0: 50.0, x1: 200.0, y: 700.0, size, bold }
    }

    #[test]
    fn a_heading_block_with_a_section_head_under_it_starts_a_narrative() {
        let mut assembler = Assembler::new(None);
        let block = |lines: Vec<Line>| Block { lines, at_column_top: false, open_end: false };
        assembler.page(
            7,
            vec![
                block(vec![
                    line("MALI: TIER 2 WATCH", 10.0, true),
                    line("LIST", 10.0, true),
                    line("PROSECUTION", 10.0, true),
                ]),
                block(vec![line("The government increased", 10.0, false), line("its efforts.", 10.0, false)]),
            ],
        );
        let extraction = assembler.finish();
        assert_eq!(extraction.narratives.len(), 1);
        assert_eq!(
            extraction.narratives[0].text,
            "MALI: TIER 2 WATCH LIST\n\nPROSECUTION\n\nThe government increased its efforts.\n"
        );
        assert_eq!(extraction.narratives[0].origin.pages, Some(7..=7));
    }

    #[test]
    fn the_report_year_comes_from_the_title_or_the_cover_never_from_narrative_text() {
        let year = |title: Option<&str>, front: &str| {
            let mut assembler = Assembler::new(title.map(str::to_owned));
            assembler.front_text = front.to_owned();
            assembler.finish().report_year
        };
        assert_eq!(year(Some("2018 Trafficking in Persons Report"), ""), Some(2018));
        assert_eq!(year(None, "TRAFFICKING IN PERSONS REPORT\nJUNE 2018\n"), Some(2018));
        assert_eq!(year(None, "2023 Trafficking in Persons Report: Mali\nMALI (Tier 2)\n"), Some(2023));
        assert_eq!(year(None, "MALI: TIER 2\nIn 2017 the Trafficking in Persons Report office said\n"), None);
        assert_eq!(year(None, "MALI: TIER 2\nas the 2017 Trafficking in Persons Report noted,\n"), None);
        assert_eq!(year(Some("Mali"), "MALI: TIER 2\nJUNE 2018\n"), None);
    }

    #[test]
    fn a_line_end_hyphen_is_kept_only_where_the_document_writes_the_word_with_it() {
        let mut assembler = Assembler::new(None);
        assembler.hyphenated.insert("anti-trafficking".to_owned());
        let lines = ["the govern-", "ment funded anti-", "trafficking work and non-", "Governmental"].map(String::from);
        assert_eq!(assembler.join_lines(&lines), "the government funded anti-trafficking work and non-Governmental");
    }
}
