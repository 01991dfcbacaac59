#!/usr/bin/env bash
# Storing: one `framechain blob put` of 1,000 files of 1 MiB into a fresh store, vs `dd bs=1M conv=fsync`
# writing the same 1,000 files (the cost of durably writing the bytes, with no hashing or database).
# Usage: bench/put.sh            (FRAMECHAIN=path/to/framechain, COUNT=1000, RUNS=5)
source "$(dirname "$0")/common.sh" hyperfine python3 dd

COUNT="${COUNT:-1000}"
RUNS="${RUNS:-5}"
machine
echo "input:   $COUNT files of 1 MiB of random bytes, page cache warm"
mkdir -p "$WORK/in"
for i in $(seq 1 "$COUNT"); do head -c 1048576 /dev/urandom >"$WORK/in/$i"; done
cat "$WORK"/in/* >/dev/null

cat >"$WORK/dd.sh" <<SCRIPT
set -e
mkdir -p "$WORK/dd"
for f in "$WORK"/in/*; do dd if="\$f" of="$WORK/dd/\${f##*/}" bs=1M conv=fsync status=none; done
SCRIPT

hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$WORK/put.json" \
    --prepare "rm -rf '$WORK/store' '$WORK/dd'; sync" \
    --command-name "framechain blob put ($COUNT x 1 MiB)" "'$FRAMECHAIN' blob put --store '$WORK/store' '$WORK'/in/* >/dev/null" \
    --command-name "dd bs=1M conv=fsync ($COUNT x 1 MiB)" "bash '$WORK/dd.sh'"

echo
for stat in mean min; do
    framechain_s=$(mean_of "$WORK/put.json" 0 $stat)
    dd_s=$(mean_of "$WORK/put.json" 1 $stat)
    echo "[$stat] framechain blob put: $(printf %.3f "$framechain_s") s, dd: $(printf %.3f "$dd_s") s, framechain / dd time: $(ratio "$framechain_s" "$dd_s")x"
done
