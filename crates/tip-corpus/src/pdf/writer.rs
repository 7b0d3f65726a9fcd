//! A minimal PDF writer that sets [`Block`]s as the printed report does: US Letter, two justified
//! columns of 9-point Helvetica, bold headings, bullets, running headers with page numbers
//! (written in the middle of the page's content stream, as the real report's are, so that a
//! reader in stream order glues them to the text), hyphenated line ends, and optionally a
//! photograph-sized image on every chapter page (for a report of realistic byte size).

use std::fmt::Write as _;
use std::io::Write as _;

use super::Block;

const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 50.0;
const GUTTER: f32 = 18.0;
const COLUMN_WIDTH: f32 = (PAGE_WIDTH - 2.0 * MARGIN - GUTTER) / 2.0;
const BODY_TOP: f32 = 730.0;
const BODY_BOTTOM: f32 = 60.0;
const BODY_SIZE: f32 = 9.0;
const LEADING: f32 = 11.0;
const PARAGRAPH_SPACE: f32 = 5.0;
const BULLET_INDENT: f32 = 9.0;

/// Helvetica's advance widths (per 1000 em) for ASCII 32 to 126, from Adobe's AFM.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
];

/// The WinAnsiEncoding byte of a character, with /fi at 0x81 and /fl at 0x8D (unused in
/// WinAnsi) as the font's Differences array says; `?` for what the font cannot show.
fn win_ansi(c: char) -> u8 {
    const HIGH: [char; 32] = [
        '€', 'ﬁ', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 'ﬂ', 'Ž', '\0', '\0', '‘', '’', '“', '”', '•',
        '–', '—', '˜', '™', 'š', '›', 'œ', '\0', 'ž', 'Ÿ',
    ];
    match c as u32 {
        0x20..=0x7E | 0xA0..=0xFF => c as u8,
        _ => HIGH.iter().position(|&h| h == c).and_then(|i| u8::try_from(0x80 + i).ok()).unwrap_or(b'?'),
    }
}

fn width(byte: u8) -> u16 {
    match byte {
        32..=126 => HELVETICA[usize::from(byte - 32)],
        0x81 | 0x8D => 500,
        0x95 => 350,
        0x97 => 1000,
        _ => 556,
    }
}

/// Typeset width of a text in points (Helvetica-Bold taken as 5% wider).
fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = text.chars().map(|c| u32::from(width(win_ansi(c)))).sum();
    units as f32 * size / 1000.0 * if bold { 1.05 } else { 1.0 }
}

/// Typographic ligatures, as a typesetter puts them in: "fi" and "fl" inside words.
fn with_ligatures(word: &str) -> String {
    word.replace("fi", "ﬁ").replace("fl", "ﬂ")
}

#[derive(Clone, Copy, PartialEq)]
enum Font {
    Regular,
    Bold,
}

struct Page {
    /// Content stream operators for the left column, the furniture, then the right column.
    left: String,
    right: String,
    running_title: String,
    image: bool,
}

/// Options of a generated report.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Bytes of photograph (incompressible image data) on each chapter page.
    pub image_bytes: usize,
    /// Document title in the Info dictionary.
    pub title: Option<String>,
}

struct Layout {
    pages: Vec<Page>,
    column: usize,
    y: f32,
    /// Top of the columns on the current page (below a chapter title).
    column_top: f32,
    running_title: String,
    page_has_heading: bool,
    ligatures: bool,
}

impl Layout {
    fn new_page(&mut self, image: bool) {
        self.pages.push(Page {
            left: String::new(),
            right: String::new(),
            running_title: self.running_title.clone(),
            image,
        });
        self.column = 0;
        self.column_top = BODY_TOP;
        self.y = BODY_TOP;
        self.page_has_heading = false;
    }

    fn column_x(&self) -> f32 {
        MARGIN + self.column as f32 * (COLUMN_WIDTH + GUTTER)
    }

    /// Room for `height` points in the current column, or the next column or page.
    fn make_room(&mut self, height: f32) {
        if self.y - height >= BODY_BOTTOM {
            return;
        }
        if self.column == 0 {
            self.column = 1;
            self.y = self.column_top;
        } else {
            self.new_page(false);
        }
    }

    fn show(&mut self, x: f32, size: f32, font: Font, text: &str, word_spacing: f32) {
        let y = self.y;
        let page = self.pages.last_mut().expect("a page");
        let out = if self.column == 0 { &mut page.left } else { &mut page.right };
        show_at(out, x, y, size, font, text, word_spacing);
    }

    /// Sets a text justified in the current column, moving to the next column or page when full.
    fn paragraph(&mut self, text: &str, size: f32, font: Font, indent: f32, first_line_prefix: Option<&str>) {
        let width = COLUMN_WIDTH - indent;
        let lines = break_lines(text, width, size, font == Font::Bold);
        let count = lines.len();
        for (index, line) in lines.into_iter().enumerate() {
            self.make_room(LEADING);
            self.y -= LEADING;
            let x = self.column_x() + indent;
            if index == 0
                && let Some(prefix) = first_line_prefix
            {
                self.show(x - BULLET_INDENT, size, font, prefix, 0.0);
            }
            let text =
                if self.ligatures { line.split(' ').map(with_ligatures).collect::<Vec<_>>().join(" ") } else { line };
            let spaces = text.matches(' ').count();
            let last = index + 1 == count;
            let spacing = if last || spaces == 0 {
                0.0
            } else {
                ((width - text_width(&text, size, font == Font::Bold)) / spaces as f32).max(0.0)
            };
            self.show(x, size, font, &text, spacing);
        }
    }

    fn place(&mut self, block: &Block, image_bytes: usize) {
        match block {
            Block::Chapter(title) => {
                self.running_title = title.clone();
                self.new_page(image_bytes > 0);
                self.y = BODY_TOP - 20.0;
                self.show(MARGIN, 20.0, Font::Bold, title, 0.0);
                self.column_top = BODY_TOP - 45.0;
                self.y = self.column_top;
            }
            Block::CountryHeading(lines) => {
                let broken: Vec<String> =
                    lines.iter().flat_map(|line| break_lines(line, COLUMN_WIDTH, 12.0, true)).collect();
                self.make_room(14.0 * broken.len() as f32 + 10.0 + 3.0 * LEADING);
                if self.y < self.column_top {
                    self.y -= 10.0;
                }
                // The running head names the first country whose narrative starts on the page.
                if let Some(country) = lines[0].split(':').next().filter(|_| !self.page_has_heading) {
                    let country = country.strip_prefix("SPECIAL CASE").map_or(country, |_| &lines[0][14..]);
                    self.pages.last_mut().expect("a page").running_title = country.trim().to_owned();
                    self.page_has_heading = true;
                }
                self.running_title = self.pages.last().expect("a page").running_title.clone();
                for line in broken {
                    self.y -= 14.0;
                    let x = self.column_x();
                    self.show(x, 12.0, Font::Bold, &line, 0.0);
                }
                self.y -= 3.0;
            }
            Block::Section(title) => {
                self.make_room(8.0 + 12.0 + 2.0 * LEADING);
                self.y -= 8.0;
                self.paragraph(title, 9.5, Font::Bold, 0.0, None);
                self.y -= 2.0;
            }
            Block::Paragraph(text) => {
                self.paragraph(text, BODY_SIZE, Font::Regular, 0.0, None);
                self.y -= PARAGRAPH_SPACE;
            }
            Block::Bullet(text) => {
                self.paragraph(text, BODY_SIZE, Font::Regular, BULLET_INDENT, Some("•"));
                self.y -= 2.0;
            }
            Block::ListItem(name) => {
                self.make_room(LEADING);
                self.y -= LEADING;
                let x = self.column_x();
                self.show(x, BODY_SIZE, Font::Regular, name, 0.0);
            }
        }
    }
}

fn show_at(out: &mut String, x: f32, y: f32, size: f32, font: Font, text: &str, word_spacing: f32) {
    let name = if font == Font::Bold { "F2" } else { "F1" };
    let _ = write!(out, "BT /{name} {size} Tf {word_spacing:.3} Tw 1 0 0 1 {x:.2} {y:.2} Tm (");
    for c in text.chars() {
        match win_ansi(c) {
            b @ (b'(' | b')' | b'\\') => {
                out.push('\\');
                out.push(char::from(b));
            }
            b @ 0x20..=0x7E => out.push(char::from(b)),
            b => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push_str(") Tj ET\n");
}

/// Breaks a text into lines that fit `width`, hyphenating a long word that does not fit (at a
/// hyphen it has, or after at least four letters, leaving at least four).
fn break_lines(text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
    let fits = |line: &str| text_width(line, size, bold) <= width;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if fits(&candidate) {
            line = candidate;
            continue;
        }
        let split = hyphenation_points(word).into_iter().rev().find(|&at| {
            let head = &word[..at];
            let head = if head.ends_with('-') { head.to_owned() } else { format!("{head}-") };
            fits(&if line.is_empty() { head } else { format!("{line} {head}") })
        });
        match split {
            Some(at) => {
                let head = &word[..at];
                let hyphen = if head.ends_with('-') { "" } else { "-" };
                lines.push(if line.is_empty() { format!("{head}{hyphen}") } else { format!("{line} {head}{hyphen}") });
                line = word[at..].to_owned();
            }
            None => {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                line = word.to_owned();
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Byte offsets where a word may be broken: after each of its hyphens, and inside a run of
/// eight or more ASCII letters, after the fourth letter up to the fourth from the end.
fn hyphenation_points(word: &str) -> Vec<usize> {
    let mut points: Vec<usize> = word.match_indices('-').map(|(i, _)| i + 1).filter(|&i| i < word.len()).collect();
    if word.len() >= 8 && word.bytes().all(|b| b.is_ascii_lowercase()) {
        points.extend(4..=word.len() - 4);
    }
    points.sort_unstable();
    points
}

/// The report's blocks as a PDF.
pub fn write_pdf(blocks: &[Block], options: &Options) -> Vec<u8> {
    let mut layout = Layout {
        pages: Vec::new(),
        column: 0,
        y: BODY_TOP,
        column_top: BODY_TOP,
        running_title: String::new(),
        page_has_heading: false,
        ligatures: true,
    };
    if !matches!(blocks.first(), Some(Block::Chapter(_))) {
        layout.new_page(false);
    }
    for block in blocks {
        layout.place(block, options.image_bytes);
    }
    serialize_pages(&layout.pages, options, true)
}

/// The running header: page number and report title on even pages, running title and page
/// number on odd ones (the outer corners).
fn furniture(number: usize, running_title: &str) -> String {
    let mut out = String::new();
    let y = PAGE_HEIGHT - 32.0;
    if number.is_multiple_of(2) {
        show_at(&mut out, MARGIN, y, 8.0, Font::Bold, &number.to_string(), 0.0);
        show_at(&mut out, MARGIN + 22.0, y, 8.0, Font::Regular, "TRAFFICKING IN PERSONS REPORT", 0.0);
    } else {
        let number = number.to_string();
        let number_x = PAGE_WIDTH - MARGIN - text_width(&number, 8.0, true);
        let title_x = number_x - 8.0 - text_width(running_title, 8.0, false);
        show_at(&mut out, title_x, y, 8.0, Font::Regular, running_title, 0.0);
        show_at(&mut out, number_x, y, 8.0, Font::Bold, &number, 0.0);
    }
    out
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

/// Incompressible bytes, the same for every run (a xorshift generator).
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

fn serialize_pages(pages: &[Page], options: &Options, furnished: bool) -> Vec<u8> {
    let mut out: Vec<u8> = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets: Vec<usize> = Vec::new();
    fn object_in(out: &mut Vec<u8>, offsets: &mut Vec<usize>, body: &[u8]) -> usize {
        offsets.push(out.len());
        let _ = writeln!(out, "{} 0 obj", offsets.len());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
        offsets.len()
    }
    let widths: Vec<String> = (32..=255u8).map(|b| width(b).to_string()).collect();
    let encoding = "<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [129 /fi 141 /fl] >>";
    let font = |base: &str| {
        format!(
            "<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding {encoding} /FirstChar 32 /LastChar 255 /Widths [{}] >>",
            widths.join(" ")
        )
    };
    let regular = object_in(&mut out, &mut offsets, font("Helvetica").as_bytes());
    let bold = object_in(&mut out, &mut offsets, font("Helvetica-Bold").as_bytes());
    let image = (options.image_bytes > 0).then(|| {
        let side = (options.image_bytes / 3).isqrt();
        let data = noise(side * side * 3);
        let mut body = format!(
            "<< /Type /XObject /Subtype /Image /Width {side} /Height {side} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length {} >>\nstream\n",
            data.len()
        )
        .into_bytes();
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\nendstream");
        object_in(&mut out, &mut offsets, &body)
    });
    // Pages are objects after the page tree; the page tree's number is known in advance.
    let pages_id = offsets.len() + 1 + 2 * pages.len() + 1;
    let mut kids = Vec::new();
    for (index, page) in pages.iter().enumerate() {
        let mut content = page.left.clone();
        if furnished {
            content.push_str(&furniture(index + 1, &page.running_title));
        }
        content.push_str(&page.right);
        if page.image && image.is_some() {
            content.push_str("q 240 0 0 160 310 120 cm /Im1 Do Q\n");
        }
        let data = deflate(content.as_bytes());
        let mut body = format!("<< /Length {} /Filter /FlateDecode >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\nendstream");
        let content_id = object_in(&mut out, &mut offsets, &body);
        let xobjects = image.map_or(String::new(), |id| format!("/XObject << /Im1 {id} 0 R >>"));
        let page = format!(
            "<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] /Resources << /Font << /F1 {regular} 0 R /F2 {bold} 0 R >> {xobjects} >> /Contents {content_id} 0 R >>"
        );
        kids.push(object_in(&mut out, &mut offsets, page.as_bytes()));
    }
    let info = object_in(
        &mut out,
        &mut offsets,
        format!(
            "<< /Title ({}) /Producer (tip-atlas test writer) >>",
            options.title.as_deref().unwrap_or("Trafficking in Persons Report")
        )
        .as_bytes(),
    );
    let kids: Vec<String> = kids.iter().map(|id| format!("{id} 0 R")).collect();
    let tree = object_in(
        &mut out,
        &mut offsets,
        format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), kids.len()).as_bytes(),
    );
    assert_eq!(tree, pages_id, "page tree number");
    let catalog = object_in(&mut out, &mut offsets, format!("<< /Type /Catalog /Pages {pages_id} 0 R >>").as_bytes());
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
    for offset in &offsets {
        let _ = writeln!(out, "{offset:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root {catalog} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        offsets.len() + 1
    );
    out
}

/// A scan: pages that hold only an image, no text.
pub fn scanned_pdf(pages: usize) -> Vec<u8> {
    let page = || Page { left: String::new(), right: String::new(), running_title: String::new(), image: true };
    let pages: Vec<Page> = (0..pages).map(|_| page()).collect();
    // Without furniture: a scan has no text at all.
    serialize_pages(&pages, &Options { image_bytes: 3 * 64 * 64, title: None }, false)
}

/// A PDF that says it is encrypted with a password (the standard security handler, revision
/// 3, with a user password that is not empty): its content cannot be read without it.
pub fn encrypted_pdf(blocks: &[Block]) -> Vec<u8> {
    let plain = write_pdf(blocks, &Options::default());
    let trailer = memchr::memmem::rfind(&plain, b"trailer\n<<").expect("a trailer") + "trailer\n<<".len();
    let encrypt = format!(
        " /Encrypt << /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <{o}> /U <{u}> >> /ID [<{id}> <{id}>]",
        o = "1A".repeat(32),
        u = "2B".repeat(32),
        id = "3C".repeat(16)
    );
    let mut out = plain[..trailer].to_vec();
    out.extend_from_slice(encrypt.as_bytes());
    out.extend_from_slice(&plain[trailer..]);
    out
}
