"""Each reference handler, and the documented CNN handler, on a digits job: the candidate beats its base."""

from __future__ import annotations

from pathlib import Path

import torch
from sklearn.linear_model import LogisticRegression

from digits import CLASSES, WIDTH, digits, digits_job, golden_accuracy, onnx_probs
from dissonance_trainer import TrainingResult, export_sklearn, export_torch, save_checkpoint, sha256_hex
from dissonance_trainer import sklearn_refit_handler, torch_finetune_handler
from dissonance_trainer.checkpoints import checkpoint_path
from dissonance_trainer.kl_backtrack import mean_kl


def mlp() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(WIDTH, 32), torch.nn.ReLU(), torch.nn.Linear(32, CLASSES))


def weak_torch_base(checkpoints: Path) -> bytes:
    """An MLP fitted on 40 rows, exported, and checkpointed under its ONNX sha256 (the deployed champion)."""
    torch.manual_seed(1)
    d = digits()
    net = mlp()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(40):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.from_numpy(d.base_x)), torch.from_numpy(d.base_y)).backward()
        opt.step()
    onnx = export_torch(net, WIDTH)
    save_checkpoint(net, sha256_hex(onnx), checkpoints)
    return onnx


def check_result(result: TrainingResult, job_id: str) -> bytes:
    assert result.job_id == job_id and result.onnx is not None
    assert result.sha256 == sha256_hex(result.onnx)
    return result.onnx


def test_torch_finetune_handler_improves_on_its_base(checkpoint_dir: Path) -> None:
    base = weak_torch_base(checkpoint_dir)
    job = digits_job(base, kl_eps=0.2)  # tight enough that the guard backtracks (KL of the full update ≈ 0.4)
    handler = torch_finetune_handler(mlp, epochs=8, learning_rate=3e-3)
    result = handler(job)
    onnx = check_result(result, job.job_id)
    assert result.report.params["init"] == "checkpoint"
    assert result.report.extra["t"] < 1 and result.report.extra["kl_full"] > job.constraints.kl_eps
    assert result.report.kl is not None and result.report.kl <= job.constraints.kl_eps
    # The KL the report states is the candidate's, measured here through onnxruntime.
    assert mean_kl(job.reference_probs, onnx_probs(onnx, job.reference)) <= job.constraints.kl_eps + 1e-6
    assert len(result.report.loss) == 8 and result.report.loss[-1] < result.report.loss[0]
    base_acc, new_acc = golden_accuracy(base), golden_accuracy(onnx)
    assert new_acc > base_acc + 0.05, (base_acc, new_acc)
    # The candidate is checkpointed under its sha256: a job based on it starts from it.
    assert checkpoint_path(result.sha256, checkpoint_dir).is_file()
    follow_up = handler(digits_job(onnx, job_id="job-2"))
    assert follow_up.report.params["init"] == "checkpoint"


def test_torch_finetune_handler_starts_from_the_factory_without_a_checkpoint(checkpoint_dir: Path) -> None:
    base = weak_torch_base(checkpoint_dir / "elsewhere")
    result = torch_finetune_handler(mlp, epochs=2)(digits_job(base, kl_eps=100.0))
    assert result.report.params["init"] == "factory"


def test_sklearn_refit_handler_improves_on_its_base() -> None:
    d = digits()
    base = export_sklearn(LogisticRegression(max_iter=300).fit(d.base_x, d.base_y), WIDTH)
    job = digits_job(base, job_id="sk-1")
    result = sklearn_refit_handler(lambda: LogisticRegression(max_iter=500))(job)
    onnx = check_result(result, "sk-1")
    assert result.report.params["sample_weight"] is True
    assert golden_accuracy(onnx) > golden_accuracy(base) + 0.05
    # The reported KL (from predict_proba) is the exported model's, up to float32 rounding.
    assert result.report.kl is not None
    assert abs(result.report.kl - mean_kl(job.reference_probs, onnx_probs(onnx, job.reference))) < 1e-4


def test_documented_cnn_handler_trains_a_cnn_that_beats_the_base(checkpoint_dir: Path) -> None:
    import cnn_handler

    base = weak_torch_base(checkpoint_dir / "other-trainer")
    job = digits_job(base, kl_eps=100.0, job_id="cnn-1")
    result = cnn_handler.handle(job, epochs=6)
    onnx = check_result(result, "cnn-1")
    import onnxruntime as ort

    assert ort.InferenceSession(onnx).get_inputs()[0].shape[1:] == [1, 8, 8]
    assert golden_accuracy(onnx) > golden_accuracy(base)
    assert checkpoint_path(result.sha256, checkpoint_dir).is_file()


def test_doc_holds_the_cnn_handler_verbatim() -> None:
    root = Path(__file__).resolve().parents[2]
    source = (root / "python" / "examples" / "cnn_handler.py").read_text()
    doc = (root / "docs" / "external-trainers.md").read_text()
    assert f"```python\n{source}```" in doc


def test_a_checkpoint_of_another_architecture_refuses_the_job(checkpoint_dir: Path) -> None:
    import pytest

    from dissonance_trainer import JobError

    base = weak_torch_base(checkpoint_dir)  # an MLP's checkpoint under the base's sha256
    handler = torch_finetune_handler(lambda: torch.nn.Sequential(torch.nn.Linear(WIDTH, CLASSES)), epochs=1)
    with pytest.raises(JobError, match="does not fit the model's architecture"):
        handler(digits_job(base))


def test_a_job_without_a_champion_starts_from_the_factory(checkpoint_dir: Path) -> None:
    from dissonance_trainer import load_checkpoint

    # The first model (no champion yet) has an empty base_sha256: no checkpoint to look up, no error.
    assert load_checkpoint(mlp(), "", checkpoint_dir) is False
