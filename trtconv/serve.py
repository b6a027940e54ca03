"""`trtconv serve`: a real Triton Inference Server for an exported model repository.

The server is the `tritonserver` binary that `nvidia-pytriton` (the `trtconv[serve]` extra)
bundles with Triton's Python backend. Started here directly, it needs:

- a backend directory whose `python/` holds the Python-backend stub built for the running
  interpreter's version (the wheel ships stubs for 3.8-3.13 beside the backend; PyTriton
  copies the right one into place, this module links it into a private temp directory);
- `LD_LIBRARY_PATH` with the interpreter's `LIBDIR` (the stub loads libpython) and PyTriton's
  bundled libraries, and the interpreter's `bin` first on `PATH` (the stub finds its packages,
  torch and trtconv among them, through it);
- numpy < 2 in that environment (`make triton-venv` builds `.venv-triton` with all of it).

The Triton bundled with PyTriton has no TensorRT backend: a `tensorrt_plan` model is served by
a Triton that has one (e.g. NVIDIA's container); everything that runs here is a Python-backend
model.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TrtconvError

INSTALL_HINT = ("install the serving extra in an environment with numpy<2: "
                "`pip install 'trtconv[serve]' 'numpy<2'` (in this repository: `make triton-venv`, "
                "then `.venv-triton/bin/trtconv serve ...`)")


class ServeError(TrtconvError):
    """The server cannot be set up, did not start, or stopped on its own."""


@dataclass(frozen=True)
class ServerFiles:
    """Where the bundled Triton lives: binary, Python backend, stub, libraries."""

    binary: Path
    python_backend: Path
    stub: Path
    libs: Path | None


def server_files() -> ServerFiles:
    """The bundled `tritonserver` and the Python-backend stub for this interpreter."""
    spec = importlib.util.find_spec("pytriton")
    if spec is None or not spec.submodule_search_locations:
        raise ServeError(f"trtconv serve needs nvidia-pytriton's Triton server: {INSTALL_HINT}")
    root = Path(list(spec.submodule_search_locations)[0])
    dist = root / "tritonserver"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    stubs = dist / "python_backend_stubs"
    files = ServerFiles(dist / "bin" / "tritonserver", dist / "backends" / "python",
                        stubs / version / "triton_python_backend_stub", None)
    if not files.binary.exists():
        raise ServeError(f"no tritonserver binary at {files.binary}: reinstall nvidia-pytriton")
    if not files.stub.exists():
        have = sorted(p.name for p in stubs.iterdir()) if stubs.is_dir() else []
        raise ServeError(f"nvidia-pytriton has no Python-backend stub for Python {version} "
                         f"(it has {', '.join(have) or 'none'})")
    libs = root.parent / "nvidia_pytriton.libs"
    return ServerFiles(files.binary, files.python_backend, files.stub,
                       libs if libs.is_dir() else None)


def _installed_server(binary: Path) -> ServerFiles:
    """A tritonserver installed on its own (`<root>/bin/tritonserver`, `<root>/backends`)."""
    if not binary.is_file():
        raise ServeError(f"no tritonserver binary at {binary}")
    backends = binary.resolve().parent.parent / "backends"
    if not backends.is_dir():
        raise ServeError(f"{binary}: no backends directory at {backends}")
    return ServerFiles(binary, backends / "python", backends / "python", None)


def check_numpy() -> None:
    """The stub's `triton_python_backend_utils` needs numpy < 2 in this environment."""
    spec = importlib.util.find_spec("numpy")
    if spec is None:
        raise ServeError(f"numpy is not installed here: {INSTALL_HINT}")
    import numpy

    if int(numpy.__version__.split(".")[0]) >= 2:
        raise ServeError(f"numpy {numpy.__version__} is installed; Triton's Python backend "
                         f"bundled with nvidia-pytriton needs numpy<2: {INSTALL_HINT}")


def backend_directory(files: ServerFiles, where: Path) -> Path:
    """`where/backends` with `python/` = the bundled backend plus this Python's stub."""
    python_dir = where / "backends" / "python"
    python_dir.mkdir(parents=True, exist_ok=True)
    for item in files.python_backend.iterdir():
        if item.name != "__pycache__" and not (python_dir / item.name).exists():
            (python_dir / item.name).symlink_to(item)
    stub = python_dir / "triton_python_backend_stub"
    if not stub.exists():
        stub.symlink_to(files.stub)
    return where / "backends"


def server_env(files: ServerFiles) -> dict[str, str]:
    """This environment plus what the stub needs: libpython's dir, PyTriton's libs, bin/."""
    env = dict(os.environ)
    libs = [str(sysconfig.get_config_var("LIBDIR") or "")]
    if files.libs is not None:
        libs.append(str(files.libs))
    if env.get("LD_LIBRARY_PATH"):
        libs.append(env["LD_LIBRARY_PATH"])
    env["LD_LIBRARY_PATH"] = ":".join(p for p in libs if p)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@dataclass(frozen=True)
class Ports:
    http: int = 8000
    grpc: int = 8001
    metrics: int = 8002
    host: str = "127.0.0.1"

    @property
    def client_host(self) -> str:
        return "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host

    def endpoints(self) -> dict[str, str]:
        return {"http": f"http://{self.client_host}:{self.http}",
                "grpc": f"{self.client_host}:{self.grpc}",
                "metrics": f"http://{self.client_host}:{self.metrics}/metrics"}


def server_command(files: ServerFiles, repository: Path, backends: Path, ports: Ports,
                   exit_timeout: int = 10) -> list[str]:
    return [str(files.binary), f"--model-repository={repository}",
            f"--backend-directory={backends}", f"--http-port={ports.http}",
            f"--grpc-port={ports.grpc}", f"--metrics-port={ports.metrics}",
            f"--http-address={ports.host}", f"--grpc-address={ports.host}",
            f"--metrics-address={ports.host}", f"--exit-timeout-secs={exit_timeout}"]


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=2) as reply:
        return json.loads(reply.read() or b"null")


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _stop_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM it when the process that started it dies, so
    a killed `trtconv serve` leaves no server holding its ports."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class TritonServer:
    """A running `tritonserver` process (its own session, so Ctrl-C reaches only us)."""

    def __init__(self, repository: str | Path, ports: Ports = Ports(),
                 log_path: str | Path | None = None, binary: str | Path | None = None):
        """`binary`: another tritonserver (e.g. NVIDIA's container, which has the TensorRT
        backend), used with its own `../backends`; default: the one nvidia-pytriton bundles."""
        self.repository = Path(repository).resolve()
        self.ports = ports
        self._scratch = tempfile.TemporaryDirectory(prefix="trtconv-serve-")
        scratch = Path(self._scratch.name)
        self.log_path = Path(log_path) if log_path else scratch / "tritonserver.log"
        if binary is None:
            self.files = server_files()
            check_numpy()
            self._backends = backend_directory(self.files, scratch)
        else:
            self.files = _installed_server(Path(binary))
            self._backends = self.files.python_backend.parent
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = server_command(self.files, self.repository, self._backends, self.ports)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=server_env(self.files),
                                            start_new_session=True,
                                            preexec_fn=_stop_with_parent)

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        errors = [line for line in text if line.startswith("E")]
        return "\n".join((errors[-8:] if errors else []) + ["..."] + text[-lines:])

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until `/v2/health/ready` answers 200; ServeError if the server exits or times out."""
        assert self.process is not None, "start() first"
        url = f"{self.ports.endpoints()['http']}/v2/health/ready"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServeError(f"tritonserver exited with code {self.process.returncode} "
                                 f"before it was ready; its log ({self.log_path}):\n"
                                 f"{self.log_tail()}")
            if _ready(url):
                return
            time.sleep(0.25)
        raise ServeError(f"tritonserver was not ready after {timeout:.0f} s; its log "
                         f"({self.log_path}):\n{self.log_tail()}")

    def version(self) -> str:
        try:
            return str(_get_json(self.ports.endpoints()["http"] + "/v2").get("version", "?"))
        except (urllib.error.URLError, OSError, ValueError, AttributeError):
            return "?"

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGINT (Triton's own graceful shutdown), then SIGKILL to its whole process group
        (the Python-backend stubs too) if it has not exited within `timeout`."""
        process = self.process
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()

    def close(self) -> None:
        self.stop()
        self._scratch.cleanup()

    def __enter__(self) -> TritonServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def repository_models(repository: Path) -> list[str]:
    """The model names (directories with a config.pbtxt) in a repository."""
    return sorted(p.parent.name for p in repository.glob("*/config.pbtxt"))
