//! Whole-report and one-narrative PDFs in the printed report's layout, built from the 2018
//! narratives of `../shared/data/corpus2018` at test time (never committed; `crate::corpus2018`), by two producers:
//! a minimal PDF writer here (standard-14 Helvetica, WinAnsiEncoding with /fi and /fl in a
//! Differences array, justified lines by word spacing, hyphenated line ends, Flate streams) and
//! Debian's `chromium --headless --print-to-pdf` on a generated HTML page (CSS columns, embedded
//! TrueType subsets with ToUnicode maps). Both lay out the same parts: a cover, an introduction,
//! the tier placement pages, a topical chapter, the country narratives and an appendix.

pub mod chromium;
pub mod writer;

use crate::corpus2018::Record;

/// What a producer lays out, in reading order.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A chapter title: a new page, large bold capitals.
    Chapter(String),
    /// A country heading, one string per printed line (a heading broken over two lines has two).
    CountryHeading(Vec<String>),
    /// A bold section head ("PROSECUTION") or a tier list head ("TIER 2 WATCH LIST").
    Section(String),
    Paragraph(String),
    /// One recommendation, printed after a bullet.
    Bullet(String),
    /// One country of a tier list.
    ListItem(String),
}

/// How country headings are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadingStyle {
    /// "MALI: TIER 2 WATCH LIST", "SPECIAL CASE: YEMEN" (2017 on).
    Colon,
    /// "MALI (Tier 2 Watch List)" (early years).
    Parenthesized,
}

/// A narrative's blocks: heading, opening paragraph, sections, recommendations as bullets.
pub fn narrative_blocks(record: &Record, style: HeadingStyle) -> Vec<Block> {
    let tier = record.tier_heading();
    let heading = match (style, record.is_special_case()) {
        (HeadingStyle::Colon, true) => vec![format!("SPECIAL CASE: {}", record.key)],
        (HeadingStyle::Colon, false) => match tier.strip_suffix(" WATCH LIST") {
            // Printed broken after the tier number, as the corpus shows for six countries.
            Some(tier_2) if record.part("TIER") == Some("TIER 2") => {
                vec![format!("{}: {tier_2}", record.key), "WATCH LIST".to_owned()]
            }
            _ => vec![format!("{}: {tier}", record.key)],
        },
        (HeadingStyle::Parenthesized, _) => vec![format!("{} ({})", title_case(&record.key), title_case(&tier))],
    };
    let mut blocks = vec![Block::CountryHeading(heading), Block::Paragraph(record.intro().to_owned())];
    for (heading, text) in record.sections() {
        let recommendations = heading.starts_with("RECOMMENDATIONS");
        blocks.push(Block::Section(if recommendations { format!("{heading}:") } else { heading }));
        if recommendations {
            blocks.extend(text.split("; ").map(|item| Block::Bullet(item.trim().to_owned())));
        } else {
            blocks.push(Block::Paragraph(text.to_owned()));
        }
    }
    blocks
}

fn title_case(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |first| first.to_string() + &chars.as_str().to_lowercase())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The tier lists in the order the report prints them, with the countries of each.
pub fn tier_lists(records: &[Record]) -> Vec<(&'static str, Vec<String>)> {
    let tiers = [
        ("TIER 1", "TIER 1"),
        ("TIER 2", "TIER 2"),
        ("TIER 2 WATCH LIST", "TIER 2 WATCH LIST"),
        ("TIER 3", "TIER 3"),
        ("SPECIAL CASES", "SPECIAL CASE"),
    ];
    tiers
        .iter()
        .map(|(title, tier)| {
            let mut names: Vec<String> =
                records.iter().filter(|r| r.tier_heading() == *tier).map(|r| r.key.clone()).collect();
            names.sort();
            (*title, names)
        })
        .collect()
}

const INTRODUCTION: &str = "The Trafficking in Persons Report is the U.S. government's principal diplomatic tool to engage foreign governments on human trafficking. It assesses the efforts of governments to meet the minimum standards for the elimination of trafficking set out in the Trafficking Victims Protection Act, and places each country on one of three tiers. This introduction describes the methodology of the report, the sources of information used, and the changes made since the previous edition.";
const TOPIC: &str = "Survivors of human trafficking are the best placed to inform policies and programs that affect them. Governments that engage survivors in the design, implementation and evaluation of their responses build programs that meet the needs of victims, avoid harm, and earn the trust of affected communities. This chapter presents practices observed over the reporting period, from advisory councils to paid consultancies.";
const APPENDIX: &str = "The table lists the international conventions relevant to human trafficking and, for each country, whether it is a party to them: the Palermo Protocol, the ILO conventions on forced labor and on the worst forms of child labor, and the optional protocol on the sale of children.";

/// The whole report: cover, introduction, tier placements, a topical chapter, the narratives
/// (the corpus's order, which is alphabetical within each file) and an appendix.
pub fn report_blocks(records: &[Record], style: HeadingStyle) -> Vec<Block> {
    let mut blocks = vec![
        Block::Chapter("TRAFFICKING IN PERSONS REPORT".to_owned()),
        Block::Paragraph("JUNE 2018".to_owned()),
        Block::Chapter("INTRODUCTION".to_owned()),
    ];
    blocks.extend((0..6).map(|_| Block::Paragraph(INTRODUCTION.to_owned())));
    blocks.push(Block::Chapter("TIER PLACEMENTS".to_owned()));
    for (title, names) in tier_lists(records) {
        blocks.push(Block::Section(title.to_owned()));
        blocks.extend(names.into_iter().map(Block::ListItem));
    }
    blocks.push(Block::Chapter("ENGAGING SURVIVORS OF HUMAN TRAFFICKING".to_owned()));
    blocks.extend((0..8).map(|_| Block::Paragraph(TOPIC.to_owned())));
    blocks.push(Block::Chapter("COUNTRY NARRATIVES".to_owned()));
    for record in records {
        blocks.extend(narrative_blocks(record, style));
    }
    blocks.push(Block::Chapter("RELEVANT INTERNATIONAL CONVENTIONS".to_owned()));
    blocks.extend((0..4).map(|_| Block::Paragraph(APPENDIX.to_owned())));
    blocks
}
