"""export_torch and export_sklearn: onnxruntime loads them with a dynamic batch and they match the source model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from digits import digits
from dissonance_trainer import export_sklearn, export_torch


def session(onnx: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])


def check_io(s: ort.InferenceSession, input_dims: list[object], classes: int) -> None:
    (inp,), (out,) = s.get_inputs(), s.get_outputs()
    assert inp.name == "input" and inp.type == "tensor(float)" and list(inp.shape[1:]) == input_dims[1:]
    assert isinstance(inp.shape[0], str) or inp.shape[0] is None  # dynamic batch axis
    assert out.name == "probabilities" and out.type == "tensor(float)" and out.shape[1] == classes


def test_export_torch_mlp_matches_torch_with_any_batch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    path = tmp_path / "mlp.onnx"
    onnx = export_torch(net, 64, path)
    assert path.read_bytes() == onnx
    s = session(onnx)
    check_io(s, ["N", 64], 10)
    x = digits().golden_x
    for rows in (1, 7, len(x)):
        got = s.run(None, {"input": x[:rows]})[0]
        with torch.no_grad():
            want = torch.softmax(net(torch.from_numpy(x[:rows])), 1).numpy()
        assert got.shape == (rows, 10) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_export_torch_cnn_takes_nchw_input() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 64, 10))
    net.train()
    s = session(export_torch(net, 64, input_shape=(1, 8, 8)))
    assert net.training  # the module's mode is restored after the export
    check_io(s, ["N", 1, 8, 8], 10)
    x = digits().golden_x[:5].reshape(-1, 1, 8, 8)
    with torch.no_grad():
        np.testing.assert_allclose(s.run(None, {"input": x})[0], torch.softmax(net(torch.from_numpy(x)), 1).numpy(), atol=1e-5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: LogisticRegression(max_iter=300),
        lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)),
        lambda: MLPClassifier(hidden_layer_sizes=(16,), max_iter=50, random_state=0),
        # Tree ensembles: skl2onnx 1.19.1 writes booleans where onnx 1.19 wants ints; export_sklearn accepts them.
        lambda: GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0),
        lambda: RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0),
    ],
    ids=["logistic", "pipeline", "mlp", "gradient-boosting", "random-forest"],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_export_sklearn_probabilities_tensor(make) -> None:  # type: ignore[no-untyped-def]
    d = digits()
    estimator = make().fit(d.train_x, d.train_y)
    s = session(export_sklearn(estimator, 64))
    check_io(s, [None, 64], 10)
    assert [o.name for o in s.get_outputs()] == ["probabilities"]
    for rows in (1, 9, len(d.golden_x)):
        got = s.run(None, {"input": d.golden_x[:rows]})[0]
        assert got.shape == (rows, 10) and got.dtype == np.float32
        np.testing.assert_allclose(got, estimator.predict_proba(d.golden_x[:rows]), atol=1e-5)
