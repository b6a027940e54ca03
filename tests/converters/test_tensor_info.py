import torch
from harness import check_op
from support.dynamic_harness import check_dynamic

X = torch.randn(2, 3, 4)


def _uses_metadata(x):
    n, c = x.size(0), x.size()[1]
    if x.dim() == 3 and x.shape[-1] == 4 and x.ndim == 3:
        return x.reshape(n, c * x.size(-1)) * 2
    return x


def test_metadata_reads():
    check_op(_uses_metadata, X)


def test_metadata_reads_dynamic():
    check_dynamic(_uses_metadata, X, torch.randn(5, 3, 4))


def _numel_and_shape(x):
    return x.reshape(x.numel() // x.shape[-1], x.shape[-1]) + x.size(dim=0)


def test_numel_shape_and_size_keyword():
    check_op(_numel_and_shape, X)


def test_numel_shape_dynamic():
    check_dynamic(_numel_and_shape, X, torch.randn(5, 3, 4))
