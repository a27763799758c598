"""A :class:`TrainingResult` as one Apache Arrow IPC stream: :func:`write_result` and :func:`read_result`.

One row, one ``onnx`` binary column (null when the artifact was uploaded and only its URI travels); the job
id, the sha256, the URI and the report (JSON text) are schema metadata. Arrow again, so the TypeScript side
reads results with the same library it writes jobs with. See ``docs/external-trainers.md`` ("Result format").
"""

from __future__ import annotations

import json
import math
from typing import Any

import pyarrow as pa

from .job import JobError, Scalar, TrainingResult, TrainReport, sha256_hex

#: Value of :data:`META_FORMAT` for this version of the result format.
RESULT_FORMAT = "dissonance-training-result/1"

COL_ONNX = "onnx"
META_FORMAT = "dissonance.format"
META_JOB_ID = "dissonance.job_id"
META_SHA256 = "dissonance.sha256"
META_URI = "dissonance.uri"
META_REPORT = "dissonance.report"


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def report_to_json(report: TrainReport) -> str:
    """The report as JSON text (``TrainReport``'s camelCase-free field names; non-finite numbers as null)."""
    body: dict[str, Any] = {"loss": [_finite_or_none(float(v)) for v in report.loss]}
    if report.kl is not None:
        body["kl"] = _finite_or_none(float(report.kl))
    if report.dissonance is not None:
        body["dissonance"] = _finite_or_none(float(report.dissonance))
    if report.epochs is not None:
        body["epochs"] = int(report.epochs)
    body["extra"] = {k: _finite_or_none(float(v)) for k, v in report.extra.items()}
    body["params"] = dict(report.params)
    return json.dumps(body, allow_nan=False)


def report_from_json(text: str) -> TrainReport:
    """Parses :func:`report_to_json`'s output (nulls in ``loss``/``extra`` read back as NaN)."""
    body = json.loads(text)
    if not isinstance(body, dict):
        raise JobError("result: the report is not a JSON object")
    nan = float("nan")
    params: dict[str, Scalar] = dict(body.get("params") or {})
    return TrainReport(
        loss=[nan if v is None else float(v) for v in body.get("loss") or []],
        kl=None if body.get("kl") is None else float(body["kl"]),
        dissonance=None if body.get("dissonance") is None else float(body["dissonance"]),
        epochs=None if body.get("epochs") is None else int(body["epochs"]),
        extra={k: nan if v is None else float(v) for k, v in (body.get("extra") or {}).items()},
        params=params,
    )


def write_result(result: TrainingResult) -> bytes:
    """Encodes ``result`` as an Arrow IPC stream.

    :raises JobError: when it carries neither ONNX bytes nor a URI, or its sha256 does not match its bytes.
    """
    if result.onnx is None and result.uri is None:
        raise JobError("result: neither ONNX bytes nor a URI")
    if result.onnx is not None and sha256_hex(result.onnx) != result.sha256:
        raise JobError("result: sha256 does not match the ONNX bytes")
    metadata = {
        META_FORMAT: RESULT_FORMAT,
        META_JOB_ID: result.job_id,
        META_SHA256: result.sha256,
        META_REPORT: report_to_json(result.report),
    }
    if result.uri is not None:
        metadata[META_URI] = result.uri
    schema = pa.schema([pa.field(COL_ONNX, pa.binary())], metadata=metadata)
    table = pa.Table.from_arrays([pa.array([result.onnx], type=pa.binary())], schema=schema)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def read_result(data: bytes) -> TrainingResult:
    """Decodes :func:`write_result`'s output.

    :raises JobError: on another format, a missing key, or ONNX bytes whose sha256 differs from the declared one.
    """
    try:
        table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    except pa.ArrowInvalid as error:
        raise JobError(f"result: not an Arrow IPC stream ({error})") from None
    metadata = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    if metadata.get(META_FORMAT) != RESULT_FORMAT:
        raise JobError(f"result: {META_FORMAT} is {metadata.get(META_FORMAT)!r}, expected {RESULT_FORMAT!r}")
    for key in (META_JOB_ID, META_SHA256, META_REPORT):
        if key not in metadata:
            raise JobError(f"result: schema metadata {key!r} is missing")
    if table.num_rows != 1 or COL_ONNX not in table.column_names:
        raise JobError(f"result: expected one row with an {COL_ONNX!r} column")
    onnx = table.column(COL_ONNX)[0].as_py()
    if onnx is not None and sha256_hex(onnx) != metadata[META_SHA256]:
        raise JobError("result: sha256 does not match the ONNX bytes")
    return TrainingResult(
        job_id=metadata[META_JOB_ID],
        sha256=metadata[META_SHA256],
        onnx=onnx,
        report=report_from_json(metadata[META_REPORT]),
        uri=metadata.get(META_URI),
    )
