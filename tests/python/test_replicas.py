"""Three read-only replicas behind nginx (grpc_pass, passive health checks, grpc_next_upstream)
and one writer, all on loopback: the load through nginx keeps being served when a replica is
killed, and a snapshot the writer publishes reaches every surviving replica within 5 s.

nginx is the Debian package (tests/run installs it); the test runs its own nginx process with
its own config in a temp dir, never the system service.
"""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import grpc
import pytest

from conftest import REPO, _server_binary, _wait_for_listening_line, _wait_until_serving

LOAD_THREADS = 4
LOAD_S = 4.0
KILL_AFTER_S = 1.5
CALL_TIMEOUT_S = 2
FAILURES_ONLY_WITHIN_MS = 1000  # of the kill: nginx retries the next replica on a refused connection
CATCH_UP_S = 5
MALI_2023 = "countries/MLI/reports/2023"
MALI_2017 = "countries/MLI/reports/2017"


def _nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    if found:
        return found
    if os.environ.get("TIP_ATLAS_REQUIRE_TOOLS"):
        pytest.fail("nginx is not installed (tests/run installs it with apt-get)")
    pytest.skip("nginx is not installed (apt-get install nginx; tests/run does it)")


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _nginx_config(prefix: Path, port: int, replicas: list) -> str:
    servers = "\n".join(f"        server {address} max_fails=1 fail_timeout=5s;" for address in replicas)
    temp = " ".join(f"{kind}_temp_path {prefix}/{kind}_temp;" for kind in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx would run its workers as nobody, who cannot enter pytest's temp dir.
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""{user}
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    {temp}
    upstream replicas {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port} http2;
        location / {{
            grpc_pass grpc://replicas;
            # nginx has no "unavailable": a replica that is down refuses (error) or answers 502/503.
            grpc_next_upstream error timeout http_502 http_503;
            grpc_next_upstream_tries 3;
            grpc_connect_timeout 1s;
        }}
    }}
}}
"""


class Processes:
    """Started processes, each killed at the end if it is still running."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started = []
        self.nginx_proc = None

    def server(self, name: str, *args: str):
        stderr_path = self.folder / f"{name}.stderr"
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(
                [str(_server_binary()), "serve", "--listen", "127.0.0.1:0", *args],
                cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True)
        self.started.append(proc)
        address = _wait_for_listening_line(proc, stderr_path)
        with grpc.insecure_channel(address) as channel:
            _wait_until_serving(channel, proc)
        return proc, address

    def nginx(self, replicas: list) -> str:
        port = _free_loopback_port()
        conf = self.folder / "nginx.conf"
        conf.write_text(_nginx_config(self.folder, port, replicas))
        stderr_path = self.folder / "nginx.stderr"
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen([_nginx(), "-c", str(conf), "-p", str(self.folder), "-g", "daemon off;"],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        self.nginx_proc = proc
        deadline = time.monotonic() + 10
        while True:  # nginx prints nothing when it listens: wait until the port accepts
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return f"127.0.0.1:{port}"
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = self.folder / "error.log"
                    pytest.fail(f"nginx did not listen on {port}: {stderr_path.read_text()}"
                                f"{log.read_text() if log.exists() else ''}")
                time.sleep(0.05)

    def stop_all(self):
        # SIGTERM, not SIGKILL: the nginx master then stops its worker, which SIGKILL would orphan.
        if self.nginx_proc is not None and self.nginx_proc.poll() is None:
            self.nginx_proc.terminate()
            self.nginx_proc.wait(timeout=10)
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _publish(writer_db: Path, replica_dbs: list, folder: Path) -> None:
    """One snapshot of the writer, copied beside each replica's file and renamed onto it."""
    snapshot = folder / "published.sqlite"
    run = subprocess.run([str(_server_binary()), "snapshot", "--db", str(writer_db), "--out", str(snapshot)],
                         capture_output=True, text=True)
    assert run.returncode == 0, f"tip-atlas snapshot exit code {run.returncode}: {run.stdout}{run.stderr}"
    for db in replica_dbs:
        staged = db.with_suffix(".staged")
        shutil.copyfile(snapshot, staged)
        os.replace(staged, db)


def _drive_load(pb, address: str, kill_replica) -> list:
    """GetReport from a few threads through nginx for LOAD_S; returns (start, end, ok) per call."""
    calls, lock = [], threading.Lock()
    begin = time.monotonic()

    def worker():
        with grpc.insecure_channel(address) as channel:
            reports = pb.report_grpc.ReportServiceStub(channel)
            while time.monotonic() - begin < LOAD_S:
                start = time.monotonic()
                try:
                    reports.GetReport(pb.report.GetReportRequest(name=MALI_2023), timeout=CALL_TIMEOUT_S)
                    ok = True
                except grpc.RpcError:
                    ok = False
                with lock:
                    calls.append((start, time.monotonic(), ok))

    threads = [threading.Thread(target=worker) for _ in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(KILL_AFTER_S)
    kill_replica()
    for thread in threads:
        thread.join(timeout=LOAD_S + CALL_TIMEOUT_S + 5)
    assert not any(thread.is_alive() for thread in threads)
    return calls


def _serves(pb, address: str, name: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            pb.report_grpc.ReportServiceStub(channel).GetReport(
                pb.report.GetReportRequest(name=name), timeout=CALL_TIMEOUT_S)
            return True
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
            return False


def test_replicas_behind_nginx_survive_a_killed_replica_and_catch_up_on_a_snapshot(pb, tmp_path):
    _nginx()  # skip or fail before starting anything
    processes = Processes(tmp_path)
    try:
        writer_db = tmp_path / "writer.sqlite"
        _, writer = processes.server("writer", "--db", str(writer_db))
        replica_dbs = [tmp_path / f"replica{i}.sqlite" for i in range(3)]
        _publish(writer_db, replica_dbs, tmp_path)
        replicas = [processes.server(f"replica{i}", "--read-only", "--db", str(db)) for i, db in enumerate(replica_dbs)]
        balancer = processes.nginx([address for _, address in replicas])

        killed = {}

        def kill_first_replica():
            replicas[0][0].send_signal(signal.SIGKILL)
            killed["at"] = time.monotonic()

        calls = _drive_load(pb, balancer, kill_first_replica)
        failed = [call for call in calls if not call[2]]
        window_ms = (max(end for _, end, _ in failed) - min(start for start, _, _ in failed)) * 1000 if failed else 0
        print(f"\nnginx, 3 replicas, one killed mid-load: {len(calls)} requests sent, {len(failed)} failed, "
              f"failure window {window_ms:.0f} ms")
        served_after_kill = [call for call in calls if call[0] > killed["at"] and call[2]]
        assert served_after_kill, "no request was served through nginx after the replica was killed"
        late = [start for start, _, _ in failed if abs(start - killed["at"]) * 1000 > FAILURES_ONLY_WITHIN_MS]
        assert not late, f"{len(late)} requests failed more than {FAILURES_ONLY_WITHIN_MS} ms from the kill"

        survivors = [address for _, address in replicas[1:]]
        assert not _serves(pb, balancer, MALI_2017), f"{MALI_2017} is already in the seed: pick another"
        content = (REPO.parent / "shared/data/narratives/MALI_2017_refworld.txt").read_bytes()
        with grpc.insecure_channel(writer) as channel:
            reply = pb.ingest_grpc.IngestServiceStub(channel).IngestDocument(
                pb.ingest.IngestDocumentRequest(content=content, year=2017), timeout=10)
        assert reply.report.name == MALI_2017

        _publish(writer_db, replica_dbs, tmp_path)
        published = time.monotonic()
        waiting = set(survivors)
        while waiting and time.monotonic() - published < CATCH_UP_S:
            waiting = {address for address in waiting if not _serves(pb, address, MALI_2017)}
            time.sleep(0.02)
        caught_up_ms = (time.monotonic() - published) * 1000
        assert not waiting, f"replicas {sorted(waiting)} did not serve {MALI_2017} within {CATCH_UP_S} s"
        # Round-robin over the survivors: every call through nginx now finds the new report.
        assert all(_serves(pb, balancer, MALI_2017) for _ in range(2 * len(survivors)))
        print(f"every surviving replica served the new snapshot {caught_up_ms:.0f} ms after it was published")
    finally:
        processes.stop_all()
