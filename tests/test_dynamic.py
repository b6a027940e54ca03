"""Dynamic shapes: Input specs, several profiles, symbolic sizes, and the ONNX export hazards
(each converted with a dynamic batch, checked at two batch sizes and built on TensorRT-RTX)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from harness import Lambda
from support.dynamic_harness import check_dynamic
from support.rtx import require_rtx

import trtconv


def _check(model, example, min_shape, max_shape, batches, *, rtx=True, others=()):
    """Convert with dim 0 (and any dim differing in min/max) dynamic; compare at `batches`."""
    model = model.eval()
    spec = trtconv.Input(min_shape, tuple(example.shape), max_shape)
    converted = trtconv.convert(model, [spec, *others], backend="reference")
    for batch in batches:
        x = torch.randn(batch, *example.shape[1:])
        got, want = converted(x, *others), model(x, *others)
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    if rtx:
        require_rtx()
        # replayed, checked against the reference and built on TensorRT-RTX (raises if not)
        trtconv.convert(model, [spec, *others], backend="tensorrt_rtx")
    return converted


class ViewBatch(torch.nn.Module):
    def forward(self, x):
        x = torch.relu(x)
        return x.view(x.size(0), -1) * 2


class ViewFlat(torch.nn.Module):
    def forward(self, x):
        c, h, w = x.shape[1:]
        return torch.relu(x.view(-1, c * h * w))


class Flatten1(torch.nn.Module):
    def forward(self, x):
        return torch.flatten(torch.relu(x), 1)


class InterpolateLike(torch.nn.Module):
    def forward(self, x, other):
        return F.interpolate(torch.relu(x), size=other.shape[-2:], mode="bilinear",
                             align_corners=False)


class TokensReshape(torch.nn.Module):
    """A transformer's (B, N, C) -> (B, N, heads, C // heads) -> (B, heads, N, d)."""

    def forward(self, x):
        b, n, c = x.shape
        return x.reshape(b, n, 4, c // 4).permute(0, 2, 1, 3) + 1


@pytest.mark.parametrize("model,shape", [
    (ViewBatch(), (2, 3, 4, 4)),
    (ViewFlat(), (2, 3, 4, 4)),
    (Flatten1(), (2, 3, 4, 4)),
    (TokensReshape(), (2, 5, 8)),
], ids=["view(x.size(0), -1)", "view(-1, C*H*W)", "flatten(1)", "reshape (B, N, C)"])
def test_onnx_hazards_with_dynamic_batch(model, shape):
    example = torch.randn(shape)
    _check(model, example, (1, *shape[1:]), (16, *shape[1:]), batches=(1, 7))


def test_interpolate_to_other_tensors_size_with_dynamic_batch():
    other = torch.randn(1, 1, 9, 7)
    _check(InterpolateLike(), torch.randn(2, 3, 4, 4), (1, 3, 4, 4), (8, 3, 4, 4),
           batches=(1, 5), others=(other,))


def test_interpolate_to_a_dynamic_tensors_size():
    """The hazard in full: `other` has a dynamic batch, height and width too."""
    def case(batch: int, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(batch, 3, 4, 4), torch.randn(batch, 1, h, w)

    check_dynamic(InterpolateLike(), case(2, 9, 7), case(1, 5, 11), case(5, 12, 6))


def test_dynamic_height_and_width():
    model = Lambda(lambda x: torch.relu(x).view(x.size(0), x.size(1), -1))
    spec = trtconv.Input((1, 3, 4, 4), (2, 3, 8, 8), (4, 3, 16, 16))
    converted = trtconv.convert(model, [spec], backend="reference")
    for shape in ((1, 3, 4, 4), (3, 3, 16, 5), (4, 3, 9, 16)):
        x = torch.randn(shape)
        torch.testing.assert_close(converted(x), model(x))
    require_rtx()
    trtconv.convert(model, [spec], backend="tensorrt_rtx")  # replays, checks, builds; raises if not


def test_shape_outside_profile_names_the_range():
    converted = trtconv.convert(Lambda(torch.relu), [torch.randn(2, 3)], backend="reference",
                                min_shapes=[(1, 3)], max_shapes=[(4, 3)])
    with pytest.raises(trtconv.InputError, match=r"\(1, 3\) \.\. \(4, 3\)"):
        converted(torch.randn(9, 3))


def test_several_profiles():
    model = Lambda(lambda x: torch.relu(x) * 3)
    converted = trtconv.convert(model, [torch.randn(2, 3)], backend="reference",
                                min_shapes=[(1, 3)], max_shapes=[(4, 3)],
                                profiles=[{"min_shapes": [(8, 3)], "opt_shapes": [(16, 3)],
                                           "max_shapes": [(32, 3)]}])
    for batch in (1, 4, 8, 32):
        x = torch.randn(batch, 3)
        torch.testing.assert_close(converted(x), model(x))
    with pytest.raises(trtconv.InputError, match=r"\(1, 3\) \.\. \(4, 3\) or \(8, 3\) \.\. "):
        converted(torch.randn(6, 3))


def test_forcing_a_dynamic_dim_to_int_is_guarded():
    class Head(torch.nn.Module):
        def forward(self, x):
            return torch.relu(x) * int(x.size(0))

    model = torch.nn.Sequential(torch.nn.Identity(), Head())
    line = Head.forward.__code__.co_firstlineno + 1
    where = rf"int\(\) of a dynamic size at .*test_dynamic.py:{line}"
    with pytest.warns(UserWarning, match=where + r".* in module '1'"):
        converted = trtconv.convert(model, [torch.randn(2, 3)], backend="reference",
                                    min_shapes=[(1, 3)], max_shapes=[(4, 3)])
    x = torch.randn(2, 3)
    torch.testing.assert_close(converted(x), model(x))
    with pytest.raises(trtconv.GuardError, match=where + r" in module '1' was 2 at conversion"):
        converted(torch.randn(3, 3))


def test_symbolic_arithmetic_on_sizes():
    model = Lambda(lambda x: torch.relu(x).reshape(x.size(0) * 2, x.size(1) // 2))
    _check(model, torch.randn(3, 4), (1, 4), (8, 4), batches=(1, 6))


def test_input_spec_validation():
    with pytest.raises(ValueError, match="min <= opt <= max"):
        trtconv.Input((4, 3), (2, 3), (8, 3))


def test_modulo_of_sizes_stays_dynamic():
    """Swin's window padding: pad W up to a multiple of 7 with sizes computed from x.shape."""
    model = Lambda(lambda x: F.pad(torch.relu(x), (0, (7 - x.size(-1) % 7) % 7)) * 2)
    check_dynamic(model, torch.randn(2, 3, 5), torch.randn(1, 3, 9), torch.randn(3, 3, 14))
    check_dynamic(Lambda(lambda x: x[:, : 20 % x.size(1)]), torch.randn(2, 6), torch.randn(2, 7))


def test_comparing_a_dynamic_dim_is_guarded_by_an_assertion():
    class Branch(torch.nn.Module):
        def forward(self, x):
            return x * 2 if x.size(0) > 2 else x

    model = torch.nn.Sequential(torch.nn.ReLU(), Branch())
    with pytest.warns(UserWarning, match=r"compared \(3 > 2 on the example\) at .* in module '1'"):
        converted = trtconv.convert(model, [torch.randn(3, 4)], backend="reference",
                                    min_shapes=[(1, 4)], max_shapes=[(8, 4)])
    assert any("compared (3 > 2" in w for w in converted.metadata["warnings"]), (
        converted.metadata["warnings"])
    assert [g["kind"] for g in converted.metadata["guards"]] == ["shape"]
    for batch in (3, 8):  # the example's side of the branch
        x = torch.randn(batch, 4)
        torch.testing.assert_close(converted(x), model(x))
    line = Branch.forward.__code__.co_firstlineno + 1
    with pytest.raises(trtconv.GuardError, match=rf"test_dynamic.py:{line} in module '1' was "
                                                 rf"True at conversion and differs for input "
                                                 rf"shapes \[\(2, 4\)\]"):
        converted(torch.randn(2, 4))
    x = torch.randn(5, 4)  # the module still works after a failed guard
    torch.testing.assert_close(converted(x), model(x))


class _ShuffleBlock(torch.nn.Module):
    """A convolution, batch norm, and shufflenet's channel shuffle written with x.size()."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        b, c, h, w = x.size()
        x = x.view(b, 2, c // 2, h, w).transpose(1, 2).contiguous()
        return x.view(b, -1, h, w).flatten(1)


def test_sizes_nothing_reads_cost_no_layer():
    """Sizes read from x.size() (and the dims a window layer or a reshape does not need) make
    no shape or slice layer that no other layer reads: every layer's output is used."""
    from trtconv.backends.replay import rebuild
    from trtconv.reference import walk

    model = _ShuffleBlock().eval()
    example = torch.randn(2, 3, 8, 8)
    converted = trtconv.convert(model, [example], backend="reference",
                                min_shapes=[(1, 3, 4, 4)], max_shapes=[(4, 3, 16, 16)])
    network = rebuild(converted.reference_recording)
    read = {t.name for layer in walk.layers(network) for t in walk.layer_inputs(layer)
            if t is not None} | {t.name for t in walk.outputs(network)}
    unused = [layer.name for layer in walk.layers(network)
              if not any(t.name in read for t in walk.layer_outputs(layer))]
    assert unused == []
    for shape in [(1, 3, 4, 4), (3, 3, 6, 10), (4, 3, 16, 16)]:
        x = torch.randn(shape)
        torch.testing.assert_close(converted(x), model(x), rtol=1e-5, atol=1e-5)
