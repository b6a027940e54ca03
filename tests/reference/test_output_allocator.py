"""IOutputAllocator in the reference runtime: outputs sized after execution, as TensorRT does.

A non-zero layer's output is (rank, -1) even with every input shape set; the runtime asks the
output's allocator for exactly the bytes it needs (never 0), writes there, and reports the
shape. Without an allocator (or with one that gives no memory) execution fails, logged."""

import torch

from trtconv.backends.replay import capturing_logger
from trtconv.reference import trt


class Recorder(trt.IOutputAllocator):
    """Allocates torch tensors and records every call."""

    def __init__(self, give: bool = True):
        trt.IOutputAllocator.__init__(self)
        self.calls, self.shapes, self.buffers, self.give = [], [], [], give

    def reallocate_output(self, tensor_name, memory, size, alignment):
        self.calls.append((tensor_name, memory, size, alignment))
        if not self.give:
            return 0
        self.buffers.append(torch.empty(size, dtype=torch.uint8))
        return self.buffers[-1].data_ptr()

    def notify_shape(self, tensor_name, shape):
        self.shapes.append((tensor_name, tuple(shape)))


def engine_and_context():
    """x (2, 3) float -> y = nonzero(x) (2, -1) INT64 and z = x + x (2, 3)."""
    logger = capturing_logger(trt)
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    x = network.add_input("x", trt.float32, (2, 3))
    y = network.add_non_zero(x, trt.int64).get_output(0)
    y.name = "y"
    z = network.add_elementwise(x, x, trt.ElementWiseOperation.SUM).get_output(0)
    z.name = "z"
    network.mark_output(y)
    network.mark_output(z)
    plan = builder.build_serialized_network(network, builder.create_builder_config())
    engine = trt.Runtime(logger).deserialize_cuda_engine(plan)
    return logger, engine, engine.create_execution_context()


def test_data_dependent_output_is_sized_after_execution():
    logger, engine, context = engine_and_context()
    x = torch.tensor([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]])
    z = torch.empty(2, 3)
    assert context.set_input_shape("x", (2, 3))
    assert tuple(context.get_tensor_shape("y")) == (2, -1)
    assert tuple(context.get_tensor_shape("z")) == (2, 3)
    allocator = Recorder()
    assert context.set_output_allocator("y", allocator)
    assert context.get_output_allocator("y") is allocator
    context.set_tensor_address("x", x.data_ptr())
    context.set_tensor_address("z", z.data_ptr())
    assert context.execute_async_v3(0), logger.errors()
    assert allocator.calls == [("y", 0, 2 * 3 * 8, 256)]
    assert allocator.shapes == [("y", (2, 3))]
    got = allocator.buffers[0].view(torch.int64).view(2, 3)
    assert torch.equal(got, torch.nonzero(x).t())
    assert context.get_tensor_address("y") == allocator.buffers[0].data_ptr()
    assert torch.equal(z, x + x)
    # an empty selection still asks for memory (size is never 0), and a new one each time
    x.zero_()
    assert context.execute_async_v3(0)
    assert allocator.calls[-1] == ("y", allocator.buffers[0].data_ptr(), 1, 256)
    assert allocator.shapes[-1] == ("y", (2, 0))


def test_without_an_allocator_execution_fails():
    logger, engine, context = engine_and_context()
    x, y, z = torch.ones(2, 3), torch.empty(2, 6, dtype=torch.int64), torch.empty(2, 3)
    for name, t in (("x", x), ("y", y), ("z", z)):
        context.set_tensor_address(name, t.data_ptr())
    assert not context.execute_async_v3(0)
    assert "data-dependent shape" in logger.errors()[-1]


def test_an_allocator_that_gives_no_memory_fails_execution():
    logger, engine, context = engine_and_context()
    x, z = torch.ones(2, 3), torch.empty(2, 3)
    context.set_tensor_address("x", x.data_ptr())
    context.set_tensor_address("z", z.data_ptr())
    context.set_output_allocator("y", Recorder(give=False))
    assert not context.execute_async_v3(0)
    assert "gave no memory" in logger.errors()[-1]


def test_allocators_for_static_outputs_and_unset():
    logger, engine, context = engine_and_context()
    x = torch.ones(2, 3)
    context.set_tensor_address("x", x.data_ptr())
    allocators = {"y": Recorder(), "z": Recorder()}
    for name, allocator in allocators.items():
        assert context.set_output_allocator(name, allocator)
    assert context.execute_async_v3(0)
    assert allocators["z"].calls == [("z", 0, 24, 256)] and allocators["z"].shapes == [
        ("z", (2, 3))]
    assert torch.equal(allocators["z"].buffers[0].view(torch.float32).view(2, 3), x + x)
    assert context.set_output_allocator("z", None)
    assert context.get_output_allocator("z") is None
    assert not context.set_output_allocator("x", Recorder())  # an input
    assert "not an output" in logger.errors()[-1]
