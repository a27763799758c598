"""Handlers the remote-trainer integration tests load by ``module:function`` in a real worker process."""

from __future__ import annotations

import os
import time

from sklearn.linear_model import LogisticRegression

from dissonance_trainer import TrainingJob, TrainingResult, export_sklearn, sklearn_refit_handler

#: Refits a logistic regression per job (the reference scikit-learn handler).
refit = sklearn_refit_handler(lambda: LogisticRegression(max_iter=500))


def slow(job: TrainingJob) -> TrainingResult:
    """Sleeps ``$SLOW_SECONDS`` (default 30) before refitting: a worker to kill or outwait mid-job."""
    print(f"slow: started job {job.job_id}", flush=True)
    time.sleep(float(os.environ.get("SLOW_SECONDS", "30")))
    return refit(job)


def truncated(job: TrainingJob) -> TrainingResult:
    """A refit whose ONNX bytes are cut in half (with a matching digest): bytes that do not load."""
    result = refit(job)
    assert result.onnx is not None
    return TrainingResult.of(job.job_id, result.onnx[: len(result.onnx) // 2], result.report)


def narrow(job: TrainingJob) -> TrainingResult:
    """A model fitted on all features but the last: its input is one feature narrower than the champion's."""
    model = LogisticRegression(max_iter=500).fit(job.snapshot.features[:, :-1], job.snapshot.hard_labels())
    return TrainingResult.of(job.job_id, export_sklearn(model, job.width - 1))


def nan(job: TrainingJob) -> TrainingResult:
    """A refit whose coefficients are NaN: a model that loads, has the right shape, and outputs NaN."""
    import numpy as np

    model = LogisticRegression(max_iter=500).fit(job.snapshot.features, job.snapshot.hard_labels())
    model.coef_[:] = np.nan
    return TrainingResult.of(job.job_id, export_sklearn(model, job.width))


def torch_mlp(job: TrainingJob) -> TrainingResult:
    """The reference PyTorch handler fine-tuning a small MLP (ADR loss on the job's critic probabilities, KL guard
    against its reference probabilities); imported lazily so the scikit-learn handlers need no torch."""
    import torch

    from dissonance_trainer import torch_finetune_handler

    torch.set_num_threads(1)
    handler = torch_finetune_handler(
        lambda: torch.nn.Sequential(torch.nn.Linear(job.width, 16), torch.nn.ReLU(), torch.nn.Linear(16, job.classes)),
        epochs=40,
        learning_rate=1e-2,
    )
    return handler(job)


def two_classes(job: TrainingJob) -> TrainingResult:
    """A model with one class fewer than the champion: its output shape differs."""
    import numpy as np

    labels = np.minimum(job.snapshot.hard_labels(), job.classes - 2)
    model = LogisticRegression(max_iter=500).fit(job.snapshot.features, labels)
    return TrainingResult.of(job.job_id, export_sklearn(model, job.width))


def flipped(job: TrainingJob) -> TrainingResult:
    """A well-formed model trained on shifted labels: it loads and runs, and fails the golden guard."""
    model = LogisticRegression(max_iter=500).fit(job.snapshot.features, (job.snapshot.hard_labels() + 1) % job.classes)
    return TrainingResult.of(job.job_id, export_sklearn(model, job.width))


def uploaded_bad_sha(job: TrainingJob) -> TrainingResult:
    """A refit uploaded to the job's ``result_uri`` whose answer declares another sha256."""
    from dataclasses import replace

    from dissonance_trainer.object_store import put_object

    result = refit(job)
    assert result.onnx is not None and job.result_uri is not None
    put_object(job.result_uri, result.onnx)
    return replace(result, onnx=None, uri=job.result_uri, sha256="0" * 64)


def uploaded_missing(job: TrainingJob) -> TrainingResult:
    """A refit answered as the job's ``result_uri`` without uploading anything there."""
    from dataclasses import replace

    result = refit(job)
    assert job.result_uri is not None
    return replace(result, onnx=None, uri=job.result_uri)


def cnn_shape(job: TrainingJob) -> TrainingResult:
    """Refuses the job unless it declares the CNN's ``(1, 8, 8)``, then fine-tunes a small CNN reshaped to it."""
    import torch

    from dissonance_trainer import JobError, torch_finetune_handler

    if job.input_shape != (1, 8, 8):
        raise JobError(f"expected input_shape (1, 8, 8), got {job.input_shape}")
    torch.set_num_threads(1)
    handler = torch_finetune_handler(
        lambda: torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.Flatten(),
            torch.nn.Linear(4 * 64, job.classes),
        ),
        epochs=5,
    )
    return handler(job)
