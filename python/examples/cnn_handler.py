"""A PyTorch CNN on 8×8 digits as a dissonance handler: `dissonance-trainer --handler cnn_handler:handle --http 8765`."""
import copy

import torch
from dissonance_trainer import (TrainingJob, TrainingResult, TrainReport, adr_loss, export_torch,
                                kl_guard, load_checkpoint, save_checkpoint, sha256_hex)


def make_cnn(classes: int = 10) -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),  # 16 × 4 × 4
        torch.nn.Flatten(), torch.nn.Linear(16 * 4 * 4, 64), torch.nn.ReLU(), torch.nn.Linear(64, classes))


def handle(job: TrainingJob, epochs: int = 30) -> TrainingResult:
    torch.manual_seed(job.constraints.seed)
    model, c = make_cnn(job.classes), job.constraints
    load_checkpoint(model, job.base_sha256)  # the champion's weights, when this worker trained it
    start = copy.deepcopy(model)
    x = torch.from_numpy(job.snapshot.features).reshape(-1, 1, 8, 8)
    y, w = torch.from_numpy(job.snapshot.dense_targets(job.classes)), torch.from_numpy(job.snapshot.weights)
    critics = torch.from_numpy(job.critic_probs)
    optimizer, losses = torch.optim.Adam(model.parameters(), lr=3e-3), []
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(32):
            loss = adr_loss(model(x[idx]), critics[:, idx], c.d_target, c.lambda_max, y[idx], w[idx],
                            divergence=c.divergence)
            optimizer.zero_grad(); loss.backward(); optimizer.step()
        losses.append(loss.item())
    guard = kl_guard(start, model, torch.from_numpy(job.reference).reshape(-1, 1, 8, 8), c.kl_eps,
                     old_probs=job.reference_probs)
    onnx = export_torch(model, job.width, input_shape=(1, 8, 8))
    save_checkpoint(model, sha256_hex(onnx))  # the next job's base, once the engine promotes it
    report = TrainReport(loss=losses, kl=guard.kl, epochs=epochs, extra={"t": guard.t})
    return TrainingResult.of(job.job_id, onnx, report)
