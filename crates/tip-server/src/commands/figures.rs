//! The enforcement figures of a report as the command line prints them (`check --json`, `export
//! --what enforcement`): the four measures under the names of `EnforcementFigures`' fields, and
//! enum values without their prefix ("PERSONS", "SEX", "PROSECUTION"), as a reader types them.

use tip_model::pb::{EnforcementFigures, Exploitation, Figure, SectionKind, Unit};

/// The names of the four measures, in the order of `EnforcementFigures`.
pub const MEASURES: [&str; 4] = ["investigations", "prosecutions", "convictions", "victims_identified"];

/// The period a figure is for.
#[derive(Clone, Copy)]
pub enum Period {
    Reporting,
    Previous,
}

impl Period {
    pub const ALL: [Period; 2] = [Period::Reporting, Period::Previous];

    pub fn name(self) -> &'static str {
        match self {
            Period::Reporting => "reporting",
            Period::Previous => "previous",
        }
    }
}

/// The four figures of a period, in the order of `MEASURES`; `None` where the text states none.
pub fn figures_of(figures: &EnforcementFigures, period: Period) -> [Option<&Figure>; 4] {
    match period {
        Period::Reporting => [
            figures.investigations.as_ref(),
            figures.prosecutions.as_ref(),
            figures.convictions.as_ref(),
            figures.victims_identified.as_ref(),
        ],
        Period::Previous => {
            let Some(previous) = figures.previous.as_ref() else { return [None; 4] };
            [
                previous.investigations.as_ref(),
                previous.prosecutions.as_ref(),
                previous.convictions.as_ref(),
                previous.victims_identified.as_ref(),
            ]
        }
    }
}

/// "PERSONS" or "CASES".
pub fn unit_name(figure: &Figure) -> &'static str {
    short(figure.unit().as_str_name(), "UNIT_")
}

/// The sum of the parts of `figure` of one form of trafficking, when the text gives any.
pub fn part_of(figure: &Figure, exploitation: Exploitation) -> Option<i64> {
    let parts = figure.details.iter().filter(|d| d.exploitation() == exploitation);
    parts.map(|d| d.count).reduce(|sum, count| sum + count)
}

/// The cases behind a count of persons ("nine cases involving 17 suspects"), when given.
pub fn cases_behind(figure: &Figure) -> Option<i64> {
    let cases =
        figure.details.iter().filter(|d| d.exploitation() == Exploitation::Unspecified && d.unit() == Unit::Cases);
    cases.map(|d| d.count).reduce(|sum, count| sum + count)
}

/// "PROSECUTION", "PROTECTION", or "" for the opening paragraphs.
pub fn section_name(section: SectionKind) -> &'static str {
    match section {
        SectionKind::Unspecified => "",
        other => short(other.as_str_name(), "SECTION_KIND_"),
    }
}

fn short(name: &'static str, prefix: &str) -> &'static str {
    name.strip_prefix(prefix).unwrap_or(name)
}
