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
    /// How log lines are written to stderr: text for people, json (one object per line) for log
    /// shippers.
    #[arg(long, global = true, env = "TIP_ATLAS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

// Parsed once at start-up: the size of its largest variant (Serve's many limits) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the tip.v1 API, with health and reflection, loading the bundled data into an empty store.
    Serve {
        /// Address to listen on; port 0 picks a free port (printed as "listening on ADDR").
        #[arg(long, env = "TIP_ATLAS_LISTEN", default_value = "127.0.0.1:50051")]
        listen: SocketAddr,
        /// The SQLite database file; its folder is created.
        #[arg(long, env = "TIP_ATLAS_DB", default_value = DEFAULT_DB)]
        db: PathBuf,
        /// Require "authorization: Bearer TOKEN" on IngestService (reads stay open). Prefer the
        /// TIP_ATLAS_TOKEN variable or --auth-token-file: other users see a token given here in `ps`.
        #[arg(long, env = "TIP_ATLAS_TOKEN", hide_env_values = true)]
        auth_token: Option<String>,
        /// Read the token of --auth-token from this file (its first line).
        #[arg(long, env = "TIP_ATLAS_AUTH_TOKEN_FILE", conflicts_with = "auth_token")]
        auth_token_file: Option<PathBuf>,
        /// Serve no IngestService, and open the database file read-only: it is never migrated or
        /// written, so a file the server may not write serves as well. A file renamed onto the path
        /// (`tip-atlas snapshot`) is served within a second, without a restart.
        #[arg(long, env = "TIP_ATLAS_READ_ONLY")]
        read_only: bool,
        /// The longest a request may run before its reply starts, in seconds.
        #[arg(long, env = "TIP_ATLAS_REQUEST_TIMEOUT_SECS", default_value_t = ServeConfig::DEFAULT_REQUEST_TIMEOUT.as_secs())]
        request_timeout_secs: u64,
        /// The longest a client may take to send its request message, in seconds.
        #[arg(long, env = "TIP_ATLAS_BODY_READ_TIMEOUT_SECS", default_value_t = ServeConfig::DEFAULT_BODY_READ_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
        body_read_timeout_secs: u64,
        /// Connections open at once; one more is closed as soon as it is accepted.
        #[arg(long, env = "TIP_ATLAS_MAX_CONNECTIONS", default_value_t = ServeConfig::DEFAULT_MAX_CONNECTIONS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        max_connections: usize,
        /// Requests open at once on one connection (HTTP/2 streams); the client waits for a free one.
        #[arg(long, env = "TIP_ATLAS_MAX_STREAMS_PER_CONNECTION", default_value_t = ServeConfig::DEFAULT_MAX_STREAMS_PER_CONNECTION, value_parser = clap::value_parser!(u32).range(1..))]
        max_streams_per_connection: u32,
        /// Close a connection whose client has sent nothing for this many seconds.
        #[arg(long, env = "TIP_ATLAS_IDLE_TIMEOUT_SECS", default_value_t = ServeConfig::DEFAULT_IDLE_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
        idle_timeout_secs: u64,
        /// Requests in flight before new ones are shed with UNAVAILABLE.
        #[arg(long, env = "TIP_ATLAS_MAX_CONCURRENT_REQUESTS", default_value_t = ServeConfig::DEFAULT_MAX_CONCURRENT_REQUESTS)]
        max_concurrent_requests: usize,
        /// MiB of replies kept for clients that have not read them yet: a large reply past it is
        /// refused with RESOURCE_EXHAUSTED.
        #[arg(long, env = "TIP_ATLAS_MAX_UNSENT_REPLIES_MIB", default_value_t = ServeConfig::DEFAULT_MAX_UNSENT_REPLY_BYTES >> 20, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(4..))]
        max_unsent_replies_mib: usize,
        /// Abandon a reply whose client has read none of it for this many seconds, and close that
        /// client's connection.
        #[arg(long, env = "TIP_ATLAS_WRITE_TIMEOUT_SECS", default_value_t = ServeConfig::DEFAULT_WRITE_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
        write_timeout_secs: u64,
        /// After SIGTERM, seconds for unary calls to finish before the server closes anyway.
        #[arg(long, env = "TIP_ATLAS_SHUTDOWN_GRACE_SECS", default_value_t = ServeConfig::DEFAULT_SHUTDOWN_GRACE.as_secs())]
        shutdown_grace_secs: u64,
        /// Largest IngestService message, in MiB.
        #[arg(long, env = "TIP_ATLAS_MAX_INGEST_MESSAGE_MIB", default_value_t = ServeConfig::DEFAULT_MAX_INGEST_MESSAGE >> 20)]
        max_ingest_message_mib: usize,
        /// Largest file IngestFile reads from its stream of chunks, in MiB.
        #[arg(long, env = "TIP_ATLAS_MAX_INGEST_FILE_MIB", default_value_t = ServeConfig::DEFAULT_MAX_INGEST_FILE >> 20)]
        max_ingest_file_mib: usize,
        /// Largest message of the other services, in MiB.
        #[arg(long, env = "TIP_ATLAS_MAX_MESSAGE_MIB", default_value_t = ServeConfig::DEFAULT_MAX_MESSAGE >> 20)]
        max_message_mib: usize,
        /// Serve TLS with this PEM certificate chain (with --tls-key).
        #[arg(long, env = "TIP_ATLAS_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, env = "TIP_ATLAS_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Reports, and search pages, kept in memory for repeated requests while the data is
        /// unchanged (0: none).
        #[arg(long, env = "TIP_ATLAS_CACHE_ENTRIES", default_value_t = ServeConfig::DEFAULT_CACHE_ENTRIES)]
        cache_entries: usize,
        /// Cap the database file at this many MiB: writes past it are refused with
        /// RESOURCE_EXHAUSTED, as on a full disk (reads go on).
        #[arg(long, env = "TIP_ATLAS_MAX_DB_MIB", value_parser = clap::value_parser!(u64).range(1..))]
        max_db_mib: Option<u64>,
        /// Serve no page at `/`: gRPC and gRPC-Web only.
        #[arg(long, conflicts_with = "web_dir")]
        no_web: bool,
        /// Serve the page from this folder (a build of `web/`) instead of the copy built into
        /// the binary: for working on the page.
        #[arg(long, value_name = "DIR")]
        web_dir: Option<PathBuf>,
        /// Let pages of this origin (such as https://example.org) call the API from a browser;
        /// repeat or separate with commas for several. None by default: only the served page can.
        #[arg(long = "cors-origin", env = "TIP_ATLAS_CORS_ORIGINS", value_name = "ORIGIN", value_delimiter = ',',
              value_parser = parse_origin)]
        cors_origins: Vec<http::HeaderValue>,
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
    /// Load narratives (plain text, saved web pages, PDFs of one narrative or the whole report,
    /// one report per country narrative) and CSV tier tables into the store (idempotent by
    /// content hash).
    Ingest {
        /// The SQLite database file; its folder is created.
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
        /// Files or folders (read recursively); `.csv` files are tier tables, any other file is
        /// read as its bytes say (text, HTML or PDF).
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
    /// Copy a live database, consistent as of one moment, to FILE for read replicas
    /// (`serve --read-only --db FILE`): written beside FILE, checked, then renamed onto it.
    Snapshot {
        /// The SQLite database file, which servers may go on serving and ingesting meanwhile.
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
        /// The snapshot file, replaced whole; its folder must exist.
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command {
        Command::Check { json, paths } => commands::check::run(&paths, json),
        Command::Ingest { db, paths } => commands::ingest::run(&db, &paths),
        Command::Export { db, format, what } => commands::export::run(&db, format, what),
        Command::Coverage { db, json } => commands::coverage::run(&db, json),
        Command::Reindex { db } => commands::reindex::run(&db),
        Command::Snapshot { db, out } => commands::snapshot::run(&db, &out),
        Command::Serve {
            listen,
            db,
            auth_token,
            auth_token_file,
            read_only,
            request_timeout_secs,
            body_read_timeout_secs,
            max_connections,
            max_streams_per_connection,
            idle_timeout_secs,
            max_concurrent_requests,
            max_unsent_replies_mib,
            write_timeout_secs,
            shutdown_grace_secs,
            max_ingest_message_mib,
            max_ingest_file_mib,
            max_message_mib,
            tls_cert,
            tls_key,
            cache_entries,
            max_db_mib,
            no_web,
            web_dir,
            cors_origins,
        } => {
            let auth_token = match auth_token_file {
                Some(path) => match read_token(&path) {
                    Ok(token) => Some(token),
                    Err(message) => {
                        eprintln!("tip-atlas: {message}");
                        return ExitCode::from(2);
                    }
                },
                None => auth_token,
            };
            let config = ServeConfig {
                auth_token: auth_token.filter(|t| !t.is_empty()),
                read_only,
                request_timeout: Duration::from_secs(request_timeout_secs),
                body_read_timeout: Duration::from_secs(body_read_timeout_secs),
                max_connections,
                max_streams_per_connection,
                idle_timeout: Duration::from_secs(idle_timeout_secs),
                max_concurrent_requests,
                max_unsent_reply_bytes: max_unsent_replies_mib << 20,
                write_timeout: Duration::from_secs(write_timeout_secs),
                shutdown_grace: Duration::from_secs(shutdown_grace_secs),
                max_ingest_message: max_ingest_message_mib << 20,
                max_ingest_file: max_ingest_file_mib << 20,
                max_message: max_message_mib << 20,
                tls: tls_cert.zip(tls_key).map(|(cert, key)| tip_server::TlsFiles { cert, key }),
                cache_entries,
                max_db_bytes: max_db_mib.map(|mib| mib << 20),
                page: match (no_web, web_dir) {
                    (true, _) => None,
                    (false, Some(folder)) => Some(tip_server::web::PageSource::Folder(folder)),
                    (false, None) => Some(tip_server::web::PageSource::Embedded),
                },
                cors_origins,
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

/// An origin as browsers send it: `scheme://host` with an optional port, nothing after.
fn parse_origin(origin: &str) -> Result<http::HeaderValue, String> {
    let (scheme, rest) =
        origin.split_once("://").ok_or("an origin is scheme://host[:port], such as https://example.org")?;
    let host_and_port = !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !matches!(scheme, "http" | "https") || !host_and_port {
        return Err(format!("{origin:?} is not an origin: scheme://host[:port], such as https://example.org"));
    }
    http::HeaderValue::from_str(origin).map_err(|error| error.to_string())
}

async fn serve(listen: SocketAddr, config: ServeConfig) -> ExitCode {
    if !listen.ip().is_loopback() && !config.read_only && config.auth_token.is_none() {
        eprintln!(
            "tip-atlas: refusing to serve writes on {listen} without a token: anyone who reaches this \
             address could change the data. Set TIP_ATLAS_TOKEN or pass --auth-token-file FILE (--auth-token \
             TOKEN works too, but shows the token to other users in `ps`), or pass --read-only, or listen on a \
             loopback address such as 127.0.0.1."
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

/// The token in the first line of `path`: one that is missing or empty is an error rather than
/// writes left open by mistake.
fn read_token(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    match text.lines().next().map(str::trim) {
        Some(token) if !token.is_empty() => Ok(token.to_owned()),
        _ => Err(format!("{} holds no token", path.display())),
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
