"""The training-job contract as the Python side reads it: :class:`TrainingJob` in, :class:`TrainingResult` out.

Field names follow the TypeScript contract (``TrainConstraints``, ``TrainReport``) in snake_case. The wire
format of both is Apache Arrow IPC; see :mod:`dissonance_trainer.snapshot` and
:mod:`dissonance_trainer.result_codec`, and ``docs/external-trainers.md`` ("Snapshot format").
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import numpy.typing as npt

#: The divergences the dissonance term can use (``DIVERGENCE_NAMES`` in packages/core/src/train/divergence-terms.ts).
DIVERGENCE_NAMES: tuple[str, ...] = ("jensen-shannon", "total-variation", "abs-diff", "hellinger", "symmetric-kl")

#: A scalar worth recording with a version (``Scalar`` in the TypeScript registry port).
Scalar = Union[str, float, int, bool]


class JobError(ValueError):
    """A job or result that does not follow the contract (bad shape, missing metadata, wrong digest)."""


@dataclass(frozen=True)
class Constraints:
    """What the loop asks the trainer to respect (``TrainConstraints`` minus the models, which travel as outputs)."""

    #: ``D_target`` of the ADR loss ``CE + λ·max(0, D − D_target)²``.
    d_target: float
    #: Upper bound of ``λ`` (the reference handlers use ``λ = lambda_max``, as the built-in trainer does by default).
    lambda_max: float
    #: Bound on the mean ``KL(old‖new)`` over the reference rows, in nats.
    kl_eps: float
    #: Seed for reproducible training.
    seed: int
    #: The divergence ``D`` of the dissonance term (one of :data:`DIVERGENCE_NAMES`).
    divergence: str = "jensen-shannon"


@dataclass(frozen=True)
class Snapshot:
    """The examples to train on, row-aligned: ``n`` rows of ``width`` features over ``classes`` classes."""

    #: Example ids (the replay buffer's item ids), ``n`` strings.
    ids: list[str]
    #: Features, float32 ``[n, width]`` (row-major; a CNN reshapes them by :attr:`TrainingJob.input_shape`).
    features: npt.NDArray[np.float32]
    #: Targets: int64 ``[n]`` class labels when every row is hard, else float32 ``[n, classes]`` distributions
    #: (hard rows one-hot). Soft rows are used as given (``CE = −Σ y·ln p``), as the TypeScript trainer does.
    targets: npt.NDArray[np.int64] | npt.NDArray[np.float32]
    #: Sample weights, float64 ``[n]``, each > 0.
    weights: npt.NDArray[np.float64]
    #: Provenance of each row: a JSON object's text (``Provenance`` in the TypeScript batch port), ``n`` strings.
    provenance: list[str]

    @property
    def rows(self) -> int:
        """Number of examples."""
        return len(self.ids)

    def dense_targets(self, classes: int) -> npt.NDArray[np.float32]:
        """The targets as float32 ``[n, classes]`` distributions (hard labels one-hot)."""
        if self.targets.ndim == 1:
            out = np.zeros((self.rows, classes), dtype=np.float32)
            out[np.arange(self.rows), self.targets.astype(np.int64)] = 1.0
            return out
        return self.targets.astype(np.float32, copy=False)

    def hard_labels(self) -> npt.NDArray[np.int64]:
        """Class labels: the hard labels, or the argmax of soft targets (for estimators that take labels only)."""
        if self.targets.ndim == 1:
            return self.targets.astype(np.int64, copy=False)
        return np.argmax(self.targets, axis=1).astype(np.int64)


@dataclass(frozen=True)
class TrainingJob:
    """One retrain request: the snapshot, the critics' and the champion's outputs, and the constraints."""

    #: Job id; a retry of the same job reuses it (so a worker may answer a duplicate from a cache).
    job_id: str
    #: Model name in the registry.
    model: str
    #: Version of the champion the job starts from.
    base_version: str
    #: sha256 (hex) of the champion's ONNX artifact bytes.
    base_sha256: str
    #: Features per row.
    width: int
    #: Classes per row.
    classes: int
    #: The examples.
    snapshot: Snapshot
    #: Each critic's probabilities on the snapshot, float32 ``[n_critics, n, classes]`` (``n_critics`` may be 0).
    critic_probs: npt.NDArray[np.float32]
    #: Reference rows of the KL guard, float32 ``[r, width]``.
    reference: npt.NDArray[np.float32]
    #: The champion's probabilities on the reference rows, float32 ``[r, classes]`` (``old`` of ``KL(old‖new)``).
    reference_probs: npt.NDArray[np.float32]
    #: Limits and targets.
    constraints: Constraints
    #: Unix epoch milliseconds after which the engine stops waiting for the result.
    deadline_ms: int
    #: The model's input shape without the batch axis (``(width,)``, or ``(C, H, W)`` for a CNN).
    input_shape: tuple[int, ...] = ()
    #: Where the candidate's ONNX may be uploaded instead of answered inline (``s3://bucket/key``; ``None`` when
    #: the engine has no object store). :func:`dissonance_trainer.object_store.stage_result` uses it.
    result_uri: str | None = None

    def seconds_left(self, now: float | None = None) -> float:
        """Seconds until :attr:`deadline_ms` (negative once it passed)."""
        return self.deadline_ms / 1000.0 - (time.time() if now is None else now)

    def __post_init__(self) -> None:
        if not self.input_shape:
            object.__setattr__(self, "input_shape", (self.width,))


@dataclass(frozen=True)
class TrainReport:
    """What a trainer tells about a fit (``TrainReport`` in the TypeScript trainer port)."""

    #: Mean loss of each epoch.
    loss: list[float] = field(default_factory=list)
    #: Mean ``KL(old‖new)`` over the reference rows of the returned model, in nats.
    kl: float | None = None
    #: Dissonance term ``D`` at the end.
    dissonance: float | None = None
    #: Epochs run.
    epochs: int | None = None
    #: Other numbers worth logging (backtrack factor, λ used…).
    extra: dict[str, float] = field(default_factory=dict)
    #: Trainer parameters worth recording with the version.
    params: dict[str, Scalar] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingResult:
    """A trained candidate: its ONNX bytes (or an object-store URI) with their sha256, and the report."""

    #: The job this answers.
    job_id: str
    #: sha256 (hex) of the ONNX bytes.
    sha256: str
    #: The ONNX model bytes; ``None`` when the artifact was uploaded to :attr:`uri` instead.
    onnx: bytes | None
    #: The report.
    report: TrainReport = field(default_factory=TrainReport)
    #: Object-store URI of the artifact when :attr:`onnx` is ``None``.
    uri: str | None = None

    @staticmethod
    def of(job_id: str, onnx: bytes, report: TrainReport | None = None) -> TrainingResult:
        """A result carrying ``onnx`` inline, its sha256 computed here."""
        return TrainingResult(job_id=job_id, sha256=sha256_hex(onnx), onnx=onnx, report=report or TrainReport())


def sha256_hex(data: bytes) -> str:
    """Lower-case hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
