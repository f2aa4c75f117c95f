"""The upstream Python client's part of benches/scaling.sh (issue 15): sequential reads or
writes of one of the four maps that benches/c/scaling_bench.c seeds, printed in its format.

    python scaling_python.py URL read|write SIZE CALLS

Reads job scale-SIZE; writes the same map (as read by this client) to scale-write-py-SIZE.
Client CPU is time.process_time, per call, after a warm-up of CALLS/5 calls.
"""
import logging
import sys
import time

from vdk.plugin.control_cli_plugin.control_service_secrets_client import (
    ControlServiceSecretsServiceClient,
)

TEAM = "bench-team"


def main():
    url, op, size, calls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    logging.disable(logging.CRITICAL)
    client = ControlServiceSecretsServiceClient(url)
    secrets = client.read_secrets(f"scale-{size}", TEAM)
    assert len(secrets) >= 3
    if op == "read":
        call = lambda: client.read_secrets(f"scale-{size}", TEAM)
    else:
        call = lambda: client.write_secrets(f"scale-write-py-{size}", TEAM, secrets)
    for _ in range(calls // 5 + 1):
        call()
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call()
    wall = (time.perf_counter() - w0) * 1e6 / calls
    cpu = (time.process_time() - c0) * 1e6 / calls
    print(f"RESULT client=python op={op} size={size} calls={calls} cpu={cpu:.1f} wall={wall:.1f}")


if __name__ == "__main__":
    main()
