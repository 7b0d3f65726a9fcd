//! The scale corpus: N realistic country narratives of the TIP Report, the same bytes on every
//! machine (a fixed seed, a xorshift64* generator, no `rand`), for the benchmarks.
//!
//! ```sh
//! cargo run --release -p tip-ingest --example corpus -- --count 5000 --out target/corpus-5000
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
//! templates written in the reports' style, not from the reports.
//!
//! Beyond 4,725 documents the country-years repeat as variants (another source: a page title
//! "2019 Trafficking in Persons Report: Mali", or a GVnet "[Extracted from ..., June 2019]"
//! title; and other sentences): distinct bytes for the same report, so ingesting them replaces
//! the report (or keeps the variant as a revision of a more complete one). A 50,000-document
//! corpus thus holds 4,725 reports and 50,000 documents.
//!
//! Files are named `MALI_2019_generated.txt` (variants `MALI_2019_generated-v2.txt`), so the
//! file name hints the country and year as `tip-atlas ingest` reads them. The parser benchmark
//! includes this file (`#[path]`): there is one generator.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tip_ingest::Hints;
use tip_ingest::tier_table::bundled_placements;
use tip_model::pb::Tier;
use tip_model::tier::{tier_label, tier_rank};
use tip_model::{Country, CountryRegistry, ReportYear};

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

// --- the generator ------------------------------------------------------------------------------

/// xorshift64* (Vigna), seeded through splitmix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Self((z ^ (z >> 31)) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// About normal (mean 0, deviation 1): the sum of twelve uniforms.
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

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

/// The name the narratives use: the registry's, or its first alias without commas or
/// parentheses ("Korea, South" is "South Korea", "Turkey (Türkiye)" is "Turkey").
fn text_name(country: &Country) -> &str {
    std::iter::once(&country.display_name)
        .chain(&country.aliases)
        .find(|n| !n.contains([',', '(']) && n.chars().filter(|c| c.is_alphabetic()).count() >= 4)
        .map_or(country.display_name.as_str(), String::as_str)
}

/// The country part of a file name, in capitals, chosen so that the file name hints this very
/// country (`DR_CONGO`, not `DEMOCRATIC_REPUBLIC_OF_THE_CONGO`, whose last words name the
/// Republic of the Congo).
fn file_stem_name(country: &Country) -> String {
    let stem = |name: &str| {
        let mut out = String::new();
        for c in name.chars() {
            match c {
                '\'' | '’' => {}
                c if c.is_alphanumeric() => out.extend(c.to_uppercase()),
                _ if !out.ends_with('_') => out.push('_'),
                _ => {}
            }
        }
        out.trim_matches('_').to_owned()
    };
    let candidates = std::iter::once(text_name(country))
        .chain(std::iter::once(country.display_name.as_str()))
        .chain(country.aliases.iter().map(String::as_str));
    let hinted = |stem: &String| {
        Hints::from_path(Path::new(&format!("{stem}_2020_generated.txt"))).country.as_deref()
            == Some(country.iso3.as_str())
    };
    candidates.map(stem).find(hinted).unwrap_or_else(|| stem(text_name(country)))
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

// --- vocabulary ---------------------------------------------------------------------------------
//
// Templates: {C} the country, {P} {Q} {R} other countries, {Y} the year the reporting period
// ended, {Y0} the year before, {Y2} a few years later, {n} a small count, {N} a larger count,
// {a} {b} a range of years, {M} an amount, {S} an economic sector, {V} a vulnerable group, {A} an
// agency, {L} a law, {O} an organization, {K} a place; [one|other] picks one.

const SECTORS: &[&str] = &[
    "agriculture",
    "domestic work",
    "artisanal gold mining",
    "fishing and aquaculture",
    "construction",
    "garment factories",
    "brick kilns",
    "cocoa and coffee plantations",
    "cattle herding",
    "the hospitality sector",
    "street vending",
    "logging",
    "the informal sector",
    "textile production",
    "seafood processing",
];

const GROUPS: &[&str] = &[
    "migrant workers",
    "refugees and asylum-seekers",
    "internally displaced persons",
    "children in street situations",
    "individuals in commercial sex",
    "domestic workers",
    "unaccompanied children",
    "members of ethnic minority groups",
    "persons with disabilities",
    "LGBTQI+ persons",
    "foreign fishermen",
    "stateless persons",
];

const AGENCIES: &[&str] = &[
    "Ministry of Justice",
    "Ministry of Interior",
    "Ministry of Labor",
    "Ministry of Social Affairs",
    "national police",
    "Office of the Prosecutor General",
    "labor inspectorate",
    "Ministry of Foreign Affairs",
    "Ministry of Women and Children",
    "immigration service",
];

const LAWS: &[&str] = &[
    "The 2012 anti-trafficking law",
    "Articles 180 and 181 of the penal code",
    "The Prevention of Trafficking in Persons Act",
    "The 2010 Law on Combating Trafficking in Persons",
    "Article 143 of the criminal code",
    "The Trafficking in Persons (Prohibition) Act",
    "Law 2015-07 on trafficking in persons",
    "The Anti-Trafficking in Persons Act of 2009",
];

const ORGANIZATIONS: &[&str] = &[
    "an international organization",
    "foreign donors",
    "local NGOs",
    "the International Organization for Migration",
    "UNICEF",
    "a faith-based organization",
    "civil society organizations",
    "the ILO",
];

const PLACES: &[&str] = &[
    "the capital",
    "border towns",
    "mining regions",
    "coastal areas",
    "tourist destinations",
    "urban centers",
    "the northern regions",
    "refugee camps",
    "rural areas",
];

const INTRO_EFFORTS: &[&str] = &[
    "These efforts included [investigating and prosecuting more trafficking cases|convicting more traffickers|identifying more victims], [adopting a new national action plan|increasing funding for victim services|establishing a specialized anti-trafficking unit], and [training officials on victim identification|expanding awareness campaigns|cooperating with foreign governments on transnational cases].",
    "The government [adopted|finalized|launched] a [national action plan|national referral mechanism|standardized victim identification guide] for {Y}-{Y2} and [allocated|dedicated] {M} to its implementation.",
    "Authorities [increased|doubled|expanded] funding for [victim services|the national anti-trafficking committee|shelters operated by NGOs] and [opened|designated] {n} new [shelters|assistance centers] for trafficking victims.",
    "[It|The government] [trained|provided training to] {N} [police officers|labor inspectors|judges and prosecutors|consular officials] on [victim identification|the anti-trafficking law|trauma-informed interviewing techniques].",
    "The government [convicted|prosecuted] [more traffickers|a higher number of suspects] than in the previous reporting period, including {n} [officials|police officers] complicit in trafficking crimes.",
    "[Officials|Authorities] [identified|referred to care] more victims and [expanded|strengthened] [victim-witness support|legal assistance for victims|reintegration programs].",
];

const INTRO_GAPS: &[&str] = &[
    "The government [did not report|reported fewer] [investigations|prosecutions|convictions] than in the previous reporting period, and [some cases stalled for years|courts issued fully suspended sentences to some convicted traffickers].",
    "Officials did not [proactively|consistently] screen {V} for trafficking indicators, and authorities [penalized|detained|deported] some unidentified victims for unlawful acts traffickers compelled them to commit.",
    "[Judges|Courts] continued to issue [suspended sentences|fines] to [most|many] convicted traffickers, which [weakened deterrence|undermined efforts to hold traffickers accountable].",
    "[Shelter and services|Services] for [victims|male victims|adult victims], [especially|particularly] outside {K}, remained [insufficient|limited|inadequate].",
    "[Corruption and official complicity|Official complicity] in trafficking crimes remained [significant concerns|a concern], [inhibiting|hindering] law enforcement action [during the year|in {K}].",
    "The government did not [fully implement|allocate funding for] its national action plan, and [coordination among agencies remained weak|data collection remained inconsistent].",
];

const PROSECUTION: &[&str] = &[
    "{L} criminalized [sex trafficking and labor trafficking|labor trafficking and some forms of sex trafficking] and prescribed penalties of {a} to {b} years' imprisonment[ and a fine| or a fine|].",
    "These penalties were sufficiently stringent and, with respect to sex trafficking, commensurate with those prescribed for other serious crimes, such as rape.",
    "[In {Y}|During the reporting period], the government [reported|initiated] {N} [investigations|trafficking investigations], [prosecuted|initiated prosecutions against] {N} [suspects|alleged traffickers], and convicted {n} traffickers, compared with {N} investigations, {N} prosecutions, and {n} convictions in {Y0}.",
    "Sentences for convicted traffickers ranged from {a} to {b} years' imprisonment[, and courts ordered {n} traffickers to pay restitution to their victims|].",
    "The {A} maintained a specialized anti-trafficking unit of {N} officers, which [lacked adequate funding and staff|coordinated investigations with regional counterparts|investigated most of the cases reported in {Y}].",
    "[Law enforcement|Authorities] [cooperated with|conducted joint investigations with] counterparts in {P} and {Q} on [transnational trafficking cases|cases involving {C} nationals exploited abroad], and extradited {n} suspects.",
    "The government did not report any investigations, prosecutions, or convictions of government employees complicit in human trafficking crimes; however, corruption and official complicity in trafficking crimes remained significant concerns.",
    "[With support from|In partnership with] {O}, the government trained {N} [police officers, prosecutors, and judges|labor inspectors|border guards] on [investigating trafficking cases|the anti-trafficking law|victim-centered approaches].",
    "Observers reported [limited understanding of the crime among|insufficient resources for] [front-line officials|judges and prosecutors|police in {K}] [hindered|impeded] [investigations|prosecutions] [of labor trafficking|in remote regions].",
    "Courts [frequently|sometimes] [reclassified|prosecuted] trafficking cases as [lesser offenses|pimping or kidnapping|labor code violations], which carried [lighter|less stringent] penalties.",
    "Some cases remained pending at the end of the reporting period due to [lengthy judicial procedures|a backlog of cases in the courts|a lack of qualified investigators].",
    "The law prescribed penalties for forced labor—including in {S}—that were lower than those for sex trafficking, and officials [rarely|seldom] pursued such cases.",
    "The {A} [issued|circulated] guidelines to prosecutors on [charging trafficking crimes|seeking asset forfeiture in trafficking cases|working with victim-witnesses] and [reported|noted] {n} cases in which they were applied.",
];

const PROTECTION: &[&str] = &[
    "The government identified {N} [victims|trafficking victims] in {Y}, [including {n} children and {N} adults|compared with {N} in {Y0}]; [NGOs|international organizations] identified an additional {N} victims.",
    "Of the identified victims, {N} were [victims of forced labor|sex trafficking victims] and {n} were victims of [both|domestic servitude|forced begging].",
    "[Authorities|Officials] [used|relied on] [standard operating procedures|a national referral mechanism|written guidelines] to [identify and refer victims to care|screen {V} for trafficking indicators], [but observers noted that implementation was uneven|though not all regions applied them consistently].",
    "The government [funded|operated|partially funded] {n} [shelters|transit centers|multi-purpose shelters] for [victims of trafficking|women and child victims of crime], [which offered|offering] [medical care, psychological support, and legal assistance|temporary housing and vocational training].",
    "[Male victims|Adult male victims] [had limited access to shelter|could access services only through NGOs], and services for [victims with disabilities|child victims outside {K}] remained [scarce|limited].",
    "The government allocated {M} to [NGOs providing victim services|victim assistance programs], compared with {M} in {Y0}.",
    "Foreign victims [could apply for|were eligible for] [temporary residence permits|a reflection period of {n} months|long-term residency], [but authorities granted few such permits|and authorities issued {n} such permits during the reporting period].",
    "The law [allowed|entitled] victims to [file civil suits against traffickers|seek restitution|testify via video], [but no victims received restitution in {Y}|though courts rarely ordered restitution].",
    "[Due to inadequate screening|Because officials did not consistently screen for trafficking indicators], authorities [may have detained, fined, or deported|may have penalized] some unidentified victims for unlawful acts traffickers compelled them to commit[, such as immigration or prostitution violations|].",
    "[Victim-witness|Victim] protection measures [were available|existed] [in law|under the criminal procedure code], [but in practice victims rarely received them|and {n} victims received protection during trials].",
    "The government repatriated {n} [{C} nationals|citizens] exploited in {P} and {Q}[ with assistance from {O}|] and referred them to [reintegration services|NGO shelters].",
    "Shelters [provided|offered] care to victims regardless of their cooperation with law enforcement—though most victims chose to assist investigations—and allowed adult victims to leave unchaperoned.",
];

const PREVENTION: &[&str] = &[
    "The [national anti-trafficking committee|inter-ministerial working group|national coordinating body], [chaired by|led by] the {A}, [met {n} times during the reporting period|coordinated anti-trafficking efforts across agencies].",
    "The government [implemented|continued to implement|adopted] a national action plan for {Y0}-{Y2}[ and allocated {M} for its implementation|].",
    "[Authorities|The government] conducted awareness campaigns [in schools, at border crossings, and on social media|targeting {V}|in partnership with {O}], [reaching an estimated {N} people|in several languages].",
    "The {A} [conducted|carried out] {N} labor inspections[ in {S}|], but [labor inspectors lacked the authority to inspect private homes|the number of inspectors remained insufficient] [and did not identify any trafficking cases|to cover the country's workforce].",
    "The government [regulated|did not effectively regulate] [private recruitment agencies|labor recruiters] and [prohibited|did not prohibit] [recruitment fees charged to workers|the retention of workers' passports by employers].",
    "[Authorities|The government] operated a [hotline|toll-free hotline] [for reporting trafficking crimes|available in {n} languages], which received {N} calls [during the reporting period|in {Y}], of which {n} [were referred for investigation|involved potential trafficking cases].",
    "The government [did not make efforts|made efforts] to reduce the demand for [commercial sex acts|forced labor|participation in international sex tourism by its nationals].",
    "The government [provided|did not provide] anti-trafficking training [for its diplomatic personnel|to its troops prior to their deployment as peacekeepers].",
    "[Authorities|The government] [published|did not publish] [an annual report on its anti-trafficking efforts|data on investigations and victim identification] [in {Y}|on its website].",
    "The government [signed|renewed] memoranda of understanding with {P} and {Q} on [labor migration|the protection of migrant workers|information sharing on trafficking cases].",
];

const PROFILE: &[&str] = &[
    "Traffickers exploit [women and girls|men and boys|{V}] in [domestic servitude|forced labor in {S}|sex trafficking in {K}].",
    "Traffickers recruit [women and girls|young men|{V}] into [domestic servitude|forced labor in {S}|commercial sex in {K}].",
    "[Children|Boys|Girls] [from rural areas|from poor families|in orphanages] are [vulnerable to|exploited in] [forced begging|domestic servitude|forced labor in {S}] [in urban centers|in neighboring countries].",
    "Traffickers [use|increasingly use] [social media|fraudulent job offers|debt-based coercion] to [recruit|lure] victims [with promises of|by offering] [well-paid work|education|marriage] in {P}, {Q}, and [the Middle East|Europe|other countries in the region].",
    "Foreign [workers|migrants] from {P} and {Q} [are vulnerable to|experience] [forced labor in {S}|debt bondage|passport confiscation and wage withholding].",
    "[{C} nationals|Citizens] [have been identified as|are] victims of [sex trafficking|forced labor] in {P}, {Q}, and {R}.",
    "[Refugees and asylum-seekers|Internally displaced persons|Stateless persons] [remain|are] [particularly|highly] vulnerable to trafficking, [particularly|especially] [in camps near the border|in {K}].",
    "[Corrupt officials|Some officials] [reportedly|allegedly] [facilitate|accept bribes to facilitate] [trafficking|the movement of victims across borders|the issuance of fraudulent documents].",
    "Criminal networks move victims through {C} en route to {P} and {Q}, [often|sometimes] exploiting them in {S} along the way.",
    "[Employers|Labor brokers|Recruitment agents] in {S} [confiscate|withhold] [workers' identity documents|wages] and [impose|charge] [excessive recruitment fees|debts for food and lodging] to [hold|keep] workers in [servitude|debt bondage].",
    "[Families|Parents|Relatives] [sometimes|occasionally] [send|sell] children to [work for|live with] [wealthier relatives|urban families|religious teachers], where some are [exploited in|subjected to] [domestic servitude|forced begging|forced labor].",
    "[Women|Young women] from {C} [are recruited|answer advertisements] for [work as|jobs as] [waitresses, dancers, or models|domestic workers|caregivers] in {P} and {Q}, where traffickers [exploit them in commercial sex|confiscate their passports and force them to work].",
    "[Armed groups|Non-state armed groups|Militias] [recruit and use|forcibly recruit] [children|boys as young as 12] [as combatants, cooks, and porters|in support roles] in {K}.",
    "[Fishermen|Men] from {P} [work|are exploited] on [fishing vessels|long-haul fishing boats] in the waters of {C} [under conditions of|and experience] [forced labor|debt bondage|physical abuse].",
    "Sex tourists from {P}, {Q}, and [Europe|North America|other countries] [exploit|seek out] children in {K}[, sometimes with the complicity of hotel staff and taxi drivers|].",
];

const RECOMMENDATIONS: &[&str] = &[
    "vigorously investigate and prosecute trafficking crimes, and seek adequate penalties for convicted traffickers, which should involve significant prison terms",
    "increase efforts to proactively identify trafficking victims among vulnerable populations, including {V}, and refer them to appropriate services",
    "train law enforcement officials, prosecutors, and judges on the anti-trafficking law and victim-centered investigations",
    "ensure victims are not inappropriately penalized solely for unlawful acts traffickers compelled them to commit",
    "increase funding for victim services, including shelters for male victims and services outside {K}",
    "amend the anti-trafficking law to criminalize all forms of sex trafficking and labor trafficking without requiring a demonstration of force, fraud, or coercion in cases involving children",
    "finalize and implement a national action plan to combat trafficking, and allocate sufficient resources for its implementation",
    "investigate and prosecute government officials allegedly complicit in trafficking crimes",
    "strengthen oversight of labor recruitment agencies, and eliminate recruitment fees charged to workers",
    "establish and implement standard operating procedures for the identification and referral of victims to care",
    "improve data collection on investigations, prosecutions, convictions, and victims identified",
    "expand labor inspections to the informal sector, including {S}",
    "provide foreign victims with legal alternatives to their removal to countries where they may face hardship or retribution",
    "increase efforts to raise public awareness of trafficking, including among {V}",
    "enhance cooperation with {P} on transnational cases, including through joint investigations",
    "encourage victims to participate in investigations and prosecutions by providing witness protection and legal assistance",
    "allow victims to seek restitution and compensation, and inform them of this right",
    "dedicate resources to the national anti-trafficking committee so it can coordinate efforts effectively",
    "screen {V} for trafficking indicators before detention or deportation",
    "develop a mechanism for the safe repatriation and reintegration of {C} nationals exploited abroad",
];

// --- writing --------------------------------------------------------------------------------

struct Writer {
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
    fn new(mut rng: Rng, country: &'static Country, year: i32, variant: usize) -> Self {
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
            "S" => self.rng.pick(SECTORS).to_string(),
            "V" => self.rng.pick(GROUPS).to_string(),
            "A" => self.rng.pick(AGENCIES).to_string(),
            "L" => self.rng.pick(LAWS).to_string(),
            "O" => self.rng.pick(ORGANIZATIONS).to_string(),
            "K" => self.rng.pick(PLACES).to_string(),
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
            let template = *self.rng.pick(INTRO_EFFORTS);
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
            let more = self.paragraph(None, INTRO_GAPS, rest);
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
        let mut indexes: Vec<usize> = (0..RECOMMENDATIONS.len()).collect();
        for i in 0..count {
            let j = i + self.rng.below(indexes.len() - i);
            indexes.swap(i, j);
        }
        indexes[..count].iter().map(|&i| self.expand(RECOMMENDATIONS[i])).collect()
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

    fn write(&mut self) -> String {
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
            let intro = self.paragraph(Some(intro), INTRO_GAPS, budget(0.15));
            self.paragraphs(&[intro]);
            let efforts = self.section_text(
                "The government lacked the institutional capacity to address trafficking in most of its territory."
                    .to_owned(),
                PROSECUTION,
                budget(0.5),
            );
            let profile_lead = self.profile_lead(true);
            let profile = self.section_text(profile_lead, PROFILE, budget(0.35));
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
                let profile = self.paragraph(Some(profile_lead), PROFILE, budget(0.25));
                let finding = self.tier_paragraph(budget(0.35));
                self.paragraphs(&[profile, finding]);
                let banks: [(&str, &[&str]); 3] = [
                    ("efforts to prosecute traffickers", PROSECUTION),
                    ("efforts to protect victims", PROTECTION),
                    ("efforts to prevent trafficking", PREVENTION),
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
                let profile = self.paragraph(Some(profile_lead), PROFILE, budget(0.12));
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
        let prosecution =
            self.section_text(format!("The government {verb} law enforcement efforts."), PROSECUTION, budget(0.22));
        let verb = change(self);
        let protection =
            self.section_text(format!("The government {verb} efforts to protect victims."), PROTECTION, budget(0.29));
        let verb = change(self);
        let prevention = self.section_text(
            format!("The government {verb} efforts to prevent trafficking."),
            PREVENTION,
            budget(0.16),
        );
        let prosecution_title = if self.year == 2018 && self.rng.chance(0.5) { "PROSECUTIONS" } else { "PROSECUTION" };
        self.section(prosecution_title, &prosecution);
        self.section("PROTECTION", &protection);
        self.section("PREVENTION", &prevention);
        if with_profile {
            let lead = self.profile_lead(true);
            let profile = self.section_text(lead, PROFILE, budget(0.15));
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

// --- the command ----------------------------------------------------------------------------

fn usage() -> ! {
    eprintln!("usage: corpus --count N --out DIR");
    std::process::exit(2)
}

fn main() {
    let mut count = None;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--count" => count = args.next().and_then(|n| n.replace('_', "").parse::<usize>().ok()),
            "--out" => out = args.next().map(PathBuf::from),
            _ => usage(),
        }
    }
    let (Some(count), Some(out)) = (count, out) else { usage() };
    if let Err(error) = std::fs::create_dir_all(&out) {
        eprintln!("corpus: cannot create {}: {error}", out.display());
        std::process::exit(1);
    }
    let started = std::time::Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let bytes: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let out = &out;
                scope.spawn(move || {
                    let mut bytes = 0;
                    for index in (t..count).step_by(threads) {
                        let document = document(index);
                        let path = out.join(&document.file_name);
                        if let Err(error) = std::fs::write(&path, &document.bytes) {
                            eprintln!("corpus: cannot write {}: {error}", path.display());
                            std::process::exit(1);
                        }
                        bytes += document.bytes.len();
                    }
                    bytes
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    println!(
        "wrote {count} documents ({:.1} MB, {} distinct country-years) to {} in {:.1} s",
        bytes as f64 / 1e6,
        count.min(sweep()),
        out.display(),
        started.elapsed().as_secs_f64()
    );
}
