//! Report years: the year printed on a report, published in June, covering April of the year
//! before to March of that year.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// The first TIP Report was published in 2001.
pub const FIRST_REPORT_YEAR: i32 = 2001;

/// A report year known to be plausible: from 2001 up to the year after the current one (a
/// report is published in June, so no later report can exist yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportYear(i32);

/// Why a number is not a report year.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{year} is not a TIP report year: reports exist from {FIRST_REPORT_YEAR} to {last}", last = ReportYear::last_plausible())]
pub struct YearError {
    /// The rejected number.
    pub year: i64,
}

impl ReportYear {
    /// Checks that `year` is a plausible report year.
    pub fn new(year: i64) -> Result<Self, YearError> {
        match i32::try_from(year) {
            Ok(plausible) if (FIRST_REPORT_YEAR..=Self::last_plausible()).contains(&plausible) => Ok(Self(plausible)),
            _ => Err(YearError { year }),
        }
    }

    /// The year as a number.
    pub fn get(self) -> i32 {
        self.0
    }

    /// The latest year accepted: the current calendar year plus one.
    pub fn last_plausible() -> i32 {
        let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        civil_year(seconds / 86_400) + 1
    }
}

impl fmt::Display for ReportYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The proleptic Gregorian year of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_year(days_since_epoch: u64) -> i32 {
    let z = i64::try_from(days_since_epoch).unwrap_or(i64::MAX / 2) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let year = year_of_era + era * 400 + i64::from(month_index >= 10);
    i32::try_from(year).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_year_matches_known_dates() {
        assert_eq!(civil_year(0), 1970);
        assert_eq!(civil_year(19_722), 2023); // 2023-12-31
        assert_eq!(civil_year(19_723), 2024); // 2024-01-01
    }

    #[test]
    fn accepts_report_years_and_rejects_others() {
        assert_eq!(ReportYear::new(2023).unwrap().get(), 2023);
        assert!(ReportYear::new(2000).is_err());
        assert!(ReportYear::new(1850).is_err());
        assert!(ReportYear::new(2999).is_err());
    }
}
