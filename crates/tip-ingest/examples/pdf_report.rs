//! Writes a generated report PDF in the printed layout from the 2018 corpus (see
//! `tests/pdf_fixtures`), for the benchmark and for looking at:
//!
//!   cargo run --example pdf_report -- rust OUT.pdf [REPEAT [IMAGE_BYTES]]
//!   cargo run --example pdf_report -- chromium OUT.pdf [REPEAT]
//!   cargo run --example pdf_report -- text OUT.txt [REPEAT]   (the narratives as plain text)
//!
//! REPEAT: how many times the narratives are repeated (a longer report); IMAGE_BYTES: bytes of
//! photograph on each chapter page.

#[path = "../../../tests/pdf_fixtures/mod.rs"]
mod pdf_fixtures;

use pdf_fixtures::{HeadingStyle, Record, corpus, report_blocks};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: pdf_report rust|chromium|text OUT [REPEAT [IMAGE_BYTES]]";
    let (Some(producer), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let repeat: usize = args.get(2).map_or(1, |n| n.parse().expect("REPEAT"));
    let image_bytes: usize = args.get(3).map_or(0, |n| n.parse().expect("IMAGE_BYTES"));
    let records: Vec<Record> = (0..repeat).flat_map(|_| corpus()).collect();
    let blocks = report_blocks(&records, HeadingStyle::Colon);
    let bytes = match producer.as_str() {
        "rust" => pdf_fixtures::writer::write_pdf(
            &blocks,
            &pdf_fixtures::writer::Options { image_bytes, title: Some("2018 Trafficking in Persons Report".into()) },
        ),
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
