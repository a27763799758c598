"""Writes ONNX fixtures whose input is not a float32 [N, width] matrix, for the runtimes' input-shape checks.

Run: .venv/bin/python scripts/python/onnx_shape_fixtures.py OUT_DIR

Writes OUT_DIR/NAME.onnx for each fixture, and OUT_DIR/manifest.json:
  {"fixtures": {NAME: {"input": graph input name(s), "shape": the declared input shape as onnxruntime reports it,
                       "type": element type, "served": true | false}},
   "cnn": {"inputs": rows flattened row-major (N x 64), "probabilities": Python onnxruntime's softmax(logits),
           "labels": the digits labels of those rows}}

Fixtures (seeded; a few seconds on a CPU, torch only):
  torch_cnn_digits        Conv2d(1,8,3,pad 1), ReLU, MaxPool2d(2), Flatten, Linear(128,10) on load_digits' 8 x 8
                          images, input "image" float32 [N, 1, 8, 8] with a dynamic batch axis, logits out
  torch_cnn_fixed_batch   the same network exported without a dynamic axis: [2, 1, 8, 8]
  torch_int64_tokens      Embedding(20, 4) on int64 token ids [N, 6], mean, Linear(4, 3): int64 input
  torch_two_inputs        Linear(8, 3) on cat(a, b) of two float32 [N, 4] inputs
"""
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort

OPSET = 17
ROWS = 50


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def export(module, example, path: Path, input_names, dynamic: bool) -> None:
    import torch

    axes = {name: {0: "N"} for name in [*input_names, "logits"]} if dynamic else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, example, str(path), input_names=input_names, output_names=["logits"], opset_version=OPSET,
            dynamo=False, dynamic_axes=axes,
        )


def describe(path: Path) -> dict:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    return {
        "input": [i.name for i in inputs] if len(inputs) > 1 else inputs[0].name,
        "shape": [i.shape for i in inputs] if len(inputs) > 1 else inputs[0].shape,
        "type": [i.type for i in inputs] if len(inputs) > 1 else inputs[0].type,
    }


def main() -> None:
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    import torch
    from torch import nn
    from sklearn.datasets import load_digits

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    fixtures: dict = {}

    # A small CNN on digits' 8 x 8 images (raw 0..16 pixel values, as the committed digits CSV holds them).
    x, y = load_digits(return_X_y=True)
    images = torch.from_numpy(x.astype(np.float32)).reshape(-1, 1, 8, 8)
    labels = torch.from_numpy(y.astype(np.int64))
    cnn = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4 * 4, 10)
    )
    optimizer = torch.optim.Adam(cnn.parameters(), lr=0.01)
    for _ in range(60):
        optimizer.zero_grad()
        nn.functional.cross_entropy(cnn(images), labels).backward()
        optimizer.step()
    cnn.eval()
    rng = np.random.default_rng(0)
    pick = rng.choice(x.shape[0], ROWS, replace=False)
    rows = x[pick].astype(np.float32)
    export(cnn, (images[:2],), out / "torch_cnn_digits.onnx", ["image"], dynamic=True)
    export(cnn, (images[:2],), out / "torch_cnn_fixed_batch.onnx", ["image"], dynamic=False)
    session = ort.InferenceSession(str(out / "torch_cnn_digits.onnx"), providers=["CPUExecutionProvider"])
    (logits,) = session.run(["logits"], {"image": rows.reshape(-1, 1, 8, 8)})
    probabilities = softmax(logits.astype(np.float64))
    accuracy = float((probabilities.argmax(axis=1) == y[pick]).mean())
    fixtures["torch_cnn_digits"] = {**describe(out / "torch_cnn_digits.onnx"), "served": True}
    fixtures["torch_cnn_fixed_batch"] = {**describe(out / "torch_cnn_fixed_batch.onnx"), "served": False}

    class Tokens(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(20, 4)
            self.head = nn.Linear(4, 3)

        def forward(self, ids):
            return self.head(self.embed(ids).mean(dim=1))

    export(Tokens().eval(), (torch.randint(0, 20, (2, 6)),), out / "torch_int64_tokens.onnx", ["token_ids"], True)
    fixtures["torch_int64_tokens"] = {**describe(out / "torch_int64_tokens.onnx"), "served": False}

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(8, 3)

        def forward(self, a, b):
            return self.head(torch.cat([a, b], dim=1))

    example = (torch.randn(2, 4), torch.randn(2, 4))
    export(TwoInputs().eval(), example, out / "torch_two_inputs.onnx", ["a", "b"], True)
    fixtures["torch_two_inputs"] = {**describe(out / "torch_two_inputs.onnx"), "served": False}

    manifest = {
        "fixtures": fixtures,
        "cnn": {
            "inputs": rows.astype(np.float64).tolist(),
            "probabilities": probabilities.tolist(),
            "labels": y[pick].tolist(),
            "accuracy": accuracy,
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    for name, fixture in fixtures.items():
        print(f"{name}: {fixture['input']} {fixture['type']} {fixture['shape']}")
    print(f"torch_cnn_digits: accuracy {accuracy:.2f} on {ROWS} rows")


if __name__ == "__main__":
    main()
