//! The bundled data, compiled into the binary so that an installed `tip-atlas` works anywhere:
//! the narratives and the tier-placement table of `seeds/`, loaded into a store once.

use std::fmt;

use tip_ingest::tier_table::BUNDLED_TIER_TABLE;
use tip_ingest::{Hints, parse_document, parse_tier_table};

use crate::error::ApiError;
use crate::store::{PutOutcome, Store};

/// The narratives of `seeds/`, by file name.
pub const BUNDLED_DOCUMENTS: &[(&str, &[u8])] = &[("mali-2023.txt", include_bytes!("../../../seeds/mali-2023.txt"))];

/// Marks a store into which this version of the bundled data was loaded.
const LOADED_KEY: &str = "bundled_data_sha256";

/// What loading the bundled data did.
#[derive(Debug, Default)]
pub struct LoadSummary {
    /// Reports stored or replaced.
    pub reports: usize,
    /// Placements stored or changed.
    pub placements: usize,
    /// Whether this bundled data was loaded before, so nothing was done.
    pub already_loaded: bool,
}

impl fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already_loaded {
            write!(f, "bundled data already loaded")
        } else {
            write!(f, "bundled data loaded: {} report(s), {} tier placement(s)", self.reports, self.placements)
        }
    }
}

/// Loads the bundled documents and tier table unless this version of them was loaded before;
/// what a user ingested since is kept (loading is idempotent by content hash and by placement).
pub fn load_bundled(store: &Store) -> Result<LoadSummary, ApiError> {
    let version = bundle_version();
    if store.meta(LOADED_KEY)?.as_deref() == Some(version.as_bytes()) {
        return Ok(LoadSummary { already_loaded: true, ..LoadSummary::default() });
    }
    let mut summary = LoadSummary::default();
    for (file, bytes) in BUNDLED_DOCUMENTS {
        let hints = Hints { source_uri: Some(format!("bundled:seeds/{file}")), ..Hints::default() };
        let parsed = parse_document(bytes, &hints);
        let name = parsed
            .storable_name()
            .ok_or_else(|| ApiError::InvalidDocument { errors: parsed.diagnostics.errors.clone() })?;
        if store.put_report(name, &parsed.report, bytes)? != PutOutcome::Unchanged {
            summary.reports += 1;
        }
    }
    let table = parse_tier_table(BUNDLED_TIER_TABLE, "bundled")
        .map_err(|e| ApiError::Internal(format!("bundled tier table: {e}")))?;
    summary.placements = store.put_placements(&table.placements)?;
    store.set_meta(LOADED_KEY, version.as_bytes())?;
    Ok(summary)
}

/// A fingerprint of the bundled data, so a new version of it is loaded into an existing store.
fn bundle_version() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (file, bytes) in BUNDLED_DOCUMENTS {
        hasher.update(file.as_bytes());
        hasher.update(bytes);
    }
    hasher.update(BUNDLED_TIER_TABLE);
    tip_model::hex::to_hex(&hasher.finalize())
}
