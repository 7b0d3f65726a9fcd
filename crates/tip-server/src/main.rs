//! `tip-atlas`: serve the TIP Report API, or check documents from the command line.

mod commands;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tip_server::ServeConfig;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// The SQLite database file of every command unless `--db` says otherwise.
const DEFAULT_DB: &str = "data/tip-atlas.sqlite";

/// TIP Atlas: the U.S. State Department's Trafficking in Persons Report as typed data over gRPC.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the tip.v1 API, with health and reflection, loading the bundled data into an empty store.
    Serve {
        /// Address to listen on; port 0 picks a free port (printed as "listening on ADDR").
        #[arg(long, default_value = "127.0.0.1:50051")]
        listen: SocketAddr,
        /// The SQLite database file; its folder is created.
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
        /// Require "authorization: Bearer TOKEN" on IngestService (reads stay open).
        #[arg(long, env = "TIP_ATLAS_TOKEN", hide_env_values = true)]
        auth_token: Option<String>,
        /// Serve no IngestService: the data can only be read.
        #[arg(long)]
        read_only: bool,
        /// The longest a request may run, in seconds.
        #[arg(long, default_value_t = ServeConfig::DEFAULT_REQUEST_TIMEOUT.as_secs())]
        request_timeout_secs: u64,
        /// Requests in flight before new ones are shed with UNAVAILABLE.
        #[arg(long, default_value_t = ServeConfig::DEFAULT_MAX_CONCURRENT_REQUESTS)]
        max_concurrent_requests: usize,
        /// After SIGTERM, seconds for unary calls to finish before the server closes anyway.
        #[arg(long, default_value_t = ServeConfig::DEFAULT_SHUTDOWN_GRACE.as_secs())]
        shutdown_grace_secs: u64,
        /// Largest IngestService message, in MiB.
        #[arg(long, default_value_t = ServeConfig::DEFAULT_MAX_INGEST_MESSAGE >> 20)]
        max_ingest_message_mib: usize,
        /// Largest message of the other services, in MiB.
        #[arg(long, default_value_t = ServeConfig::DEFAULT_MAX_MESSAGE >> 20)]
        max_message_mib: usize,
        /// Serve TLS with this PEM certificate chain (with --tls-key).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Reports, and search pages, kept in memory for repeated requests while the data is
        /// unchanged (0: none).
        #[arg(long, default_value_t = ServeConfig::DEFAULT_CACHE_ENTRIES)]
        cache_entries: usize,
    },
    /// Parse documents without writing and print their diagnostics; exit 1 if any has errors.
    Check {
        /// One JSON object per document per line.
        #[arg(long)]
        json: bool,
        /// Files or folders (read recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Write the store's reports or tier placements as NDJSON or CSV on standard output.
    Export {
        /// The SQLite database file.
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "ndjson")]
        format: commands::export::Format,
        /// What to export.
        #[arg(long, value_enum, default_value = "reports")]
        what: commands::export::What,
    },
    /// Per report year: countries with a known placement, by source, and those missing (ranked
    /// before and after that year but not in it). Loads the bundled data into a new store first.
    Coverage {
        /// The SQLite file.
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
        /// One JSON object per year instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Load documents and CSV tier tables into the store (idempotent by content hash).
    Ingest {
        /// The SQLite database file; its folder is created.
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
        /// Files or folders (read recursively); `.csv` files are tier tables.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Re-derive every stored report from its raw document with this release's parser (`serve`
    /// does it on start when the reports come from an older parser).
    Reindex {
        /// The SQLite database file.
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Check { json, paths } => commands::check::run(&paths, json),
        Command::Ingest { db, paths } => commands::ingest::run(&db, &paths),
        Command::Export { db, format, what } => commands::export::run(&db, format, what),
        Command::Coverage { db, json } => commands::coverage::run(&db, json),
        Command::Reindex { db } => commands::reindex::run(&db),
        Command::Serve {
            listen,
            db,
            auth_token,
            read_only,
            request_timeout_secs,
            max_concurrent_requests,
            shutdown_grace_secs,
            max_ingest_message_mib,
            max_message_mib,
            tls_cert,
            tls_key,
            cache_entries,
        } => {
            let config = ServeConfig {
                auth_token: auth_token.filter(|t| !t.is_empty()),
                read_only,
                request_timeout: Duration::from_secs(request_timeout_secs),
                max_concurrent_requests,
                shutdown_grace: Duration::from_secs(shutdown_grace_secs),
                max_ingest_message: max_ingest_message_mib << 20,
                max_message: max_message_mib << 20,
                tls: tls_cert.zip(tls_key).map(|(cert, key)| tip_server::TlsFiles { cert, key }),
                cache_entries,
                ..ServeConfig::new(db)
            };
            match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime.block_on(serve(listen, config)),
                Err(error) => {
                    eprintln!("tip-atlas: cannot start the async runtime: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(listen: SocketAddr, config: ServeConfig) -> ExitCode {
    if !listen.ip().is_loopback() && !config.read_only && config.auth_token.is_none() {
        eprintln!(
            "tip-atlas: refusing to serve writes on {listen} without a token: anyone who reaches this \
             address could change the data. Pass --auth-token TOKEN (or set TIP_ATLAS_TOKEN), or --read-only, \
             or listen on a loopback address such as 127.0.0.1."
        );
        return ExitCode::from(2);
    }
    let listener = match TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("tip-atlas: cannot listen on {listen}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(address) => println!("listening on {address}"),
        Err(error) => {
            eprintln!("tip-atlas: cannot read the bound address: {error}");
            return ExitCode::FAILURE;
        }
    }
    tracing::info!(db = %config.db.display(), writes = !config.read_only, token = config.auth_token.is_some(), "serving");
    match tip_server::serve(listener, &config, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("tip-atlas: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => tracing::info!("SIGINT: shutting down"),
        _ = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
