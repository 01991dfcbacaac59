#!/usr/bin/env bash
# Scale of the core (issue 9): SCENES scenes (3 links each) of SIZE x SIZE procedural images.
# Cold run, then warm `status` and warm `run` (nothing to generate), each with wall time and peak RSS from
# GNU time, then hyperfine over the warm commands. With PROFILE=1 the cold run is recorded with `perf record`
# and the top symbols are printed (what limits a cold run).
# Usage: FRAMECHAIN=.build/release/framechain SCENES=10000 SIZE=16 bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(readlink -f "${FRAMECHAIN:-dist/framechain}")"
scenes="${SCENES:-10000}"
size="${SIZE:-16}"
work="${WORK:-$(mktemp -d)}"
[[ -n "${WORK:-}" ]] || trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $scenes scenes, ${size}x${size}"
cp fixtures/images/bottle.png "$work/bottle.png"
python3 - "$work/plan.json" "$scenes" "$size" <<'PY'
import json, sys
path, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
scenes = [{"reference": f"a lighthouse on a cliff, scene {i}", "start": f"waves rise, scene {i}",
           "end": f"beam sweeps the sea, scene {i}"} for i in range(1, n + 1)]
json.dump({"format": "framechain.plan/v1", "name": "scale", "initial_reference": "bottle.png",
           "generator": {"backend": "procedural", "model": "procedural-v1",
                         "params": {"width": size, "height": size}, "options": {"latency_ms": 0}},
           "consistency": {"subject_description": "a white lighthouse", "style": "oil painting"},
           "scenes": scenes}, open(path, "w"))
PY
measure() { # label, command...
    local label="$1"; shift
    /usr/bin/time -v "$@" >/dev/null 2>"$work/time.txt"
    printf '%-12s wall %s  peak RSS %s MB\n' "$label" \
        "$(grep 'Elapsed (wall' "$work/time.txt" | awk '{print $NF}')" \
        "$(grep 'Maximum resident' "$work/time.txt" | awk '{printf "%.0f", $NF/1024}')"
}
if [[ -n "${PROFILE:-}" ]]; then
    perf record -g -o "$work/perf.data" -- "$bin" run "$work/plan.json" --store "$work/store" --jobs 2 >/dev/null 2>&1
    perf report -i "$work/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -25
else
    measure "cold run" "$bin" run "$work/plan.json" --store "$work/store" --jobs 2
fi
measure "warm status" "$bin" status "$work/plan.json" --store "$work/store"
measure "warm run" "$bin" run "$work/plan.json" --store "$work/store"
hyperfine -N --warmup 1 --runs "${RUNS:-5}" \
    "$bin status $work/plan.json --store $work/store" \
    "$bin run $work/plan.json --store $work/store" 2>&1 | grep -E 'Benchmark|Time \(mean'
