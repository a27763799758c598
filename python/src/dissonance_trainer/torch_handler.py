"""Reference handler: fine-tune any ``torch.nn.Module`` classifier with the ADR loss and the KL guard.

Start: the checkpoint saved under the job's ``base_sha256`` (see :mod:`dissonance_trainer.checkpoints`),
else the factory's initialization. Fit: Adam on shuffled mini-batches of the snapshot minimizing
:func:`adr_loss` with ``λ = lambda_max``, the critics' probabilities as constants. Guard: :func:`kl_guard`
against the champion's probabilities on the reference rows. Export: :func:`export_torch`, then the new
weights are checkpointed under the ONNX's sha256 so the next job starts from them.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Callable

import torch

from .adr import adr_terms
from .checkpoints import load_checkpoint, save_checkpoint
from .handler import Handler
from .job import TrainingJob, TrainingResult, TrainReport, sha256_hex
from .kl_backtrack import kl_guard
from .onnx_export import export_torch

#: Seconds kept in hand before the job's deadline for the guard and the export.
DEADLINE_MARGIN_S = 2.0


def torch_finetune_handler(
    factory: Callable[[], torch.nn.Module],
    *,
    epochs: int = 20,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    checkpoint_dir: str | Path | None = None,
) -> Handler:
    """A handler fine-tuning ``factory()``'s architecture (a module returning ``[N, classes]`` logits).

    The module takes input shaped ``[N, *job.input_shape]`` (``[N, width]``, or ``[N, C, H, W]`` for a CNN).
    """

    def handle(job: TrainingJob) -> TrainingResult:
        torch.manual_seed(job.constraints.seed)
        model = factory()
        warm = load_checkpoint(model, job.base_sha256, checkpoint_dir)
        start = copy.deepcopy(model)
        shape = (-1, *job.input_shape)
        snap = job.snapshot
        x = torch.from_numpy(snap.features).reshape(shape)
        y = torch.from_numpy(snap.dense_targets(job.classes))
        w = torch.from_numpy(snap.weights)
        q = torch.from_numpy(job.critic_probs)
        c = job.constraints
        optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        order = torch.Generator().manual_seed(c.seed)
        stop_at = job.deadline_ms / 1000.0 - DEADLINE_MARGIN_S
        losses: list[float] = []
        done = 0
        timed_out = False
        model.train()
        for _ in range(epochs):
            perm = torch.randperm(snap.rows, generator=order)
            total = 0.0
            for begin in range(0, snap.rows, batch_size):
                idx = perm[begin : begin + batch_size]
                terms = adr_terms(
                    model(x[idx]), q[:, idx], c.d_target, c.lambda_max, y[idx], w[idx], divergence=c.divergence
                )
                optimizer.zero_grad()
                terms.loss.backward()
                optimizer.step()
                total += terms.loss.detach().item() * len(idx)
                if time.time() > stop_at:
                    timed_out = True
                    break
            losses.append(total / snap.rows)
            if timed_out:
                break
            done += 1
        reference = torch.from_numpy(job.reference).reshape(shape)
        guard = kl_guard(start, model, reference, c.kl_eps, old_probs=job.reference_probs)
        model.eval()
        with torch.no_grad():
            final = adr_terms(model(x), q, c.d_target, c.lambda_max, y, w, divergence=c.divergence)
        onnx = export_torch(model, job.width, input_shape=job.input_shape)
        sha = sha256_hex(onnx)
        save_checkpoint(model, sha, checkpoint_dir)
        report = TrainReport(
            loss=losses,
            kl=guard.kl,
            dissonance=float(final.dissonance),
            epochs=done,
            extra={"t": guard.t, "halvings": float(guard.halvings), "kl_full": guard.kl_full, "lambda": c.lambda_max},
            params={
                "trainer": "torch-finetune",
                "init": "checkpoint" if warm else "factory",
                "epochs": epochs,
                "batch_size": batch_size,
                "learning_rate": learning_rate,
                "timed_out": timed_out,
            },
        )
        return TrainingResult(job_id=job.job_id, sha256=sha, onnx=onnx, report=report)

    return handle

