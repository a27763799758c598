"""Pointer jobs and uploaded results through S3 (moto's in-process mock of S3, boto3 as in production)."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import boto3
import pytest
from moto import mock_aws

from dissonance_trainer import JobError, TrainingResult, read_job, read_result, stage_result, write_job, write_job_pointer, write_result
from dissonance_trainer import object_store
from dissonance_trainer.object_store import fetch_object, parse_s3_uri
from test_job_codec import assert_same, make_job

BUCKET = "jobs"


@pytest.fixture()
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A mocked S3 with one bucket; the module's cached client is dropped before and after."""
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    object_store.configure()
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client
    object_store.configure()


def test_a_pointer_job_is_fetched_verified_and_decoded(s3: object) -> None:
    job = make_job()
    data = write_job(job)
    uri = f"s3://{BUCKET}/dissonance-jobs/{job.job_id}/job.arrow"
    object_store.put_object(uri, data)
    pointer = write_job_pointer(job.job_id, uri, data)
    assert len(pointer) < len(data)
    assert_same(job, read_job(pointer))


def test_a_pointer_whose_object_differs_is_refused_naming_the_sha256(s3: object) -> None:
    job = make_job()
    data = write_job(job)
    uri = f"s3://{BUCKET}/k/job.arrow"
    tampered = bytearray(data)
    tampered[-20] ^= 0xFF
    object_store.put_object(uri, bytes(tampered))
    with pytest.raises(JobError, match="sha256 of the snapshot object"):
        read_job(write_job_pointer(job.job_id, uri, data))


def test_a_pointer_to_a_missing_object_is_refused(s3: object) -> None:
    job = make_job()
    data = write_job(job)
    with pytest.raises(JobError, match="is missing"):
        read_job(write_job_pointer(job.job_id, f"s3://{BUCKET}/nothing/job.arrow", data))


def test_a_pointer_naming_another_job_is_refused(s3: object) -> None:
    job = make_job()
    data = write_job(job)
    uri = f"s3://{BUCKET}/k/job.arrow"
    object_store.put_object(uri, data)
    with pytest.raises(JobError, match="pointer names 'other'"):
        read_job(write_job_pointer("other", uri, data))


def test_a_candidate_over_the_size_is_uploaded_to_the_jobs_result_uri(s3: object) -> None:
    uri = f"s3://{BUCKET}/dissonance-jobs/j-1/result.onnx"
    job = replace(make_job(), result_uri=uri)
    onnx = b"onnx-bytes" * 100
    result = TrainingResult.of(job.job_id, onnx)
    assert stage_result(job, result, over_bytes=len(onnx)) is result
    staged = stage_result(job, result, over_bytes=10)
    assert (staged.onnx, staged.uri, staged.sha256) == (None, uri, result.sha256)
    assert fetch_object(uri) == onnx
    back = read_result(write_result(staged))
    assert (back.onnx, back.uri, back.sha256) == (None, uri, result.sha256)


def test_a_job_without_result_uri_is_answered_inline(s3: object) -> None:
    job = make_job()
    result = TrainingResult.of(job.job_id, b"x" * 100)
    assert stage_result(job, result, over_bytes=0) is result


def test_result_uri_round_trips_in_the_job_stream() -> None:
    job = replace(make_job(), result_uri="s3://b/p/j-1/result.onnx")
    assert read_job(write_job(job)).result_uri == "s3://b/p/j-1/result.onnx"
    assert read_job(write_job(make_job())).result_uri is None


@pytest.mark.parametrize("uri", ["http://b/k", "s3://bucket", "s3:///key", "s3://bucket/"])
def test_uris_that_are_not_s3_objects_are_refused(uri: str) -> None:
    with pytest.raises(JobError, match="not s3://bucket/key"):
        parse_s3_uri(uri)


def test_the_http_worker_follows_a_pointer_uploads_the_candidate_and_answers_503_when_s3_fails(s3: object) -> None:
    """In-process worker (moto's mock patches boto3 in this process): pointer in, URI-only result out."""
    import threading
    import urllib.error
    import urllib.request

    from dissonance_trainer.http_worker import serve_http

    job = make_job()
    uri = f"s3://{BUCKET}/p/{job.job_id}/job.arrow"
    result_uri = f"s3://{BUCKET}/p/{job.job_id}/result.onnx"
    data = write_job(replace(job, result_uri=result_uri))
    object_store.put_object(uri, data)
    onnx = b"candidate" * 50
    server = serve_http(lambda j: TrainingResult.of(j.job_id, onnx), 0, upload_over=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def post(body: bytes) -> tuple[int, bytes]:
        url = f"http://127.0.0.1:{server.server_address[1]}/jobs"
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/vnd.apache.arrow.stream"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    try:
        status, body = post(write_job_pointer(job.job_id, uri, data))
        assert status == 200
        result = read_result(body)
        assert (result.onnx, result.uri, result.sha256) == (None, result_uri, TrainingResult.of(job.job_id, onnx).sha256)
        assert fetch_object(result_uri) == onnx
        status, body = post(write_job_pointer(job.job_id, f"s3://{BUCKET}/p/gone/job.arrow", data))
        assert status == 400 and b"is missing" in body
        status, body = post(write_job_pointer(job.job_id, "s3://no-such-bucket/p/job.arrow", data))
        assert status == 503 and b"GetObject" in body
    finally:
        server.shutdown()
        server.server_close()
