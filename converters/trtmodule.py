"""A TRTModule called inside a model being converted: its network is inlined.

A reference-backend TRTModule carries its network (the plan is a recording of it), so the
outer conversion re-emits those layers on the traced inputs. Plans of the other backends are
opaque engines: the call is reported, never run as a constant.
"""

from __future__ import annotations

import torch
from torch.utils import _pytree as pytree

from trtconv import tensorrt_converter
from trtconv.api import Ctx, ITensor
from trtconv.module import TRTModule
from trtconv.reference.trt.plan import PlanError, from_bytes, inline


@tensorrt_converter("trtconv.module.TRTModule.forward")
def convert_trtmodule(ctx: Ctx, self: TRTModule, *args: object) -> list[ITensor]:
    if self.backend != "reference" or self.engine_bytes is None:
        raise ctx.unsupported(f"a TRTModule holding a {self.backend or 'no'} engine inside the "
                              f"model: only reference plans carry their network. Convert the "
                              f"original module instead")
    if self.guards:
        raise ctx.unsupported("a TRTModule with guards inside the model: convert the original "
                              "module instead, so its guards become the outer engine's")
    tensors = [x for x in pytree.tree_leaves(args) if isinstance(x, torch.Tensor)]
    names = self.input_names
    if len(tensors) != len(names):
        raise ctx.unsupported(f"the inner TRTModule takes {len(names)} tensors, got "
                              f"{len(tensors)}")
    try:
        recording = from_bytes(self.engine_bytes)
    except PlanError as e:
        raise ctx.unsupported(f"the inner TRTModule's plan does not load: {e}") from None
    inputs = {name: ctx.trt(t) for name, t in zip(names, tensors)}
    prefix = ctx.module_path or "trtmodule"
    return inline(recording, ctx.network, inputs, prefix)
