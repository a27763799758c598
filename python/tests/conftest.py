"""Shared fixtures: single-threaded torch (the machine is shared), a private checkpoint directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def checkpoint_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own checkpoint store (``$DISSONANCE_TRAINER_CHECKPOINTS``)."""
    directory = tmp_path / "checkpoints"
    monkeypatch.setenv("DISSONANCE_TRAINER_CHECKPOINTS", str(directory))
    return directory
