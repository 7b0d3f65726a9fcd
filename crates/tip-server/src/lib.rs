//! TIP Atlas server: the `tip.v1` gRPC services over the SQLite store, with health, reflection,
//! request logging and graceful shutdown.

pub mod catalog;
pub mod error;
pub mod filter;
mod history;
mod insights;
mod logging;
pub mod page_token;
pub mod seeds;
mod services;
mod similarity;
pub mod store;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codec::CompressionEncoding;
use tonic_health::ServingStatus;

pub use catalog::Catalog;
pub use store::Store;

/// The generated `tip.v1` service stubs (server and client), over the model's message types.
pub mod api {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/tip.v1.rs"));
}

use api::country_service_server::CountryServiceServer;
use api::ingest_service_server::IngestServiceServer;
use api::insight_service_server::InsightServiceServer;
use api::report_service_server::ReportServiceServer;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened or loaded.
    #[error(transparent)]
    Api(#[from] error::ApiError),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Reflection could not be built.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Largest IngestService request: documents are rarely above 100 KB, 16 MiB leaves room.
const MAX_DOCUMENT_MESSAGE: usize = 16 * 1024 * 1024;

/// Reflection over the `tip.v1`, health and `google.rpc` error-detail descriptors, the last so
/// that grpcurl prints rich error details (grpcurl 1.8.6 and Postman speak only v1alpha, newer
/// tools v1: both are served).
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tip_model::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
}

/// Opens the store at `db` and serves it on `listener` until `shutdown` completes. The health
/// service answers NOT_SERVING until the bundled data is loaded into an empty store, SERVING
/// after.
pub async fn serve(
    listener: TcpListener,
    db: &Path,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let store = Arc::new(Store::open(db).map_err(error::ApiError::from)?);
    let catalog = Catalog::new(store.clone())?;

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("", ServingStatus::NotServing).await;
    let loader = tokio::spawn(async move {
        let loaded = tokio::task::spawn_blocking(move || seeds::load_bundled(&store)).await;
        match loaded {
            Ok(Ok(summary)) => {
                tracing::info!(%summary, "data ready");
                for service in [
                    "",
                    "tip.v1.ReportService",
                    "tip.v1.CountryService",
                    "tip.v1.InsightService",
                    "tip.v1.IngestService",
                ] {
                    health.set_service_status(service, ServingStatus::Serving).await;
                }
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "loading the bundled data failed; health stays NOT_SERVING")
            }
            Err(error) => {
                tracing::error!(%error, "the loader task failed; health stays NOT_SERVING")
            }
        }
    });

    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    // Every tip.v1 service accepts and sends gzip.
    macro_rules! gzip {
        ($server:expr) => {
            $server.accept_compressed(CompressionEncoding::Gzip).send_compressed(CompressionEncoding::Gzip)
        };
    }
    let reports = gzip!(ReportServiceServer::new(services::Reports(catalog.clone())));
    let countries = gzip!(CountryServiceServer::new(services::Countries(catalog.clone())));
    let insights = gzip!(InsightServiceServer::new(services::Insights(catalog.clone())));
    let ingest =
        gzip!(IngestServiceServer::new(services::Ingest(catalog))).max_decoding_message_size(MAX_DOCUMENT_MESSAGE);

    let result = tonic::transport::Server::builder()
        .layer(logging::RequestLogLayer)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(reports)
        .add_service(countries)
        .add_service(insights)
        .add_service(ingest)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await;
    loader.abort();
    Ok(result?)
}
