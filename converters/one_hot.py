"""one_hot: TensorRT's one-hot layer, the new axis last, values [0, 1] as int64.

`num_classes=-1` (torch's default) takes the number of classes from the data (the largest
index plus one), a size TensorRT cannot give a layer's output, so it is unsupported: pass
`num_classes`. torch raises for negative indices and for indices >= num_classes; the layer
would count negative ones from the end and give an all-zero row for the others.
"""

from __future__ import annotations

import torch

from trtconv.api import Ctx, ITensor
from trtconv.registry import register_table


def convert_one_hot(ctx: Ctx, input: torch.Tensor, num_classes: int = -1
                    ) -> ITensor:
    if num_classes < 0:
        raise ctx.unsupported("one_hot with num_classes=-1 (the number of classes would be read "
                              "from the data); pass num_classes")
    values = ctx.constant(torch.tensor([0, 1], dtype=torch.int64))
    depth = ctx.constant(torch.tensor(int(num_classes), dtype=torch.int64))
    return ctx.network.add_one_hot(ctx.trt(input), values, depth, -1).get_output(0)


register_table({"torch.nn.functional.one_hot": convert_one_hot})
