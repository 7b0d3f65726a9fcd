//! The corpus's word lists and sentence templates, read from `data/templates.txt`: each
//! `## name` heading opens a list, each line under it is one entry, blank lines and lines that
//! start with `#` are skipped.

use std::sync::OnceLock;

const TEMPLATES: &str = include_str!("../data/templates.txt");

/// Every list of `data/templates.txt`; see its header for the slots a template may use.
pub(crate) struct Vocabulary {
    pub sectors: Vec<&'static str>,
    pub groups: Vec<&'static str>,
    pub agencies: Vec<&'static str>,
    pub laws: Vec<&'static str>,
    pub organizations: Vec<&'static str>,
    pub places: Vec<&'static str>,
    pub intro_efforts: Vec<&'static str>,
    pub intro_gaps: Vec<&'static str>,
    pub prosecution: Vec<&'static str>,
    pub protection: Vec<&'static str>,
    pub prevention: Vec<&'static str>,
    pub profile: Vec<&'static str>,
    pub recommendations: Vec<&'static str>,
}

/// The bundled vocabulary, read once.
pub(crate) fn vocabulary() -> &'static Vocabulary {
    static VOCABULARY: OnceLock<Vocabulary> = OnceLock::new();
    VOCABULARY.get_or_init(|| Vocabulary::parse(TEMPLATES).unwrap_or_else(|e| panic!("data/templates.txt: {e}")))
}

impl Vocabulary {
    /// Reads the lists; an error names the line, or the list missing, empty or unknown.
    fn parse(text: &'static str) -> Result<Self, String> {
        let mut lists: Vec<(&str, Vec<&'static str>)> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if let Some(name) = line.strip_prefix("## ") {
                if lists.iter().any(|(n, _)| *n == name) {
                    return Err(format!("line {}: a second list {name:?}", index + 1));
                }
                lists.push((name, Vec::new()));
            } else if !line.is_empty() && !line.starts_with('#') {
                let (_, entries) =
                    lists.last_mut().ok_or_else(|| format!("line {}: an entry before any `## name`", index + 1))?;
                entries.push(line);
            }
        }
        let mut take = |name: &str| match lists.iter().position(|(n, _)| *n == name) {
            Some(at) if !lists[at].1.is_empty() => Ok(lists.remove(at).1),
            _ => Err(format!("no list {name:?}, or an empty one")),
        };
        let vocabulary = Self {
            sectors: take("sectors")?,
            groups: take("groups")?,
            agencies: take("agencies")?,
            laws: take("laws")?,
            organizations: take("organizations")?,
            places: take("places")?,
            intro_efforts: take("intro_efforts")?,
            intro_gaps: take("intro_gaps")?,
            prosecution: take("prosecution")?,
            protection: take("protection")?,
            prevention: take("prevention")?,
            profile: take("profile")?,
            recommendations: take("recommendations")?,
        };
        match lists.first() {
            Some((name, _)) => Err(format!("unknown list {name:?}")),
            None => Ok(vocabulary),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_lists_load_in_file_order() {
        let vocabulary = vocabulary();
        assert_eq!(vocabulary.sectors.first(), Some(&"agriculture"));
        assert_eq!(vocabulary.sectors.len(), 15);
        assert_eq!(vocabulary.recommendations.len(), 20);
    }

    #[test]
    fn a_malformed_file_is_refused_with_its_line_or_list() {
        let error = |text: &'static str| Vocabulary::parse(text).err().unwrap();
        assert_eq!(error("# about\nagriculture\n"), "line 2: an entry before any `## name`");
        assert_eq!(error("## sectors\na\n## sectors\nb\n"), "line 3: a second list \"sectors\"");
        assert_eq!(error("## sectors\n"), "no list \"sectors\", or an empty one");
        let mut whole = TEMPLATES.to_owned();
        whole.push_str("\n## colours\nred\n");
        assert_eq!(error(whole.leak()), "unknown list \"colours\"");
    }
}
