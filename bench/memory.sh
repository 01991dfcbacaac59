#!/usr/bin/env bash
# Peak memory: maximum resident set size (/usr/bin/time -v) of `blob hash` and `blob put` of a 64 MiB and a
# 1 GiB file. Streaming means the peak must not grow with the file size.
# Usage: bench/memory.sh          (FRAMECHAIN=path/to/framechain)
source "$(dirname "$0")/common.sh" python3
[[ -x /usr/bin/time ]] || { echo "missing /usr/bin/time (apt-get install -y time)" >&2; exit 1; }

machine
head -c $((64 * 1024 * 1024)) /dev/urandom >"$WORK/64MiB.bin"
head -c $((1024 * 1024 * 1024)) /dev/urandom >"$WORK/1GiB.bin"

peak_kib() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'; }

printf '%-12s %-8s %s\n' command file "peak RSS (KiB)"
for command in hash put; do
    for size in 64MiB 1GiB; do
        rm -rf "$WORK/store"
        if [[ $command == hash ]]; then
            kib=$(peak_kib "$FRAMECHAIN" blob hash "$WORK/$size.bin")
        else
            kib=$(peak_kib "$FRAMECHAIN" blob put --store "$WORK/store" "$WORK/$size.bin")
        fi
        printf '%-12s %-8s %s\n' "blob $command" "$size" "$kib"
    done
done
printf '%-12s %-8s %s\n' "--version" "-" "$(peak_kib "$FRAMECHAIN" --version)"
