"""IEinsumLayer: equations (explicit, implicit, ellipsis, diagonal, broadcast), types, errors."""

import pytest
import torch
from harness import check_layer, check_rejected

from trtconv.reference import trt as ref


def build_einsum(equation):
    return lambda trt, net, *xs: net.add_einsum(list(xs), equation).get_output(0)


CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),                    # implicit: sorted once-labels
    ("ij->ji", [(2, 3)]),
    ("ba", [(2, 3)]),                               # implicit transpose
    ("ij->", [(2, 3)]),
    ("i,i->", [(3,), (3,)]),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ii->i", [(3, 3)]),                            # diagonal
    ("ii", [(3, 3)]),                               # trace
    ("iij->j", [(3, 3, 2)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (5, 3, 4)]),
    ("...ij,...jk", [(5, 2, 3), (1, 3, 4)]),        # ellipsis broadcast, implicit
    ("...ij,jk->...ik", [(5, 2, 3), (3, 4)]),
    ("a...b,b...c->...ac", [(2, 4, 3), (3, 4, 5)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),                # a dimension of 1 broadcasts
    (" ij , jk -> ki ", [(2, 3), (3, 4)]),          # spaces are ignored
]


@pytest.mark.parametrize("equation,shapes", CASES)
def test_einsum(equation, shapes):
    xs = [torch.randn(s) for s in shapes]
    check_layer(build_einsum(equation), xs,
                lambda *t: torch.einsum(equation.replace(" ", ""), *t), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_einsum_half_accumulates_in_float(dtype):
    a, b = torch.randn(4, 64).to(dtype), torch.randn(64, 5).to(dtype)
    check_layer(build_einsum("ij,jk->ik"), [a, b],
                lambda x, y: (x.float() @ y.float()).to(dtype), atol=0, rtol=0)


def test_einsum_dynamic_batch():
    check_layer(build_einsum("bij,bjk->bik"), [torch.randn(3, 2, 3), torch.randn(3, 3, 4)],
                lambda x, y: x @ y, dynamic={0: [0], 1: [0]}, atol=1e-5, rtol=1e-4)


def test_einsum_shape_with_unknown_dims():
    net = ref.Builder(ref.Logger()).create_network(0)
    x = net.add_input("x", ref.float32, (2, -1))
    y = net.add_input("y", ref.float32, (-1, 4))
    assert tuple(net.add_einsum([x, y], "ij,jk").get_output(0).shape) == (2, 4)
    assert tuple(net.add_einsum([x], "ij->ji").get_output(0).shape) == (-1, 2)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.bool])
def test_einsum_rejects_type(dtype):
    check_rejected(build_einsum("ij->ji"), [torch.ones(2, 3, dtype=dtype)], "type")


def test_einsum_rejects_mixed_types():
    check_rejected(build_einsum("ij,jk->ik"), [torch.ones(2, 3), torch.ones(3, 4).half()],
                   "same type")


@pytest.mark.parametrize("equation,shapes,match", [
    ("ij,jk->ik", [(2, 3), (5, 4)], "broadcast"),
    ("ij,jk->ik", [(2, 3, 4), (3, 4)], "subscripts"),
    ("ii->i", [(2, 3)], "different"),
    ("...ij,...jk->...ik", [(6, 5, 2, 3), (5, 3, 4)], "same number"),
    ("...ij,...jk->...ik", [(5, 2, 3), (7, 3, 4)], "broadcast"),
])
def test_einsum_rejects_shapes(equation, shapes, match):
    check_rejected(build_einsum(equation), [torch.ones(s) for s in shapes], match)


@pytest.mark.parametrize("equation,match", [
    ("IJ->JI", "lower-case"),
    ("ij->jj", "duplicated"),
    ("ij->k", "does not appear"),
    ("ij->->ij", "at most one"),
    ("ij,jk->ik", "terms"),
])
def test_einsum_invalid_equations(equation, match):
    """TensorRT's add_einsum returns None for these; the reference rejects the layer."""
    from support.layer_harness import rtx
    for trt in (ref, rtx()):
        net = trt.Builder(trt.Logger(trt.Logger.INTERNAL_ERROR)).create_network(0)
        x = net.add_input("x", trt.float32, (2, 3))
        layer = net.add_einsum([x], equation)
        if trt is ref:
            with pytest.raises(RuntimeError, match=match):
                _ = layer.get_output(0).shape
        else:
            assert layer is None


def test_einsum_output_ellipsis_without_input_ellipsis():
    net = ref.Builder(ref.Logger()).create_network(0)
    x = net.add_input("x", ref.float32, (2, 3))
    with pytest.raises(RuntimeError, match="ellipsis"):
        _ = net.add_einsum([x], "ij->...ij").get_output(0).shape
