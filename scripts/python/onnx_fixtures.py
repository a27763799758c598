"""Writes ONNX fixtures from the standard exporters, with reference outputs from Python onnxruntime.

Run: .venv/bin/python scripts/python/onnx_fixtures.py OUT_DIR

For each fixture NAME it writes OUT_DIR/NAME.onnx and OUT_DIR/NAME.json:
  {"name", "producer", "input": graph input name, "output": the output compared, "outputKind":
   "probabilities" | "logits", "inputs": 50 rows, "outputs": what onnxruntime returned for them,
   "probabilities": the class probabilities (outputs, or softmax(outputs) for logits, in float64)}
and OUT_DIR/manifest.json: {"fixtures": [names], "skipped": {name: reason}}.

Fixtures (all seeded; a few seconds on a CPU):
  sklearn_digits[_zipmap]         MLPClassifier((16,)) on load_digits, 10 classes, skl2onnx zipmap off / default
  sklearn_breast_cancer[_zipmap]  the same on load_breast_cancer (StandardScaler first, classifier exported alone):
                                  binary, so a single logit + Sigmoid + Concat([1 - p, p])
  torch_legacy                    Sequential(Linear(8,16), ReLU, Linear(16,16), ReLU, Linear(16,3)), logits,
                                  torch.onnx.export(dynamo=False, opset 17)
  torch_legacy_softmax            the same with Softmax(dim=1) appended
  torch_dynamo                    the same via the dynamo exporter, when it works offline (needs onnxscript)
"""
import json
import sys
import traceback
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROWS = 50
OPSET = 17


def run_onnx(path: Path, x: np.ndarray, output: str):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (value,) = session.run([output], {session.get_inputs()[0].name: x})
    if isinstance(value, list) and value and isinstance(value[0], dict):  # ZipMap
        keys = sorted(value[0].keys())
        value = [[row[k] for k in keys] for row in value]
    return session.get_inputs()[0].name, np.asarray(value, dtype=np.float64)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def write_fixture(out_dir: Path, name: str, model_bytes: bytes, x: np.ndarray, output: str, kind: str, producer: str):
    path = out_dir / f"{name}.onnx"
    path.write_bytes(model_bytes)
    input_name, outputs = run_onnx(path, x, output)
    probabilities = outputs if kind == "probabilities" else softmax(outputs)
    fixture = {
        "name": name,
        "producer": producer,
        "input": input_name,
        "output": output,
        "outputKind": kind,
        "inputs": x.astype(np.float32).astype(np.float64).tolist(),
        "outputs": outputs.tolist(),
        "probabilities": probabilities.tolist(),
    }
    (out_dir / f"{name}.json").write_text(json.dumps(fixture))
    print(f"{name}: {x.shape[0]} rows x {x.shape[1]} features -> {outputs.shape[1]} ({kind}), {len(model_bytes)} bytes")


def sklearn_fixtures(out_dir: Path, written: list, skipped: dict) -> None:
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler
    from skl2onnx import to_onnx

    rng = np.random.default_rng(0)
    for dataset, loader, scale in [("digits", load_digits, False), ("breast_cancer", load_breast_cancer, True)]:
        x, y = loader(return_X_y=True)
        if scale:
            x = StandardScaler().fit_transform(x)
        x = x.astype(np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=0).fit(x, y)
        rows = x[rng.choice(x.shape[0], ROWS, replace=False)]
        for zipmap in (False, True):
            name = f"sklearn_{dataset}" + ("_zipmap" if zipmap else "")
            try:
                options = None if zipmap else {id(clf): {"zipmap": False}}
                onx = to_onnx(clf, x[:1], options=options, target_opset={"": OPSET, "ai.onnx.ml": 3})
                output = "output_probability" if zipmap else "probabilities"
                write_fixture(out_dir, name, onx.SerializeToString(), rows, output, "probabilities", "skl2onnx")
                written.append(name)
            except Exception as error:  # noqa: BLE001 — report and go on
                skipped[name] = f"{type(error).__name__}: {error}"
                print(f"{name}: skipped ({skipped[name]})")


def torch_fixtures(out_dir: Path, written: list, skipped: dict) -> None:
    import torch
    from torch import nn

    torch.manual_seed(0)
    # Three Gaussian blobs in 8-D, so the trained model is confident and the comparison means something.
    centers = torch.randn(3, 8) * 2
    labels = torch.randint(0, 3, (600,))
    data = centers[labels] + torch.randn(600, 8)
    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(200):
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(data), labels).backward()
        optimizer.step()
    net.eval()
    rows = data[:ROWS].numpy().astype(np.float32)
    example = (torch.from_numpy(rows[:2]),)

    variants = [
        ("torch_legacy", net, "logits", False),
        ("torch_legacy_softmax", nn.Sequential(net, nn.Softmax(dim=1)).eval(), "probabilities", False),
        ("torch_dynamo", net, "logits", True),
    ]
    for name, module, kind, dynamo in variants:
        path = out_dir / f"{name}.onnx"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if dynamo:
                    program = torch.onnx.export(
                        module, example, input_names=["features"], output_names=[kind], opset_version=OPSET,
                        dynamo=True, dynamic_shapes={"input": {0: torch.export.Dim("N")}}, external_data=False,
                    )
                    program.save(str(path))
                else:
                    torch.onnx.export(
                        module, example, str(path), input_names=["features"], output_names=[kind],
                        opset_version=OPSET, dynamo=False,
                        dynamic_axes={"features": {0: "N"}, kind: {0: "N"}},
                    )
            write_fixture(out_dir, name, path.read_bytes(), rows, kind, kind, "pytorch")
            written.append(name)
        except Exception as error:  # noqa: BLE001 — the dynamo exporter needs onnxscript; report and go on
            path.unlink(missing_ok=True)
            reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            skipped[name] = reason
            print(f"{name}: skipped ({reason})")


def main() -> None:
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list = []
    skipped: dict = {}
    for build in (sklearn_fixtures, torch_fixtures):
        try:
            build(out_dir, written, skipped)
        except Exception:  # noqa: BLE001 — one exporter failing must not hide the others
            traceback.print_exc()
            skipped[build.__name__] = "failed, see the traceback above"
    (out_dir / "manifest.json").write_text(json.dumps({"fixtures": written, "skipped": skipped}, indent=2))
    print(f"wrote {len(written)} fixtures to {out_dir}; skipped {sorted(skipped)}")


if __name__ == "__main__":
    main()
