"""Digits (sklearn's load_digits, 8×8 → 64 features in [0, 1]) split for the tests, and jobs built from it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from dissonance_trainer import Constraints, Snapshot, TrainingJob, sha256_hex

CLASSES = 10
WIDTH = 64


@dataclass(frozen=True)
class Digits:
    """Disjoint splits: a few rows for a weak base, the job's snapshot, reference rows, the golden set."""

    base_x: npt.NDArray[np.float32]
    base_y: npt.NDArray[np.int64]
    train_x: npt.NDArray[np.float32]
    train_y: npt.NDArray[np.int64]
    reference_x: npt.NDArray[np.float32]
    golden_x: npt.NDArray[np.float32]
    golden_y: npt.NDArray[np.int64]
    critic_probs: npt.NDArray[np.float32]


@lru_cache(maxsize=1)
def digits() -> Digits:
    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    base, train, ref, golden, critic = np.split(order, [40, 640, 740, 1140])
    critic_model = LogisticRegression(max_iter=300).fit(x[critic], y[critic])
    return Digits(
        base_x=x[base], base_y=y[base], train_x=x[train], train_y=y[train], reference_x=x[ref],
        golden_x=x[golden], golden_y=y[golden],
        critic_probs=critic_model.predict_proba(x[train]).astype(np.float32)[None],
    )


def onnx_probs(onnx: bytes, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The model's probabilities on rows ``x`` (reshaped to the ONNX input's declared shape)."""
    session = ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])
    declared = session.get_inputs()[0].shape
    feed = x.reshape((-1, *[int(d) for d in declared[1:]]))
    return session.run(["probabilities"], {session.get_inputs()[0].name: feed})[0]


def golden_accuracy(onnx: bytes) -> float:
    d = digits()
    return float(np.mean(np.argmax(onnx_probs(onnx, d.golden_x), axis=1) == d.golden_y))


def digits_job(base_onnx: bytes, *, kl_eps: float = 1.0, job_id: str = "job-1", lambda_max: float = 0.05) -> TrainingJob:
    """A job on the digits snapshot whose champion is ``base_onnx``."""
    d = digits()
    n = len(d.train_x)
    return TrainingJob(
        job_id=job_id,
        model="digits",
        base_version="1",
        base_sha256=sha256_hex(base_onnx),
        width=WIDTH,
        classes=CLASSES,
        snapshot=Snapshot(
            ids=[f"item-{i}" for i in range(n)],
            features=d.train_x,
            targets=d.train_y,
            weights=np.ones(n, dtype=np.float64),
            provenance=[json.dumps({"origin": "oracle"})] * n,
        ),
        critic_probs=d.critic_probs,
        reference=d.reference_x,
        reference_probs=onnx_probs(base_onnx, d.reference_x),
        constraints=Constraints(d_target=0.12, lambda_max=lambda_max, kl_eps=kl_eps, seed=7),
        deadline_ms=int((time.time() + 600) * 1000),
    )
