#!/usr/bin/env bash
# Benchmarks of `framechain run` and `status` (issue 3, SPEC §7).
#   1. a fully cached run of the 4-scene example against a bare process start (`framechain --version`);
#   2. a 1,000-scene plan: cold run throughput (latency 0), warm status and warm run, peak memory;
#   3. latency 300 ms, 4 scenes: --jobs 4 against --jobs 1 and against the ideal 5 x 300 ms.
# Needs hyperfine and GNU time (apt-get install -y hyperfine time). FRAMECHAIN=path/to/binary overrides the
# release build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FRAMECHAIN:-}" ]; then
    swift build -c release >/dev/null
    FRAMECHAIN="$(swift build -c release --show-bin-path)/framechain"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

echo "== 1. cached run of the 4-scene example vs --version"
"$FRAMECHAIN" run fixtures/plans/perfume-ad.json --store "$work/s1" >/dev/null
hyperfine -N --warmup 5 --runs 50 --export-json "$work/h1.json" \
    "$FRAMECHAIN --version" \
    "$FRAMECHAIN run fixtures/plans/perfume-ad.json --store $work/s1"
python3 - "$work/h1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(f"cached run / --version = {r[1]['mean'] / r[0]['mean']:.2f}x "
      f"({r[1]['mean']*1000:.1f} ms vs {r[0]['mean']*1000:.1f} ms)")
PY

echo "== 2. 1,000 scenes"
python3 - "$work/big.json" <<'PY'
import json, sys
scenes = [{"reference": f"a lighthouse on a cliff, scene {i}", "start": f"waves rise, scene {i}",
           "end": f"beam sweeps the sea, scene {i}", "continuity": f"same storm as scene {i-1}"} for i in range(1, 1001)]
plan = {"format": "framechain.plan/v1", "name": "big", "initial_reference": "perfume-ad/../../images/bottle.png",
        "generator": {"backend": "procedural", "model": "procedural-v1", "params": {"width": 64, "height": 96},
                      "options": {"latency_ms": 0}},
        "consistency": {"subject_description": "a white lighthouse", "style": "oil painting"}, "scenes": scenes}
json.dump(plan, open(sys.argv[1], "w"))
PY
mkdir -p "$work/perfume-ad"
cp fixtures/images/bottle.png "$work/bottle.png"
sed -i 's#perfume-ad/../../images/bottle.png#bottle.png#' "$work/big.json"
/usr/bin/time -v "$FRAMECHAIN" run "$work/big.json" --store "$work/s2" --jobs 4 >/dev/null 2>"$work/cold.txt"
grep -E 'Elapsed|Maximum resident' "$work/cold.txt" | sed 's/^\s*/cold run: /'
/usr/bin/time -v "$FRAMECHAIN" status "$work/big.json" --store "$work/s2" >/dev/null 2>"$work/status.txt"
grep -E 'Elapsed|Maximum resident' "$work/status.txt" | sed 's/^\s*/warm status: /'
/usr/bin/time -v "$FRAMECHAIN" run "$work/big.json" --store "$work/s2" >/dev/null 2>"$work/warm.txt"
grep -E 'Elapsed|Maximum resident' "$work/warm.txt" | sed 's/^\s*/warm run: /'
hyperfine -N --warmup 1 --runs 5 \
    "$FRAMECHAIN status $work/big.json --store $work/s2" \
    "$FRAMECHAIN run $work/big.json --store $work/s2"

echo "== 3. latency 300 ms, 4 scenes: --jobs 4 vs --jobs 1 (ideal 5 x 300 ms = 1.5 s)"
sed 's/"latency_ms": 0/"latency_ms": 300/' fixtures/plans/perfume-ad.json > "$work/perfume-ad/slow.json"
sed -i 's#"../images/bottle.png"#"../bottle.png"#' "$work/perfume-ad/slow.json"
hyperfine -N --runs 3 --export-json "$work/h3.json" \
    --prepare "rm -rf $work/s3" "$FRAMECHAIN run $work/perfume-ad/slow.json --store $work/s3 --jobs 4" \
    --prepare "rm -rf $work/s3" "$FRAMECHAIN run $work/perfume-ad/slow.json --store $work/s3 --jobs 1"
python3 - "$work/h3.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
j4, j1 = r[0]["mean"], r[1]["mean"]
print(f"--jobs 4: {j4:.2f} s = {j4/1.5:.2f}x ideal; --jobs 1: {j1:.2f} s; jobs1/jobs4 = {j1/j4:.2f}x")
PY
