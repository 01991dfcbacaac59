#!/usr/bin/env python3
"""Bad requests against `framechain serve`, each followed by a good one, and a slowloris client held open meanwhile.

Usage: proxy_bad.py PROXY_HOST PROXY_PORT

Prints one JSON line: {"cases": {NAME: {"status": S, "json": BODY or null}}, "good": [statuses of the good
requests made after each case and while the slowloris client stalls], "slowloris_closed": bool}.
"""

import base64
import json
import socket
import sys
import time
import http.client

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGPgEpEDIgYIBQAGTgDxOGMygQAAAABJRU5ErkJggg==")


def request(host, port, method, path, body=b"", headers=None):
    connection = http.client.HTTPConnection(host, port, timeout=60)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = None
    return {"status": response.status, "json": parsed}


def multipart(boundary, parts):
    out = b""
    for name, filename, content in parts:
        out += b"--" + boundary + b"\r\n"
        disposition = 'form-data; name="%s"' % name
        if filename:
            disposition += '; filename="%s"' % filename
        out += b"Content-Disposition: " + disposition.encode() + b"\r\n"
        if filename:
            out += b"Content-Type: image/png\r\n"
        out += b"\r\n" + content + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def huge(host, port):
    """Announces 100 MB and sends it in chunks; the proxy should answer 413 without reading it all."""
    size = 100 * 1024 * 1024
    sock = socket.create_connection((host, port), timeout=60)
    sock.sendall(("POST /v1/images/generations HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                  "Content-Length: %d\r\n\r\n" % (host, port, size)).encode())
    chunk = b"x" * (1024 * 1024)
    try:
        for _ in range(100):
            sock.sendall(chunk)
    except OSError:
        pass
    data = b""
    try:
        while b"\r\n\r\n" not in data or len(data) < data.find(b"\r\n\r\n") + 4 + content_length(data):
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    except OSError:
        pass
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else 0
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    return {"status": status, "json": parsed}


def content_length(data):
    for line in data.split(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


def good(host, port):
    body = json.dumps({"model": "gpt-image-1", "prompt": "a good request"}).encode()
    return request(host, port, "POST", "/v1/images/generations", body,
                   {"Content-Type": "application/json", "Authorization": "Bearer sk-good"})["status"]


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    cases = {}
    goods = []
    # A slowloris client: headers that never end, held open through every other case.
    slow = socket.create_connection((host, port), timeout=300)
    slow.sendall(b"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
    json_headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-bad"}
    cases["malformed_json_replicate"] = request(
        host, port, "POST", "/v1/models/google/nano-banana/predictions", b'{"input": {"prompt": "x",}', json_headers)
    goods.append(good(host, port))
    cases["malformed_json_openai"] = request(host, port, "POST", "/v1/images/generations", b"{not json", json_headers)
    goods.append(good(host, port))
    cases["no_boundary"] = request(
        host, port, "POST", "/v1/images/edits", multipart(b"abc", [("prompt", None, b"x")]),
        {"Content-Type": "multipart/form-data", "Authorization": "Bearer sk-bad"})
    goods.append(good(host, port))
    cases["not_an_image"] = request(
        host, port, "POST", "/v1/images/edits",
        multipart(b"b0undary", [("prompt", None, b"x"), ("model", None, b"gpt-image-1"),
                                ("image", "a.png", b"this is not an image")]),
        {"Content-Type": "multipart/form-data; boundary=b0undary", "Authorization": "Bearer sk-bad"})
    goods.append(good(host, port))
    cases["truncated_multipart"] = request(
        host, port, "POST", "/v1/images/edits",
        multipart(b"b0undary", [("prompt", None, b"x"), ("image", "a.png", PNG)])[:-40],
        {"Content-Type": "multipart/form-data; boundary=b0undary", "Authorization": "Bearer sk-bad"})
    goods.append(good(host, port))
    cases["too_large"] = huge(host, port)
    goods.append(good(host, port))
    # The slowloris client is closed by the proxy once it has been silent for the idle timeout.
    slow.settimeout(120)
    try:
        while slow.recv(1024):
            pass
        closed = True
    except OSError:
        closed = False
    goods.append(good(host, port))
    print(json.dumps({"cases": cases, "good": goods, "slowloris_closed": closed}), flush=True)


if __name__ == "__main__":
    main()
