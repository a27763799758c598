"""Round trips of the job and result encodings, and their refusals."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from dissonance_trainer import Constraints, JobError, Snapshot, TrainingJob, TrainingResult, TrainReport
from dissonance_trainer import read_job, read_result, write_job, write_result
from dissonance_trainer.snapshot import job_schema


def make_job(*, soft: bool = False, critics: int = 2, reference: int = 3, n: int = 5) -> TrainingJob:
    rng = np.random.default_rng(1)
    classes, width = 3, 4
    targets = rng.dirichlet(np.ones(classes), n).astype(np.float32) if soft else rng.integers(0, classes, n)
    return TrainingJob(
        job_id="j-1", model="m", base_version="7", base_sha256="ab" * 32, width=width, classes=classes,
        snapshot=Snapshot(
            ids=[f"id-{i}" for i in range(n)],
            features=rng.normal(size=(n, width)).astype(np.float32),
            targets=targets,
            weights=rng.uniform(0.1, 1, n),
            provenance=[json.dumps({"origin": "oracle", "i": i}) for i in range(n)],
        ),
        critic_probs=rng.dirichlet(np.ones(classes), (critics, n)).astype(np.float32),
        reference=rng.normal(size=(reference, width)).astype(np.float32),
        reference_probs=rng.dirichlet(np.ones(classes), reference).astype(np.float32),
        constraints=Constraints(d_target=0.12, lambda_max=0.05, kl_eps=1e-7, seed=-3, divergence="hellinger"),
        deadline_ms=1_800_000_000_123,
        input_shape=(1, 2, 2),
    )


def assert_same(a: TrainingJob, b: TrainingJob) -> None:
    for name in ("job_id", "model", "base_version", "base_sha256", "width", "classes", "constraints", "deadline_ms", "input_shape"):
        assert getattr(a, name) == getattr(b, name), name
    for name in ("ids", "provenance"):
        assert getattr(a.snapshot, name) == getattr(b.snapshot, name)
    for name in ("features", "targets", "weights"):
        np.testing.assert_array_equal(getattr(a.snapshot, name), getattr(b.snapshot, name))
    assert a.snapshot.targets.dtype.kind == b.snapshot.targets.dtype.kind
    for name in ("critic_probs", "reference", "reference_probs"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).shape == getattr(b, name).shape


@pytest.mark.parametrize("soft", [False, True])
def test_job_round_trip(soft: bool) -> None:
    job = make_job(soft=soft)
    assert_same(job, read_job(write_job(job)))


def test_job_round_trip_without_critics_or_reference() -> None:
    job = make_job(critics=0, reference=0)
    back = read_job(write_job(job))
    assert_same(job, back)
    assert back.critic_probs.shape == (0, 5, 3)


def test_job_is_plain_arrow_with_the_documented_schema() -> None:
    table = pa.ipc.open_stream(write_job(make_job())).read_all()
    assert table.schema.remove_metadata().equals(job_schema(4, 3, 2).remove_metadata(), check_metadata=False)
    meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
    assert meta["dissonance.format"] == "dissonance-training-job/1"
    assert meta["dissonance.kl_eps"] == "1e-07" and meta["dissonance.seed"] == "-3"
    assert table.column("role").to_pylist() == ["train"] * 5 + ["reference"] * 3


def test_mixed_hard_and_soft_rows_read_as_distributions() -> None:
    job = make_job(soft=True)
    table = pa.ipc.open_stream(write_job(job)).read_all()
    labels = table.column("label").to_pylist()
    labels[0] = 2  # a hard row among soft ones: its target column holds the one-hot row
    table = table.set_column(table.schema.get_field_index("label"), table.schema.field("label"), pa.array(labels, pa.int32()))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    back = read_job(sink.getvalue().to_pybytes())
    assert back.snapshot.targets.shape == (5, 3)


def test_bad_jobs_are_refused() -> None:
    with pytest.raises(JobError, match="not an Arrow IPC stream"):
        read_job(b"not arrow")
    table = pa.ipc.open_stream(write_job(make_job())).read_all()
    meta = dict(table.schema.metadata)
    del meta[b"dissonance.kl_eps"]
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema.with_metadata(meta)) as writer:
        writer.write_table(table.replace_schema_metadata(meta))
    with pytest.raises(JobError, match="dissonance.kl_eps"):
        read_job(sink.getvalue().to_pybytes())


def test_result_round_trip() -> None:
    report = TrainReport(loss=[1.5, 0.25], kl=0.01, dissonance=0.2, epochs=2, extra={"t": 0.5}, params={"lr": 0.001, "init": "checkpoint"})
    result = TrainingResult.of("j-1", b"\x08\x07onnx bytes", report)
    back = read_result(write_result(result))
    assert back == result
    uri_only = TrainingResult(job_id="j-2", sha256="cd" * 32, onnx=None, uri="s3://bucket/key.onnx")
    assert read_result(write_result(uri_only)) == uri_only


def test_result_with_a_wrong_digest_is_refused() -> None:
    with pytest.raises(JobError, match="sha256"):
        write_result(TrainingResult(job_id="j", sha256="00" * 32, onnx=b"x"))


def test_fixed_size_lists_may_name_and_flag_their_child_field_otherwise() -> None:
    # apache-arrow in JavaScript lets the writer name the child field; a non-nullable "element" child reads the same.
    job = make_job()
    table = pa.ipc.open_stream(write_job(job)).read_all()
    child = pa.field("element", pa.float32(), nullable=False)
    column = table.column("x").combine_chunks()
    renamed = pa.FixedSizeListArray.from_arrays(column.values, type=pa.list_(child, 4))
    index = table.schema.get_field_index("x")
    table = table.set_column(index, pa.field("x", renamed.type, nullable=False), renamed)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    assert_same(job, read_job(sink.getvalue().to_pybytes()))
    wrong = table.set_column(index, pa.field("x", pa.list_(pa.float64(), 4)), pa.FixedSizeListArray.from_arrays(column.values.cast(pa.float64()), 4))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, wrong.schema) as writer:
        writer.write_table(wrong)
    with pytest.raises(JobError, match="fixed_size_list<float32>"):
        read_job(sink.getvalue().to_pybytes())
