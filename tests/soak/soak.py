"""A bounded soak test on loopback: reads, searches and ingests mixed for several minutes against
a real `tip-atlas serve`, counting every status and sampling the server's resident memory.

Run by hand (tests/soak/run does the set-up):  tests/soak/run [SECONDS] [THREADS]
Passes when no request failed other than in the expected ways, and resident memory is flat:
the median of the last quarter of samples at most 25% (and 16 MiB) above the median of the
second quarter (the first quarter is warm-up).
"""

import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from importlib import resources
from pathlib import Path

import grpc

REPO = Path(__file__).resolve().parents[2]
DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 180.0
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 8
BINARY = os.environ.get("TIP_ATLAS_BIN", str(REPO / "target/release/tip-atlas"))
COUNTRIES = ["Mali", "Chad", "Peru", "Nepal", "Ghana", "Chile", "Kenya", "Japan", "Iceland", "Norway",
             "Brazil", "Tonga", "Fiji", "Oman", "Qatar", "Yemen", "Spain", "Italy", "Cuba", "Laos"]
WORDS = ["forced labor", "hereditary slavery", "shelter", "prosecut*", "\"national action plan\"",
         "children", "debt bondage", "victims NOT shelters", "recruit*", "corruption"]


def stubs(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    protos = sorted(str(p.relative_to(REPO / "proto")) for p in (REPO / "proto/tip/v1").glob("*.proto"))
    well_known = resources.files("grpc_tools") / "_proto"
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", "proto", "-I", str(well_known),
                    f"--python_out={out}", f"--grpc_python_out={out}", *protos], cwd=REPO, check=True)
    sys.path.insert(0, str(out))
    import tip.v1.ingest_pb2 as ingest, tip.v1.ingest_pb2_grpc as ingest_grpc  # noqa: E401
    import tip.v1.report_pb2 as report, tip.v1.report_pb2_grpc as report_grpc  # noqa: E401
    import tip.v1.country_pb2 as country, tip.v1.country_pb2_grpc as country_grpc  # noqa: E401
    return ingest, ingest_grpc, report, report_grpc, country, country_grpc


def narrative(name: str, year: int, variant: int) -> bytes:
    return (f"{name.upper()} (Tier 2) Extracted in part from the U.S. State Dept {year} TIP Report\n\n"
            f"The Government of {name} does not fully meet the minimum standards for the elimination of "
            f"trafficking but is making significant efforts to do so; therefore {name} remained on Tier 2. "
            f"Variant {variant}: the government reported investigating forced labor and debt bondage cases.\n\n"
            "Prioritized Recommendations\n\nVigorously investigate and prosecute trafficking crimes.\n\n"
            f"Increase funding for shelters, number {variant}.\n").encode()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="tip-soak-"))
    ingest, ingest_grpc, report, report_grpc, country, country_grpc = stubs(work / "stubs")
    server = subprocess.Popen([BINARY, "serve", "--listen", "127.0.0.1:0", "--db", str(work / "soak.sqlite")],
                              stdout=subprocess.PIPE, stderr=open(work / "server.log", "wb"), text=True)
    address = re.fullmatch(r"listening on (\S+)\n", server.stdout.readline()).group(1)
    channel = grpc.insecure_channel(address)
    reports = report_grpc.ReportServiceStub(channel)
    countries = country_grpc.CountryServiceStub(channel)
    writer = ingest_grpc.IngestServiceStub(channel)
    time.sleep(1.0)

    counts: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + DURATION

    def worker(seed: int):
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            pick = rng.random()
            name, year = rng.choice(COUNTRIES), rng.randint(2001, 2025)
            expected = {grpc.StatusCode.OK}
            try:
                if pick < 0.35:
                    op = "GetReport"
                    expected.add(grpc.StatusCode.NOT_FOUND)
                    code = rng.choice(["MLI", "TCD", "PER", "NPL", "GHA", "ZZZ"])
                    reports.GetReport(report.GetReportRequest(name=f"countries/{code}/reports/{year}"), timeout=10)
                elif pick < 0.50:
                    op = "ListReports"
                    reports.ListReports(report.ListReportsRequest(filter=f"year >= {year}", page_size=20), timeout=10)
                elif pick < 0.60:
                    op = "GetTierHistory"
                    countries.GetTierHistory(country.GetTierHistoryRequest(name="countries/MLI"), timeout=10)
                elif pick < 0.80:
                    op = "SearchReports"
                    reports.SearchReports(report.SearchReportsRequest(query=rng.choice(WORDS)), timeout=10)
                elif pick < 0.85:
                    op = "BadFilter"
                    expected = {grpc.StatusCode.INVALID_ARGUMENT}
                    reports.ListReports(report.ListReportsRequest(filter="year = = 1"), timeout=10)
                else:
                    op = "IngestDocument"
                    content = narrative(name, year, rng.randint(0, 3))
                    writer.IngestDocument(ingest.IngestDocumentRequest(content=content), timeout=10)
                status = grpc.StatusCode.OK
            except grpc.RpcError as error:
                status = error.code()
            with lock:
                counts[(op, status.name, status in expected)] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    samples = []
    while any(t.is_alive() for t in threads):
        samples.append(rss_kib(server.pid))
        time.sleep(2.0)
    for t in threads:
        t.join()

    server.send_signal(signal.SIGTERM)
    code = server.wait(timeout=15)
    unexpected = sum(n for (_, _, ok), n in counts.items() if not ok)
    total = sum(counts.values())
    print(f"soak: {DURATION:.0f} s, {THREADS} threads, {total} requests ({total / DURATION:.0f}/s), server exit {code}")
    for (op, status, ok), n in sorted(counts.items()):
        print(f"  {op:15} {status:18} {n:8} {'expected' if ok else 'UNEXPECTED'}")
    quarter = max(1, len(samples) // 4)
    warm = statistics.median(samples[quarter:2 * quarter] or samples)
    last = statistics.median(samples[-quarter:])
    print(f"  resident memory: {samples[0] // 1024} MiB at start, median {warm // 1024} MiB after warm-up, "
          f"median {last // 1024} MiB in the last quarter, peak {max(samples) // 1024} MiB ({len(samples)} samples)")
    flat = last <= warm * 1.25 or last - warm <= 16 * 1024
    ok = unexpected == 0 and code == 0 and flat
    print(f"{'passed' if ok else 'FAILED'}: {unexpected} unexpected status(es), memory {'flat' if flat else 'GREW'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
