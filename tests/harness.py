"""One import for test helpers: `from harness import check_layer, check_op, ...`.

Layer tests (tests/reference) use `check_layer`/`check_rejected`; converter tests
(tests/converters) use `check_op`/`check_unsupported`. Both compare against PyTorch and build
the same network on TensorRT-RTX.
"""

from support.layer_harness import (
    build_network,
    check_layer,
    check_on_rtx,
    check_rejected,
    check_shapes,
    constant,
    rtx,
    weights,
)
from support.op_harness import EXERCISED, Lambda, check_op, check_unsupported, params

__all__ = ["build_network", "check_layer", "check_on_rtx", "check_rejected", "check_shapes", "constant", "rtx",
           "weights",
           "EXERCISED", "Lambda", "check_op", "check_unsupported", "params"]
