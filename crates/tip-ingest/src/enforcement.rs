//! Enforcement figures read from a narrative: investigations, prosecutions, convictions and
//! victims identified, for the reporting period and the period before, each with the sentence it
//! came from (issue 12).
//!
//! The reading is a pass over each sentence's tokens with bounded look-around, so it is linear in
//! the text. A number becomes a figure when a measure claims it: a measure noun ("81
//! investigations"), a verb just before it ("convicted four traffickers"), "investigation of
//! 132", "N were convicted", or, in a comparison ("(11 in 2016)", "compared with 24"), the figure
//! it compares with. Figures of complicit officials, NGOs alone, other years, and parts of a
//! stated total are left out; "did not report" is silence, "did not convict any" is zero.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use tip_model::pb::{
    EnforcementFigures, Evidence, Exploitation, Figure, FigureDetail, PreviousPeriod, Report, SectionKind, Unit,
};

/// The four measures, in the order of `EnforcementFigures`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Measure {
    Investigations,
    Prosecutions,
    Convictions,
    VictimsIdentified,
}

impl Measure {
    const ALL: [Measure; 4] =
        [Measure::Investigations, Measure::Prosecutions, Measure::Convictions, Measure::VictimsIdentified];

    /// The measure a verb or noun names, and whether the word is a noun ("prosecutions of").
    fn of_trigger(word: &str) -> Option<(Measure, bool)> {
        // "opened 164 cases"
        if word == "opened" {
            return Some((Measure::Investigations, false));
        }
        let measure = |stem: &str| match stem {
            "investigat" => Some(Measure::Investigations),
            "prosecut" | "indict" => Some(Measure::Prosecutions),
            "convict" => Some(Measure::Convictions),
            "identif" => Some(Measure::VictimsIdentified),
            _ => None,
        };
        let (stem, rest) = ["investigat", "prosecut", "indict", "convict", "identif"]
            .iter()
            .find_map(|stem| word.strip_prefix(stem).map(|rest| (*stem, rest)))?;
        let noun = match (stem, rest) {
            ("investigat", "ion" | "ions") | ("prosecut", "ion" | "ions") | ("indict", "ment" | "ments") => true,
            ("convict", "ion" | "ions") => true,
            ("investigat", "e" | "ed" | "ing")
            | ("prosecut", "e" | "ed" | "ing")
            | ("indict", "" | "ed" | "ing")
            | ("convict", "" | "ed" | "ing")
            | ("identif", "y" | "ied" | "ying") => false,
            _ => return None,
        };
        measure(stem).map(|m| (m, noun))
    }
}

/// The figures of a report: the PROSECUTION section gives the first three measures, PROTECTION
/// the victims identified; a narrative without those sections is read whole from its opening
/// paragraphs.
pub fn extract(report: &Report) -> EnforcementFigures {
    let year = (report.year > 0).then_some(report.year);
    let mut found = Found::default();
    let kind_of = |kind: i32| SectionKind::try_from(kind).unwrap_or(SectionKind::Unspecified);
    let mut any_section = false;
    for section in &report.sections {
        let kind = kind_of(section.kind);
        let measures: &[Measure] = match kind {
            SectionKind::Prosecution => &Measure::ALL[..3],
            SectionKind::Protection => &Measure::ALL[3..],
            _ => continue,
        };
        any_section = true;
        for (index, paragraph) in section.paragraphs.iter().enumerate() {
            read_paragraph(paragraph, Place { kind, paragraph: index }, measures, year, &mut found);
        }
    }
    if !any_section {
        for (index, paragraph) in report.paragraphs.iter().enumerate() {
            let place = Place { kind: SectionKind::Unspecified, paragraph: index };
            read_paragraph(paragraph, place, &Measure::ALL, year, &mut found);
        }
    }
    found.into_figures()
}

/// Where a paragraph stands in the report.
#[derive(Clone, Copy)]
struct Place {
    kind: SectionKind,
    paragraph: usize,
}

/// The candidates, per period and measure, in the order of the text.
#[derive(Default)]
struct Found {
    current: [Vec<Figure>; 4],
    previous: [Vec<Figure>; 4],
}

impl Found {
    /// The first figure of each measure; a stated zero only when no other figure is stated (a
    /// narrative that "did not identify any child victims" after identifying 71).
    fn into_figures(self) -> EnforcementFigures {
        fn choose(candidates: [Vec<Figure>; 4]) -> [Option<Figure>; 4] {
            candidates.map(|list| {
                let first = list.iter().find(|f| f.count > 0).or(list.first())?;
                // Persons before cases when the same sentence gives both.
                let persons =
                    list.iter().find(|f| f.evidence == first.evidence && f.count > 0 && f.unit == Unit::Persons as i32);
                match persons {
                    Some(persons) if first.unit == Unit::Cases as i32 => {
                        let mut figure = persons.clone();
                        if figure.details.is_empty() {
                            let cases =
                                FigureDetail { count: first.count, unit: first.unit, ..FigureDetail::default() };
                            figure.details.push(cases);
                        }
                        Some(figure)
                    }
                    _ => Some(first.clone()),
                }
            })
        }
        let [investigations, prosecutions, convictions, victims_identified] = choose(self.current);
        let [p_investigations, p_prosecutions, p_convictions, p_victims] = choose(self.previous);
        EnforcementFigures {
            investigations,
            prosecutions,
            convictions,
            victims_identified,
            previous: Some(PreviousPeriod {
                investigations: p_investigations,
                prosecutions: p_prosecutions,
                convictions: p_convictions,
                victims_identified: p_victims,
            }),
        }
    }
}

/// The reporting period of a figure, relative to the report year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Period {
    Current,
    Previous,
    /// Another year: left out.
    Other,
}

fn period_of_year(year: i32, report_year: Option<i32>) -> Period {
    match report_year {
        Some(y) if year == y - 1 => Period::Current,
        Some(y) if year == y - 2 => Period::Previous,
        _ => Period::Other,
    }
}

/// Word stems without their first letter, so that "Prosecutions" and "prosecuted" both match: a
/// sentence that names none of the measures read from its section is not read further. [the
/// first three measures, victims identified, all four]
static TRIGGER_STEMS: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    ["nvestigat|rosecut|ndict|onvict|opened", "dentif", "nvestigat|rosecut|ndict|onvict|opened|dentif"]
        .map(|pattern| Regex::new(pattern).expect("a valid pattern"))
});

/// What a figure needs: digits, a number word, or a word that states zero. A sentence without
/// any is not tokenized.
static COUNT_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    let words = SMALL_WORDS.iter().chain(&TENS_WORDS).chain(&["no", "any", "anyone", "none"]).copied();
    let pattern = format!(r"[0-9]|(?i-u:\b(?:{})\b)", words.collect::<Vec<_>>().join("|"));
    Regex::new(&pattern).expect("a valid pattern")
});

fn read_paragraph(text: &str, place: Place, measures: &[Measure], year: Option<i32>, found: &mut Found) {
    let stems = match (measures.contains(&Measure::Investigations), measures.contains(&Measure::VictimsIdentified)) {
        (true, false) => &TRIGGER_STEMS[0],
        (false, true) => &TRIGGER_STEMS[1],
        _ => &TRIGGER_STEMS[2],
    };
    let mut triggers = stems.find_iter(text).map(|m| m.start()).peekable();
    for sentence in sentences(text) {
        let mut named = false;
        while let Some(&at) = triggers.peek() {
            if at >= sentence.bytes.end {
                break;
            }
            named |= at >= sentence.bytes.start;
            triggers.next();
        }
        let body = &text[sentence.bytes.clone()];
        if !named || body.contains("complicit") || !COUNT_WORDS.is_match(body) {
            continue;
        }
        let mut evidence: Option<Evidence> = None;
        for candidate in read_sentence(&tokenize(body), year) {
            if !measures.contains(&candidate.measure) {
                continue;
            }
            let list = match candidate.period {
                Period::Current => &mut found.current,
                Period::Previous => &mut found.previous,
                Period::Other => continue,
            };
            let evidence = evidence.get_or_insert_with(|| Evidence {
                section: place.kind as i32,
                paragraph: i32::try_from(place.paragraph).unwrap_or(i32::MAX),
                start: i32::try_from(sentence.chars.start).unwrap_or(i32::MAX),
                end: i32::try_from(sentence.chars.end).unwrap_or(i32::MAX),
                sentence: body.to_owned(),
            });
            list[candidate.measure as usize].push(Figure { evidence: Some(evidence.clone()), ..candidate.figure });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sentences

/// A sentence's range in its paragraph, in bytes and in code points.
struct SentenceSpan {
    bytes: std::ops::Range<usize>,
    chars: std::ops::Range<usize>,
}

/// Words after which a full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "no", "nos", "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "art", "gen", "col", "lt", "gov", "jan", "feb",
    "aug", "sept", "oct", "nov", "dec", "approx", "inc", "ltd", "co", "e.g", "i.e",
];

/// Splits a paragraph into sentences: a full stop, question or exclamation mark ends one when a
/// capital, a digit or an opening mark follows (after spaces or none: PDF text glues sentences,
/// "traffickers.During"), unless it closes an abbreviation ("U.S.", "No.") or sits in a number.
fn sentences(text: &str) -> Vec<SentenceSpan> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    // Code points before `counted`, counted once as the spans move forward.
    let (mut counted, mut chars) = (0, 0);
    let mut char_index = |byte: usize| {
        chars += text[counted..byte].chars().count();
        counted = byte;
        chars
    };
    let mut start = 0;
    for stop in memchr::memchr3_iter(b'.', b'?', b'!', bytes) {
        if stop < start || !ends_sentence(text, stop) {
            continue;
        }
        let end = stop + 1 + closers(&text[stop + 1..]);
        push_sentence(text, start..end, &mut char_index, &mut spans);
        start = end;
    }
    push_sentence(text, start..text.len(), &mut char_index, &mut spans);
    spans
}

/// The length of the closing marks at the start of `text`: `)`, quotes.
fn closers(text: &str) -> usize {
    text.chars().take_while(|c| matches!(c, ')' | '"' | '\u{201d}' | '\u{2019}' | '\'')).map(char::len_utf8).sum()
}

fn ends_sentence(text: &str, at: usize) -> bool {
    let bytes = text.as_bytes();
    if bytes[at] == b'.' {
        // The word before the stop, as far back as letters and inner stops go ("U.S", "e.g").
        let from = at - bytes[..at].iter().rev().take_while(|b| b.is_ascii_alphabetic() || **b == b'.').count();
        let word = &text[from..at];
        let single_letter = word.len() == 1 || (word.len() >= 2 && word.as_bytes()[word.len() - 2] == b'.');
        if (single_letter && word.as_bytes().last().is_some_and(u8::is_ascii_alphabetic))
            || ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(word))
        {
            return false;
        }
    }
    let after = &text[at + 1..];
    let rest = &after[closers(after)..];
    let trimmed = rest.trim_start();
    let spaced = trimmed.len() < rest.len();
    let Some(following) = trimmed.chars().next() else { return true };
    if following.is_uppercase() {
        return true;
    }
    spaced && (following.is_ascii_digit() || matches!(following, '(' | '"' | '\u{201c}'))
}

fn push_sentence(
    text: &str,
    range: std::ops::Range<usize>,
    char_index: &mut impl FnMut(usize) -> usize,
    spans: &mut Vec<SentenceSpan>,
) {
    let piece = &text[range.clone()];
    let start = range.start + (piece.len() - piece.trim_start().len());
    let end = range.start + piece.trim_end().len();
    if start < end {
        let chars = char_index(start)..char_index(end);
        spans.push(SentenceSpan { bytes: start..end, chars });
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens and numbers

#[derive(Clone, Debug, PartialEq)]
enum Kind<'t> {
    /// A word, lower-cased.
    Word(Cow<'t, str>),
    /// A count, in digits or words; `approximate` for "at least 12", "more than 100".
    Number {
        value: i64,
        approximate: bool,
    },
    /// A four-digit year.
    Year(i32),
    Punct(char),
}

#[derive(Clone, Debug)]
struct Token<'t> {
    kind: Kind<'t>,
}

impl Token<'_> {
    fn word(&self) -> Option<&str> {
        match &self.kind {
            Kind::Word(w) => Some(w),
            _ => None,
        }
    }
    fn is(&self, word: &str) -> bool {
        self.word() == Some(word)
    }
}

/// Splits a sentence into words, digit groups and punctuation, then merges numbers written in
/// words ("one hundred twenty-three", "1.7 million") into one number each.
fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut raw: Vec<Kind<'_>> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_alphanumeric() {
            let mut end = start + c.len_utf8();
            while let Some(&(i, d)) = chars.peek() {
                let inner = matches!(d, '-' | ',' | '.' | '\'' | '\u{2019}')
                    && text[i + d.len_utf8()..].chars().next().is_some_and(|n| {
                        if d == ',' || d == '.' {
                            n.is_ascii_digit() && text[start..i].chars().all(|x| x.is_ascii_digit() || x == ',')
                        } else {
                            n.is_alphanumeric()
                        }
                    });
                if d.is_alphanumeric() || inner {
                    end = i + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            raw.push(classify_word(&text[start..end]));
        } else if !c.is_whitespace() {
            // PDF text prints the em dash as "Š".
            raw.push(Kind::Punct(if c == 'Š' { '\u{2014}' } else { c }));
        }
    }
    merge_numbers(raw)
}

fn classify_word(word: &str) -> Kind<'_> {
    if word.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        if word.len() == 4
            && let Ok(year) = word.parse::<i32>()
            && (1900..2100).contains(&year)
        {
            return Kind::Year(year);
        }
        if word.bytes().all(|b| b.is_ascii_digit() || b == b',')
            && let Ok(value) = word.replace(',', "").parse::<i64>()
        {
            return Kind::Number { value, approximate: false };
        }
        // "1.7" stands only before "million"; "16-20", "149a" are no counts.
        return Kind::Word(Cow::Borrowed(word));
    }
    if word.chars().any(char::is_uppercase) {
        Kind::Word(Cow::Owned(word.to_lowercase()))
    } else {
        Kind::Word(Cow::Borrowed(word))
    }
}

const SMALL_WORDS: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS_WORDS: [&str; 8] = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/// The value of a number word: units and teens, tens ("seventy-nine" too), and the multipliers.
fn number_word(word: &str) -> Option<NumberWord> {
    let small = |w: &str| SMALL_WORDS.iter().position(|s| *s == w).and_then(|v| i64::try_from(v).ok());
    let tens = |w: &str| TENS_WORDS.iter().position(|s| *s == w).and_then(|v| i64::try_from(v * 10 + 20).ok());
    if let Some(v) = small(word) {
        return Some(NumberWord::Small(v));
    }
    if let Some(v) = tens(word) {
        return Some(NumberWord::Tens(v));
    }
    match word {
        "hundred" => return Some(NumberWord::Hundred),
        "thousand" => return Some(NumberWord::Scale(1_000)),
        "million" => return Some(NumberWord::Scale(1_000_000)),
        _ => {}
    }
    // "seventy-nine": only words of 8 to 13 letters can be one.
    if !(8..=13).contains(&word.len()) {
        return None;
    }
    let (t, u) = word.split_once('-')?;
    Some(NumberWord::Tens(tens(t)? + small(u).filter(|u| (1..10).contains(u))?))
}

#[derive(Clone, Copy)]
enum NumberWord {
    Small(i64),
    Tens(i64),
    Hundred,
    Scale(i64),
}

/// Reads a number in words or digits at the start of `words` ("one hundred twenty-three", "1,234",
/// "1.7 million", "Seventy-nine"): its value and how many words it took.
pub fn read_number(words: &[&str]) -> Option<(i64, usize)> {
    let kinds: Vec<Kind<'_>> = words.iter().map(|w| classify_word(w)).collect();
    match kinds.is_empty() {
        true => None,
        false => Some(number_at(&kinds)).filter(|(_, taken)| *taken > 0),
    }
}

fn merge_numbers(raw: Vec<Kind<'_>>) -> Vec<Token<'_>> {
    let mut tokens: Vec<Token<'_>> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let (value, taken) = number_at(&raw[i..]);
        if taken > 0 {
            let approximate = approximate_before(&tokens);
            tokens.push(Token { kind: Kind::Number { value, approximate } });
            i += taken;
        } else {
            tokens.push(Token { kind: raw[i].clone() });
            i += 1;
        }
    }
    tokens
}

/// The number at the start of `raw` and the tokens it takes; (0, 0) when none.
fn number_at(raw: &[Kind<'_>]) -> (i64, usize) {
    fn word<'k>(k: &'k Kind<'_>) -> Option<&'k str> {
        match k {
            Kind::Word(w) => Some(w),
            _ => None,
        }
    }
    // Digits, possibly scaled: "3 million", "1.7 million".
    let digits = match &raw[0] {
        Kind::Number { value, .. } => Some(*value as f64),
        Kind::Word(w) if w.as_bytes().first().is_some_and(u8::is_ascii_digit) => w.parse::<f64>().ok(),
        // Number words start with one of these letters.
        Kind::Word(w)
            if !w
                .as_bytes()
                .first()
                .is_some_and(|b| matches!(b, b'z' | b'o' | b't' | b'f' | b's' | b'e' | b'n' | b'h' | b'm')) =>
        {
            return (0, 0);
        }
        _ => None,
    };
    if let Some(base) = digits {
        let scale = raw.get(1).and_then(word).and_then(|w| match number_word(w) {
            Some(NumberWord::Scale(s)) => Some(s),
            _ => None,
        });
        return match (scale, &raw[0]) {
            #[allow(clippy::cast_possible_truncation)] // a count of at most millions
            (Some(s), _) => ((base * s as f64).round() as i64, 2),
            (None, Kind::Number { value, .. }) => (*value, 1),
            _ => (0, 0),
        };
    }
    let (mut total, mut group, mut taken) = (0i64, 0i64, 0usize);
    // What may follow: a unit after tens ("twenty one"), anything after "hundred" or a scale.
    let mut last: Option<NumberWord> = None;
    while let Some(w) = raw.get(taken).and_then(word) {
        let Some(next) = number_word(w) else {
            // "one hundred and five"
            if w == "and"
                && matches!(last, Some(NumberWord::Hundred))
                && raw.get(taken + 1).and_then(word).and_then(number_word).is_some()
            {
                taken += 1;
                continue;
            }
            break;
        };
        let fits = match (last, next) {
            (None, NumberWord::Small(_) | NumberWord::Tens(_)) => true,
            (None, _) => false,
            (Some(NumberWord::Tens(t)), NumberWord::Small(u)) => t % 10 == 0 && (1..10).contains(&u),
            (Some(NumberWord::Small(_) | NumberWord::Tens(_)), NumberWord::Hundred) => group > 0 && group < 100,
            (Some(NumberWord::Small(_) | NumberWord::Tens(_) | NumberWord::Hundred), NumberWord::Scale(_)) => group > 0,
            (Some(NumberWord::Hundred | NumberWord::Scale(_)), NumberWord::Small(_) | NumberWord::Tens(_)) => true,
            _ => false,
        };
        if !fits {
            break;
        }
        match next {
            NumberWord::Small(v) | NumberWord::Tens(v) => group += v,
            NumberWord::Hundred => group *= 100,
            NumberWord::Scale(s) => {
                total += group * s;
                group = 0;
            }
        }
        last = Some(next);
        taken += 1;
    }
    if taken == 0 {
        return (0, 0);
    }
    (total + group, taken)
}

/// Whether the words just before a number qualify it: "at least", "more than", "approximately".
fn approximate_before(tokens: &[Token<'_>]) -> bool {
    let word = |back: usize| tokens.len().checked_sub(back).and_then(|i| tokens[i].word());
    matches!(
        (word(2), word(1)),
        (_, Some("approximately" | "about" | "nearly" | "almost" | "around" | "roughly" | "over" | "some"))
            | (Some("at"), Some("least"))
            | (Some("more" | "fewer" | "less"), Some("than"))
            | (Some("an"), Some("estimated"))
    )
}

// ---------------------------------------------------------------------------------------------
// Clauses

/// What a noun after a number counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Noun {
    Persons { victims: bool },
    Cases(Option<Measure>),
}

fn noun(word: &str) -> Option<Noun> {
    let persons = [
        "suspect",
        "suspects",
        "defendant",
        "defendants",
        "trafficker",
        "traffickers",
        "individual",
        "individuals",
        "person",
        "persons",
        "people",
        "perpetrator",
        "perpetrators",
        "offender",
        "offenders",
        "anyone",
    ];
    if persons.contains(&word) {
        return Some(Noun::Persons { victims: false });
    }
    if word == "victim" || word == "victims" {
        return Some(Noun::Persons { victims: true });
    }
    if matches!(word, "case" | "cases" | "complaints") {
        return Some(Noun::Cases(None));
    }
    match Measure::of_trigger(word) {
        Some((measure, true)) => Some(Noun::Cases(Some(measure))),
        _ => None,
    }
}

/// Words that end the noun phrase after a number.
fn ends_phrase(word: &str) -> bool {
    matches!(
        word,
        "in" | "of"
            | "for"
            | "under"
            | "from"
            | "to"
            | "with"
            | "during"
            | "compared"
            | "at"
            | "by"
            | "on"
            | "who"
            | "which"
            | "that"
            | "including"
            | "involving"
            | "against"
            | "were"
            | "was"
            | "had"
            | "have"
            | "has"
            | "been"
            | "into"
            | "as"
            | "than"
            | "while"
            | "but"
            | "reported"
            | "the"
            | "this"
            | "these"
    )
}

/// Qualifiers that make a stated zero about a part only ("did not convict any forced labor
/// offenders"), not the whole measure.
fn partial(word: &str) -> bool {
    matches!(word, "sex" | "labor" | "forced" | "child" | "children" | "adult" | "foreign" | "domestic" | "male")
}

/// A candidate figure being read from a sentence.
struct Candidate {
    measure: Measure,
    period: Period,
    figure: Figure,
    /// The clause of the sentence, and the token index just after the figure's phrase in it: parts
    /// and persons attach to the figure just before them in the same clause.
    clause: usize,
    end: usize,
}

fn figure(count: i64, unit: Unit, approximate: bool) -> Figure {
    Figure { count, unit: unit as i32, approximate, ..Figure::default() }
}

fn exploitation_after(tokens: &[Token<'_>]) -> Exploitation {
    for token in tokens.iter().take(6) {
        match token.word() {
            Some("sex" | "sexual") => return Exploitation::Sex,
            Some("labor" | "labour" | "servitude" | "begging") => return Exploitation::Labor,
            Some(_) => {}
            None => break,
        }
    }
    Exploitation::Unspecified
}

/// Reads one sentence: each clause (up to a semicolon or colon) in turn, a comparison in a later
/// clause ("...; this compared to four victims in 2016") comparing with the figure before it.
fn read_sentence(tokens: &[Token<'_>], year: Option<i32>) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for (index, clause) in tokens.split(|t| matches!(t.kind, Kind::Punct(';' | ':'))).enumerate() {
        ClauseReader { clause, index, year, candidates: &mut candidates }.read();
    }
    candidates
}

struct ClauseReader<'a, 't> {
    clause: &'t [Token<'t>],
    index: usize,
    year: Option<i32>,
    candidates: &'a mut Vec<Candidate>,
}

/// What the words before a number establish.
#[derive(Clone, Copy)]
struct Context {
    period: Period,
    /// After "compared with", "an increase from", or inside "(11 in 2016)".
    comparison: bool,
}

impl ClauseReader<'_, '_> {
    fn word(&self, i: usize) -> Option<&str> {
        self.clause.get(i).and_then(Token::word)
    }

    fn before(&self, at: usize, back: usize) -> Option<&str> {
        at.checked_sub(back).and_then(|i| self.word(i))
    }

    /// The year a token states as a period: "in 2016", "during 2017", "(five in 2016)"; not "the
    /// 2016 anti-trafficking law".
    fn stated_year(&self, i: usize) -> Option<i32> {
        match self.clause.get(i)?.kind {
            Kind::Year(y)
                if matches!(self.before(i, 1), Some("in" | "during" | "year" | "since" | "through" | "from")) =>
            {
                Some(y)
            }
            _ => None,
        }
    }

    /// The clause's own subject is an NGO or an international organization alone (rule 5).
    fn by_others(&self) -> bool {
        let end = self.clause.iter().position(|t| t.word().and_then(Measure::of_trigger).is_some());
        let subject = &self.clause[..end.unwrap_or(self.clause.len())];
        let others = subject
            .iter()
            .any(|t| matches!(t.word(), Some("ngo" | "ngos" | "organization" | "organizations" | "civil")));
        others && !subject.windows(2).any(|w| w[0].is("government") && w[1].is("and"))
    }

    fn read(mut self) {
        if self.by_others() {
            return;
        }
        // "In 2016, the government investigated ...": the clause's period.
        let leading = match self.word(0) {
            Some("in" | "during") => self.stated_year(1).map(|y| period_of_year(y, self.year)),
            _ => None,
        };
        let mut context = Context { period: leading.unwrap_or(Period::Current), comparison: false };
        let parens = self.parenthesis_periods();
        let mut negated: Option<usize> = None;
        for (i, token) in self.clause.iter().enumerate() {
            match &token.kind {
                Kind::Word(w) => match w.as_ref() {
                    "compared" | "compares" | "versus" | "similar" => {
                        context = Context { period: Period::Previous, comparison: true };
                    }
                    "from" if matches!(self.before(i, 1), Some("increase" | "decrease" | "up" | "down")) => {
                        context = Context { period: Period::Previous, comparison: true };
                    }
                    "not" | "never" | "neither" | "nor" => negated = Some(i),
                    // "compared to 10 in 2016, but ... did not initiate any new prosecutions", "compared
                    // with one ... and did not convict anyone": a new predicate.
                    "but" | "did" => {
                        context = Context { period: leading.unwrap_or(Period::Current), comparison: false };
                    }
                    "no" => self.read_zero(i, i, context),
                    "any" | "anyone" => {
                        if let Some(n) = negated.filter(|n| i - n <= 6) {
                            self.read_zero(n, i, context);
                        }
                    }
                    _ => {}
                },
                Kind::Number { value, approximate } => {
                    let here = match parens[i] {
                        Some(Some(period)) => Context { period, comparison: true },
                        // Parts of a total: details, not figures.
                        Some(None) => {
                            self.add_part_detail(i, *value);
                            continue;
                        }
                        None => context,
                    };
                    self.read_number(i, *value, *approximate, here);
                }
                _ => {}
            }
        }
    }

    /// For each token inside parentheses: `Some(Some(period))` for a comparison ("(11 in 2016)",
    /// "(none in 2016)"), `Some(None)` for a breakdown ("(13 for sex trafficking and ...)");
    /// `None` outside parentheses.
    fn parenthesis_periods(&self) -> Vec<Option<Option<Period>>> {
        let mut periods = vec![None; self.clause.len()];
        let mut open: Option<usize> = None;
        for i in 0..=self.clause.len() {
            let closes = i == self.clause.len() || matches!(self.clause[i].kind, Kind::Punct(')'));
            if let Some(start) = open
                && closes
            {
                let stated = (start + 1..i).find_map(|j| self.stated_year(j)).map(|y| period_of_year(y, self.year));
                let previous_words = (start + 1..i).any(|j| {
                    matches!(self.word(j), Some("previous" | "prior" | "last"))
                        && matches!(self.word(j + 1), Some("year" | "reporting"))
                });
                let period = stated.or(previous_words.then_some(Period::Previous));
                for slot in &mut periods[start + 1..i] {
                    *slot = Some(period);
                }
                open = None;
            } else if i < self.clause.len() && matches!(self.clause[i].kind, Kind::Punct('(')) && open.is_none() {
                open = Some(i);
            }
        }
        periods
    }

    /// The noun phrase after a number: the noun, whether a qualifier of a part ("forced labor")
    /// came before it, the index after the phrase, and whether the number stands bare ("convicted
    /// 21 of ...", "(five in 2016)") rather than before some other noun ("130 street children").
    fn noun_after(&self, at: usize) -> (Option<Noun>, bool, usize, bool) {
        let mut qualified = false;
        let bare = match self.word(at + 1) {
            None => true,
            Some(w) => ends_phrase(w) || w == "and" || w == "or",
        };
        for offset in at + 1..(at + 7).min(self.clause.len()) {
            let Some(word) = self.word(offset) else { break };
            if let Some(noun) = noun(word) {
                return (Some(noun), qualified, offset + 1, false);
            }
            if ends_phrase(word) || (word == "and" && self.word(offset + 1).is_none()) {
                break;
            }
            qualified |= partial(word);
        }
        (None, qualified, at + 1, bare)
    }

    /// The period a phrase after a figure states: "in 2016", "in the previous reporting period",
    /// "last year", up to the next punctuation, "and", or measure word.
    fn period_after(&self, from: usize) -> Option<Period> {
        for i in from..(from + 8).min(self.clause.len()) {
            match &self.clause[i].kind {
                Kind::Year(_) => return self.stated_year(i).map(|y| period_of_year(y, self.year)),
                Kind::Word(w) if matches!(w.as_ref(), "previous" | "prior" | "last") => {
                    if matches!(self.word(i + 1), Some("year" | "reporting")) {
                        return Some(Period::Previous);
                    }
                }
                Kind::Word(w)
                    if matches!(w.as_ref(), "and" | "compared" | "versus") || Measure::of_trigger(w).is_some() =>
                {
                    return None;
                }
                Kind::Word(_) | Kind::Number { .. } => {}
                Kind::Punct(_) => return None,
            }
        }
        None
    }

    /// The measures a verb before the number names: the nearest trigger within a few words, with
    /// the one joined to it by "and"/"or" ("prosecuted and convicted two", "the prosecution and
    /// conviction of one"); "totaling 1,117 victims" reaches back to the clause's verb.
    fn triggers_before(&self, at: usize) -> Vec<Measure> {
        let reach = if matches!(self.before(at, 1), Some("totaling" | "totaled" | "totalling")) { at } else { 7 };
        let mut found = Vec::new();
        for back in 1..=reach {
            let Some(i) = at.checked_sub(back) else { break };
            let Some(word) = self.word(i) else {
                if reach > 7 {
                    continue;
                }
                break;
            };
            let Some((measure, noun)) = Measure::of_trigger(word) else { continue };
            // A noun counts only as "the investigation of 132", "prosecutions against 56".
            if noun && !(back <= 3 && matches!(self.word(i + 1), Some("of" | "against" | "into"))) {
                break;
            }
            found.push(measure);
            if i >= 2
                && matches!(self.word(i - 1), Some("and" | "or"))
                && let Some((other, other_noun)) = self.word(i - 2).and_then(Measure::of_trigger)
                && other_noun == noun
            {
                found.push(other);
            }
            break;
        }
        found
    }

    /// "48 were convicted", "N victims identified": the trigger just after the phrase.
    fn trigger_after(&self, from: usize, victims: bool) -> Option<Measure> {
        let verb = |i: usize| self.word(i).and_then(Measure::of_trigger).filter(|(_, noun)| !noun).map(|(m, _)| m);
        if victims && verb(from) == Some(Measure::VictimsIdentified) {
            return Some(Measure::VictimsIdentified);
        }
        if matches!(self.word(from), Some("were" | "was")) { verb(from + 1) } else { None }
    }

    fn push(&mut self, measure: Measure, period: Period, figure: Figure, end: usize) {
        self.candidates.push(Candidate { measure, period, figure, clause: self.index, end });
    }

    fn last_in_clause(&mut self) -> Option<&mut Candidate> {
        self.candidates.last_mut().filter(|c| c.clause == self.index)
    }

    fn read_number(&mut self, at: usize, value: i64, approximate: bool, context: Context) {
        // A number that refers back ("the 112 suspects", "all 156") or names a law ("article 149").
        let refers_back = matches!(
            self.before(at, 1),
            Some(
                "the"
                    | "these"
                    | "those"
                    | "all"
                    | "remaining"
                    | "article"
                    | "articles"
                    | "section"
                    | "sections"
                    | "law"
                    | "decree"
                    | "chapter"
            )
        ) || matches!(at.checked_sub(1).map(|i| &self.clause[i].kind), Some(Kind::Punct('$')));
        // "14 under article 367 and three under article 411": parts by law, not figures.
        let part_by_law = self.word(at + 1) == Some("under")
            && matches!(self.word(at + 2), Some("article" | "articles" | "section" | "sections"));
        if refers_back || part_by_law {
            return;
        }
        let (noun, qualified, after, bare) = self.noun_after(at);
        if noun.is_none() && !bare || qualified && value == 0 {
            return;
        }
        let period = self.period_after(after).unwrap_or(context.period);
        let unit_of = |noun: Option<Noun>| match noun {
            Some(Noun::Persons { .. }) => Some(Unit::Persons),
            Some(Noun::Cases(_)) => Some(Unit::Cases),
            None => None,
        };
        let victims_noun = matches!(noun, Some(Noun::Persons { victims: true }));

        // "nine cases involving 17 suspects": persons replace the cases, kept as a detail.
        // A measure named just before ("initiated prosecutions against six defendants") must be
        // the one of those cases.
        if matches!(self.before(at, 1), Some("involving" | "with" | "against"))
            && matches!(noun, Some(Noun::Persons { victims: false }))
        {
            let (index, named) = (self.index, self.triggers_before(at));
            let found = self.candidates.iter().rposition(|c| {
                c.clause == index
                    && c.figure.unit == Unit::Cases as i32
                    && c.period == period
                    && (named.is_empty() || named.contains(&c.measure))
            });
            if let Some(found) = found {
                let mut persons = self.candidates.remove(found);
                let cases =
                    FigureDetail { count: persons.figure.count, unit: Unit::Cases as i32, ..FigureDetail::default() };
                persons.figure = Figure { details: vec![cases], ..figure(value, Unit::Persons, approximate) };
                persons.end = after;
                self.candidates.push(persons);
                return;
            }
        }

        let mut measures = match noun {
            Some(Noun::Cases(Some(measure))) if value == 0 => {
                std::iter::once(measure).chain(self.listed_after(after)).collect()
            }
            Some(Noun::Cases(Some(measure))) => vec![measure],
            _ => self.triggers_before(at),
        };
        if measures.is_empty()
            && let Some(measure) = self.trigger_after(after, victims_noun)
        {
            measures.push(measure);
        }
        // "eight for sex trafficking and one for labor trafficking": a part of a split.
        if measures.is_empty() && self.before(at, 1) == Some("and") {
            self.add_split_part(at, value, approximate, (period, after, unit_of(noun)));
            return;
        }
        // "(11 in 2016)", "compared with 24": the measure of the figure compared with.
        let mut inherited_unit = None;
        if measures.is_empty()
            && context.comparison
            && let Some(last) = self.candidates.last()
        {
            measures.push(last.measure);
            inherited_unit = Unit::try_from(last.figure.unit).ok();
        }
        for measure in measures {
            // Victims count for the identification only, and the victims of a prosecution are
            // not a count of it.
            let accepted = match measure {
                Measure::VictimsIdentified => victims_noun || (noun.is_none() && context.comparison),
                _ => !victims_noun,
            };
            if !accepted {
                continue;
            }
            let unit = unit_of(noun).or(inherited_unit).unwrap_or(Unit::Persons);
            self.push(measure, period, figure(value, unit, approximate), after);
        }
    }

    /// Adds the number after "and" to the figure just before when both name their form of
    /// trafficking: the figure becomes the sum, the parts its details.
    fn add_split_part(
        &mut self,
        at: usize,
        value: i64,
        approximate: bool,
        (period, after, unit): (Period, usize, Option<Unit>),
    ) {
        let clause = self.clause;
        let Some(last) = self.last_in_clause() else { return };
        let same_unit = unit.is_none_or(|u| last.figure.unit == u as i32);
        if !same_unit || last.period != period || last.end > at || last.end + 6 < at {
            return;
        }
        let first = exploitation_after(&clause[last.end..at]);
        let this = exploitation_after(&clause[after..]);
        if first == Exploitation::Unspecified || this == Exploitation::Unspecified {
            return;
        }
        if last.figure.details.is_empty() {
            let part = FigureDetail { count: last.figure.count, unit: last.figure.unit, exploitation: first as i32 };
            last.figure.details.push(part);
        }
        last.figure.details.push(FigureDetail { count: value, unit: last.figure.unit, exploitation: this as i32 });
        last.figure.count += value;
        last.figure.approximate |= approximate;
        last.end = after;
    }

    /// The measure nouns listed after a zero's noun: "no investigations, prosecutions, or
    /// convictions", "zero prosecutions or convictions".
    fn listed_after(&self, after: usize) -> Vec<Measure> {
        self.clause[after..]
            .iter()
            .take_while(|t| matches!(t.kind, Kind::Punct(',')) || t.word().is_some())
            .take(6)
            .filter_map(|t| t.word().and_then(Measure::of_trigger))
            .filter(|(_, noun)| *noun)
            .map(|(m, _)| m)
            .collect()
    }

    /// "did not convict any traffickers", "no investigations, prosecutions, or convictions":
    /// zero, unless the negation is about reporting ("did not report any", "has never reported")
    /// or the zero is about a part ("any forced labor offenders").
    fn read_zero(&mut self, negation: usize, at: usize, context: Context) {
        let between = &self.clause[negation..at];
        let about_reporting = between.iter().filter_map(Token::word).any(|w| {
            w.starts_with("report")
                || matches!(w, "provide" | "provided" | "data" | "information" | "statistics" | "collect" | "compile")
        });
        if about_reporting {
            return;
        }
        let (noun, qualified, after, _) = if self.clause[at].is("anyone") {
            (Some(Noun::Persons { victims: false }), false, at + 1, false)
        } else {
            self.noun_after(at)
        };
        let qualified_after = self.clause.iter().skip(after).take(4).filter_map(Token::word).any(partial);
        if qualified || qualified_after {
            return;
        }
        let mut measures: Vec<Measure> = match noun {
            // "no investigations, prosecutions, or convictions"
            Some(Noun::Cases(Some(measure))) => std::iter::once(measure).chain(self.listed_after(after)).collect(),
            Some(_) => between.iter().filter_map(|t| t.word().and_then(Measure::of_trigger)).map(|(m, _)| m).collect(),
            None => return,
        };
        let victims_noun = matches!(noun, Some(Noun::Persons { victims: true }));
        measures.retain(|m| (*m == Measure::VictimsIdentified) == victims_noun);
        let unit = if matches!(noun, Some(Noun::Cases(_))) { Unit::Cases } else { Unit::Persons };
        let period = self.period_after(after).unwrap_or(context.period);
        for measure in measures {
            self.push(measure, period, figure(0, unit, false), after);
        }
    }

    /// A number inside the parentheses right after a figure, with its form of trafficking: a
    /// detail of it ("21 new investigations in 2017 (13 for sex trafficking and eight for labor
    /// trafficking)").
    fn add_part_detail(&mut self, at: usize, value: i64) {
        let clause = self.clause;
        let exploitation = exploitation_after(&clause[at + 1..]);
        let Some(last) = self.last_in_clause() else { return };
        if exploitation == Exploitation::Unspecified || last.end > at {
            return;
        }
        let opened = clause[last.end..at].iter().position(|t| matches!(t.kind, Kind::Punct('(')));
        if opened.is_some_and(|o| o <= 3) {
            let detail = FigureDetail { count: value, unit: last.figure.unit, exploitation: exploitation as i32 };
            last.figure.details.push(detail);
        }
    }
}
