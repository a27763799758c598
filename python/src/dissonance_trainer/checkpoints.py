"""The torch handler's checkpoint store: one ``state_dict`` file per ONNX artifact, named by its sha256.

An ONNX artifact cannot be turned back into a ``torch.nn.Module`` in general, so the torch handler keeps
its own checkpoints: after a fit it saves the new weights under the sha256 of the ONNX it returns, and the
next job whose ``base_sha256`` is that artifact (once the engine promoted it) starts from them. Seed the
store with :func:`save_checkpoint` for the champion you deploy first.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from .job import JobError

#: Environment variable naming the checkpoint directory.
CHECKPOINT_DIR_ENV = "DISSONANCE_TRAINER_CHECKPOINTS"


def default_checkpoint_dir() -> Path:
    """``$DISSONANCE_TRAINER_CHECKPOINTS``, else ``~/.cache/dissonance-trainer/checkpoints``."""
    configured = os.environ.get(CHECKPOINT_DIR_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "dissonance-trainer" / "checkpoints"


def checkpoint_path(sha256: str, directory: str | Path | None = None) -> Path:
    """Where the checkpoint of the artifact with this sha256 lives."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"checkpoint: {sha256!r} is not a lower-case hex sha256")
    return Path(directory if directory is not None else default_checkpoint_dir()) / f"{sha256}.pt"


def save_checkpoint(module: torch.nn.Module, sha256: str, directory: str | Path | None = None) -> Path:
    """Saves ``module``'s state dict as the checkpoint of the artifact ``sha256`` (atomically) and returns its path."""
    path = checkpoint_path(sha256, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    torch.save(module.state_dict(), partial)
    os.replace(partial, path)
    return path


def load_checkpoint(module: torch.nn.Module, sha256: str, directory: str | Path | None = None) -> bool:
    """Loads the checkpoint of ``sha256`` into ``module``; False (module untouched) when there is none, or when
    ``sha256`` is empty (a job with no champion yet: the first model, fitted from the factory's initialization).

    :raises JobError: when the checkpoint does not fit ``module``'s architecture (the factory changed since the
        artifact was trained): a job refused with a clear reason, never a silent fresh start.
    """
    if sha256 == "":
        return False
    path = checkpoint_path(sha256, directory)
    if not path.is_file():
        return False
    state = torch.load(path, map_location="cpu", weights_only=True)
    try:
        module.load_state_dict(state)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[-1].strip()
        raise JobError(f"checkpoint {path.name} does not fit the model's architecture: {first}") from None
    return True
