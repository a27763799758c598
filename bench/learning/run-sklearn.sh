#!/usr/bin/env bash
# Runs the scikit-learn reference loop on every data set of the suite (10 seeds), twice per set:
#   OUT/sklearn-<set>.json      on the SDK's own splits (OUT/splits-<set>.json, written first by
#                               bench/learning/export-splits.ts): paired with the SDK seed by seed;
#   OUT/sklearn-own-<set>.json  on scikit-learn's own train_test_split splits (unpaired, as before).
# Usage: [SEEDS=10] [FIRST_SEED=1] bash bench/learning/run-sklearn.sh OUT_DIR   (seeds FIRST_SEED … FIRST_SEED + SEEDS − 1)
set -euo pipefail
out="${1:-reports/bench-learning}"
mkdir -p "$out"
seeds="${SEEDS:-10}"
first="${FIRST_SEED:-1}"
npx tsx bench/learning/export-splits.ts "$out" --seeds="$((first + seeds - 1))"
for f in packages/cli/data/digits.csv packages/cli/data/breast_cancer.csv packages/cli/data/wine.csv \
         bench/learning/data/clusters.csv bench/learning/data/imbalanced.csv bench/learning/data/nonlinear.csv; do
  name="$(basename "$f" .csv)"
  .venv/bin/python bench/learning/sklearn_reference.py "$f" "$seeds" "$out/splits-$name.json" --first-seed="$first" > "$out/sklearn-$name.json"
  .venv/bin/python bench/learning/sklearn_reference.py "$f" "$seeds" --first-seed="$first" > "$out/sklearn-own-$name.json"
  echo "sklearn $name done"
done
