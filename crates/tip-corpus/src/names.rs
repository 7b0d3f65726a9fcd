//! The country's names in the text and in the file name.

use std::path::Path;

use tip_ingest::Hints;
use tip_model::Country;

/// The name the narratives use: the registry's, or its first alias without commas or
/// parentheses ("Korea, South" is "South Korea", "Turkey (Türkiye)" is "Turkey").
pub(crate) fn text_name(country: &Country) -> &str {
    std::iter::once(&country.display_name)
        .chain(&country.aliases)
        .find(|n| !n.contains([',', '(']) && n.chars().filter(|c| c.is_alphabetic()).count() >= 4)
        .map_or(country.display_name.as_str(), String::as_str)
}

/// The country part of a file name, in capitals, chosen so that the file name hints this very
/// country (`DR_CONGO`, not `DEMOCRATIC_REPUBLIC_OF_THE_CONGO`, whose last words name the
/// Republic of the Congo).
pub(crate) fn file_stem_name(country: &Country) -> String {
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
