#!/usr/bin/env bash
# Benchmarks of the clip stage (issue 13):
#   1. clip ingest: `framechain blob put` of a SIZE_MIB MiB MP4-shaped file into a fresh store (the path a generated
#      clip takes: streamed, hashed while staged, fsynced, renamed) against `sha256sum` of the same file;
#   2. warm `status` of a SCENES-scene plan with a clip per scene against the same plan without clips.
# Needs hyperfine, ffmpeg and python3. FRAMECHAIN=path/to/binary overrides the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FRAMECHAIN:-}" ]; then
    swift build -c release >/dev/null
    FRAMECHAIN="$(swift build -c release --show-bin-path)/framechain"
fi
SIZE_MIB=${SIZE_MIB:-512}
SCENES=${SCENES:-100}
RUNS=${RUNS:-10}
work="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/framechain-clip-bench-XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== 1. clip ingest of $SIZE_MIB MiB vs sha256sum"
python3 - "$work/clip.mp4" "$SIZE_MIB" <<'PY'
import os, struct, sys
path, size = sys.argv[1], int(sys.argv[2]) << 20
ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 0x200) + b"isomiso2"
with open(path, "wb") as f:
    f.write(ftyp + struct.pack(">I", size - len(ftyp)) + b"free")
    left = size - len(ftyp) - 8
    while left > 0:
        chunk = os.urandom(min(left, 8 << 20))
        f.write(chunk)
        left -= len(chunk)
PY
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$work/h1.json" \
    --prepare "rm -rf $work/store" \
    "sha256sum $work/clip.mp4" \
    "$FRAMECHAIN blob put $work/clip.mp4 --store $work/store"
python3 - "$work/h1.json" "$SIZE_MIB" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
size = int(sys.argv[2])
for name, result in zip(["sha256sum", "blob put (ingest)"], r):
    print(f"{name}: mean {result['mean']:.3f} s, min {result['min']:.3f} s = {size / result['min']:.0f} MiB/s at best")
print(f"ingest / sha256sum = {r[1]['mean'] / r[0]['mean']:.2f}x (mean), {r[1]['min'] / r[0]['min']:.2f}x (min)")
PY

echo "== 2. warm status, $SCENES scenes, with and without clips"
python3 bench/make-clip-plan.py "$SCENES" "$work/frames.json" frames
python3 bench/make-clip-plan.py "$SCENES" "$work/clips.json" clips
t0=$(date +%s)
"$FRAMECHAIN" run "$work/clips.json" --store "$work/s2" --jobs 2 >/dev/null
"$FRAMECHAIN" run "$work/frames.json" --store "$work/s2" --jobs 2 >/dev/null
echo "cold runs: $(( $(date +%s) - t0 )) s"
hyperfine -N --warmup 3 --runs "$((RUNS * 3))" --export-json "$work/h2.json" \
    "$FRAMECHAIN status $work/frames.json --store $work/s2" \
    "$FRAMECHAIN status $work/clips.json --store $work/s2"
python3 - "$work/h2.json" "$SCENES" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
n = int(sys.argv[2])
print(f"without clips ({3 * n} links): mean {r[0]['mean'] * 1000:.1f} ms, min {r[0]['min'] * 1000:.1f} ms")
print(f"with clips ({4 * n} links): mean {r[1]['mean'] * 1000:.1f} ms, min {r[1]['min'] * 1000:.1f} ms")
print(f"with / without = {r[1]['mean'] / r[0]['mean']:.2f}x (mean), {r[1]['min'] / r[0]['min']:.2f}x (min)")
PY
