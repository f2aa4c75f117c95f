"""Formats the results of benches/matrix.sh as markdown tables (stdout).

    python3 matrix_report.py RESULTS STARTED NPROC KERNEL LOAD_START LOAD_END SECONDS ROUNDS SVC NGINX

RESULTS holds lines `KIND SERVER CLIENT THREADS key=value...`; lines with the same first four
fields are rounds of one measurement and are reduced to the median of each value.
"""
import statistics
import sys
from collections import defaultdict

(results, started, nproc, kernel, load_start, load_end, seconds, rounds, svc, nginx) = sys.argv[1:11]

groups = defaultdict(lambda: defaultdict(list))
order = []
for line in open(results):
    parts = line.split()
    if len(parts) < 4:
        continue
    key = tuple(parts[:4])
    if key not in groups:
        order.append(key)
    for kv in parts[4:]:
        k, _, v = kv.partition("=")
        try:
            groups[key][k].append(float(v))
        except ValueError:
            pass


def get(kind, server, client, threads, field):
    values = groups.get((kind, server, client, str(threads)), {}).get(field)
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def ratio(a, b, digits=1):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.{digits}f}x"


def pct(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{100 * a / b:.0f}%"


threads = sorted({int(k[3]) for k in groups if k[0] == "read" and k[2] != "cli"})
CLIENTS = [("rust", "Rust API"), ("rust-async", "Rust async API (tasks)"), ("c", "C ABI"), ("go", "Go"), ("java", "Java"), ("python", "upstream Python"),
           ("wrk-t1", "wrk -t1"), ("wrk-t2", "wrk -t2")]
out = []
p = out.append
p(f"Run of {started}: {nproc} cores, Linux {kernel}; load average at start {load_start}, at end {load_end}. "
  f"Reads: {rounds} rounds of {seconds} s per cell, medians. Local service {svc}, nginx {nginx}.")
p("")


def best_wrk(server, n, kind="read"):
    values = [get(kind, server, w, n, "rps") for w in ("wrk-t1", "wrk-t2")]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def calls_table(kind, server, noun):
    """One row per client and thread count: rate, latency, CPU, and ratios to Python and wrk."""
    p(f"| client | threads (wrk: connections) | {noun}s/s | p50 µs | p99 µs | client CPU µs/{noun} "
      f"| {noun}s/s vs Python (same threads) | CPU vs Python | {noun}s/s vs best wrk (same connections) |")
    p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in sorted({int(k[3]) for k in groups if k[0] == kind and k[1] == server and k[2] != "cli"}):
        py_rps, py_cpu = get(kind, server, "python", n, "rps"), get(kind, server, "python", n, "cpu")
        wrk = best_wrk(server, n, kind)
        for client, label in CLIENTS:
            rps = get(kind, server, client, n, "rps")
            if rps is None:
                continue
            cpu = get(kind, server, client, n, "cpu")
            cpu_vs = "1x" if client == "python" else "—" if cpu is None or py_cpu is None else f"{py_cpu / cpu:.1f}x less"
            p(f"| {label} | {n} | {fmt(rps)} | {fmt(get(kind, server, client, n, 'p50'), 1)} "
              f"| {fmt(get(kind, server, client, n, 'p99'), 1)} | {fmt(cpu, 1)} | {ratio(rps, py_rps)} | {cpu_vs} "
              f"| {pct(rps, wrk)} |")
    p("")


def best_python(server):
    values = [get("read", server, "python", n, "rps") for n in threads]
    values = [v for v in values if v is not None]
    return max(values) if values else None


for server, title in (("service", "the local Control Service"), ("nginx", "nginx (static file)")):
    p(f"### Reads against {title}")
    p("")
    calls_table("read", server, "read")

p("Client CPU: getrusage over the round (Rust, C, Go), the JVM's process CPU time (Java, JIT and GC "
  "included), time.process_time (Python), user + system of the wrk process from the shell's `time` (wrk, "
  "its start-up included). Go and Java decode the answer into a map (`ReadSecrets`, `readSecrets`), Python "
  "into a dict, Rust into a `SecretMap`; C gets the JSON text. \"best wrk\" is the faster of `-t1 -cN` and "
  "`-t2 -cN`. p50/p99: every call's latency in the round, all threads together.")
p("")

p("### The CLI as a process (sequential, 3 rounds of 100 runs)")
p("")
p("| command | server | runs/s | ms per run | CPU ms per run (process + the shell loop) |")
p("| --- | --- | ---: | ---: | ---: |")
for kind, server, command in (("read", "service", "`vdk-secrets -n bench-job -t bench-team -u URL --get api-key`"),
                              ("read", "nginx", "the same"),
                              ("writes", "service", "`vdk-secrets -n bench-write-cli -t bench-team -u URL --set api-key VALUE` (a read and a write)")):
    us = get(kind, server, "cli", 1, "p50")
    cpu = get(kind, server, "cli", 1, "cpu")
    if us is None:
        continue
    p(f"| {command} | {server} | {fmt(get(kind, server, 'cli', 1, 'rps'))} | {fmt(us / 1e3, 2)} | {fmt(cpu and cpu / 1e3, 2)} |")
p("")

p("### Writes (PUT of the 3-secret map) against the local Control Service, each thread writing a job of its own")
p("")
calls_table("writes", "service", "write")
p("wrk writes with a Lua script that spreads its PUTs over as many jobs as it has connections.")
p("")

go_ns, go_c = get("cached", "-", "go", "-", "ns"), get("cached", "-", "go", "-", "c_ns")
java_ns, java_c = get("cached", "-", "java", "-", "ns"), get("cached", "-", "java", "-", "c_ns")
p("### Cached get (memory backend, per call; `bindings/go/bench/run.sh`, `bindings/java/bench/run.sh`)")
p("")
p("| what | Go run | Java run |")
p("| --- | ---: | ---: |")
p(f"| from C (`vdk_job_secrets_get` + `vdk_string_free`) | {fmt(go_c, 1)} ns | {fmt(java_c, 1)} ns |")
p(f"| from the binding | {fmt(go_ns, 1)} ns (Go) | {fmt(java_ns, 1)} ns (Java) |")
p("")

p("### Cold start: process start to first read done (median of 20 processes)")
p("")
p("| program | server | ms |")
p("| --- | --- | ---: |")
p(f"| C: `vdk_client_new` with an API token (token exchange) + one read | second local service, `--api-token-file` | {fmt(get('cold', 'auth', 'c-token', 1, 'median_ms'), 1)} |")
p(f"| C: `vdk_client_new` without a token + one read | local service | {fmt(get('cold', 'service', 'c', 1, 'median_ms'), 1)} |")
p(f"| upstream Python: import + client + one read, no token | local service | {fmt(get('cold', 'service', 'python', 1, 'median_ms'), 1)} |")
p("")

p("### Memory of a C process (VmRSS, Threads from /proc/self/status)")
p("")
p("| point | VmRSS KiB | Threads |")
p("| --- | ---: | ---: |")
labels = {"init": "after initialisation and the first read", "warm": "after 10% of the cached gets",
          "end": "after all calls"}
for point in ("init", "warm", "end"):
    p(f"| {labels[point]} | {fmt(get('rss', '-', 'c', point, 'rss_kib'))} | {fmt(get('rss', '-', 'c', point, 'threads'))} |")
gets, reads = get("rss", "-", "c", "calls", "gets"), get("rss", "-", "c", "calls", "reads")
p("")
p(f"Calls: {fmt(gets)} cached `vdk_job_secrets_get` and {fmt(reads)} network reads (`vdk_client_read_secrets`), interleaved.")
p("")

p("### Library sizes")
p("")
p("| file | bytes | stripped (`strip --strip-unneeded`) |")
p("| --- | ---: | ---: |")
for lib in ("libvdk_secrets.so", "libvdk_secrets.a", "libvdk_secrets_jni.so"):
    p(f"| {lib} | {fmt(get('size', '-', lib, '-', 'bytes'))} | {fmt(get('size', '-', lib, '-', 'stripped'))} |")
p("")

# --- targets -----------------------------------------------------------------------------------
p("### Targets (issue 6), from this run")
p("")
p("| target | measured | status |")
p("| --- | --- | --- |")


def status(ok):
    return "met" if ok else "**not met**"


for server in ("service", "nginx"):
    py_cpu = get("read", server, "python", 1, "cpu")
    for client, label in (("c", "C"), ("rust", "Rust")):
        cpu = get("read", server, client, 1, "cpu")
        if cpu and py_cpu:
            p(f"| client CPU per read ≥20x below Python's ({label}, {server}, sequential) | {py_cpu / cpu:.1f}x ({cpu:.1f} vs {py_cpu:.1f} µs) | {status(py_cpu / cpu >= 20)} |")
for server in ("service", "nginx"):
    wrk = get("read", server, "wrk-t1", 1, "rps")
    for client, label in (("c", "C"), ("rust", "Rust")):
        rps = get("read", server, client, 1, "rps")
        if rps and wrk:
            p(f"| sequential reads within 10% of wrk -t1 -c1 ({label}, {server}) | {100 * rps / wrk:.0f}% ({rps:,.0f} vs {wrk:,.0f}/s) | {status(rps >= 0.9 * wrk)} |")
for server in ("service", "nginx"):
    pyb = best_python(server)
    for client, label in (("c", "C"), ("rust", "Rust"), ("rust-async", "Rust async tasks")):
        best = max(((get("read", server, client, n, "rps") or 0, n) for n in threads))
        if pyb:
            p(f"| concurrent reads ≥20x Python's best ({label}, {server}) | {best[0] / pyb:.1f}x ({best[0]:,.0f}/s at {best[1]} threads vs {pyb:,.0f}/s) | {status(best[0] >= 20 * pyb)} |")
        cells = []
        ok = True
        for n in threads:
            if n == 1:
                continue
            rps, wrk = get("read", server, client, n, "rps"), best_wrk(server, n)
            if rps and wrk:
                cells.append(f"{n}: {100 * rps / wrk:.0f}%")
                ok = ok and rps >= 0.7 * wrk
        if cells:
            p(f"| concurrent reads within 30% of wrk, same connections ({label}, {server}) | {', '.join(cells)} | {status(ok)} |")
if go_c is not None:
    p(f"| cached get < 0.5 µs in C | {go_c:.1f} ns (Go run), {fmt(java_c, 1)} ns (Java run) | {status(max(go_c, java_c or 0) < 500)} |")
if go_ns is not None:
    p(f"| cached get < 2 µs in Go | {go_ns:.1f} ns | {status(go_ns < 2000)} |")
if java_ns is not None:
    p(f"| cached get < 2 µs in Java | {java_ns:.1f} ns | {status(java_ns < 2000)} |")
init, warm, end = (get("rss", "-", "c", x, "rss_kib") for x in ("init", "warm", "end"))
if init and end:
    p(f"| flat RSS after a million calls (growth after warm-up ≤ 1 MiB) | {init:,.0f} → {warm:,.0f} → {end:,.0f} KiB "
      f"(+{end - warm:,.0f} KiB after warm-up, {fmt(gets)} gets + {fmt(reads)} reads) | {status(end - warm <= 1024)} |")
print("\n".join(out))
