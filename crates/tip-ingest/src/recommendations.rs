//! Recommendations in every form the reports used: one per paragraph ("Prioritized
//! Recommendations"), one semicolon-separated paragraph ("Recommendations for X: a; b; and
//! c."), list items, and items glued together when list markup was stripped ("traffickers.Vigorously").

use std::sync::LazyLock;

use regex::Regex;

use crate::layout::{BULLETS, Paragraph, is_bullet};

/// Splits the paragraphs of a recommendations section into recommendations, in order.
pub(crate) fn split(paragraphs: &[Paragraph]) -> Vec<String> {
    let items: Vec<String> = match paragraphs {
        [single] if !is_bullet(&single.text) && has_top_level_semicolon(&single.text) => {
            split_semicolons(&single.text).into_iter().map(|item| finish_list_item(&item)).collect()
        }
        _ => paragraphs.iter().flat_map(|p| split_glued(strip_bullet(&p.text))).collect(),
    };
    items.into_iter().filter(|item| item.chars().any(char::is_alphabetic)).collect()
}

/// Recommendations kept per report: the reports list ten or so; a document with thousands
/// would make every comparison of two reports costly (issue 16, finding 3).
pub const MAX_RECOMMENDATIONS: usize = 200;
/// Bytes of recommendations kept per report: they repeat the section's text, which must not
/// double a huge document.
pub const MAX_RECOMMENDATION_BYTES: usize = 256 * 1024;

/// Keeps the first recommendations while within [`MAX_RECOMMENDATIONS`] and [`MAX_RECOMMENDATION_BYTES`]; returns how
/// many were left out, and the first of them. The sections keep the text of all.
pub(crate) fn cap<T>(items: &mut Vec<(String, T)>) -> Option<(usize, T)> {
    let mut bytes = 0;
    let kept = items
        .iter()
        .take(MAX_RECOMMENDATIONS)
        .take_while(|(text, _)| {
            bytes += text.len();
            bytes <= MAX_RECOMMENDATION_BYTES
        })
        .count();
    let mut left_out = items.drain(kept..);
    let first = left_out.next()?;
    Some((1 + left_out.count(), first.1))
}

fn strip_bullet(text: &str) -> &str {
    let trimmed = text.trim_start();
    if is_bullet(trimmed) {
        trimmed.trim_start_matches(BULLETS).trim_start_matches(['-', '–']).trim_start()
    } else {
        trimmed
    }
}

fn has_top_level_semicolon(text: &str) -> bool {
    top_level_semicolons(text).next().is_some()
}

/// The byte offsets of the semicolons outside parentheses and brackets (all ASCII, so a byte
/// scan finds them at character boundaries).
fn top_level_semicolons(text: &str) -> impl Iterator<Item = usize> + '_ {
    let mut depth = 0i32;
    text.bytes().enumerate().filter_map(move |(i, b)| {
        match b {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = (depth - 1).max(0),
            b';' if depth == 0 => return Some(i),
            _ => {}
        }
        None
    })
}

/// Splits at semicolons outside parentheses.
fn split_semicolons(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = 0;
    for at in top_level_semicolons(text) {
        items.push(text[start..at].to_owned());
        start = at + 1;
    }
    items.push(text[start..].to_owned());
    items
}

/// An item of a semicolon list as a sentence of its own: "and" dropped, first letter capital,
/// one final period.
fn finish_list_item(item: &str) -> String {
    let item = item.trim();
    let item = item.strip_prefix("and ").unwrap_or(item);
    let item = item.trim_end_matches(['.', ';', ' ']);
    let mut chars = item.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

static GLUED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[a-z)\]]\.([A-Z][a-z])").unwrap());

/// Splits sentences run together without a space, where stripped list markup glued two items.
fn split_glued(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = 0;
    for caps in GLUED.captures_iter(text) {
        let Some(next) = caps.get(1) else { continue };
        items.push(text[start..next.start()].trim().to_owned());
        start = next.start();
    }
    items.push(text[start..].trim().to_owned());
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraphs(texts: &[&str]) -> Vec<Paragraph> {
        texts.iter().map(|t| Paragraph::new((*t).to_owned(), 1, Vec::new())).collect()
    }

    #[test]
    fn one_recommendation_per_paragraph_keeps_inner_semicolons() {
        let items = split(&paragraphs(&["Investigate cases; seek adequate penalties.", "Amend the law."]));
        assert_eq!(items, ["Investigate cases; seek adequate penalties.", "Amend the law."]);
    }

    #[test]
    fn one_paragraph_with_semicolons_is_a_list() {
        let items = split(&paragraphs(&[
            "Establish procedures (such as a; b) for victims; ensure shelters; and launch a campaign.",
        ]));
        assert_eq!(
            items,
            ["Establish procedures (such as a; b) for victims.", "Ensure shelters.", "Launch a campaign."]
        );
    }

    #[test]
    fn keeps_the_first_recommendations_within_count_and_bytes() {
        let mut items: Vec<(String, usize)> =
            (0..MAX_RECOMMENDATIONS + 5).map(|i| (format!("Train officials {i}."), i)).collect();
        assert_eq!(cap(&mut items), Some((5, MAX_RECOMMENDATIONS)));
        assert_eq!(items.len(), MAX_RECOMMENDATIONS);
        assert_eq!(items.last().map(|(text, _)| text.as_str()), Some("Train officials 199."));

        let long = "a".repeat(MAX_RECOMMENDATION_BYTES / 3);
        let mut items: Vec<(String, usize)> = (0..4).map(|i| (long.clone(), i)).collect();
        assert_eq!(cap(&mut items), Some((1, 3)), "three fit in the bytes, the fourth does not");
        assert_eq!(items.len(), 3);

        let mut items = vec![("Fund shelters.".to_owned(), 0)];
        assert_eq!(cap(&mut items), None);
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn glued_items_and_bullets_are_split() {
        let items = split(&paragraphs(&["Prosecute traffickers.Vigorously investigate cases.", "• Train officials."]));
        assert_eq!(items, ["Prosecute traffickers.", "Vigorously investigate cases.", "Train officials."]);
    }
}
