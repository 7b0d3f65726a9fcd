//! Writes a generated report PDF in the printed layout from the 2018 corpus (see
//! `tests/pdf_fixtures`), for the benchmark and for looking at:
//!
//!   cargo run --example pdf_report -- rust OUT.pdf [NARRATIVES [BYTES]]
//!   cargo run --example pdf_report -- chromium OUT.pdf [NARRATIVES]
//!   cargo run --example pdf_report -- text OUT.txt [NARRATIVES]   (form-feed separated plain text)
//!
//! NARRATIVES: how many narratives, the corpus's 100 repeated as needed (a longer report; 245
//! make about 600 pages); BYTES: the size to reach with a photograph on the chapter pages.

#[path = "../../../tests/pdf_fixtures/mod.rs"]
mod pdf_fixtures;

use pdf_fixtures::{HeadingStyle, Record, corpus, report_blocks};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: pdf_report rust|chromium|text OUT [NARRATIVES [BYTES]]";
    let (Some(producer), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let corpus = corpus();
    let count: usize = args.get(2).map_or(corpus.len(), |n| n.parse().expect("NARRATIVES"));
    let target_bytes: usize = args.get(3).map_or(0, |n| n.parse().expect("BYTES"));
    let records: Vec<Record> = corpus.iter().cycle().take(count).cloned().collect();
    let blocks = report_blocks(&records, HeadingStyle::Colon);
    let bytes = match producer.as_str() {
        "rust" => {
            let write = |image_bytes| {
                let title = Some("2018 Trafficking in Persons Report".to_owned());
                pdf_fixtures::writer::write_pdf(&blocks, &pdf_fixtures::writer::Options { image_bytes, title })
            };
            let text_only = write(0);
            if text_only.len() < target_bytes { write(target_bytes - text_only.len()) } else { text_only }
        }
        "chromium" => {
            let work = std::env::temp_dir().join(format!("pdf_report-{}", std::process::id()));
            let html = pdf_fixtures::chromium::report_html(&blocks);
            let pdf = pdf_fixtures::chromium::print_to_pdf(&html, &work).expect("chromium is not installed");
            let _ = std::fs::remove_dir_all(&work);
            pdf
        }
        "text" => records.iter().map(Record::plain_text).collect::<Vec<_>>().join("\u{c}").into_bytes(),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    std::fs::write(out, &bytes).expect("write");
    eprintln!("{out}: {} bytes, {} narratives", bytes.len(), records.len());
}
