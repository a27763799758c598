"""Reference handler: refit any scikit-learn classifier on the snapshot and export it with skl2onnx.

A refit has no gradient steps, so neither the dissonance term nor the KL backtracking applies: the handler
fits ``factory()`` on the snapshot (sample weights where ``fit`` takes them; soft targets as their argmax),
and reports — does not enforce — the candidate's ``KL(old‖new)`` on the reference rows and its dissonance
against the critics. The engine's golden guard decides, as for every candidate.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from .divergences import divergence as divergence_named
from .handler import Handler
from .job import JobError, TrainingJob, TrainingResult, TrainReport
from .kl_backtrack import mean_kl
from .onnx_export import export_sklearn


def _takes_sample_weight(estimator: Any) -> bool:
    try:
        return "sample_weight" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):
        return False


def _dissonance(probs: np.ndarray, critic_probs: np.ndarray, name: str) -> float:
    if critic_probs.shape[0] == 0:
        return 0.0
    import torch

    d = divergence_named(name)
    p = torch.from_numpy(probs.astype(np.float64))
    return float(np.mean([float(d(p, torch.from_numpy(q.astype(np.float64))).mean()) for q in critic_probs]))


def sklearn_refit_handler(factory: Callable[[], Any]) -> Handler:
    """A handler refitting ``factory()`` (an unfitted classifier or pipeline with ``predict_proba``) per job.

    :raises JobError: (from the handler) when the snapshot does not hold every class, so the model's output
        would not be ``[N, classes]``.
    """

    def handle(job: TrainingJob) -> TrainingResult:
        snap = job.snapshot
        labels = snap.hard_labels()
        missing = sorted(set(range(job.classes)) - set(int(v) for v in labels))
        if missing:
            raise JobError(f"sklearn refit: the snapshot has no example of class(es) {missing}")
        estimator = factory()
        weighted = _takes_sample_weight(estimator)
        if weighted:
            estimator.fit(snap.features, labels, sample_weight=snap.weights)
        else:
            estimator.fit(snap.features, labels)
        onnx = export_sklearn(estimator, job.width)
        probs = estimator.predict_proba(snap.features)
        kl = mean_kl(job.reference_probs, estimator.predict_proba(job.reference)) if len(job.reference) else 0.0
        report = TrainReport(
            loss=[],
            kl=kl,
            dissonance=_dissonance(probs, job.critic_probs, job.constraints.divergence),
            epochs=1,
            extra={"train_accuracy": float(np.mean(np.argmax(probs, axis=1) == labels))},
            params={"trainer": "sklearn-refit", "estimator": type(estimator).__name__, "sample_weight": weighted},
        )
        return TrainingResult.of(job.job_id, onnx, report)

    return handle
