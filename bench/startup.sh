#!/usr/bin/env bash
# Start-up cost of a bare `framechain --version` against `true`, and of a cached 4-scene run, measured in the
# same run with hyperfine (min and median wall time) and perf stat (CPU time, which a loaded machine does not
# inflate). Usage: FRAMECHAIN=dist/framechain bench/startup.sh   (build it with scripts/release.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(readlink -f "${FRAMECHAIN:-dist/framechain}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" run --store "$work/store" fixtures/plans/perfume-ad.json >/dev/null
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N --warmup 5 --runs "${RUNS:-200}" --export-json "$work/h.json" \
    "$bin --version" "true" "$bin run --store $work/store fixtures/plans/perfume-ad.json" >/dev/null
python3 - "$work/h.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
for r in results:
    print("%-70s min %6.1f ms  median %6.1f ms  user+sys %5.1f ms" % (
        r["command"][-70:], r["min"] * 1e3, r["median"] * 1e3, (r["user"] + r["system"]) * 1e3))
version, true, cached = results
print("cached 4-scene run / --version (median): %.2fx" % (cached["median"] / version["median"]))
PY
if perf stat -e task-clock true 2>/dev/null; then
    perf stat -e task-clock -r 50 "$bin" --version 2>&1 >/dev/null | grep -E "task-clock"
fi
