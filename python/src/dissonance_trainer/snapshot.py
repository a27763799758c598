"""A :class:`TrainingJob` as one Apache Arrow IPC stream: :func:`read_job` and :func:`write_job`.

One table, one row per example plus one per reference row, told apart by the ``role`` column; the job's
scalars are schema metadata. The exact schema is in ``docs/external-trainers.md`` ("Snapshot format") and
in the ``COL_*``/``META_*`` constants below; the TypeScript side writes the same with ``apache-arrow``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from .job import DIVERGENCE_NAMES, Constraints, JobError, Snapshot, TrainingJob
from .object_store import Fetch, fetch_verified

#: Value of :data:`META_FORMAT` for this version of the format.
JOB_FORMAT = "dissonance-training-job/1"
#: Value of :data:`META_FORMAT` of a pointer job: the job's stream is an object at :data:`META_URI`.
JOB_POINTER_FORMAT = "dissonance-training-job-pointer/1"

COL_ID = "id"
COL_ROLE = "role"
COL_X = "x"
COL_LABEL = "label"
COL_TARGET = "target"
COL_WEIGHT = "weight"
COL_PROVENANCE = "provenance"
COL_BASE_PROBS = "base_probs"
#: Critic ``j``'s probabilities are in column ``critic_{j}``.
COL_CRITIC_PREFIX = "critic_"

ROLE_TRAIN = "train"
ROLE_REFERENCE = "reference"

META_FORMAT = "dissonance.format"
META_JOB_ID = "dissonance.job_id"
META_MODEL = "dissonance.model"
META_BASE_VERSION = "dissonance.base_version"
META_BASE_SHA256 = "dissonance.base_sha256"
META_WIDTH = "dissonance.width"
META_CLASSES = "dissonance.classes"
META_CRITICS = "dissonance.critics"
META_INPUT_SHAPE = "dissonance.input_shape"
META_D_TARGET = "dissonance.d_target"
META_LAMBDA_MAX = "dissonance.lambda_max"
META_KL_EPS = "dissonance.kl_eps"
META_SEED = "dissonance.seed"
META_DIVERGENCE = "dissonance.divergence"
META_DEADLINE_MS = "dissonance.deadline_ms"
META_RESULT_URI = "dissonance.result_uri"
#: Pointer jobs: the object's URI, sha256 (hex) and size in bytes.
META_URI = "dissonance.uri"
META_SHA256 = "dissonance.sha256"
META_SIZE = "dissonance.size"


def job_schema(width: int, classes: int, critics: int, metadata: dict[str, str] | None = None) -> pa.Schema:
    """The Arrow schema of a job with these dimensions (the metadata attached as given)."""
    probs = pa.list_(pa.float32(), classes)
    fields = [
        pa.field(COL_ID, pa.utf8(), nullable=False),
        pa.field(COL_ROLE, pa.utf8(), nullable=False),
        pa.field(COL_X, pa.list_(pa.float32(), width), nullable=False),
        pa.field(COL_LABEL, pa.int32()),
        pa.field(COL_TARGET, probs),
        pa.field(COL_WEIGHT, pa.float64()),
        pa.field(COL_PROVENANCE, pa.utf8()),
        *[pa.field(f"{COL_CRITIC_PREFIX}{j}", probs) for j in range(critics)],
        pa.field(COL_BASE_PROBS, probs),
    ]
    return pa.schema(fields, metadata=metadata)


def _number_text(value: float) -> str:
    """A float as the shortest text that reads back exactly (what JavaScript's ``String(number)`` also gives)."""
    if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _fixed(matrix: npt.NDArray[np.float32], size: int, valid: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    values = pa.array(np.ascontiguousarray(matrix, dtype=np.float32).reshape(-1), type=pa.float32())
    array = pa.FixedSizeListArray.from_arrays(values, size)
    if valid is None:
        return array
    mask = pa.array(~valid)
    return pa.FixedSizeListArray.from_arrays(values, size, mask=mask)


def write_job(job: TrainingJob) -> bytes:
    """Encodes ``job`` as an Arrow IPC stream (for tests and symmetry: the engine writes jobs in production)."""
    snap = job.snapshot
    n, r, k = snap.rows, job.reference.shape[0], job.critic_probs.shape[0]
    total = n + r
    train = np.zeros(total, dtype=bool)
    train[:n] = True
    ref = ~train
    c = job.classes
    hard = snap.targets.ndim == 1
    labels: list[int | None] = [int(v) for v in snap.targets] if hard else [None] * n
    dense = snap.dense_targets(c)
    pad = np.zeros((r, c), dtype=np.float32)
    metadata = {
        META_FORMAT: JOB_FORMAT,
        META_JOB_ID: job.job_id,
        META_MODEL: job.model,
        META_BASE_VERSION: job.base_version,
        META_BASE_SHA256: job.base_sha256,
        META_WIDTH: str(job.width),
        META_CLASSES: str(c),
        META_CRITICS: str(k),
        META_INPUT_SHAPE: json.dumps(list(job.input_shape)),
        META_D_TARGET: _number_text(job.constraints.d_target),
        META_LAMBDA_MAX: _number_text(job.constraints.lambda_max),
        META_KL_EPS: _number_text(job.constraints.kl_eps),
        META_SEED: str(int(job.constraints.seed)),
        META_DIVERGENCE: job.constraints.divergence,
        META_DEADLINE_MS: str(int(job.deadline_ms)),
    }
    if job.result_uri is not None:
        metadata[META_RESULT_URI] = job.result_uri
    schema = job_schema(job.width, c, k, metadata)
    columns = [
        pa.array(list(snap.ids) + [f"ref:{i}" for i in range(r)], type=pa.utf8()),
        pa.array([ROLE_TRAIN] * n + [ROLE_REFERENCE] * r, type=pa.utf8()),
        _fixed(np.concatenate([snap.features.reshape(n, job.width), job.reference.reshape(r, job.width)]), job.width),
        pa.array(labels + [None] * r, type=pa.int32()),
        _fixed(np.concatenate([dense, pad]), c, train),
        pa.array(list(np.asarray(snap.weights, dtype=np.float64)) + [None] * r, type=pa.float64()),
        pa.array(list(snap.provenance) + [None] * r, type=pa.utf8()),
        *[_fixed(np.concatenate([job.critic_probs[j], pad]), c, train) for j in range(k)],
        _fixed(np.concatenate([np.zeros((n, c), dtype=np.float32), job.reference_probs.reshape(r, c)]), c, ref),
    ]
    table = pa.Table.from_arrays(columns, schema=schema)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _meta(metadata: dict[bytes, bytes], key: str) -> str:
    raw = metadata.get(key.encode())
    if raw is None:
        raise JobError(f"job: schema metadata {key!r} is missing")
    return raw.decode()


def _int_meta(metadata: dict[bytes, bytes], key: str, minimum: int) -> int:
    text = _meta(metadata, key)
    try:
        value = int(text)
    except ValueError:
        raise JobError(f"job: {key} must be an integer, got {text!r}") from None
    if value < minimum:
        raise JobError(f"job: {key} must be ≥ {minimum}, got {value}")
    return value


def _float_meta(metadata: dict[bytes, bytes], key: str) -> float:
    text = _meta(metadata, key)
    try:
        return float(text)
    except ValueError:
        raise JobError(f"job: {key} must be a number, got {text!r}") from None


def _matrix(table: pa.Table, name: str, size: int) -> npt.NDArray[np.float32]:
    if name not in table.column_names:
        raise JobError(f"job: column {name!r} is missing")
    column = table.column(name).combine_chunks()
    kind = column.type
    # Any child field name and nullability: apache-arrow and pyarrow name and flag it differently by default.
    if not (pa.types.is_fixed_size_list(kind) and kind.list_size == size and kind.value_type == pa.float32()):
        raise JobError(f"job: column {name!r} is {kind}, expected fixed_size_list<float32>[{size}]")
    if column.null_count:
        raise JobError(f"job: column {name!r} has nulls where values are required")
    return column.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False).reshape(len(column), size)


def write_job_pointer(job_id: str, uri: str, data: bytes) -> bytes:
    """A pointer job to ``data`` stored at ``uri`` (as the engine writes it; for tests and symmetry)."""
    from .job import sha256_hex

    metadata = {
        META_FORMAT: JOB_POINTER_FORMAT,
        META_JOB_ID: job_id,
        META_URI: uri,
        META_SHA256: sha256_hex(data),
        META_SIZE: str(len(data)),
        "dissonance.job_format": JOB_FORMAT,
    }
    schema = pa.schema([pa.field("uri", pa.utf8(), nullable=False)], metadata=metadata)
    table = pa.Table.from_arrays([pa.array([uri], type=pa.utf8())], schema=schema)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def read_job(data: bytes, *, fetch: Fetch | None = None) -> TrainingJob:
    """Decodes an Arrow IPC stream written by the engine (or :func:`write_job`).

    A pointer job (``dissonance-training-job-pointer/1``) is followed: the object it names is read with
    ``fetch`` (default :func:`dissonance_trainer.object_store.fetch_object`, boto3), checked against the
    pointer's size and sha256, and decoded.

    :raises JobError: when the stream is not a job of this format, a column or metadata key is missing or of
        the wrong type, or a required value is null; for a pointer, when its object is missing or its size
        or sha256 differs.
    :raises StoreUnavailable: when the object store fails otherwise (the worker answers 503: retry).
    """
    try:
        table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    except pa.ArrowInvalid as error:
        raise JobError(f"job: not an Arrow IPC stream ({error})") from None
    metadata = table.schema.metadata or {}
    fmt = metadata.get(META_FORMAT.encode(), b"").decode()
    if fmt == JOB_POINTER_FORMAT:
        size = _int_meta(metadata, META_SIZE, 0)
        stored = fetch_verified(_meta(metadata, META_URI), _meta(metadata, META_SHA256), size, fetch)
        job = read_job(stored, fetch=_no_nested_pointer)
        if job.job_id != _meta(metadata, META_JOB_ID):
            raise JobError(f"job: the snapshot object holds job {job.job_id!r}, the pointer names {_meta(metadata, META_JOB_ID)!r}")
        return job
    if fmt != JOB_FORMAT:
        raise JobError(f"job: {META_FORMAT} is {fmt!r}, expected {JOB_FORMAT!r}")
    width = _int_meta(metadata, META_WIDTH, 1)
    classes = _int_meta(metadata, META_CLASSES, 2)
    critics = _int_meta(metadata, META_CRITICS, 0)
    divergence = _meta(metadata, META_DIVERGENCE)
    if divergence not in DIVERGENCE_NAMES:
        raise JobError(f"job: unknown divergence {divergence!r}")
    shape_text = metadata.get(META_INPUT_SHAPE.encode(), b"").decode()
    input_shape = tuple(int(v) for v in json.loads(shape_text)) if shape_text else (width,)
    if math.prod(input_shape) != width:
        raise JobError(f"job: input_shape {list(input_shape)} does not hold {width} features")
    for name in (COL_ID, COL_ROLE, COL_LABEL, COL_WEIGHT, COL_PROVENANCE):
        if name not in table.column_names:
            raise JobError(f"job: column {name!r} is missing")
    roles = table.column(COL_ROLE)
    train = table.filter(pc.equal(roles, ROLE_TRAIN))
    ref = table.filter(pc.equal(roles, ROLE_REFERENCE))
    if train.num_rows + ref.num_rows != table.num_rows:
        raise JobError(f"job: {COL_ROLE} must be {ROLE_TRAIN!r} or {ROLE_REFERENCE!r} on every row")
    n = train.num_rows
    labels = train.column(COL_LABEL).combine_chunks()
    targets: npt.NDArray[np.int64] | npt.NDArray[np.float32]
    if n > 0 and labels.null_count == 0:
        targets = labels.to_numpy(zero_copy_only=False).astype(np.int64)
        if targets.min() < 0 or targets.max() >= classes:
            raise JobError(f"job: a label is outside [0, {classes})")
    else:
        targets = _matrix(train, COL_TARGET, classes)
    weights = train.column(COL_WEIGHT).combine_chunks()
    if weights.null_count:
        raise JobError(f"job: column {COL_WEIGHT!r} has nulls on train rows")
    snapshot = Snapshot(
        ids=[str(v) for v in train.column(COL_ID).to_pylist()],
        features=_matrix(train, COL_X, width),
        targets=targets,
        weights=weights.to_numpy(zero_copy_only=False).astype(np.float64),
        provenance=[v if v is not None else "{}" for v in train.column(COL_PROVENANCE).to_pylist()],
    )
    critic_probs = np.stack([_matrix(train, f"{COL_CRITIC_PREFIX}{j}", classes) for j in range(critics)]) if critics else np.zeros((0, n, classes), dtype=np.float32)
    constraints = Constraints(
        d_target=_float_meta(metadata, META_D_TARGET),
        lambda_max=_float_meta(metadata, META_LAMBDA_MAX),
        kl_eps=_float_meta(metadata, META_KL_EPS),
        seed=_int_meta(metadata, META_SEED, -(2**63)),
        divergence=divergence,
    )
    return TrainingJob(
        job_id=_meta(metadata, META_JOB_ID),
        model=_meta(metadata, META_MODEL),
        base_version=_meta(metadata, META_BASE_VERSION),
        base_sha256=_meta(metadata, META_BASE_SHA256),
        width=width,
        classes=classes,
        snapshot=snapshot,
        critic_probs=critic_probs.astype(np.float32, copy=False),
        reference=_matrix(ref, COL_X, width),
        reference_probs=_matrix(ref, COL_BASE_PROBS, classes),
        constraints=constraints,
        deadline_ms=_int_meta(metadata, META_DEADLINE_MS, 0),
        input_shape=input_shape,
        result_uri=metadata[META_RESULT_URI.encode()].decode() if META_RESULT_URI.encode() in metadata else None,
    )


def _no_nested_pointer(uri: str) -> bytes:
    raise JobError(f"job: a pointer job's object is itself a pointer (to {uri})")
