import pytest
import torch
import torch.nn.functional as F
from harness import check_op, check_unsupported

X = torch.randn(2, 3, 4, 5)


@pytest.mark.parametrize("fn", [
    lambda x: F.dropout(x, 0.3, training=False), lambda x: F.dropout(x, 0.0),
    lambda x: F.dropout(x * 1, 0.2, False, True),
    lambda x: F.dropout2d(x, 0.5, False),
    lambda x: F.dropout3d(x, training=False), lambda x: F.alpha_dropout(x, 0.5),
    lambda x: F.feature_alpha_dropout(x, 0.5),
    lambda x: torch.dropout(x, 0.5, False), lambda x: torch.dropout_(x * 1, 0.5, False),
    lambda x: torch.alpha_dropout(x, 0.5, False), lambda x: torch.alpha_dropout_(x * 1, 0.5, False),
    lambda x: torch.feature_dropout(x, 0.5, False),
    lambda x: torch.feature_dropout_(x * 1, 0.5, False),
    lambda x: torch.feature_alpha_dropout(x, 0.5, False),
    lambda x: torch.feature_alpha_dropout_(x * 1, 0.5, False),
    torch.nn.Dropout(0.5), torch.nn.Dropout2d(), torch.nn.Dropout3d(),
    torch.nn.AlphaDropout(0.2), torch.nn.FeatureAlphaDropout(0.2),
], ids=["F", "F_p0", "F_inplace", "F2d", "F3d", "F_alpha", "F_feature_alpha", "torch",
        "torch_", "torch_alpha", "torch_alpha_", "torch_feature", "torch_feature_",
        "torch_feature_alpha", "torch_feature_alpha_", "Dropout", "Dropout2d",
        "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"])
def test_dropout_identity(fn):
    check_op(fn, X)


def test_dropout1d():
    check_op(lambda x: F.dropout1d(x, 0.5, False), X[0])
    check_op(torch.nn.Dropout1d(), X[0])


def test_dropout_training_unsupported():
    check_unsupported(lambda x: F.dropout(x, 0.5), X, op="torch.nn.functional.dropout")
    check_unsupported(lambda x: torch.dropout(x, 0.5, True), X, op="torch.dropout")
