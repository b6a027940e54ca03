"""The converter API: the `Ctx` protocol matches the context converters get, and every built-in
converter follows the naming convention of CONTRIBUTING.md."""

import inspect
import re
import subprocess
import sys

import pytest

import trtconv
from trtconv.api import Ctx
from trtconv.context import ConversionContext
from trtconv.reference import trt


def _protocol_members() -> list[str]:
    own = set(vars(Ctx)) | set(Ctx.__annotations__)
    return sorted(name for name in own if not name.startswith("_"))


@pytest.mark.parametrize("name", _protocol_members())
def test_context_has_every_protocol_member(name):
    context = ConversionContext(trt.Builder(trt.Logger()).create_network(0))
    assert hasattr(context, name), f"ConversionContext has no {name!r}, which trtconv.api.Ctx names"
    declared = inspect.getattr_static(Ctx, name, None)
    if inspect.isfunction(declared):
        actual = inspect.getattr_static(ConversionContext, name)
        assert list(inspect.signature(actual).parameters) == \
            list(inspect.signature(declared).parameters), name


# convert_<op> for a converter function; <name>_converter for a factory whose closure is the
# converter (named `convert`).
_NAMED = re.compile(r"^(convert_\w+|_?\w+_converter\.<locals>\.convert)$")


def test_builtin_converters_follow_the_naming_convention():
    badly_named = sorted(
        f"{spec.target}: {spec.function.__module__}.{spec.function.__qualname__}"
        for spec in trtconv.registry.converters().values()
        if spec.function.__module__.startswith("trtconv.converters.")
        and not _NAMED.match(spec.function.__qualname__))
    assert badly_named == []


def test_an_override_registered_before_the_builtins_load_replaces_them():
    """A user converter registered at import time, before any conversion loaded the built-in
    ones, stays in place (loading the built-ins must not refuse it as a duplicate)."""
    code = (
        "import torch, trtconv\n"
        "from trtconv.registry import USER_PRIORITY, _REGISTRY\n"
        "assert not _REGISTRY  # nothing loaded yet\n"
        "@trtconv.tensorrt_converter('torch.nn.functional.relu', priority=USER_PRIORITY)\n"
        "def convert_relu_as_tanh(ctx, input, inplace=False):\n"
        "    return ctx.network.add_activation(ctx.trt(input),\n"
        "                                      trtconv.trt.ActivationType.TANH).get_output(0)\n"
        "class M(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return torch.nn.functional.relu(x)\n"
        "x = torch.randn(3, 4)\n"
        "converted = trtconv.convert(M(), [x], backend='reference')\n"
        "torch.testing.assert_close(converted(x), torch.tanh(x))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
