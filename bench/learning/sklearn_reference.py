"""The scikit-learn reference loop of bench/learning: the demo's protocol with a plain scikit-learn model.

Run: .venv/bin/python bench/learning/sklearn_reference.py FILE.csv [SEEDS] [SPLITS.json] [--first-seed=N] > result.json
(seeds N … N + SEEDS − 1, default 1 … SEEDS; SPLITS.json: the SDK's splits from export-splits.ts, else scikit-learn's own)
Per seed: stratified split (golden 20 % never trained on, seed set 5 %, the rest streamed in a seeded order
in batches of 32), standardization fitted on the non-golden rows, an oracle budget of 15 % of the stream
paced evenly per batch (unspent allowance carried forward), the top-k of each batch by the strategy's score,
and a refit from scratch on every label so far after every 7 batches and after the last. Model: MLPClassifier
(64 hidden units, adam, 300 iterations) — the same shape as the SDK's proposer. Strategies: random, entropy,
margin, committee (consensus entropy of the model and 2 MLPs on bootstrap resamples). Prints JSON: per strategy
the final golden accuracy per seed.
"""
import json
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore", category=ConvergenceWarning)
BATCH, EVERY, BUDGET = 32, 7, 0.15


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    label = header.index("label")
    y = data[:, label].astype(int)
    x = np.delete(data, label, axis=1)
    return x, y


def model(seed):
    return MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=seed)


def entropy(p):
    return -(p * np.log(np.clip(p, 1e-12, 1))).sum(axis=1)


def margin(p):
    s = np.sort(p, axis=1)
    return 1 - (s[:, -1] - s[:, -2])


def fit_all(strategy, x, y, seed, classes):
    def full(m, xs, ys):
        return m.fit(xs, ys)
    members = [full(model(seed), x, y)]
    if strategy == "committee":
        rng = np.random.default_rng(seed + 99)
        for k in range(2):
            pick = rng.integers(0, len(y), len(y))
            while len(set(y[pick])) < 2:
                pick = rng.integers(0, len(y), len(y))
            members.append(full(model(seed + 1 + k), x[pick], y[pick]))
    return members


def probs(members, x, classes):
    out = []
    for m in members:
        p = np.zeros((len(x), classes))
        p[:, m.classes_] = m.predict_proba(x)
        out.append(p)
    return out


def split(y, seed, splits):
    """Golden, seed set and stream (in streaming order): the SDK's when given, else scikit-learn's own."""
    if splits is not None:
        s = splits[str(seed)]
        return np.array(s["golden"]), np.array(s["seedSet"]), np.array(s["stream"])
    idx = np.arange(len(y))
    rest, golden = train_test_split(idx, test_size=0.2, stratify=y, random_state=seed)
    stream, seedset = train_test_split(rest, test_size=0.05 / 0.8, stratify=y[rest], random_state=seed)
    return golden, seedset, np.random.default_rng(seed).permutation(stream)


def run(x, y, seed, strategy, splits=None):
    classes = int(y.max()) + 1
    golden, seedset, stream = split(y, seed, splits)
    rest = np.concatenate([seedset, stream])
    scaler = StandardScaler().fit(x[rest])
    xs = scaler.transform(x)
    labelled = list(seedset)
    budget = round(BUDGET * len(stream))
    per_batch = budget / max(1, -(-len(stream) // BATCH))
    rng = np.random.default_rng(seed * 7919 + 17)
    members = fit_all(strategy, xs[labelled], y[labelled], seed, classes)
    allowance, used = 0.0, 0
    batches = -(-len(stream) // BATCH)
    for b in range(batches):
        items = stream[b * BATCH:(b + 1) * BATCH]
        allowance = min(allowance + per_batch, budget - used)
        k = min(len(items), int(np.floor(allowance + 1e-9)))
        if k > 0:
            if strategy == "random":
                chosen = rng.permutation(len(items))[:k]
            else:
                ps = probs(members, xs[items], classes)
                if strategy == "entropy":
                    score = entropy(ps[0])
                elif strategy == "margin":
                    score = margin(ps[0])
                else:
                    score = entropy(np.mean(ps, axis=0))
                chosen = np.argsort(-score, kind="stable")[:k]
            labelled.extend(items[chosen])
            used += k
            allowance -= k
        if (b + 1) % EVERY == 0 or b == batches - 1:
            members = fit_all(strategy, xs[labelled], y[labelled], seed, classes)
    pred = members[0].predict(xs[golden])
    return float((pred == y[golden]).mean())


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    first = 1
    for flag in sys.argv[1:]:
        if flag.startswith("--first-seed="):
            first = int(flag.split("=", 1)[1])
        elif flag.startswith("--"):
            sys.exit(f"unknown flag {flag}")
    path = args[0]
    seeds = int(args[1]) if len(args) > 1 else 10
    splits = None
    if len(args) > 2:
        with open(args[2]) as f:
            splits = json.load(f)
    x, y = load(path)
    out = {}
    for strategy in ["random", "entropy", "margin", "committee"]:
        out[strategy] = [run(x, y, seed, strategy, splits) for seed in range(first, first + seeds)]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
