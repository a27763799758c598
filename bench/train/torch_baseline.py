"""PyTorch baseline for bench/train/index.ts: the same MLP, data, initial weights and batch order.

Run by the bench: .venv/bin/python bench/train/torch_baseline.py DIR
DIR holds what the TypeScript side wrote: x.f32 (rows x width float32), y.i32 (labels), order.i32
(epochs x rows batch order) and config.json (widths, epochs, batchSize, learningRate, runs, initial
weights as [inputs x outputs] row-major + biases). Trains with torch.optim.Adam on mean cross-entropy,
float32, once to warm up and then `runs` times, for torch.set_num_threads(1) and for the default thread
count, timing the training loop only (time.perf_counter around the epochs). Prints one JSON line.
"""
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch


def build(config: dict) -> torch.nn.Sequential:
    modules = []
    layers = config["layers"]
    for i, layer in enumerate(layers):
        linear = torch.nn.Linear(layer["inputs"], layer["outputs"])
        w = np.asarray(layer["weight"], dtype=np.float32).reshape(layer["inputs"], layer["outputs"])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T.copy()))
            linear.bias.copy_(torch.tensor(layer["bias"], dtype=torch.float32))
        modules.append(linear)
        if i < len(layers) - 1:
            modules.append(torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


def train(config: dict, x: torch.Tensor, y: torch.Tensor, order: torch.Tensor):
    model = build(config)
    opt = torch.optim.Adam(model.parameters(), lr=config["learningRate"])
    rows = x.shape[0]
    bs = config["batchSize"]
    losses = []
    start = time.perf_counter()
    for epoch in range(config["epochs"]):
        perm = order[epoch]
        total = torch.zeros(())
        for s in range(0, rows, bs):
            idx = perm[s : s + bs]
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * idx.shape[0]
        losses.append(total)
    elapsed = (time.perf_counter() - start) * 1000
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    return elapsed, [float(v) / rows for v in losses], accuracy


def main() -> None:
    folder = Path(sys.argv[1])
    config = json.loads((folder / "config.json").read_text())
    rows, width, epochs = config["rows"], config["widths"][0], config["epochs"]
    x = torch.from_numpy(np.fromfile(folder / "x.f32", dtype="<f4").reshape(rows, width))
    y = torch.from_numpy(np.fromfile(folder / "y.i32", dtype="<i4").astype(np.int64))
    order = torch.from_numpy(np.fromfile(folder / "order.i32", dtype="<i4").astype(np.int64).reshape(epochs, rows))
    default_threads = torch.get_num_threads()
    result = {"torch": torch.__version__, "defaultThreads": default_threads, "runs": {}}
    for threads in [1, default_threads]:
        torch.set_num_threads(threads)
        train(config, x, y, order)  # warm-up
        times = []
        for _ in range(config["runs"]):
            elapsed, losses, accuracy = train(config, x, y, order)
            times.append(elapsed)
        result["runs"][str(threads)] = {"ms": times, "median": statistics.median(times), "loss": losses, "accuracy": accuracy}
    torch.set_num_threads(default_threads)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
