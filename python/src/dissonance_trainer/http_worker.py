"""The HTTP worker: ``POST /jobs`` with an Arrow job body runs the handler and answers the Arrow result.

- ``POST /jobs`` (``Content-Type: application/vnd.apache.arrow.stream``): 200 with the result stream;
  400 when the body is not a job (JSON ``{"error": …}``); 422 when the handler refused it
  (:class:`JobError`); 500 when the handler failed; 413 over ``max_body`` bytes; 503 when the object
  store failed (a pointer job's snapshot or an upload: the engine retries). A pointer job's snapshot that
  is missing or whose sha256 differs is a 400.
- A job naming a ``result_uri`` gets its candidate uploaded there when the ONNX is over ``upload_over``
  bytes (:func:`dissonance_trainer.object_store.stage_result`); the answer then carries only the URI.
- ``POST /jobs`` with ``Prefer: respond-async`` (polling, for fits that outlive a proxy's idle timeout):
  202 ``{"job_id": …, "status": "running"}`` with ``Location: /jobs/{job_id}`` once the body decodes as a job
  (a 400 as above otherwise); the job runs on a thread. Posting the same job id again neither starts a second
  run nor loses the first.
- ``GET /jobs/{job_id}``: 202 while it runs (``Retry-After: 1``), 200 with the result stream once done, the
  same 422/500/503 as above when it failed (a 503 is forgotten once read, so a retry runs it again), 404 for
  a job id this worker does not know.
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
from urllib.parse import quote, unquote

from .handler import Handler
from .job import JobError, TrainingJob
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
        # Polling: jobs started by an asynchronous POST and not finished, and those that failed (status, body).
        self.state_lock = threading.Lock()
        self.running: set[str] = set()
        self.failures: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()

    def run_job(self, job: TrainingJob) -> tuple[int, bytes | dict[str, Any]]:
        """Runs ``job`` (one at a time; a cached result for a repeated id): 200 and the result stream, or a failure."""
        with self.lock:
            cached = self.results.get(job.job_id)
            if cached is not None:
                return 200, cached
            try:
                result = self.handler(job)
            except JobError as error:
                return 422, {"error": str(error), "job_id": job.job_id}
            except Exception as error:  # noqa: BLE001 - any handler failure is a failed job
                return 500, {"error": f"{type(error).__name__}: {error}", "job_id": job.job_id}
            if result.job_id != job.job_id:
                return 500, {"error": f"handler answered job {result.job_id!r} for {job.job_id!r}"}
            try:
                result = stage_result(job, result, over_bytes=self.upload_over)
            except StoreUnavailable as error:
                return 503, {"error": str(error), "job_id": job.job_id}
            cached = write_result(result)
            self.results[job.job_id] = cached
            while len(self.results) > RESULT_CACHE_SIZE:
                self.results.popitem(last=False)
            self.jobs_done += 1
            return 200, cached

    def start_job(self, job: TrainingJob) -> None:
        """Runs ``job`` on a thread unless it runs already or is done; its outcome is read by ``GET /jobs/{id}``."""
        with self.state_lock:
            if job.job_id in self.running or job.job_id in self.results:
                return
            self.failures.pop(job.job_id, None)
            self.running.add(job.job_id)

        def run() -> None:
            status, body = self.run_job(job)
            with self.state_lock:
                self.running.discard(job.job_id)
                if status != 200 and isinstance(body, dict):
                    self.failures[job.job_id] = (status, body)
                    while len(self.failures) > RESULT_CACHE_SIZE:
                        self.failures.popitem(last=False)

        threading.Thread(target=run, name=f"job-{job.job_id}", daemon=True).start()


class _RequestHandler(BaseHTTPRequestHandler):
    server: TrainerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", headers)

    def _running(self, job_id: str, headers: dict[str, str]) -> None:
        """202: job ``job_id`` runs; poll ``GET /jobs/{job_id}``."""
        self._json(202, {"job_id": job_id, "status": "running"}, headers)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/healthz":
            self._json(200, {"ok": True, "handler": self.server.handler_name, "jobs": self.server.jobs_done})
        elif self.path.startswith("/jobs/") and len(self.path) > len("/jobs/"):
            self._poll(unquote(self.path[len("/jobs/") :]))
        else:
            self._json(404, {"error": f"no route GET {self.path}"})

    def _poll(self, job_id: str) -> None:
        server = self.server
        with server.state_lock:
            cached = server.results.get(job_id)
            running = job_id in server.running
            failure = server.failures.get(job_id)
            # A store outage is worth another run: forget it once reported, so a retried POST starts the job again.
            if failure is not None and failure[0] == 503:
                server.failures.pop(job_id, None)
        if cached is not None:
            self._send(200, cached, ARROW_STREAM)
        elif running:
            self._running(job_id, {"Retry-After": "1"})
        elif failure is not None:
            self._json(failure[0], failure[1])
        else:
            self._json(404, {"error": f"no job {job_id!r} here", "job_id": job_id})

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
        if "respond-async" in self.headers.get("Prefer", ""):
            self.server.start_job(job)
            self._running(job.job_id, {"Location": f"/jobs/{quote(job.job_id, safe='')}"})
            return
        status, answer = self.server.run_job(job)
        if isinstance(answer, bytes):
            self._send(status, answer, ARROW_STREAM)
        else:
            self._json(status, answer)


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
