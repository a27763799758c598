"""Jobs and results through S3: fetch a pointer job's snapshot, upload a large candidate.

The engine (``remoteTrainer({ snapshots: { store } })``) puts a job's Arrow stream above its ``overBytes``
in an object store and sends a *pointer job*: an Arrow stream whose metadata name the object's URI
(``s3://bucket/key``), sha256 and size. :func:`dissonance_trainer.snapshot.read_job` fetches it through
:func:`fetch_object`, checks size and sha256, and decodes it. The engine also names, in every job it sends
with a store, where the candidate may be uploaded (``TrainingJob.result_uri``); :func:`stage_result` uploads
ONNX bytes above a size there and answers only the URI and the sha256.

S3 access is boto3's: credentials, region and endpoint from the standard AWS environment variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``) or the
worker's ``--s3-endpoint`` (:func:`configure`), e.g. ``http://127.0.0.1:5055`` for moto. boto3 is imported
only when an object is read or written.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any, Callable

from .job import JobError, TrainingJob, TrainingResult, sha256_hex

#: Default size above which :func:`stage_result` uploads the ONNX bytes (8 MiB, the engine's default too).
DEFAULT_UPLOAD_OVER_BYTES = 8 * 1024 * 1024

#: Reads the object at a URI (``s3://bucket/key``) and returns its bytes.
Fetch = Callable[[str], bytes]


class StoreUnavailable(RuntimeError):
    """The object store did not answer (network, credentials, 5xx): the worker answers 503, the engine retries."""


_settings: dict[str, str | None] = {"endpoint": None}
_client: list[Any] = []


def configure(endpoint: str | None = None) -> None:
    """Sets the S3 endpoint URL (default: ``$AWS_ENDPOINT_URL``, else AWS) and forgets the cached client."""
    _settings["endpoint"] = endpoint
    _client.clear()


def _s3() -> Any:
    if not _client:
        try:
            import boto3
        except ImportError as error:  # pragma: no cover - boto3 is a dependency of the s3 extra
            raise StoreUnavailable("S3 objects need boto3: pip install 'dissonance-trainer[s3]'") from error
        endpoint = _settings["endpoint"] or os.environ.get("AWS_ENDPOINT_URL") or None
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        _client.append(boto3.client("s3", endpoint_url=endpoint, region_name=region))
    return _client[0]


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` → ``(bucket, key)``.

    :raises JobError: for another scheme, or a URI without a bucket or a key.
    """
    if not uri.startswith("s3://"):
        raise JobError(f"object URI {uri!r} is not s3://bucket/key")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket or not key:
        raise JobError(f"object URI {uri!r} is not s3://bucket/key")
    return bucket, key


def _missing(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    code = str((response.get("Error") or {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound")


def fetch_object(uri: str) -> bytes:
    """The bytes of the object at ``uri``.

    :raises JobError: when there is no such object (the engine deleted it, or never put it).
    :raises StoreUnavailable: when S3 fails otherwise.
    """
    bucket, key = parse_s3_uri(uri)
    try:
        return bytes(_s3().get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception as error:  # noqa: BLE001 - botocore's errors are dynamic classes
        if _missing(error):
            raise JobError(f"job: the snapshot object {uri} is missing") from None
        raise StoreUnavailable(f"GetObject {uri} failed: {error}") from error


def put_object(uri: str, data: bytes) -> None:
    """Writes ``data`` at ``uri``.

    :raises StoreUnavailable: when S3 fails.
    """
    bucket, key = parse_s3_uri(uri)
    try:
        _s3().put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/octet-stream")
    except Exception as error:  # noqa: BLE001 - botocore's errors are dynamic classes
        raise StoreUnavailable(f"PutObject {uri} failed: {error}") from error


def fetch_verified(uri: str, sha256: str, size: int, fetch: Fetch | None = None) -> bytes:
    """The object at ``uri`` (read with ``fetch``, default :func:`fetch_object`), checked against ``size`` and ``sha256``.

    :raises JobError: when it is missing, or its size or sha256 differs.
    """
    data = (fetch or fetch_object)(uri)
    if len(data) != size:
        raise JobError(f"job: the snapshot object {uri} has {len(data)} bytes, the pointer declares {size}")
    digest = sha256_hex(data)
    if digest != sha256:
        raise JobError(f"job: sha256 of the snapshot object {uri} is {digest}, the pointer declares {sha256}")
    return data


def stage_result(job: TrainingJob, result: TrainingResult, *, over_bytes: int = DEFAULT_UPLOAD_OVER_BYTES, put: Callable[[str, bytes], None] | None = None) -> TrainingResult:
    """``result``, its ONNX uploaded to ``job.result_uri`` when it is larger than ``over_bytes`` (0: always).

    Unchanged when the job names no ``result_uri`` (the engine has no store), when the result carries no
    bytes (the handler uploaded them itself), or when they are small enough to travel inline.
    """
    if job.result_uri is None or result.onnx is None or len(result.onnx) <= over_bytes:
        return result
    (put or put_object)(job.result_uri, result.onnx)
    return replace(result, onnx=None, uri=job.result_uri, sha256=sha256_hex(result.onnx))
