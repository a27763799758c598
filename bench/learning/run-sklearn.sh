#!/usr/bin/env bash
# Runs the scikit-learn reference loop on every data set of the suite (10 seeds), one JSON file per set.
# Usage: bash bench/learning/run-sklearn.sh OUT_DIR
set -euo pipefail
out="${1:-reports/bench-learning}"
mkdir -p "$out"
for f in packages/cli/data/digits.csv packages/cli/data/breast_cancer.csv packages/cli/data/wine.csv \
         bench/learning/data/clusters.csv bench/learning/data/imbalanced.csv bench/learning/data/nonlinear.csv; do
  name="$(basename "$f" .csv)"
  .venv/bin/python bench/learning/sklearn_reference.py "$f" "${SEEDS:-10}" > "$out/sklearn-$name.json"
  echo "sklearn $name done"
done
