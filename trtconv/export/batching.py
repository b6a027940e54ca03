"""Serving several requests with one module call: what Triton's dynamic batcher hands over.

Requests whose inputs agree in every dim but the first are concatenated along dim 0 (up to
`max_batch` samples), run once, and the outputs split back by each request's batch size.
A failure answers each request of its group with the error instead of its outputs.

>>> import torch
>>> from trtconv.export.batching import run_requests
>>> calls = []
>>> def double(xs):
...     calls.append(xs[0].shape[0])
...     return [xs[0] * 2]
>>> out = run_requests(double, [[torch.ones(1, 2)], [torch.ones(3, 2)]], max_batch=8)
>>> calls, [tuple(r[0].shape) for r in out]
([4], [(1, 2), (3, 2)])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

Run = Callable[[list[torch.Tensor]], list[torch.Tensor]]
Result = list[torch.Tensor] | Exception


def _key(inputs: Sequence[torch.Tensor]) -> tuple[object, ...]:
    return tuple((tuple(x.shape[1:]), x.dtype) for x in inputs)


def group_requests(requests: Sequence[Sequence[torch.Tensor]],
                   max_batch: int) -> list[list[int]]:
    """Indices of requests to run together: same trailing shapes, at most `max_batch` samples."""
    groups: list[list[int]] = []
    open_groups: dict[tuple[object, ...], tuple[list[int], int]] = {}
    for i, inputs in enumerate(requests):
        key, size = _key(inputs), int(inputs[0].shape[0]) if inputs else 0
        members, total = open_groups.get(key, ([], 0))
        if members and total + size > max_batch:
            members, total = [], 0
        if not members:
            groups.append(members)
        members.append(i)
        open_groups[key] = (members, total + size)
    return groups


def _run_one(run: Run, inputs: Sequence[torch.Tensor]) -> Result:
    try:
        return list(run(list(inputs)))
    except Exception as e:  # answered to the client; the server keeps serving
        return e


def _run_group(run: Run, batch: list[Sequence[torch.Tensor]]) -> list[Result]:
    if len(batch) == 1:
        return [_run_one(run, batch[0])]
    sizes = [int(inputs[0].shape[0]) for inputs in batch]
    joined = [torch.cat(parts) for parts in zip(*batch)]
    outputs = _run_one(run, joined)
    if isinstance(outputs, Exception):
        return [outputs] * len(batch)
    wrong = [i for i, out in enumerate(outputs) if out.dim() == 0 or out.shape[0] != sum(sizes)]
    if wrong:
        error = ValueError(f"output {wrong[0]} has shape {tuple(outputs[wrong[0]].shape)} for a "
                           f"batch of {sum(sizes)}: dim 0 is not a batch dimension; export "
                           f"with batching=False")
        return [error] * len(batch)
    pieces = [torch.split(out, sizes) for out in outputs]
    return [[p[i] for p in pieces] for i in range(len(batch))]


def run_requests(run: Run, requests: Sequence[Sequence[torch.Tensor]],
                 max_batch: int) -> list[Result]:
    """Each request's outputs (or its error), in order; `max_batch` 0 runs one at a time."""
    if max_batch <= 0:
        return [_run_one(run, inputs) for inputs in requests]
    results: list[Result] = [ValueError("not run")] * len(requests)
    for group in group_requests(requests, max_batch):
        for index, result in zip(group, _run_group(run, [requests[i] for i in group])):
            results[index] = result
    return results
