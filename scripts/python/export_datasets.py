"""Exports scikit-learn's bundled data sets to packages/cli/data/ as CSV (features..., label).

Run: .venv/bin/python scripts/python/export_datasets.py [OUT_DIR]
The data ship inside the scikit-learn package (no download). Sources and licences are in
packages/cli/data/README.md.
"""
import csv
import sys
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_digits, load_wine


def export(name, bunch, out_dir: Path) -> None:
    path = out_dir / f"{name}.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([str(n) for n in bunch.feature_names] + ["label"])
        for row, label in zip(bunch.data, bunch.target):
            w.writerow([repr(float(v)) if not float(v).is_integer() else str(int(v)) for v in row] + [int(label)])
    print(f"{path}: {bunch.data.shape[0]} rows x {bunch.data.shape[1]} features, {len(set(bunch.target))} classes")


def main() -> None:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "packages/cli/data")
    out_dir.mkdir(parents=True, exist_ok=True)
    export("digits", load_digits(), out_dir)
    export("breast_cancer", load_breast_cancer(), out_dir)
    export("wine", load_wine(), out_dir)


if __name__ == "__main__":
    main()
