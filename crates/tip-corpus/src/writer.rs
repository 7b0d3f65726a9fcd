//! One document: the heading and sections of its era, sentences from the vocabulary's templates.

use std::fmt::Write as _;

use tip_ingest::tier_table::bundled_placements;
use tip_model::pb::Tier;
use tip_model::tier::{tier_label, tier_rank};
use tip_model::{Country, CountryRegistry, ReportYear};

use crate::names::text_name;
use crate::rng::Rng;
use crate::vocabulary::vocabulary;
use crate::{FIRST_YEAR, YEARS};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Era {
    /// 2001-2004.
    Early,
    /// 2005-2007.
    SubHeadings,
    /// 2008-2016.
    Inline,
    /// 2017-2018.
    Colon,
    /// 2019-2025.
    Gvnet,
}

fn era(year: i32) -> Era {
    match year {
        ..=2004 => Era::Early,
        2005..=2007 => Era::SubHeadings,
        2008..=2016 => Era::Inline,
        2017..=2018 => Era::Colon,
        _ => Era::Gvnet,
    }
}

/// The tier of a country in a year: the bundled table's, or its nearest year's.
fn tier_of(country: &Country, year: i32) -> Tier {
    let placements = bundled_placements();
    let at = |y: i32| ReportYear::new(i64::from(y)).ok().and_then(|y| placements.get(&(country.iso3, y)).copied());
    let found = (0..YEARS as i32).find_map(|d| at(year - d).or_else(|| at(year + d)));
    let tier = found.unwrap_or_else(|| {
        let h = country.iso3.as_str().bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        [Tier::Tier1, Tier::Tier2, Tier::Tier2, Tier::Tier2, Tier::Tier2WatchList, Tier::Tier3][h as usize % 6]
    });
    // The Watch List began with the 2004 report.
    if year < 2004 && tier == Tier::Tier2WatchList { Tier::Tier2 } else { tier }
}

const NUMBER_WORDS: [&str; 10] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

fn ordinal(n: u64) -> String {
    const WORDS: [&str; 11] =
        ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"];
    match n {
        1..=10 => WORDS[n as usize].to_owned(),
        _ => {
            let suffix = match (n % 10, n % 100) {
                (_, 11..=13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            format!("{n}{suffix}")
        }
    }
}

/// A count as the reports write it: words below ten, digits with thousands separators above.
fn count(n: u64) -> String {
    if n < 10 {
        return NUMBER_WORDS[n as usize].to_owned();
    }
    crate::with_thousands_separators(n)
}

pub(crate) struct Writer {
    rng: Rng,
    country: &'static Country,
    name: String,
    upper: String,
    year: i32,
    variant: usize,
    era: Era,
    tier: Tier,
    others: Vec<&'static str>,
    /// Two spaces between sentences (GVnet pages).
    double_space: bool,
    out: String,
}

impl Writer {
    pub(crate) fn new(mut rng: Rng, country: &'static Country, year: i32, variant: usize) -> Self {
        let registry = CountryRegistry::global();
        let neighbours: Vec<&Country> = registry.all().iter().filter(|c| c.region == country.region).collect();
        let others = (0..3)
            .map(|_| {
                let pool: &[&Country] = if rng.chance(0.7) && neighbours.len() > 3 { &neighbours } else { &[] };
                let other =
                    if pool.is_empty() { &registry.all()[rng.below(registry.all().len())] } else { *rng.pick(pool) };
                if other.iso3 == country.iso3 { "the Gulf states" } else { text_name(other) }
            })
            .collect();
        let name = text_name(country).to_owned();
        Self {
            era: era(year),
            tier: tier_of(country, year),
            upper: name.to_uppercase(),
            name,
            country,
            year,
            variant,
            others,
            double_space: era(year) == Era::Gvnet && variant == 0 && rng.chance(0.5),
            rng,
            out: String::new(),
        }
    }

    /// Expands a template.
    fn expand(&mut self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut chars = template.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' => {
                    let end = template[i..].find('}').map_or(template.len(), |e| i + e);
                    let slot = &template[i + 1..end];
                    let value = self.slot(slot);
                    out.push_str(&value);
                    while chars.peek().is_some_and(|&(j, _)| j <= end) {
                        chars.next();
                    }
                }
                '[' => {
                    let end = template[i..].find(']').map_or(template.len(), |e| i + e);
                    let options: Vec<&str> = template[i + 1..end].split('|').collect();
                    let chosen = options[self.rng.below(options.len())];
                    let value = self.expand(chosen);
                    out.push_str(&value);
                    while chars.peek().is_some_and(|&(j, _)| j <= end) {
                        chars.next();
                    }
                }
                c => out.push(c),
            }
        }
        out
    }

    fn slot(&mut self, slot: &str) -> String {
        let period = self.year - 1;
        match slot {
            "C" => self.name.clone(),
            "P" => self.others[0].to_owned(),
            "Q" => self.others[1].to_owned(),
            "R" => self.others[2].to_owned(),
            "Y" => period.to_string(),
            "Y0" => (period - 1).to_string(),
            "Y2" => (period + self.rng.range(2, 4) as i32).to_string(),
            "n" => count(self.rng.range(1, 9)),
            "N" => {
                let magnitude = *self.rng.pick(&[30u64, 120, 600, 2_500]);
                count(self.rng.range(10, magnitude))
            }
            "a" => count(self.rng.range(2, 8)),
            "b" => count(self.rng.range(10, 25)),
            "M" => match self.rng.below(3) {
                0 => format!("${}", count(self.rng.range(15, 990) * 1_000)),
                1 => format!(
                    "{}.{} million {}",
                    self.rng.range(1, 40),
                    self.rng.range(1, 9),
                    self.rng.pick(&["euros", "dollars", "local currency units"])
                ),
                _ => format!("{} million", count(self.rng.range(1, 12))),
            },
            "S" => self.rng.pick(&vocabulary().sectors).to_string(),
            "V" => self.rng.pick(&vocabulary().groups).to_string(),
            "A" => self.rng.pick(&vocabulary().agencies).to_string(),
            "L" => self.rng.pick(&vocabulary().laws).to_string(),
            "O" => self.rng.pick(&vocabulary().organizations).to_string(),
            "K" => self.rng.pick(&vocabulary().places).to_string(),
            other => format!("{{{other}}}"),
        }
    }

    fn sentence_gap(&self) -> &'static str {
        if self.double_space { "  " } else { " " }
    }

    /// Sentences from `bank` after `lead` until the paragraph holds about `budget` characters.
    fn paragraph(&mut self, lead: Option<String>, bank: &[&str], budget: usize) -> String {
        let mut text = lead.unwrap_or_default();
        let mut last = usize::MAX;
        let mut sentences = 0;
        while text.len() < budget || sentences < 2 {
            let mut index = self.rng.below(bank.len());
            if index == last {
                index = (index + 1) % bank.len();
            }
            last = index;
            let sentence = self.expand(bank[index]);
            if !text.is_empty() {
                text.push_str(self.sentence_gap());
            }
            text.push_str(&sentence);
            sentences += 1;
        }
        text
    }

    /// A section's paragraphs: one in the 2018 PDF parse, otherwise several of 600 to 1,800
    /// characters.
    fn section_text(&mut self, lead: String, bank: &[&str], budget: usize) -> Vec<String> {
        if self.year == 2018 {
            return vec![self.paragraph(Some(lead), bank, budget)];
        }
        let mut paragraphs = Vec::new();
        let mut left = budget as i64;
        let mut lead = Some(lead);
        while left > 0 {
            let size = self.rng.range(600, 1_800) as usize;
            let paragraph = self.paragraph(lead.take(), bank, size.min(left.max(200) as usize));
            left -= paragraph.len() as i64;
            paragraphs.push(paragraph);
        }
        paragraphs
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    fn paragraphs(&mut self, paragraphs: &[String]) {
        for p in paragraphs {
            self.line(p);
            self.blank();
        }
    }

    /// The target length of the whole document.
    fn target_length(&mut self) -> usize {
        let median = match (self.era, self.year) {
            (Era::Early, ..=2002) => 3_000.0,
            (Era::Early, _) => 5_500.0,
            (Era::SubHeadings, _) => 10_000.0,
            _ => 14_000.0,
        };
        let special = if self.tier == Tier::SpecialCase { 0.6 } else { 1.0 };
        let length = median * special * (0.35 * self.rng.normal()).exp();
        length.clamp(1_200.0, 48_000.0) as usize
    }

    /// The tier the country had the year before, and for how many years in a row this one.
    fn history(&self) -> (Option<Tier>, u64) {
        let previous = (self.year > FIRST_YEAR).then(|| tier_of(self.country, self.year - 1));
        let streak = (FIRST_YEAR..=self.year).rev().take_while(|&y| tier_of(self.country, y) == self.tier).count();
        (previous, streak as u64)
    }

    /// The finding on the minimum standards, in the wording of the year.
    fn finding(&mut self) -> String {
        let name = &self.name;
        let government = if self.rng.chance(0.9) {
            format!("The Government of {name}")
        } else {
            format!("The {} government of {name}", self.rng.pick(&["transition", "interim", "national"]))
        };
        let meet = if self.year >= 2016 { "meet" } else { "comply with" };
        let meets = if self.year >= 2016 { "meets" } else { "complies with" };
        let full = if self.year <= 2004 && self.rng.chance(0.5) { "" } else { " for the elimination of trafficking" };
        match self.tier {
            Tier::Tier1 => format!("{government} fully {meets} the minimum standards{full}."),
            Tier::Tier3 => {
                format!(
                    "{government} does not fully {meet} the minimum standards{full} and is not making significant efforts to do so"
                )
            }
            _ if self.year >= 2019 => {
                format!(
                    "{government} does not fully {meet} the minimum standards{full} but is making significant efforts to do so"
                )
            }
            _ if self.year <= 2004 => format!(
                "{government} does not yet fully {meet} the minimum standards{full}; however, it is making significant efforts to do so"
            ),
            _ => format!(
                "{government} does not fully {meet} the minimum standards{full}; however, it is making significant efforts to do so"
            ),
        }
    }

    /// The tier paragraph: the finding, then (from 2017) the sentence that states the tier.
    fn tier_paragraph(&mut self, budget: usize) -> String {
        let mut lead = self.finding();
        if self.tier != Tier::Tier1 {
            lead.push('.');
        }
        if self.year >= 2017 {
            let (previous, streak) = self.history();
            let name = self.name.clone();
            let tier = tier_label(self.tier);
            let covid = if self.year >= 2021 {
                ", considering the impact of the COVID-19 pandemic, if any, on its anti-trafficking capacity"
            } else {
                ""
            };
            let effort = match self.tier {
                Tier::Tier1 => format!(
                    "The government continued to demonstrate serious and sustained efforts during the reporting period{covid}"
                ),
                Tier::Tier3 => {
                    "The government took some steps to address trafficking, but these were not significant".to_owned()
                }
                _ => format!(
                    "The government demonstrated overall increasing efforts compared with the previous reporting period{covid}"
                ),
            };
            let movement = match previous {
                Some(previous) if previous == self.tier && streak > 1 => {
                    format!("remained on {tier} for the {} consecutive year", ordinal(streak))
                }
                Some(previous) if previous == self.tier => format!("remained on {tier}"),
                Some(previous) if tier_rank(previous).is_none() => format!("was placed on {tier}"),
                Some(previous) if tier_rank(previous) < tier_rank(self.tier) => format!("was upgraded to {tier}"),
                Some(_) => format!("was downgraded to {tier}"),
                None => format!("was placed on {tier}"),
            };
            let waiver = self.tier == Tier::Tier2WatchList && streak > 2 && self.rng.chance(0.5);
            let _ = if waiver {
                write!(
                    lead,
                    "{}Because the government has devoted sufficient resources to a written plan that, if implemented, would constitute significant efforts to meet the minimum standards, {name} was granted a waiver per the Trafficking Victims Protection Act from an otherwise required downgrade to Tier 3; therefore {name} {movement}.",
                    self.sentence_gap()
                )
            } else {
                write!(lead, "{}{effort}; therefore {name} {movement}.", self.sentence_gap())
            };
        }
        let mut text = lead;
        let efforts = self.rng.range(1, 3);
        for _ in 0..efforts {
            let template = *self.rng.pick(&vocabulary().intro_efforts);
            let sentence = self.expand(template);
            text.push_str(self.sentence_gap());
            text.push_str(&sentence);
        }
        if self.tier != Tier::Tier1 || self.rng.chance(0.5) {
            text.push_str(self.sentence_gap());
            text.push_str(if self.tier == Tier::Tier1 {
                "Although the government meets the minimum standards, it did not address every gap identified in the previous report."
            } else {
                "However, the government did not meet the minimum standards in several key areas."
            });
        }
        let rest = budget.saturating_sub(text.len());
        if rest > 100 {
            let more = self.paragraph(None, &vocabulary().intro_gaps, rest);
            text.push_str(self.sentence_gap());
            text.push_str(&more);
        }
        text
    }

    /// The profile opening the narratives before 2017 ("Mali is a source, transit, and
    /// destination country ...").
    fn profile_lead(&mut self, as_reported: bool) -> String {
        let kind = self.rng.pick(&[
            "a source",
            "a source and transit",
            "a source, transit, and destination",
            "a destination",
            "a source and destination",
            "a transit and destination",
        ]);
        let who = self.rng.pick(&[
            "men, women, and children",
            "women and children",
            "women and girls",
            "adults and children",
        ]);
        let what = if self.year < 2009 {
            *self.rng.pick(&[
                "trafficked for the purposes of sexual exploitation and forced labor",
                "trafficked for commercial sexual exploitation and involuntary servitude",
                "trafficked for forced labor",
            ])
        } else {
            *self.rng.pick(&[
                "subjected to sex trafficking and forced labor",
                "subjected to forced labor and sex trafficking",
                "subjected to trafficking in persons, specifically forced labor and forced prostitution",
            ])
        };
        let prefix = if as_reported { "As reported over the past five years, " } else { "" };
        if as_reported && self.year >= 2019 {
            return format!(
                "As reported over the past five years, human traffickers exploit domestic and foreign victims in {}, and traffickers exploit victims from {} abroad.",
                self.name, self.name
            );
        }
        format!("{prefix}{} is {kind} country for {who} {what}.", self.name)
    }

    fn recommendation_items(&mut self) -> Vec<String> {
        let count = self.rng.range(5, 12) as usize;
        let mut indexes: Vec<usize> = (0..vocabulary().recommendations.len()).collect();
        for i in 0..count {
            let j = i + self.rng.below(indexes.len() - i);
            indexes.swap(i, j);
        }
        indexes[..count].iter().map(|&i| self.expand(vocabulary().recommendations[i])).collect()
    }

    /// "Vigorously investigate ...; train ...; and raise ...."
    fn recommendation_list(&mut self) -> String {
        let items = self.recommendation_items();
        let mut text = String::new();
        for (i, item) in items.iter().enumerate() {
            if i == 0 {
                text.push_str(&capitalized(item));
            } else if i + 1 == items.len() {
                text.push_str("; and ");
                text.push_str(item);
            } else {
                text.push_str("; ");
                text.push_str(item);
            }
        }
        text.push('.');
        text
    }

    /// The heading line(s): banner, page title, country heading with its title, by era and
    /// variant.
    fn heading(&mut self) {
        let year = self.year;
        let upper = self.upper.clone();
        let name = self.name.clone();
        let special = self.tier == Tier::SpecialCase;
        let source = self.variant % 3;
        if source == 1 {
            let title = format!("{year} Trafficking in Persons Report: {name}");
            self.line(&title);
            self.blank();
        }
        if source == 2 {
            let banner =
                *self.rng.pick(&["[ Country-by-Country Reports ]", "[ Human Trafficking, Country-by-Country ]"]);
            self.line(banner);
            self.blank();
            let title = format!(
                "{upper} ({})   [Extracted from U.S. State Dept Trafficking in Persons Report, June {year}]",
                tier_label(self.tier).to_uppercase()
            );
            self.line(&title);
            return;
        }
        let heading = match self.era {
            Era::Early => format!("{name} ({})", tier_label(self.tier)),
            Era::SubHeadings => match self.tier {
                Tier::Tier2WatchList => format!("{upper} (TIER 2 - WATCH LIST)"),
                tier => format!("{upper} ({})", tier_label(tier).to_uppercase()),
            },
            Era::Inline => format!("{} ({})", if year < 2012 { &upper } else { &name }, tier_label(self.tier)),
            Era::Colon => format!("{upper}: {}", tier_label(self.tier).to_uppercase()),
            Era::Gvnet if special && year == 2021 && source == 1 => format!("SPECIAL CASE: {upper}"),
            Era::Gvnet if source == 1 => format!("{name} ({})", tier_label(self.tier)),
            Era::Gvnet => {
                let gvnet = format!(
                    "[ Human Trafficking, Country-by-Country ]\n\n{upper} ({}) Extracted in part  from the U.S. State Dept {year} TIP Report",
                    tier_label(self.tier)
                );
                gvnet
            }
        };
        self.line(&heading);
    }

    /// Section titles as each era prints them.
    fn title(&self, title: &str) -> String {
        match self.era {
            Era::SubHeadings | Era::Inline => {
                let mut chars = title.chars();
                chars.next().map_or(String::new(), |c| c.to_string() + &chars.as_str().to_lowercase())
            }
            _ => title.to_owned(),
        }
    }

    fn section(&mut self, title: &str, paragraphs: &[String]) {
        let title = self.title(title);
        if self.year == 2018 {
            // The PDF parse: the title, then the text on the next line.
            self.line(&title);
        } else {
            self.line(&title);
            if self.era == Era::Gvnet {
                self.blank();
            }
        }
        self.paragraphs(paragraphs);
    }

    pub(crate) fn write(&mut self) -> String {
        let length = self.target_length();
        let budget = |share: f64| (length as f64 * share) as usize;
        self.heading();
        self.blank();
        let lead = |w: &mut Self, what: &str| {
            let change =
                w.rng.pick(&["increased", "maintained", "decreased", "modestly increased", "slightly decreased"]);
            format!("The government {change} {what}.")
        };
        if self.tier == Tier::SpecialCase {
            let (_, streak) = self.history();
            let intro = if streak > 1 {
                format!("{} remains a Special Case for the {} consecutive year.", self.name, ordinal(streak))
            } else {
                format!("{} is a Special Case.", self.name)
            };
            let intro = self.paragraph(Some(intro), &vocabulary().intro_gaps, budget(0.15));
            self.paragraphs(&[intro]);
            let efforts = self.section_text(
                "The government lacked the institutional capacity to address trafficking in most of its territory."
                    .to_owned(),
                &vocabulary().prosecution,
                budget(0.5),
            );
            let profile_lead = self.profile_lead(true);
            let profile = self.section_text(profile_lead, &vocabulary().profile, budget(0.35));
            if self.era == Era::Early {
                self.paragraphs(&efforts);
                self.paragraphs(&profile);
            } else {
                self.section("GOVERNMENT EFFORTS", &efforts);
                self.section("TRAFFICKING PROFILE", &profile);
            }
            return self.finish();
        }
        match self.era {
            Era::Early => {
                let profile_lead = self.profile_lead(false);
                let profile = self.paragraph(Some(profile_lead), &vocabulary().profile, budget(0.25));
                let finding = self.tier_paragraph(budget(0.35));
                self.paragraphs(&[profile, finding]);
                let banks: [(&str, &[&str]); 3] = [
                    ("efforts to prosecute traffickers", &vocabulary().prosecution),
                    ("efforts to protect victims", &vocabulary().protection),
                    ("efforts to prevent trafficking", &vocabulary().prevention),
                ];
                let count = if self.year <= 2002 { self.rng.range(0, 1) as usize } else { 3 };
                let share = 0.35 / count.max(1) as f64;
                for (what, bank) in banks.into_iter().take(count) {
                    let first = lead(self, what);
                    let paragraph = self.paragraph(Some(first), bank, budget(share));
                    self.paragraphs(&[paragraph]);
                }
            }
            Era::SubHeadings | Era::Inline => {
                let profile_lead = self.profile_lead(false);
                let profile = self.paragraph(Some(profile_lead), &vocabulary().profile, budget(0.12));
                let finding = self.tier_paragraph(budget(0.09));
                self.paragraphs(&[profile, finding]);
                if self.era == Era::Inline {
                    let list = self.recommendation_list();
                    if self.year >= 2015 {
                        let title = format!("RECOMMENDATIONS FOR {}:", self.upper);
                        self.line(&title);
                        self.paragraphs(&[list]);
                    } else {
                        let paragraph = format!("Recommendations for {}: {}", self.name, lower_first(&list));
                        self.paragraphs(&[paragraph]);
                    }
                }
                self.body_sections(length, false);
            }
            Era::Colon | Era::Gvnet => {
                let finding = self.tier_paragraph(budget(0.09));
                self.paragraphs(&[finding]);
                if self.era == Era::Colon {
                    let title = if self.year == 2017 {
                        format!("RECOMMENDATIONS FOR {}", self.upper)
                    } else {
                        "RECOMMENDATIONS".to_owned()
                    };
                    let list = self.recommendation_list();
                    self.line(&title);
                    self.paragraphs(&[list]);
                } else {
                    self.line("Prioritized Recommendations");
                    self.blank();
                    let items: Vec<String> =
                        self.recommendation_items().iter().map(|item| format!("{}.", capitalized(item))).collect();
                    self.paragraphs(&items);
                }
                self.body_sections(length, true);
            }
        }
        self.finish()
    }

    /// PROSECUTION, PROTECTION, PREVENTION and, from 2017, TRAFFICKING PROFILE.
    fn body_sections(&mut self, length: usize, with_profile: bool) {
        let budget = |share: f64| (length as f64 * share) as usize;
        let change = |w: &mut Self| {
            *w.rng.pick(&["increased", "maintained", "decreased", "modestly increased", "slightly decreased"])
        };
        let verb = change(self);
        let prosecution = self.section_text(
            format!("The government {verb} law enforcement efforts."),
            &vocabulary().prosecution,
            budget(0.22),
        );
        let verb = change(self);
        let protection = self.section_text(
            format!("The government {verb} efforts to protect victims."),
            &vocabulary().protection,
            budget(0.29),
        );
        let verb = change(self);
        let prevention = self.section_text(
            format!("The government {verb} efforts to prevent trafficking."),
            &vocabulary().prevention,
            budget(0.16),
        );
        let prosecution_title = if self.year == 2018 && self.rng.chance(0.5) { "PROSECUTIONS" } else { "PROSECUTION" };
        self.section(prosecution_title, &prosecution);
        self.section("PROTECTION", &protection);
        self.section("PREVENTION", &prevention);
        if with_profile {
            let lead = self.profile_lead(true);
            let profile = self.section_text(lead, &vocabulary().profile, budget(0.15));
            self.section("TRAFFICKING PROFILE", &profile);
        }
    }

    /// Era typography, then the 2018 PDF parse's artifacts.
    fn finish(&mut self) -> String {
        let mut text = std::mem::take(&mut self.out);
        while text.ends_with("\n\n") {
            text.pop();
        }
        if self.year >= 2017 {
            text = text.replace('\'', "’");
        }
        if self.year == 2018 {
            text = text.replace('—', "Š");
            text = self.glue_page_headers(&text);
        } else if self.year < 2008 {
            text = text.replace('—', " – ");
        }
        text
    }

    /// The page numbers and running headers a PDF parse glues into the text ("victims,
    /// 292MALIirrespective"): one per 5,000 characters or so, before a lower-case word.
    fn glue_page_headers(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 64);
        let mut page = self.rng.range(20, 480);
        let mut next = self.rng.range(2_500, 7_500) as usize;
        let mut last = 0;
        for (i, _) in text.match_indices(' ') {
            let after = text[i + 1..].chars().next();
            if i >= next && after.is_some_and(|c| c.is_ascii_lowercase()) {
                out.push_str(&text[last..=i]);
                let _ = write!(out, "{page}{}", self.upper);
                last = i + 1;
                page += 1;
                next = i + self.rng.range(2_500, 7_500) as usize;
            }
        }
        out.push_str(&text[last..]);
        out
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |c| c.to_uppercase().collect::<String>() + chars.as_str())
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |c| c.to_lowercase().collect::<String>() + chars.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_expands_whole() {
        let mali = CountryRegistry::global().resolve("Mali").unwrap();
        let mut writer = Writer::new(Rng::new(1), mali, 2020, 0);
        let v = vocabulary();
        let banks = [
            &v.intro_efforts,
            &v.intro_gaps,
            &v.prosecution,
            &v.protection,
            &v.prevention,
            &v.profile,
            &v.recommendations,
        ];
        for template in banks.into_iter().flatten() {
            let text = writer.expand(template);
            assert!(!text.contains(['{', '}', '[', ']', '|']), "{template:?} gave {text:?}");
        }
    }
}
