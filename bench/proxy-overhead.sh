#!/usr/bin/env bash
# Proxy overhead (issue 11): a cached OpenAI generation answered by `framechain serve` against the same request
# answered directly by the loopback stand-in (Tests/BackendsTests/Servers/fake_provider.py), with wrk.
#   1. latency, 1 connection: median and p99 through the proxy (a hit) and direct;
#   2. throughput, 8 connections: requests/s on hits through the proxy, and direct.
# Needs wrk (apt-get install -y wrk). FRAMECHAIN=path/to/binary overrides the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FRAMECHAIN:-}" ]; then
    swift build -c release --product framechain >/dev/null
    FRAMECHAIN="$(swift build -c release --show-bin-path)/framechain"
fi
command -v wrk >/dev/null || { echo "missing tool: wrk (apt-get install -y wrk)" >&2; exit 1; }
DURATION="${DURATION:-10s}"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15-minute load average at start)"

python3 Tests/BackendsTests/Servers/fake_provider.py --port 0 >"$work/stand.port" &
pids+=($!)
until [ -s "$work/stand.port" ]; do sleep 0.05; done
stand="http://127.0.0.1:$(head -1 "$work/stand.port")"
"$FRAMECHAIN" serve --listen 127.0.0.1:0 --store "$work/store" --upstream-openai "$stand/v1" >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
until grep -q listening "$work/serve.out" 2>/dev/null; do sleep 0.05; done
proxy="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out")"

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model": "gpt-image-1", "prompt": "a glass perfume bottle on black sand", "size": "1024x1024"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
LUA
# Record once, so that every request of the benchmark is a hit.
curl -s -o /dev/null -w "first call (a miss, recorded): HTTP %{http_code}\n" -X POST "$proxy/v1/images/generations" \
    -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-bench' \
    -d '{"model": "gpt-image-1", "prompt": "a glass perfume bottle on black sand", "size": "1024x1024"}'

run() {  # name connections url
    wrk -t "$(( $2 < 2 ? 1 : 2 ))" -c "$2" -d "$DURATION" --latency -s "$work/post.lua" "$3/v1/images/generations" \
        >"$work/$1.txt"
    local median p99 rps
    median="$(awk '$1 == "50%" {print $2}' "$work/$1.txt")"
    p99="$(awk '$1 == "99%" {print $2}' "$work/$1.txt")"
    rps="$(awk '/^Requests\/sec/ {print $2}' "$work/$1.txt")"
    local errors
    errors="$(grep -E 'Non-2xx|Socket errors' "$work/$1.txt" || true)"
    echo "$1: median $median  p99 $p99  $rps req/s ${errors:+ ($errors)}"
}
echo "== 1. latency, 1 connection, $DURATION each"
run "proxy-hit-c1" 1 "$proxy"
run "stand-in-direct-c1" 1 "$stand"
echo "== 2. throughput, 8 connections, $DURATION each"
run "proxy-hit-c8" 8 "$proxy"
run "stand-in-direct-c8" 8 "$stand"
upstream_calls="$(curl -s "$stand/_log" | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["path"] == "/v1/images/generations" and r["headers"].get("user-agent") == "framechain-serve"))')"
echo "upstream calls made by the proxy: $upstream_calls (1 expected: every benchmark request was a hit)"
