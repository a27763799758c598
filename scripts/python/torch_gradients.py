"""Reference loss and gradients of the built-in trainer's ADR loss, computed by PyTorch autograd in float64.

Run: .venv/bin/python scripts/python/torch_gradients.py OUT.json

Builds a fixed 6-8-8-4 MLP (ReLU hidden layers, softmax output) with seeded weights, a batch of 10 rows with
hard (rows 0-4) and soft (rows 5-9) targets, sample weights and two critics' probabilities, and computes

    L = sum_i w_i CE(y_i, p_i) / sum_i w_i + lambda * max(0, D - D_target)^2

where D is the mean over rows and critics of a pairwise divergence between the model's probabilities p and
the critic's q (constants). One case per divergence (jensen-shannon in bits, total-variation, abs-diff,
hellinger, symmetric-kl with eps = 1e-6), each with D above D_target. Writes the weights (layout
`weight[i * outputs + o]`, i.e. x @ W + b), the inputs, and each case's loss parts and gradients as JSON.
packages/core/test/train/torch-gradients.integration.test.ts compares them with lossAndGradient.
"""
import json
import math
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

WIDTHS = [6, 8, 8, 4]
ROWS = 10
LAMBDA = 0.7
D_TARGET = 0.05
SKL_EPS = 1e-6


def divergence(name: str, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Per-row divergence between rows of p (model) and q (critic), as the detectors in core define them."""
    if name == "jensen-shannon":
        m = 0.5 * (p + q)
        return 0.5 * (p * torch.log(p / m) + q * torch.log(q / m)).sum(dim=1) / math.log(2)
    if name == "total-variation":
        return 0.5 * (p - q).abs().sum(dim=1)
    if name == "abs-diff":
        return (p[:, 0] - q[:, 0]).abs()
    if name == "hellinger":
        return torch.sqrt(0.5 * ((torch.sqrt(p) - torch.sqrt(q)) ** 2).sum(dim=1))
    if name == "symmetric-kl":
        k = p.shape[1]
        s = 1 / (1 + k * SKL_EPS)
        pp = (p + SKL_EPS) * s
        qq = (q + SKL_EPS) * s
        return ((pp - qq) * (torch.log(pp) - torch.log(qq))).sum(dim=1)
    raise ValueError(name)


def main() -> None:
    out_path = sys.argv[1]
    rng = np.random.default_rng(20240611)
    layers = []
    for inputs, outputs in zip(WIDTHS[:-1], WIDTHS[1:]):
        layers.append((rng.normal(0, 0.6, (inputs, outputs)), rng.normal(0, 0.2, outputs)))
    x = rng.normal(0, 1, (ROWS, WIDTHS[0]))
    classes = WIDTHS[-1]
    targets = np.zeros((ROWS, classes))
    for r in range(5):
        targets[r, r % classes] = 1
    targets[5:] = rng.dirichlet(np.ones(classes), 5)
    weights = rng.uniform(0.5, 2.0, ROWS)
    critics = []
    for _ in range(2):
        logits = rng.normal(0, 2, (ROWS, classes))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        critics.append(e / e.sum(axis=1, keepdims=True))

    cases = []
    for name in ["jensen-shannon", "total-variation", "abs-diff", "hellinger", "symmetric-kl"]:
        params = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)) for w, b in layers]
        h = torch.tensor(x)
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i < len(params) - 1:
                h = torch.relu(h)
        logp = torch.log_softmax(h, dim=1)
        p = torch.exp(logp)
        y = torch.tensor(targets)
        sw = torch.tensor(weights)
        ce = (sw * -(y * logp).sum(dim=1)).sum() / sw.sum()
        d = torch.stack([divergence(name, p, torch.tensor(q)) for q in critics]).mean()
        assert d.item() > D_TARGET + 0.01, f"{name}: D {d.item()} not above D_target"
        loss = ce + LAMBDA * torch.clamp(d - D_TARGET, min=0) ** 2
        loss.backward()
        cases.append({
            "divergence": name,
            "loss": loss.item(),
            "crossEntropy": ce.item(),
            "dissonance": d.item(),
            "grads": [{"weight": w.grad.flatten().tolist(), "bias": b.grad.tolist()} for w, b in params],
        })

    doc = {
        "widths": WIDTHS,
        "layers": [{"weight": w.flatten().tolist(), "bias": b.tolist()} for w, b in layers],
        "rows": ROWS,
        "x": x.flatten().tolist(),
        "targets": targets.flatten().tolist(),
        "weights": weights.tolist(),
        "critics": [q.flatten().tolist() for q in critics],
        "lambda": LAMBDA,
        "dTarget": D_TARGET,
        "torch": torch.__version__,
        "cases": cases,
    }
    with open(out_path, "w") as f:
        json.dump(doc, f)
    print(f"{out_path}: {len(cases)} cases, torch {torch.__version__}")


if __name__ == "__main__":
    main()
