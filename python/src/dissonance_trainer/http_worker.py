"""The HTTP worker: ``POST /jobs`` with an Arrow job body runs the handler and answers the Arrow result.

- ``POST /jobs`` (``Content-Type: application/vnd.apache.arrow.stream``): 200 with the result stream;
  400 when the body is not a job (JSON ``{"error": …}``); 422 when the handler refused it
  (:class:`JobError`); 500 when the handler failed; 413 over ``max_body`` bytes; 503 when the object
  store failed (a pointer job's snapshot or an upload: the engine retries). A pointer job's snapshot that
  is missing or whose sha256 differs is a 400.
- A job naming a ``result_uri`` gets its candidate uploaded there when the ONNX is over ``upload_over``
  bytes (:func:`dissonance_trainer.object_store.stage_result`); the answer then carries only the URI.
- ``GET /healthz``: 200 ``{"ok": true, "handler": …, "jobs": …}``.

Jobs run one at a time (a lock), and a retried job id is answered from a small cache of recent results, so
a retry that reuses the job id does not train twice.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .handler import Handler
from .job import JobError
from .object_store import DEFAULT_UPLOAD_OVER_BYTES, StoreUnavailable, stage_result
from .result_codec import write_result
from .snapshot import read_job

#: Media type of job and result bodies.
ARROW_STREAM = "application/vnd.apache.arrow.stream"
#: Default cap on a job body (bytes).
DEFAULT_MAX_BODY = 1 << 30
#: Results kept for retried job ids.
RESULT_CACHE_SIZE = 16


class TrainerServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` running ``handler`` on the jobs it receives."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: Handler,
        *,
        name: str = "handler",
        max_body: int = DEFAULT_MAX_BODY,
        upload_over: int = DEFAULT_UPLOAD_OVER_BYTES,
    ) -> None:
        super().__init__(address, _RequestHandler)
        self.upload_over = upload_over
        self.handler = handler
        self.handler_name = name
        self.max_body = max_body
        self.jobs_done = 0
        self.lock = threading.Lock()
        self.results: OrderedDict[str, bytes] = OrderedDict()


class _RequestHandler(BaseHTTPRequestHandler):
    server: TrainerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/healthz":
            self._json(200, {"ok": True, "handler": self.server.handler_name, "jobs": self.server.jobs_done})
        else:
            self._json(404, {"error": f"no route GET {self.path}"})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        if self.path != "/jobs":
            self._json(404, {"error": f"no route POST {self.path}"})
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.close_connection = True
            self._json(411, {"error": "Content-Length required"})
            return
        if length < 0 or length > self.server.max_body:
            self.close_connection = True
            self._json(413, {"error": f"job body over {self.server.max_body} bytes"})
            return
        body = self.rfile.read(length)
        try:
            job = read_job(body)
        except JobError as error:
            self._json(400, {"error": str(error)})
            return
        except StoreUnavailable as error:
            self._json(503, {"error": str(error)})
            return
        server = self.server
        with server.lock:
            cached = server.results.get(job.job_id)
            if cached is None:
                try:
                    result = server.handler(job)
                except JobError as error:
                    self._json(422, {"error": str(error), "job_id": job.job_id})
                    return
                except Exception as error:  # noqa: BLE001 - any handler failure is a failed job
                    self._json(500, {"error": f"{type(error).__name__}: {error}", "job_id": job.job_id})
                    return
                if result.job_id != job.job_id:
                    self._json(500, {"error": f"handler answered job {result.job_id!r} for {job.job_id!r}"})
                    return
                try:
                    result = stage_result(job, result, over_bytes=server.upload_over)
                except StoreUnavailable as error:
                    self._json(503, {"error": str(error), "job_id": job.job_id})
                    return
                cached = write_result(result)
                server.results[job.job_id] = cached
                while len(server.results) > RESULT_CACHE_SIZE:
                    server.results.popitem(last=False)
                server.jobs_done += 1
        self._send(200, cached, ARROW_STREAM)


def serve_http(
    handler: Handler,
    port: int,
    *,
    host: str = "127.0.0.1",
    name: str = "handler",
    upload_over: int = DEFAULT_UPLOAD_OVER_BYTES,
) -> TrainerServer:
    """Binds a :class:`TrainerServer` (port 0: a free one; read ``server.server_address``); call ``serve_forever``."""
    return TrainerServer((host, port), handler, name=name, upload_over=upload_over)
