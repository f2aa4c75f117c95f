"""Sequential read_secrets with the upstream Python client (vdk-plugin-control-cli), against
the same server as the Rust benchmark. Prints one line of medians in the benchmark's format.

    python upstream_python.py URL [CALLS] [ROUNDS]
"""
import logging
import statistics
import sys
import time

from vdk.plugin.control_cli_plugin.control_service_secrets_client import (
    ControlServiceSecretsServiceClient,
)


def main():
    url = sys.argv[1]
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    logging.disable(logging.CRITICAL)
    client = ControlServiceSecretsServiceClient(url)
    assert len(client.read_secrets("bench-job", "bench-team")) == 3
    for _ in range(calls // 5):  # warm up
        client.read_secrets("bench-job", "bench-team")
    wall, cpu = [], []
    for _ in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(calls):
            client.read_secrets("bench-job", "bench-team")
        wall.append((time.perf_counter() - w0) * 1e6 / calls)
        cpu.append((time.process_time() - c0) * 1e6 / calls)
    us, c = statistics.median(wall), statistics.median(cpu)
    print(f"{'python':<10} reads/s {1e6 / us:>9.0f}   us/call {us:>7.2f}   client CPU us/call {c:>6.2f}")


if __name__ == "__main__":
    main()
