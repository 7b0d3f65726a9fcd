//! The schema and its migrations, numbered by `PRAGMA user_version`.

use rusqlite::{Connection, params};
use tip_model::CountryRegistry;

use super::writes::refresh_derived_placements;
use super::{PARSER_VERSION_KEY, Result, StoreError, write_transaction};

/// The schema of the release before migrations were numbered (user_version 0), every statement
/// IF NOT EXISTS: the first migration, which an empty file and such a database both take.
const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS documents (
    sha256      TEXT PRIMARY KEY,
    content     BLOB NOT NULL,
    encoding    TEXT NOT NULL,
    source_uri  TEXT NOT NULL,
    ingested_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reports (
    id              INTEGER PRIMARY KEY,
    iso3            TEXT NOT NULL,
    year            INTEGER NOT NULL,
    region          INTEGER NOT NULL,
    tier            INTEGER NOT NULL,
    tier_change     INTEGER NOT NULL,
    finding         INTEGER NOT NULL,
    completeness    INTEGER NOT NULL,
    waiver          INTEGER NOT NULL,
    document_sha256 TEXT NOT NULL REFERENCES documents(sha256),
    ingested_at     INTEGER NOT NULL,
    report          BLOB NOT NULL,
    UNIQUE (iso3, year)
);
CREATE INDEX IF NOT EXISTS reports_by_year ON reports (year, iso3);
-- The columns search filters and orders by, narrow: a search joins every match to its report,
-- and the report rows, which hold the encoded report, are too wide for that (a few per page).
CREATE INDEX IF NOT EXISTS reports_search_columns
    ON reports (id, iso3, year, region, tier, tier_change, finding, completeness);
CREATE TABLE IF NOT EXISTS report_documents (
    iso3            TEXT NOT NULL,
    year            INTEGER NOT NULL,
    document_sha256 TEXT NOT NULL REFERENCES documents(sha256),
    ingested_at     INTEGER NOT NULL,
    tier            INTEGER NOT NULL,
    completeness    INTEGER NOT NULL,
    PRIMARY KEY (iso3, year, document_sha256)
);
CREATE VIRTUAL TABLE IF NOT EXISTS report_text USING fts5(
    narrative, recommendations, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS placements (
    iso3                 TEXT NOT NULL,
    year                 INTEGER NOT NULL,
    tier                 INTEGER NOT NULL,
    source               TEXT NOT NULL,
    tier_as_published    TEXT NOT NULL,
    country_as_published TEXT NOT NULL,
    PRIMARY KEY (iso3, year, source)
);
CREATE TABLE IF NOT EXISTS countries (
    iso3   TEXT PRIMARY KEY,
    region INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS placements_by_year ON placements (year, iso3);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
";

/// One change of the schema: statements, then what is derived in Rust from the rows, if any (a
/// derivation runs today's code on the tables as that migration leaves them).
struct Migration {
    sql: &'static str,
    derive: Option<fn(&Connection) -> Result<()>>,
}

/// The schema's changes, in order; `PRAGMA user_version` counts those a database has taken.
/// Append only: a released migration never changes.
const MIGRATIONS: &[Migration] = &[
    Migration { sql: SCHEMA_V1, derive: None },
    // 2: each country's latest placement, derived in Rust by the tier history's rule, which
    // ListCountries filters and orders on.
    Migration {
        sql: "CREATE TABLE latest_placements (
                  iso3 TEXT PRIMARY KEY,
                  year INTEGER NOT NULL,
                  tier INTEGER NOT NULL
              );",
        // Filled by migration 3's derivation, which refreshes both tables by one rule.
        derive: None,
    },
    // 3: each year's placement of each country as its tier history settles it, with the move
    // from the last known year before, which ListPlacements filters and orders on.
    Migration {
        sql: "CREATE TABLE year_placements (
                  iso3          TEXT NOT NULL,
                  year          INTEGER NOT NULL,
                  tier          INTEGER NOT NULL,
                  previous_year INTEGER NOT NULL,
                  previous_tier INTEGER NOT NULL,
                  movement      INTEGER NOT NULL,
                  conflict      INTEGER NOT NULL,
                  PRIMARY KEY (year, iso3)
              ) WITHOUT ROWID;",
        derive: Some(|tx| refresh_derived_placements(tx, None)),
    },
];

/// The schema version this release writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to date: the migrations a database has not taken, in one transaction.
pub(super) fn migrate(connection: &mut Connection) -> Result<()> {
    let tx = write_transaction(connection)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let known = SCHEMA_VERSION;
    let new_file =
        found == 0 && tx.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0))? == 0;
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    // A negative version (never written by tip-atlas) takes every migration, as 0 does.
    for migration in &MIGRATIONS[usize::try_from(found).unwrap_or(0)..] {
        tx.execute_batch(migration.sql)?;
        if let Some(derive) = migration.derive {
            derive(&tx)?;
        }
    }
    if new_file {
        // Nothing stored yet: what will be is derived by this parser.
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![PARSER_VERSION_KEY, tip_ingest::PARSER_VERSION.to_string().into_bytes()],
        )?;
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

/// Mirrors the country registry into the `countries` table, for filters over countries.
pub(super) fn sync_countries(connection: &mut Connection) -> Result<()> {
    let tx = write_transaction(connection)?;
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO countries (iso3, region) VALUES (?1, ?2) ON CONFLICT (iso3) DO UPDATE SET region = excluded.region",
        )?;
        for country in CountryRegistry::global().all() {
            upsert.execute(params![country.iso3.as_str(), country.region as i32])?;
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::store::Store;

    fn user_version(path: &Path) -> i64 {
        Connection::open(path).unwrap().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn an_empty_file_takes_every_migration() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("new.sqlite");
        std::fs::write(&path, b"").unwrap();
        let store = Store::open(&path).unwrap();
        assert_eq!(store.placement_count().unwrap(), 0);
        assert_eq!(user_version(&path), MIGRATIONS.len() as i64);
        assert_eq!(store.parser_version().unwrap(), tip_ingest::PARSER_VERSION, "nothing to re-derive");
    }

    #[test]
    fn a_database_of_the_release_before_migrations_keeps_its_rows() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("old.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(SCHEMA_V1).unwrap();
        old.execute("INSERT INTO placements VALUES ('MLI', 2022, 3, 't.csv', '2WL', 'Mali')", []).unwrap();
        old.execute("INSERT INTO meta (key, value) VALUES ('kept', x'01')", []).unwrap();
        drop(old);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.meta("kept").unwrap(), Some(vec![1]));
        let latest: (i32, i32) = Connection::open(&path)
            .unwrap()
            .query_row("SELECT year, tier FROM latest_placements WHERE iso3 = 'MLI'", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap();
        assert_eq!(latest, (2022, 3), "derived by the migration");
        assert_eq!(store.parser_version().unwrap(), 1, "its reports are the previous parser's");
        assert_eq!(user_version(&path), MIGRATIONS.len() as i64);
        drop(store);
        Store::open(&path).expect("opens again, with nothing left to migrate");
    }

    #[test]
    fn a_read_only_store_takes_only_this_releases_schema() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("old.sqlite");
        Connection::open(&path).unwrap().execute_batch(SCHEMA_V1).unwrap();
        assert!(matches!(Store::open_read_only(&path), Err(StoreError::OlderSchema { found: 0, .. })));
        assert_eq!(user_version(&path), 0, "not migrated");
        drop(Store::open(&path).unwrap());
        let store = Store::open_read_only(&path).unwrap();
        assert_eq!(store.placement_count().unwrap(), 0);
        assert!(store.set_meta("a", &[1]).is_err(), "no write");
        assert!(Store::open_read_only(&folder.path().join("missing.sqlite")).is_err(), "never created");
    }

    #[test]
    fn a_database_of_a_newer_release_is_refused() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("newer.sqlite");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 1000).unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::NewerSchema { found: 1000, .. })));
    }
}
