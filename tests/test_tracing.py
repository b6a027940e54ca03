"""convert() and the tracing context: patching hygiene, unsupported-op reports, structures,
user converters, layer names."""

from __future__ import annotations

import threading

import pytest
import torch
import torch.nn.functional as F
from harness import Lambda, check_op
from support.dynamic_harness import check_dynamic

import trtconv
from trtconv import registry, trt
from trtconv.registry import USER_PRIORITY

PATCHED = [(torch, "relu"), (F, "relu"), (torch.Tensor, "__add__"), (torch.Tensor, "add"),
           (torch.Tensor, "relu"), (torch, "sigmoid"), (torch.nn.ReLU, "forward")]


def _snapshot() -> list[object]:
    return [vars(owner).get(name, "<absent>") for owner, name in PATCHED]


@pytest.fixture
def user_converter():
    """Register converters in a test and always remove them."""
    added: list[tuple[str, registry.ConverterSpec | None]] = []

    def add(target: str, fn, **kwargs):
        previous = registry.converters().get(target)
        added.append((target, previous))
        registry.unregister(target)
        if previous is not None and "priority" not in kwargs:
            registry.register(previous)
        trtconv.tensorrt_converter(target, **kwargs)(fn)

    yield add
    for target, previous in reversed(added):
        registry.unregister(target)
        if previous is not None:
            registry.register(previous)


class Block(torch.nn.Module):
    def __init__(self, op):
        super().__init__()
        self.op = op

    def forward(self, x):
        return self.op(torch.relu(x))


class TwoBlocks(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Sequential(Block(torch.erfinv))
        self.head = Block(lambda x: torch.cumprod(x, 1))

    def forward(self, x):
        return self.head(self.encoder(x) + 1)


def test_patches_restored_after_success():
    before = _snapshot()
    trtconv.convert(Lambda(lambda x: torch.relu(x) + 1), [torch.randn(2, 3)], backend="reference")
    assert _snapshot() == before
    assert all(a is b for a, b in zip(_snapshot(), before))


def test_patches_restored_after_failing_converter(user_converter):
    before = _snapshot()

    def broken(ctx, input, *args, **kwargs):
        raise ValueError("boom")

    user_converter("torch.sigmoid", broken, priority=USER_PRIORITY)
    with pytest.raises(trtconv.ConversionError, match=r"torch.sigmoid failed in module.*boom"):
        trtconv.convert(Lambda(lambda x: torch.sigmoid(x)), [torch.randn(2)], backend="reference")
    assert all(a is b for a, b in zip(_snapshot(), before))
    assert torch.sigmoid(torch.zeros(1)).item() == 0.5


def test_patches_restored_after_keyboard_interrupt(user_converter):
    before = _snapshot()

    def interrupted(ctx, input, *args, **kwargs):
        raise KeyboardInterrupt

    user_converter("torch.sigmoid", interrupted, priority=USER_PRIORITY)
    with pytest.raises(KeyboardInterrupt):
        trtconv.convert(Lambda(lambda x: torch.sigmoid(x)), [torch.randn(2)], backend="reference")
    assert all(a is b for a, b in zip(_snapshot(), before))
    # a later conversion works: the lock was released
    trtconv.convert(Lambda(lambda x: torch.relu(x)), [torch.randn(2)], backend="reference")


def test_one_error_names_every_unsupported_op_with_module_paths():
    with pytest.raises(trtconv.UnsupportedOperatorError) as info:
        trtconv.convert(TwoBlocks().eval(), [torch.rand(2, 3) * 0.5], backend="reference")
    message = str(info.value)
    assert "torch.erfinv in module 'encoder.0'" in message
    assert "torch.cumprod in module 'head'" in message
    assert {u.op for u in info.value.report.unsupported} == {"torch.erfinv", "torch.cumprod"}


def test_dry_run_returns_the_report_without_building():
    report = trtconv.convert(TwoBlocks().eval(), [torch.rand(2, 3)], backend="reference",
                             dry_run=True)
    assert isinstance(report, trtconv.ConversionReport)
    assert not report.ok and len(report.unsupported) == 2
    assert report.converted["torch.relu"] == 1  # the second relu reads a tainted tensor


def test_unconverted_output_is_never_frozen_into_a_constant():
    """The add after erfinv must not take erfinv's example output as a constant: the whole
    chain is reported, and no constant layer holds the example values."""
    x = torch.rand(2, 3) * 0.5
    report = trtconv.convert(Lambda(lambda x: torch.erfinv(x) + torch.relu(x)), [x],
                             backend="reference", dry_run=True)
    assert [u.op for u in report.unsupported] == ["torch.erfinv"]
    assert "torch.Tensor.__add__" not in report.converted


def test_no_constant_from_unconverted_op_in_network(user_converter):
    seen = {}

    def spy(ctx, input, other, *args, **kwargs):
        seen["layers"] = ctx.network.num_layers
        return ctx.network.add_elementwise(ctx.trt(input), ctx.trt(other),
                                           trt.ElementWiseOperation.SUM).get_output(0)

    user_converter("torch.add", spy, priority=USER_PRIORITY)
    report = trtconv.convert(Lambda(lambda x: torch.add(torch.erfinv(x), x)), [torch.rand(3)],
                             backend="reference", dry_run=True)
    assert not report.ok
    assert "layers" not in seen or report.num_layers == 0


class Nested(torch.nn.Module):
    def forward(self, inputs, scale):
        a, (b, c) = inputs["pair"], inputs["rest"]
        return {"sum": a + b * scale, "parts": [torch.relu(c), (a * c,)]}


def test_nested_inputs_and_outputs():
    inputs = {"pair": torch.randn(2, 3), "rest": (torch.randn(2, 3), torch.randn(2, 3))}
    model = Nested()
    converted = trtconv.convert(model, [inputs, 2.0], backend="reference")
    got, want = converted(inputs, 2.0), model(inputs, 2.0)
    assert set(got) == {"sum", "parts"} and isinstance(got["parts"][1], tuple)
    torch.testing.assert_close(got["sum"], want["sum"])
    torch.testing.assert_close(got["parts"][0], want["parts"][0])
    torch.testing.assert_close(got["parts"][1][0], want["parts"][1][0])


def test_same_tensor_passed_twice_and_returned_twice():
    x = torch.randn(4)
    model = Lambda(lambda a, b: (a + b, a + b, a))
    converted = trtconv.convert(model, [x, x], backend="reference")
    for got, want in zip(converted(x, x), model(x, x)):
        torch.testing.assert_close(got, want)


def test_user_converter_overrides_builtin(user_converter):
    def relu_as_tanh(ctx, input, *args, **kwargs):
        return ctx.network.add_activation(ctx.trt(input), trt.ActivationType.TANH).get_output(0)

    user_converter("torch.relu", relu_as_tanh, priority=USER_PRIORITY)
    x = torch.randn(5)
    converted = trtconv.convert(Lambda(lambda x: torch.relu(x)), [x], backend="reference")
    torch.testing.assert_close(converted(x), torch.tanh(x))


def test_duplicate_registration_is_an_error():
    with pytest.raises(registry.DuplicateConverterError, match="torch.relu already has"):
        trtconv.tensorrt_converter("torch.relu")(lambda ctx, input: None)


def test_unknown_target_is_an_error():
    with pytest.raises(ValueError, match="does not name an existing callable"):
        trtconv.tensorrt_converter("torch.no_such_function")(lambda ctx: None)


def test_validator_rejections_are_reported(user_converter):
    def only_positive(input, other, *args, **kwargs):
        return not isinstance(other, (int, float)) or other > 0

    def add(ctx, input, other, *args, **kwargs):
        from trtconv import emit

        return emit.binary(ctx, input, other, trt.ElementWiseOperation.SUM, ctx.output.dtype)

    user_converter("torch.add", add, validator=only_positive, priority=USER_PRIORITY)
    report = trtconv.convert(Lambda(lambda x: torch.add(x, -1)), [torch.randn(3)],
                             backend="reference", dry_run=True)
    assert report.unsupported[0].op == "torch.add"
    assert "arguments not supported" in report.unsupported[0].reason


def test_converter_with_wrong_shape_fails_loudly(user_converter):
    def wrong(ctx, input, *args, **kwargs):
        layer = ctx.network.add_shuffle(ctx.trt(input))
        layer.reshape_dims = (-1,)
        return layer.get_output(0)

    user_converter("torch.sigmoid", wrong, priority=USER_PRIORITY)
    with pytest.raises(trtconv.ConversionError, match=r"returned shape \(6,\), torch gives"):
        trtconv.convert(Lambda(lambda x: torch.sigmoid(x)), [torch.randn(2, 3)],
                        backend="reference")


class Outer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = torch.nn.Sequential(torch.nn.ReLU(), Block(torch.sigmoid))

    def forward(self, x):
        return self.layer1(x) + x


def test_layer_names_lead_back_to_module_paths():
    converted = trtconv.convert(Outer(), [torch.randn(2, 3)], backend="reference")
    from trtconv.reference.trt.plan import from_bytes

    names = [layer["name"] for layer in from_bytes(converted.engine_bytes).graph["layers"]]
    assert "layer1.0/relu_0" in names
    assert "layer1.1/relu_0" in names and "layer1.1/sigmoid_0" in names
    assert any(n.startswith("add_0") for n in names)


def test_conversions_are_serialised_by_a_lock():
    results, errors = [], []

    def work(scale: float) -> None:
        try:
            x = torch.randn(3)
            m = trtconv.convert(Lambda(lambda t: torch.relu(t) * scale), [x], backend="reference")
            results.append(torch.allclose(m(x), torch.relu(x) * scale))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in (1.0, 2.0, 3.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [True, True, True]


def test_inputs_must_be_a_list():
    with pytest.raises(trtconv.InputError, match=r"convert\(model, \[x\]\)"):
        trtconv.convert(Lambda(torch.relu), torch.randn(2), backend="reference")


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'tensorrt12'"):
        trtconv.convert(Lambda(torch.relu), [torch.randn(2)], backend="tensorrt12")


def test_constant_output_warns():
    with pytest.warns(UserWarning, match="does not depend on the inputs"):
        converted = trtconv.convert(Lambda(lambda x: (torch.relu(x), torch.ones(2))),
                                    [torch.randn(2)], backend="reference")
    torch.testing.assert_close(converted(torch.randn(2))[1], torch.ones(2))


def test_named_tuple_results_come_back_as_tuples():
    x = torch.randn(3, 5)
    converted = trtconv.convert(Lambda(lambda t: torch.topk(torch.relu(t), 2)), [x],
                                backend="reference")
    values, indices = converted(x)
    want = torch.topk(torch.relu(x), 2)
    torch.testing.assert_close(values, want.values)
    assert torch.equal(indices, want.indices)


def _updated_constant_then_read(x):
    table = torch.zeros(2, 3, 4)
    before = x + table
    table.fill_(1.0)  # torch alone: no traced value involved
    return before, x + table


def _constant_updated_in_place_by_traced_values(x):
    acc = torch.ones(2, 3, 4)
    acc.add_(x)
    acc += x
    acc.mul_(x)
    return acc


@pytest.mark.parametrize("fn", [_updated_constant_then_read,
                                _constant_updated_in_place_by_traced_values])
def test_constants_updated_in_place_read_as_torch_does(fn):
    """A constant is read with its values at the moment of the call: a later in-place update
    is not reflected backwards, and an in-place call starts from the values before it."""
    check_op(fn, torch.randn(2, 3, 4))


def _prefix_of_constant(x):
    return torch.arange(8.0)[:x.size(0)] + x[:, 0]


def _fill_constant_prefix(x):
    table = torch.zeros(6, 4)
    table[:x.size(0)] = x
    return table


@pytest.mark.parametrize("fn", [_prefix_of_constant, _fill_constant_prefix])
def test_constant_sliced_by_a_dynamic_size(fn):
    """A size inside a slice (`table[:x.size(0)]`) ties a constant to the input."""
    check_dynamic(fn, torch.randn(2, 4), torch.randn(5, 4), torch.randn(1, 4))
