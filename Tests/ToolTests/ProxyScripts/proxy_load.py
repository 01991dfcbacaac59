#!/usr/bin/env python3
"""Many clients at once against `framechain serve`: 8 threads, 200 requests, every distinct request sent twice.

Usage: proxy_load.py PROXY_BASE_URL [--clients 8] [--requests 200]

Half the distinct requests are Replicate predictions (data: URI input), half OpenAI generations. Duplicates are
queued next to each other, so they are usually in flight together. Prints one JSON line:
{"requests": N, "errors": [...], "distinct": D, "mismatched": [...]}; mismatched lists requests whose duplicates
got different images.
"""

import argparse
import base64
import hashlib
import json
import queue
import threading
import urllib.error
import urllib.request

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGPgEpEDIgYIBQAGTgDxOGMygQAAAABJRU5ErkJggg==")


def call(base, index):
    if index % 2 == 0:
        body = {"input": {"prompt": "load %d" % index, "image_input": [
            "data:image/png;base64," + base64.b64encode(PNG).decode()], "output_format": "png"}}
        request = urllib.request.Request(
            base + "/v1/models/google/nano-banana/predictions", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": "Bearer r8_load", "Prefer": "wait"})
        with urllib.request.urlopen(request, timeout=60) as response:
            output = json.load(response)["output"]
            return base64.b64decode(output.split(",", 1)[1])
    body = {"model": "gpt-image-1", "prompt": "load %d" % index, "size": "1024x1024"}
    request = urllib.request.Request(
        base + "/v1/images/generations", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-load"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return base64.b64decode(json.load(response)["data"][0]["b64_json"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    work = queue.Queue()
    distinct = args.requests // 2
    for index in range(distinct):
        work.put(index)
        work.put(index)
    results = {}
    errors = []
    lock = threading.Lock()

    def worker():
        while True:
            try:
                index = work.get_nowait()
            except queue.Empty:
                return
            try:
                digest = hashlib.sha256(call(args.base, index)).hexdigest()
                with lock:
                    results.setdefault(index, set()).add(digest)
            except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
                with lock:
                    errors.append("%d: %s" % (index, error))

    threads = [threading.Thread(target=worker) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mismatched = sorted(index for index, digests in results.items() if len(digests) != 1)
    print(json.dumps({"requests": args.requests, "errors": errors, "distinct": len(results),
                      "mismatched": mismatched}), flush=True)


if __name__ == "__main__":
    main()
