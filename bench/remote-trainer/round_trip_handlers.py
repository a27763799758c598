"""The round-trip bench's handler: the reference scikit-learn refit, timing itself into the report."""

from __future__ import annotations

import time
from dataclasses import replace

from sklearn.linear_model import LogisticRegression

from dissonance_trainer import TrainingJob, TrainingResult, sklearn_refit_handler

_refit = sklearn_refit_handler(lambda: LogisticRegression(max_iter=100))


def timed_refit(job: TrainingJob) -> TrainingResult:
    """Refits a logistic regression and records its own wall time, in ms, as ``report.extra.handler_ms``."""
    started = time.perf_counter()
    result = _refit(job)
    handler_ms = (time.perf_counter() - started) * 1000
    return replace(result, report=replace(result.report, extra={**result.report.extra, "handler_ms": handler_ms}))
