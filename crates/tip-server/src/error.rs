//! The domain error of the service, and its one mapping to a gRPC `Status` with rich details.

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
    /// The store failed: INTERNAL, with the cause logged and not sent.
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
            ApiError::Storage(_) | ApiError::Internal(_) => {
                tracing::error!(error = %message, "request failed inside the server");
                Status::internal("the server failed; its log has the cause")
            }
        }
    }
}
