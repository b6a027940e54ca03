"""Serve a model with a real Triton Inference Server until Ctrl-C.

    trtconv serve model.pth                  export it to a temporary repository and serve it
    trtconv serve repo/                      serve an exported model repository
    trtconv serve model.pth --http-port 9000 --host 0.0.0.0
    trtconv serve repo/ --tritonserver /opt/tritonserver/bin/tritonserver   # NVIDIA's container

The server is the tritonserver that nvidia-pytriton bundles (`pip install 'trtconv[serve]'`
in an environment with numpy<2; here `make triton-venv` and `.venv-triton/bin/trtconv`).
It prints the HTTP, gRPC and metrics endpoints once every model is ready; Ctrl-C (or
SIGTERM) stops it and waits for it to exit.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._common import CommandError, load_saved

HELP = "serve a .pth/.plan or a model repository with Triton (trtconv[serve])"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="model.pth, model.plan, or a Triton model repository")
    parser.add_argument("--name", help="model name for a .pth/.plan (default: file stem)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    parser.add_argument("--http-port", type=int, default=8000)
    parser.add_argument("--grpc-port", type=int, default=8001)
    parser.add_argument("--metrics-port", type=int, default=8002)
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="seconds to wait for the models to be ready")
    parser.add_argument("--log", metavar="FILE", help="tritonserver's log (default: a temp file)")
    parser.add_argument("--tritonserver", metavar="PATH",
                        help="another tritonserver binary, with its own ../backends (e.g. "
                             "/opt/tritonserver/bin/tritonserver, which has the TensorRT "
                             "backend); default: the one nvidia-pytriton bundles")


def _repository(args: argparse.Namespace, scratch: Path) -> Path:
    from ..export import export_triton

    path = Path(args.path)
    if path.is_dir():
        if not list(path.glob("*/config.pbtxt")):
            raise CommandError(f"{path} is a directory with no <model>/config.pbtxt: not a "
                               f"Triton model repository")
        return path
    module = load_saved(args.path)
    name = args.name or re.sub(r"[^A-Za-z0-9_.-]", "_", path.name.split(".")[0])
    # the bundled server has no TensorRT backend: a TensorRT engine runs through trtconv there
    export_triton(module, scratch, name, platform="auto" if args.tritonserver else "python")
    return scratch


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from ..serve import Ports, TritonServer, repository_models

    if not Path(args.path).exists():
        raise CommandError(f"no such file or directory: {args.path}")
    ports = Ports(args.http_port, args.grpc_port, args.metrics_port, args.host)
    with tempfile.TemporaryDirectory(prefix="trtconv-repo-") as scratch:
        repository = _repository(args, Path(scratch))
        server = TritonServer(repository, ports, args.log, args.tritonserver)
        # SIGINT too: a shell without job control starts background commands with SIGINT
        # ignored, and `kill -INT PID` must still stop the server.
        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            server.start()
            print(f"starting tritonserver (pid {server.process.pid}), log {server.log_path}",
                  flush=True)
            server.wait_ready(args.timeout)
            _announce(server, repository_models(repository))
            while server.process.poll() is None:
                time.sleep(0.5)
            print(f"tritonserver exited on its own with code {server.process.returncode}; "
                  f"log:\n{server.log_tail()}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("stopping tritonserver ...", flush=True)
            code = server.stop()
            print(f"tritonserver stopped (exit code {code})", flush=True)
            return 0
        finally:
            server.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _announce(server: Any, models: list[str]) -> None:
    endpoints = server.ports.endpoints()
    print(f"Triton Inference Server {server.version()} ready (pid {server.process.pid}), "
          f"repository {server.repository}")
    print(f"  models:  {', '.join(models)}")
    print(f"  HTTP:    {endpoints['http']}")
    print(f"  gRPC:    {endpoints['grpc']}")
    print(f"  metrics: {endpoints['metrics']}")
    print("Press Ctrl-C to stop.", flush=True)
