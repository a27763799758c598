"""The broker worker's wire format and job handling, without a broker: frames as @dissonance/core writes them."""

from __future__ import annotations

import json
import struct
import time

import pytest

from dissonance_trainer import TrainingJob, TrainingResult, read_result, write_job
from dissonance_trainer.broker_jobs import JOB_TYPE, REFUSED_TYPE, RESULT_TYPE, JobRunner, NotAJob
from dissonance_trainer.job import JobError
from dissonance_trainer.wire import MAGIC, WireError, decode_frame, encode_frame, envelope
from test_job_codec import make_job as small_job


def test_a_frame_carries_bytes_raw_after_a_json_header() -> None:
    env = envelope("t", {"jobId": "j", "job": b"\x00\x01arrow\xff", "nested": [{"b": bytearray(b"xy")}]}, id_="e1")
    frame = encode_frame(env)
    assert frame[:4] == MAGIC
    (length,) = struct.unpack_from("<I", frame, 4)
    header = json.loads(frame[8 : 8 + length])
    assert header["b"] == [[["payload", "job"], "u8", 8], [["payload", "nested", 0, "b"], "u8", 2]]
    assert header["e"]["payload"]["job"] is None
    assert frame[8 + length :] == b"\x00\x01arrow\xffxy"
    back = decode_frame(frame)
    assert back["payload"]["job"] == b"\x00\x01arrow\xff" and back["payload"]["nested"][0]["b"] == b"xy"
    assert back["id"] == "e1" and back["attempt"] == 1 and back["createdAt"].endswith("Z")


def test_envelope_json_is_read_too() -> None:
    body = json.dumps({"v": 1, "id": "a", "type": "t", "attempt": 2, "createdAt": "2026-01-01T00:00:00.000Z", "payload": None})
    assert decode_frame(body.encode())["attempt"] == 2


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"\x00DF", "shorter than"),
        (b"\x00DF\x09" + b"\x00" * 4, "unknown magic"),
        (MAGIC + struct.pack("<I", 99) + b"{}", "runs past the end"),
        (b"{not json", "not JSON"),
        (json.dumps({"v": 2, "id": "a", "type": "t", "attempt": 1, "createdAt": "x", "payload": 1}).encode(), "v: invalid"),
        (json.dumps({"v": 1, "id": "a", "type": "t", "attempt": 1, "createdAt": "x", "payload": 1, "extra": 1}).encode(), "unknown field"),
    ],
)
def test_bad_bodies_raise_wire_errors(body: bytes, problem: str) -> None:
    with pytest.raises(WireError, match=problem):
        decode_frame(body)


def test_a_truncated_binary_value_is_refused() -> None:
    frame = encode_frame(envelope("t", {"job": b"0123456789"}))
    with pytest.raises(WireError, match="runs past the end"):
        decode_frame(frame[:-3])


def _job_envelope(job: TrainingJob, deadline_ms: float | None = None) -> dict:
    deadline = time.time() * 1000 + 60_000 if deadline_ms is None else deadline_ms
    payload = {"jobId": job.job_id, "model": job.model, "deadlineMs": deadline, "replyTo": "answers", "job": write_job(job)}
    return decode_frame(encode_frame(envelope(JOB_TYPE, payload, id_=job.job_id)))


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, job: TrainingJob) -> TrainingResult:
        self.calls += 1
        if job.constraints.seed == 99:
            raise JobError("cannot train this one")
        return TrainingResult.of(job.job_id, b"onnx-bytes-" + job.job_id.encode())


def test_the_runner_answers_on_reply_to_and_a_repeated_job_id_from_its_cache() -> None:
    handler = Counting()
    runner = JobRunner(handler)
    job = small_job()
    first = runner.answer(_job_envelope(job))
    again = runner.answer(_job_envelope(job))
    assert first is not None and again is not None
    assert first.topic == "answers" and first.envelope["type"] == RESULT_TYPE
    assert read_result(first.envelope["payload"]["result"]).onnx == b"onnx-bytes-" + job.job_id.encode()
    assert again.envelope["payload"]["result"] == first.envelope["payload"]["result"]
    assert again.envelope["id"] != first.envelope["id"]
    assert handler.calls == 1 and runner.cache_hits == 1


def test_an_expired_job_is_dropped_unanswered_and_untrained() -> None:
    handler = Counting()
    runner = JobRunner(handler)
    assert runner.answer(_job_envelope(small_job(), deadline_ms=time.time() * 1000 - 1)) is None
    assert handler.calls == 0 and runner.expired == 1


def test_refusals_carry_the_http_workers_status() -> None:
    from dataclasses import replace

    runner = JobRunner(Counting())
    job = small_job()
    refused = runner.answer(_job_envelope(replace(job, constraints=replace(job.constraints, seed=99))))
    assert refused is not None and refused.envelope["type"] == REFUSED_TYPE
    assert refused.envelope["payload"]["status"] == 422 and "cannot train" in refused.envelope["payload"]["error"]
    env = _job_envelope(job)
    env["payload"]["job"] = b"not arrow"
    bad = runner.answer(env)
    assert bad is not None and bad.envelope["payload"]["status"] == 400


def test_what_is_not_a_job_raises_not_a_job() -> None:
    runner = JobRunner(Counting())
    with pytest.raises(NotAJob):
        runner.answer(envelope("something.else", {"jobId": "x"}))
    with pytest.raises(NotAJob):
        runner.answer(envelope(JOB_TYPE, {"job": b""}))
