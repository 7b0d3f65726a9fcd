//! The enforcement figures of issue 12, one rule at a time, on sentences written for the purpose:
//! numbers in words and digits, persons before cases, sums of splits, zero versus silence, the
//! reporting period, and the evidence's span. Property tests spell numbers up to the millions,
//! fill every sentence form with random counts, and feed arbitrary text.

use proptest::prelude::*;
use tip_ingest::enforcement::{extract, read_number};
use tip_model::pb::{EnforcementFigures, Exploitation, Figure, Report, Section, SectionKind, Unit};

/// A 2018 report whose PROSECUTION and PROTECTION sections hold the given paragraphs.
fn report(prosecution: &[&str], protection: &[&str]) -> Report {
    let section = |kind: SectionKind, paragraphs: &[&str]| Section {
        kind: kind as i32,
        title: String::new(),
        paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
    };
    Report {
        year: 2018,
        sections: vec![section(SectionKind::Prosecution, prosecution), section(SectionKind::Protection, protection)],
        ..Report::default()
    }
}

fn prosecution(text: &str) -> EnforcementFigures {
    extract(&report(&[text], &[]))
}

fn protection(text: &str) -> EnforcementFigures {
    extract(&report(&[], &[text]))
}

fn previous(figures: &EnforcementFigures) -> tip_model::pb::PreviousPeriod {
    figures.previous.clone().unwrap_or_default()
}

/// (count, unit, approximate) of a figure.
fn summary(figure: &Option<Figure>) -> Option<(i64, Unit, bool)> {
    figure.as_ref().map(|f| (f.count, f.unit(), f.approximate))
}

const SMALL: [&str; 20] = [
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
const TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/// `n` in words as the report writes them: "one hundred twenty-three", "two million five".
fn spell(n: i64) -> String {
    fn below_thousand(n: usize, words: &mut Vec<String>) {
        let (hundreds, rest) = (n / 100, n % 100);
        if hundreds > 0 {
            words.push(SMALL[hundreds].to_owned());
            words.push("hundred".to_owned());
        }
        match rest {
            0 => {}
            1..=19 => words.push(SMALL[rest].to_owned()),
            _ if rest % 10 == 0 => words.push(TENS[rest / 10].to_owned()),
            _ => words.push(format!("{}-{}", TENS[rest / 10], SMALL[rest % 10])),
        }
    }
    let n = usize::try_from(n).expect("a count");
    if n == 0 {
        return "zero".to_owned();
    }
    let mut words = Vec::new();
    for (scale, name) in [(1_000_000, Some("million")), (1_000, Some("thousand")), (1, None)] {
        let part = n / scale % 1000;
        if part > 0 {
            below_thousand(part, &mut words);
            words.extend(name.map(str::to_owned));
        }
    }
    words.join(" ")
}

/// `n` with thousands separators: "1,234,567".
fn with_commas(n: i64) -> String {
    tip_corpus::with_thousands_separators(n.unsigned_abs())
}

proptest! {
    #[test]
    fn numbers_in_words_up_to_the_millions_read_back(n in 0i64..1_000_000_000) {
        let spelled = spell(n);
        let words: Vec<&str> = spelled.split(' ').collect();
        prop_assert_eq!(read_number(&words), Some((n, words.len())), "{}", spelled);
        // Capitalized at the start of a sentence ("Seventy-nine were convicted").
        let mut capital = spelled.clone();
        capital[..1].make_ascii_uppercase();
        let words: Vec<&str> = capital.split(' ').collect();
        prop_assert_eq!(read_number(&words), Some((n, words.len())));
        prop_assert_eq!(read_number(&[with_commas(n).as_str()]), Some((n, 1)));
    }

    #[test]
    fn every_sentence_form_gives_its_count(
        current in 0i64..5_000,
        before in 1i64..5_000,
        spelled in any::<bool>(),
        form in 0usize..8,
    ) {
        let n = if spelled { spell(current) } else { with_commas(current) };
        let m = if spelled { spell(before) } else { with_commas(before) };
        let sentence = match form {
            0 => format!("The government investigated {n} cases ({m} in 2016)."),
            1 => format!("Authorities prosecuted {n} defendants in 2017, compared with {m} in 2016."),
            2 => format!("Courts convicted {n} traffickers ({m} in 2016)."),
            3 => format!("Police initiated {n} investigations, compared with {m} investigations in the previous reporting period."),
            4 => format!("The government reported the prosecution of {n} alleged traffickers, an increase from {m} in 2016."),
            5 => format!("In 2017, prosecutors indicted {n} defendants ({m} in 2016)."),
            6 => format!("The government identified {n} potential trafficking victims, compared with {m} victims in 2016."),
            _ => format!("Authorities reported identifying {n} victims ({m} in 2016)."),
        };
        let figures = if form >= 6 { protection(&sentence) } else { prosecution(&sentence) };
        let (now, then) = match form {
            0 | 3 => (figures.investigations.clone(), previous(&figures).investigations),
            1 | 4 | 5 => (figures.prosecutions.clone(), previous(&figures).prosecutions),
            2 => (figures.convictions.clone(), previous(&figures).convictions),
            _ => (figures.victims_identified.clone(), previous(&figures).victims_identified),
        };
        prop_assert_eq!(now.map(|f| f.count), Some(current), "{}", sentence);
        prop_assert_eq!(then.map(|f| f.count), Some(before), "{}", sentence);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = extract(&report(&[&text], &[&text]));
        let words: Vec<&str> = text.split(' ').collect();
        let _ = read_number(&words);
    }

    #[test]
    fn word_soup_never_panics(words in proptest::collection::vec(prop_oneof![
        Just("investigated"), Just("prosecutions"), Just("convicted"), Just("identified"), Just("victims"),
        Just("involving"), Just("and"), Just("any"), Just("no"), Just("not"), Just("("), Just(")"), Just(";"),
        Just("in"), Just("2016"), Just("2017"), Just("compared"), Just("with"), Just("for"), Just("sex"),
        Just("labor"), Just("trafficking"), Just("12"), Just("seventy-nine"), Just("hundred"), Just("million"),
        Just("at"), Just("least"), Just("U.S."), Just("."), Just("Š"), Just("1.7"), Just("totaling"), Just("the"),
    ], 0..60)) {
        let text = words.join(" ");
        let _ = extract(&report(&[&text], &[&text]));
    }
}

#[test]
fn persons_come_before_cases_which_stay_a_detail() {
    let figures = prosecution(
        "The government investigated nine cases involving 17 suspects (seven cases involving 11 suspects in 2016).",
    );
    let investigations = figures.investigations.clone().expect("investigations");
    assert_eq!((investigations.count, investigations.unit()), (17, Unit::Persons));
    assert_eq!(investigations.details.iter().map(|d| (d.count, d.unit())).collect::<Vec<_>>(), [(9, Unit::Cases)]);
    let before = previous(&figures).investigations.expect("previous investigations");
    assert_eq!((before.count, before.unit(), before.details[0].count), (11, Unit::Persons, 7));

    let only_cases = prosecution("Authorities investigated 166 suspected cases of trafficking.");
    assert_eq!(summary(&only_cases.investigations), Some((166, Unit::Cases, false)));
}

#[test]
fn a_split_is_summed_and_a_stated_total_wins() {
    let split = prosecution("Courts convicted 10 for sex trafficking and three for forced labor.");
    let convictions = split.convictions.expect("convictions");
    assert_eq!(convictions.count, 13);
    let parts: Vec<(i64, Exploitation)> = convictions.details.iter().map(|d| (d.count, d.exploitation())).collect();
    assert_eq!(parts, [(10, Exploitation::Sex), (3, Exploitation::Labor)]);

    let total = prosecution(
        "Police opened 21 new investigations in 2017 (13 for sex trafficking and eight for labor trafficking).",
    );
    let investigations = total.investigations.expect("investigations");
    assert_eq!(investigations.count, 21);
    let parts: Vec<(i64, Exploitation)> = investigations.details.iter().map(|d| (d.count, d.exploitation())).collect();
    assert_eq!(parts, [(13, Exploitation::Sex), (8, Exploitation::Labor)]);
}

#[test]
fn words_digits_and_approximations() {
    assert_eq!(summary(&prosecution("Seventy-nine were convicted.").convictions), Some((79, Unit::Persons, false)));
    assert_eq!(
        summary(&protection("The government identified at least 1,234 victims.").victims_identified),
        Some((1234, Unit::Persons, true))
    );
    assert_eq!(
        summary(&prosecution("Authorities prosecuted more than 100 defendants.").prosecutions),
        Some((100, Unit::Persons, true))
    );
    assert_eq!(
        summary(&protection("Officials identified approximately 40 victims.").victims_identified),
        Some((40, Unit::Persons, true))
    );
    assert_eq!(
        summary(&prosecution("The police investigated one hundred twenty-three cases.").investigations),
        Some((123, Unit::Cases, false))
    );
}

#[test]
fn a_stated_zero_is_zero_and_silence_is_not_reported() {
    let zero = |figure: Option<Figure>| figure.map(|f| f.count);
    assert_eq!(zero(prosecution("The government did not initiate any prosecutions.").prosecutions), Some(0));
    assert_eq!(zero(prosecution("There were no convictions.").convictions), Some(0));
    assert_eq!(zero(prosecution("The government did not convict any traffickers.").convictions), Some(0));
    assert_eq!(zero(protection("The government did not identify any victims.").victims_identified), Some(0));
    let both = prosecution("Officials did not prosecute or convict any suspects.");
    assert_eq!((zero(both.prosecutions), zero(both.convictions)), (Some(0), Some(0)));
    let none = prosecution("The government reported no investigations, prosecutions, or convictions.");
    assert_eq!(
        (zero(none.investigations), zero(none.prosecutions), zero(none.convictions)),
        (Some(0), Some(0), Some(0))
    );

    for silent in [
        "The government did not report any prosecutions.",
        "The government did not provide data on convictions.",
        "Authorities were unable to provide statistics on investigations or prosecutions.",
        "The government has never reported any trafficking convictions.",
        "The government did not report identifying any victims.",
    ] {
        let figures = extract(&report(&[silent], &[silent]));
        assert_eq!(
            (&figures.investigations, &figures.prosecutions, &figures.convictions, &figures.victims_identified),
            (&None, &None, &None, &None),
            "{silent}"
        );
    }
    // A zero about one form of trafficking is not the measure's zero.
    assert_eq!(prosecution("It did not convict any forced labor offenders.").convictions, None);
}

#[test]
fn only_this_countrys_authorities_in_the_reporting_period() {
    let figures = prosecution(
        "The government did not report any investigations, prosecutions, or convictions of government officials \
         complicit in trafficking offenses. The government trained 320 prosecutors and 327 investigators. In 2015, \
         courts convicted 12 traffickers. NGOs identified 40 victims and investigated 12 cases.",
    );
    assert_eq!((&figures.investigations, &figures.prosecutions, &figures.convictions), (&None, &None, &None));
    let figures = prosecution("Courts convicted four traffickers (five in 2016 and seven in 2015).");
    assert_eq!(previous(&figures).convictions.map(|f| f.count), Some(5));
    let figures = protection("NGOs identified 70 potential victims. The government and NGOs identified 316 victims.");
    assert_eq!(figures.victims_identified.map(|f| f.count), Some(316));
    let figures = protection("Drop-in centers identified 130 street children.");
    assert_eq!(figures.victims_identified, None);
}

#[test]
fn the_evidence_points_at_the_sentence() {
    let first = "Law No. 5 applies to U.S. citizens, as the Ministère states.";
    let second = "The government prosecuted 12 defendants in 2017 (11 in 2016).";
    let text = format!("{first} {second} Courts convicted four traffickers.");
    let figures = extract(&report(&["An opening paragraph.", &text], &[]));
    let evidence = figures.prosecutions.and_then(|f| f.evidence).expect("evidence");
    assert_eq!(evidence.section(), SectionKind::Prosecution);
    assert_eq!(evidence.paragraph, 1);
    assert_eq!(evidence.sentence, second);
    // Code points, not bytes: "è" is one.
    let start = first.chars().count() + 1;
    let end = start + second.chars().count();
    let span = (usize::try_from(evidence.start).unwrap(), usize::try_from(evidence.end).unwrap());
    assert_eq!(span, (start, end));
    let spanned: String = text.chars().skip(span.0).take(span.1 - span.0).collect();
    assert_eq!(spanned, second);
}

#[test]
fn glued_sentences_of_pdf_text_are_split() {
    let figures =
        prosecution("The law prescribed penalties of five years imprisonment.The government convicted 33 traffickers.");
    let convictions = figures.convictions.expect("convictions");
    assert_eq!(convictions.count, 33);
    assert_eq!(convictions.evidence.expect("evidence").sentence, "The government convicted 33 traffickers.");
}

#[test]
fn a_measure_named_before_persons_keeps_them() {
    let figures = prosecution(
        "In 2017, the government investigated 166 suspected cases of trafficking (105 in 2016), initiated \
         prosecutions against six defendants (five in 2016), and convicted five traffickers (one in 2016).",
    );
    assert_eq!(summary(&figures.investigations), Some((166, Unit::Cases, false)));
    assert_eq!(summary(&figures.prosecutions), Some((6, Unit::Persons, false)));
    assert_eq!(summary(&previous(&figures).prosecutions), Some((5, Unit::Persons, false)));
    let ghana = prosecution("The government reported initiating 29 prosecutions against 56 alleged traffickers.");
    let prosecutions = ghana.prosecutions.expect("prosecutions");
    assert_eq!((prosecutions.count, prosecutions.details[0].count), (56, 29));
}

#[test]
fn a_comparison_ends_where_a_new_predicate_starts() {
    let figures = prosecution(
        "The government initiated prosecutions of three alleged traffickers compared with one during the previous \
         reporting period and did not convict anyone on trafficking charges.",
    );
    assert_eq!(figures.prosecutions.clone().map(|f| f.count), Some(3));
    assert_eq!(previous(&figures).prosecutions.map(|f| f.count), Some(1));
    assert_eq!(figures.convictions.map(|f| f.count), Some(0));
    let listed =
        prosecution("Courts convicted two traffickers, compared with zero prosecutions or convictions in 2016.");
    assert_eq!(previous(&listed).prosecutions.map(|f| f.count), Some(0));
    assert_eq!(previous(&listed).convictions.map(|f| f.count), Some(0));
}
