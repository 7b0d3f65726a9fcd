//! The web-page front end: a saved or fetched page to the country narratives it holds, as text
//! in the narrative parser's layout.
//!
//! The page is decoded in its declared charset, parsed by an HTML5 parser (html5ever, through
//! `scraper`), and the narrative's block is found: the content element of a known layout
//! (state.gov's report template and its 2009–2017 archive, Refworld), or else the element with
//! the most paragraph text (GVnet's hand-made pages, the 2001–2008 pages, any other site).
//! Navigation, scripts, footers and share buttons are dropped; headings, paragraphs, list items
//! and table rows each become a paragraph of text. A page holding several countries is split at
//! each country heading ("Angola (Tier 2)").

use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use regex::Regex;
use scraper::node::Node;
use scraper::{ElementRef, Html, Selector};
use tip_model::CountryRegistry;

use crate::extract::{ExtractError, ExtractedNarrative, Extraction, Origin};
use crate::layout;

/// Finds the country narratives of a web page.
pub fn extract(bytes: &[u8]) -> Result<Extraction, ExtractError> {
    let (text, _) = page_encoding(bytes).decode_with_bom_removal(bytes);
    if let Some(offset) = too_deep(&text) {
        return Err(ExtractError {
            location: format!("character {}", text[..offset].chars().count() + 1),
            message: format!(
                "the page nests elements more than {MAX_NESTING} deep here; no saved page of the report does, \
                 and parsing it would take very long"
            ),
        });
    }
    let page = Html::parse_document(&text);
    let origin = origin(&page);
    let registry = CountryRegistry::global();
    let (container, blocks) = narrative_blocks(&page, registry);
    let page_heading =
        page_headings(&page).find(|h| is_country_heading(h, registry) || layout::page_title(h).is_some());
    let (texts, notes) = split_countries(blocks, page_heading, registry).map_err(|message| ExtractError {
        location: container,
        message: format!("no country narrative in the page: {message}"),
    })?;
    let report_year = report_year(&page, &origin);
    Ok(Extraction {
        narratives: texts.into_iter().map(|text| ExtractedNarrative { text, origin: origin.clone() }).collect(),
        placements: Vec::new(),
        report_year,
        notes,
    })
}

/// The name of the charset a page is read in, such as "UTF-8" or "windows-1252".
pub fn encoding_name(bytes: &[u8]) -> &'static str {
    page_encoding(bytes).name()
}

/// How far into the page a `<meta charset>` is looked for. Browsers look at the first 1024
/// bytes; saved pages often carry a longer head, and looking further costs nothing.
const CHARSET_PRESCAN: usize = 4096;

/// The page's charset: its byte-order mark, else its `<meta charset>` or `http-equiv`
/// declaration, else UTF-8 when the bytes are valid UTF-8 and Windows-1252 (what browsers
/// assume for Western pages) when they are not.
fn page_encoding(bytes: &[u8]) -> &'static Encoding {
    static DECLARED: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
        regex::bytes::Regex::new(r#"(?i)<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#).unwrap()
    });
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return encoding;
    }
    let head = &bytes[..bytes.len().min(CHARSET_PRESCAN)];
    let declared = DECLARED.captures(head).and_then(|caps| Encoding::for_label(caps.get(1)?.as_bytes()));
    match declared {
        // A page that says UTF-16 but has no byte-order mark was read as ASCII to find the
        // declaration: it is not UTF-16 (the HTML standard reads it as UTF-8).
        Some(encoding) if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE => UTF_8,
        Some(encoding) => encoding,
        None if std::str::from_utf8(bytes).is_ok() => UTF_8,
        None => WINDOWS_1252,
    }
}

/// The deepest nesting of elements read. The HTML5 tree builder looks through the open
/// elements for each tag, so its time grows with the square of the depth; browsers stop
/// nesting at 512 too (Blink's parser).
const MAX_NESTING: usize = 512;

/// Elements the parser closes by itself (paragraphs, list items, cells, the page's frame).
const IMPLIED_END: [&str; 20] = [
    "p", "li", "dt", "dd", "td", "th", "tr", "tbody", "thead", "tfoot", "caption", "colgroup", "option", "optgroup",
    "rb", "rt", "rp", "html", "head", "body",
];
/// Elements without content.
const VOID: [&str; 15] = [
    "area", "base", "br", "col", "embed", "frame", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr",
];
/// Formatting elements, of which the parser keeps at most three alike open.
const FORMATTING: [&str; 14] =
    ["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"];
/// Elements whose content is text, not markup, up to their end tag.
const RAW_TEXT: [&str; 7] = ["script", "style", "textarea", "title", "xmp", "iframe", "noscript"];

/// Where the page's elements first nest deeper than [`MAX_NESTING`], as a byte offset, if they
/// do. Counted from the tags, in one pass: comments and the text of scripts and styles are
/// passed over, and the elements that legacy pages leave open without nesting them (those the
/// parser closes by itself, void and formatting elements) are not counted.
fn too_deep(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'<', &bytes[at..]) {
        let start = at + found;
        at = start + 1;
        if bytes[at..].starts_with(b"!--") {
            at = memchr::memmem::find(&bytes[at..], b"-->").map_or(bytes.len(), |end| at + end + 3);
            continue;
        }
        let closing = bytes.get(at) == Some(&b'/');
        let name_start = at + usize::from(closing);
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let name_len = bytes[name_start..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        let name = &lower[name_start..name_start + name_len];
        at = name_start + name_len;
        if !closing && RAW_TEXT.contains(&name) {
            let end_tag = format!("</{name}");
            at = memchr::memmem::find(&bytes[at..], end_tag.as_bytes()).map_or(bytes.len(), |end| at + end);
            continue;
        }
        if IMPLIED_END.contains(&name) || VOID.contains(&name) || FORMATTING.contains(&name) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            if depth > MAX_NESTING {
                return Some(start);
            }
        }
    }
    None
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("selector {css:?}: {e}"))
}

/// Text with runs of white space (no-break spaces included) made one space, trimmed.
fn collapse(text: &str) -> String {
    text.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The page's `<meta>` values by name or property, names in lower case.
fn metas(page: &Html) -> impl Iterator<Item = (String, String)> + '_ {
    static META: LazyLock<Selector> = LazyLock::new(|| selector("meta[content]"));
    page.select(&META).filter_map(|meta| {
        let element = meta.value();
        let name = element.attr("name").or_else(|| element.attr("property"))?;
        Some((name.to_ascii_lowercase(), collapse(element.attr("content")?)))
    })
}

/// The first `<meta>` value among `names`, in the order of `names`.
fn meta(page: &Html, names: &[&str]) -> Option<String> {
    let found: Vec<(String, String)> = metas(page).filter(|(_, value)| !value.is_empty()).collect();
    names.iter().find_map(|name| found.iter().find(|(n, _)| n == name).map(|(_, value)| value.clone()))
}

/// What the page says of itself: title, canonical URL, publication date.
fn origin(page: &Html) -> Origin {
    static TITLE: LazyLock<Selector> = LazyLock::new(|| selector("head title, title"));
    static CANONICAL: LazyLock<Selector> = LazyLock::new(|| selector("link[rel~=canonical][href]"));
    static TIME: LazyLock<Selector> = LazyLock::new(|| selector("time[datetime]"));
    let title = page
        .select(&TITLE)
        .map(|t| collapse(&t.text().collect::<String>()))
        .find(|t| !t.is_empty())
        .or_else(|| meta(page, &["og:title", "dc_title", "dc.title"]));
    let canonical_url = page
        .select(&CANONICAL)
        .filter_map(|link| link.value().attr("href"))
        .map(str::trim)
        .find(|href| !href.is_empty())
        .map(str::to_owned)
        .or_else(|| meta(page, &["og:url", "dc_identifier", "dc.identifier"]));
    let published = meta(
        page,
        &["article:published_time", "dc_date", "dc.date", "dc.date.issued", "dcterms.issued", "dcterms.date", "date"],
    )
    .or_else(|| page.select(&TIME).find_map(|t| t.value().attr("datetime").map(collapse)));
    Origin { title, canonical_url, published, pages: None }
}

/// The page's top headings (`<h1>`) and title, which may name the country when the narrative's
/// block does not.
fn page_headings(page: &Html) -> impl Iterator<Item = String> + '_ {
    static HEADINGS: LazyLock<Selector> = LazyLock::new(|| selector("h1, title"));
    page.select(&HEADINGS).map(|h| collapse(&h.text().collect::<String>()))
}

/// The report year the page states: in its URL (`/reports/2023-trafficking-in-persons-report/`,
/// `/tiprpt/2001/`, `/tiprpt/countries/2016/`) or in its title or top heading ("2022
/// Trafficking in Persons Report: Somalia", "Trafficking in Persons Report 2017 - Mali").
fn report_year(page: &Html, origin: &Origin) -> Option<i32> {
    static IN_URL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)/(\d{4})-trafficking-in-persons-report|/tiprpt/(?:countries/)?(\d{4})/").unwrap()
    });
    static IN_TITLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\b((?:19|20)\d\d)\s+trafficking\s+in\s+persons\s+report|trafficking\s+in\s+persons\s+report,?\s+(?:[a-z]+\s+)?((?:19|20)\d\d)\b",
        )
        .unwrap()
    });
    let year = |caps: regex::Captures<'_>| caps.get(1).or_else(|| caps.get(2))?.as_str().parse().ok();
    origin
        .canonical_url
        .as_deref()
        .and_then(|url| IN_URL.captures(url).and_then(year))
        .or_else(|| page_headings(page).find_map(|h| IN_TITLE.captures(&h).and_then(year)))
}

/// The elements that hold the narrative in the layouts known by their markup, in the order they
/// are tried; a page none of them fits is read by the general rule ([`richest_element`]).
const LAYOUT_CONTAINERS: [&str; 3] = [
    // www.state.gov since 2021 and 2017-2021.state.gov: the WordPress "report" template.
    ".wp-block-report-content, .report__content__inner, section.entry-content, #report_content",
    // 2009-2017.state.gov: the old content management system's page body.
    "#tier3-landing-content-wide, #body-col02-row01",
    // Refworld's document view.
    "#docMain, .document-content, #fullTextContainer",
];

/// The narrative's blocks of text, and where in the page they were found (for errors): those of
/// the first known layout the page fits, else of the general rule; the first of them with a
/// country heading (a blog's `.entry-content` may hold something else), else the first with
/// text.
fn narrative_blocks(page: &Html, registry: &CountryRegistry) -> (String, Vec<String>) {
    let layouts = LAYOUT_CONTAINERS.iter().filter_map(|containers| {
        let outermost = outermost_matches(page, &selector(containers));
        let blocks: Vec<String> = outermost.iter().flat_map(|e| blocks_of(*e)).collect();
        (!blocks.is_empty()).then(|| (describe(outermost[0]), blocks))
    });
    let general = std::iter::once_with(|| {
        let container = richest_element(page);
        (describe(container), blocks_of(container))
    });
    let mut first = None;
    for (container, blocks) in layouts.chain(general) {
        if blocks.iter().any(|b| is_country_heading(b, registry)) {
            return (container, blocks);
        }
        first.get_or_insert((container, blocks));
    }
    first.expect("the general rule always gives a container")
}

/// The elements that match, outermost only (the report template nests its classes), in page
/// order; one pass over the page however deeply the matches nest.
fn outermost_matches<'a>(page: &'a Html, selector: &Selector) -> Vec<ElementRef<'a>> {
    let mut found = Vec::new();
    let mut edges = page.root_element().traverse();
    while let Some(edge) = edges.next() {
        let ego_tree::iter::Edge::Open(node) = edge else { continue };
        if let Some(element) = ElementRef::wrap(node)
            && selector.matches(&element)
        {
            found.push(element);
            skip_subtree(&mut edges, node.id());
        }
    }
    found
}

/// An element as a user finds it, named as a CSS selector would: "element div#docMain",
/// "element section.entry-content".
fn describe(element: ElementRef<'_>) -> String {
    let value = element.value();
    let mut name = format!("element {}", value.name());
    if let Some(id) = value.id() {
        name.push('#');
        name.push_str(id);
    } else if let Some(class) = value.classes().next() {
        name.push('.');
        name.push_str(class);
    }
    name
}

/// The general rule: the element whose own paragraphs (its `<p>` children and bare text, as
/// hand-made pages hold it between `<br>`s) hold the most text, outside navigation and page
/// furniture; the `<body>` when no element has any.
fn richest_element(page: &Html) -> ElementRef<'_> {
    let own_text = |element: ElementRef<'_>| -> usize {
        element
            .children()
            .map(|child| match child.value() {
                Node::Text(text) => text.trim().len(),
                Node::Element(e) if e.name() == "p" => ElementRef::wrap(child).map_or(0, |p| text_len(p)),
                _ => 0,
            })
            .sum()
    };
    let mut best: Option<(usize, ElementRef<'_>)> = None;
    let mut edges = page.root_element().traverse();
    while let Some(edge) = edges.next() {
        let ego_tree::iter::Edge::Open(node) = edge else { continue };
        let Some(element) = ElementRef::wrap(node) else { continue };
        if is_furniture(element) {
            skip_subtree(&mut edges, node.id());
            continue;
        }
        let score = own_text(element);
        if score > 0 && best.is_none_or(|(top, _)| score > top) {
            best = Some((score, element));
        }
    }
    best.map(|(_, e)| e).unwrap_or_else(|| {
        static BODY: LazyLock<Selector> = LazyLock::new(|| selector("body"));
        page.select(&BODY).next().unwrap_or(page.root_element())
    })
}

/// The length of an element's text, white space around its pieces left out.
fn text_len(element: ElementRef<'_>) -> usize {
    element.text().map(|t| t.trim().len()).sum()
}

/// Advances a traversal past the subtree of `id`, whose opening edge was just read.
fn skip_subtree(edges: &mut ego_tree::iter::Traverse<'_, Node>, id: ego_tree::NodeId) {
    for edge in edges.by_ref() {
        if matches!(edge, ego_tree::iter::Edge::Close(node) if node.id() == id) {
            return;
        }
    }
}

/// Elements that are never narrative: code, forms, navigation and page furniture.
const FURNITURE_TAGS: [&str; 22] = [
    "head", "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "button", "select",
    "input", "textarea", "iframe", "svg", "canvas", "object", "embed", "img", "video", "audio",
];

/// Words in a class or id that mark page furniture ("share-buttons", "skip-link", "report-nav").
const FURNITURE_WORDS: [&str; 22] = [
    "share",
    "sharing",
    "social",
    "addthis",
    "breadcrumb",
    "breadcrumbs",
    "skip",
    "nav",
    "navbar",
    "navigation",
    "menu",
    "sidebar",
    "related",
    "comments",
    "cookie",
    "cookies",
    "print",
    "toolbar",
    "pagination",
    "subscribe",
    "newsletter",
    "masthead",
];

/// ARIA roles of page furniture.
const FURNITURE_ROLES: [&str; 5] = ["navigation", "banner", "contentinfo", "search", "complementary"];

/// Whether an element is navigation, code or page furniture, to be dropped with its content.
fn is_furniture(element: ElementRef<'_>) -> bool {
    let value = element.value();
    if FURNITURE_TAGS.contains(&value.name())
        || value.attr("hidden").is_some()
        || value.attr("aria-hidden").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || value.attr("role").is_some_and(|role| FURNITURE_ROLES.iter().any(|r| role.eq_ignore_ascii_case(r)))
        // Links to a place in the page: "[Back to Top]", "Skip to content", footnote marks (a
        // bare "#" is a script's link, whose text may be the narrative's).
        || (value.name() == "a" && value.attr("href").is_some_and(|href| href.starts_with('#') && href.len() > 1))
    {
        return true;
    }
    let names = value.classes().chain(value.id());
    names
        .flat_map(|name| name.split(['-', '_']))
        .any(|word| FURNITURE_WORDS.iter().any(|furniture| word.eq_ignore_ascii_case(furniture)))
}

/// Elements that open and close a block of text.
const BLOCK_TAGS: [&str; 29] = [
    "html",
    "body",
    "main",
    "article",
    "section",
    "div",
    "p",
    "blockquote",
    "center",
    "address",
    "dl",
    "dt",
    "dd",
    "ul",
    "ol",
    "li",
    "figure",
    "figcaption",
    "hr",
    "fieldset",
    "details",
    "summary",
    "caption",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "td",
    "th",
];

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Elements whose presence in a table's cells makes it a layout table (cells that hold the
/// page's blocks) rather than a table of data.
fn is_layout_content(name: &str) -> bool {
    matches!(name, "table" | "p" | "div" | "ul" | "ol" | "blockquote" | "section" | "article") || is_heading(name)
}

/// How many of a table's nodes are looked at to tell a layout table from a table of data.
const TABLE_SCAN: usize = 10_000;

/// Whether a table holds data (its cells hold text only) rather than the page's layout.
fn is_data_table(table: ElementRef<'_>) -> bool {
    !table
        .descendants()
        .skip(1)
        .take(TABLE_SCAN)
        .any(|node| matches!(node.value(), Node::Element(e) if is_layout_content(e.name())))
}

/// The blocks of text under an element, in reading order.
fn blocks_of(container: ElementRef<'_>) -> Vec<String> {
    let mut text = BlockText::default();
    // Per open table: whether it is a table of data, read a row per block.
    let mut tables: Vec<(ego_tree::NodeId, bool)> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut edges = container.traverse();
    while let Some(edge) = edges.next() {
        match edge {
            ego_tree::iter::Edge::Open(node) => match node.value() {
                Node::Text(t) => text.push(t),
                Node::Element(element) => {
                    let Some(element_ref) = ElementRef::wrap(node) else { continue };
                    let name = element.name();
                    let in_data_table = tables.last().is_some_and(|(_, data)| *data);
                    if is_furniture(element_ref) && node.id() != container.id() {
                        skip_subtree(&mut edges, node.id());
                    } else if text.preformatted.is_some() {
                        if name == "br" {
                            text.push("\n");
                        }
                    } else if name == "pre" {
                        text.end_block();
                        text.preformatted = Some((node.id(), String::new()));
                    } else if name == "table" {
                        text.end_block();
                        tables.push((node.id(), in_data_table || is_data_table(element_ref)));
                    } else if in_data_table {
                        if matches!(name, "td" | "th" | "br") {
                            text.push(" ");
                        }
                    } else if name == "br" {
                        text.line_break();
                    } else if matches!(name, "b" | "strong") {
                        text.emphasis += 1;
                    } else if is_heading(name) || BLOCK_TAGS.contains(&name) {
                        text.end_block();
                    }
                }
                _ => {}
            },
            ego_tree::iter::Edge::Close(node) => {
                let Node::Element(element) = node.value() else { continue };
                let name = element.name();
                let in_data_table = tables.last().is_some_and(|(_, data)| *data);
                if text.preformatted.as_ref().is_some_and(|(id, _)| *id == node.id()) {
                    text.end_preformatted();
                } else if text.preformatted.is_some() {
                    continue;
                } else if name == "table" && tables.last().is_some_and(|(id, _)| *id == node.id()) {
                    tables.pop();
                    text.end_block();
                } else if in_data_table {
                    match name {
                        "td" | "th" => row.push(collapse(&text.take_line())),
                        "tr" => {
                            let cells: Vec<&str> = row.iter().map(String::as_str).filter(|c| !c.is_empty()).collect();
                            if !cells.is_empty() {
                                text.blocks.push(cells.join(" | "));
                            }
                            row.clear();
                        }
                        _ => {}
                    }
                } else if matches!(name, "b" | "strong") {
                    text.emphasis = text.emphasis.saturating_sub(1);
                } else if is_heading(name) {
                    text.end_heading();
                } else if BLOCK_TAGS.contains(&name) {
                    text.end_block();
                }
            }
        }
    }
    text.end_block();
    text.blocks
}

/// A line of a block being read: its text, and whether it has text in bold and out of it.
#[derive(Default)]
struct Line {
    text: String,
    bold: bool,
    plain: bool,
}

/// The blocks read so far and the lines of the block being read.
#[derive(Default)]
struct BlockText {
    blocks: Vec<String>,
    lines: Vec<Line>,
    /// How many `<b>`/`<strong>` elements are open.
    emphasis: usize,
    /// The `<pre>` being read and its text as written.
    preformatted: Option<(ego_tree::NodeId, String)>,
}

impl BlockText {
    fn line(&mut self) -> &mut Line {
        if self.lines.is_empty() {
            self.lines.push(Line::default());
        }
        self.lines.last_mut().expect("a line was just pushed")
    }

    /// Adds text as HTML renders it: runs of white space are one space (in a `<pre>`, as written).
    fn push(&mut self, text: &str) {
        if let Some((_, preformatted)) = &mut self.preformatted {
            preformatted.push_str(text);
            return;
        }
        let bold = self.emphasis > 0;
        let line = self.line();
        for (i, word) in text.split(|c: char| c.is_whitespace()).enumerate() {
            if i > 0 && !line.text.ends_with(' ') {
                line.text.push(' ');
            }
            if !word.is_empty() {
                line.text.push_str(word);
                if bold { line.bold = true } else { line.plain = true }
            }
        }
    }

    /// Takes the text of the current line (a table cell's).
    fn take_line(&mut self) -> String {
        self.lines.pop().map(|l| l.text).unwrap_or_default()
    }

    /// A `<br>`: a new line, or the end of the block after an empty line (`<br><br>`).
    fn line_break(&mut self) {
        match self.lines.last() {
            Some(line) if line.text.trim().is_empty() => self.end_block(),
            Some(_) => self.lines.push(Line::default()),
            None => {}
        }
    }

    /// Ends a `<pre>`: a block per paragraph (lines between blank lines), its lines kept for the
    /// narrative parser to join as it joins those of a text file.
    fn end_preformatted(&mut self) {
        let Some((_, text)) = self.preformatted.take() else { return };
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        for paragraph in lines.split(|line| line.trim().is_empty()).filter(|p| !p.is_empty()) {
            self.blocks.push(paragraph.join("\n"));
        }
    }

    /// Ends a heading: its lines are one line of text.
    fn end_heading(&mut self) {
        let heading = collapse(&self.lines.drain(..).map(|l| l.text).collect::<Vec<_>>().join(" "));
        if !heading.is_empty() {
            self.blocks.push(heading);
        }
    }

    /// Ends a block: lines wrapped with `<br>` are joined, except a line all in bold (a
    /// heading such as `<b>Angola (Tier 2)</b><br>`), which is a block of its own.
    fn end_block(&mut self) {
        let mut paragraph = String::new();
        for line in std::mem::take(&mut self.lines) {
            let text = collapse(&line.text);
            if text.is_empty() {
                continue;
            }
            if line.bold && !line.plain {
                if !paragraph.is_empty() {
                    self.blocks.push(std::mem::take(&mut paragraph));
                }
                self.blocks.push(text);
            } else {
                if !paragraph.is_empty() {
                    paragraph.push(' ');
                }
                paragraph.push_str(&text);
            }
        }
        if !paragraph.is_empty() {
            self.blocks.push(paragraph);
        }
    }
}

/// The longest line a country heading is taken from: GVnet's heading carries its source
/// ("LUXEMBOURG (TIER 1) [Extracted from U.S. State Dept Trafficking in Persons Report, June
/// 2009]"); a paragraph that merely opens with a country and a tier is longer.
const MAX_HEADING: usize = 200;

/// Whether a block is a country heading: "MALI (Tier 2)", "MALI: TIER 2 WATCH LIST", "SPECIAL
/// CASE: YEMEN", naming a known country.
fn is_country_heading(block: &str, registry: &CountryRegistry) -> bool {
    block.len() <= MAX_HEADING
        && layout::heading(block).is_some_and(|heading| registry.resolve(&heading.country).is_some())
}

/// The least text a page without a country heading must hold to be read as a narrative.
const MIN_NARRATIVE: usize = 400;

/// Splits the blocks into one narrative per country heading, each the heading and the blocks up
/// to the next. Before a page's only narrative, its banner and page-title lines are kept (they
/// carry the source and the year); other blocks before the first heading are passed over with a
/// note. A block without a heading is read as one narrative when the page's title names the
/// country, or when it is long enough and about trafficking (the caller's hints may name it).
fn split_countries(
    blocks: Vec<String>,
    page_heading: Option<String>,
    registry: &CountryRegistry,
) -> Result<(Vec<String>, Vec<String>), String> {
    let starts: Vec<usize> = (0..blocks.len()).filter(|&i| is_country_heading(&blocks[i], registry)).collect();
    let join = |blocks: &[String]| blocks.join("\n\n") + "\n";
    let Some(&first) = starts.first() else {
        if blocks.is_empty() {
            return Err("the page has no text".to_owned());
        }
        if let Some(heading) = page_heading {
            return Ok((vec![join(&[&[heading], &blocks[..]].concat())], Vec::new()));
        }
        let text = join(&blocks);
        if text.len() >= MIN_NARRATIVE && text.to_lowercase().contains("traffick") {
            return Ok((vec![text], Vec::new()));
        }
        return Err("no heading such as \"MALI (Tier 2)\" or \"MALI: Tier 2\" names a country and tier, \
                    and the text is not a narrative on trafficking"
            .to_owned());
    };
    let (before, _) = blocks.split_at(first);
    let single = starts.len() == 1;
    let kept: Vec<String> = before
        .iter()
        .filter(|b| single && (layout::is_banner(b) || layout::page_title(b).is_some()))
        .cloned()
        .collect();
    let mut notes = Vec::new();
    let passed_over = before.len() - kept.len();
    if passed_over > 0 {
        let opening: String =
            before.iter().find(|b| !kept.contains(b)).into_iter().flat_map(|b| b.chars()).take(60).collect();
        notes.push(format!(
            "passed over {passed_over} block(s) of text before the first country heading: \"{opening}\""
        ));
    }
    let ends = starts.iter().skip(1).copied().chain([blocks.len()]);
    let texts = starts.iter().zip(ends).map(|(&start, end)| join(&[&kept[..], &blocks[start..end]].concat())).collect();
    Ok((texts, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(html: &str) -> Vec<String> {
        narrative_blocks(&Html::parse_document(html), CountryRegistry::global()).1
    }

    #[test]
    fn list_items_headings_and_paragraphs_are_blocks_of_their_own() {
        let page = "<div id=content><h3>Prioritized Recommendations:</h3><ul><li>Prosecute traffickers.</li>\
                    <li>Vigorously <a href=#>investigate</a> cases.</li></ul><p>The   government\n made efforts.</p></div>";
        assert_eq!(
            blocks(page),
            [
                "Prioritized Recommendations:",
                "Prosecute traffickers.",
                "Vigorously investigate cases.",
                "The government made efforts."
            ]
        );
    }

    #[test]
    fn br_wrapped_lines_are_joined_and_a_bold_line_is_a_heading() {
        let page = "<body><p><b>Angola (Tier 2)</b><br>Angola is a country<br>of origin.<br><br>The Government\
                    <br>acts.</p></body>";
        assert_eq!(blocks(page), ["Angola (Tier 2)", "Angola is a country of origin.", "The Government acts."]);
    }

    #[test]
    fn data_tables_are_rows_of_cells_and_layout_tables_are_read_through() {
        let page = "<body><table><tr><td><p>Trafficking narrative paragraph.</p><table><tr><th>Year</th><th>Cases</th></tr>\
                    <tr><td>2022</td><td> 12 </td></tr></table></td></tr></table></body>";
        assert_eq!(blocks(page), ["Trafficking narrative paragraph.", "Year | Cases", "2022 | 12"]);
    }

    #[test]
    fn a_known_container_without_a_narrative_gives_way_to_the_general_rule() {
        let page = "<body><div class=entry-content><p>Subscribe to our newsletter.</p></div>\
                    <div id=story><h2>MALI (Tier 2)</h2><p>The Government of Mali does not fully meet the minimum standards.</p></div></body>";
        assert_eq!(
            blocks(page),
            ["MALI (Tier 2)", "The Government of Mali does not fully meet the minimum standards."]
        );
        let nothing =
            "<body><div class=entry-content><p>Subscribe to our newsletter.</p></div><div><p>Contact</p></div></body>";
        assert_eq!(
            narrative_blocks(&Html::parse_document(nothing), CountryRegistry::global()).0,
            "element div.entry-content"
        );
    }

    #[test]
    fn preformatted_text_keeps_its_lines_for_the_narrative_parser() {
        let page = "<body><pre>TONGA: Tier 2\nThe Government of Tonga does not fully\nmeet the standards.\n\n  \nPROSECUTION\n</pre></body>";
        assert_eq!(
            blocks(page),
            ["TONGA: Tier 2\nThe Government of Tonga does not fully\nmeet the standards.", "PROSECUTION"]
        );
    }

    #[test]
    fn furniture_is_dropped() {
        let page = "<body><nav>Home</nav><div class=share-buttons>Share</div><script>var x = '<p>';</script>\
                    <main><p>Text of the narrative.<a href=#fn1>1</a></p><p><a href=#top>[Back to Top]</a></p>\
                    <div class='a2a skip-link'>Skip</div></main><footer>Contact</footer></body>";
        assert_eq!(blocks(page), ["Text of the narrative."]);
    }

    #[test]
    fn the_charset_comes_from_the_bom_then_the_meta_then_the_bytes() {
        assert_eq!(encoding_name(b"\xEF\xBB\xBF<html>"), "UTF-8");
        assert_eq!(encoding_name(b"<meta charset=\"windows-1252\"><p>\x93x\x94"), "windows-1252");
        assert_eq!(
            encoding_name(b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">"),
            "windows-1252"
        );
        assert_eq!(encoding_name(b"<meta charset=utf-16><p>x"), "UTF-8");
        assert_eq!(encoding_name("<p>caf\u{e9}".as_bytes()), "UTF-8");
        assert_eq!(encoding_name(b"<p>caf\xe9"), "windows-1252");
    }

    #[test]
    fn pages_nested_too_deep_are_refused_before_parsing() {
        let deep = "<div>".repeat(MAX_NESTING + 1);
        assert_eq!(too_deep(&deep), Some(MAX_NESTING * 5));
        let error = extract(deep.as_bytes()).unwrap_err();
        assert_eq!(error.location, format!("character {}", MAX_NESTING * 5 + 1));
        // Legacy pages leave paragraphs, cells and fonts open; scripts compare with "<".
        let legacy = "<P><FONT SIZE=2><TD><b>x".repeat(2 * MAX_NESTING)
            + &"<script>for (i = 0; i<n; i++) {}</script>".repeat(2 * MAX_NESTING)
            + &"<div></div><!-- <div> -->".repeat(2 * MAX_NESTING);
        assert_eq!(too_deep(&legacy), None);
    }

    #[test]
    fn the_report_year_comes_from_the_url_or_the_title() {
        let page = |head: &str| {
            let page = Html::parse_document(head);
            report_year(&page, &origin(&page))
        };
        assert_eq!(
            page(
                "<link rel=canonical href='https://2017-2021.state.gov/reports/2019-trafficking-in-persons-report-2/tonga/'>"
            ),
            Some(2019)
        );
        assert_eq!(
            page("<meta name=DC_identifier content='https://www.state.gov/j/tip/rls/tiprpt/2001/3930.htm'>"),
            Some(2001)
        );
        assert_eq!(page("<title>2022 Trafficking in Persons Report: Somalia</title>"), Some(2022));
        assert_eq!(page("<title>Trafficking in Persons Report 2017 - Mali</title>"), Some(2017));
        assert_eq!(page("<title>Mali</title>"), None);
    }
}
