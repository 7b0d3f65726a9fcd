//! TIP Atlas ingestion: turns the bytes of a country narrative into a `tip.v1.Report` with
//! diagnostics (line, column, message). Knows nothing of gRPC or of storage.

pub mod decode;
mod diagnostics;
pub mod extract;
mod layout;
mod parse;
pub mod pdf;
mod recommendations;
mod statements;
pub mod tier_table;

pub use decode::Encoding;
pub use diagnostics::Diagnostics;
pub use parse::{Hints, ParsedDocument, parse_document};
pub use tier_table::{NotATierTable, Placement, RejectedRow, TierTable, parse_tier_table};
