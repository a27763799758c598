"""Checks an ONNX model with the reference tools and compares its output with expected values.

Run: .venv/bin/python scripts/python/onnx_check.py MODEL.onnx INPUT.json OUTPUT.json [--output NAME] [--tol 1e-5]

- runs onnx.checker.check_model(model, full_check=True) (strict shape inference included);
- runs Python onnxruntime (CPU) on the rows of INPUT.json: a list of rows, or an object whose "inputs" key is;
- compares the model output (NAME, else "probabilities" when the model has it, else its first output; a ZipMap
  list of dicts is turned into rows in class order) with OUTPUT.json: a list of rows, or an object whose
  "probabilities" key is ("outputs" when its "outputKind" is not "probabilities", as onnx_fixtures.py writes).
Prints `max_abs_diff=<value>` and exits 0 when it is <= tol, 1 when it is larger, 2 when the checker or the
run fails.
"""
import argparse
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort


def rows_of(path: str, key: str) -> np.ndarray:
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, dict):
        if key == "probabilities" and data.get("outputKind", "probabilities") != "probabilities":
            key = "outputs"  # an onnx_fixtures.py file for a logits model: compare the raw outputs
        data = data[key]
    return np.asarray(data, dtype=np.float64)


def as_matrix(value) -> np.ndarray:
    """Turns an onnxruntime output (array, or ZipMap's list of {class: p}) into a float64 matrix."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        keys = sorted(value[0].keys())
        return np.asarray([[row[k] for k in keys] for row in value], dtype=np.float64)
    return np.asarray(value, dtype=np.float64)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("inputs")
    parser.add_argument("expected")
    parser.add_argument("--output", default=None, help="output name to compare (default: probabilities or the first)")
    parser.add_argument("--tol", type=float, default=1e-5)
    args = parser.parse_args()

    try:
        model = onnx.load(args.model)
        onnx.checker.check_model(model, full_check=True)
    except Exception as error:  # noqa: BLE001 — any checker failure is a failed check
        print(f"checker failed: {type(error).__name__}: {error}")
        return 2
    print(f"checker ok: ir_version={model.ir_version} opsets={[(o.domain, o.version) for o in model.opset_import]}")

    try:
        x = rows_of(args.inputs, "inputs").astype(np.float32)
        expected = rows_of(args.expected, "probabilities")
        session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        output = args.output or ("probabilities" if "probabilities" in names else names[0])
        (got,) = session.run([output], {session.get_inputs()[0].name: x})
        got = as_matrix(got)
    except Exception as error:  # noqa: BLE001
        print(f"run failed: {type(error).__name__}: {error}")
        return 2
    if got.shape != expected.shape:
        print(f"shape mismatch: model output {output} is {got.shape}, expected {expected.shape}")
        return 1
    diff = float(np.max(np.abs(got - expected))) if got.size else 0.0
    print(f"rows={x.shape[0]} output={output} max_abs_diff={diff:.3e}")
    return 0 if diff <= args.tol else 1


if __name__ == "__main__":
    sys.exit(main())
