"""ISelectLayer: BOOL condition, equal-rank broadcasting, types, zero-size, rejections."""

import pytest
import torch
from harness import check_layer, check_rejected, check_shapes


def select(trt, net, cond, then, other):
    return net.add_select(cond, then, other).get_output(0)


@pytest.mark.parametrize("shapes", [
    [(2, 3)] * 3, [(2, 1), (1, 3), (2, 3)], [(1, 1), (2, 3), (1, 3)], [()] * 3,
    [(0, 3), (1, 3), (0, 1)],
])
def test_select(shapes):
    cond = torch.rand(shapes[0]) > 0.5
    check_layer(select, [cond, torch.randn(shapes[1]), torch.randn(shapes[2])], torch.where)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.bool, torch.float16,
                                   torch.bfloat16, torch.int8])
def test_select_types(dtype):
    a, b = torch.randint(0, 5, (2, 3)).to(dtype), torch.randint(0, 5, (2, 3)).to(dtype)
    check_layer(select, [torch.rand(2, 3) > 0.5, a, b], torch.where)


def test_select_dynamic_batch():
    check_layer(select, [torch.rand(3, 4) > 0.5, torch.randn(3, 4), torch.randn(1, 4)],
                torch.where, dynamic={0: [0], 1: [0]})


def test_select_dynamic_dim_meets_a_known_one():
    inputs = [torch.rand(5, 3) > 0.5, torch.randn(5, 3), torch.randn(1, 3)]
    assert check_shapes(select, inputs, dynamic={0: [0]}) == [(5, 3)]


@pytest.mark.parametrize("cond,then,other,match", [
    (torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3), "BOOL"),
    (torch.zeros(2, 3, dtype=torch.int32), torch.zeros(2, 3), torch.zeros(2, 3), "BOOL"),
    (torch.zeros(2, 3, dtype=torch.bool), torch.zeros(2, 3), torch.zeros(2, 3).half(), "type"),
    (torch.zeros(3, dtype=torch.bool), torch.zeros(2, 3), torch.zeros(2, 3), "rank"),
    (torch.zeros(2, 3, dtype=torch.bool), torch.zeros(2, 4), torch.zeros(2, 3), "broadcast"),
])
def test_select_rejects(cond, then, other, match):
    check_rejected(select, [cond, then, other], match)
