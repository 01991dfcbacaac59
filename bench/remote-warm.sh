#!/usr/bin/env bash
# Benchmark of the remote cache (issue 12): a warm run of a 100-scene plan from a cold local store against a
# loopback nginx WebDAV remote (the configuration of docs/REMOTE.md), against a warm local run plus the time to
# transfer the same bytes, and the requests the remote run made (nginx's access log).
# Goal: one record GET and one blob GET per link, under 2x (local warm run + transfer time).
# Needs hyperfine, curl, nginx and libnginx-mod-http-dav-ext. FRAMECHAIN=path/to/binary overrides the release build.
set -euo pipefail
. "$(dirname "$0")/common.sh" hyperfine curl nginx python3
SCENES="${SCENES:-100}"
machine

# nginx on a free loopback port, its root writable by its workers (which run as nobody).
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
chmod 755 "$WORK"
mkdir -p "$WORK/nginx/root/cache" "$WORK/nginx/temp"
chmod 777 "$WORK/nginx/root" "$WORK/nginx/root/cache"
module=/usr/lib/nginx/modules/ngx_http_dav_ext_module.so
cat > "$WORK/nginx/nginx.conf" <<CONF
$( [[ -f $module ]] && echo "load_module $module;" )
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx/root/.upload;
    proxy_temp_path $WORK/nginx/temp; fastcgi_temp_path $WORK/nginx/temp;
    uwsgi_temp_path $WORK/nginx/temp; scgi_temp_path $WORK/nginx/temp;
    server {
        listen 127.0.0.1:$port;
        root $WORK/nginx/root;
        client_max_body_size 1g;
        location /cache/ {
            dav_methods PUT DELETE;
            dav_ext_methods PROPFIND OPTIONS;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
        }
    }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
remote="http://127.0.0.1:$port/cache"

# A 100-scene procedural plan (300 links, 256x256 PNGs).
python3 - "$WORK/plan.json" "$SCENES" <<'PY'
import json, sys
n = int(sys.argv[2])
scenes = [{"reference": f"a lighthouse on a cliff, scene {i}", "start": f"waves rise, scene {i}",
           "end": f"beam sweeps the sea, scene {i}"} for i in range(1, n + 1)]
json.dump({"format": "framechain.plan/v1", "name": "remote-bench",
           "generator": {"backend": "procedural", "model": "procedural-v1", "params": {"width": 256, "height": 256}},
           "consistency": {"subject_description": "a white lighthouse", "style": "oil painting"}, "scenes": scenes},
          open(sys.argv[1], "w"))
PY

echo "== cold run of $SCENES scenes on store A, uploading to $remote"
"$FRAMECHAIN" run "$WORK/plan.json" --store "$WORK/A" --remote "$remote" | tail -1
bytes="$(du -sb "$WORK/nginx/root/cache" | cut -f1)"
echo "remote holds $(find "$WORK/nginx/root/cache" -type f | wc -l) files, $bytes bytes"

echo "== requests made by one warm run from a cold store (nginx access log)"
: > "$WORK/nginx/access.log"
"$FRAMECHAIN" run "$WORK/plan.json" --store "$WORK/B" --remote "$remote" | tail -1
awk '{ print $6, $9 }' "$WORK/nginx/access.log" | tr -d '"' | sort | uniq -c

# Every record and blob, fetched by curl over one connection per file list (the transfer time of the bytes).
( cd "$WORK/nginx/root/cache" && find ac cas -type f | sed "s#^#url = $remote/#; s#\$#\noutput = /dev/null#" ) \
    > "$WORK/curl.conf"

# Each remote run starts from a store directory that does not exist. The previous one is moved aside, not deleted:
# on ext4 without a journal (this machine's disk) creating an inode scans the inode table for ones deleted in the
# last seconds (recently_deleted), and 400 inodes deleted just before made the run it measured 1.5-2x slower; a
# user's new store does not follow a mass deletion. PREPARE=rm measures it the harsh way.
mkdir -p "$WORK/trash"
if [[ "${PREPARE:-move}" == rm ]]; then
    fresh="rm -rf $WORK/C"
else
    fresh="bash -c 'mv $WORK/C $WORK/trash/\$(date +%s%N) 2>/dev/null || true'"
fi

echo "== timings"
hyperfine -N --warmup 1 --runs "${RUNS:-10}" --export-json "$WORK/h.json" \
    --prepare "true" --prepare "$fresh" --prepare "true" \
    "$FRAMECHAIN run $WORK/plan.json --store $WORK/A" \
    "$FRAMECHAIN run $WORK/plan.json --store $WORK/C --remote $remote" \
    "curl -s -K $WORK/curl.conf"
local_warm="$(mean_of "$WORK/h.json" 0)"
remote_warm="$(mean_of "$WORK/h.json" 1)"
transfer="$(mean_of "$WORK/h.json" 2)"
python3 - "$local_warm" "$remote_warm" "$transfer" <<'PY'
import sys
local, remote, transfer = map(float, sys.argv[1:])
print(f"local warm run {local*1000:.0f} ms; transfer of every record and blob {transfer*1000:.0f} ms; "
      f"warm run from a cold store against the remote {remote*1000:.0f} ms")
print(f"remote warm / (local warm + transfer) = {remote / (local + transfer):.2f}x (goal < 2x)")
PY
