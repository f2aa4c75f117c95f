"""The upstream Python client's part of benches/matrix.sh (ControlServiceSecretsServiceClient
from vdk-plugin-control-cli, as benches/upstream_python.py).

    python matrix_python.py read URL THREADS SECONDS ROUNDS
        THREADS Python threads, one client each (upstream keeps no state that would make a
        shared one unsafe, but a client per thread is what a job runtime would do), reading for
        SECONDS per round; every call's latency recorded. Prints
        `RESULT rps=.. p50=.. p99=.. cpu=..` (medians over rounds; µs; process CPU per read).
    python matrix_python.py writes URL THREADS SECONDS ROUNDS
        the same with writes of the 3-secret map, each thread writing a job of its own
        (bench-write-N).
    python matrix_python.py cold URL                   one client, one read, then prints
        CLOCK_MONOTONIC ns (the parent, benches/c/read_bench spawn, took the start time).
"""
import logging
import statistics
import sys
import threading
import time

from vdk.plugin.control_cli_plugin.control_service_secrets_client import (
    ControlServiceSecretsServiceClient,
)

JOB, TEAM = "bench-job", "bench-team"
MAP = {"api-key": "sk-abc123xyz789", "db-password": "secretpass", "port": 5432}


def read(url, threads, seconds, rounds, writes=False):
    clients = [ControlServiceSecretsServiceClient(url) for _ in range(threads)]

    def call(i):
        if writes:
            clients[i].write_secrets(f"bench-write-{i}", TEAM, MAP)
        else:
            assert len(clients[i].read_secrets(JOB, TEAM)) == 3

    for i in range(threads):
        for _ in range(50):  # warm up
            call(i)
    rps, p50, p99, cpu = [], [], [], []
    for _ in range(rounds):
        lat = [[] for _ in range(threads)]
        barrier = threading.Barrier(threads + 1)
        deadline = [0.0]

        def work(i):
            mine = lat[i]
            barrier.wait()
            while time.perf_counter() < deadline[0]:
                t0 = time.perf_counter()
                call(i)
                mine.append(time.perf_counter() - t0)

        ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for t in ts:
            t.start()
        deadline[0] = time.perf_counter() + seconds
        w0, c0 = time.perf_counter(), time.process_time()
        barrier.wait()
        for t in ts:
            t.join()
        wall, used = time.perf_counter() - w0, time.process_time() - c0
        every = sorted(x for mine in lat for x in mine)
        n = len(every)
        rps.append(n / wall)
        p50.append(every[n // 2] * 1e6)
        p99.append(every[n * 99 // 100] * 1e6)
        cpu.append(used * 1e6 / n)
    m = statistics.median
    print(f"RESULT rps={m(rps):.0f} p50={m(p50):.1f} p99={m(p99):.1f} cpu={m(cpu):.1f}")


def cold(url):
    client = ControlServiceSecretsServiceClient(url)
    assert len(client.read_secrets(JOB, TEAM)) == 3
    print(time.clock_gettime_ns(time.CLOCK_MONOTONIC), flush=True)


def main():
    logging.disable(logging.CRITICAL)
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "read":
        read(url, int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
    elif mode == "writes":
        read(url, int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), writes=True)
    elif mode == "cold":
        cold(url)


if __name__ == "__main__":
    main()
