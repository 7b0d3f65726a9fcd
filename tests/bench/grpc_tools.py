"""Helpers of tests/bench/serve and tests/bench/startup (run with the .tools/venv Python).

  grpc_tools.py bodies DIR NAME QUERY     gRPC-framed request bodies for h2load
  grpc_tools.py wait ADDR                 waits until grpc.health.v1.Health/Check says SERVING
  grpc_tools.py verify ADDR DIR N         sends each body N times through grpcio, checks status OK
  grpc_tools.py latency LOGFILE...        p50 and p99 (ms) of h2load --log-file records
  grpc_tools.py startup BIN DB RUNS       launch to SERVING (ms) and resident memory (MiB)

Only 127.0.0.1 is ever contacted. The request messages are tiny, so they are encoded by hand
(protobuf: a length-delimited string is tag, varint length, bytes).
"""

import os
import signal
import statistics
import subprocess
import sys
import time

METHODS = {
    "health": "/grpc.health.v1.Health/Check",
    "get": "/tip.v1.ReportService/GetReport",
    "search": "/tip.v1.ReportService/SearchReports",
}


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def string_field(number, text):
    data = text.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


def framed(message):
    # gRPC length-prefixed message: not compressed (0), then the length, big-endian.
    return b"\x00" + len(message).to_bytes(4, "big") + message


def messages(name, query):
    return {
        # HealthCheckRequest{service: ""}: every field default, so no bytes at all.
        "health": b"",
        # GetReportRequest{name = 1}
        "get": string_field(1, name),
        # SearchReportsRequest{query = 1}: page_size 0 means the default page of 20.
        "search": string_field(1, query),
    }


def bodies(directory, name, query):
    os.makedirs(directory, exist_ok=True)
    for method, message in messages(name, query).items():
        with open(os.path.join(directory, method + ".bin"), "wb") as f:
            f.write(framed(message))


def wait(address, limit=60.0, interval=0.05):
    """Polls Health/Check over one channel until it says SERVING; exits after `limit` seconds."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.monotonic() + limit
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(interval)
    sys.exit(f"{address} did not report SERVING within {limit} s")


def verify(address, directory, count):
    """Every body through a real gRPC client: status OK (from the trailers) and a reply."""
    import grpc

    failures = 0
    with grpc.insecure_channel(address) as channel:
        for method, path in METHODS.items():
            with open(os.path.join(directory, method + ".bin"), "rb") as f:
                message = f.read()[5:]
            call = channel.unary_unary(path, request_serializer=None, response_deserializer=None)
            sizes = []
            for _ in range(count):
                try:
                    reply, outcome = call.with_call(message, timeout=10)
                except grpc.RpcError as error:
                    failures += 1
                    print(f"{path}: {error.code().name}: {error.details()}", file=sys.stderr)
                    continue
                if outcome.code() != grpc.StatusCode.OK:
                    failures += 1
                sizes.append(len(reply))
            if sizes:
                print(f"verified {path}: {len(sizes)} of {count} calls OK, reply {min(sizes)}-{max(sizes)} bytes")
            if method != "health" and sizes and min(sizes) == 0:
                failures += 1
                print(f"{path}: empty reply", file=sys.stderr)
    if failures:
        sys.exit(f"{failures} call(s) failed")


def latency(paths):
    durations = []
    for path in paths:
        with open(path) as f:
            for line in f:
                fields = line.split()
                # start time (us since the epoch), HTTP status, duration (us)
                if len(fields) >= 3 and fields[1].isdigit():
                    durations.append(int(fields[2]))
    if not durations:
        print("nan nan")
        return
    durations.sort()

    def percentile(p):
        return durations[min(len(durations) - 1, int(round(p / 100 * (len(durations) - 1))))] / 1000

    print(f"{percentile(50):.3f} {percentile(99):.3f}")


def status_field(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # kB
    return 0


def startup(binary, db, runs):
    """Launches `tip-atlas serve` RUNS times: milliseconds from launch to SERVING, resident memory."""
    # Imported before the clock starts, so that wait() does not time the imports.
    import grpc  # noqa: F401
    import grpc_health.v1.health_pb2_grpc  # noqa: F401

    for run in range(runs):
        started = time.monotonic()
        env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
        server = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--db", db],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        try:
            address = None
            for line in server.stdout:
                if line.startswith("listening on "):
                    address = line.split()[-1]
                    break
            if address is None:
                sys.exit("the server printed no address")
            wait(address, limit=120 - (time.monotonic() - started), interval=0.001)
            serving_ms = (time.monotonic() - started) * 1000
            rss = status_field(server.pid, "VmRSS") / 1024
            hwm = status_field(server.pid, "VmHWM") / 1024
            print(f"{serving_ms:.1f} {rss:.1f} {hwm:.1f}", flush=True)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "bodies":
        bodies(args[0], args[1], args[2])
    elif command == "wait":
        wait(args[0])
    elif command == "verify":
        verify(args[0], args[1], int(args[2]))
    elif command == "latency":
        latency(args)
    elif command == "startup":
        startup(args[0], args[1], int(args[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
