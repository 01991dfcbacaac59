#!/bin/sh
# verify throughput: `framechain verify` on a store of SIZE_MIB (default 2048) MiB of 4 MiB random blobs, against
# `sha256sum` of the same blob files in the same run (both warm: each is run once before it is timed).
# Usage: bench/verify-throughput.sh [FRAMECHAIN] [SIZE_MIB]
set -eu
FRAMECHAIN=${1:-.build-audit/debug/framechain}
SIZE_MIB=${2:-2048}
WORK=$(mktemp -d /tmp/framechain-verify-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
COUNT=$((SIZE_MIB / 4))
mkdir "$WORK/files"
i=0
while [ $i -lt $COUNT ]; do
    head -c 4194304 /dev/urandom > "$WORK/files/f$i"
    i=$((i + 1))
done
"$FRAMECHAIN" blob put --store "$WORK/store" "$WORK"/files/* > /dev/null
rm -rf "$WORK/files"
BLOBS=$(find "$WORK/store/blobs" -type f | wc -l)
echo "store: $BLOBS blobs, $(du -sm "$WORK/store/blobs" | cut -f1) MiB, $(nproc) cores"
now() { date +%s.%N; }
find "$WORK/store/blobs" -type f -print0 | xargs -0 sha256sum > /dev/null
"$FRAMECHAIN" verify --store "$WORK/store" > /dev/null
P=$(nproc)
timed() {  # label, command…: prints "label S s (R MiB/s)"
    label=$1; shift
    t0=$(now); "$@" > /dev/null; t1=$(now)
    echo "$t0 $t1" | awk -v mib="$SIZE_MIB" -v l="$label" '{ printf "  %-34s %6.2f s  %5.0f MiB/s\n", l, $2 - $1, mib / ($2 - $1) }'
}
files() { find "$WORK/store/blobs" -type f -print0; }
for round in 1 2 3; do
    echo "round $round:"
    timed "sha256sum (1 process)" sh -c "find '$WORK/store/blobs' -type f -print0 | xargs -0 sha256sum"
    timed "sha256sum (xargs -P $P)" sh -c "find '$WORK/store/blobs' -type f -print0 | xargs -0 -P $P -n 32 sha256sum"
    timed "openssl dgst -sha256 (xargs -P $P)" sh -c "find '$WORK/store/blobs' -type f -print0 | xargs -0 -P $P -n 32 openssl dgst -sha256"
    timed "framechain verify (default jobs)" "$FRAMECHAIN" verify --store "$WORK/store"
    timed "framechain verify --jobs 1" "$FRAMECHAIN" verify --store "$WORK/store" --jobs 1
done
