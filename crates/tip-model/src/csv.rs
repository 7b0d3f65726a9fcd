//! A minimal CSV reader for the bundled registry and tier tables.

/// Splits RFC 4180 CSV text into records of fields (quoted fields may hold commas, quotes and
/// line breaks). Small on purpose: the registry and
/// the tier tables are plain files.
pub fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => in_quotes = !in_quotes,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_csv_fields() {
        let records = csv_records("a,\"b, c\",\"d \"\"e\"\"\"\r\nf,g,h");
        assert_eq!(records, vec![vec!["a", "b, c", "d \"e\""], vec!["f", "g", "h"]]);
    }
}
