"""IConvolutionLayer and IDeconvolutionLayer: 2-D/3-D (transposed) convolution.

The input is [batch..., C, *spatial] (every axis before C is a batch axis, as in TensorRT). The
kernel is weights in KCRS order (deconvolution: CKRS), or a tensor on input 1 when the kernel
weights are empty; the bias is weights or a tensor on input 2. Strong typing: kernel and bias
must have the input's type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ..core import (
    FLOAT_TYPES,
    ITensor,
    Prop,
    TensorInfo,
    Weights,
    add_layer,
    as_dims,
    as_weights,
    volume,
)
from ..core import network_method as _method
from ..enums import DataType, LayerType
from ._common import (
    check_dtype,
    check_same_dtype,
    from_compute,
    init_prop,
    nonempty_weights,
    set_initial,
    to_compute,
)
from ._spatial import (
    SpatialProp,
    WindowLayer,
    as_batched,
    backward_axis,
    crop_spatial,
    forward_axis,
    from_batched,
    pad_spatial,
)

_CONV: dict[int, Callable[..., torch.Tensor]] = {2: F.conv2d, 3: F.conv3d}
_DECONV: dict[int, Callable[..., torch.Tensor]] = {2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _positive(value: Any) -> int:
    value = int(value)
    if value < 1:
        raise ValueError(f"must be >= 1, got {value}")
    return value


class _ConvolutionBase(WindowLayer):
    """What convolution and deconvolution share: kernel, bias, groups, dilation, inputs 1-2."""

    _window_prop = "kernel_size_nd"
    kernel_size_nd = SpatialProp(None, 1)
    num_output_maps = init_prop(coerce=int)
    kernel = init_prop(coerce=nonempty_weights)
    bias = init_prop(coerce=nonempty_weights)
    num_groups = Prop(1, _positive)
    dilation_nd = SpatialProp(1, 1)

    def max_inputs(self) -> int:
        return 2

    def _dilation(self) -> Any:
        return self.dilation_nd

    def _tensor_input(self, ins: list[Any], index: int) -> Any:
        return ins[index] if len(ins) > index else None

    def _check_common(self, x: TensorInfo, ins: list[TensorInfo | None]) -> int:
        """Checks shared by both directions; returns the input's channel count (-1 unknown)."""
        check_dtype(self, x, FLOAT_TYPES)
        self._axes()
        self._check_rank(x)
        nout, groups = self.num_output_maps, self.num_groups
        if nout < 1:
            raise self.fail(f"num_output_maps must be >= 1, got {nout}")
        if nout % groups:
            raise self.fail(f"group count must divide output channel count, got {groups} "
                            f"groups and {nout} output channels")
        channels = x.shape[-len(self.kernel_size_nd) - 1]
        if channels >= 0 and channels % groups:
            raise self.fail(f"num_groups must divide input's channel count, got {groups} "
                            f"groups and {channels} channels")
        self._check_bias(x, self._tensor_input(ins, 2))
        return channels

    def _check_bias(self, x: TensorInfo, tensor: TensorInfo | None) -> None:
        nout = self.num_output_maps
        if tensor is not None:
            check_same_dtype(self, x, tensor.dtype, "bias")
            if volume(tensor.shape) not in (nout, -1):
                raise self.fail(f"bias tensor shape {tensor.shape} does not hold {nout} values")
            return
        bias = self.bias
        if bias.size:
            check_same_dtype(self, x, bias.dtype, "bias")
            if bias.size != nout:
                raise self.fail(f"count of {bias.size} weights in bias, but number of output "
                                f"maps is {nout}")

    def _check_kernel(self, x: TensorInfo, tensor: TensorInfo | None,
                      expected: tuple[int, ...]) -> None:
        """Static kernel weights, or a kernel tensor of shape `expected` (-1: not checked)."""
        kernel = self.kernel
        if tensor is None:
            if kernel.size:
                check_same_dtype(self, x, kernel.dtype, "kernel")
            want = volume(expected)
            if want >= 0 and kernel.size != want:
                raise self.fail(f"count of {kernel.size} weights in kernel, but kernel "
                                f"{tuple(self.kernel_size_nd)} with {self.num_groups} groups "
                                f"needs {expected} = {want}")
            return
        if kernel.size:
            raise self.fail("kernel weights must be empty when the kernel is input 1")
        check_same_dtype(self, x, tensor.dtype, "kernel")
        if tensor.rank != len(expected) or any(d < 0 for d in tensor.shape):
            raise self.fail(f"kernel tensor must have a build-time shape of rank "
                            f"{len(expected)}, got {tensor.shape}")
        if any(e >= 0 and d != e for d, e in zip(tensor.shape, expected)):
            raise self.fail(f"kernel tensor shape {tensor.shape} does not match {expected}")

    def _weights(self, ins: list[Any], channels: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        kernel = self._tensor_input(ins, 1)
        if kernel is None:
            kernel = self.kernel.tensor.reshape(self._kernel_shape(channels))
        bias = self._tensor_input(ins, 2)
        if bias is None and self.bias.size:
            bias = self.bias.tensor
        return to_compute(kernel), None if bias is None else to_compute(bias.reshape(-1))

    def _kernel_shape(self, channels: int) -> tuple[int, ...]:
        raise NotImplementedError


class IConvolutionLayer(_ConvolutionBase):
    """Convolution: output [batch..., num_output_maps, *spatial_out]."""

    layer_type = LayerType.CONVOLUTION

    def _kernel_shape(self, channels: int) -> tuple[int, ...]:
        groups = self.num_groups
        return (self.num_output_maps, channels // groups if channels >= 0 else -1,
                *self.kernel_size_nd)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        channels = self._check_common(x, ins)
        self._check_kernel(x, self._tensor_input(ins, 1), self._kernel_shape(channels))
        nd = len(self.kernel_size_nd)
        spatial = x.shape[-nd:]
        out = [forward_axis(size, axis, self.padding_mode)[0]
               for size, axis in zip(spatial, self._axes())]
        self._check_lengths(spatial, out)
        # TensorRT checks the filter fits only when every spatial length is known.
        if all(s >= 0 for s in spatial) and any(o < 1 for o in out):
            raise self.fail(f"image size is smaller than filter size: input {spatial}, output "
                            f"{tuple(out)}")
        return [TensorInfo(x.shape[:-nd - 1] + (self.num_output_maps, *out), x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x, nd = ins[0], len(self.kernel_size_nd)
        kernel, bias = self._weights(ins, x.shape[-nd - 1])
        geometry = [forward_axis(size, axis, self.padding_mode)
                    for size, axis in zip(x.shape[-nd:], self._axes())]
        batched, lead = as_batched(to_compute(x), nd + 1)
        pads = [(pre, post) for _, pre, post in geometry]
        if all(pre == post >= 0 for pre, post in pads):  # torch pads itself: no padded copy
            padding: Any = tuple(pre for pre, _ in pads)
        else:
            batched, padding = pad_spatial(batched, pads), 0
        y = _CONV[nd](batched, kernel, bias, tuple(self.stride_nd), padding,
                      tuple(self.dilation_nd), self.num_groups)
        return [from_compute(from_batched(y, lead), x.dtype)]


    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        """Static weights: the kernel, bias, padding and batch layout worked out once."""
        if self._tensor_input(ins, 1) is not None or self._tensor_input(ins, 2) is not None:
            return self.execute
        x, nd = ins[0], len(self.kernel_size_nd)
        kernel, bias = self._weights([None], x.shape[-nd - 1])
        pads = [(pre, post) for _, pre, post in (
            forward_axis(size, axis, self.padding_mode)
            for size, axis in zip(x.shape[-nd:], self._axes()))]
        symmetric = all(pre == post >= 0 for pre, post in pads)
        padding: Any = tuple(pre for pre, _ in pads) if symmetric else 0
        conv, stride = _CONV[nd], tuple(self.stride_nd)
        dilation, groups = tuple(self.dilation_nd), self.num_groups
        batched = None if x.rank == nd + 2 else (-1, *x.shape[-nd - 1:])
        out = outs[0].shape

        def run(ins: list[Any]) -> list[torch.Tensor]:
            v = to_compute(ins[0])
            if batched is not None:
                v = v.reshape(batched)
            if not symmetric:
                v = pad_spatial(v, pads)
            y = conv(v, kernel, bias, stride, padding, dilation, groups)
            return [from_compute(y if batched is None else y.reshape(out), ins[0].dtype)]

        return run


class IDeconvolutionLayer(_ConvolutionBase):
    """Transposed convolution; pre/post padding crop the full output."""

    layer_type = LayerType.DECONVOLUTION

    def _kernel_shape(self, channels: int) -> tuple[int, ...]:
        return (channels, self.num_output_maps // self.num_groups, *self.kernel_size_nd)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        channels = self._check_common(x, ins)
        if channels < 0:
            raise self.fail("the number of channels of the input must not be dynamic")
        self._check_kernel(x, self._tensor_input(ins, 1), self._kernel_shape(channels))
        nd = len(self.kernel_size_nd)
        spatial = x.shape[-nd:]
        out = [backward_axis(size, axis, self.padding_mode)[0]
               for size, axis in zip(spatial, self._axes())]
        self._check_lengths(spatial, out)
        return [TensorInfo(x.shape[:-nd - 1] + (self.num_output_maps, *out), x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x, nd = ins[0], len(self.kernel_size_nd)
        kernel, bias = self._weights(ins, x.shape[-nd - 1])
        geometry = [backward_axis(size, axis, self.padding_mode)
                    for size, axis in zip(x.shape[-nd:], self._axes())]
        batched, lead = as_batched(to_compute(x), nd + 1)
        y = _DECONV[nd](batched, kernel, bias, tuple(self.stride_nd), 0, 0, self.num_groups,
                        tuple(self.dilation_nd))
        y = crop_spatial(y, [(pre, post) for _, pre, post in geometry])
        return [from_compute(from_batched(y, lead), x.dtype)]


def _add(network: Any, cls: type[_ConvolutionBase], ctor: str, input: ITensor,
         num_output_maps: int, kernel_shape: Any, kernel: Any, bias: Any) -> Any:
    shape = as_dims(kernel_shape, "kernel_shape")
    if len(shape) not in (2, 3) or any(d < 1 for d in shape):
        # TensorRT returns None here: only 2-D and 3-D (de)convolution exist.
        raise ValueError(f"{ctor}: kernel_shape must have 2 or 3 dimensions >= 1, got "
                         f"{tuple(shape)}")
    kernel = as_weights(kernel, "kernel")
    bias = None if bias is None else as_weights(bias, "bias")
    layer = add_layer(network, cls, ctor, {
        "input": input, "num_output_maps": int(num_output_maps), "kernel_shape": shape,
        "kernel": kernel, "bias": bias}, [input])
    set_initial(layer, num_output_maps=int(num_output_maps), kernel_size_nd=shape,
                kernel=kernel, bias=bias if bias is not None else Weights(DataType.FLOAT))
    return layer


@_method
def add_convolution_nd(self: Any, input: ITensor, num_output_maps: int, kernel_shape: Any,
                       kernel: Weights, bias: Weights | None = None) -> IConvolutionLayer:
    return _add(self, IConvolutionLayer, "add_convolution_nd", input, num_output_maps,
                kernel_shape, kernel, bias)


@_method
def add_deconvolution_nd(self: Any, input: ITensor, num_output_maps: int, kernel_shape: Any,
                         kernel: Weights, bias: Weights | None = None) -> IDeconvolutionLayer:
    return _add(self, IDeconvolutionLayer, "add_deconvolution_nd", input, num_output_maps,
                kernel_shape, kernel, bias)

