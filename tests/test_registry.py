"""Converter targets of every kind, checked at registration (issue #14).

Each kind converts a model and matches PyTorch; each failure the issue lists raises a clear
error at registration, leaves the registry exactly as it was, and an unrelated conversion
works afterwards in the same process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import support.mylib_ops  # noqa: F401  (registers torch.ops.mylib.*)
import torch
from harness import Lambda

import trtconv
from trtconv import registry, trt
from trtconv.registry import USER_PRIORITY, DuplicateConverterError, InvalidTargetError

REPO = Path(__file__).resolve().parent.parent


def silu_plus_one(ctx, x, alpha=1.0):
    """TensorRT layers for x * sigmoid(x) + alpha (the computation of FooOp and mylib::foo)."""
    t = ctx.trt(x)
    s = ctx.network.add_activation(t, trt.ActivationType.SIGMOID).get_output(0)
    p = ctx.network.add_elementwise(t, s, trt.ElementWiseOperation.PROD).get_output(0)
    a = ctx.trt(torch.full([1] * x.dim(), float(alpha)))
    return ctx.network.add_elementwise(p, a, trt.ElementWiseOperation.SUM).get_output(0)


class FooOp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * torch.sigmoid(x) + 1

    @staticmethod
    def backward(ctx, grad):
        return grad


class Helper:
    """Static and class methods, reached through an instance by the model."""

    @staticmethod
    def scale(x, factor):
        return x * factor

    @classmethod
    def shift(cls, x):
        return x + cls.offset

    offset = 3.0


def _unrelated_conversion_works() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()).eval()
    x = torch.randn(2, 4)
    converted = trtconv.convert(model, [x], backend="reference")
    torch.testing.assert_close(converted(x), model(x))


def _converted_ops(model, x, **kwargs):
    converted = trtconv.convert(model, [x], backend="reference", **kwargs)
    return converted, [c.op for c in converted.report.calls]


# --- target kinds --------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", ["class", "apply", "string"])
def test_autograd_function(spelling):
    """A converter on the class: models call FooOp.apply, the converter gets apply's
    arguments, and nothing inside forward is traced."""
    target = {"class": FooOp, "apply": FooOp.apply,
              "string": f"{FooOp.__module__}.FooOp.apply"}[spelling]
    seen = []

    def convert_foo(ctx, x):
        seen.append(x)
        return silu_plus_one(ctx, x)

    model = Lambda(lambda x: FooOp.apply(x * 2) - 1)
    x = torch.randn(3, 5)
    with registry.scope():
        trtconv.tensorrt_converter(target)(convert_foo)
        assert f"{FooOp.__module__}.FooOp.apply" in registry.converters()
        converted, ops = _converted_ops(model, x)
    torch.testing.assert_close(converted(x), model(x))
    assert len(seen) == 1 and seen[0].shape == (3, 5)
    assert ops == ["torch.Tensor.mul", f"{FooOp.__module__}.FooOp.apply",
                   "torch.Tensor.sub"]  # sigmoid, mul, add inside forward: not traced
    assert "apply" not in vars(FooOp)  # the patch is gone


@pytest.mark.parametrize("target", [torch.ops.mylib.foo, "mylib::foo", "torch.ops.mylib.foo",
                                    "mylib.foo"])
def test_custom_op_packet_converts_every_overload(target):
    model = Lambda(lambda x: torch.ops.mylib.foo(x) + torch.ops.mylib.foo.scaled(x, 0.5))
    x = torch.randn(2, 6)
    with registry.scope():
        trtconv.tensorrt_converter(target)(silu_plus_one)
        converted, ops = _converted_ops(model, x)
    torch.testing.assert_close(converted(x), model(x))
    assert ops.count("mylib.foo") == 2


@pytest.mark.parametrize("target", [torch.ops.mylib.foo.scaled, "mylib::foo.scaled"])
def test_custom_op_overload_converts_only_itself(target):
    model = Lambda(lambda x: torch.ops.mylib.foo(x) + torch.ops.mylib.foo.scaled(x, 0.5))
    x = torch.randn(2, 6)
    with registry.scope():
        trtconv.tensorrt_converter(target)(silu_plus_one)
        report = trtconv.convert(model, [x], backend="reference", dry_run=True)
    assert report.converted.get("mylib.foo.scaled") == 1
    assert [u.op for u in report.unsupported] == ["mylib.foo.default"]


def test_static_and_class_methods_through_an_instance():
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.helper = Helper()

        def forward(self, x):
            return self.helper.scale(x, 2.0) + self.helper.shift(x)

    def convert_scale(ctx, x, factor):
        f = ctx.trt(torch.full([1] * x.dim(), factor))
        return ctx.network.add_elementwise(ctx.trt(x), f, trt.ElementWiseOperation.PROD) \
            .get_output(0)

    def convert_shift(ctx, x):  # a classmethod's converter gets the call's arguments
        o = ctx.trt(torch.full([1] * x.dim(), Helper.offset))
        return ctx.network.add_elementwise(ctx.trt(x), o, trt.ElementWiseOperation.SUM) \
            .get_output(0)

    x = torch.randn(2, 3)
    with registry.scope():
        trtconv.tensorrt_converter(Helper.scale)(convert_scale)
        trtconv.tensorrt_converter(Helper.shift)(convert_shift)
        converted, ops = _converted_ops(Model(), x)
    torch.testing.assert_close(converted(x), Model()(x))
    assert ops[:2] == [f"{__name__}.Helper.scale", f"{__name__}.Helper.shift"]
    assert isinstance(vars(Helper)["scale"], staticmethod)  # restored as it was
    assert isinstance(vars(Helper)["shift"], classmethod)


def test_aten_ops_are_reported_and_registered_by_readable_names():
    model = Lambda(lambda x: torch.ops.aten.mul(x, x) + 1)
    x = torch.randn(2, 3)
    report = trtconv.convert(model, [x], backend="reference", dry_run=True)
    assert [u.op for u in report.unsupported] == ["aten.mul.Tensor"]

    def convert_mul(ctx, a, b):
        return ctx.network.add_elementwise(ctx.trt(a), ctx.trt(b),
                                           trt.ElementWiseOperation.PROD).get_output(0)

    with registry.scope():
        trtconv.tensorrt_converter("aten.mul.Tensor")(convert_mul)
        assert "aten.mul.Tensor" in registry.converters()
        converted, ops = _converted_ops(model, x)
    torch.testing.assert_close(converted(x), model(x))
    assert ops[0] == "aten.mul.Tensor"


# --- failures from the issue: clear at registration, registry unchanged, others still work -

def _registration_fails(target, error, match, **options):
    before = registry.converters()
    with pytest.raises(error, match=match):
        trtconv.tensorrt_converter(target, **options)(silu_plus_one)
    assert registry.converters() == before
    _unrelated_conversion_works()


def test_every_spelling_of_a_function_class_is_one_target():
    """FooOp, FooOp.apply and its dotted name are the same target: a second registration
    is a duplicate, named at registration, and conversions keep working."""
    with registry.scope():
        trtconv.tensorrt_converter(FooOp)(silu_plus_one)
        for again in (FooOp.apply, f"{FooOp.__module__}.FooOp.apply"):
            _registration_fails(again, DuplicateConverterError,
                                r"FooOp.apply already has a converter")
        converted = trtconv.convert(Lambda(lambda x: FooOp.apply(x)), [torch.randn(2)],
                                    backend="reference")
        assert converted.report.converted == {f"{FooOp.__module__}.FooOp.apply": 1}


@pytest.mark.parametrize("target, match", [
    ("torch.float32", r"'torch.float32' is a torch.dtype, not a callable"),
    ("torch.no_such_function", r"'torch.no_such_function' does not name an existing"),
    ("mylib::missing", r"there is no torch op mylib::missing"),
    ("mylib::foo.missing", r"no torch op mylib::foo with overload 'missing'"),
    (torch.nn.ReLU, r"is a class; register the method its callers call"),
    ((str, "upper"), r"'builtins.str.upper' cannot be patched on builtins.str"),
    (3, r"converter target 3 is a int, not a callable"),
])
def test_bad_targets_fail_at_registration(target, match):
    _registration_fails(target, InvalidTargetError, match)


def test_local_function_fails_at_registration():
    def local(x):
        return x

    _registration_fails(local, InvalidTargetError, r"register it as \(owner, 'attribute'\)")


def test_duplicate_of_a_builtin_fails_at_registration():
    _registration_fails("torch.nn.functional.relu", DuplicateConverterError,
                        r"pass priority > 0 to override it")


def test_builtins_load_before_the_first_user_registration():
    """The registry docstring's old example, in a fresh process: the user registration meets
    the built-in converter at once, and the next conversion works. A load of the built-ins
    that fails halfway leaves the registry as it was, and a retry loads them all."""
    script = textwrap.dedent("""
        import importlib, torch, trtconv
        from trtconv import registry
        from trtconv.registry import DuplicateConverterError
        package = importlib.import_module("trtconv.converters")
        load_all = package.load_all
        def half_load():
            importlib.import_module("trtconv.converters.activation")
            raise RuntimeError("broken converter family")
        package.load_all = half_load
        try:
            registry.converters()
        except RuntimeError as e:
            print("load failed:", e, len(registry._REGISTRY))
        package.load_all = load_all
        try:
            @trtconv.tensorrt_converter("torch.nn.functional.hardshrink")
            def convert_hardshrink(ctx, input, lambd=0.5):
                pass
        except DuplicateConverterError as e:
            print("refused:", e)
        model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU())
        x = torch.randn(2, 4)
        m = trtconv.convert(model, [x], backend="reference")
        print("ok", bool(torch.allclose(m(x), model(x), atol=1e-6)))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "load failed: broken converter family 0" in out.stdout
    assert "refused: torch.nn.functional.hardshrink already has a converter" in out.stdout
    assert out.stdout.strip().endswith("ok True")


# --- scoped registration --------------------------------------------------------------------

def test_override_replaces_and_restores():
    model = Lambda(lambda x: torch.relu(x))
    x = torch.tensor([-1.0, 2.0])
    original = registry.converters()["torch.relu"]

    def relu_as_identity(ctx, input):
        return ctx.network.add_identity(ctx.trt(input)).get_output(0)

    with registry.override(torch.relu, relu_as_identity) as spec:
        assert spec.priority > original.priority
        converted = trtconv.convert(model, [x], backend="reference")
        torch.testing.assert_close(converted(x), x)  # the override ran, not relu
    assert registry.converters()["torch.relu"] is original
    torch.testing.assert_close(trtconv.convert(model, [x], backend="reference")(x),
                               torch.relu(x))


def test_scope_restores_after_an_error():
    before = registry.converters()
    with pytest.raises(RuntimeError, match="inside"), registry.scope():
        trtconv.tensorrt_converter("torch.nn.functional.relu",
                                   priority=USER_PRIORITY)(silu_plus_one)
        registry.unregister("torch.sigmoid")
        raise RuntimeError("inside")
    assert registry.converters() == before
