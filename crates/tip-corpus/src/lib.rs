//! The scale corpus: N realistic country narratives of the TIP Report, the same bytes on every
//! machine (a fixed seed, a xorshift64* generator, no `rand`), for the benchmarks. The library
//! gives document `i` in memory ([`document`]); the `tip-corpus` binary writes the first N to a
//! folder:
//!
//! ```sh
//! cargo run --release -p tip-corpus -- --count 5000 --out target/corpus-5000
//! ```
//!
//! Document `i` is about country `i % C` (C = the registry's 189 countries and territories) in a
//! report year spread over 2001-2025, so that any C documents name every country and the first
//! C × 25 = 4,725 documents name every country-year once. Each year is written in the layout of
//! its era, as the sources print it:
//!
//! * 2001-2004: "Angola (Tier 2)", a profile paragraph, the finding, untitled paragraphs;
//! * 2005-2007: "AFGHANISTAN (TIER 2)", "(TIER 2 - WATCH LIST)", then "Prosecution",
//!   "Protection" and "Prevention" sub-headings;
//! * 2008-2016: "Iceland (Tier 2)", profile, finding, then the inline "Recommendations for
//!   Iceland: a; b; and c." ("RECOMMENDATIONS FOR ICELAND:" on its own line in 2015-2016);
//! * 2017-2018: "MALI: TIER 3", "RECOMMENDATIONS FOR MALI" (2018: "RECOMMENDATIONS"),
//!   PROSECUTION, PROTECTION, PREVENTION, TRAFFICKING PROFILE; 2018 keeps the PDF parse's
//!   artifacts ("Š" for em dashes, page numbers and running headers glued into the text);
//! * 2019-2025: GVnet's "[ Human Trafficking, Country-by-Country ]" banner and "MALI (Tier 2)
//!   Extracted in part  from the U.S. State Dept 2023 TIP Report", the tier paragraph,
//!   "Prioritized Recommendations" one per paragraph, then the same four sections;
//! * Special Cases ("LIBYA: SPECIAL CASE", "Somalia (Special Case)", "SPECIAL CASE: YEMEN"): an
//!   intro, GOVERNMENT EFFORTS and TRAFFICKING PROFILE.
//!
//! Tiers follow the bundled tier table (the nearest year where it has none), so the text, the
//! heading and the table agree. Lengths follow the complete 2018 narratives (median about
//! 14,000 characters, 10th to 90th percentile about 9,000 to 22,000); the sentences come from
//! templates written in the reports' style, not from the reports (`data/templates.txt`).
//!
//! Beyond 4,725 documents the country-years repeat as variants (another source: a page title
//! "2019 Trafficking in Persons Report: Mali", or a GVnet "[Extracted from ..., June 2019]"
//! title; and other sentences): distinct bytes for the same report, so ingesting them replaces
//! the report (or keeps the variant as a revision of a more complete one). A 50,000-document
//! corpus thus holds 4,725 reports and 50,000 documents.
//!
//! Files are named `MALI_2019_generated.txt` (variants `MALI_2019_generated-v2.txt`), so the
//! file name hints the country and year as `tip-atlas ingest` reads them. The benchmarks of
//! tip-ingest and tip-server take their documents from this crate: there is one generator.

// The numbers here are drawn from a seeded generator into small ranges (list indices, years,
// counts of a few thousand), so narrowing casts cannot truncate; the lint is for the service.
#![allow(clippy::cast_possible_truncation)]

pub mod corpus2018;
mod names;
pub mod pathological;
pub mod pdf;
mod rng;
mod vocabulary;
mod writer;

use tip_model::{Country, CountryRegistry};

use crate::names::file_stem_name;
use crate::rng::Rng;
use crate::writer::Writer;

/// The seed of every document's generator ("tipatlas").
pub const SEED: u64 = 0x7469_7061_746c_6173;
/// The report years covered.
pub const FIRST_YEAR: i32 = 2001;
pub const LAST_YEAR: i32 = 2025;
const YEARS: usize = (LAST_YEAR - FIRST_YEAR + 1) as usize;

/// One generated document.
pub struct Document {
    /// Such as `MALI_2019_generated.txt`.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// `n` with thousands separators, as the reports print counts: "1,234,567".
pub fn with_thousands_separators(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How many documents name each country-year once: countries × years (4,725).
pub fn sweep() -> usize {
    CountryRegistry::global().all().len() * YEARS
}

/// The country, report year and variant of document `index`.
pub fn coordinates(index: usize) -> (&'static Country, i32, usize) {
    let countries = CountryRegistry::global().all();
    let variant = index / sweep();
    let rest = index % sweep();
    let (country, round) = (rest % countries.len(), rest / countries.len());
    // Each country walks the years from its own offset: every prefix spreads over the eras.
    let year = FIRST_YEAR + ((round + country * 7) % YEARS) as i32;
    (&countries[country], year, variant)
}

/// Document `index` of the corpus; the same bytes for the same index on every run.
pub fn document(index: usize) -> Document {
    let (country, year, variant) = coordinates(index);
    let seed = SEED
        ^ ((country.iso3.as_str().bytes().fold(0u64, |h, b| h << 8 | u64::from(b))) << 24)
        ^ ((year as u64) << 8)
        ^ ((variant as u64) << 40);
    let mut writer = Writer::new(Rng::new(seed), country, year, variant);
    let text = writer.write();
    let suffix = if variant == 0 { String::new() } else { format!("-v{}", variant + 1) };
    Document {
        file_name: format!("{}_{year}_generated{suffix}.txt", file_stem_name(country)),
        bytes: text.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use tip_ingest::{Hints, parse_document};

    use super::*;

    /// Every era, Special Cases and variants: each document parses without errors to the
    /// country and year it was written for, with its file name's hints.
    #[test]
    fn documents_parse_to_their_country_and_year() {
        for index in (0..sweep() + 200).step_by(23) {
            let (country, year, _) = coordinates(index);
            let document = document(index);
            let parsed = parse_document(&document.bytes, &Hints::from_path(Path::new(&document.file_name)));
            assert!(parsed.is_ok(), "{}: {:?}", document.file_name, parsed.diagnostics.errors);
            assert_eq!(parsed.report.country, format!("countries/{}", country.iso3), "{}", document.file_name);
            assert_eq!(parsed.report.year, year, "{}", document.file_name);
        }
    }

    #[test]
    fn a_document_is_the_same_bytes_on_every_call() {
        let (first, again) = (document(4_800), document(4_800));
        assert_eq!(first.file_name, again.file_name);
        assert!(first.file_name.ends_with("_generated-v2.txt"), "{}", first.file_name);
        assert_eq!(first.bytes, again.bytes);
    }
}
