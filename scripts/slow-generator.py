#!/usr/bin/env python3
"""A slow `command`-backend generator for the crash soak, the concurrency tests and bench/concurrent-runs.sh.

Reads the framechain request on stdin, appends one line (the node and the request's hash) to the file named by
$FRAMECHAIN_CALL_LOG when set (so a test counts the paid calls), sleeps $FRAMECHAIN_SLOW_MS milliseconds
(default 300), then writes a deterministic PNG (params.width x params.height, default 64 x 64) to stdout."""
import hashlib, json, os, struct, sys, time, zlib

raw = sys.stdin.buffer.read()
request = json.loads(raw)
hashed = {k: request[k] for k in ("format", "generator", "params", "prompt", "inputs", "take") if k in request}
own = hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).digest()
log = os.environ.get("FRAMECHAIN_CALL_LOG")
if log:
    with open(log, "a") as f:
        f.write("%s %s %d\n" % (request.get("node", "?"), own.hex()[:16], os.getpid()))
time.sleep(int(os.environ.get("FRAMECHAIN_SLOW_MS", "300")) / 1000)
params = request.get("params", {})
width, height = int(params.get("width", 64)), int(params.get("height", 64))
inputs = request.get("inputs") or []
band = bytes.fromhex(inputs[0][7:13]) if inputs else bytes([240, 240, 240])
rows = bytearray()
for y in range(height):
    rows.append(0)
    for x in range(width):
        rows += band if height // 3 <= y < 2 * height // 3 else bytes(((own[0] + x) % 256, (own[1] + y) % 256, own[2]))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b"")
sys.stdout.buffer.write(png)
