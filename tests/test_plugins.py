"""Plugins (issue #14): declared plugins, automatic plugins for torch.library ops, the reference
plugin layer, saving and loading modules with plugins, and TensorRT-RTX's refusal."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import support.mylib_ops as mylib_ops
import torch
from harness import Lambda

import trtconv
from trtconv import plugins, registry
from trtconv.reference.trt.plan import from_bytes

TESTS = Path(__file__).resolve().parent
DYNAMIC_BATCH = {"min_shapes": [(1, 6)], "opt_shapes": [(4, 6)], "max_shapes": [(16, 6)]}


def foo_model() -> torch.nn.Module:
    return Lambda(lambda x: torch.ops.mylib.foo(x * 2) - 1).eval()


@pytest.fixture
def head_rows():
    """A declared plugin: the first `n` rows of a 2-d input, doubled (descriptor + impl)."""

    @plugins.register("tests::head_rows")
    def describe(x: plugins.TensorDesc, n: int) -> plugins.TensorDesc:
        return plugins.from_shape_expr((plugins.min(x.shape_expr[0], n), x.shape_expr[1]),
                                       x.dtype)

    @plugins.impl("tests::head_rows")
    def run(x, n):
        return x[:n] * 2

    yield
    plugins.unregister("tests::head_rows")


def convert_narrow(ctx, input, dim, start, length):
    if dim != 0 or start != 0:
        raise ctx.unsupported("only narrow(0, 0, n) is a head_rows plugin")
    layer = ctx.network.add_plugin(plugins.op.tests.head_rows(ctx.trt(input), n=length))
    return layer.get_output(0)


# --- automatic plugins ----------------------------------------------------------------------

def test_custom_op_plugin_under_dynamic_batch():
    """mylib::foo (x * sigmoid(x) + 1) as a plugin, one engine for batch 1..16."""
    model = foo_model()
    converted = trtconv.convert(model, [torch.randn(4, 6)], backend="reference",
                                custom_op_plugins=True, **DYNAMIC_BATCH)
    for batch in (1, 5, 16):
        x = torch.randn(batch, 6)
        got = converted(x)
        assert got.shape == (batch, 6) and got.dtype == torch.float32
        torch.testing.assert_close(got, model(x))
    assert converted.metadata["plugins"] == ["mylib::foo"]
    graph = from_bytes(converted.engine_bytes).graph  # named in the plan, never code
    plugin_layers = [layer for layer in graph["layers"] if layer["ctor"] == "add_plugin"]
    assert [layer["args"][1] for layer in plugin_layers] == ["mylib::foo"]
    assert json.loads(plugin_layers[0]["args"][2]) == {}


def test_custom_op_plugin_shape_expression_and_attributes():
    """pairs: an output of 2 * batch rows; foo.scaled: a float attribute."""
    model = Lambda(lambda x: torch.ops.mylib.pairs(torch.ops.mylib.foo.scaled(x, 0.25)))
    converted = trtconv.convert(model, [torch.randn(3, 6)], backend="reference",
                                custom_op_plugins=True, **DYNAMIC_BATCH)
    network_shape = converted.report.calls[-1].outputs[0].shape
    assert tuple(network_shape) == (-1, 6)
    for batch in (1, 7):
        x = torch.randn(batch, 6)
        torch.testing.assert_close(converted(x), model(x))
        assert converted(x).shape == (2 * batch, 6)


@pytest.mark.parametrize("op, reason", [
    ("nonzero_rows", r"has a size that depends on the data \(u\d+\)"),
    ("branchy", r"branches on a dynamic size"),
    ("no_fake", r"has no fake kernel: register one with torch.library.register_fake"),
])
def test_custom_op_plugin_refusals_name_the_reason(op, reason):
    model = Lambda(lambda x: getattr(torch.ops.mylib, op)(x) + 1)
    with pytest.raises(trtconv.UnsupportedOperatorError, match=rf"mylib.{op}.default.*{reason}"):
        trtconv.convert(model, [torch.randn(4, 6)], backend="reference",
                        custom_op_plugins=True, **DYNAMIC_BATCH)


def test_static_shapes_accept_a_branching_fake_kernel():
    """Without dynamic dims the fake kernel's branch is fixed: the plugin converts."""
    model = Lambda(lambda x: torch.ops.mylib.branchy(x) + 1)
    x = torch.randn(6, 6)
    converted = trtconv.convert(model, [x], backend="reference", custom_op_plugins=True)
    torch.testing.assert_close(converted(x), model(x))


def test_without_the_option_custom_ops_are_unsupported():
    with pytest.raises(trtconv.UnsupportedOperatorError, match=r"mylib.foo.default.*no converter"):
        trtconv.convert(foo_model(), [torch.randn(2, 6)], backend="reference")


def test_a_converter_wins_over_the_automatic_plugin():
    def cut_out(ctx, x):  # returns its input: the op disappears from the engine
        return ctx.trt(x)

    model = foo_model()
    x = torch.randn(2, 6)
    with registry.override("mylib::foo", cut_out):
        converted = trtconv.convert(model, [x], backend="reference", custom_op_plugins=True)
    torch.testing.assert_close(converted(x), x * 2 - 1)
    assert "plugins" not in converted.metadata


# --- declared plugins -----------------------------------------------------------------------

def test_declared_plugin_with_shape_expressions(head_rows):
    model = Lambda(lambda x: x.narrow(0, 0, 3) + 1)
    with registry.override("torch.Tensor.narrow", convert_narrow):
        converted = trtconv.convert(model, [torch.randn(5, 4)], backend="reference",
                                    min_shapes=[(1, 4)], max_shapes=[(9, 4)])
    for batch in (2, 5, 9):  # min(batch, 3) rows
        x = torch.randn(batch, 4)
        want = x[:3] * 2 + 1
        torch.testing.assert_close(converted(x), want)
    assert converted.metadata["plugin_info"]["tests::head_rows"]["source"] == __name__


def test_descriptor_and_implementation_disagreeing_is_an_error(head_rows):
    @plugins.impl("tests::head_rows")
    def wrong(x, n):
        return x[: n + 1]

    model = Lambda(lambda x: x.narrow(0, 0, 2))
    with registry.override("torch.Tensor.narrow", convert_narrow):
        converted = trtconv.convert(model, [torch.randn(5, 4)], backend="reference")
    with pytest.raises(RuntimeError, match=r"tests::head_rows output 0: the implementation "
                                           r"gives \(3, 4\).*descriptor says \(2, 4\)"):
        converted(torch.randn(5, 4))


def test_declaration_errors():
    with pytest.raises(plugins.PluginError, match="annotate the descriptor's tensor inputs"):
        plugins.register("tests::bad")(lambda x, n: x)
    with pytest.raises(plugins.PluginError, match="'namespace::name'"):
        plugins.register("no_namespace")
    with pytest.raises(plugins.PluginError, match="is not declared"):
        plugins.impl("tests::never_declared")(lambda x: x)
    with pytest.raises(plugins.PluginNotFoundError, match="tests::nothing"):
        plugins.op.tests.nothing  # noqa: B018


def test_tensorrt_rtx_refuses_plugin_layers(rtx):
    with pytest.raises(trtconv.TrtconvError, match=r"tensorrt_rtx has no plugins, and this "
                                                   r"network has 1 plugin layer\(s\).*mylib::foo"):
        trtconv.convert(foo_model(), [torch.randn(2, 6)], backend="tensorrt_rtx",
                        custom_op_plugins=True)


# --- saving and loading ---------------------------------------------------------------------

_LOAD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    if {import_library}:
        import support.mylib_ops
    import torch, trtconv
    state = torch.load({path!r}, weights_only=True)
    module = trtconv.TRTModule()
    try:
        module.load_state_dict(state)
    except trtconv.TrtconvError as e:
        print("refused:", e)
        print("imported:", sorted(m for m in sys.modules if "mylib" in m))
        raise SystemExit(0)
    x = torch.load({inputs!r}, weights_only=True)
    torch.save(module(x), {outputs!r})
    print("ran")
""")


def _load_in_fresh_process(tmp_path: Path, import_library: bool) -> str:
    script = _LOAD.format(tests=str(TESTS), import_library=import_library,
                          path=str(tmp_path / "m.pth"), inputs=str(tmp_path / "x.pt"),
                          outputs=str(tmp_path / "y.pt"))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_save_and_load_with_weights_only(tmp_path):
    model = foo_model()
    converted = trtconv.convert(model, [torch.randn(4, 6)], backend="reference",
                                custom_op_plugins=True, **DYNAMIC_BATCH)
    torch.save(converted.state_dict(), tmp_path / "m.pth")
    x = torch.randn(3, 6)
    torch.save(x, tmp_path / "x.pt")

    assert _load_in_fresh_process(tmp_path, import_library=True).strip() == "ran"
    torch.testing.assert_close(torch.load(tmp_path / "y.pt"), mylib_ops.foo_reference(x * 2) - 1)

    refused = _load_in_fresh_process(tmp_path, import_library=False)
    assert ("refused: this engine needs plugin op(s) not registered in this process: "
            "mylib::foo (import support.mylib_ops)") in refused
    assert "trtconv never imports code when loading" in refused
    assert "imported: []" in refused  # loading imported nothing by itself
