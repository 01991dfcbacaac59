# Shared setup for the benchmark scripts; sourced, not run.
# FRAMECHAIN names the binary under test (default: the release build of this checkout).
set -euo pipefail

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRAMECHAIN="${FRAMECHAIN:-$BENCH_ROOT/.build/release/framechain}"
if [[ ! -x "$FRAMECHAIN" ]]; then
    echo "framechain binary not found at $FRAMECHAIN" >&2
    echo "build it with 'swift build -c release' or set FRAMECHAIN=/path/to/framechain" >&2
    exit 1
fi
for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y $tool)" >&2; exit 1; }
done

# A scratch directory on the same file system as the working directory's temp (override with BENCH_TMPDIR).
WORK="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/framechain-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

machine() {
    echo "machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(uname -sr)"
    echo "load:    $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime) (1/5/15-minute load average at start)"
    echo "binary:  $FRAMECHAIN ($("$FRAMECHAIN" --version))"
}

# The mean (or with a third argument "min", the fastest run) of result N of a hyperfine JSON export, in seconds.
mean_of() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])][sys.argv[3]])' \
        "$1" "$2" "${3:-mean}"
}

# a / b with three decimals.
ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.3f}")' "$1" "$2"; }
