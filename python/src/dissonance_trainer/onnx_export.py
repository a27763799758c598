"""ONNX export helpers: a model the engine can serve takes ``input`` ``[N, …]`` float32 and returns
``probabilities`` ``[N, classes]`` float32 with a dynamic batch axis ``N``.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path
from typing import Any, Iterator, Sequence

import torch

#: Name of the exported input.
INPUT_NAME = "input"
#: Name of the exported probabilities output.
OUTPUT_NAME = "probabilities"
#: ONNX opset of the exports.
OPSET = 17


class _WithSoftmax(torch.nn.Module):
    """``softmax(module(x))`` over the class axis: the logits module as a probabilities model."""

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.module(x), dim=1)


def export_torch(
    module: torch.nn.Module,
    width: int,
    path: str | Path | None = None,
    *,
    input_shape: Sequence[int] | None = None,
    logits: bool = True,
) -> bytes:
    """Exports ``module`` (in eval mode) to ONNX and returns the bytes (also written to ``path`` when given).

    :param module: a classifier returning ``[N, classes]`` logits (``logits=True``) or probabilities.
    :param width: features per row; the input is ``[N, width]`` unless ``input_shape`` says otherwise.
    :param input_shape: the input shape without the batch axis, e.g. ``(1, 8, 8)`` for a CNN (``[N, 1, 8, 8]``).
    :param logits: when true, a softmax over axis 1 is appended so the output is probabilities.
    """
    shape = tuple(input_shape) if input_shape is not None else (width,)
    wrapped = _WithSoftmax(module) if logits else module
    was_training = module.training
    wrapped.eval()
    try:
        example = torch.zeros((2, *shape), dtype=torch.float32)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            # The TorchScript exporter is deprecated in favour of dynamo, which needs onnxscript; it still works.
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                wrapped,
                (example,),
                buffer,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}},
                opset_version=OPSET,
                dynamo=False,
            )
    finally:
        module.train(was_training)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


@contextlib.contextmanager
def _boolean_ints_accepted() -> Iterator[None]:
    """While converting, ``onnx.helper.make_attribute`` takes a list of booleans as the ints it stands for.

    skl2onnx 1.19.1's tree converters (decision trees, random forests, gradient boosting) pass
    ``nodes_missing_value_tracks_true`` as Python booleans, which onnx 1.19 refuses ("Expected an int, got a
    boolean"). The values are 0/1 flags either way; the patch is undone on exit.
    """
    import numpy as np
    import onnx.helper

    original = onnx.helper.make_attribute

    def make_attribute(key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, (list, tuple)) and any(isinstance(v, (bool, np.bool_)) for v in value):
            value = [int(v) for v in value]
        return original(key, value, *args, **kwargs)

    onnx.helper.make_attribute = make_attribute
    try:
        yield
    finally:
        onnx.helper.make_attribute = original


def export_sklearn(estimator: Any, width: int, path: str | Path | None = None) -> bytes:
    """Exports a fitted scikit-learn classifier with skl2onnx: input ``input`` ``[N, width]`` float32, one output
    ``probabilities`` ``[N, classes]`` float32 (``zipmap=False``; the label output is dropped). Tree ensembles
    (gradient boosting, random forests) included.
    """
    import onnx
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    options: dict[int, dict[str, bool]] = {id(estimator): {"zipmap": False}}
    with _boolean_ints_accepted():
        model = to_onnx(
            estimator,
            initial_types=[(INPUT_NAME, FloatTensorType([None, width]))],
            options=options,
            target_opset={"": OPSET, "ai.onnx.ml": 3},
        )
    graph = model.graph
    probs = next((o for o in graph.output if "prob" in o.name), None)
    if probs is None:
        raise ValueError(f"export_sklearn: no probabilities output among {[o.name for o in graph.output]}")
    # Rename the probabilities tensor everywhere it is produced, then keep it as the only output.
    old = probs.name
    for node in graph.node:
        node.output[:] = [OUTPUT_NAME if name == old else name for name in node.output]
        node.input[:] = [OUTPUT_NAME if name == old else name for name in node.input]
    kept = [o for o in graph.output if o.name == old]
    kept[0].name = OUTPUT_NAME
    del graph.output[:]
    graph.output.extend(kept)
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    if path is not None:
        Path(path).write_bytes(data)
    return data
