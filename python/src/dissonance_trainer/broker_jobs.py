"""What a broker worker does with one delivered envelope, whatever the broker: the answer to publish.

A job envelope (type ``dissonance.train.job``, id = the job id) carries ``{"jobId", "model", "deadlineMs",
"replyTo", "job": <Arrow IPC bytes>}``. The answer is a ``dissonance.train.result`` envelope
``{"jobId", "result": <Arrow IPC bytes>}``, or a ``dissonance.train.refused`` one ``{"jobId", "status",
"error"}`` (status as the HTTP worker's: 400 not a job, 422 the handler refused it, 500 it failed), published
on ``replyTo``. A job past its deadline is dropped unanswered (the engine no longer waits for it); a job id
answered before is answered again from a cache, without training.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .handler import Handler
from .job import JobError
from .object_store import DEFAULT_UPLOAD_OVER_BYTES, stage_result
from .result_codec import write_result
from .snapshot import read_job
from .wire import envelope, trace_of

JOB_TYPE = "dissonance.train.job"
RESULT_TYPE = "dissonance.train.result"
REFUSED_TYPE = "dissonance.train.refused"
#: Default topics and groups (the TypeScript side's ``DEFAULT_JOBS_TOPIC`` …).
DEFAULT_JOBS_TOPIC = "train.jobs"
DEFAULT_RESULTS_TOPIC = "train.results"
DEFAULT_GROUP = "dissonance-trainer"
#: Results kept for repeated job ids.
RESULT_CACHE_SIZE = 16

log = logging.getLogger("dissonance_trainer.broker")


class NotAJob(ValueError):
    """An envelope that is not a job at all (another type, no job id): dead-lettered."""


@dataclass(frozen=True)
class Answer:
    """An envelope to publish on ``topic`` (then ack the job)."""

    topic: str
    envelope: dict[str, Any]


class JobRunner:
    """Runs ``handler`` on job envelopes, one at a time, with a cache of recent results by job id."""

    def __init__(self, handler: Handler, results_topic: str = DEFAULT_RESULTS_TOPIC, upload_over: int = DEFAULT_UPLOAD_OVER_BYTES) -> None:
        self.handler = handler
        self.results_topic = results_topic
        # Candidates over this many bytes go to the job's result_uri (jobs from an engine with an object store).
        self.upload_over = upload_over
        self.cache: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()
        self.jobs_done = 0
        self.cache_hits = 0
        self.expired = 0

    def answer(self, env: dict[str, Any]) -> Answer | None:
        """
        The answer to ``env``, or None for an expired job.

        :raises NotAJob: on what is not a job.
        :raises StoreUnavailable: when the object store cannot be reached (a snapshot to fetch, a candidate to
            upload): the worker settles the delivery as failed, so the broker delivers it again.
        """
        if env.get("type") != JOB_TYPE:
            raise NotAJob(f"envelope type {env.get('type')!r} is not {JOB_TYPE}")
        payload = env.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("jobId"), str) or not payload["jobId"]:
            raise NotAJob("a job envelope without a jobId")
        job_id: str = payload["jobId"]
        reply_to = payload.get("replyTo") if isinstance(payload.get("replyTo"), str) and payload.get("replyTo") else self.results_topic
        trace = trace_of(env)

        def refused(status: int, error: str) -> Answer:
            return Answer(reply_to, envelope(REFUSED_TYPE, {"jobId": job_id, "status": status, "error": error}, trace=trace))

        deadline = payload.get("deadlineMs")
        if isinstance(deadline, (int, float)) and deadline < time.time() * 1000:
            self.expired += 1
            log.info("job %s: past its deadline, dropped", job_id)
            return None
        data = payload.get("job")
        if isinstance(data, str):  # a JSON producer's base64
            try:
                data = base64.b64decode(data, validate=True)
            except ValueError:
                return refused(400, "job: not base64")
        if not isinstance(data, bytes):
            return refused(400, "job: no Arrow IPC bytes in the envelope")
        with self.lock:
            cached = self.cache.get(job_id)
            if cached is None:
                try:
                    job = read_job(data)
                except JobError as error:
                    return refused(400, str(error))
                if job.job_id != job_id:
                    return refused(400, f"the envelope names job {job_id!r}, its Arrow stream {job.job_id!r}")
                try:
                    result = self.handler(job)
                except JobError as error:
                    return refused(422, str(error))
                except Exception as error:  # noqa: BLE001 - any handler failure is a failed job
                    log.exception("job %s: the handler failed", job_id)
                    return refused(500, f"{type(error).__name__}: {error}")
                if result.job_id != job_id:
                    return refused(500, f"handler answered job {result.job_id!r} for {job_id!r}")
                result = stage_result(job, result, over_bytes=self.upload_over)
                cached = write_result(result)
                self.cache[job_id] = cached
                while len(self.cache) > RESULT_CACHE_SIZE:
                    self.cache.popitem(last=False)
                self.jobs_done += 1
            else:
                self.cache_hits += 1
        return Answer(reply_to, envelope(RESULT_TYPE, {"jobId": job_id, "result": cached}, trace=trace))
