"""MLflow-native checks of the models @dissonance/adapter-mlflow registers and adopts, with MLflow's own Python API.

Run with MLFLOW_TRACKING_URI set (e.g. http://127.0.0.1:5001):

  mlflow_models_check.py predict NAME ALIAS ROWS.json
      mlflow.pyfunc.load_model("models:/NAME@ALIAS"), predict on the rows (a float32 array); prints JSON:
      outputs (name -> rows), signature (inputs/outputs as MLflow reads them), flavors (of the MLmodel).
  mlflow_models_check.py log-onnx NAME EXPERIMENT ROWS.json
      trains a scikit-learn MLPClassifier on 3-class blobs of width 4, converts it with skl2onnx (two outputs:
      label and probabilities, no ZipMap), logs it with mlflow.onnx.log_model(input_example=…,
      registered_model_name=NAME) in EXPERIMENT, sets alias champion on the new version; prints JSON: version,
      probabilities (onnxruntime on the rows), pyfunc_keys (what pyfunc.predict returns for the model).
  mlflow_models_check.py log-sklearn NAME EXPERIMENT
      logs a scikit-learn LogisticRegression with mlflow.sklearn.log_model(registered_model_name=NAME) (no onnx
      flavor); prints JSON: version.
Exits 2 on any failure, with the reason on stderr.
"""
import json
import sys

import mlflow
import numpy as np
from mlflow import MlflowClient


def rows_of(path):
    with open(path) as f:
        return np.asarray(json.load(f), dtype=np.float32)


def blobs(seed=0, n=300):
    rng = np.random.default_rng(seed)
    centers = np.array([[2, 0, 0, 1], [-2, 1, 0, 0], [0, -2, 2, 0]], dtype=np.float32)
    y = rng.integers(0, 3, n)
    x = centers[y] + rng.normal(0, 0.7, (n, 4)).astype(np.float32)
    return x.astype(np.float32), y


def predict(name, alias, rows_path):
    rows = rows_of(rows_path)
    model = mlflow.pyfunc.load_model(f"models:/{name}@{alias}")
    outputs = model.predict(rows)
    sig = model.metadata.signature
    return {
        "outputs": {k: np.asarray(v, dtype=np.float64).tolist() for k, v in outputs.items()},
        "signature": {"inputs": sig.inputs.to_dict(), "outputs": sig.outputs.to_dict()} if sig is not None else None,
        "flavors": sorted(model.metadata.flavors.keys()),
    }


def log_onnx(name, experiment, rows_path):
    import onnxruntime as ort
    from skl2onnx import to_onnx
    from sklearn.neural_network import MLPClassifier

    rows = rows_of(rows_path)
    x, y = blobs()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(x, y)
    onx = to_onnx(clf, x[:1], options={id(clf): {"zipmap": False}}, target_opset=17)
    from mlflow.models import infer_signature

    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = session.run(["label", "probabilities"], {session.get_inputs()[0].name: x[:2]})
    signature = infer_signature(x[:2], {"label": label, "probabilities": proba})
    mlflow.set_experiment(experiment)
    with mlflow.start_run():
        info = mlflow.onnx.log_model(onx, name="model", signature=signature, input_example=x[:2], registered_model_name=name)
    client = MlflowClient()
    version = str(info.registered_model_version)
    client.set_registered_model_alias(name, "champion", version)
    (probabilities,) = session.run(["probabilities"], {session.get_inputs()[0].name: rows})
    pyfunc = mlflow.pyfunc.load_model(f"models:/{name}/{version}").predict(rows)
    return {
        "version": version,
        "probabilities": np.asarray(probabilities, dtype=np.float64).tolist(),
        "pyfunc_keys": sorted(pyfunc.keys()),
        "pyfunc_probabilities": np.asarray(pyfunc["probabilities"], dtype=np.float64).tolist(),
    }


def log_sklearn(name, experiment):
    from sklearn.linear_model import LogisticRegression

    x, y = blobs()
    mlflow.set_experiment(experiment)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            LogisticRegression(max_iter=200).fit(x, y), name="model", pip_requirements=["scikit-learn"], registered_model_name=name
        )
    return {"version": str(info.registered_model_version)}


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "predict":
        result = predict(*args)
    elif command == "log-onnx":
        result = log_onnx(*args)
    elif command == "log-sklearn":
        result = log_sklearn(*args)
    else:
        raise ValueError(f"unknown command {command}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # noqa: BLE001 - report any failure as exit 2
        print(f"mlflow_models_check: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(2)
