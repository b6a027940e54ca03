"""Progress of a conversion on a terminal: the trace, the build, int8 calibration.

`convert(progress=None)` shows it when stderr is a terminal, `progress=True` always,
`progress=False` never. Each stage is one line, redrawn in place while it runs (calls and
layers traced so far, a bar for calibration batches and for TensorRT's build phases, the
elapsed time) and left on screen with its time when done.

>>> import io
>>> class Terminal(io.StringIO):
...     def isatty(self): return True
>>> screen = Terminal()
>>> with Progress.create(None, screen).stage("building (reference)"):
...     pass
>>> "trtconv: building (reference): done in" in screen.getvalue()
True
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, TextIO

_REDRAW_SECONDS = 0.1
_TICK_SECONDS = 0.5
_BAR_WIDTH = 24


def bar_text(done: int, total: int) -> str:
    """`[#######.................]  7/24` (no bar when the total is unknown)."""
    if total <= 0:
        return f"{done}"
    filled = min(_BAR_WIDTH, _BAR_WIDTH * done // total)
    return f"[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {done}/{total}"


class Progress:
    """One stage line at a time on `stream`; every method is a no-op when disabled."""

    def __init__(self, enabled: bool, stream: TextIO | None = None):
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self._label = ""
        self._detail = ""
        self._started = 0.0
        self._drawn = 0.0
        self._lock = threading.Lock()
        self._calls = 0
        self._layers = 0

    @classmethod
    def create(cls, progress: bool | None, stream: TextIO | None = None) -> Progress:
        """Enabled when asked, or (None) when the stream is a terminal."""
        stream = stream if stream is not None else sys.stderr
        if progress is None:
            isatty = getattr(stream, "isatty", None)
            progress = bool(isatty()) if callable(isatty) else False
        return cls(bool(progress), stream)

    # --- stages -------------------------------------------------------------------------------
    @contextmanager
    def stage(self, label: str) -> Iterator[Progress]:
        """A stage line, redrawn every half second with the elapsed time (a blocking build
        shows it is alive), finished with the total time."""
        if not self.enabled:
            yield self
            return
        self._label, self._detail, self._started = label, "", time.perf_counter()
        stop = threading.Event()
        ticker = threading.Thread(target=self._tick, args=(stop,), daemon=True)
        ticker.start()
        ok = False
        try:
            self._draw(force=True)
            yield self
            ok = True
        finally:
            stop.set()
            ticker.join()
            self._finish("done" if ok else "failed")

    def _tick(self, stop: threading.Event) -> None:
        while not stop.wait(_TICK_SECONDS):
            self._draw(force=True)

    def detail(self, text: str) -> None:
        """What the current stage is doing now (redrawn at most every 0.1 s)."""
        if self.enabled:
            self._detail = text
            self._draw()

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._drawn < _REDRAW_SECONDS:
            return
        with self._lock:
            self._drawn = now
            line = f"trtconv: {self._label} {self._detail} {now - self._started:.1f}s"
            self.stream.write(f"\r{line}\x1b[K")
            self.stream.flush()

    def _finish(self, how: str) -> None:
        with self._lock:
            elapsed = time.perf_counter() - self._started
            detail = f" ({self._detail})" if self._detail else ""
            self.stream.write(f"\rtrtconv: {self._label}{detail}: {how} in {elapsed:.1f}s"
                              f"\x1b[K\n")
            self.stream.flush()

    # --- what stages report -------------------------------------------------------------------
    def on_call(self, record: Any, results: Any) -> None:
        """A call observer for the trace: calls and layers so far."""
        self._calls += 1
        self._layers = record.layers[1]
        self.detail(f"{self._calls} calls, {self._layers} layers")

    def counter(self, what: str) -> Callable[[int, int], None]:
        """A callback (done, total) that draws a bar, e.g. over calibration batches."""
        return lambda done, total: self.detail(f"{bar_text(done, total)} {what}")

    def monitor(self, trt: ModuleType) -> Any:
        """A `trt.IProgressMonitor` for TensorRT's builder (None when disabled or when the
        module has none, as the reference builder)."""
        if not self.enabled or not hasattr(trt, "IProgressMonitor"):
            return None
        return _monitor(trt, self)


def _monitor(trt: ModuleType, progress: Progress) -> Any:
    class Monitor(trt.IProgressMonitor):  # type: ignore[name-defined, misc]
        """Shows the innermost running build phase as a bar."""

        def __init__(self) -> None:
            trt.IProgressMonitor.__init__(self)
            self.steps: dict[str, int] = {}

        def phase_start(self, phase_name: str, parent_phase: str | None,
                        num_steps: int) -> None:
            self.steps[phase_name] = int(num_steps)
            progress.detail(f"{phase_name} {bar_text(0, int(num_steps))}")

        def step_complete(self, phase_name: str, step: int) -> bool:
            total = self.steps.get(phase_name, 0)
            progress.detail(f"{phase_name} {bar_text(int(step) + 1, total)}")
            return True  # never cancel the build

        def phase_finish(self, phase_name: str) -> None:
            total = self.steps.pop(phase_name, 0)
            progress.detail(f"{phase_name} {bar_text(total, total)}")

    return Monitor()
