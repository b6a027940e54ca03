"""IGatherLayer: DEFAULT (with elementwise dim), ELEMENT and ND modes, index rules, values."""

import pytest
import torch
from harness import check_layer, check_rejected, constant


def gather(axis=0, mode=None, ned=None, const_indices=None):
    """add_gather (mode None) or add_gather_v2; indices from input 1 or a constant."""
    def build(trt, net, x, *rest):
        indices = constant(trt, net, const_indices) if const_indices is not None else rest[0]
        if mode is None:
            layer = net.add_gather(x, indices, axis)
        else:
            layer = net.add_gather_v2(x, indices, getattr(trt.GatherMode, mode))
            layer.axis = axis
        if ned is not None:
            layer.num_elementwise_dims = ned
        return layer.get_output(0)

    return build


def take(x, index, axis):
    """torch reference of DEFAULT mode (indices already in range)."""
    out = x.index_select(axis, index.reshape(-1).long())
    return out.reshape(x.shape[:axis] + index.shape + x.shape[axis + 1:])


@pytest.mark.parametrize("axis,index_shape", [(0, (2,)), (1, (2, 3)), (2, ()), (1, (0,))])
@pytest.mark.parametrize("index_dtype", [torch.int32, torch.int64])
def test_default(axis, index_shape, index_dtype):
    x = torch.randn(3, 4, 5)
    index = torch.randint(0, x.shape[axis], index_shape, dtype=index_dtype)
    check_layer(gather(axis), [x, index], lambda x, i: take(x, i, axis))


def test_default_v2():
    index = torch.tensor([[2, 0]])
    check_layer(gather(1, "DEFAULT"), [torch.randn(3, 4), index], lambda x, i: take(x, i, 1))


def test_negative_indices_count_from_the_end():
    index = torch.tensor([-1, 0, -4, 2], dtype=torch.int32)
    check_layer(gather(1), [torch.randn(2, 4), index], lambda x, i: x[:, i.long()])


def test_out_of_range_indices_read_zero():
    index = torch.tensor([5, 1, -6])
    expected = lambda x, i: torch.stack([torch.zeros(3), x[:, 1], torch.zeros(3)], 1)  # noqa: E731
    check_layer(gather(1), [torch.randn(3, 5), index], expected)


@pytest.mark.parametrize("dtype", [torch.bool, torch.int64, torch.float16, torch.int8])
def test_default_data_types(dtype):
    x = torch.randint(0, 3, (4, 3)).to(dtype)
    check_layer(gather(0), [x, torch.tensor([3, 1])], lambda x, i: x[i])


def test_default_dynamic_batch():
    check_layer(gather(1), [torch.randn(3, 5, 2), torch.tensor([4, 0])],
                lambda x, i: x[:, i], dynamic={0: [0]})


@pytest.mark.parametrize("data_shape,index_shape", [((3, 4, 5), (3, 2)), ((3, 4, 5), (1, 2)),
                                                    ((1, 4, 5), (3, 2))])
def test_default_one_elementwise_dim(data_shape, index_shape):
    x, index = torch.randn(data_shape), torch.randint(0, 4, index_shape)
    n = max(data_shape[0], index_shape[0])

    def expected(x, i):
        x, i = x.expand(n, *x.shape[1:]), i.expand(n, *i.shape[1:])
        return torch.stack([x[b][i[b]] for b in range(n)])

    check_layer(gather(1, ned=1), [x, index], expected)


@pytest.mark.parametrize("axis,index_shape", [(1, (3, 2, 5)), (0, (1, 4, 5)), (2, (3, 4, 7))])
def test_element(axis, index_shape):
    x = torch.randn(3, 4, 5)
    index = torch.randint(-x.shape[axis], x.shape[axis], index_shape)
    check_layer(gather(axis, "ELEMENT"), [x, index],
                lambda x, i: torch.gather(x, axis, i % x.shape[axis]))


@pytest.mark.parametrize("index,ned", [
    (torch.tensor([[0, 1], [2, 3], [1, 0]]), 0),
    (torch.tensor([[0, 1, 4], [2, 3, -1]]), 0),
    (torch.tensor([[[1], [0]], [[3], [2]], [[0], [0]]]), 1),
])
def test_nd(index, ned):
    x = torch.randn(3, 4, 5)

    def expected(x, i):
        if ned == 0:
            return x[tuple(i[..., j] for j in range(i.shape[-1]))]
        return torch.stack([x[b][tuple(i[b][..., j] for j in range(i.shape[-1]))]
                            for b in range(x.shape[0])])

    check_layer(gather(mode="ND", ned=ned), [x, index], expected)


def test_gathered_shape_values_drive_a_reshape():
    """x.view(x.shape[-1], x.shape[0]) by constant indices into the shape tensor."""
    def build(trt, net, x):
        dims = net.add_shape(x).get_output(0)
        last = net.add_gather(dims, constant(trt, net, torch.tensor([-1, 0])), 0).get_output(0)
        layer = net.add_shuffle(x)
        layer.set_input(1, last)
        return layer.get_output(0)

    check_layer(build, [torch.randn(3, 4)], lambda x: x.reshape(4, 3))


@pytest.mark.parametrize("axis,ned,index_dtype,match", [
    (-1, None, torch.int32, "axis"),
    (2, None, torch.int32, "axis"),
    (0, 1, torch.int32, "axis"),
    (1, 2, torch.int32, "num_elementwise_dims"),
    (0, None, torch.float32, "INT32 or INT64"),
])
def test_rejects(axis, ned, index_dtype, match):
    check_rejected(gather(axis, ned=ned), [torch.randn(3, 4), torch.zeros(2, dtype=index_dtype)],
                   match)


def test_rejects_nd_indices_too_long():
    check_rejected(gather(mode="ND"), [torch.randn(3, 4), torch.zeros(2, 3, dtype=torch.int32)],
                   "address")
