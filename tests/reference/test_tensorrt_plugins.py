"""The tensorrt backend's plugin registration and replay, against the recorded 11.4 API.

No GPU runs TensorRT here: trtconv.backends.tensorrt_plugins runs against stand-ins for
`tensorrt` and `tensorrt.plugin` that define recorded names only (support/recorded_tensorrt.py,
checked below) and behave as TensorRT 11.4's `tensorrt.plugin` sources do. A network with
plugin layers is replayed onto them: every tensor's shape and dtype must equal the
reference's, and running the plugin layers the way an engine enqueues them must give the
reference module's outputs.
"""

from __future__ import annotations

import contextlib
import inspect

import pytest
import support.mylib_ops  # noqa: F401  (registers torch.ops.mylib.*)
import torch
from recorded_api import parse
from support import recorded_tensorrt
from support.op_harness import Lambda

import trtconv
from trtconv import plugins, registry
from trtconv.backends import tensorrt_plugins
from trtconv.reference.trt.plan import from_bytes, replay

API = parse()
PLUGIN_API = recorded_tensorrt.plugin_record()
# Names the stand-ins define that the record cannot list, and why.
NOT_LISTED = {"op": "the `_Op` instance `tensorrt.plugin.op` (`public_api(symbol='op')` in "
                    "_lib.py; the record lists classes and functions)"}


@pytest.fixture
def fake():
    yield from recorded_tensorrt.install()


def test_stand_ins_define_only_recorded_names(fake):
    trt, trtp = fake
    for name, value in vars(trtp).items():
        if name.startswith("_") or name in NOT_LISTED:
            continue
        assert name in PLUGIN_API, f"tensorrt.plugin.{name} is not recorded"
        if inspect.isclass(value):
            extra = {m for m in vars(value) if not m.startswith("_")} - PLUGIN_API[name]
            assert not extra, f"tensorrt.plugin.{name}: unrecorded members {extra}"
    for name, value in vars(trt).items():
        if name.startswith("_") or name == "plugin":
            continue
        if name == "DataType":
            assert {m.name: int(m) for m in value} == API.enums["DataType"]
            continue
        recorded = API.classes[name].members
        extra = {m for m in vars(value) if not m.startswith("_")} - set(recorded)
        assert not extra, f"tensorrt.{name}: unrecorded members {extra}"
        assert "add_plugin" in API.classes["INetworkDefinition"].members


@pytest.fixture
def every_other():
    """A declared plugin: rows 0, step, 2*step, ... (cdiv(rows, step) of them)."""

    @plugins.register("tests_trt::every_other")
    def describe(x: plugins.TensorDesc, step: int) -> plugins.TensorDesc:
        return plugins.from_shape_expr((plugins.cdiv(x.shape_expr[0], step),
                                        x.shape_expr[1]), x.dtype)

    @plugins.impl("tests_trt::every_other")
    def run(x, step):
        return x[::step]

    yield
    plugins.unregister("tests_trt::every_other")


def _strided_rows(ctx, input, index):
    if not (isinstance(index, slice) and index.start is None and index.stop is None):
        raise ctx.unsupported("only x[::step] is an every_other plugin")
    call = plugins.op.tests_trt.every_other(ctx.trt(input), step=index.step)
    return ctx.network.add_plugin(call).get_output(0)


CASES = {  # networks of plugin layers only: model, example shape, converter override
    "custom ops": (lambda x: torch.ops.mylib.pairs(torch.ops.mylib.foo.scaled(x, 0.5)),
                   (3, 5), None),
    "declared": (lambda x: x[::2], (6, 5), _strided_rows),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_replay_and_run_on_recorded_tensorrt(case, fake, every_other):
    fn, shape, converter = CASES[case]
    trt, trtp = fake
    model = Lambda(fn)
    example = torch.randn(*shape)
    options = {"min_shapes": [(1, shape[1])], "max_shapes": [(9, shape[1])]}
    with contextlib.ExitStack() as stack:
        if converter is not None:
            stack.enter_context(registry.override("torch.Tensor.__getitem__", converter))
        converted = trtconv.convert(model, [example], backend="reference",
                                    custom_op_plugins=True, **options)
        reference_network = converted.report.calls[0].outputs[0]._network
    recording = from_bytes(converted.engine_bytes)
    network = trt.INetworkDefinition()
    tensors = replay(recording, trt, network,
                     add_plugin=tensorrt_plugins.plugin_adder(trt, device="cpu"))

    checked = 0
    for layer in reference_network:  # shapes and dtypes as the reference inferred them
        for out in layer._outputs:
            real = tensors[out.name]
            assert (tuple(real.shape), real.dtype.name) == (tuple(out.shape),
                                                             out.dtype.name), out.name
            checked += 1
    assert checked == reference_network.num_layers and -1 in tuple(real.shape)
    for batch in (1, 4, 9):
        x = torch.randn(batch, shape[1])
        (got,) = recorded_tensorrt.run(network, {"input_0": x})
        torch.testing.assert_close(got, converted(x))
        torch.testing.assert_close(got, model(x))


def test_registration_is_once_per_plugin_and_names_overloads(fake):
    trt, trtp = fake
    plugin = plugins.lookup("mylib::foo.scaled")
    trt_id = tensorrt_plugins.register(trt, plugin, 1, device="cpu")
    assert trt_id == "mylib::foo__scaled"
    assert tensorrt_plugins.register(trt, plugin, 1, device="cpu") == trt_id
    definition = trtp.op.mylib.foo__scaled
    assert definition.input_tensor_names == ["input0"]
    assert definition.input_attrs == {"trtconv_attrs": str, "trtconv_shapes": str}
    assert definition.impl_attr_names == ["trtconv_attrs"]  # only what runs is serialized


def test_saved_engine_registers_its_plugins_before_loading(fake):
    trt, trtp = fake
    metadata = {"plugins": ["mylib::pairs"],
                "plugin_info": {"mylib::pairs": {"source": "support.mylib_ops",
                                                 "num_outputs": 1}}}
    tensorrt_plugins.register_saved(trt, metadata, device="cpu")
    assert trtp.op.mylib.pairs.num_outputs == 1
    with pytest.raises(plugins.PluginNotFoundError, match="nolib::missing"):
        tensorrt_plugins.register_saved(trt, {"plugins": ["nolib::missing"]}, device="cpu")
