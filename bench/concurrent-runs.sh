#!/usr/bin/env bash
# Two `framechain run`s on one store at once against one run alone (issue 10, item 3).
# Plans: the example storyboard (12 links) on the slow command backend (scripts/slow-plan.py), each call
# sleeping SLOW_MS (default 0: the cost is framechain plus a python3 start; 300: a paid call's latency).
#   A  one run of plan one, alone                             12 links
#   B  runs of plan one and plan two (no key in common) at once 24 links
#   C  two runs of the same plan at once                       12 links, each generated once (leases)
# Throughput = links completed / wall time. Needs hyperfine. FRAMECHAIN as in bench/common.sh.
source "$(dirname "$0")/common.sh" hyperfine python3
slow=${SLOW_MS:-0}
runs=${RUNS:-5}
machine
echo "generator: scripts/slow-generator.py, FRAMECHAIN_SLOW_MS=$slow, --jobs 4"
python3 "$BENCH_ROOT/scripts/slow-plan.py" "$WORK/one.json" one "at dawn"
python3 "$BENCH_ROOT/scripts/slow-plan.py" "$WORK/two.json" two "at dusk"
export FRAMECHAIN_SLOW_MS=$slow FRAMECHAIN_CALL_LOG="$WORK/calls"
run="$FRAMECHAIN run --jobs 4 --store $WORK/store"
hyperfine -N --runs "$runs" --warmup 1 --prepare "rm -rf $WORK/store" --export-json "$WORK/h.json" \
    -n alone "$run $WORK/one.json" \
    -n "two plans" "bash -c '$run $WORK/one.json >/dev/null & $run $WORK/two.json >/dev/null & wait'" \
    -n "same plan" "bash -c '$run $WORK/one.json >/dev/null & $run $WORK/one.json >/dev/null & wait'" >/dev/null
alone=$(mean_of "$WORK/h.json" 0)
two=$(mean_of "$WORK/h.json" 1)
same=$(mean_of "$WORK/h.json" 2)
python3 - "$alone" "$two" "$same" <<'PY'
import sys
alone, two, same = map(float, sys.argv[1:])
print(f"A one run alone:        {alone:.3f} s, {12 / alone:6.1f} links/s")
print(f"B two plans at once:    {two:.3f} s, {24 / two:6.1f} links/s  ({24 / two / (12 / alone):.2f}x the throughput of A)")
print(f"C same plan twice:      {same:.3f} s  ({same / alone:.2f}x the time of A; 12 generator calls, not 24)")
PY
# Check C's claim on the last round: one generator call per link.
rm -rf "$WORK/store" "$WORK/calls"
$run "$WORK/one.json" >/dev/null & $run "$WORK/one.json" >/dev/null & wait
echo "generator calls for two runs of the same plan at once: $(wc -l <"$WORK/calls")"
