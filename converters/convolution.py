"""Convolutions: conv1d/2d/3d and conv_transpose1d/2d/3d, functional and module forms.

TensorRT convolves 2-D and 3-D windows over inputs of rank >= 4 (every axis before the channel
is a batch axis): a 1-D convolution runs as a 2-D one over a trailing axis of size 1, and an
unbatched input gets a batch axis of 1; both are removed again from the result. Kernels are
weights when they are parameters or constants, and a tensor on input 1 when computed in the
network. Padding modes other than zeros pad explicitly first (see `emit.pad`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trtconv import emit, trt
from trtconv.api import Converter, Ctx, E, Ints, ITensor
from trtconv.registry import register_spellings, register_table

# Module padding_mode -> emit.pad mode.
_PAD_MODES = {"reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _explicit_padding(padding: Ints | str, kernel: tuple[int, ...], dilation: tuple[int, ...],
                      ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(pre, post) padding per spatial axis for an int/tuple or 'same'/'valid' padding."""
    nsp = len(kernel)
    if padding == "valid":
        return (0,) * nsp, (0,) * nsp
    if padding == "same":  # torch puts the odd element after the data
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
    pads = emit.spatial.ntuple(padding, nsp)
    return pads, pads


def _kernel(ctx: Ctx, weight: torch.Tensor, nsp: int, dtype: torch.dtype
            ) -> tuple[trt.Weights, ITensor | None]:
    """(weights, kernel tensor or None): weights of `dtype` for a constant kernel, else empty
    weights and the kernel as an ITensor (1-D kernels get their trailing axis of 1 either
    way)."""
    if not ctx.is_traced(weight):
        kernel = weight.detach().to(dtype)
        if nsp == 1:
            kernel = kernel.unsqueeze(-1)
        return trt.Weights(kernel.contiguous()), None
    tensor = ctx.trt(weight)
    if any(d < 0 for d in tensor.shape):
        raise ctx.unsupported("a kernel computed in the network must have a static shape")
    if nsp == 1:
        tensor = emit.reshape(ctx.network, tensor, list(tensor.shape) + [1])
    return trt.Weights(trt.trt_dtype(dtype)), tensor


def _add_bias(ctx: Ctx, y: ITensor, bias: torch.Tensor) -> ITensor:
    """`y + bias` over the channel axis 1 (bias as a (1, C, 1, ...) tensor)."""
    channels = bias.shape[0]
    b = emit.reshape(ctx.network, ctx.trt(bias), [1, channels] + [1] * (len(y.shape) - 2))
    return emit.arith.elementwise(ctx.network, y, b, E.SUM)


def convolution(ctx: Ctx, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                stride: Ints, padding: Ints | str, dilation: Ints, groups: int, nsp: int,
                transposed: bool = False, output_padding: Ints = 0) -> ITensor:
    """A (transposed) convolution with torch's parameters over `nsp` spatial axes."""
    network = ctx.network
    if weight.dtype != ctx.output.dtype:
        raise ctx.unsupported("kernel and input dtypes differ")
    kernel_size = tuple(int(k) for k in weight.shape[2:])
    stride, dilation = emit.spatial.ntuple(stride, nsp), emit.spatial.ntuple(dilation, nsp)
    pre, post = _explicit_padding(padding, kernel_size, dilation)
    extra = (0,) * nsp
    if transposed:
        # TensorRT crops pre/post from the full output; torch's output_padding gives back
        # elements at the end, beyond the full output when it exceeds the padding.
        post = tuple(p - o for p, o in zip(post, emit.spatial.ntuple(output_padding, nsp)))
        extra = tuple(max(0, -p) for p in post)
        post = tuple(max(0, p) for p in post)
    x, drop = emit.spatial.lift_spatial(network, ctx.trt(input), nsp)
    dtype = trt.torch_dtype(x.dtype)  # float64 models run in float32
    weights, kernel_tensor = _kernel(ctx, weight, nsp, dtype)
    bias_in_layer = bias is not None and not ctx.is_traced(bias) and not any(extra)
    bias_weights = trt.Weights(bias.detach().to(dtype).contiguous()) if bias_in_layer else None
    if nsp == 1:
        kernel_size, stride, dilation = kernel_size + (1,), stride + (1,), dilation + (1,)
        pre, post, extra = pre + (0,), post + (0,), extra + (0,)
    if transposed and any(st > 1 for st in stride) and any(d > 1 for d in dilation):
        y = _strided_dilated_transpose(ctx, x, weight, stride, pre, post, extra, dilation,
                                       groups)
        if bias is not None:
            y = _add_bias(ctx, y, bias)
        return emit.spatial.drop_axes(network, y, drop)
    if transposed:
        out_maps = weight.shape[1] * groups
        layer = network.add_deconvolution_nd(x, out_maps, kernel_size, weights, bias_weights)
    else:
        out_maps = weight.shape[0]
        layer = network.add_convolution_nd(x, out_maps, kernel_size, weights, bias_weights)
    if kernel_tensor is not None:
        layer.set_input(1, kernel_tensor)
    layer.stride_nd = stride
    layer.dilation_nd = dilation
    layer.pre_padding = pre
    layer.post_padding = post
    layer.num_groups = groups
    y = layer.get_output(0)
    if any(extra):
        rank = len(y.shape)
        y = emit.pad_axes(network, y, [(0, 0)] * (rank - len(extra)) + [(0, e) for e in extra])
    if bias is not None and not bias_in_layer:
        y = _add_bias(ctx, y, bias)
    return emit.spatial.drop_axes(network, y, drop)


def _strided_dilated_transpose(ctx: Ctx, x: ITensor, weight: torch.Tensor, stride: tuple[int, ...],
                               pre: tuple[int, ...], post: tuple[int, ...],
                               extra: tuple[int, ...], dilation: tuple[int, ...],
                               groups: int) -> ITensor:
    """A transposed convolution as a stride-1 convolution (TensorRT builds no deconvolution
    that is both strided and dilated): the input with stride-1 zeros after each element, padded
    by the dilated kernel's extent less the crop, convolved with the flipped, transposed kernel.
    Arguments are those of the lifted (2-D/3-D) layer."""
    if ctx.is_traced(weight):
        raise ctx.unsupported("a strided and dilated transposed convolution needs a constant "
                              "kernel")
    network, nsp = ctx.network, len(stride)
    kernel = weight.detach().to(trt.torch_dtype(x.dtype))
    if kernel.dim() - 2 < nsp:
        kernel = kernel.unsqueeze(-1)
    cin, cout_g, *ksize = kernel.shape
    kernel = kernel.reshape(groups, cin // groups, cout_g, *ksize).transpose(1, 2)
    kernel = kernel.reshape(groups * cout_g, cin // groups, *ksize).flip(list(range(2, 2 + nsp)))
    # Zeros between elements: [..., L] -> [..., L, 1] -> [..., L, s] (zero padded) -> [..., L*s].
    dims = emit.dims_of(network, x)
    lead, spatial = dims[:-nsp], dims[-nsp:]
    interleaved = emit.reshape(network, x, lead + [v for d in spatial for v in (d, 1)])
    pairs = [(0, 0)] * len(lead) + [p for st in stride for p in ((0, 0), (0, st - 1))]
    interleaved = emit.pad_axes(network, interleaved, pairs)
    upsampled = emit.reshape(network, interleaved,
                             lead + [d * st for d, st in zip(spatial, stride)])
    # The full transposed output is the stride-1 convolution of this with the input padded by
    # d*(k-1) on both sides (less the s-1 zeros after the last element); pre/post crop it.
    span = [d * (k - 1) for d, k in zip(dilation, ksize)]
    pads = [(sp - b, sp - a - (st - 1) + e)
            for sp, b, a, st, e in zip(span, pre, post, stride, extra)]
    padded = emit.pad_axes(network, upsampled, [(0, 0)] * len(lead) + pads)
    layer = network.add_convolution_nd(padded, kernel.shape[0], tuple(ksize),
                                       trt.Weights(kernel.contiguous()), None)
    layer.dilation_nd = dilation
    layer.num_groups = groups
    return layer.get_output(0)


def _functional_converter(nsp: int) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, weight: torch.Tensor,
                bias: torch.Tensor | None = None, stride: Ints = 1, padding: Ints | str = 0,
                dilation: Ints = 1, groups: int = 1) -> ITensor:
        return convolution(ctx, input, weight, bias, stride, padding, dilation, groups, nsp)

    return convert


def _functional_transpose_converter(nsp: int) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, weight: torch.Tensor,
                bias: torch.Tensor | None = None, stride: Ints = 1, padding: Ints | str = 0,
                output_padding: Ints = 0, groups: int = 1, dilation: Ints = 1) -> ITensor:
        return convolution(ctx, input, weight, bias, stride, padding, dilation, groups, nsp,
                           transposed=True, output_padding=output_padding)

    return convert


def _module_converter(nsp: int) -> Converter:
    def convert(ctx: Ctx, self: torch.nn.modules.conv._ConvNd, input: torch.Tensor) -> ITensor:
        x, padding = input, self.padding
        if self.padding_mode != "zeros":
            x = emit.pad(ctx.network, ctx.trt(input), self._reversed_padding_repeated_twice,
                         _PAD_MODES[self.padding_mode])
            padding = 0
        return convolution(ctx, x, self.weight, self.bias, self.stride, padding, self.dilation,
                           self.groups, nsp)

    return convert


def _module_transpose_converter(nsp: int) -> Converter:
    def convert(ctx: Ctx, self: torch.nn.modules.conv._ConvTransposeNd, input: torch.Tensor,
                output_size: Sequence[int] | None = None) -> ITensor:
        output_padding = self._output_padding(input, output_size, self.stride, self.padding,
                                              self.kernel_size, nsp, self.dilation)
        return convolution(ctx, input, self.weight, self.bias, self.stride, self.padding,
                           self.dilation, self.groups, nsp, transposed=True,
                           output_padding=output_padding)

    return convert


for _n in (1, 2, 3):
    register_spellings({f"conv{_n}d": _functional_converter(_n),
                        f"conv_transpose{_n}d": _functional_transpose_converter(_n)},
                       namespaces=("torch", "torch.nn.functional"), in_place=False)
    register_table({f"torch.nn.Conv{_n}d.forward": _module_converter(_n),
                    f"torch.nn.ConvTranspose{_n}d.forward": _module_transpose_converter(_n)})
