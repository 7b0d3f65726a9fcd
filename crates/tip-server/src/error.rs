//! The domain error of the service, and its one mapping to a gRPC `Status` with rich details.

use std::time::Duration;

use rusqlite::ErrorCode;
use tip_model::pb::Diagnostic;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::store::StoreError;

/// Everything a request can fail with. Each variant maps to one gRPC code, on purpose.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request field is malformed: INVALID_ARGUMENT with a BadRequest field violation.
    #[error("invalid {field}: {description}")]
    InvalidArgument { field: String, description: String },
    /// A document could not be read: INVALID_ARGUMENT with one field violation per problem,
    /// each giving line and column.
    #[error("the document has {} error(s)", .errors.len())]
    InvalidDocument { errors: Vec<Diagnostic> },
    /// The named resource does not exist: NOT_FOUND with ResourceInfo.
    #[error("{resource_type} {name:?} not found")]
    NotFound { resource_type: &'static str, name: String },
    /// What was asked for is too large to weigh or to send, however often it is asked:
    /// FAILED_PRECONDITION with a PreconditionFailure naming it and saying what to do instead.
    #[error("{subject}: {description}")]
    TooLarge { subject: String, description: String },
    /// A server-wide cap is reached: RESOURCE_EXHAUSTED with a QuotaFailure naming it.
    #[error("too many {subject}: {description}")]
    TooMany { subject: String, description: String },
    /// A watcher fell so far behind that events were dropped for it: ABORTED, to catch up and
    /// watch again.
    #[error("the watcher fell {missed} event(s) behind and missed them; list reports to catch up, then watch again")]
    FellBehind { missed: u64 },
    /// The store failed: RESOURCE_EXHAUSTED when it is full, UNAVAILABLE (with RetryInfo) when
    /// it is locked, replaced or the query was stopped, else INTERNAL with the cause logged and
    /// not sent.
    #[error("storage failure: {0}")]
    Storage(#[from] StoreError),
    /// A bug of the server: INTERNAL, with the cause logged and not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A malformed request field.
    pub fn invalid(field: impl Into<String>, description: impl ToString) -> Self {
        Self::InvalidArgument { field: field.into(), description: description.to_string() }
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        let message = error.to_string();
        match error {
            ApiError::InvalidArgument { field, description } => Status::with_error_details(
                Code::InvalidArgument,
                message,
                ErrorDetails::with_bad_request_violation(field, description),
            ),
            ApiError::InvalidDocument { errors } => {
                // Hint problems name their request field; everything else is in the content.
                let violations = errors
                    .iter()
                    .map(|d| {
                        let field = d.code.strip_prefix("hint-").unwrap_or("content");
                        FieldViolation::new(field, format!("line {}, column {}: {}", d.line, d.column, d.message))
                    })
                    .collect::<Vec<_>>();
                let summary = errors
                    .iter()
                    .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                Status::with_error_details(
                    Code::InvalidArgument,
                    format!("{message}: {summary}"),
                    ErrorDetails::with_bad_request(violations),
                )
            }
            ApiError::NotFound { resource_type, name } => Status::with_error_details(
                Code::NotFound,
                message,
                ErrorDetails::with_resource_info(resource_type, name, "", "no such resource"),
            ),
            ApiError::TooLarge { subject, description } => Status::with_error_details(
                Code::FailedPrecondition,
                message,
                ErrorDetails::with_precondition_failure_violation("TOO_LARGE", subject, description),
            ),
            ApiError::TooMany { subject, description } => Status::with_error_details(
                Code::ResourceExhausted,
                message,
                ErrorDetails::with_quota_failure_violation(subject, description),
            ),
            ApiError::FellBehind { .. } => Status::aborted(message),
            ApiError::Storage(store) => storage_status(&store),
            ApiError::Internal(_) => {
                tracing::error!(error = %message, "request failed inside the server");
                Status::internal("the server failed; its log has the cause")
            }
        }
    }
}

/// How long a client is asked to wait before it retries a write the store could not take now.
const STORE_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The status of a store failure: what the client can do about it decides the code.
fn storage_status(error: &StoreError) -> Status {
    let retry = |message: &str| {
        Status::with_error_details(Code::Unavailable, message, ErrorDetails::with_retry_info(Some(STORE_RETRY_AFTER)))
    };
    let code = match error {
        StoreError::Sqlite(cause) => cause.sqlite_error_code(),
        StoreError::FileReplaced { .. } => {
            tracing::error!(%error, "write refused");
            return retry(
                "the database file was deleted or replaced under the server: writes are refused until it restarts",
            );
        }
        _ => None,
    };
    match code {
        Some(ErrorCode::DiskFull) => {
            tracing::error!(%error, "write refused");
            Status::resource_exhausted("the database is full: nothing was stored")
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            tracing::warn!(%error, "the database stayed locked past the busy timeout");
            retry("the database is locked by another writer; retry shortly")
        }
        Some(ErrorCode::OperationInterrupted) => {
            retry("the query was stopped: the request ended or the server is stopping")
        }
        _ => {
            tracing::error!(%error, "request failed inside the server");
            Status::internal("the server failed; its log has the cause")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: std::os::raw::c_int) -> ApiError {
        ApiError::Storage(StoreError::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)))
    }

    #[test]
    fn store_failures_map_to_what_the_client_can_do() {
        use rusqlite::ffi;
        assert_eq!(Status::from(sqlite(ffi::SQLITE_FULL)).code(), Code::ResourceExhausted);
        for retryable in [ffi::SQLITE_BUSY, ffi::SQLITE_LOCKED, ffi::SQLITE_INTERRUPT] {
            let status = Status::from(sqlite(retryable));
            assert_eq!(status.code(), Code::Unavailable);
            assert!(status.get_error_details().retry_info().is_some());
        }
        let replaced = ApiError::Storage(StoreError::FileReplaced { path: "tip.sqlite".into() });
        assert_eq!(Status::from(replaced).code(), Code::Unavailable);
        assert_eq!(Status::from(sqlite(ffi::SQLITE_CORRUPT)).code(), Code::Internal);
    }
}
