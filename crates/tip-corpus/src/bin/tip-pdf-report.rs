//! Writes a generated report PDF in the printed layout from the 2018 corpus (see
//! `tip_corpus::pdf`), for the benchmark and for looking at:
//!
//!   cargo run -p tip-corpus --bin tip-pdf-report -- rust OUT.pdf [NARRATIVES [BYTES]]
//!   cargo run -p tip-corpus --bin tip-pdf-report -- chromium OUT.pdf [NARRATIVES]
//!   cargo run -p tip-corpus --bin tip-pdf-report -- text OUT.txt [NARRATIVES]   (form-feed separated plain text)
//!
//! NARRATIVES: how many narratives, the corpus's 100 repeated as needed (a longer report; 245
//! make about 600 pages); BYTES: the size to reach with a photograph on the chapter pages.

use tip_corpus::corpus2018::{Record, corpus};
use tip_corpus::pdf::{HeadingStyle, report_blocks};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: tip-pdf-report rust|chromium|text OUT [NARRATIVES [BYTES]]";
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
                tip_corpus::pdf::writer::write_pdf(&blocks, &tip_corpus::pdf::writer::Options { image_bytes, title })
            };
            let text_only = write(0);
            if text_only.len() < target_bytes { write(target_bytes - text_only.len()) } else { text_only }
        }
        "chromium" => {
            let work = std::env::temp_dir().join(format!("pdf_report-{}", std::process::id()));
            let html = tip_corpus::pdf::chromium::report_html(&blocks);
            let pdf = tip_corpus::pdf::chromium::print_to_pdf(&html, &work).expect("chromium is not installed");
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
