#!/usr/bin/env python3
"""A `command`-backend generator for benchmarks and demos: reads the framechain request on stdin and writes a
real, deterministic PNG to stdout. The background colour comes from the request's hash, a band across the middle
from the input image's digest, so the links of a chain visibly connect. Size: params.width x params.height."""
import hashlib, json, struct, sys, zlib

raw = sys.stdin.buffer.read()
request = json.loads(raw)
params = request.get("params", {})
width, height = int(params.get("width", 128)), int(params.get("height", 128))
# Only the request as hashed (without input_files/node) decides the image.
hashed = {k: request[k] for k in ("format", "generator", "params", "prompt", "inputs", "take") if k in request}
own = hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).digest()
inputs = request.get("inputs") or []
band = bytes.fromhex(inputs[0][7:13]) if inputs else bytes([240, 240, 240])
rows = bytearray()
for y in range(height):
    rows.append(0)
    in_band = height // 3 <= y < 2 * height // 3
    for x in range(width):
        if in_band and width // 8 <= x < 7 * width // 8:
            rows += band
        else:
            rows += bytes(((own[0] + x) % 256, (own[1] + y) % 256, own[2]))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b"")
sys.stdout.buffer.write(png)
