"""Transport attacks on a real `tip-atlas serve`, measured (run by hand, Linux: reads /proc).

  streams: 300 GetReport streams on 3 connections that send their headers and never their
           message; prints health (on an open and on a new connection) and a GetReport under it.
  idle:    under `ulimit -n 1024`, 1,100 TCP connections that never send a byte; prints the
           server's open descriptors, its CPU, and health, 2 s after and again 37 s after
           (pass --idle-timeout-secs 30 to see the connections closed in between).

  unread:  100 GetReport calls of a 3.5 MB report on 2 connections whose client never reads
           (nor answers pings); prints the server's resident memory before, 2 s after and 35 s
           after (past the 30 s write timeout), and a GetReport of that report and health meanwhile.
           glibc keeps much of what is freed: MALLOC_MMAP_THRESHOLD_=65536 shows it returned.
  matching: ListRecommendations over 10 reports of 200 recommendations that share 20 words (2,000
           wordings, each weighed against every other), under --request-timeout-secs 1 (pass it);
           prints the answer, and the server's CPU seconds in the 10 s after it.

Usage: .tools/venv/bin/python tests/soak/transport_attacks.py BINARY streams|idle|unread|matching [serve flags...]
"""
import os, socket, subprocess, sys, tempfile, time
import grpc

def start(binary, extra, preexec=None, db=None):
    db = db or tempfile.mkdtemp() + "/t.sqlite"
    proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--db", db, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, preexec_fn=preexec)
    line = proc.stdout.readline().decode()
    port = int(line.strip().rsplit(":", 1)[1])
    return proc, port

def health(port, channel=None, timeout=5):
    own = channel is None
    channel = channel or grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)])
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    started = time.monotonic()
    try:
        reply = check(b"", timeout=timeout)
        result = "SERVING" if reply == b"\x08\x01" else f"reply {reply!r}"
    except grpc.RpcError as error:
        result = error.code().name
    elapsed = (time.monotonic() - started) * 1000
    if own:
        channel.close()
    return result, elapsed

def wait_serving(port):
    for _ in range(500):
        if health(port)[0] == "SERVING":
            return
        time.sleep(0.02)
    raise SystemExit("never SERVING")

def hpack_literal(name, value):
    """A header as an HPACK literal without indexing, new name, no Huffman (lengths under 127)."""
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value

def frame(kind, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload

def silent_streams(port, count):
    """A connection that opens `count` GetReport streams and never sends their message."""
    sock = socket.create_connection(("127.0.0.1", port))
    out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"")
    for i in range(count):
        block = b"".join(hpack_literal(n, v) for n, v in [
            (b":method", b"POST"), (b":scheme", b"http"), (b":path", b"/tip.v1.ReportService/GetReport"),
            (b":authority", b"localhost"), (b"te", b"trailers"), (b"content-type", b"application/grpc")])
        out += frame(1, 0x4, 1 + 2 * i, block)  # HEADERS, END_HEADERS, no END_STREAM
    sock.sendall(out)
    return sock

def grpc_message(payload):
    return b"\x00" + len(payload).to_bytes(4, "big") + payload

def unread_calls(port, path, message, count):
    """A connection that makes `count` calls of `message` to `path` and never reads a byte."""
    sock = socket.create_connection(("127.0.0.1", port))
    out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"")
    for i in range(count):
        block = b"".join(hpack_literal(n, v) for n, v in [
            (b":method", b"POST"), (b":scheme", b"http"), (b":path", path),
            (b":authority", b"localhost"), (b"te", b"trailers"), (b"content-type", b"application/grpc")])
        out += frame(1, 0x4, 1 + 2 * i, block) + frame(0, 0x1, 1 + 2 * i, grpc_message(message))
    sock.sendall(out)
    return sock

def resident_mib(pid):
    line = next(l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024

def descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

binary, mode, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
if mode == "streams":
    proc, port = start(binary, extra)
    wait_serving(port)
    held = grpc.insecure_channel(f"127.0.0.1:{port}")
    print("health before the attack:", health(port, held))
    socks = [silent_streams(port, 100) for _ in range(3)]  # 300 silent streams
    time.sleep(1)
    print("health on an open channel, 300 silent streams:", health(port, held))
    print("health on a new channel, 300 silent streams:", health(port))
    get = held.unary_unary("/tip.v1.ReportService/GetReport")
    try:
        get(b"\x0a\x1acountries/MLI/reports/2023", timeout=5)
        print("GetReport: OK")
    except grpc.RpcError as error:
        print("GetReport:", error.code().name)
    proc.kill()
elif mode == "unread":
    folder = tempfile.mkdtemp()
    db, narrative = folder + "/t.sqlite", folder + "/niger.txt"
    with open(narrative, "w") as out:
        out.write("Niger (Tier 2) Extracted in part from the U.S. State Dept 2019 TIP Report\n\n"
                  "The Government of Niger does not fully meet the minimum standards for the elimination of "
                  "trafficking but is making significant efforts to do so; therefore Niger remained on Tier 2.\n\n")
        for n in range(3500):
            sentence = f"Authorities reported {n} investigations of forced labor in mining and agriculture. "
            out.write(sentence * (1000 // len(sentence)) + "\n\n")
    subprocess.run([binary, "ingest", "--db", db, narrative], check=True, stdout=subprocess.DEVNULL)
    proc, port = start(binary, extra, db=db)
    wait_serving(port)
    name = b"countries/NER/reports/2019"
    request = b"\x0a" + bytes([len(name)]) + name
    held = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 8 << 20)])
    get = held.unary_unary("/tip.v1.ReportService/GetReport")
    def get_report():
        try:
            return f"OK, {len(get(request, timeout=10)) / 2**20:.1f} MiB"
        except grpc.RpcError as error:
            return error.code().name
    print("GetReport before:", get_report(), f"RSS {resident_mib(proc.pid):.0f} MiB")
    before = resident_mib(proc.pid)
    socks = [unread_calls(port, b"/tip.v1.ReportService/GetReport", request, 50) for _ in range(2)]
    time.sleep(2)
    print(f"2 s after 100 unread GetReport calls: RSS +{resident_mib(proc.pid) - before:.0f} MiB;",
          "GetReport:", get_report(), " health:", health(port, held))
    time.sleep(33)
    print(f"35 s after: RSS +{resident_mib(proc.pid) - before:.0f} MiB;",
          "GetReport:", get_report(), " health:", health(port, held))
    proc.kill()
elif mode == "matching":
    folder = tempfile.mkdtemp()
    db = folder + "/t.sqlite"
    # Words in letters: the parser takes digits for page numbers.
    letters = lambda n, width: "".join(chr(ord("a") + n // 26 ** place % 26) for place in reversed(range(width)))
    shared = ("prosecute traffickers protect victims investigate convict punish identify refer shelters "
              "fund train officials judges police labor inspect border screen migrants")
    files = []
    for year in range(2010, 2020):
        path = f"{folder}/chad{year}.txt"
        with open(path, "w") as out:
            out.write(f"Chad (Tier 2) Extracted in part from the U.S. State Dept {year} TIP Report\n\n"
                      "The Government of Chad does not fully meet the minimum standards for the elimination of "
                      "trafficking but is making significant efforts to do so; therefore Chad remained on Tier 2.\n\n"
                      "Prioritized Recommendations\n\n")
            for n in range(200):
                own = " ".join(letters(k, 2) + letters(year * 200 + n, 4) for k in range(40))
                out.write(f"• {shared} {own}.\n")
        files.append(path)
    subprocess.run([binary, "ingest", "--db", db, *files], check=True, stdout=subprocess.DEVNULL)
    proc, port = start(binary, extra, db=db)
    wait_serving(port)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    listing = channel.unary_unary("/tip.v1.InsightService/ListRecommendations")
    parent = b"countries/TCD"
    request = b"\x0a" + bytes([len(parent)]) + parent
    cpu0, started = cpu_seconds(proc.pid), time.monotonic()
    try:
        answer = f"OK, {len(listing(request, timeout=120))} bytes"
    except grpc.RpcError as error:
        answer = error.code().name
    print(f"ListRecommendations: {answer} after {time.monotonic() - started:.1f} s, {cpu_seconds(proc.pid) - cpu0:.1f} CPU s")
    cpu0 = cpu_seconds(proc.pid)
    time.sleep(10)
    print(f"server CPU in the 10 s after the answer: {cpu_seconds(proc.pid) - cpu0:.1f} s")
    proc.kill()
elif mode == "idle":
    import resource
    limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    proc, port = start(binary, extra, preexec=limit)
    wait_serving(port)
    held = grpc.insecure_channel(f"127.0.0.1:{port}")
    print("health before:", health(port, held), "fds:", descriptors(proc.pid))
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    socks = []
    for _ in range(1100):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError as error:
            print("connect failed:", error); break
    cpu0 = cpu_seconds(proc.pid); t0 = time.monotonic()
    time.sleep(2)
    print(f"2 s after 1,100 silent connections: fds {descriptors(proc.pid)}, CPU {100 * (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0):.0f}%")
    print("  health on an open channel:", health(port, held), " on a new channel:", health(port))
    time.sleep(33)
    cpu0 = cpu_seconds(proc.pid); t0 = time.monotonic()
    time.sleep(2)
    print(f"37 s after: fds {descriptors(proc.pid)}, CPU {100 * (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0):.0f}%")
    print("  health on an open channel:", health(port, held), " on a new channel:", health(port))
    proc.kill()
