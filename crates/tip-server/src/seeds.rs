//! The bundled data, compiled into the binary so that an installed `tip-atlas` works anywhere:
//! the narratives and the tier-placement table of `seeds/`, loaded into a store once per version.

use std::collections::BTreeMap;
use std::fmt;

use tip_ingest::tier_table::{BUNDLED_TIER_TABLE, Placement};
use tip_ingest::{Hints, parse_file, parse_tier_table};
use tip_model::Iso3;

use crate::error::ApiError;
use crate::store::{PutOutcome, Store};

/// The version of the bundled data, the date `seeds/` last changed (ISO 8601, so that versions
/// order as strings). Raise it with every change to `seeds/`: a store that holds an earlier
/// version takes the new rows on start.
pub const BUNDLED_DATA_VERSION: &str = "2026-11-30";

/// The narratives of `seeds/`, by file name.
pub const BUNDLED_DOCUMENTS: &[(&str, &[u8])] = &[("mali-2023.txt", include_bytes!("../../../seeds/mali-2023.txt"))];

/// The fingerprint of the bundled data last loaded into a store.
const FINGERPRINT_KEY: &str = "bundled_data_sha256";
/// The version of the bundled data last loaded into a store; absent for releases before
/// versions, which recorded the fingerprint only.
const VERSION_KEY: &str = "bundled_data_version";

/// The bundled data a store held before a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previous {
    /// None: the store was empty of bundled data.
    Nothing,
    /// The data of a release before versions.
    Unversioned,
    /// A version of the bundled data.
    Version(String),
}

/// Placements a load added or changed, per report year.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PlacementChanges {
    pub added: BTreeMap<i32, usize>,
    pub changed: BTreeMap<i32, usize>,
}

/// What loading the bundled data did.
#[derive(Debug, PartialEq, Eq)]
pub enum LoadSummary {
    /// This version was loaded before: nothing was done.
    AlreadyLoaded,
    /// The store holds a newer version (written by a newer release): it was kept.
    NewerKept { stored: String },
    /// The bundled data was loaded over what the store held.
    Loaded { previous: Previous, reports: usize, placements: PlacementChanges },
}

impl fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyLoaded => write!(f, "bundled data {BUNDLED_DATA_VERSION} already loaded"),
            Self::NewerKept { stored } => {
                write!(
                    f,
                    "the store holds bundled data {stored}, newer than this release's {BUNDLED_DATA_VERSION}: kept"
                )
            }
            Self::Loaded { previous, reports, placements } => {
                match previous {
                    Previous::Nothing => write!(f, "bundled data {BUNDLED_DATA_VERSION} loaded")?,
                    Previous::Unversioned => {
                        write!(
                            f,
                            "bundled data {BUNDLED_DATA_VERSION} replaces the unversioned data of an earlier release"
                        )?;
                    }
                    Previous::Version(old) => write!(f, "bundled data {BUNDLED_DATA_VERSION} replaces {old}")?,
                }
                let total = |by_year: &BTreeMap<i32, usize>| by_year.values().sum::<usize>();
                write!(f, ": {reports} report(s), {} placement(s) added", total(&placements.added))?;
                // Per year only for an upgrade: a first load adds every year.
                if *previous != Previous::Nothing && !placements.added.is_empty() {
                    write!(f, " ({})", per_year(&placements.added))?;
                }
                write!(f, ", {} changed", total(&placements.changed))?;
                if !placements.changed.is_empty() {
                    write!(f, " ({})", per_year(&placements.changed))?;
                }
                Ok(())
            }
        }
    }
}

fn per_year(by_year: &BTreeMap<i32, usize>) -> String {
    by_year.iter().map(|(year, n)| format!("{year}: {n}")).collect::<Vec<_>>().join(", ")
}

/// Loads the bundled documents and tier table unless this version of them was loaded before,
/// or the store holds a newer one. Placements are upserted by country, year and source, so rows
/// of other sources (tier tables users loaded) and the narratives users ingested stay.
pub fn load_bundled(store: &Store) -> Result<LoadSummary, ApiError> {
    let fingerprint = bundle_fingerprint();
    if store.meta(FINGERPRINT_KEY)?.as_deref() == Some(fingerprint.as_bytes()) {
        return Ok(LoadSummary::AlreadyLoaded);
    }
    let previous = match store.meta(VERSION_KEY)? {
        Some(version) => Previous::Version(String::from_utf8_lossy(&version).into_owned()),
        None if store.meta(FINGERPRINT_KEY)?.is_some() => Previous::Unversioned,
        None => Previous::Nothing,
    };
    if let Previous::Version(stored) = &previous
        && stored.as_str() > BUNDLED_DATA_VERSION
    {
        return Ok(LoadSummary::NewerKept { stored: stored.clone() });
    }
    let mut reports = 0;
    for (file, bytes) in BUNDLED_DOCUMENTS {
        let hints = Hints { source_uri: Some(format!("bundled:seeds/{file}")), ..Hints::default() };
        // Through parse_file, as ingest and reindex read documents: the same report, source
        // fields included, so a reindex finds nothing to change in a bundled report.
        let parsed = parse_file(bytes, &hints, None)
            .map_err(|e| ApiError::Internal(format!("bundled {file}: {e}")))?
            .parts
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::Internal(format!("bundled {file}: no narrative")))?;
        let name = parsed
            .storable_name()
            .ok_or_else(|| ApiError::InvalidDocument { errors: parsed.diagnostics.errors.clone() })?;
        if store.put_report(name, &parsed.report, bytes)? != PutOutcome::Unchanged {
            reports += 1;
        }
    }
    let table = parse_tier_table(BUNDLED_TIER_TABLE, "bundled")
        .map_err(|e| ApiError::Internal(format!("bundled tier table: {e}")))?;
    let placements = placement_changes(store, &table.placements)?;
    store.put_placements(&table.placements)?;
    store.set_meta(VERSION_KEY, BUNDLED_DATA_VERSION.as_bytes())?;
    store.set_meta(FINGERPRINT_KEY, fingerprint.as_bytes())?;
    Ok(LoadSummary::Loaded { previous, reports, placements })
}

/// Which of `placements` the store lacks (by country, year and source), and which it holds
/// with another tier.
fn placement_changes(store: &Store, placements: &[Placement]) -> Result<PlacementChanges, ApiError> {
    let stored: BTreeMap<(Iso3, i32, String), (i32, String)> = store
        .placements(None)?
        .into_iter()
        .map(|p| ((p.iso3, p.year, p.source), (p.tier as i32, p.tier_as_published)))
        .collect();
    let mut changes = PlacementChanges::default();
    for p in placements {
        let year = p.year.get();
        match stored.get(&(p.iso3, year, p.source.clone())) {
            None => *changes.added.entry(year).or_default() += 1,
            Some((tier, as_published)) if *tier != p.tier as i32 || *as_published != p.tier_as_published => {
                *changes.changed.entry(year).or_default() += 1;
            }
            Some(_) => {}
        }
    }
    Ok(changes)
}

/// A fingerprint of the bundled data, so that data changed under the same version (while it is
/// being prepared) is loaded too.
fn bundle_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (file, bytes) in BUNDLED_DOCUMENTS {
        hasher.update(file.as_bytes());
        hasher.update(bytes);
    }
    hasher.update(BUNDLED_TIER_TABLE);
    tip_model::hex::to_hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_meta_raw(path: &std::path::Path, key: &str, value: &str) {
        let connection = rusqlite::Connection::open(path).unwrap();
        connection
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                rusqlite::params![key, value.as_bytes()],
            )
            .unwrap();
    }

    #[test]
    fn a_version_loads_once_an_older_one_is_upgraded_and_a_newer_one_kept() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("tip.sqlite");
        let store = Store::open(&path).unwrap();
        let first = load_bundled(&store).unwrap();
        let LoadSummary::Loaded { previous: Previous::Nothing, reports: 1, placements } = &first else {
            panic!("{first:?}")
        };
        assert_eq!(placements.added.values().sum::<usize>(), 4142);
        assert_eq!(load_bundled(&store).unwrap(), LoadSummary::AlreadyLoaded);

        // An older version with one 2019 row fewer and one row changed.
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection.execute("DELETE FROM placements WHERE iso3 = 'TUN' AND year = 2019", []).unwrap();
        connection.execute("UPDATE placements SET tier = 4 WHERE iso3 = 'MLI' AND year = 2020", []).unwrap();
        set_meta_raw(&path, VERSION_KEY, "2025-06-01");
        set_meta_raw(&path, FINGERPRINT_KEY, "older");
        let upgrade = load_bundled(&store).unwrap();
        assert_eq!(
            upgrade.to_string(),
            format!(
                "bundled data {BUNDLED_DATA_VERSION} replaces 2025-06-01: 0 report(s), 1 placement(s) added \
                 (2019: 1), 1 changed (2020: 1)"
            )
        );

        set_meta_raw(&path, VERSION_KEY, "2999-01-01");
        set_meta_raw(&path, FINGERPRINT_KEY, "newer");
        assert_eq!(load_bundled(&store).unwrap(), LoadSummary::NewerKept { stored: "2999-01-01".into() });
    }
}
