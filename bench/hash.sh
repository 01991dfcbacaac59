#!/usr/bin/env bash
# Hashing throughput: `framechain blob hash` vs `openssl dgst -sha256` vs `sha256sum` on one 1 GiB file (page
# cache warm), plus `openssl speed -evp sha256` for the in-memory ceiling. SPEC §7 asks for >= 90 % of it.
# Usage: bench/hash.sh            (FRAMECHAIN=path/to/framechain, SIZE_MIB=1024, RUNS=5)
source "$(dirname "$0")/common.sh" hyperfine openssl sha256sum python3

SIZE_MIB="${SIZE_MIB:-1024}"
RUNS="${RUNS:-5}"
FILE="$WORK/data.bin"
machine
echo "file:    $SIZE_MIB MiB of random bytes, page cache warm"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$FILE"
cat "$FILE" >/dev/null

hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$WORK/hash.json" \
    --command-name "framechain blob hash" "'$FRAMECHAIN' blob hash '$FILE'" \
    --command-name "openssl dgst -sha256" "openssl dgst -sha256 '$FILE'" \
    --command-name "sha256sum" "sha256sum '$FILE'"

mib_per_s() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.0f}")' "$SIZE_MIB" "$1"; }
for stat in mean min; do
    framechain_s=$(mean_of "$WORK/hash.json" 0 $stat)
    openssl_s=$(mean_of "$WORK/hash.json" 1 $stat)
    sha256sum_s=$(mean_of "$WORK/hash.json" 2 $stat)
    echo
    echo "[$stat] throughput (MiB/s): framechain $(mib_per_s "$framechain_s"), openssl dgst $(mib_per_s "$openssl_s"), sha256sum $(mib_per_s "$sha256sum_s")"
    echo "[$stat] framechain / openssl dgst: $(ratio "$openssl_s" "$framechain_s")x"
    echo "[$stat] framechain / sha256sum:    $(ratio "$sha256sum_s" "$framechain_s")x"
done
framechain_s=$(mean_of "$WORK/hash.json" 0 mean)
framechain_min=$(mean_of "$WORK/hash.json" 0 min)
echo
echo "openssl speed -evp sha256 -bytes 1048576:"
speed=$(openssl speed -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null | awk '/^sha256/ {print $NF}')
speed_kb=${speed%k}
speed_mib=$(python3 -c 'import sys; print(f"{float(sys.argv[1]) * 1000 / 1048576:.0f}")' "$speed_kb")
echo "  ${speed} (1000s of bytes/s) = ${speed_mib} MiB/s"
vs_speed() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]) / float(sys.argv[3]):.3f}")' "$SIZE_MIB" "$1" "$speed_mib"; }
echo "[mean] framechain / openssl speed: $(vs_speed "$framechain_s")x"
echo "[min]  framechain / openssl speed: $(vs_speed "$framechain_min")x"
