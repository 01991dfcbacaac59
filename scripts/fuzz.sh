#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS over its seed corpus (docs/RELIABILITY.md, "Fuzzing").
#   scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags...]
# TARGET: json | plan | png | bundle | replicate | openai (or all: each for SECONDS, one after the other).
# Builds with -sanitize=fuzzer,address into .build-fuzz (never the ordinary .build). New inputs that grow
# coverage go to .build-fuzz/corpus/TARGET (the checked-in seeds in fuzz/corpus/TARGET stay as they are);
# crashes, hangs (> 1 s: -timeout=1) and leaks are written to .build-fuzz/artifacts/TARGET/ and fail the script.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
shift 2
targets=(json plan png bundle replicate openai)
if [[ $target == all ]]; then
    for name in "${targets[@]}"; do "$0" "$name" "$seconds" "$@"; done
    exit 0
fi
case $target in
    json) product=FuzzJSON ;; plan) product=FuzzPlan ;; png) product=FuzzPNG ;;
    bundle) product=FuzzBundle ;; replicate) product=FuzzReplicate ;; openai) product=FuzzOpenAI ;;
    *) echo "fuzz.sh: unknown target '$target' (one of: ${targets[*]} all)" >&2; exit 2 ;;
esac
export FRAMECHAIN_FUZZ=1
swift build --scratch-path .build-fuzz --product "$product" -Xswiftc -sanitize=fuzzer,address >/dev/null \
    || swift build --scratch-path .build-fuzz --product "$product" -Xswiftc -sanitize=fuzzer,address
binary=$(swift build --scratch-path .build-fuzz --product "$product" -Xswiftc -sanitize=fuzzer,address \
    --show-bin-path)/$product
work=.build-fuzz/corpus/$target
artifacts=.build-fuzz/artifacts/$target
mkdir -p "$work" "$artifacts"
# Swift's own crash backtracer is slow and adds nothing to ASan's report.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export FRAMECHAIN_FUZZ_SCRATCH="$PWD/.build-fuzz/scratch/$target"
rm -rf "$FRAMECHAIN_FUZZ_SCRATCH" && mkdir -p "$FRAMECHAIN_FUZZ_SCRATCH"
trap 'rm -rf "$FRAMECHAIN_FUZZ_SCRATCH"' EXIT
"$binary" "$work" "fuzz/corpus/$target" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$@"
