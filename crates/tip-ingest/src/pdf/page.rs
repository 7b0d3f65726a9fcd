//! A page's runs in reading order, as blocks of lines: running headers and page numbers dropped
//! by where they stand (in the top and bottom bands of the page, apart from the text, wherever
//! the content stream put them), columns found by the gutters no text crosses, each column read top to bottom, left
//! column first, and lines grouped into blocks at vertical gaps, font changes and bullets.

use super::content::Run;

/// One line of text on the page: the runs on it joined into one (bold when most of its
/// characters are).
pub(super) type Line = Run;

/// Lines that belong together: a paragraph, a heading, a bullet item, a list entry's run.
#[derive(Clone, Debug)]
pub(super) struct Block {
    pub lines: Vec<Line>,
    /// The first line stands at the top of a column: with no gap above it to go by, it may
    /// continue the block before (a paragraph running on from the previous column or page).
    pub at_column_top: bool,
    /// The last line fills its column to the right edge: the paragraph may run on.
    pub open_end: bool,
}

impl Block {
    pub fn bold(&self) -> bool {
        self.lines.iter().all(|l| l.bold)
    }

    pub fn size(&self) -> f32 {
        self.lines.iter().map(|l| l.size).fold(0.0, f32::max)
    }
}

/// The share of the page height, at the top and at the bottom, where running headers, footers
/// and page numbers stand.
const FURNITURE_BAND: f32 = 0.065;

/// The blocks of a page in reading order. `media_box` is `[x0, y0, x1, y1]`.
pub(super) fn blocks(runs: Vec<Run>, media_box: [f32; 4]) -> Vec<Block> {
    let height = media_box[3] - media_box[1];
    let top = media_box[3] - FURNITURE_BAND * height;
    let bottom = media_box[1] + FURNITURE_BAND * height;
    let in_band = |r: &Run| r.y > top || r.y < bottom;
    let ys: Vec<f32> = runs.iter().map(|r| r.y).collect();
    // Furniture stands apart: a line in a band with another line as close as lines of text
    // are to each other (a page printed with narrow margins) is text.
    let apart = |r: &Run| ys.iter().map(|y| (y - r.y).abs()).all(|dy| dy < 0.3 * r.size || dy > 1.6 * r.size);
    let runs: Vec<Run> = runs.into_iter().filter(|r| !(in_band(r) && apart(r))).collect();
    if runs.is_empty() {
        return Vec::new();
    }
    let gutters = gutters(&runs, media_box);
    // Each run's column, or None for a run that crosses a gutter (a title across the columns).
    let column_of = |run: &Run| -> Option<usize> {
        let mut column = 0;
        for &(start, end) in &gutters {
            if run.x1 <= start + 0.5 {
                return Some(column);
            }
            if run.x0 >= end - 0.5 {
                column += 1;
                continue;
            }
            return None;
        }
        Some(column)
    };
    let mut lines: Vec<(Option<usize>, Line)> = Vec::new();
    let mut sorted: Vec<(Option<usize>, Run)> = runs.into_iter().map(|r| (column_of(&r), r)).collect();
    sorted.sort_by(|a, b| b.1.y.total_cmp(&a.1.y).then(a.1.x0.total_cmp(&b.1.x0)));
    // Runs on one baseline (within a third of their size) and in one column make a line.
    let mut start = 0;
    while start < sorted.len() {
        let tolerance = sorted[start].1.size * 0.3;
        let mut end = start + 1;
        while end < sorted.len() && sorted[start].1.y - sorted[end].1.y <= tolerance {
            end += 1;
        }
        let mut group: Vec<&(Option<usize>, Run)> = sorted[start..end].iter().collect();
        // A spanning run joins the whole baseline into one line, read left to right.
        let spanning = group.iter().any(|(c, _)| c.is_none());
        group.sort_by(
            |a, b| if spanning { a.1.x0.total_cmp(&b.1.x0) } else { a.0.cmp(&b.0).then(a.1.x0.total_cmp(&b.1.x0)) },
        );
        for chunk in group.chunk_by(|a, b| spanning || a.0 == b.0) {
            lines.push((if spanning { None } else { chunk[0].0 }, join_runs(chunk.iter().map(|(_, r)| r))));
        }
        start = end;
    }
    order(lines)
}

/// Runs of one line, left to right, joined with a space where they leave a gap.
fn join_runs<'r>(runs: impl Iterator<Item = &'r Run>) -> Line {
    let mut line = Line { text: String::new(), x0: f32::MAX, x1: f32::MIN, y: 0.0, size: 0.0, bold: true };
    let mut bold_chars = 0usize;
    let mut chars = 0usize;
    for run in runs {
        if !line.text.is_empty() {
            let gap = run.x0 - line.x1;
            if gap > run.size * 0.15 && !line.text.ends_with(' ') && !run.text.starts_with(' ') {
                line.text.push(' ');
            }
        } else {
            line.y = run.y;
        }
        line.text.push_str(&run.text);
        line.x0 = line.x0.min(run.x0);
        line.x1 = line.x1.max(run.x1);
        line.size = line.size.max(run.size);
        let count = run.text.chars().filter(|c| !c.is_whitespace()).count();
        chars += count;
        if run.bold {
            bold_chars += count;
        }
    }
    line.bold = bold_chars * 2 > chars;
    line.text = line.text.split_whitespace().collect::<Vec<_>>().join(" ");
    line
}

/// Gaps between columns: horizontal stretches that no run of body size crosses, at least a
/// little wider than a space, with text on both sides. Larger text (titles across the
/// columns) is left out of the count.
fn gutters(runs: &[Run], media_box: [f32; 4]) -> Vec<(f32, f32)> {
    let mut sizes: Vec<f32> = runs.iter().map(|r| r.size).collect();
    sizes.sort_by(f32::total_cmp);
    let median = sizes[sizes.len() / 2];
    let left = media_box[0].floor();
    let width = (media_box[2] - media_box[0]).clamp(1.0, 5000.0) as usize + 1;
    let mut covered = vec![false; width];
    for run in runs.iter().filter(|r| r.size <= median * 1.3) {
        let from = ((run.x0 - left).max(0.0) as usize).min(width - 1);
        let to = ((run.x1 - left).max(0.0).ceil() as usize).min(width);
        covered[from..to].iter_mut().for_each(|c| *c = true);
    }
    let (Some(first), Some(last)) = (covered.iter().position(|&c| c), covered.iter().rposition(|&c| c)) else {
        return Vec::new();
    };
    let min_width = (median * 0.9).max(6.0) as usize;
    let mut gutters = Vec::new();
    let mut x = first;
    while x <= last {
        if covered[x] {
            x += 1;
            continue;
        }
        let start = x;
        while x <= last && !covered[x] {
            x += 1;
        }
        if x - start >= min_width {
            gutters.push((left + start as f32, left + x as f32));
        }
    }
    gutters
}

/// Lines in reading order, cut into blocks. Lines that span the columns cut the page into
/// bands; within a band, each column is read top to bottom, from the left.
fn order(lines: Vec<(Option<usize>, Line)>) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut band: Vec<(usize, Line)> = Vec::new();
    for (column, line) in lines {
        match column {
            Some(column) => band.push((column, line)),
            None => {
                flush_band(&mut band, &mut blocks);
                blocks.push(Block { lines: vec![line], at_column_top: true, open_end: false });
            }
        }
    }
    flush_band(&mut band, &mut blocks);
    blocks
}

fn flush_band(band: &mut Vec<(usize, Line)>, blocks: &mut Vec<Block>) {
    band.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.y.total_cmp(&a.1.y)));
    for column in band.chunk_by(|a, b| a.0 == b.0) {
        let lines: Vec<&Line> = column.iter().map(|(_, l)| l).collect();
        let right = lines.iter().map(|l| l.x1).fold(f32::MIN, f32::max);
        let pitch = typical_pitch(&lines);
        let short = |line: &Line| line.x1 < right - 1.5 * line.size;
        let mut current = Block { lines: Vec::new(), at_column_top: true, open_end: false };
        for line in lines {
            if let Some(previous) = current.lines.last() {
                let gap = previous.y - line.y;
                let breaks = gap > pitch * 1.3
                    || previous.bold != line.bold
                    || (line.size - previous.size).abs() > 0.15 * line.size
                    || starts_with_bullet(&line.text)
                    || (short(previous) && ends_sentence(&previous.text) && !previous.bold);
                if breaks {
                    blocks.push(std::mem::replace(
                        &mut current,
                        Block { lines: Vec::new(), at_column_top: false, open_end: false },
                    ));
                }
            }
            current.lines.push(line.clone());
        }
        current.open_end = current.lines.last().is_some_and(|l| !short(l) && !l.bold);
        blocks.push(current);
    }
    band.clear();
}

/// The usual distance between the baselines of neighbouring lines of one size (the smallest
/// distance that a third of the pairs reach), or 1.2 times the size.
fn typical_pitch(lines: &[&Line]) -> f32 {
    let mut pitches: Vec<f32> = lines
        .windows(2)
        .filter(|w| (w[0].size - w[1].size).abs() < 0.1 && w[0].bold == w[1].bold)
        .map(|w| w[0].y - w[1].y)
        .filter(|p| *p > 0.0)
        .collect();
    if pitches.len() < 3 {
        return lines.first().map_or(12.0, |l| l.size * 1.25);
    }
    pitches.sort_by(f32::total_cmp);
    pitches[pitches.len() / 3]
}

pub(super) fn starts_with_bullet(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some('•' | '●' | '▪' | '■' | '◦' | '\u{F0B7}'))
        && chars.next().is_some_and(char::is_whitespace)
}

fn ends_sentence(text: &str) -> bool {
    text.trim_end().ends_with(['.', ':', ';', '?', '!', '”', '"', ')'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, x0: f32, y: f32) -> Run {
        Run { text: text.to_owned(), x0, x1: x0 + text.len() as f32 * 4.5, y, size: 9.0, bold: false }
    }

    #[test]
    fn two_columns_read_left_column_first_and_furniture_is_dropped() {
        let runs = vec![
            run("292", 50.0, 760.0),
            run("right one", 315.0, 700.0),
            run("left one is a long line of text", 50.0, 700.0),
            run("MALI", 80.0, 760.0),
            run("right two", 315.0, 689.0),
            run("left two is a long line of text", 50.0, 689.0),
            run("7", 300.0, 30.0),
        ];
        let blocks = blocks(runs, [0.0, 0.0, 612.0, 792.0]);
        let text: Vec<String> =
            blocks.iter().map(|b| b.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("|")).collect();
        assert_eq!(text, ["left one is a long line of text|left two is a long line of text", "right one|right two"]);
    }

    #[test]
    fn text_printed_into_the_margin_bands_is_kept_where_it_runs_on_with_the_body() {
        let mut heading = run("MALI: TIER 2", 50.0, 760.0);
        heading.bold = true;
        let runs = vec![heading, run("The Government of Mali", 50.0, 746.0), run("does not fully meet", 50.0, 735.0)];
        let blocks = blocks(runs, [0.0, 0.0, 612.0, 792.0]);
        let lines: Vec<&str> = blocks.iter().flat_map(|b| &b.lines).map(|l| l.text.as_str()).collect();
        assert_eq!(lines, ["MALI: TIER 2", "The Government of Mali", "does not fully meet"]);
    }
}
