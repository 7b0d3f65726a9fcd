//! The stream of changes: every report made current, by this server or by another process on
//! the same database (`tip-atlas ingest --db`), announced to watchers. Announcements carry names
//! only: a watcher reads the report when its client is ready for it, so a client that stops
//! reading holds at most the one message the transport is sending it, and the events it has yet
//! to take cost a few bytes each.

use std::sync::Arc;

use tip_model::pb::{Report, ReportEventType};
use tip_model::{Iso3, ReportName};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, broadcast, watch};

use super::Catalog;
use super::reports::fit_for_reply;
use crate::error::ApiError;
use crate::store::{Ingestion, OTHER_PROCESS_DELAY, Store};

/// A report that was created or replaced.
#[derive(Clone, Copy, Debug)]
pub struct ReportEvent {
    pub event_type: ReportEventType,
    pub name: ReportName,
}

/// How many events a watcher may fall behind before it is told it lost some.
const WATCH_BUFFER: usize = 1024;

/// Watchers open at once across all connections; one more is refused with RESOURCE_EXHAUSTED.
pub const MAX_WATCHERS: usize = 1024;

/// What the catalog shares with its follower and its watchers.
pub(super) struct Changes {
    events: broadcast::Sender<ReportEvent>,
    /// Wakes the follower at once after this server's own writes.
    written: Notify,
    watchers: Arc<Semaphore>,
}

impl Changes {
    /// Starts following `store` from its latest ingestion, until `stopping` turns true.
    pub(super) fn follow(store: Arc<Store>, stopping: watch::Receiver<bool>) -> Result<Arc<Self>, ApiError> {
        let (events, _) = broadcast::channel(WATCH_BUFFER);
        let changes =
            Arc::new(Self { events, written: Notify::new(), watchers: Arc::new(Semaphore::new(MAX_WATCHERS)) });
        let generation = store.generation();
        let seen = store.last_ingestion()?;
        tokio::spawn(follow(store, changes.clone(), stopping, generation, seen));
        Ok(changes)
    }

    /// Looks for new reports now rather than at the next poll: this server just wrote one.
    pub(super) fn written(&self) {
        self.written.notify_one();
    }
}

/// Announces the reports made current since `seen`, looking each time the store's generation
/// moves: at once after this server's writes, within [`OTHER_PROCESS_DELAY`] after another
/// process's. While nobody watches, it only keeps its place.
async fn follow(
    store: Arc<Store>,
    changes: Arc<Changes>,
    mut stopping: watch::Receiver<bool>,
    mut generation: u64,
    mut seen: i64,
) {
    let stopped = stopping.wait_for(|stopping| *stopping);
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            () = changes.written.notified() => {}
            () = tokio::time::sleep(OTHER_PROCESS_DELAY) => {}
        }
        // Taken before the read, so never newer than what it sees.
        let now = store.generation();
        if now == generation {
            continue;
        }
        let watched = changes.events.receiver_count() > 0;
        let reader = store.clone();
        let read = tokio::task::spawn_blocking(move || {
            if watched { reader.ingested_since(seen) } else { Ok((Vec::new(), reader.last_ingestion()?)) }
        })
        .await;
        match read {
            Ok(Ok((ingestions, last))) => {
                (generation, seen) = (now, last);
                for Ingestion { name, created } in ingestions {
                    let event_type = if created { ReportEventType::Created } else { ReportEventType::Replaced };
                    // No watcher is fine: send fails only when nobody listens.
                    let _ = changes.events.send(ReportEvent { event_type, name });
                }
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot read the latest ingestions; watchers wait for the next try")
            }
            Err(error) => tracing::error!(%error, "the ingestion reader failed"),
        }
    }
}

/// One client following changes: what [`Catalog::watch`] opens.
pub struct Watcher {
    catalog: Catalog,
    events: broadcast::Receiver<ReportEvent>,
    country: Option<Iso3>,
    _slot: OwnedSemaphorePermit,
}

impl Catalog {
    /// Follows created and replaced reports, of `country` or of all. RESOURCE_EXHAUSTED when
    /// [`MAX_WATCHERS`] watch already.
    pub fn watch(&self, country: Option<Iso3>) -> Result<Watcher, ApiError> {
        let slot = self.changes.watchers.clone().try_acquire_owned().map_err(|_| ApiError::TooMany {
            subject: "WatchReports streams".into(),
            description: format!("the server follows at most {MAX_WATCHERS} at once; retry later"),
        })?;
        Ok(Watcher { catalog: self.clone(), events: self.changes.events.subscribe(), country, _slot: slot })
    }
}

impl Watcher {
    /// The next report created or replaced, as now stored (trimmed as [`fit_for_reply`] says when
    /// large), read only once asked for; `None` once
    /// the server stops. A watcher more than [`WATCH_BUFFER`] events behind gets ABORTED: it
    /// lost some, and catches up with ListReports before it watches again.
    pub async fn next(&mut self) -> Option<Result<(ReportEventType, Report), ApiError>> {
        loop {
            let event = tokio::select! {
                () = self.catalog.stopped() => return None,
                event = self.events.recv() => event,
            };
            let event = match event {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(missed)) => return Some(Err(ApiError::FellBehind { missed })),
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            if self.country.is_some_and(|country| country != event.name.country) {
                continue;
            }
            let report = self.catalog.stored_report(event.name).await.map(fit_for_reply);
            return Some(report.map(|report| (event.event_type, report)));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::temporary_store;

    use super::*;

    #[tokio::test]
    async fn a_watcher_too_far_behind_is_told_so_and_watchers_are_capped() {
        let (_folder, store) = temporary_store();
        let (_stop, stopping) = watch::channel(false);
        let catalog = Catalog::new(Arc::new(store), stopping, 0).unwrap();
        let mut behind = catalog.watch(None).unwrap();
        let name = ReportName::parse("countries/MLI/reports/2023").unwrap();
        for _ in 0..=WATCH_BUFFER {
            catalog.changes.events.send(ReportEvent { event_type: ReportEventType::Created, name }).unwrap();
        }
        assert!(matches!(behind.next().await, Some(Err(ApiError::FellBehind { missed: 1 }))));

        let others: Vec<_> = (1..MAX_WATCHERS).map(|_| catalog.watch(None).unwrap()).collect();
        assert!(matches!(catalog.watch(None), Err(ApiError::TooMany { .. })));
        drop(others);
        assert!(catalog.watch(None).is_ok(), "a closed watcher gives its place back");
    }
}
