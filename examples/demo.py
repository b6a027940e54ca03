"""`make demo`: convert torchvision's resnet18, check it against PyTorch, save and reload it.

Prints the backend, the number of layers, the max abs error against PyTorch, the conversion
time, then saves the state_dict, reloads it with `torch.load(..., weights_only=True)` into a
fresh `TRTModule` and checks the outputs again.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

import trtconv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.torchvision_cpu import import_torchvision  # noqa: E402  (the CPU-torch shim)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--size", type=int, default=224, help="input height and width")
    args = parser.parse_args(argv)

    torchvision = import_torchvision()
    torch.manual_seed(0)
    model = getattr(torchvision.models, args.model)().eval()
    x = torch.randn(1, 3, args.size, args.size)
    device = "cuda" if args.backend in ("auto", "tensorrt") and torch.cuda.is_available() else "cpu"
    model, x = model.to(device), x.to(device)

    started = time.perf_counter()
    model_trt = trtconv.convert(model, [x], backend=args.backend)
    seconds = time.perf_counter() - started
    with torch.no_grad():
        expected = model(x)
    got = model_trt(x)
    error = (got - expected).abs().max().item()
    meta = model_trt.metadata
    print(f"model:        {args.model} (random weights), input {tuple(x.shape)}")
    print(f"backend:      {model_trt.backend} ({meta['tensorrt']})")
    print(f"layers:       {meta['num_layers']}")
    print(f"max abs err:  {error:.3e}  (output max abs {expected.abs().max().item():.3f})")
    print(f"convert time: {seconds:.2f} s (trace+emit {meta['trace_seconds']:.2f} s, "
          f"build {meta['build_seconds']:.2f} s)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{args.model}_trt.pth"
        torch.save(model_trt.state_dict(), path)
        reloaded = trtconv.TRTModule()
        reloaded.load_state_dict(torch.load(path, weights_only=True))
        again = reloaded(x)
        same = torch.equal(again, got)
        print(f"saved:        {path.name} ({path.stat().st_size / 1e6:.1f} MB), reloaded with "
              f"weights_only=True: outputs {'identical' if same else 'DIFFERENT'}")
    ok = error <= 1e-4 and same
    print("demo:         OK" if ok else "demo:         FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
