"""dissonance-trainer: external trainers for the dissonance loop.

The contract (:class:`TrainingJob` → :class:`TrainingResult`, Arrow IPC on the wire), the PyTorch helpers
(:func:`adr_loss`, :func:`kl_guard`), the ONNX exports (:func:`export_torch`, :func:`export_sklearn`), two
reference handlers and the worker (``dissonance-trainer``). Torch and scikit-learn are imported lazily, so a
handler needs only the one it uses.
"""

from __future__ import annotations

from typing import Any

from .job import Constraints, JobError, Snapshot, TrainingJob, TrainingResult, TrainReport, sha256_hex
from .result_codec import read_result, write_result
from .object_store import StoreUnavailable, stage_result
from .snapshot import read_job, write_job, write_job_pointer

__version__ = "0.1.0"

_LAZY = {
    "adr_loss": "adr",
    "adr_terms": "adr",
    "AdrTerms": "adr",
    "kl_guard": "kl_backtrack",
    "KlGuardResult": "kl_backtrack",
    "mean_kl": "kl_backtrack",
    "export_torch": "onnx_export",
    "export_sklearn": "onnx_export",
    "torch_finetune_handler": "torch_handler",
    "sklearn_refit_handler": "sklearn_handler",
    "save_checkpoint": "checkpoints",
    "load_checkpoint": "checkpoints",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dissonance_trainer' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = [
    "Constraints",
    "JobError",
    "Snapshot",
    "TrainReport",
    "TrainingJob",
    "TrainingResult",
    "read_job",
    "read_result",
    "stage_result",
    "StoreUnavailable",
    "write_job_pointer",
    "sha256_hex",
    "write_job",
    "write_result",
    *_LAZY,
]
