//! Stops SQLite work nobody waits for: a request's query when the request ends (its deadline,
//! the client's cancellation, a dropped future), and every query when the server's shutdown grace
//! is over. SQLite's progress handler asks every [`PROGRESS_STEPS`] virtual-machine steps
//! whether to go on; a query told to stop fails with SQLITE_INTERRUPT within microseconds.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;

/// Virtual-machine steps between two checks: a few microseconds of work.
const PROGRESS_STEPS: std::os::raw::c_int = 1000;

/// A flag that stops the SQLite work of whoever holds a clone of it.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Stops the work at its next check.
    pub fn interrupt(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether the work was told to stop.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Runs `work` on this thread with this flag as its request's: the store's queries inside it
    /// stop when the flag is set.
    pub fn run<T>(self, work: impl FnOnce() -> T) -> T {
        let _restore = Restore(REQUEST.with(|current| current.replace(Some(self))));
        work()
    }

    /// A guard that sets the flag when dropped: held by the request's future, it stops the
    /// request's queries when the future ends or is dropped.
    pub fn on_drop(&self) -> InterruptOnDrop {
        InterruptOnDrop(self.clone())
    }
}

/// Whether the request this thread works for (see [`Interrupt::run`]) has ended: for work that
/// is not an SQLite query, which must ask by itself. False outside a request's work.
pub fn request_ended() -> bool {
    REQUEST.with(|current| current.borrow().as_ref().is_some_and(Interrupt::is_set))
}

/// See [`Interrupt::on_drop`].
pub struct InterruptOnDrop(Interrupt);

impl Drop for InterruptOnDrop {
    fn drop(&mut self) {
        self.0.interrupt();
    }
}

/// Puts back the thread's previous request interrupt, even if the work panicked: the pool's
/// threads run other work next.
struct Restore(Option<Interrupt>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        REQUEST.with(|current| current.replace(previous));
    }
}

thread_local! {
    /// The interrupt of the request this thread works for, set by [`Interrupt::run`].
    static REQUEST: RefCell<Option<Interrupt>> = const { RefCell::new(None) };
}

/// Makes `connection`'s work stop when `store_wide` or the current request's interrupt is set,
/// for the duration of `work`.
pub(super) fn interruptible<T>(
    connection: &mut Connection,
    store_wide: &Interrupt,
    work: impl FnOnce(&mut Connection) -> T,
) -> T {
    let request = REQUEST.with(|current| current.borrow().clone());
    let store_wide = store_wide.clone();
    connection.progress_handler(
        PROGRESS_STEPS,
        Some(move || store_wide.is_set() || request.as_ref().is_some_and(Interrupt::is_set)),
    );
    let result = work(connection);
    connection.progress_handler(0, None::<fn() -> bool>);
    result
}

/// Whether SQLite stopped because it was interrupted.
pub fn is_interrupted(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted)
}
