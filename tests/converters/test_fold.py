"""F.unfold / F.fold (and nn.Unfold / nn.Fold) against torch: kernel, dilation, padding and
stride, unbatched inputs, integer and special values, dynamic shapes, and fold(unfold(x))."""

import math

import pytest
import torch
import torch.nn.functional as F
from harness import check_op
from support.dynamic_harness import check_dynamic

X = torch.randn(2, 3, 7, 8)
CASES = [  # kernel_size, dilation, padding, stride
    (3, 1, 0, 1), ((2, 3), 1, 1, 2), (3, 2, 1, 1), ((3, 2), (1, 2), (2, 0), (2, 3)), (1, 1, 0, 1),
]


@pytest.mark.parametrize("k,d,p,s", CASES, ids=str)
def test_unfold(k, d, p, s):
    check_op(lambda x: F.unfold(x, k, d, p, s), X)


@pytest.mark.parametrize("k,d,p,s", CASES, ids=str)
def test_fold(k, d, p, s):
    columns = F.unfold(X, k, d, p, s)
    check_op(lambda y: F.fold(y, (7, 8), k, d, p, s), torch.randn_like(columns))


def test_module_spellings_and_keywords():
    check_op(torch.nn.Unfold(kernel_size=2, stride=2), X)
    check_op(torch.nn.Fold(output_size=(4, 6), kernel_size=2, padding=1), torch.randn(2, 12, 35))
    check_op(lambda x: F.fold(F.unfold(x, kernel_size=3, padding=1), output_size=(7, 8),
                              kernel_size=3, padding=1), X)


def test_unbatched():
    check_op(lambda x: F.unfold(x, 2), X[0])
    check_op(lambda y: F.fold(y, (3, 4), 2), torch.randn(8, 6))


def test_values_pass_untouched():
    # integers in float32 stay exact through every sum
    x = torch.arange(2 * 2 * 5 * 5, dtype=torch.float32).reshape(2, 2, 5, 5)
    check_op(lambda a: (F.unfold(a, 2, padding=1), F.fold(F.unfold(a, 3), (5, 5), 3)), x,
             atol=0, rtol=0)
    special = X.clone()
    special[0, 0, 1, 1], special[1, 2, 3, 4] = math.inf, math.nan
    check_op(lambda a: (F.unfold(a, 3, stride=2), F.fold(F.unfold(a, 2), (7, 8), 2)), special)


def test_half():
    check_op(lambda x: F.fold(F.unfold(x, 2), (7, 8), 2), X.half(), atol=1e-3)


def test_dynamic():
    check_dynamic(lambda x: F.unfold(x, 3, padding=1, stride=2), X, torch.randn(1, 3, 5, 6),
                  torch.randn(3, 3, 9, 11))
    check_dynamic(lambda y: F.fold(y, (7, 8), 3, padding=1), torch.randn(2, 27, 56),
                  torch.randn(4, 27, 56))
