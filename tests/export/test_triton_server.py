"""End to end: exported models served by a real Triton server (`trtconv serve`, the server
bundled with nvidia-pytriton), called over HTTP and gRPC with tritonclient, answers compared
with PyTorch; then 4 concurrent clients x 25 requests of batch 1-4 through the dynamic batcher.
The server is stopped by its PID with SIGINT (Ctrl-C) and must exit cleanly.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import torch
from support.triton_env import SUPPORT, require_triton_python

import trtconv

READY_TIMEOUT = 300  # a loaded 2-core machine: torch is imported in every model's stub


class Dyn(torch.nn.Module):
    """A small model with a dynamic batch: each sample on its own."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 16)
        self.fc2 = torch.nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.nn.functional.gelu(self.fc1(x))).softmax(-1)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _export(repo: Path, torchvision: object) -> dict[str, dict[str, object]]:
    """Export resnet18 (static 1x3x64x64), Dyn (batch 1-16) and a partially converted model;
    the PyTorch answers."""
    resnet = torchvision.models.resnet18().eval()
    x = torch.randn(1, 3, 64, 64)
    resnet_trt = trtconv.convert(resnet, [x], backend="reference", input_names=["image"],
                                 output_names=["logits"])
    trtconv.export_triton(resnet_trt, repo, "resnet18")
    dyn = Dyn().eval()
    dyn_trt = trtconv.convert(dyn, [trtconv.Input((1, 8), (4, 8), (16, 8))], backend="reference",
                              input_names=["x"], output_names=["probs"])
    trtconv.export_triton(dyn_trt, repo, "dyn", max_queue_delay_us=5000)
    part = PartlyConvertible().eval()
    part_trt = trtconv.convert(part, [torch.randn(4, 8)], backend="reference", fallback=True,
                               min_block_size=1, min_shapes=[(1, 8)], max_shapes=[(16, 8)],
                               input_names=["x"])
    trtconv.export_triton(part_trt, repo, "partial")
    requests = [torch.randn(int(b), 8) for b in torch.randint(1, 5, (100,))]
    xd, xp = torch.randn(3, 8), torch.randn(2, 8)
    with torch.no_grad():
        return {
            "resnet18": {"input": "image", "output": "logits", "single": x,
                         "single_expected": resnet(x)},
            "dyn": {"input": "x", "output": "probs", "single": xd, "single_expected": dyn(xd),
                    "requests": requests, "requests_expected": [dyn(r) for r in requests]},
            "partial": {"input": "x", "output": "output_0", "single": xp,
                        "single_expected": part(xp)},
        }


class PartlyConvertible(torch.nn.Module):
    """A model with an op no converter takes: served as a PartitionedModule (fallback=True)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.first, self.second = torch.nn.Linear(8, 16), torch.nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(torch.special.i1e(torch.relu(self.first(x))))


class Served:
    """`trtconv serve` in the Triton environment; its stdout lines in a queue."""

    def __init__(self, python: Path, repo: Path, ports: list[int]):
        command = [str(python), "-m", "trtconv", "serve", str(repo), "--http-port",
                   str(ports[0]), "--grpc-port", str(ports[1]), "--metrics-port", str(ports[2])]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.output.append(line)
            if text in line:
                return
        pytest.fail(f"no {text!r} from trtconv serve:\n{''.join(self.output)}")

    def server_pid(self) -> int:
        match = re.search(r"tritonserver \(pid (\d+)\)", "".join(self.output))
        assert match, "".join(self.output)
        return int(match.group(1))

    def close(self) -> None:
        """Ctrl-C if still running (so it cleans up), then kill after a grace period."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_triton_serves_exported_models(tmp_path, torchvision):
    python = require_triton_python()
    repo = tmp_path / "repo"
    cases = _export(repo, torchvision)
    torch.save(cases, tmp_path / "cases.pt")
    ports = _free_ports(3)
    served = Served(python, repo, ports)
    server_pid = None
    try:
        served.wait_for("Press Ctrl-C to stop.", READY_TIMEOUT)
        server_pid = served.server_pid()
        text = "".join(served.output)
        assert f"HTTP:    http://127.0.0.1:{ports[0]}" in text
        assert f"gRPC:    127.0.0.1:{ports[1]}" in text and "models:  dyn, partial, resnet18" in text
        check = subprocess.run(
            [str(python), str(SUPPORT / "triton_client_check.py"), f"127.0.0.1:{ports[0]}",
             f"127.0.0.1:{ports[1]}", str(tmp_path / "cases.pt"), str(tmp_path / "out.json")],
            capture_output=True, text=True, timeout=300)
        assert check.returncode == 0, check.stderr[-4000:]
        result = json.loads((tmp_path / "out.json").read_text())

        assert set(result["single"]) == {f"{m}/{p}" for m in ("resnet18", "dyn", "partial")
                                          for p in ("http", "grpc")}
        assert all(err < 1e-4 for err in result["single"].values()), result["single"]
        concurrent = result["concurrent"]["dyn"]
        assert concurrent["answers"] == 100
        wrong = {i: e for i, e in concurrent["errors"].items()
                 if isinstance(e, str) or e > 1e-5}
        assert not wrong, wrong
        stats = result["stats"]["dyn"]
        samples = sum(len(r) for r in cases["dyn"]["requests"]) + 2 * len(cases["dyn"]["single"])
        assert stats["inference_count"] == samples, stats  # every sample once (HTTP + gRPC)
        assert stats["execution_count"] < 100, stats  # the batcher joined requests

        served.process.send_signal(signal.SIGINT)  # Ctrl-C, by PID
        assert served.process.wait(timeout=120) == 0
        served.wait_for("tritonserver stopped (exit code 0)", 10)
        assert not _alive(server_pid)
    finally:
        served.close()
        if server_pid is not None and _alive(server_pid):
            os.killpg(server_pid, signal.SIGKILL)
