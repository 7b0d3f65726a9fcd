//! The PDF front end. A stand-in until the PDF reader lands: it refuses every PDF plainly.

use crate::extract::{ExtractError, Extraction};

/// Finds the country narratives of a PDF.
pub fn extract(_bytes: &[u8]) -> Result<Extraction, ExtractError> {
    Err(ExtractError { location: "the file".to_owned(), message: "PDF support is not built yet".to_owned() })
}
