//! TIP Atlas server: the `tip.v1` gRPC services over the SQLite store, with health, reflection,
//! request logging and graceful shutdown.

mod auth;
pub mod catalog;
pub mod error;
pub mod filter;
mod history;
mod limits;
mod logging;
pub mod page_token;
mod reply_cache;
pub mod seeds;
mod services;
pub mod store;
mod trailers;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::codec::CompressionEncoding;
use tonic::server::NamedService;
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
    /// A TLS file could not be read.
    #[error("cannot read {path}: {source}")]
    TlsFile { path: PathBuf, source: std::io::Error },
}

/// Reflection over the `tip.v1`, health and `google.rpc` error-detail descriptors, the last so
/// that grpcurl prints rich error details (grpcurl 1.8.6 and Postman speak only v1alpha, newer
/// tools v1: both are served).
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tip_model::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
}

/// How a server runs: where its data is, who may write, and its limits.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The SQLite file.
    pub db: PathBuf,
    /// With a token, IngestService requires `authorization: Bearer TOKEN`.
    pub auth_token: Option<String>,
    /// Serve no IngestService at all.
    pub read_only: bool,
    /// The longest a request may run; clients' shorter deadlines are honoured too.
    pub request_timeout: Duration,
    /// Requests in flight across all connections before new ones are shed with UNAVAILABLE.
    pub max_concurrent_requests: usize,
    /// After a stop signal: how long unary calls may finish before the server closes anyway.
    pub shutdown_grace: Duration,
    /// Largest request message for IngestService.
    pub max_ingest_message: usize,
    /// Largest request message for every other service.
    pub max_message: usize,
    /// Serve TLS with this certificate chain and private key (PEM files).
    pub tls: Option<TlsFiles>,
    /// Reports, and search pages, kept for repeated requests while the data is unchanged; 0
    /// keeps none.
    pub cache_entries: usize,
}

/// The PEM files of a TLS identity.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

impl ServeConfig {
    /// The default [`request_timeout`](Self::request_timeout).
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default [`max_concurrent_requests`](Self::max_concurrent_requests).
    pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;
    /// The default [`shutdown_grace`](Self::shutdown_grace).
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
    /// The default [`max_ingest_message`](Self::max_ingest_message): 16 MiB.
    pub const DEFAULT_MAX_INGEST_MESSAGE: usize = 16 << 20;
    /// The default [`max_message`](Self::max_message): 4 MiB.
    pub const DEFAULT_MAX_MESSAGE: usize = 4 << 20;
    /// The default [`cache_entries`](Self::cache_entries).
    pub const DEFAULT_CACHE_ENTRIES: usize = 512;

    /// The defaults, on the database at `db`.
    pub fn new(db: impl Into<PathBuf>) -> Self {
        Self {
            db: db.into(),
            auth_token: None,
            read_only: false,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            max_concurrent_requests: Self::DEFAULT_MAX_CONCURRENT_REQUESTS,
            shutdown_grace: Self::DEFAULT_SHUTDOWN_GRACE,
            max_ingest_message: Self::DEFAULT_MAX_INGEST_MESSAGE,
            max_message: Self::DEFAULT_MAX_MESSAGE,
            tls: None,
            cache_entries: Self::DEFAULT_CACHE_ENTRIES,
        }
    }
}

/// The names the health service reports on: "" (the server as a whole) and each `tip.v1`
/// service actually served.
fn served_services(read_only: bool) -> Vec<&'static str> {
    let mut names = vec![
        "",
        <ReportServiceServer<services::Reports> as NamedService>::NAME,
        <CountryServiceServer<services::Countries> as NamedService>::NAME,
        <InsightServiceServer<services::Insights> as NamedService>::NAME,
    ];
    if !read_only {
        names.push(<IngestServiceServer<services::Ingest> as NamedService>::NAME);
    }
    names
}

/// Opens the store and serves it on `listener` until `shutdown` completes. The health service
/// answers NOT_SERVING until the bundled data is loaded, SERVING after, and NOT_SERVING again
/// once stopping. On stop: no new connections; open streams end with UNAVAILABLE; unary calls
/// get `shutdown_grace` to finish.
pub async fn serve(
    listener: TcpListener,
    config: &ServeConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let store = Arc::new(Store::open(&config.db).map_err(error::ApiError::from)?);
    let (stopping_sender, stopping) = watch::channel(false);
    let catalog = Catalog::new(store.clone(), stopping.clone(), config.cache_entries)?;

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("", ServingStatus::NotServing).await;
    let served = served_services(config.read_only);
    let loader = {
        let health = health.clone();
        let served = served.clone();
        tokio::spawn(async move {
            match tokio::task::spawn_blocking(move || seeds::load_bundled(&store)).await {
                Ok(Ok(summary)) => {
                    tracing::info!(%summary, "data ready");
                    set_health(&health, &served, ServingStatus::Serving).await;
                }
                Ok(Err(error)) => tracing::error!(%error, "loading the bundled data failed; health stays NOT_SERVING"),
                Err(error) => tracing::error!(%error, "the loader task failed; health stays NOT_SERVING"),
            }
        })
    };

    // Every tip.v1 service accepts and sends gzip, and takes messages up to its limit.
    macro_rules! configured {
        ($server:expr, $limit:expr) => {
            $server
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size($limit)
        };
    }
    let reports = configured!(ReportServiceServer::new(services::Reports(catalog.clone())), config.max_message);
    let countries = configured!(CountryServiceServer::new(services::Countries(catalog.clone())), config.max_message);
    let insights = configured!(InsightServiceServer::new(services::Insights(catalog.clone())), config.max_message);
    let ingest = (!config.read_only).then(|| {
        let service = IngestServiceServer::new(services::Ingest(catalog));
        let service = configured!(service, config.max_ingest_message);
        // Without a token, writes are open: `main` allows that on loopback addresses only.
        let auth = auth::WriteAuth::new(config.auth_token.as_deref());
        tonic::service::interceptor::InterceptedService::new(service, auth)
    });

    let signal = {
        let health = health.clone();
        async move {
            shutdown.await;
            set_health(&health, &served, ServingStatus::NotServing).await;
            let _ = stopping_sender.send(true);
        }
    };
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = &config.tls {
        let read =
            |path: &PathBuf| std::fs::read(path).map_err(|source| ServeError::TlsFile { path: path.clone(), source });
        let identity = tonic::transport::Identity::from_pem(read(&tls.cert)?, read(&tls.key)?);
        builder = builder.tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))?;
    }
    let serving = builder
        .timeout(config.request_timeout)
        .layer(logging::RequestLogLayer)
        .layer(limits::ConcurrencyLimitLayer::new(config.max_concurrent_requests))
        .add_service(health_service)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .add_service(reports)
        .add_service(countries)
        .add_service(insights)
        .add_optional_service(ingest)
        // TCP_NODELAY: without it, small replies wait for Nagle's delayed ACK (~40 ms each).
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            signal,
        );
    let grace_over = async {
        let mut stopping = stopping;
        let _ = stopping.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(config.shutdown_grace).await;
    };
    let result = tokio::select! {
        result = serving => result.map_err(ServeError::from),
        () = grace_over => {
            tracing::warn!(grace = ?config.shutdown_grace, "requests still open after the grace period: closing");
            Ok(())
        }
    };
    loader.abort();
    result
}

async fn set_health(health: &tonic_health::server::HealthReporter, services: &[&str], status: ServingStatus) {
    for service in services {
        health.set_service_status(service, status).await;
    }
}
