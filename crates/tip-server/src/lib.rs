//! TIP Atlas server: the `tip.v1` gRPC services over the SQLite store, with health, reflection,
//! request logging and graceful shutdown.

mod auth;
pub mod catalog;
mod connections;
pub mod error;
mod http_endpoint;
mod limits;
mod logging;
mod metrics;
pub mod page_token;
pub mod query_fields;
pub mod reindex;
mod reply_cache;
mod reply_writing;
pub mod seeds;
mod services;
pub mod store;
mod trailers;
pub mod web;

use std::collections::HashSet;
use std::future::Future;
use std::path::{Path, PathBuf};
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

/// Reflection over the `tip.v1` descriptors as served (`tip`), health and `google.rpc`
/// error-detail descriptors, the last so that grpcurl prints rich error details (grpcurl 1.8.6 and
/// Postman speak only v1alpha, newer tools v1: both are served).
fn reflection(tip: &prost_types::FileDescriptorSet) -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_file_descriptor_set(tip.clone())
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
}

/// The `tip.v1` descriptors of the services served: without IngestService under `--read-only`,
/// so that reflection neither lists nor describes it.
fn served_descriptors(read_only: bool) -> prost_types::FileDescriptorSet {
    use prost::Message;
    let mut set = prost_types::FileDescriptorSet::decode(tip_model::FILE_DESCRIPTOR_SET)
        .expect("the build embeds a valid descriptor set");
    if read_only {
        let ingest = <IngestServiceServer<services::Ingest> as NamedService>::NAME;
        for file in &mut set.file {
            let package = file.package().to_owned();
            file.service.retain(|service| format!("{package}.{}", service.name()) != ingest);
        }
    }
    set
}

/// The paths of every served method that `keep` keeps.
fn method_paths(
    tip: &prost_types::FileDescriptorSet,
    keep: impl Fn(&prost_types::MethodDescriptorProto) -> bool + Copy,
) -> HashSet<String> {
    use prost::Message;
    let decode = |encoded: &[u8]| {
        prost_types::FileDescriptorSet::decode(encoded).expect("the crates embed valid descriptor sets")
    };
    let others = [
        decode(tonic_health::pb::FILE_DESCRIPTOR_SET),
        decode(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET),
        decode(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET),
    ];
    std::iter::once(tip)
        .chain(&others)
        .flat_map(|set| &set.file)
        .flat_map(|file| {
            file.service.iter().flat_map(move |service| {
                service
                    .method
                    .iter()
                    .filter(move |method| keep(method))
                    .map(move |method| format!("/{}.{}/{}", file.package(), service.name(), method.name()))
            })
        })
        .collect()
}

/// How a server runs: where its data is, who may write, and its limits.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The SQLite file.
    pub db: PathBuf,
    /// With a token, IngestService requires `authorization: Bearer TOKEN`.
    pub auth_token: Option<String>,
    /// Serve no IngestService at all, and open the database read-only: never migrated or
    /// written (a missing one is first created with the bundled data).
    pub read_only: bool,
    /// The longest from a request's headers to its response head (for a stream: its first
    /// reply); clients' shorter deadlines are honoured too.
    pub request_timeout: Duration,
    /// For a method that takes one request message: the longest from the request's headers to
    /// the end of its message. The request holds no share of `max_concurrent_requests` before.
    pub body_read_timeout: Duration,
    /// Connections open at once; one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Requests (HTTP/2 streams) open at once on one connection; the client waits for a free one.
    pub max_streams_per_connection: u32,
    /// A connection whose client has sent nothing for this long is closed; the server pings
    /// every connection at half of it, which live clients answer.
    pub idle_timeout: Duration,
    /// Requests in flight across all connections before new ones are shed with UNAVAILABLE.
    pub max_concurrent_requests: usize,
    /// Bytes of replies kept for clients that have not read them yet, across all replies: a
    /// large reply past it is refused with RESOURCE_EXHAUSTED.
    pub max_unsent_reply_bytes: usize,
    /// A reply whose client takes nothing of it for this long is abandoned: its memory freed,
    /// its client's connection closed.
    pub write_timeout: Duration,
    /// After a stop signal: how long unary calls may finish before the server closes anyway.
    pub shutdown_grace: Duration,
    /// Largest request message for IngestService.
    pub max_ingest_message: usize,
    /// Largest file IngestFile reads from its stream of chunks.
    pub max_ingest_file: usize,
    /// Largest request message for every other service.
    pub max_message: usize,
    /// Serve TLS with this certificate chain and private key (PEM files).
    pub tls: Option<TlsFiles>,
    /// Reports, and search pages, kept for repeated requests while the data is unchanged; 0
    /// keeps none.
    pub cache_entries: usize,
    /// Cap the database file at about this many bytes: writes past it are refused with
    /// RESOURCE_EXHAUSTED, as on a full disk.
    pub max_db_bytes: Option<u64>,
    /// The atlas page at `/`, and where its files come from; `None` serves no page.
    pub page: Option<web::PageSource>,
    /// Origins of other sites whose pages may call the API from a browser (CORS); none by
    /// default, so only the served page can.
    pub cors_origins: Vec<http::HeaderValue>,
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
    /// The default [`body_read_timeout`](Self::body_read_timeout).
    pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default [`max_connections`](Self::max_connections): below the usual 1,024 open files,
    /// with room for the database and logs.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
    /// The default [`max_streams_per_connection`](Self::max_streams_per_connection).
    pub const DEFAULT_MAX_STREAMS_PER_CONNECTION: u32 = 100;
    /// The default [`idle_timeout`](Self::idle_timeout).
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
    /// The default [`max_concurrent_requests`](Self::max_concurrent_requests).
    pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;
    /// The default [`max_unsent_reply_bytes`](Self::max_unsent_reply_bytes): 128 MiB, 32 replies
    /// of the largest size.
    pub const DEFAULT_MAX_UNSENT_REPLY_BYTES: usize = 128 << 20;
    /// The default [`write_timeout`](Self::write_timeout).
    pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default [`shutdown_grace`](Self::shutdown_grace).
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
    /// The default [`max_ingest_message`](Self::max_ingest_message): 16 MiB.
    pub const DEFAULT_MAX_INGEST_MESSAGE: usize = 16 << 20;
    /// The default [`max_ingest_file`](Self::max_ingest_file): 256 MiB, ten times the largest
    /// annual report.
    pub const DEFAULT_MAX_INGEST_FILE: usize = 256 << 20;
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
            body_read_timeout: Self::DEFAULT_BODY_READ_TIMEOUT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            max_streams_per_connection: Self::DEFAULT_MAX_STREAMS_PER_CONNECTION,
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            max_concurrent_requests: Self::DEFAULT_MAX_CONCURRENT_REQUESTS,
            max_unsent_reply_bytes: Self::DEFAULT_MAX_UNSENT_REPLY_BYTES,
            write_timeout: Self::DEFAULT_WRITE_TIMEOUT,
            shutdown_grace: Self::DEFAULT_SHUTDOWN_GRACE,
            max_ingest_message: Self::DEFAULT_MAX_INGEST_MESSAGE,
            max_ingest_file: Self::DEFAULT_MAX_INGEST_FILE,
            max_message: Self::DEFAULT_MAX_MESSAGE,
            tls: None,
            cache_entries: Self::DEFAULT_CACHE_ENTRIES,
            max_db_bytes: None,
            page: Some(web::PageSource::Embedded),
            cors_origins: Vec::new(),
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
/// once stopping; IngestService also NOT_SERVING while the store cannot take writes (a full disk,
/// a database file deleted under the server). On stop: no new connections; open streams end
/// with UNAVAILABLE; unary calls get `shutdown_grace` to finish, then their queries are stopped.
/// Under `read_only` the database is opened read-only: nothing is migrated, loaded or written.
pub async fn serve(
    listener: TcpListener,
    config: &ServeConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let store = if config.read_only {
        open_read_only(&config.db).await?
    } else {
        Store::open(&config.db).map_err(error::ApiError::from)?
    };
    let store = Arc::new(store);
    if let Some(max_bytes) = config.max_db_bytes {
        store.limit_size(max_bytes).map_err(error::ApiError::from)?;
    }
    let interrupt_store = store.clone();
    let metrics_endpoint =
        http_endpoint::EndpointLayer::new(metrics::MetricsEndpoint::new(store.clone(), config.db.clone()));
    let (stopping_sender, stopping) = watch::channel(false);
    let catalog = Catalog::new(store.clone(), stopping.clone(), config.cache_entries)?;
    if config.read_only {
        tokio::spawn(store::follow_replacements(store.clone(), stopping.clone()));
    }

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("", ServingStatus::NotServing).await;
    let served = served_services(config.read_only);
    let writable = store.writable();
    let loader = {
        let health = health.clone();
        let served = served.clone();
        let read_only = config.read_only;
        tokio::spawn(async move {
            // Reports an older parser derived are derived again before the bundled data loads;
            // a read-only server serves what the file holds.
            let start = move || {
                if read_only {
                    return Ok("read-only: the stored data as it is".to_owned());
                }
                reindex::reindex_if_outdated(&store)?;
                seeds::load_bundled(&store).map(|summary| summary.to_string())
            };
            match tokio::task::spawn_blocking(start).await {
                Ok(Ok(summary)) => {
                    tracing::info!(%summary, "data ready");
                    set_health(&health, &served, ServingStatus::Serving).await;
                    if !read_only {
                        follow_writability(&health, writable).await;
                    }
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
        let service = IngestServiceServer::new(services::Ingest { catalog, max_file_bytes: config.max_ingest_file });
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
    let tip_descriptors = served_descriptors(config.read_only);
    let open_connections = connections::OpenConnections::default();
    let limits = limits::RequestLimits {
        max_in_flight: config.max_concurrent_requests,
        request_timeout: config.request_timeout,
        body_read_timeout: config.body_read_timeout,
        max_message: config.max_message.max(config.max_ingest_message),
        client_streaming: method_paths(&tip_descriptors, |method| method.client_streaming()),
        max_unsent_reply_bytes: config.max_unsent_reply_bytes,
        write_timeout: config.write_timeout,
        connections: open_connections.clone(),
    };
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = &config.tls {
        let read =
            |path: &PathBuf| std::fs::read(path).map_err(|source| ServeError::TlsFile { path: path.clone(), source });
        let identity = tonic::transport::Identity::from_pem(read(&tls.cert)?, read(&tls.key)?);
        builder = builder.tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))?;
    }
    // Half the idle timeout between pings, and as long for the answer: a live client is never
    // idle that long, and a dead one is found within the idle timeout.
    let ping_interval = config.idle_timeout / 2;
    let serving = builder
        .max_concurrent_streams(config.max_streams_per_connection)
        .http2_keepalive_interval(Some(ping_interval))
        .http2_keepalive_timeout(Some(ping_interval))
        // Prometheus scrapes `/metrics` and browsers load the page and call gRPC-Web over
        // HTTP/1.1 as well as HTTP/2; gRPC itself stays on HTTP/2.
        .accept_http1(true)
        .layer(metrics_endpoint)
        .layer(tower::util::option_layer(
            config.page.clone().map(|page| http_endpoint::EndpointLayer::new(web::WebPage::new(page))),
        ))
        .layer(tower::util::option_layer(cors(&config.cors_origins)))
        // Outside the log and the limits, so that both see a gRPC-Web call as the gRPC call it is.
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(logging::RequestLogLayer::new(method_paths(&tip_descriptors, |_| true)))
        .layer(limits::RequestLimitsLayer::new(limits))
        .add_service(health_service)
        .add_service(reflection(&tip_descriptors).build_v1()?)
        .add_service(reflection(&tip_descriptors).build_v1alpha()?)
        .add_service(reports)
        .add_service(countries)
        .add_service(insights)
        .add_optional_service(ingest)
        .serve_with_incoming_shutdown(
            connections::Incoming::new(listener, config.max_connections, config.idle_timeout, open_connections),
            signal,
        );
    let grace_over = async {
        let mut stopping = stopping;
        let _ = stopping.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(config.shutdown_grace).await;
        // Queries still running would hold the process open after the reply is gone.
        interrupt_store.interrupt_all();
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

/// Cross-origin calls from the pages of `origins` (none: no CORS headers, so browsers keep
/// other sites' pages from calling the API).
fn cors(origins: &[http::HeaderValue]) -> Option<tower_http::cors::CorsLayer> {
    use http::header::{AUTHORIZATION, CONTENT_TYPE};
    use http::{HeaderName, Method};
    if origins.is_empty() {
        return None;
    }
    let name = HeaderName::from_static;
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(origins.to_vec())
            .allow_methods([Method::POST])
            .allow_headers([
                CONTENT_TYPE,
                AUTHORIZATION,
                name("x-grpc-web"),
                name("x-user-agent"),
                name("grpc-timeout"),
                name("x-request-id"),
            ])
            .expose_headers([
                name("grpc-status"),
                name("grpc-message"),
                name("grpc-status-details-bin"),
                name("x-request-id"),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// The store of a read-only server: an existing database opened read-only, never written; a
/// missing one is first created with the bundled data, as a writable server would load it.
async fn open_read_only(db: &Path) -> Result<Store, error::ApiError> {
    if !db.exists() {
        let path = db.to_owned();
        let create = move || seeds::load_bundled(&Store::open(&path)?);
        tokio::task::spawn_blocking(create)
            .await
            .map_err(|join| error::ApiError::Internal(format!("creating the database failed: {join}")))??;
    }
    Ok(Store::open_read_only(db)?)
}

/// Reports IngestService NOT_SERVING while the store cannot take writes, SERVING again once a
/// write succeeds; reads go on being served.
async fn follow_writability(health: &tonic_health::server::HealthReporter, mut writable: watch::Receiver<bool>) {
    let ingest = <IngestServiceServer<services::Ingest> as NamedService>::NAME;
    while writable.changed().await.is_ok() {
        let status = if *writable.borrow_and_update() { ServingStatus::Serving } else { ServingStatus::NotServing };
        health.set_service_status(ingest, status).await;
    }
}

async fn set_health(health: &tonic_health::server::HealthReporter, services: &[&str], status: ServingStatus) {
    for service in services {
        health.set_service_status(service, status).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_layer_knows_every_method_that_takes_a_stream() {
        let paths = method_paths(&served_descriptors(false), |method| method.client_streaming());
        for method in ["IngestDocuments", "IngestFile"] {
            assert!(paths.contains(&format!("/tip.v1.IngestService/{method}")), "{method}: {paths:?}");
        }
        assert!(!paths.contains("/tip.v1.IngestService/IngestDocument"));
    }
}
