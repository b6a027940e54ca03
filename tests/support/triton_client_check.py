"""Run in the Triton environment: call a running Triton server with tritonclient and compare
every answer with PyTorch's (precomputed by the test).

    python triton_client_check.py HTTP_URL GRPC_URL CASES.pt RESULT.json

CASES.pt (torch.save, read with weights_only=True) holds, per model name, `single`: one input
and the expected output, and optionally `requests`: a list of inputs (batch 1-4) with their
expected outputs for the concurrent part. RESULT.json gets the largest error per call, the
concurrent answers' errors and counts, and the change in the models' inference statistics
over the whole run (single calls included).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import numpy as np
import torch
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

CLIENTS = 4


def _infer(kind: str, client: Any, model: str, case: dict[str, Any], x: torch.Tensor) -> Any:
    module = httpclient if kind == "http" else grpcclient
    inp = module.InferInput(case["input"], list(x.shape), "FP32")
    inp.set_data_from_numpy(x.numpy())
    return [inp], [module.InferRequestedOutput(case["output"])]


def _error(got: np.ndarray, expected: torch.Tensor) -> float:
    if tuple(got.shape) != tuple(expected.shape) or got.dtype != np.float32:
        return float("inf")
    return float(np.abs(got - expected.numpy()).max())


def single_calls(urls: dict[str, str], cases: dict[str, Any]) -> dict[str, float]:
    errors = {}
    for kind, url in urls.items():
        module = httpclient if kind == "http" else grpcclient
        client = module.InferenceServerClient(url)
        for model, case in cases.items():
            inputs, outputs = _infer(kind, client, model, case, case["single"])
            result = client.infer(model, inputs, outputs=outputs)
            errors[f"{model}/{kind}"] = _error(result.as_numpy(case["output"]),
                                               case["single_expected"])
    return errors


def _client(kind: str, url: str, model: str, case: dict[str, Any], indices: list[int],
            out: dict[int, Any]) -> None:
    """One client: sends all its requests at once (async), then collects the answers."""
    module = httpclient if kind == "http" else grpcclient
    if kind == "http":
        client = module.InferenceServerClient(url, concurrency=len(indices))
        pending = {}
        for i in indices:
            inputs, outputs = _infer(kind, client, model, case, case["requests"][i])
            pending[i] = client.async_infer(model, inputs, outputs=outputs)
        for i, request in pending.items():
            try:
                out[i] = request.get_result().as_numpy(case["output"])
            except Exception as e:  # reported, the test fails on it
                out[i] = repr(e)
        return
    client = module.InferenceServerClient(url)
    done = threading.Semaphore(0)

    def callback(i: int, result: Any, error: Any) -> None:
        out[i] = repr(error) if error is not None else result.as_numpy(case["output"])
        done.release()

    for i in indices:
        inputs, outputs = _infer(kind, client, model, case, case["requests"][i])
        client.async_infer(model, inputs, lambda result, error, i=i: callback(i, result, error),
                           outputs=outputs)
    deadline = time.monotonic() + 120
    for _ in indices:  # a missing answer shows as a count below 100 in the test
        if not done.acquire(timeout=max(0.0, deadline - time.monotonic())):
            break


def concurrent_calls(urls: dict[str, str], model: str, case: dict[str, Any]) -> dict[str, Any]:
    count = len(case["requests"])
    answers: dict[int, Any] = {}
    kinds = ["http", "grpc"] * (CLIENTS // 2)
    threads = [threading.Thread(target=_client, args=(kind, urls[kind], model, case,
                                                      list(range(c, count, CLIENTS)), answers))
               for c, kind in enumerate(kinds)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = {i: (a if isinstance(a, str) else _error(a, case["requests_expected"][i]))
              for i, a in answers.items()}
    return {"answers": len(answers), "errors": {str(i): e for i, e in errors.items()}}


def statistics(url: str, model: str) -> dict[str, int]:
    """The model's counters once they stop moving (Triton updates them after it answers)."""
    client = httpclient.InferenceServerClient(url)
    last: dict[str, int] = {}
    for _ in range(20):
        entry = client.get_inference_statistics(model)["model_stats"][0]
        now = {"inference_count": int(entry["inference_count"]),
               "execution_count": int(entry["execution_count"])}
        if now == last:
            break
        last = now
        time.sleep(0.5)
    return last


def main() -> None:
    http_url, grpc_url, cases_path, result_path = sys.argv[1:5]
    urls = {"http": http_url, "grpc": grpc_url}
    cases = torch.load(cases_path, weights_only=True)
    before = {model: statistics(http_url, model) for model in cases}
    result: dict[str, Any] = {"single": single_calls(urls, cases), "concurrent": {},
                              "stats": {}}
    for model, case in cases.items():
        if "requests" in case:
            result["concurrent"][model] = concurrent_calls(urls, model, case)
            after = statistics(http_url, model)
            result["stats"][model] = {k: after[k] - before[model][k] for k in after}
    with open(result_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
