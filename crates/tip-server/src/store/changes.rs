//! What changed since a point: the documents that became their report's current one, in the
//! order they were ingested, whoever wrote them (this server or another process on the file).
//! Each ingested document adds a row to `report_documents`, whose row numbers only grow: writes
//! are serialized, and rows are never deleted.

use rusqlite::params;
use tip_model::{Iso3, ReportName, ReportYear};

use super::{Result, Store};

/// A report made current by an ingested document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ingestion {
    /// The report.
    pub name: ReportName,
    /// Whether it is the report's first document (otherwise it replaced one).
    pub created: bool,
}

impl Store {
    /// Where the ingestions stand: what [`Store::ingested_since`] takes to list the later ones.
    pub fn last_ingestion(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT coalesce(max(rowid), 0) FROM report_documents", [], |row| row.get(0))?))
    }

    /// The reports made current by documents ingested after `after` (a value of
    /// [`Store::last_ingestion`]), oldest first, and where the ingestions now stand. A document
    /// kept as a revision only, or since replaced by another, made nothing current.
    pub fn ingested_since(&self, after: i64) -> Result<(Vec<Ingestion>, i64)> {
        self.read(|c| {
            let last: i64 =
                c.query_row("SELECT coalesce(max(rowid), 0) FROM report_documents", [], |row| row.get(0))?;
            let mut statement = c.prepare_cached(
                "SELECT d.iso3, d.year,
                        NOT EXISTS (SELECT 1 FROM report_documents e
                                    WHERE e.iso3 = d.iso3 AND e.year = d.year AND e.rowid < d.rowid)
                 FROM report_documents d
                 JOIN reports r ON r.iso3 = d.iso3 AND r.year = d.year AND r.document_sha256 = d.document_sha256
                 WHERE d.rowid > ?1 AND d.rowid <= ?2
                 ORDER BY d.rowid",
            )?;
            let rows = statement.query_map(params![after, last], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, bool>(2)?))
            })?;
            let mut ingestions = Vec::new();
            for row in rows {
                let (iso3, year, created) = row?;
                let (Ok(country), Ok(year)) = (Iso3::parse(&iso3), ReportYear::new(year)) else { continue };
                ingestions.push(Ingestion { name: ReportName { country, year }, created });
            }
            Ok((ingestions, last))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::{mali_2023, mali_2023_cut_off, temporary_store};

    #[test]
    fn ingestions_since_a_point_are_the_documents_made_current() {
        let (_folder, store) = temporary_store();
        let start = store.last_ingestion().unwrap();
        let (name, report, bytes) = mali_2023();
        let (cut_report, cut_bytes) = mali_2023_cut_off();
        store.put_report(name, &cut_report, &cut_bytes).unwrap();
        store.put_report(name, &report, bytes).unwrap();
        let (ingestions, last) = store.ingested_since(start).unwrap();
        // The cut-off copy was replaced: only the whole one is current.
        assert_eq!(ingestions.iter().map(|i| (i.name, i.created)).collect::<Vec<_>>(), [(name, false)]);
        assert_eq!(last, store.last_ingestion().unwrap());
        // Kept as a revision only: nothing new is current.
        store.put_report(name, &cut_report, b"other bytes, less complete").unwrap();
        assert!(store.ingested_since(last).unwrap().0.is_empty());
    }
}
