//! The report as an HTML page printed by Debian's `chromium --headless --print-to-pdf`: CSS
//! columns, Liberation Sans embedded as TrueType subsets with ToUnicode maps, running headers
//! in `@page` margin boxes (the narrative's country through a named page per narrative).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::Block;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

const STYLE: &str = r#"
@page { size: 612pt 792pt; margin: 56pt 50pt 58pt 50pt;
  @top-left { content: counter(page) "   TRAFFICKING IN PERSONS REPORT"; font: 8pt "Liberation Sans"; }
  @top-right { content: counter(page); font: 8pt "Liberation Sans"; } }
body { font: 9pt/11pt "Liberation Sans", sans-serif; margin: 0; }
h1 { font-size: 20pt; line-height: 24pt; margin: 0 0 18pt; break-before: page; }
.cols { columns: 2; column-gap: 18pt; text-align: justify; }
.list { columns: 3; column-gap: 18pt; }
h2 { font-size: 12pt; line-height: 14pt; margin: 10pt 0 3pt; break-after: avoid; text-align: left; }
h3 { font-size: 9.5pt; line-height: 11pt; margin: 8pt 0 2pt; break-after: avoid; text-align: left; }
p { margin: 0 0 5pt; }
p.bullet { padding-left: 9pt; text-indent: -9pt; margin-bottom: 2pt; }
p.item { margin: 0; text-align: left; }
.narrative { break-before: page; }
"#;

/// The report's blocks as one HTML page; each narrative on pages of its own, named after it, so
/// that the running header on the right-hand pages can name the country.
pub fn report_html(blocks: &[Block]) -> String {
    let mut style = STYLE.to_owned();
    let mut body = String::new();
    let mut open = false;
    let mut narratives = 0;
    let close = |body: &mut String, open: &mut bool| {
        if *open {
            body.push_str("</div>\n");
            *open = false;
        }
    };
    for block in blocks {
        match block {
            Block::Chapter(title) => {
                close(&mut body, &mut open);
                let class = if title == "TIER PLACEMENTS" { "list" } else { "cols" };
                let _ = write!(body, "<h1>{}</h1>\n<div class=\"{class}\">\n", escape(title));
                open = true;
            }
            Block::CountryHeading(lines) => {
                close(&mut body, &mut open);
                narratives += 1;
                let country = lines[0].split(':').next().unwrap_or_default();
                let country = if country == "SPECIAL CASE" { lines[0][13..].trim() } else { country };
                let _ = writeln!(
                    style,
                    "@page n{narratives} {{ @top-right {{ content: \"{}   \" counter(page); font: 8pt \"Liberation Sans\"; }} }}",
                    country.replace('"', "")
                );
                let _ = write!(
                    body,
                    "<div class=\"cols narrative\" style=\"page: n{narratives}\">\n<h2>{}</h2>\n",
                    lines.iter().map(|l| escape(l)).collect::<Vec<_>>().join("<br>")
                );
                open = true;
            }
            Block::Section(title) => {
                let _ = writeln!(body, "<h3>{}</h3>", escape(title));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(body, "<p>{}</p>", escape(text));
            }
            Block::Bullet(text) => {
                let _ = writeln!(body, "<p class=\"bullet\">•&nbsp;{}</p>", escape(text));
            }
            Block::ListItem(name) => {
                let _ = writeln!(body, "<p class=\"item\">{}</p>", escape(name));
            }
        }
    }
    close(&mut body, &mut open);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>2018 Trafficking in Persons Report</title>\n<style>{style}</style></head>\n<body>\n{body}</body></html>\n"
    )
}

/// The chromium binary, if installed (`tests/run` installs it).
pub fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.exists())
}

/// Prints an HTML page to PDF with headless chromium; `None` without chromium.
pub fn print_to_pdf(html: &str, work_dir: &Path) -> Option<Vec<u8>> {
    let chromium = chromium()?;
    std::fs::create_dir_all(work_dir).expect("work dir");
    let page = work_dir.join("report.html");
    let pdf = work_dir.join("report.pdf");
    std::fs::write(&page, html).expect("write the page");
    let status = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", work_dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run chromium");
    assert!(status.success(), "chromium failed: {status}");
    Some(std::fs::read(&pdf).expect("chromium wrote the PDF"))
}
