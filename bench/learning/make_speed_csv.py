"""Writes the CSV of issue 16's speed target: 4,000 rows x 30 features, 5 classes (features..., label).

Run: .venv/bin/python bench/learning/make_speed_csv.py [OUT_FILE]   (default reports/speed.csv, not committed)
Then: /usr/bin/time -v npx tsx packages/cli/src/cli.ts evaluate --data reports/speed.csv --label label --seeds 5 \
        --strategies random,uncertainty,margin
From a fixed seed, written as make_synthetic.py writes the suite's sets (the same bytes on every run).
"""
import sys
from pathlib import Path

from sklearn.datasets import make_classification

from make_synthetic import write


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "reports/speed.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    x, y = make_classification(n_samples=4000, n_features=30, n_informative=12, n_classes=5, random_state=7)
    write(out, x, y)


if __name__ == "__main__":
    main()
