//! Resource names: `countries/{ISO3}` and `countries/{ISO3}/reports/{YEAR}`.

use std::fmt;

use crate::country::Iso3;
use crate::year::ReportYear;

/// Why a resource name was refused; the message says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NameError(pub String);

/// Longest resource name looked at; longer input is refused without being echoed whole.
const MAX_NAME_LEN: usize = 64;

fn check_length(name: &str) -> Result<(), NameError> {
    if name.len() > MAX_NAME_LEN {
        return Err(NameError(format!(
            "a resource name has at most {MAX_NAME_LEN} bytes; this one has {}",
            name.len()
        )));
    }
    Ok(())
}

/// Parses `countries/{ISO3}`.
pub fn parse_country_name(name: &str) -> Result<Iso3, NameError> {
    check_length(name)?;
    let code = name.strip_prefix("countries/").ok_or_else(|| {
        NameError(format!("expected \"countries/{{ISO3}}\", such as \"countries/MLI\"; got {name:?}"))
    })?;
    Iso3::parse(code).map_err(|e| NameError(format!("in {name:?}: {e}")))
}

/// The name `countries/{ISO3}` of a country.
pub fn country_name(iso3: Iso3) -> String {
    format!("countries/{iso3}")
}

/// The resource name of a report: a country and a report year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReportName {
    /// The country.
    pub country: Iso3,
    /// The report year.
    pub year: ReportYear,
}

impl ReportName {
    /// Parses `countries/{ISO3}/reports/{YEAR}`.
    pub fn parse(name: &str) -> Result<Self, NameError> {
        check_length(name)?;
        let expected = || {
            NameError(format!(
                "expected \"countries/{{ISO3}}/reports/{{YEAR}}\", such as \"countries/MLI/reports/2023\"; got {name:?}"
            ))
        };
        let mut parts = name.split('/');
        let (Some("countries"), Some(code), Some("reports"), Some(year), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(expected());
        };
        let country = Iso3::parse(code).map_err(|e| NameError(format!("in {name:?}: {e}")))?;
        let number: i64 =
            year.parse().map_err(|_| NameError(format!("in {name:?}: the year {year:?} is not a number")))?;
        let year = ReportYear::new(number).map_err(|e| NameError(format!("in {name:?}: {e}")))?;
        Ok(Self { country, year })
    }
}

impl fmt::Display for ReportName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "countries/{}/reports/{}", self.country, self.year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_report_names() {
        let name = ReportName::parse("countries/MLI/reports/2023").unwrap();
        assert_eq!(name.country.as_str(), "MLI");
        assert_eq!(name.year.get(), 2023);
        assert_eq!(name.to_string(), "countries/MLI/reports/2023");
    }

    #[test]
    fn refuses_malformed_names_with_a_reason() {
        for bad in [
            "not a name",
            "countries/MLI",
            "countries/mli/reports/2023",
            "countries/MLI/reports/20x3",
            "countries/MLI/reports/1850",
            "countries/MLI/reports/2023/extra",
            "",
        ] {
            assert!(ReportName::parse(bad).is_err(), "{bad:?}");
        }
        let long = "x".repeat(100_000);
        assert!(ReportName::parse(&long).unwrap_err().0.len() < 200);
    }

    #[test]
    fn parses_country_names() {
        assert_eq!(parse_country_name("countries/XKX").unwrap().as_str(), "XKX");
        assert!(parse_country_name("countries/ML").is_err());
        assert!(parse_country_name("MLI").is_err());
    }
}
