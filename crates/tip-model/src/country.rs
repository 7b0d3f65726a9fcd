//! The registry of countries and territories the TIP Report ranks: ISO 3166-1 alpha-3 code, the
//! report's spelling, known aliases and the State Department regional bureau.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::pb::Region;

/// An ISO 3166-1 alpha-3 code (three uppercase ASCII letters; Kosovo is "XKX").
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Iso3([u8; 3]);

/// Why a string is not an ISO 3166-1 alpha-3 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ISO 3166-1 alpha-3 code (three uppercase letters, such as \"MLI\")")]
pub struct Iso3Error(pub String);

impl Iso3 {
    /// Parses three uppercase ASCII letters.
    pub fn parse(code: &str) -> Result<Self, Iso3Error> {
        match code.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(Iso3Error(code.chars().take(16).collect())),
        }
    }

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for Iso3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Iso3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iso3({})", self.as_str())
    }
}

/// One country or territory of the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-3 code.
    pub iso3: Iso3,
    /// The name as the TIP Report spells it.
    pub display_name: String,
    /// Other spellings that identify this country only.
    pub aliases: Vec<String>,
    /// The State Department regional bureau.
    pub region: Region,
}

/// Every ranked country, with look-up by code and by any known spelling.
pub struct CountryRegistry {
    countries: Vec<Country>,
    by_code: HashMap<Iso3, usize>,
    by_name: HashMap<String, usize>,
}

/// The registry's source: `iso3,display_name,region,aliases` with aliases separated by `|`.
const COUNTRIES_CSV: &str = include_str!("../data/countries.csv");

impl CountryRegistry {
    /// The registry bundled with the program, parsed once.
    pub fn global() -> &'static CountryRegistry {
        static REGISTRY: OnceLock<CountryRegistry> = OnceLock::new();
        REGISTRY.get_or_init(|| {
            Self::from_csv(COUNTRIES_CSV).unwrap_or_else(|e| panic!("bundled countries.csv is invalid: {e}"))
        })
    }

    /// Builds a registry from CSV text with the columns `iso3,display_name,region,aliases`.
    pub fn from_csv(text: &str) -> Result<Self, String> {
        let mut countries = Vec::new();
        for record in csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes()).records() {
            let record = record.map_err(|e| e.to_string())?;
            let line = record.position().map_or(0, |p| p.line());
            let fields: Vec<&str> = record.iter().collect();
            let [code, display_name, region, aliases] = fields.as_slice() else {
                return Err(format!("line {line}: expected 4 fields, found {}", record.len()));
            };
            let iso3 = Iso3::parse(code).map_err(|e| format!("line {line}: {e}"))?;
            let region = Region::from_str_name(&format!("REGION_{region}"))
                .ok_or_else(|| format!("line {line}: unknown region {region:?}"))?;
            let aliases = aliases.split('|').filter(|a| !a.is_empty()).map(str::to_owned).collect();
            countries.push(Country { iso3, display_name: display_name.to_string(), aliases, region });
        }
        countries.sort_by_key(|c| c.iso3);
        let mut by_code = HashMap::new();
        let mut by_name = HashMap::new();
        for (index, country) in countries.iter().enumerate() {
            if by_code.insert(country.iso3, index).is_some() {
                return Err(format!("{} appears twice", country.iso3));
            }
            for spelling in std::iter::once(&country.display_name).chain(&country.aliases) {
                let key = name_key(spelling);
                if let Some(other) = by_name.insert(key, index)
                    && other != index
                {
                    return Err(format!("{spelling:?} names both {} and {}", countries[other].iso3, country.iso3));
                }
            }
        }
        Ok(Self { countries, by_code, by_name })
    }

    /// All countries, ordered by code.
    pub fn all(&self) -> &[Country] {
        &self.countries
    }

    /// The country with this code.
    pub fn get(&self, iso3: Iso3) -> Option<&Country> {
        self.by_code.get(&iso3).map(|&i| &self.countries[i])
    }

    /// The country a name, alias or ISO3 code designates, whatever its case, accents,
    /// apostrophes or punctuation ("COTE D'IVOIRE", "Côte d’Ivoire", "Korea, North", "mli").
    pub fn resolve(&self, name: &str) -> Option<&Country> {
        let key = name_key(name);
        if let Some(&index) = self.by_name.get(&key) {
            return Some(&self.countries[index]);
        }
        Iso3::parse(&key.to_ascii_uppercase()).ok().and_then(|code| self.get(code))
    }
}

/// The comparison key of a country name: lowercase, accents and apostrophes dropped, other
/// punctuation as spaces, "&" as "and", "St." as "saint", a leading "the" dropped.
pub fn name_key(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '\'' | '’' | '‘' | '`' | '´' | '\u{92}' => {}
            '&' => folded.push_str(" and "),
            c if c.is_alphanumeric() => folded.extend(fold_letter(c).to_lowercase()),
            _ => folded.push(' '),
        }
    }
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    if words.first() == Some(&"the") {
        words.remove(0);
    }
    let words: Vec<&str> = words.into_iter().map(|w| if w == "st" { "saint" } else { w }).collect();
    words.join(" ")
}

/// Drops the accent of the Latin letters that occur in country names.
fn fold_letter(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
        'ç' => 'c',
        'Ç' => 'C',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'È' | 'É' | 'Ê' | 'Ë' => 'E',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => 'O',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_spellings_of_the_sources() {
        let registry = CountryRegistry::global();
        for (name, code) in [
            ("MALI", "MLI"),
            ("Mali", "MLI"),
            ("mli", "MLI"),
            ("Burma", "MMR"),
            ("Myanmar", "MMR"),
            ("Côte d’Ivoire", "CIV"),
            ("COTE D'IVOIRE", "CIV"),
            ("Cote D\u{92}Ivoire", "CIV"),
            ("Korea, North", "PRK"),
            ("Congo, Republic of the", "COG"),
            ("The Gambia", "GMB"),
            ("Türkiye", "TUR"),
            ("Curaçao", "CUW"),
            ("St. Lucia", "LCA"),
            ("Kosovo", "XKX"),
        ] {
            let country = registry.resolve(name).unwrap_or_else(|| panic!("{name:?} not found"));
            assert_eq!(country.iso3.as_str(), code, "{name:?}");
        }
        assert!(registry.resolve("Atlantis").is_none());
    }

    #[test]
    fn every_country_has_a_region() {
        let registry = CountryRegistry::global();
        assert!(registry.all().len() >= 185, "{}", registry.all().len());
        assert!(registry.all().iter().all(|c| c.region != Region::Unspecified));
    }
}
