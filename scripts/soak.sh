#!/usr/bin/env bash
# Crash soak (docs/RELIABILITY.md, "Crash soak"): runs the example storyboard on the slow command backend
# (scripts/slow-plan.py), SIGKILLs `framechain run` at KILLS random instants and resumes each time, then
# SIGKILLs `framechain gc` at GC_KILLS random instants. After every kill it checks the store with
# `framechain verify` and independently (sqlite3 PRAGMA integrity_check, sha256sum of every blob against its
# name, every blob row has its file and every blob file its row), and that every generation committed
# before the kill is still there with the same output.
#   scripts/soak.sh [KILLS] [GC_KILLS]       (defaults 20 and 10)
# FRAMECHAIN=path/to/framechain uses that binary (default: swift build, debug). Prints one summary line:
#   soak: K/K resumed, 0 corrupt, 0 lost; gc: G/G killed, 0 orphan rows, 0 orphan blobs
# and exits 1 if anything is corrupt, lost or orphaned. Needs python3, sqlite3, sha256sum.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-20}
gc_kills=${2:-10}
if [ -z "${FRAMECHAIN:-}" ]; then
    swift build >/dev/null
    FRAMECHAIN="$(swift build --show-bin-path)/framechain"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
store="$work/store"
export FRAMECHAIN_CALL_LOG="$work/calls" FRAMECHAIN_SLOW_MS=${FRAMECHAIN_SLOW_MS:-250}
corrupt=0 lost=0 resumed=0 variant=0 orphan_rows=0 orphan_blobs=0
# Reports a problem (at most 5 lines of it).
problem() { echo "soak: $*" | head -5 >&2; }

# Every generation as "key output", sorted.
generations() { sqlite3 "$store/framechain.sqlite" "SELECT key || ' ' || output FROM generations ORDER BY key"; }

# Independent checks of the store; prints one line per problem.
check_store() {
    local out
    out=$("$FRAMECHAIN" verify --store "$store" 2>&1) || echo "verify: $out"
    out=$(sqlite3 "$store/framechain.sqlite" "PRAGMA integrity_check") 
    [ "$out" = ok ] || echo "integrity_check: $out"
    sqlite3 "$store/framechain.sqlite" "SELECT substr(digest, 8) FROM blobs ORDER BY 1" >"$work/rows"
    find "$store/blobs/sha256" -type f -printf '%f\n' | sort >"$work/files"
    comm -23 "$work/rows" "$work/files" | sed 's/^/orphan row (no file): /'
    comm -13 "$work/rows" "$work/files" | sed 's/^/orphan blob (no row): /'
    find "$store/blobs/sha256" -type f -print0 | xargs -0 -r sha256sum | while read -r sum path; do
        [ "$sum" = "$(basename "$path")" ] || echo "corrupt blob: $path hashes to $sum"
    done
}

plan="$work/plan-0.json"
python3 scripts/slow-plan.py "$plan" "soak" "(variant 0)"
"$FRAMECHAIN" run "$plan" --store "$store" --jobs 2 >/dev/null 2>&1 &
sleep 0.5
kill -9 $! 2>/dev/null || true
wait $! 2>/dev/null || true
before=$(generations)

done_kills=0 attempts=0
while [ "$done_kills" -lt "$kills" ] && [ "$attempts" -lt $((kills * 5)) ]; do
    attempts=$((attempts + 1))
    # A plan whose links are all stored has nothing left to interrupt: move on to a new variant.
    if ! "$FRAMECHAIN" status "$plan" --store "$store" | grep -qE "^[a-z]+/[0-9]+ +(regenerate|pending)"; then
        variant=$((variant + 1))
        plan="$work/plan-$variant.json"
        python3 scripts/slow-plan.py "$plan" "soak" "(variant $variant)"
    fi
    "$FRAMECHAIN" run "$plan" --store "$store" --jobs 2 >"$work/run.out" 2>"$work/run.err" &
    pid=$!
    # A random instant between 0 and 1.5 s: during a generator call, a blob write, a commit or the start.
    sleep "$(python3 -c 'import random; print(round(random.uniform(0, 1.5), 3))')"
    if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        done_kills=$((done_kills + 1))
    else
        # It finished before the kill: it must have succeeded.
        if ! wait "$pid"; then problem "run failed on its own: $(cat "$work/run.err")"; corrupt=$((corrupt + 1)); fi
        continue
    fi
    found=$(check_store)
    if [ -n "$found" ]; then problem "after kill $done_kills: $found"; corrupt=$((corrupt + 1)); fi
    after=$(generations)
    missing=$(comm -23 <(echo "$before") <(echo "$after") | grep -c . || true)
    if [ "$missing" -gt 0 ]; then problem "after kill $done_kills: $missing committed generation(s) lost"; lost=$((lost + missing)); fi
    # Resume: the next run must start from what is stored (checked by the next iteration; the last one below).
    before=$after
    resumed=$((resumed + 1))
done

# The final resume runs to the end and reuses every committed link.
committed_before=$(generations | wc -l)
if ! "$FRAMECHAIN" run "$plan" --store "$store" --jobs 2 >"$work/run.out" 2>"$work/run.err"; then
    problem "final resume failed: $(cat "$work/run.err")"; resumed=$((resumed - 1))
fi
after=$(generations)
missing=$(comm -23 <(echo "$before") <(echo "$after") | grep -c . || true)
lost=$((lost + missing))
found=$(check_store)
if [ -n "$found" ]; then problem "after the final resume: $found"; corrupt=$((corrupt + 1)); fi

# gc: garbage (every run but the last deleted, 300 loose blobs per round), gc SIGKILLed at random instants.
gc_done=0 attempts=0
# The kill lands at a random instant within `window` seconds of the start; a gc that finishes first halves the
# window, so the kills land inside gc however fast this machine runs it.
window=0.1
while [ "$gc_done" -lt "$gc_kills" ] && [ "$attempts" -lt $((gc_kills * 20)) ]; do
    attempts=$((attempts + 1))
    ids=$("$FRAMECHAIN" runs --store "$store" | awk '$1 ~ /^[0-9]{8}-/ {print $1}' | tail -n +2 | head -5)
    if [ -n "$ids" ]; then "$FRAMECHAIN" runs delete $ids --store "$store" >/dev/null; fi
    mkdir -p "$work/loose"
    for i in $(seq 1 300); do echo "loose $gc_done $i $RANDOM" >"$work/loose/$i"; done
    "$FRAMECHAIN" blob put "$work"/loose/* --store "$store" >/dev/null
    delay=$(python3 -c "import random; print(round(random.uniform(0, $window), 4))")  # before the start: python is slow
    "$FRAMECHAIN" gc --generations --grace 0 --store "$store" >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        gc_done=$((gc_done + 1))
    else
        wait "$pid" || { problem "gc failed on its own"; corrupt=$((corrupt + 1)); }
        window=$(python3 -c "print(max($window / 2, 0.002))")
        continue
    fi
    found=$(check_store)
    if [ -n "$found" ]; then
        problem "after gc kill $gc_done: $found"
        orphan_rows=$((orphan_rows + $(echo "$found" | grep -c "^orphan row" || true)))
        orphan_blobs=$((orphan_blobs + $(echo "$found" | grep -c "^orphan blob" || true)))
        other=$(echo "$found" | grep -vc "^orphan" || true)
        corrupt=$((corrupt + other))
    fi
done
# The last run kept through every gc: still reusable in full.
"$FRAMECHAIN" gc --grace 0 --store "$store" >/dev/null
out=$("$FRAMECHAIN" run "$plan" --store "$store" 2>&1) || { problem "run after gc failed: $out"; corrupt=$((corrupt + 1)); }
echo "$out" | tail -1 | grep -q " 0 generated" || { problem "run after gc regenerated: $(echo "$out" | tail -1)"; lost=$((lost + 1)); }
found=$(check_store)
if [ -n "$found" ]; then problem "at the end: $found"; corrupt=$((corrupt + 1)); fi

echo "soak: $resumed/$kills resumed, $corrupt corrupt, $lost lost ($committed_before generations committed" \
    "over $((variant + 1)) plan variants, $(wc -l <"$work/calls") generator calls);" \
    "gc: $gc_done/$gc_kills killed, $orphan_rows orphan rows, $orphan_blobs orphan blobs"
[ "$corrupt" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$resumed" -eq "$kills" ] && [ "$orphan_rows" -eq 0 ] \
    && [ "$orphan_blobs" -eq 0 ]
