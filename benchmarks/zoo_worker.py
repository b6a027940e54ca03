"""One zoo model in its own process: `python -m benchmarks.zoo_worker MODEL --json PATH`.

Stages (each recorded in PATH as soon as it ends, so a crash or a timeout keeps what came
before):

1. eager: build the model (random weights, eval) and time one forward pass;
2. trtconv: `convert(backend="reference")` (trace+emit, reference build), output check, reference
   forward vs eager interleaved; `convert(backend="tensorrt_rtx")` static, and with a dynamic
   batch (1..8);
3. onnx: `torch.onnx.export` with the TorchScript exporter and with `dynamo=True`, each static
   and with a dynamic batch, then `tensorrt_rtx.OnnxParser` and a TensorRT-RTX build (with an
   optimization profile batch 1..8 when dynamic).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from . import common
from .common import first_line, log
from .zoo_models import MODELS, ZooModel

MAX_BATCH = 8
DYN_BATCH = 2  # example batch of dynamic exports (1 would be specialised by torch.export)


class Record:
    def __init__(self, path: Path, model: ZooModel):
        self.path = path
        self.data: dict[str, Any] = {"model": model.name, "family": model.family,
                                     "input": list(model.input_shape),
                                     "input_desc": model.describe_input(), "stage": "start"}
        self.save()

    def stage(self, name: str) -> None:
        self.data["stage"] = name
        self.save()

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=str))
        os.replace(tmp, self.path)


@contextlib.contextmanager
def quiet() -> Any:
    """Silence the exporters' prints and warnings (progress goes through `log`)."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _error_kind(e: BaseException) -> str:
    from trtconv import UnsupportedOperatorError

    if isinstance(e, UnsupportedOperatorError):
        ops = sorted({u.op for u in e.report.unsupported})
        shown = ", ".join(o.replace("torch.nn.functional.", "F.") for o in ops[:4])
        return f"unsupported ({len(ops)}): {shown}" + (" …" if len(ops) > 4 else "")
    return first_line(e)


def _max_err(a: Any, b: Any) -> float:
    from torch.utils import _pytree as pytree

    la, lb = pytree.tree_leaves(a), pytree.tree_leaves(b)
    return max(float((x.float() - y.float()).abs().max()) for x, y in zip(la, lb))


def _dynamic_shapes(shape: tuple[int, ...]) -> tuple[list[tuple[int, ...]], ...]:
    rest = tuple(shape[1:])
    return [(1, *rest)], [(DYN_BATCH, *rest)], [(MAX_BATCH, *rest)]


def stage_trtconv(rec: Record, model: torch.nn.Module, x: torch.Tensor, eager_out: Any,
                  reps: int, trtconv_dynamic: bool = False) -> None:
    import trtconv

    d = rec.data
    rec.stage("trtconv reference")
    try:
        seconds, module = common.timed(lambda: trtconv.convert(model, [x], backend="reference"))
    except Exception as e:
        d["trtconv_error"] = _error_kind(e)
        d["rtx_ok"] = False
        if trtconv_dynamic:
            d["rtx_dyn_ok"] = False
        report = getattr(e, "report", None)
        if report is not None:
            d["trace_s"] = report.trace_seconds
        log(f"{d['model']}: trtconv failed: {d['trtconv_error']}")
        return
    meta = module.metadata
    d.update(trace_s=meta["trace_seconds"], ref_build_s=meta["build_seconds"],
             convert_ref_s=seconds, layers=meta.get("num_layers"))
    log(f"{d['model']}: trtconv trace+emit {meta['trace_seconds']:.2f} s, reference build "
        f"{meta['build_seconds']:.2f} s, {meta.get('num_layers')} layers")
    rec.stage("reference forward")
    try:
        with torch.no_grad():
            got = module(x)
        d["ref_err"] = _max_err(got, eager_out)

        def eager() -> Any:
            with torch.no_grad():
                return model(x)

        calls = common.calls_per_rep(eager)  # small models: several calls per repetition
        samples = common.interleaved(
            {"eager": common.repeated(eager, calls),
             "reference": common.repeated(lambda m=module: m(x), calls)}, reps=reps, warmup=1)
        d.update(ref_fwd_s=samples.median("reference") / calls,
                 eager_fwd_s=samples.median("eager") / calls, calls_per_rep=calls,
                 ref_ratio=samples.ratio("reference", "eager"),
                 ref_cpu_ratio=samples.cpu_ratio("reference", "eager"))
        log(f"{d['model']}: reference forward {d['ref_fwd_s'] * 1e3:.1f} ms vs eager "
            f"{d['eager_fwd_s'] * 1e3:.1f} ms (ratio {d['ref_ratio']:.2f}), max abs error "
            f"{d['ref_err']:.2g}")
    except Exception as e:
        d["ref_fwd_error"] = first_line(e)
        log(f"{d['model']}: reference forward failed: {d['ref_fwd_error']}")
    del module
    gc.collect()
    for dynamic in (False, True) if trtconv_dynamic else (False,):
        key = "rtx_dyn" if dynamic else "rtx"
        rec.stage(f"trtconv {key}")
        shapes = {}
        if dynamic:
            lo, opt, hi = _dynamic_shapes(tuple(x.shape))
            shapes = {"min_shapes": lo, "opt_shapes": opt, "max_shapes": hi}
        try:
            module = trtconv.convert(model, [x], backend="tensorrt_rtx", **shapes)
            d[f"{key}_build_s"] = module.metadata["build_seconds"]
            d[f"{key}_trace_s"] = module.metadata["trace_seconds"]
            d[f"{key}_ok"] = True
            log(f"{d['model']}: trtconv tensorrt_rtx{' dynamic' if dynamic else ''} build "
                f"{d[f'{key}_build_s']:.2f} s")
            del module
        except Exception as e:
            d[f"{key}_ok"] = False
            d[f"{key}_error"] = _error_kind(e)
            log(f"{d['model']}: trtconv tensorrt_rtx{' dynamic' if dynamic else ''} failed: "
                f"{d[f'{key}_error']}")
        gc.collect()


def _onnx_export(model: torch.nn.Module, x: torch.Tensor, dynamo: bool,
                 dynamic: bool) -> bytes:
    f = io.BytesIO()
    kwargs: dict[str, Any] = {"input_names": ["input"], "dynamo": dynamo}
    if dynamic and dynamo:
        batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
        kwargs["dynamic_shapes"] = ({0: batch},)
    elif dynamic:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}}
    with quiet():
        torch.onnx.export(model, (x,), f, **kwargs)
    return f.getvalue()


def _rtx_parse(data: bytes) -> tuple[Any, Any, Any, Any]:
    import tensorrt_rtx as trt

    from trtconv.backends import capturing_logger

    logger = capturing_logger(trt)
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(data):
        errors = [parser.get_error(i).desc() for i in range(parser.num_errors)]
        raise RuntimeError("OnnxParser: " + ("; ".join(errors[:2]) or "parse failed"))
    return trt, logger, builder, network


def _rtx_build(trt: Any, logger: Any, builder: Any, network: Any) -> None:
    config = builder.create_builder_config()
    dynamic = False
    profile = builder.create_optimization_profile()
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        shape = tuple(tensor.shape)
        if any(d < 0 for d in shape):
            dynamic = True
            fill = [tuple(v if d < 0 else d for d in shape) for v in (1, DYN_BATCH, MAX_BATCH)]
            profile.set_shape(tensor.name, *fill)
    if dynamic:
        config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        errors = logger.errors()
        raise RuntimeError("build failed: " + (errors[-1] if errors else "no reason logged"))


def stage_onnx(rec: Record, model: torch.nn.Module, x: torch.Tensor) -> None:
    d = rec.data
    x_dyn = torch.cat([x] * DYN_BATCH)
    for exporter, dynamo in (("ts", False), ("dynamo", True)):
        for dynamic in (False, True):
            key = f"{exporter}_{'dyn' if dynamic else 'static'}"
            rec.stage(f"onnx {key}")
            static_error = d.get(f"{exporter}_static_error", "")
            if dynamic and static_error.startswith("export:"):
                d[f"{key}_ok"] = False
                d[f"{key}_error"] = "not tried: the static export failed"
                continue
            step = "export"
            try:
                export_s, data = common.timed(
                    lambda dynamo=dynamo, dynamic=dynamic: _onnx_export(
                        model, x_dyn if dynamic else x, dynamo, dynamic))
                d[f"{key}_export_s"] = export_s
                d[f"{key}_onnx_mb"] = len(data) / 1e6
                step = "parse"
                parse_s, parsed = common.timed(lambda data=data: _rtx_parse(data))
                d[f"{key}_parse_s"] = parse_s
                del data
                step = "build"
                build_s, _ = common.timed(lambda parsed=parsed: _rtx_build(*parsed))
                d[f"{key}_build_s"] = build_s
                d[f"{key}_ok"] = True
                log(f"{d['model']}: onnx {key}: export {export_s:.2f} s, parse {parse_s:.2f} s, "
                    f"build {build_s:.2f} s")
                del parsed
            except Exception as e:
                d[f"{key}_ok"] = False
                d[f"{key}_error"] = f"{step}: {first_line(e)}"
                log(f"{d['model']}: onnx {key} failed at {step}: {first_line(e)}")
            rec.save()
            gc.collect()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.zoo_worker")
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--trtconv-dynamic", action="store_true",
                        help="also convert with a dynamic batch (1..8) to TensorRT-RTX")
    parser.add_argument("--skip", default="", help="comma list of stages to skip: trtconv,onnx")
    args = parser.parse_args(argv)
    spec = MODELS[args.model]
    rec = Record(args.json, spec)
    d = rec.data
    skip = set(filter(None, args.skip.split(",")))
    if args.threads:
        torch.set_num_threads(args.threads)
    rec.stage("load")
    torch.manual_seed(0)
    with quiet():
        model = spec.make().eval()
    x = torch.randn(spec.input_shape)
    d["params_m"] = sum(p.numel() for p in model.parameters()) / 1e6
    rec.stage("eager")
    with torch.no_grad():
        model(x)  # warm-up
        started = time.perf_counter()
        eager_out = model(x)
        d["eager_s"] = time.perf_counter() - started
    log(f"{spec.name}: {d['params_m']:.1f} M parameters, input {tuple(x.shape)}, eager forward "
        f"{d['eager_s'] * 1e3:.1f} ms")
    if "trtconv" not in skip:
        stage_trtconv(rec, model, x, eager_out, args.reps, args.trtconv_dynamic)
    if "onnx" not in skip:
        stage_onnx(rec, model, x)
    rec.stage("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
