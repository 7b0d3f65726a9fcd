//! TIP Atlas ingestion: turns the bytes of a country narrative into a `tip.v1.Report` with
//! diagnostics (line, column, message). Knows nothing of gRPC or of storage.
//!
//! A file may be plain text, a web page or a PDF ([`parse_file`]): the page and PDF front ends
//! ([`html`], [`pdf`]) find the country narratives in it ([`extract`]), and each goes through
//! the same narrative parser as a text file ([`parse_document`]).

pub mod decode;
mod diagnostics;
pub mod enforcement;
pub mod extract;
mod file;
pub mod html;
mod layout;
pub mod media;
mod parse;
pub mod pdf;
mod recommendations;
pub mod similarity;
mod statements;
pub mod tier_table;

/// The version of what the parser makes of a document's bytes, recorded by stores: a change that
/// makes the same bytes parse into a different report bumps it, and stores written by an older
/// version re-derive their reports from the raw documents (`tip-atlas reindex`). 2: the
/// `downgrade_waived` field. 3: the enforcement figures.
pub const PARSER_VERSION: u32 = 3;

pub use decode::Encoding;
pub use diagnostics::Diagnostics;
pub use extract::ExtractError;
pub use file::{ParsedFile, RejectedPlacement, parse_file, parse_file_with_progress};
pub use media::MediaType;
pub use parse::{Hints, ParsedDocument, parse_document};
pub use recommendations::{MAX_RECOMMENDATION_BYTES, MAX_RECOMMENDATIONS};
pub use tier_table::{NotATierTable, Placement, RejectedRow, TierTable, parse_tier_table};
