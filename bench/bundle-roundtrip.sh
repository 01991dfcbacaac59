#!/bin/sh
# Export and import of a run of SCENES scenes (default 334, i.e. 1,002 images of WIDTHxHEIGHT, default 256x256,
# made by bench/png-generator.py): wall time and peak memory (/usr/bin/time -v), then replay and verify of the
# imported run. Usage: bench/bundle-roundtrip.sh [FRAMECHAIN] [SCENES] [WIDTH] [HEIGHT]
set -eu
FRAMECHAIN=$(realpath "${1:-.build-audit/debug/framechain}")
SCENES=${2:-334}
WIDTH=${3:-256}
HEIGHT=${4:-256}
HERE=$(dirname "$(realpath "$0")")
WORK=$(mktemp -d /tmp/framechain-bundle-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 "$HERE/make-plan.py" "$SCENES" "$WORK/plan.json" "$WIDTH" "$HEIGHT"
cd "$WORK"
t0=$(date +%s)
"$FRAMECHAIN" run plan.json --store a --jobs 2 --out out-a > /dev/null
echo "generated $(ls out-a | grep -c png) images in $(( $(date +%s) - t0 )) s; store blobs $(du -sk a/blobs | cut -f1) KiB"
measure() {
    label=$1; shift
    /usr/bin/time -v "$@" > "$WORK/out.txt" 2> "$WORK/time.txt"
    wall=$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
    echo "$label: wall $wall, peak RSS $((rss / 1024)) MiB  ($(cat "$WORK/out.txt"))"
}
measure export "$FRAMECHAIN" export latest --store a --to bundle.sqlite
echo "bundle: $(du -k bundle.sqlite | cut -f1) KiB"
measure "import into an empty store" "$FRAMECHAIN" import bundle.sqlite --store b
measure "import again (all present)" "$FRAMECHAIN" import bundle.sqlite --store b
measure "replay of the imported run" "$FRAMECHAIN" replay latest --store b --out out-b
measure "verify of the imported store" "$FRAMECHAIN" verify --store b
for f in out-a/*.png; do cmp -s "$f" "out-b/$(basename "$f")" || { echo "DIFFERENT: $f"; exit 1; }; done
cmp -s out-a/manifest.json out-b/manifest.json && echo "replayed outputs and manifest byte-identical"
