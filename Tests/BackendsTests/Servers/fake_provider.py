#!/usr/bin/env python3
"""A fake Replicate + OpenAI Images server for framechain's backend tests.

Usage: fake_provider.py --port 0 [--scenario NAME]

Prints the chosen port on its first stdout line, then serves on 127.0.0.1 until killed.
It implements the parts of the contracts in ../shared/API-CONTRACTS.md (beside the repository) §1-3 that the
backends use, and records every request (GET /_log returns them as JSON). The behaviour is
picked by --scenario or by POST /_control {"scenario": NAME}:

  ok              every call succeeds at once (Replicate: Prefer: wait answers `succeeded`)
  poll            create answers `starting`, then polls give `processing`, then `succeeded`
                  with the output as a list
  processing_output  create answers `processing` with the output already set
  failed          create answers `starting`, the first poll `failed` with an error message
  rate_limited    the first create/generation answers 429 with Retry-After, then as `ok`
  server_error    every create/generation answers 500
  not_found       every create answers 404 (RFC 7807 body)
  slow            create/generation waits SLOW_SECONDS (60 s) before answering: long enough
                  that a loaded test machine still cancels or times out first
  malformed       create/generation answers 2xx with a body that is not JSON
  output_404      the output URL answers 404
  output_not_image  the output URL serves bytes that are not an image
  hang            create answers `starting` and polls stay `processing` forever
  openai_url      OpenAI answers with data[0].url instead of b64_json
  video           an image-to-video model: create answers `starting`, polls stay `processing` for
                  `processing_polls` polls (default 3), then `succeeded` with an MP4 output URL
                  (`/outputs/<id>.mp4`, `video_size` bytes, streamed in 1 MB chunks) and
                  metrics.predict_time 42.5

POST /_control also takes, independently of the scenario:

  {"fail_prompt": TEXT}   every Replicate create whose input prompt contains TEXT answers 500
                          (null turns it off)
  {"echo_token": true}    that 500's detail then quotes the request's Authorization header, as a
                          careless provider might (to test that framechain scrubs it)
  {"version": TEXT}       the `version` that predictions of official models (owner/name) report
                          from now on (default "v-fake-1")
  {"derived_openai": true}  OpenAI images are derived from the request (prompt, fields, image bytes)
                          instead of one fixed PNG, as the Replicate outputs are
  {"delay_ms": N}         every create/generation waits N ms before answering (0 turns it off)
  {"processing_polls": N} how many polls a `video` prediction stays `processing`
  {"video_size": N}       the size in bytes of a `video` output (default 65536)

Plumbing for the HTTP client's own tests, in every scenario (GET or POST):

  /_redirect?status=N&to=URL   answers N with `Location: URL` (itself without `to`: a loop)
  /_echo                       answers {"method": ..., "authorization": bool, "body_size": N}
  /_big?bytes=N                answers N bytes (application/octet-stream)

A Replicate output image is a small PNG whose colour is derived from the prediction's input and
version, so different requests give different bytes and the same request the same bytes, across
server restarts.
"""

import argparse
import base64
import hashlib
import json
import signal
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_SECONDS = 60


def make_png(width=2, height=2, rgb=(200, 40, 90)):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


OUTPUT_PNG = make_png()


class State:
    def __init__(self, scenario):
        self.lock = threading.Lock()
        self.scenario = scenario
        self.log = []
        self.counters = {}
        self.files = {}
        self.predictions = {}
        self.outputs = {}
        self.fail_prompt = None
        self.echo_token = False
        self.version = "v-fake-1"
        self.derived_openai = False
        self.delay_ms = 0
        self.next_id = 1
        self.processing_polls = 3
        self.video_size = 65536

    def count(self, key):
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]

    def new_id(self, prefix):
        with self.lock:
            value = "%s%d" % (prefix, self.next_id)
            self.next_id += 1
            return value


def parse_multipart(content_type, body):
    boundary = None
    for piece in content_type.split(";"):
        piece = piece.strip()
        if piece.startswith("boundary="):
            boundary = piece[len("boundary="):].strip('"')
    if boundary is None:
        return None
    parts = []
    delimiter = b"--" + boundary.encode()
    for section in body.split(delimiter)[1:]:
        if section.startswith(b"--"):
            break
        section = section[2:] if section.startswith(b"\r\n") else section
        head, _, content = section.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        fields = {}
        for item in disposition.split(";")[1:]:
            key, _, value = item.strip().partition("=")
            fields[key] = value.strip('"')
        part = {"name": fields.get("name"), "filename": fields.get("filename"),
                "content_type": headers.get("content-type"), "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest()}
        if part["filename"] is None:
            part["text"] = content.decode("utf-8", "replace")
        parts.append((part, content))
    return parts


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, format, *args):
        pass

    # MARK: plumbing

    def base(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def record(self, body):
        entry = {"method": self.command, "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items()}}
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            try:
                entry["json"] = json.loads(body.decode("utf-8"))
            except ValueError:
                entry["json_error"] = True
        elif content_type.startswith("multipart/form-data"):
            parsed = parse_multipart(content_type, body) or []
            entry["parts"] = [part for part, _ in parsed]
        entry["body_size"] = len(body)
        if not self.path.startswith("/_"):
            with self.state.lock:
                self.state.log.append(entry)
        return entry

    def send(self, status, payload=None, raw=None, content_type="application/json", headers=None):
        data = raw if raw is not None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def problem(self, status, title, detail, headers=None):
        self.send(status, {"title": title, "detail": detail, "status": status},
                  content_type="application/problem+json", headers=headers)

    # MARK: routing

    def plumbing(self, body):
        """The /_redirect, /_echo and /_big routes; True when one answered."""
        from urllib.parse import urlsplit, parse_qs
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/_redirect":
            self.send(int(query.get("status", "302")), {}, headers={"Location": query.get("to", self.path)})
            return True
        if parts.path == "/_echo":
            self.send(200, {"method": self.command, "authorization": "Authorization" in self.headers,
                            "body_size": len(body)})
            return True
        if parts.path.startswith("/_unauthorized/"):
            # A remote cache that refuses the credentials, as nginx with auth_basic or bazel-remote with htpasswd.
            self.send(401, {"title": "Unauthorized"}, headers={"WWW-Authenticate": 'Basic realm="cache"'})
            return True
        if parts.path == "/_big":
            count = int(query["bytes"])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(count))
            self.end_headers()
            chunk = b"\0" * (1 << 20)
            try:
                while count > 0:
                    self.wfile.write(chunk[:min(count, len(chunk))])
                    count -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return True
        return False

    def do_GET(self):
        self.record(b"")
        path = self.path
        if self.plumbing(b""):
            return
        if path == "/_log":
            with self.state.lock:
                return self.send(200, self.state.log)
        if path.startswith("/outputs/"):
            scenario = self.state.scenario
            if scenario == "output_404":
                return self.send(404, raw=b"Not Found", content_type="text/plain")
            if scenario == "output_not_image":
                return self.send(200, raw=b"<html>this is not an image</html>", content_type="text/html")
            if path.endswith(".mp4"):
                return self.send_video(path[len("/outputs/"):-len(".mp4")])
            output_id = path[len("/outputs/"):].rsplit(".", 1)[0]
            with self.state.lock:
                image = self.state.outputs.get(output_id, OUTPUT_PNG)
            return self.send(200, raw=image, content_type="image/png")
        if path.startswith("/v1/predictions/"):
            return self.get_prediction(path[len("/v1/predictions/"):])
        if path.startswith("/v1/models/") and "/versions/" in path:
            # A model version (API-CONTRACTS §1): what the replicate client reads after a create by version.
            owner_name, version_id = path[len("/v1/models/"):].split("/versions/", 1)
            return self.send(200, {
                "id": version_id, "created_at": "2025-08-26T00:00:00.000000Z", "cog_version": "0.16.0",
                "openapi_schema": {"components": {"schemas": {"Output": {"type": "string", "format": "uri"}}}},
            })
        if path.startswith("/v1/files/"):
            file_id = path[len("/v1/files/"):]
            if file_id in self.state.files:
                return self.send(200, self.state.files[file_id])
        return self.problem(404, "Not Found", "no route for GET %s" % path)

    def do_POST(self):
        body = self.read_body()
        entry = self.record(body)
        path = self.path
        if self.plumbing(body):
            return
        if path == "/_control":
            control = json.loads(body.decode() or "{}")
            with self.state.lock:
                self.state.scenario = control.get("scenario", self.state.scenario)
                if "fail_prompt" in control:
                    self.state.fail_prompt = control["fail_prompt"]
                if "echo_token" in control:
                    self.state.echo_token = bool(control["echo_token"])
                if "version" in control:
                    self.state.version = control["version"]
                if "derived_openai" in control:
                    self.state.derived_openai = bool(control["derived_openai"])
                if "delay_ms" in control:
                    self.state.delay_ms = int(control["delay_ms"])
                if "processing_polls" in control:
                    self.state.processing_polls = int(control["processing_polls"])
                if "video_size" in control:
                    self.state.video_size = int(control["video_size"])
                reply = {"scenario": self.state.scenario, "fail_prompt": self.state.fail_prompt,
                         "version": self.state.version}
            return self.send(200, reply)
        if path == "/v1/files":
            return self.create_file(body)
        if path.startswith("/v1/models/") and path.endswith("/predictions"):
            return self.create_prediction(entry, path[len("/v1/models/"):-len("/predictions")])
        if path == "/v1/predictions":
            return self.create_prediction(entry, None)
        if path.startswith("/v1/predictions/") and path.endswith("/cancel"):
            prediction_id = path[len("/v1/predictions/"):-len("/cancel")]
            prediction = self.state.predictions.get(prediction_id)
            if prediction is None:
                return self.problem(404, "Not Found", "no prediction %s" % prediction_id)
            prediction["status"] = "canceled"
            return self.send(200, prediction)
        if path in ("/v1/images/generations", "/v1/images/edits"):
            return self.openai_image(entry, body)
        return self.problem(404, "Not Found", "no route for POST %s" % path)

    # MARK: Replicate

    def faults_for_create(self):
        if self.state.delay_ms:
            time.sleep(self.state.delay_ms / 1000.0)
        scenario = self.state.scenario
        if scenario == "rate_limited" and self.state.count("create") == 1:
            self.problem(429, "Too Many Requests", "Request was throttled. Expected available in 1 second.",
                         headers={"Retry-After": "1"})
            return True
        if scenario == "server_error":
            self.problem(500, "Internal Server Error", "the model is overloaded")
            return True
        if scenario == "not_found":
            self.problem(404, "Not Found", "Model not found: foo/bar")
            return True
        if scenario == "slow":
            time.sleep(SLOW_SECONDS)
        if scenario == "malformed":
            self.send(201, raw=b'{"id": "p1", "status": ', content_type="application/json")
            return True
        return False

    def create_prediction(self, entry, model_path):
        if self.faults_for_create():
            return
        request = entry.get("json") or {}
        if "input" not in request:
            return self.problem(422, "Unprocessable Entity", "input is required")
        fail_prompt = self.state.fail_prompt
        if fail_prompt and fail_prompt in str((request["input"] or {}).get("prompt", "")):
            detail = "the model is overloaded"
            if self.state.echo_token:
                detail += " (request authorized with %s)" % self.headers.get("Authorization", "nothing")
            return self.problem(500, "Internal Server Error", detail)
        prediction_id = self.state.new_id("pred")
        version = request.get("version", "hidden") if model_path is None else self.state.version
        seed = hashlib.sha256(json.dumps([request["input"], version], sort_keys=True).encode()).digest()
        with self.state.lock:
            self.state.outputs[prediction_id] = make_png(width=4, height=4, rgb=tuple(seed[:3]))
        prediction = {
            "id": prediction_id, "model": model_path or "pinned", "version": version,
            "input": request["input"], "logs": "", "output": None, "error": None, "status": "starting",
            "created_at": "2025-08-26T21:33:55.778000Z", "metrics": {},
            "urls": {"get": self.base() + "/v1/predictions/" + prediction_id,
                     "cancel": self.base() + "/v1/predictions/" + prediction_id + "/cancel"},
        }
        self.state.predictions[prediction_id] = prediction
        scenario = self.state.scenario
        waits = self.headers.get("Prefer", "").startswith("wait")
        if scenario == "processing_output":
            prediction["status"] = "processing"
            prediction["output"] = self.base() + "/outputs/%s.png" % prediction_id
        elif scenario in ("ok", "rate_limited", "output_404", "output_not_image", "slow") and waits:
            self.succeed(prediction, as_list=False)
        return self.send(201, prediction)

    def succeed(self, prediction, as_list):
        url = self.base() + "/outputs/%s.png" % prediction["id"]
        prediction["status"] = "succeeded"
        prediction["output"] = [url] if as_list else url
        prediction["metrics"] = {"predict_time": 1.25, "total_time": 1.5}

    def send_video(self, prediction_id):
        """An MP4-shaped output: an `ftyp` box, then a `free` box filling `video_size` bytes; the first bytes
        of the free box depend on the prediction's input, so different requests give different videos."""
        with self.state.lock:
            prediction = self.state.predictions.get(prediction_id)
            size = self.state.video_size
        if prediction is None:
            return self.problem(404, "Not Found", "no prediction %s" % prediction_id)
        seed = hashlib.sha256(json.dumps(prediction["input"], sort_keys=True).encode()).digest()
        ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 0x200) + b"isomiso2"
        head = ftyp + struct.pack(">I", size - len(ftyp)) + b"free" + seed
        try:
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.write(head)
            remaining = size - len(head)
            chunk = bytes(1 << 20)
            while remaining > 0:
                piece = chunk[:min(len(chunk), remaining)]
                self.wfile.write(piece)
                remaining -= len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def get_prediction(self, prediction_id):
        prediction = self.state.predictions.get(prediction_id)
        if prediction is None:
            return self.problem(404, "Not Found", "no prediction %s" % prediction_id)
        polls = self.state.count("poll:" + prediction_id)
        scenario = self.state.scenario
        if prediction["status"] in ("starting", "processing"):
            if scenario == "failed":
                prediction["status"] = "failed"
                prediction["error"] = "NSFW content detected; try a different prompt"
            elif scenario == "hang":
                prediction["status"] = "processing"
            elif scenario == "video":
                if polls <= self.state.processing_polls:
                    prediction["status"] = "processing"
                else:
                    prediction["status"] = "succeeded"
                    prediction["output"] = self.base() + "/outputs/%s.mp4" % prediction_id
                    prediction["metrics"] = {"predict_time": 42.5, "total_time": 44.0}
            elif polls == 1:
                prediction["status"] = "processing"
            else:
                self.succeed(prediction, as_list=True)
        return self.send(200, prediction)

    def create_file(self, body):
        parsed = parse_multipart(self.headers.get("Content-Type", ""), body)
        if not parsed:
            return self.problem(400, "Bad Request", "expected multipart/form-data")
        part, content = next(((p, c) for p, c in parsed if p["name"] == "content"), (None, None))
        if part is None:
            return self.problem(400, "Bad Request", "missing part content")
        file_id = self.state.new_id("file")
        record = {"id": file_id, "name": part["filename"], "content_type": part["content_type"],
                  "size": len(content), "checksums": {"sha256": hashlib.sha256(content).hexdigest()},
                  "urls": {"get": self.base() + "/v1/files/" + file_id}}
        self.state.files[file_id] = record
        return self.send(201, record)

    # MARK: OpenAI

    def openai_image(self, entry, body=b""):
        if self.state.delay_ms:
            time.sleep(self.state.delay_ms / 1000.0)
        scenario = self.state.scenario
        if scenario == "rate_limited" and self.state.count("openai") == 1:
            return self.send(429, {"error": {"message": "Rate limit reached for images", "type": "requests"}},
                             headers={"retry-after-ms": "20", "retry-after": "1"})
        if scenario == "server_error":
            return self.send(500, {"error": {"message": "The server had an error while processing your request",
                                             "type": "server_error"}})
        if scenario == "not_found":
            return self.send(400, {"error": {"message": "Invalid value for size", "type": "invalid_request_error"}})
        if scenario == "slow":
            time.sleep(SLOW_SECONDS)
        if scenario == "malformed":
            return self.send(200, raw=b"<html>gateway</html>", content_type="text/html")
        image = OUTPUT_PNG if scenario != "output_not_image" else b"GIF89a not accepted"
        count = 1
        if self.state.derived_openai and scenario != "output_not_image":
            if "json" in entry:
                fields = dict(entry["json"])
            else:
                fields = {part["name"] + "#%d" % index: part.get("text", part["sha256"])
                          for index, part in enumerate(entry.get("parts", []))}
            count = int(fields.get("n", 1) or 1) if "json" in entry else 1
            seed = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).digest()
            image = make_png(width=3, height=3, rgb=tuple(seed[:3]))
        usage = {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210,
                 "input_tokens_details": {"text_tokens": 40, "image_tokens": 10}}
        if scenario == "openai_url":
            item = {"url": self.base() + "/outputs/openai.png"}
        else:
            item = {"b64_json": base64.b64encode(image).decode()}
        items = [item]
        for extra in range(1, count):
            seed = hashlib.sha256(image + bytes([extra])).digest()
            items.append({"b64_json": base64.b64encode(make_png(width=3, height=3, rgb=tuple(seed[:3]))).decode()})
        return self.send(200, {"created": 1700000000, "data": items, "usage": usage})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--scenario", default="ok")
    args = parser.parse_args()
    # The test process may hand down SIGTERM blocked or ignored; make it end the server again.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    Handler.state = State(args.scenario)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
