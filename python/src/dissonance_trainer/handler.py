"""What a handler is: a function from a :class:`TrainingJob` to a :class:`TrainingResult`, and how to load one."""

from __future__ import annotations

import importlib
from typing import Callable

from .job import TrainingJob, TrainingResult

#: A trainer the worker runs on each job. It may raise :class:`dissonance_trainer.job.JobError` to refuse a
#: job it cannot train (the worker answers 422); any other exception is a failed job (500).
Handler = Callable[[TrainingJob], TrainingResult]


def load_handler(spec: str) -> Handler:
    """``module:function`` (``module`` importable from ``sys.path``) → the function.

    :raises ValueError: when ``spec`` is not ``module:function`` or the attribute is not callable.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"--handler must be module:function, got {spec!r}")
    target: object = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"--handler {spec!r} is not callable")
    return target  # type: ignore[return-value]
