//! Web pages for the HTML front end's tests, written at test time from the real narratives of
//! `../shared/data/narratives` in the structure the real sites use (see
//! `../shared/data/sources/STRUCTURE.md`), with the navigation, scripts, share buttons and
//! footers around them that the front end must drop.

// Each test binary that includes this module writes only the pages it needs.
#![allow(dead_code)]

use std::fmt::Write;

/// A part of a narrative's body as a site marks it up.
pub enum Block {
    /// A section title ("PROSECUTION", "Prioritized Recommendations").
    Title(String),
    Paragraph(String),
    /// The recommendations written one per paragraph: a list on the web.
    List(Vec<String>),
}

/// A narrative read from its plain text: heading line, then the body's blocks.
pub struct Narrative {
    /// The lines above the heading (GVnet's banner), if any.
    pub banner: Option<String>,
    pub heading: String,
    pub body: Vec<Block>,
}

/// The section titles of the narratives, in lower case.
const TITLES: [&str; 8] = [
    "prioritized recommendations",
    "recommendations",
    "prosecution",
    "prosecutions",
    "protection",
    "prevention",
    "trafficking profile",
    "government efforts",
];

fn is_title(line: &str) -> bool {
    let bare = line.trim().trim_end_matches(':').to_lowercase();
    TITLES.contains(&bare.as_str()) || (bare.starts_with("recommendations for ") && bare.len() < 60)
}

/// Reads a narrative file of `../shared/data/narratives` (or the repository's seed): one
/// paragraph per line, blank lines between them or not.
pub fn narrative(text: &str) -> Narrative {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first = lines.next().expect("a heading").to_owned();
    let mut banner = None;
    if first.starts_with('[') {
        banner = Some(first);
        first = lines.next().expect("a heading").to_owned();
    }
    let mut body: Vec<Block> = Vec::new();
    let mut in_recommendations = false;
    for line in lines {
        if is_title(line) {
            in_recommendations = line.to_lowercase().contains("recommendations");
            body.push(Block::Title(line.to_owned()));
            continue;
        }
        match body.last_mut() {
            Some(Block::List(items)) => items.push(line.to_owned()),
            Some(Block::Paragraph(previous)) if in_recommendations => {
                let previous = std::mem::take(previous);
                *body.last_mut().unwrap() = Block::List(vec![previous, line.to_owned()]);
            }
            _ => body.push(Block::Paragraph(line.to_owned())),
        }
    }
    Narrative { banner, heading: first, body }
}

/// Text escaped for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The body's blocks: titles as `title` marks them up, paragraphs as `<p>`, lists as `<ul><li>`.
fn body_html(body: &[Block], title: impl Fn(&str) -> String) -> String {
    let mut html = String::new();
    for block in body {
        match block {
            Block::Title(text) => writeln!(html, "{}", title(&escape(text))).unwrap(),
            Block::Paragraph(text) => writeln!(html, "<p>{}</p>", escape(text)).unwrap(),
            Block::List(items) => {
                html.push_str("<ul>\n");
                for item in items {
                    writeln!(html, "  <li>{}</li>", escape(item)).unwrap();
                }
                html.push_str("</ul>\n");
            }
        }
    }
    html
}

const SCRIPT: &str = "<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);} \
                      document.write('<p>Tier 1</p>');</script>";

/// A country page of the State Department's WordPress "report" template, as served by
/// www.state.gov since 2021 (`archive` false) or by 2017-2021.state.gov (`archive` true): page
/// title in the featured header, the narrative in `section.report__content__inner.entry-content`
/// with the country heading in an `<h2>` and section titles in `h3.report__section-subtitle`.
pub fn state_gov_report(narrative: &Narrative, country: &str, year: i32, archive: bool) -> String {
    let host = if archive { "2017-2021.state.gov" } else { "www.state.gov" };
    let slug = country.to_lowercase().replace(' ', "-");
    let url = format!("https://{host}/reports/{year}-trafficking-in-persons-report/{slug}/");
    let archive_banner = if archive {
        "<div class=\"archive-banner\" role=\"banner\"><p>This is archived content from the U.S. Department of State \
         website. The information here may be outdated and links may no longer function.</p></div>"
    } else {
        ""
    };
    format!(
        r##"<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{country} - United States Department of State</title>
<link rel="canonical" href="{url}">
<meta property="og:title" content="{year} Trafficking in Persons Report: {country}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{year}-06-15T13:00:00+00:00">
<link rel="stylesheet" href="https://{host}/wp-content/themes/dos/style.css">
{SCRIPT}
</head>
<body class="report-template-default single single-report">
<a class="skip-link screen-reader-text" href="#main-content">Skip to content</a>
{archive_banner}
<header class="site-header" role="banner">
  <nav class="nav-menu" role="navigation" aria-label="Main">
    <ul><li><a href="/">Home</a></li><li><a href="/issues/">Issues &amp; Policies</a></li><li><a href="/countries/">Countries &amp; Areas</a></li></ul>
  </nav>
  <form class="search-form" role="search"><input type="search" name="s"><button>Search</button></form>
</header>
<main id="main-content">
  <div class="featured-content__header">
    <h1 class="featured-content__headline">{year} Trafficking in Persons Report: {country}</h1>
    <p class="article-meta">Office to Monitor and Combat Trafficking in Persons</p>
  </div>
  <div class="wp-block-report-content report row">
    <nav id="report-nav" class="report__nav">
      <select><option value="https://{host}/reports/{year}-trafficking-in-persons-report/">Report Home</option>
      <option value="https://{host}/reports/{year}-trafficking-in-persons-report/afghanistan/">Afghanistan</option></select>
    </nav>
    <section class="report__content__inner entry-content">
<h2>{heading}</h2>
{body}    </section>
  </div>
  <div class="share-tools"><span>Share</span><a href="https://www.facebook.com/sharer">Facebook</a><a href="https://twitter.com/share">Twitter</a></div>
  <aside class="related-content"><h2>Related Articles</h2><p>June 15, {year}: Secretary's remarks at the release of the {year} Trafficking in Persons Report, in which he spoke at length of Tier 1 and Tier 3 countries and of the efforts of governments.</p></aside>
</main>
<footer class="site-footer" role="contentinfo"><p>White House | USA.gov | Office of the Inspector General | Archives | Contact Us</p></footer>
{SCRIPT}
</body>
</html>
"##,
        heading = escape(&narrative.heading),
        body = body_html(&narrative.body, |t| format!("<h3 class=\"report__section-subtitle\">{t}</h3>")),
    )
}

/// A country page of 2009-2017.state.gov, the old content management system: skip link,
/// `div#dos-wrapper`, breadcrumbs, `div#tier3-landing-content-wide` with an
/// `h2.tier3-headline`, the narrative after an `hr.separator`, `DC_*` metadata.
pub fn state_gov_2009_2017(narrative: &Narrative, country: &str, year: i32, page_id: u32) -> String {
    let url = format!("http://www.state.gov/j/tip/rls/tiprpt/countries/{year}/{page_id}.htm");
    format!(
        r##"<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{country}</title>
<meta name="DC_title" content="{country}" />
<meta name="DC_date" content="{year}-06-19" />
<meta name="DC_identifier" content="{url}" />
<meta name="keywords" content="{country}, Trafficking in Persons Report, {year}" />
{SCRIPT}
</head>
<body>
<a class="skip-link" href="#main-content">Skip to main content</a>
<div id="dos-wrapper">
<div id="header"><div id="main-nav"><ul><li><a href="/">Home</a></li><li><a href="/j/tip/">Trafficking in Persons</a></li></ul></div></div>
<div id="left-content">
<div id="tier2-content">
<div id="breadcrumb-trail"><p id="breadcrumbs"><a href="/">Home</a> &raquo; <a href="/j/tip/rls/tiprpt/">Trafficking in Persons Report</a> &raquo; <a href="/j/tip/rls/tiprpt/{year}/">{year}</a> &raquo; {country}</p></div>
<a name="main-content"></a>
<div id="tier3-landing-content-wide">
<div id="body-col02-row01">
<h2 class="tier3-headline"><span>{country}</span></h2>
<div class="subtitle">Trafficking in Persons Report {year}</div>
<hr class="separator" />
<p><strong>{heading}</strong></p>
{body}</div>
</div>
</div>
</div>
<div id="right-content"><div class="sidebar-related"><h3>Related Material</h3><p>The {year} Trafficking in Persons Report, introduction and methodology of the Tier placements.</p></div></div>
</div>
<div id="footer-output"><p>The Office of Website Management, Bureau of Public Affairs, manages this site as a portal for information from the U.S. State Department.</p></div>
</body>
</html>
"##,
        heading = escape(&narrative.heading),
        body = body_html(&narrative.body, |t| format!("<p><strong>{t}</strong></p>")),
    )
}

/// A page of the 2001-2008 reports, which held several countries ("IV. Country Narratives --
/// Tier 2", "Countries A through G"): a table layout with a navigation column, then in the
/// content cell one heading per country, alternately `<h3>` and `<p><b>`.
pub fn state_gov_2001_2008(narratives: &[&Narrative], title: &str, year: i32, page_id: u32) -> String {
    let url = format!("http://www.state.gov/g/tip/rls/tiprpt/{year}/{page_id}.htm");
    let mut countries = String::new();
    for (i, narrative) in narratives.iter().enumerate() {
        if i % 2 == 0 {
            writeln!(countries, "<h3>{}</h3>", escape(&narrative.heading)).unwrap();
        } else {
            writeln!(countries, "<p><b>{}</b></p>", escape(&narrative.heading)).unwrap();
        }
        countries.push_str(&body_html(&narrative.body, |t| format!("<p><b>{t}</b></p>")));
        countries.push_str("<p align=\"right\"><a href=\"#top\">[Back to Top]</a></p>\n");
    }
    format!(
        r##"<html>
<head>
<title>{title}</title>
<meta name="DC_identifier" content="{url}">
<meta name="DC_date" content="{year}-07-12">
</head>
<body bgcolor="#ffffff">
<a name="top"></a>
<table width="100%" border="0" cellpadding="4">
<tr>
<td width="160" valign="top" class="leftnav">
<a href="/g/tip/">Trafficking in Persons</a><br>
<a href="/g/tip/rls/tiprpt/{year}/">{year} Report</a><br>
<a href="/g/tip/rls/tiprpt/{year}/3928.htm">Introduction</a><br>
</td>
<td valign="top">
<h2>{title}</h2>
<p><i>Countries A through G</i></p>
{countries}</td>
</tr>
</table>
<p><font size="1">Released by the Office to Monitor and Combat Trafficking in Persons</font></p>
</body>
</html>
"##,
    )
}

/// A Refworld document view: the site's header and search, the document's header (`<h1>`
/// title, publisher and date table) and text in `div#docMain`, the disclaimer below it.
pub fn refworld(narrative: &Narrative, country: &str, year: i32, docid: &str) -> String {
    format!(
        r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Refworld | {year} Trafficking in Persons Report - {country}</title>
<link rel="canonical" href="https://www.refworld.org/docid/{docid}.html">
<meta name="dc.date" content="{year}-06-27">
{SCRIPT}
</head>
<body>
<header id="header"><div class="logo"><a href="/">Refworld</a></div>
<form id="search" role="search"><input name="query"><button>Search</button></form></header>
<div id="breadcrumb"><a href="/">Home</a> &gt; <a href="/country,,,,MLI,,,0.html">{country}</a></div>
<div id="container">
<div id="sidebar" class="sidebar"><h3>Related documents</h3><ul><li>{country}: Country of Origin Information</li></ul></div>
<div id="docMain">
<div class="document-header">
<h1>{year} Trafficking in Persons Report - {country}</h1>
<table class="docDetails">
<tr><td>Publisher</td><td>United States Department of State</td></tr>
<tr><td>Publication Date</td><td>27 June {year}</td></tr>
</table>
</div>
<div class="document-content">
<p>{heading}</p>
{body}</div>
</div>
</div>
<div class="disclaimer"><p>Disclaimer: This is not a UNHCR publication. UNHCR is not responsible for, nor does it necessarily endorse, its content.</p></div>
<div class="social-share"><a href="#">Share</a></div>
<footer><p>&copy; UNHCR</p></footer>
</body>
</html>
"##,
        heading = escape(&narrative.heading),
        body = body_html(&narrative.body, |t| format!("<h2>{t}</h2>")),
    )
}

/// Text hard-wrapped with `<BR>` at about `width` characters, as GVnet's hand-made pages are.
fn wrapped(text: &str, width: usize) -> String {
    let mut html = String::new();
    let mut line = 0;
    for word in escape(text).split(' ') {
        if line > 0 && line + word.len() > width {
            html.push_str("<BR>\n");
            line = 0;
        } else if line > 0 {
            html.push(' ');
            line += 1;
        }
        html.push_str(word);
        line += word.len();
    }
    html
}

/// A GVnet page: legacy hand-made HTML in capitals, a table with a navigation column, the
/// banner, the heading in bold with its source line ("MALI (Tier 2) – Extracted in part from the
/// U.S. State Dept 2023 TIP Report"), paragraphs hard-wrapped with `<BR>`, in
/// the charset `charset` (the caller encodes the text).
pub fn gvnet(narrative: &Narrative, country: &str, charset: &str) -> String {
    let (heading, source_line) = match narrative.heading.find(['(']).and_then(|open| {
        let close = narrative.heading[open..].find(')')? + open + 1;
        Some(narrative.heading.split_at(close))
    }) {
        Some((heading, rest)) => (heading.to_owned(), rest.trim().to_owned()),
        None => (narrative.heading.clone(), String::new()),
    };
    let mut body = String::new();
    for block in &narrative.body {
        match block {
            Block::Title(title) => writeln!(body, "<P><B>{}</B></P>", escape(title)).unwrap(),
            Block::Paragraph(text) => writeln!(body, "<P>{}</P>", wrapped(text, 72)).unwrap(),
            Block::List(items) => {
                for item in items {
                    writeln!(body, "<P>{}</P>", wrapped(item, 72)).unwrap();
                }
            }
        }
    }
    let banner = narrative.banner.as_deref().unwrap_or("[ Human Trafficking, Country-by-Country ]");
    let source_line = match source_line.chars().next() {
        None => String::new(),
        Some('[') => format!(" {}", escape(&source_line)),
        Some(_) => format!(" – {}", escape(&source_line)),
    };
    format!(
        r##"<HTML>
<HEAD>
<TITLE>{country} - Human Trafficking</TITLE>
<META http-equiv="Content-Type" content="text/html; charset={charset}">
</HEAD>
<BODY BGCOLOR="#FFFFFF" TEXT="#000000">
<TABLE WIDTH="100%" BORDER="0">
<TR>
<TD WIDTH="140" VALIGN="TOP"><FONT SIZE="2">
<A HREF="../index.htm">GVnet Home</A><BR>
<A HREF="index.htm">Human Trafficking</A><BR>
<A HREF="Countries.htm">Country-by-Country</A><BR>
</FONT></TD>
<TD VALIGN="TOP">
<P ALIGN="CENTER"><FONT SIZE="2">{banner}</FONT></P>
<P><B>{heading}</B>{source_line}</P>
{body}</TD>
</TR>
</TABLE>
<P ALIGN="CENTER"><FONT SIZE="1">Copyright GVnet. Contact us.</FONT></P>
</BODY>
</HTML>
"##,
        banner = escape(banner),
        heading = escape(&heading),
    )
}

/// A page of a site none of the known layouts fits (a news or document archive such as
/// ecoi.net): a Bootstrap grid with the article, a sidebar of related links with more text than
/// a heading, share buttons, cookie notice, footer.
pub fn other_site(narrative: &Narrative, page_title: &str) -> String {
    format!(
        r##"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{page_title} | Document archive</title>
<link rel="canonical" href="https://www.example.org/en/document/2077592.html">
<meta property="article:published_time" content="2022-07-19">
<style>.container {{ max-width: 1140px; }}</style>
</head>
<body>
<div class="cookie-notice"><p>This site uses cookies to improve your experience. By continuing to browse the site you agree to our use of cookies, in line with our privacy policy.</p></div>
<header class="navbar"><a href="/">Document archive</a><nav><a href="/en/countries/">Countries</a> <a href="/en/sources/">Sources</a></nav></header>
<div class="container"><div class="row">
<div class="col-md-8">
<article>
<h1>{page_title}</h1>
<div class="document-meta"><span>Origin: US Department of State</span> <span>Published: 19 July 2022</span></div>
<div class="text">
<h2>{heading}</h2>
{body}</div>
<div class="share-buttons"><a href="#">Share on Twitter</a> <a href="#">Share by e-mail</a></div>
</article>
</div>
<div class="col-md-4">
<div class="sidebar"><h3>More on this country</h3><p>Country reports, UN documents and news on trafficking in persons, the situation of refugees and internally displaced persons, collected by the archive since 1995.</p></div>
</div>
</div></div>
<footer class="site-footer"><p>Imprint | Privacy | Contact</p></footer>
{SCRIPT}
</body>
</html>
"##,
        heading = escape(&narrative.heading),
        body = body_html(&narrative.body, |t| format!("<h3>{t}</h3>")),
    )
}

/// A page that shows a narrative's plain text as it is, in a `<pre>` (mirrors of text files do).
pub fn preformatted(text: &str, page_title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{page_title}</title></head>\n<body>\
         <div class=\"menu\"><a href=\"/\">Index</a></div>\n<pre>{}</pre>\n<p class=\"small\">Mirrored text.</p></body></html>\n",
        escape(text)
    )
}
