#!/usr/bin/env bash
# The Go columns of benches/scaling.sh (issue 15) with the C ABI beside them, without Java and
# Python: what ReadSecrets costs above the C ABI's read of the same map, against what
# encoding/json.Unmarshal of the same bytes into a map[string]any costs alone (the target:
# no more). Interleaved rounds against one local Control Service.
#
#   bindings/go/bench/scaling.sh     (VDK_BENCH_ROUNDS, default 5)
#
# Per round and size: benches/c/scaling_bench.c read (C ABI), then bench/scaling -op read
# (ReadSecrets into Secrets), -op read-json (ReadSecretsJSON) and -op decode
# (encoding/json alone, no call). Client CPU µs per call; raw lines in
# target/bench-go-scaling.raw.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# shellcheck source=benches/lib/service.sh
. "$root/benches/lib/service.sh"
ROUNDS=${VDK_BENCH_ROUNDS:-5}
work=$(mktemp -d)
service_pid=
trap 'kill $service_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

(cd "$root" && cargo build --release -q -p vdk-secrets -p vdk-control-service)
cc -O2 -std=c11 -Wall -Wextra -Werror -pedantic -pthread -I "$root/include" "$root/benches/c/scaling_bench.c" \
  "$root/target/release/libvdk_secrets.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o "$work/scaling_bench"
(cd "$here/.." && go build -o "$work/go_scaling" ./bench/scaling)

"$root/target/release/vdk-control-service" --listen 127.0.0.1:0 >"$work/service.out" &
service_pid=$!
url=$(service_url "$work/service.out")
"$work/scaling_bench" seed "$url"

echo "== $(date -u +%FT%TZ) $(nproc) cores, $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
raw=$root/target/bench-go-scaling.raw.txt
: >"$raw"
sizes=(300B 10KB 100KB 1MB)
c_calls=(3000 2000 1000 100)
go_calls=(3000 1000 300 30)
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!sizes[@]}"; do
    size=${sizes[$i]}
    "$work/scaling_bench" read "$url" "$size" "${c_calls[$i]}" | sed "s/^/round=$round /" >>"$raw"
    for op in read read-json decode; do
      "$work/go_scaling" -url "$url" -op "$op" -size "$size" -calls "${go_calls[$i]}" | sed "s/^/round=$round /" >>"$raw"
    done
  done
  echo "round $round/$ROUNDS done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
echo "== end $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$raw" <<'PY'
import statistics, sys
from collections import defaultdict
cpu = defaultdict(dict)  # (client, op, size) -> round -> µs
for line in open(sys.argv[1]):
    f = dict(x.split("=", 1) for x in line.split() if "=" in x)
    if "round" in f and "cpu" in f:
        cpu[(f["client"], f["op"], f["size"])][f["round"]] = float(f["cpu"])
med = statistics.median
rounds = sorted(cpu[("c", "read", "300B")], key=int)
print(f"\n{len(rounds)} interleaved rounds; client CPU µs per call, medians; in brackets the range over rounds of ratios taken within each round.\n")
print("| size | C ABI read | Go `ReadSecrets` | Go above C | `encoding/json` decode alone | above C / decode | Go `ReadSecretsJSON` |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for size in ("300B", "10KB", "100KB", "1MB"):
    c = cpu[("c", "read", size)]; g = cpu[("go", "read", size)]
    d = cpu[("go", "decode", size)]; j = cpu[("go", "read-json", size)]
    above = {r: g[r] - c[r] for r in rounds}
    ratio = [above[r] / d[r] for r in rounds]
    print(f"| {size} | {med(c.values()):,.1f} | {med(g.values()):,.1f} | {med(above.values()):,.1f} | "
          f"{med(d.values()):,.1f} | {med(ratio):.2f}x ({min(ratio):.2f}x–{max(ratio):.2f}x) | {med(j.values()):,.1f} |")
PY
