//! Bounds on what one full-text query may cost, checked before SQLite runs it. FTS5's cost grows
//! with each term's document list, and faster for prefix terms: `a*` reads the lists of every
//! word that starts with "a", and a query of 40 of them kept a core busy for minutes. Each bound
//! names itself in the INVALID_ARGUMENT the client gets.

/// The most terms (words, and words of phrases) in a query.
pub const MAX_TERMS: usize = 16;
/// The most prefix terms (`word*`) in a query.
pub const MAX_PREFIX_TERMS: usize = 3;
/// The fewest characters before a prefix term's `*`.
pub const MIN_PREFIX_CHARS: usize = 3;
/// The largest distance of a `NEAR(… , N)` group (FTS5's default is 10).
pub const MAX_NEAR_DISTANCE: u64 = 50;

/// Checks `query` (FTS5 syntax) against the bounds; the error says which one it passed. Syntax
/// is left to FTS5, which reports it in its own words.
pub fn check(query: &str) -> Result<(), String> {
    let mut terms = 0;
    let mut prefixes = 0;
    let mut chars = query.char_indices().peekable();
    let mut term = |word: &str, prefix: bool| -> Result<(), String> {
        terms += 1;
        if terms > MAX_TERMS {
            return Err(format!("the query has more than {MAX_TERMS} terms; use fewer words"));
        }
        if prefix {
            prefixes += 1;
            if prefixes > MAX_PREFIX_TERMS {
                return Err(format!("the query has more than {MAX_PREFIX_TERMS} prefix terms (word*)"));
            }
            if word.chars().count() < MIN_PREFIX_CHARS {
                return Err(format!(
                    "the prefix term {word:?}* is shorter than {MIN_PREFIX_CHARS} characters before its *"
                ));
            }
        }
        Ok(())
    };
    while let Some((start, c)) = chars.next() {
        if c == '"' {
            // A phrase: its words are terms, and a `*` after it makes its last word a prefix.
            let mut phrase = String::new();
            while let Some((_, c)) = chars.next() {
                if c == '"' {
                    if chars.peek().is_some_and(|&(_, next)| next == '"') {
                        chars.next();
                    } else {
                        break;
                    }
                }
                phrase.push(c);
            }
            let prefix = chars.next_if(|&(_, next)| next == '*').is_some();
            let words: Vec<&str> = phrase.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
            for (i, word) in words.iter().enumerate() {
                term(word, prefix && i + 1 == words.len())?;
            }
        } else if c == ',' {
            // Only a NEAR group has commas: what follows is its distance.
            while chars.next_if(|&(_, next)| next.is_whitespace()).is_some() {}
            let mut digits = String::new();
            while let Some((_, digit)) = chars.next_if(|&(_, next)| next.is_ascii_digit()) {
                digits.push(digit);
            }
            if digits.parse::<u64>().map_or(!digits.is_empty(), |distance| distance > MAX_NEAR_DISTANCE) {
                return Err(format!("the NEAR distance {digits} is larger than {MAX_NEAR_DISTANCE}"));
            }
        } else if is_bareword(c) {
            let mut end = start + c.len_utf8();
            while let Some((i, c)) = chars.next_if(|&(_, next)| is_bareword(next)) {
                end = i + c.len_utf8();
            }
            let word = &query[start..end];
            let column = chars.peek().is_some_and(|&(_, next)| next == ':');
            let operator = matches!(word, "AND" | "OR" | "NOT" | "NEAR");
            if !column && !operator {
                let prefix = chars.next_if(|&(_, next)| next == '*').is_some();
                term(word, prefix)?;
            }
        }
    }
    Ok(())
}

/// A character of an FTS5 bareword.
fn is_bareword(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || !c.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bound_is_named() {
        assert!(check("forced labor OR \"debt bondage\" NEAR(child soldiers, 10)").is_ok());
        assert!(check("traf* narrative:recruit* gov*").is_ok(), "column filters are not terms");
        assert!(check(&"a* ".repeat(40)).unwrap_err().contains("shorter than 3"));
        assert!(check("traf* recr* gove* prot*").unwrap_err().contains("more than 3 prefix terms"));
        assert!(check("\"forced la\"*").unwrap_err().contains("\"la\"*"));
        assert!(check("NEAR(forced labor, 1000000)").unwrap_err().contains("NEAR distance 1000000"));
        assert!(check(&"labor ".repeat(17)).unwrap_err().contains("more than 16 terms"));
        assert!(check("NEAR(a b, 99999999999999999999999)").is_err(), "a distance too long to read");
    }
}
