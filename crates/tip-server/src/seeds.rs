//! The bundled data, compiled into the binary so that an installed `tip-atlas` works anywhere:
//! loaded into an empty store on first start.

use std::fmt;

use tip_ingest::{Hints, parse_document};

use crate::error::ApiError;
use crate::store::{PutOutcome, Store};

/// The narratives of `seeds/`, by file name.
pub const BUNDLED_DOCUMENTS: &[(&str, &[u8])] = &[("mali-2023.txt", include_bytes!("../../../seeds/mali-2023.txt"))];

/// What loading the bundled data did.
#[derive(Debug, Default)]
pub struct LoadSummary {
    /// Reports stored.
    pub reports: usize,
    /// Whether the store already held data, so nothing was loaded.
    pub already_loaded: bool,
}

impl fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already_loaded {
            write!(f, "the store already holds data; bundled data not loaded")
        } else {
            write!(f, "{} bundled report(s) loaded", self.reports)
        }
    }
}

/// Loads the bundled documents when the store holds no report.
pub fn load_if_empty(store: &Store) -> Result<LoadSummary, ApiError> {
    if !store.is_empty()? {
        return Ok(LoadSummary { already_loaded: true, ..LoadSummary::default() });
    }
    let mut summary = LoadSummary::default();
    for (file, bytes) in BUNDLED_DOCUMENTS {
        let hints = Hints { source_uri: Some(format!("bundled:seeds/{file}")), ..Hints::default() };
        let parsed = parse_document(bytes, &hints);
        let name = parsed.report_name().filter(|_| parsed.is_ok()).ok_or_else(|| ApiError::InvalidDocument {
            field: format!("seeds/{file}"),
            errors: parsed.diagnostics.errors.clone(),
        })?;
        if store.put_report(name, &parsed.report, bytes)? != PutOutcome::Unchanged {
            summary.reports += 1;
        }
    }
    Ok(summary)
}
