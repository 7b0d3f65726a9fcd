//! Shared by the integration tests: a real server on a loopback port with a temporary database.

#![allow(dead_code)]

use std::time::Duration;

use tip_server::api::country_service_client::CountryServiceClient;
use tip_server::api::ingest_service_client::IngestServiceClient;
use tip_server::api::insight_service_client::InsightServiceClient;
use tip_server::api::report_service_client::ReportServiceClient;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A server started in this process on `127.0.0.1:0`, stopped when dropped.
pub struct TestServer {
    pub address: String,
    pub channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _folder: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server on a fresh database and waits until its health check says SERVING.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a TLS server with `tls`, trusted by the client through `ca_pem`.
    pub async fn start_tls(tls: tip_server::TlsFiles, ca_pem: String) -> Self {
        let client_tls = tonic::transport::ClientTlsConfig::new()
            .ca_certificate(tonic::transport::Certificate::from_pem(ca_pem))
            .domain_name("localhost");
        Self::start_configured(|config| config.tls = Some(tls), "https", Some(client_tls)).await
    }

    /// Starts a server whose configuration `configure` adjusts.
    pub async fn start_with(configure: impl FnOnce(&mut tip_server::ServeConfig)) -> Self {
        Self::start_configured(configure, "http", None).await
    }

    /// Starts a server whose configuration `configure` adjusts, without waiting for its health
    /// check: for configurations under which it would never answer one.
    pub async fn spawn_with(configure: impl FnOnce(&mut tip_server::ServeConfig)) -> Self {
        Self::spawn_configured(configure, "http", None).await
    }

    async fn start_configured(
        configure: impl FnOnce(&mut tip_server::ServeConfig),
        scheme: &str,
        client_tls: Option<tonic::transport::ClientTlsConfig>,
    ) -> Self {
        let server = Self::spawn_configured(configure, scheme, client_tls).await;
        server.wait_until_serving().await;
        server
    }

    /// Starts a server and connects to it, without waiting for it to become SERVING.
    async fn spawn_configured(
        configure: impl FnOnce(&mut tip_server::ServeConfig),
        scheme: &str,
        client_tls: Option<tonic::transport::ClientTlsConfig>,
    ) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("{scheme}://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let mut config = tip_server::ServeConfig::new(folder.path().join("tip.sqlite"));
        configure(&mut config);
        let task = tokio::spawn(async move {
            tip_server::serve(listener, &config, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        let mut endpoint = Channel::from_shared(address.clone()).unwrap();
        if let Some(client_tls) = client_tls {
            endpoint = endpoint.tls_config(client_tls).unwrap();
        }
        let channel = endpoint.connect().await.unwrap();
        Self { address, channel, stop: Some(stop), task: Some(task), _folder: folder }
    }

    async fn wait_until_serving(&self) {
        let mut health = HealthClient::new(self.channel.clone());
        for _ in 0..600 {
            let response = health.check(HealthCheckRequest { service: String::new() }).await.unwrap();
            if response.get_ref().status == ServingStatus::Serving as i32 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the server did not become SERVING");
    }

    pub fn reports(&self) -> ReportServiceClient<Channel> {
        ReportServiceClient::new(self.channel.clone())
    }

    pub fn countries(&self) -> CountryServiceClient<Channel> {
        CountryServiceClient::new(self.channel.clone())
    }

    pub fn ingest(&self) -> IngestServiceClient<Channel> {
        IngestServiceClient::new(self.channel.clone())
    }

    pub fn insights(&self) -> InsightServiceClient<Channel> {
        InsightServiceClient::new(self.channel.clone())
    }

    /// The server's SQLite file, to check what it really stored.
    pub fn db_path(&self) -> std::path::PathBuf {
        self._folder.path().join("tip.sqlite")
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task).await.expect("server stops").unwrap();
        }
    }
}

/// The `tip-atlas` binary started as a child process on `127.0.0.1:0`; killed when dropped.
pub struct ServerProcess {
    pub address: String,
    child: std::process::Child,
}

impl ServerProcess {
    /// Starts `tip-atlas serve` on `db` and reads the "listening on ADDR" line it prints.
    pub fn start(db: &std::path::Path) -> Self {
        Self::start_with_args(db, &[])
    }

    /// Starts `tip-atlas serve` on `db` with more `args`.
    pub fn start_with_args(db: &std::path::Path, args: &[&str]) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("tip-atlas starts");
        let mut first_line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
        let address = first_line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
            .to_owned();
        Self { address, child }
    }

    /// A plaintext channel connected to the server.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.address)).unwrap().connect().await.unwrap()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and returns the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait().unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test tool found on PATH; `None` (the test skips) unless TIP_ATLAS_REQUIRE_TOOLS=1, which
/// `tests/run` sets so that a missing tool fails the run.
pub fn tool(name: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|folder| folder.join(name))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        assert!(
            std::env::var("TIP_ATLAS_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{name} is not on PATH: run tests/run, which installs it"
        );
        eprintln!("skipped: {name} is not on PATH (tests/run installs it)");
    }
    found
}

/// A narrative of `../shared/data/narratives`, which CI lays beside the clone.
pub fn shared_narrative(file: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/narratives").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One HTTP/1.1 exchange on a new connection to `address` (host:port): `request` is the head
/// lines after the request line (each ending in CRLF) and the body. The reply's head, and its
/// body with any chunked framing removed.
pub fn http1(address: &str, method: &str, path: &str, headers: &str, body: &[u8]) -> (String, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let length = if body.is_empty() { String::new() } else { format!("Content-Length: {}\r\n", body.len()) };
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{headers}{length}Connection: close\r\n\r\n")
        .unwrap();
    stream.write_all(body).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").expect("a reply head");
    let head = String::from_utf8(reply[..split].to_vec()).unwrap();
    let mut body = reply[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = unchunked(&body);
    }
    (head, body)
}

fn unchunked(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = chunked.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size = std::str::from_utf8(&chunked[..line_end]).unwrap().split(';').next().unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunked[line_end + 2..line_end + 2 + size]);
        chunked = &chunked[line_end + 2 + size + 2..];
    }
}
