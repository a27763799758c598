"""The worker command serves jobs over HTTP end to end, in its own process on a free port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from digits import WIDTH, digits, digits_job, golden_accuracy
from dissonance_trainer import Snapshot, TrainingJob, export_sklearn, read_result, write_job

ROOT = Path(__file__).resolve().parents[1]


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests"), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture
def worker() -> Iterator[str]:
    """``python -m dissonance_trainer --handler worker_handlers:logistic --http 0``; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dissonance_trainer", "--handler", "worker_handlers:logistic", "--http", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=worker_env(),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on" in line, (line, process.stderr.read() if process.poll() is not None else "")
        yield line.strip().rsplit(" ", 1)[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/vnd.apache.arrow.stream", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def poll(url: str) -> tuple[int, bytes]:
    """GETs ``url`` until it answers something other than 202 (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        status, body = get(url)
        if status != 202 or time.monotonic() > deadline:
            return status, body
        time.sleep(0.05)


def without_class(job: TrainingJob, label: int, job_id: str) -> TrainingJob:
    """``job`` renamed ``job_id`` with every example of class ``label`` left out (a job the handler refuses)."""
    keep = job.snapshot.targets != label
    snap = job.snapshot
    return replace(
        job, job_id=job_id, critic_probs=job.critic_probs[:, keep],
        snapshot=Snapshot(ids=list(np.array(snap.ids)[keep]), features=snap.features[keep], targets=snap.targets[keep],
                          weights=snap.weights[keep], provenance=list(np.array(snap.provenance)[keep])),
    )


def health(url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
        return json.loads(response.read())


def test_worker_serves_a_job_end_to_end(worker: str) -> None:
    assert health(worker)["ok"] is True
    d = digits()
    base = export_sklearn(LogisticRegression(max_iter=300).fit(d.base_x, d.base_y), WIDTH)
    job = digits_job(base, job_id="http-1")
    status, body, content_type = post(f"{worker}/jobs", write_job(job))
    assert status == 200 and content_type == "application/vnd.apache.arrow.stream"
    result = read_result(body)
    assert result.job_id == "http-1" and result.onnx is not None
    assert golden_accuracy(result.onnx) > golden_accuracy(base)
    # A retry with the same job id is answered from the worker's cache: same bytes, trained once.
    assert post(f"{worker}/jobs", write_job(job))[1] == body
    assert health(worker)["jobs"] == 1
    # Not a job: 400; a job the handler refuses (a class missing from the snapshot): 422, the worker still up.
    status, body, _ = post(f"{worker}/jobs", b"garbage")
    assert status == 400 and "Arrow" in json.loads(body)["error"]
    partial = without_class(job, 9, "http-2")
    status, body, _ = post(f"{worker}/jobs", write_job(partial))
    assert status == 422 and "class" in json.loads(body)["error"]
    assert health(worker)["jobs"] == 1


def test_an_async_post_answers_202_and_the_result_is_polled(worker: str) -> None:
    d = digits()
    base = export_sklearn(LogisticRegression(max_iter=300).fit(d.base_x, d.base_y), WIDTH)
    job = digits_job(base, job_id="async 1")
    status, body, _ = post(f"{worker}/jobs", write_job(job), {"Prefer": "respond-async"})
    assert status == 202 and json.loads(body) == {"job_id": "async 1", "status": "running"}
    # Posting the same id again while it runs or once done trains nothing twice.
    assert post(f"{worker}/jobs", write_job(job), {"Prefer": "respond-async"})[0] in (200, 202)
    status, result = poll(f"{worker}/jobs/async%201")
    assert status == 200 and read_result(result).job_id == "async 1"
    assert health(worker)["jobs"] == 1
    # An unknown id: 404; a job the handler refuses is polled as its 422.
    assert get(f"{worker}/jobs/nobody")[0] == 404
    partial = without_class(job, 9, "async-2")
    assert post(f"{worker}/jobs", write_job(partial), {"Prefer": "respond-async"})[0] == 202
    status, body = poll(f"{worker}/jobs/async-2")
    assert status == 422 and "class" in json.loads(body)["error"]
    # Not a job: 400 at once, nothing started.
    assert post(f"{worker}/jobs", b"garbage", {"Prefer": "respond-async"})[0] == 400


def test_a_broker_url_of_another_scheme_is_refused_clearly() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "dissonance_trainer", "--handler", "worker_handlers:logistic", "--broker", "ftp://localhost"],
        capture_output=True, text=True, env=worker_env(), timeout=60,
    )
    assert run.returncode == 2 and "expected amqp://, nats:// or redis://" in run.stderr


def test_a_broker_setting_below_one_is_refused_clearly() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "dissonance_trainer", "--handler", "worker_handlers:logistic", "--broker", "redis://127.0.0.1:1",
         "--claim-idle-ms", "0"],
        capture_output=True, text=True, env=worker_env(), timeout=60,
    )
    assert run.returncode == 2 and "--claim-idle-ms must be at least 1" in run.stderr


def test_a_handler_in_the_working_directory_loads_as_from_the_console_script(tmp_path: Path) -> None:
    # A console script's sys.path[0] is its own directory, not the working directory: mimic it with a script file.
    script = tmp_path / "entry.py"
    script.write_text("import sys\nfrom dissonance_trainer.cli import main\nsys.exit(main())\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    process = subprocess.Popen(
        [sys.executable, str(script), "--handler", "cnn_handler:handle", "--http", "0"],
        cwd=ROOT / "examples", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on" in line, process.stderr.read() if process.poll() is not None else line
        assert health(line.strip().rsplit(" ", 1)[-1])["handler"] == "cnn_handler:handle"
    finally:
        process.terminate()
        process.wait(timeout=10)
