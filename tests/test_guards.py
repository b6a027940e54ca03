"""No value is baked in silently: values read from traced tensors are converted, guarded at run
time, or refused (issue "No value is baked in silently"). One test per way a value can leave a
tensor; each gives PyTorch's result, or raises an error naming the read."""

from __future__ import annotations

import collections
import io
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from harness import Lambda

import trtconv


def _convert(model: torch.nn.Module, inputs: list, **kwargs) -> trtconv.TRTModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return trtconv.convert(model, inputs, backend="reference", **kwargs)


def _line_of(fn, offset: int) -> int:
    return fn.__code__.co_firstlineno + offset


class Branchy(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return torch.relu(x) * 2
        return torch.sigmoid(x)


BRANCH_LINE = _line_of(Branchy.forward, 1)
POSITIVE, NEGATIVE = torch.rand(2, 3) + 0.1, -torch.rand(2, 3) - 0.1


def test_a_guarded_branch_passes_its_side_and_names_the_line_on_the_other():
    with pytest.warns(UserWarning, match=rf"bool\(tensor\) at .*test_guards.py:{BRANCH_LINE} "
                                         r"read True from a traced tensor; the engine checks"):
        converted = trtconv.convert(Branchy(), [POSITIVE], backend="reference")
    x = torch.rand(4, 3)
    torch.testing.assert_close(converted(x[:2]), Branchy()(x[:2]))
    with pytest.raises(trtconv.GuardError, match=rf"bool\(tensor\) at .*test_guards.py:"
                                                 rf"{BRANCH_LINE} in module '<root>' was True "
                                                 rf"at conversion and is False"):
        converted(NEGATIVE)


def test_guards_survive_a_weights_only_round_trip():
    converted = _convert(Branchy(), [POSITIVE])
    buffer = io.BytesIO()
    torch.save(converted.state_dict(), buffer)
    buffer.seek(0)
    loaded = trtconv.TRTModule()
    loaded.load_state_dict(torch.load(buffer, weights_only=True))
    torch.testing.assert_close(loaded(POSITIVE), Branchy()(POSITIVE))
    with pytest.raises(trtconv.GuardError, match=f"test_guards.py:{BRANCH_LINE}"):
        loaded(NEGATIVE)


def test_guards_false_drops_the_checks_but_keeps_the_warning():
    with pytest.warns(UserWarning, match="guards=False: the engine does NOT check it"):
        converted = trtconv.convert(Branchy(), [POSITIVE], backend="reference", guards=False)
    assert converted.guards == []
    # the example's branch, as asked: relu(x) * 2 of a negative input is zeros
    assert torch.equal(converted(NEGATIVE), torch.zeros(2, 3))


def test_strict_refuses_every_guarded_read_at_conversion():
    with pytest.raises(trtconv.UnsupportedOperatorError,
                       match=rf"bool\(tensor\) in module '<root>' .*test_guards.py:{BRANCH_LINE}"
                             rf" \(strict=True"):
        _convert(Branchy(), [POSITIVE], strict=True)


def test_straight_through_rounding_converts_detach():
    model = Lambda(lambda x: x + (torch.round(x) - x).detach())
    x = torch.tensor([[2.4, -2.9]])
    assert _convert(model, [x])(x).tolist() == [[2.0, -3.0]]
    y = torch.randn(3, 2) * 4
    torch.testing.assert_close(_convert(model, [torch.randn(3, 2)])(y), model(y))


@pytest.mark.parametrize("read", [
    lambda x: x.data * 2, lambda x: x.detach() * 2, lambda x: x.clone().detach_() * 2,
    lambda x: x.clone().requires_grad_(False) * 2, lambda x: torch.detach(x) * 2,
], ids=["data", "detach", "detach_", "requires_grad_", "torch.detach"])
def test_identity_reads_are_ops(read):
    model, x = Lambda(read), torch.randn(2, 3)
    converted = _convert(model, [torch.randn(2, 3)])
    torch.testing.assert_close(converted(x), model(x))


def _slice_by_value(x):
    return x[:, :x[0, 0].long()]


def _numpy_read(x):
    return x * float(np.asarray(x).sum())


def _range_of_value(x):
    return sum(x[:, i] for i in range(x[0, 0].long()))


def _formatted(x):
    return x * len(f"{x}")


def _item(x):
    return x * x.max().item()


def _tolist(x):
    return x * sum(x[0].tolist())


def _contains(x):
    return x * 2 if 3.0 in x else x


def _equal(x):
    return x * 2 if torch.equal(x[0], x[1]) else x


EXAMPLE = torch.tensor([[2.0, 1.0, 3.0, 4.0], [2.0, 1.0, 3.0, 4.0]])
SHIFTED = EXAMPLE + 1.25  # every read below comes out differently on it


@pytest.mark.parametrize("fn, what, other", [
    (_slice_by_value, "a tensor used as a slice bound", SHIFTED),
    (_numpy_read, r"numpy.asarray\(tensor\)", SHIFTED),
    (_range_of_value, r"a tensor used as an index \(tensor.__index__\)", SHIFTED),
    (_formatted, r"format\(tensor\) \(an f-string of a tensor\)", SHIFTED),
    (_item, r"tensor.item\(\)", SHIFTED),
    (_tolist, r"tensor.tolist\(\)", SHIFTED),
    (_contains, "element in tensor", SHIFTED),
    (_equal, r"torch.equal\(tensor, tensor\)", EXAMPLE * torch.tensor([[1.0], [2.0]])),
], ids=["slice", "numpy", "range", "f-string", "item", "tolist", "contains", "equal"])
def test_values_read_are_guarded(fn, what, other):
    model = Lambda(fn)
    converted = _convert(model, [EXAMPLE])
    torch.testing.assert_close(converted(EXAMPLE.clone()), model(EXAMPLE.clone()))
    line = _line_of(fn, 1)
    with pytest.raises(trtconv.GuardError, match=rf"{what} at .*test_guards.py:{line} in "
                                                 r"module '<root>' was .* at conversion"):
        converted(other)


@pytest.mark.parametrize("fn, why", [
    (lambda x: x * x.untyped_storage().nbytes(), "reads the memory"),
    (lambda x: x * (x.data_ptr() % 2), "reads the memory"),
    (lambda x: x.clone().set_(x * 2), "changed in place by a call the trace did not see"),
    (lambda x: x.clone().resize_(2, 3), "changes which memory"),
], ids=["storage", "data_ptr", "set_", "resize_"])
def test_memory_reads_and_storage_changes_are_refused(fn, why):
    with pytest.raises(trtconv.UnsupportedOperatorError, match=why):
        _convert(Lambda(fn), [torch.randn(2, 3)])


def test_a_converted_module_inside_a_model_is_inlined():
    inner_model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU()).eval()
    inner = _convert(inner_model, [torch.randn(2, 4)])

    class Outer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x * 2) + 1

    converted = _convert(Outer(), [torch.randn(2, 4)])
    x = torch.randn(2, 4)
    torch.testing.assert_close(converted(x), inner_model(x * 2) + 1)
    assert converted.metadata["num_layers"] > 3  # the inner network is in the outer engine


class Scale(torch.nn.Module):
    def forward(self, x, k, mode="mul"):
        return x * k if mode == "mul" else x + k


def test_arguments_that_are_not_tensors_are_checked_at_call_time():
    converted = _convert(Scale(), [torch.ones(2), 3.0, "mul"])
    torch.testing.assert_close(converted(torch.ones(2), 3.0, "mul"), torch.full((2,), 3.0))
    with pytest.raises(trtconv.InputError, match=r"argument 'k' was 3.0 at conversion and is "
                                                 r"5.0 now"):
        converted(torch.ones(2), 5.0, "mul")
    with pytest.raises(trtconv.InputError, match=r"argument 'mode' was 'mul' at conversion and "
                                                 r"is 'oops' now"):
        converted(torch.ones(2), 3.0, "oops")


def _through_getitem(x):
    y = x * 1
    y[0].add_(10)
    return y


def _through_slice(x):
    y = x * 1
    y[:, 1:].mul_(2)
    return y


def _through_view(x):
    y = x * 1
    y.view(-1)[3] = 0
    return y


def _siblings(x):
    y = x * 1
    column, transposed = y[:, 1], y.t()
    column.mul_(3)
    return y, transposed, column


def _base_then_view(x):
    y = x * 1
    first = y[0]
    y.add_(1)
    return first


@pytest.mark.parametrize("fn", [_through_getitem, _through_slice, _through_view, _siblings,
                                _base_then_view])
def test_in_place_updates_through_views_reach_every_view(fn):
    model = Lambda(fn)
    converted = _convert(model, [torch.randn(3, 4)])
    x = torch.randn(3, 4)
    for got, want in zip(*(o if isinstance(o, tuple) else (o,)
                           for o in (converted(x), model(x.clone())))):
        torch.testing.assert_close(got, want)


def test_an_update_through_a_view_of_a_dynamic_tensor_is_reported():
    with pytest.raises(trtconv.UnsupportedOperatorError, match="dynamic dims; clone before"):
        _convert(Lambda(_through_getitem), [torch.randn(3, 4)], min_shapes=[(1, 4)],
                 max_shapes=[(8, 4)])


Pair = collections.namedtuple("Pair", ["doubled", "shifted"])


class ReturnsPair(torch.nn.Module):
    def forward(self, x):
        return {"pair": Pair(x * 2, x + 1)}


def test_user_namedtuple_outputs_keep_their_type():
    converted = _convert(ReturnsPair(), [torch.randn(2, 3)])
    x = torch.randn(2, 3)
    out = converted(x)["pair"]
    assert type(out) is Pair
    torch.testing.assert_close(out.shifted, x + 1)


def test_namedtuple_outputs_load_without_importing(tmp_path):
    """A fresh process where the namedtuple's module is not imported gets a plain tuple and a
    warning; loading never imports it."""
    path = tmp_path / "pair.pth"
    torch.save(_convert(ReturnsPair(), [torch.randn(2, 3)]).state_dict(), path)
    script = textwrap.dedent(f"""
        import sys, warnings, torch, trtconv
        m = trtconv.TRTModule()
        m.load_state_dict(torch.load({str(path)!r}, weights_only=True))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = m(torch.ones(2, 3))["pair"]
        assert type(out) is tuple, type(out)
        assert "test_guards" not in " ".join(sys.modules), "loading imported the test module"
        print(caught[0].message)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "namedtuple" in result.stdout and "Pair" in result.stdout


def test_reading_a_value_in_a_converter_is_not_a_guard():
    """Converters compare sizes for their own logic (signs, bounds): no guard, no warning."""
    model = Lambda(lambda x: x[:, -2:] * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        converted = trtconv.convert(model, [torch.randn(3, 4)], backend="reference",
                                    min_shapes=[(1, 4)], max_shapes=[(8, 4)])
    assert converted.guards == []


def _rows_summed(x):
    return sum(row * i for i, row in enumerate(x))


def test_iterating_a_tensor_converts_each_row():
    model = Lambda(_rows_summed)
    converted = _convert(model, [torch.randn(3, 4)])
    x = torch.randn(3, 4)
    torch.testing.assert_close(converted(x), model(x))


def test_iterating_over_a_dynamic_dim_is_guarded():
    model = Lambda(lambda x: _rows_summed(x) + len(x))
    converted = _convert(model, [torch.randn(3, 4)], min_shapes=[(1, 4)], max_shapes=[(6, 4)])
    x = torch.randn(3, 4)
    torch.testing.assert_close(converted(x), model(x))
    with pytest.raises(trtconv.GuardError, match=r"(unbind \(or iteration\) along|len\(tensor\)) "
                                                 r"of a dynamic size at .*test_guards.py"):
        converted(torch.randn(5, 4))
