"""Loads a model version registered by @dissonance/adapter-mlflow with the Python MLflow client and runs it.

Run: MLFLOW_TRACKING_URI=http://127.0.0.1:5001 .venv/bin/python scripts/python/mlflow_check.py NAME ALIAS ROWS.json

- resolves NAME@ALIAS with MlflowClient.get_model_version_by_alias;
- downloads `model.onnx` from the version's source with mlflow.artifacts.download_artifacts
  (through the server's artifact proxy: mlflow-artifacts:/…);
- runs Python onnxruntime (CPU) on the rows of ROWS.json (a list of rows of floats);
- prints one JSON object: version, run_id, source, outputs (the "probabilities" output, else the first),
  the run's metrics, params and tags (mlflow.get_run), and the model version's tags.
Exits 2 on any failure, with the reason on stderr.
"""
import json
import sys
import tempfile

import mlflow
import numpy as np
import onnxruntime as ort
from mlflow import MlflowClient


def main() -> int:
    if len(sys.argv) != 4:
        print("usage: mlflow_check.py NAME ALIAS ROWS.json", file=sys.stderr)
        return 2
    name, alias, rows_path = sys.argv[1:]
    with open(rows_path) as f:
        rows = np.asarray(json.load(f), dtype=np.float32)
    client = MlflowClient()
    mv = client.get_model_version_by_alias(name, alias)
    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow.artifacts.download_artifacts(artifact_uri=f"{mv.source}/model.onnx", dst_path=tmp)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        wanted = "probabilities" if "probabilities" in names else names[0]
        (outputs,) = session.run([wanted], {session.get_inputs()[0].name: rows})
    run = mlflow.get_run(mv.run_id)
    print(
        json.dumps(
            {
                "version": mv.version,
                "run_id": mv.run_id,
                "source": mv.source,
                "run_status": run.info.status,
                "outputs": np.asarray(outputs, dtype=np.float64).tolist(),
                "metrics": run.data.metrics,
                "params": run.data.params,
                "tags": {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")},
                "version_tags": mv.tags,
            }
        )
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # noqa: BLE001 - report any failure as exit 2
        print(f"mlflow_check: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(2)
