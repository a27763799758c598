"""Writes the seeded synthetic data sets of bench/learning to bench/learning/data/ (features..., label).

Run: .venv/bin/python bench/learning/make_synthetic.py [OUT_DIR]
Three structures the bundled sets lack, each from a fixed seed (the same files on every run):
- clusters:   4 classes, 6 Gaussian clusters per class in 16 dimensions (12 informative), 2,400 rows;
- imbalanced: 3 classes at 85 / 10 / 5 %, 20 dimensions (8 informative), 1 % label noise, 3,000 rows;
- nonlinear:  4 classes from an XOR of two features crossed with a ring in two others, 6 noise
              dimensions, 2,400 rows (no linear boundary separates any class).
"""
import csv
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification


def write(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([f"x{i}" for i in range(x.shape[1])] + ["label"])
        for row, label in zip(x, y):
            w.writerow([f"{v:.6g}" for v in row] + [int(label)])
    counts = np.bincount(y)
    print(f"{path}: {x.shape[0]} rows x {x.shape[1]} features, classes {counts.tolist()}")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/learning/data")
    out.mkdir(parents=True, exist_ok=True)
    x, y = make_classification(n_samples=2400, n_features=16, n_informative=12, n_redundant=2, n_classes=4,
                               n_clusters_per_class=6, class_sep=1.5, random_state=1601)
    write(out / "clusters.csv", x, y)
    x, y = make_classification(n_samples=3000, n_features=20, n_informative=8, n_redundant=4, n_classes=3,
                               n_clusters_per_class=2, weights=[0.85, 0.10, 0.05], flip_y=0.01, class_sep=1.2,
                               random_state=1602)
    write(out / "imbalanced.csv", x, y)
    rng = np.random.default_rng(1603)
    x = rng.normal(size=(2400, 10))
    xor = (x[:, 0] * x[:, 1] > 0).astype(int)
    ring = (x[:, 2] ** 2 + x[:, 3] ** 2 > 1.4).astype(int)
    y = 2 * xor + ring
    write(out / "nonlinear.csv", x, y)


if __name__ == "__main__":
    main()
