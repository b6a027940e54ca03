"""TRTModule and convert() under threads, copies and misuse (issue "TRTModule and convert() hold
up under threads, copies and misuse"): each case gives PyTorch's result or an error that names
the problem and where."""

from __future__ import annotations

import copy
import io
import pickle
import threading
import warnings

import pytest
import torch
from harness import Lambda

import trtconv
from trtconv import registry, trt
from trtconv.backends import BuildFailedError, ReplayMismatchError
from trtconv.reference.trt.plan import from_bytes
from trtconv.tracing import NestedConversionError

DYNAMIC = {"min_shapes": [(1, 16)], "max_shapes": [(64, 16)]}


def _mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(),
                               torch.nn.Linear(32, 8)).eval()


@pytest.fixture(scope="module")
def dynamic_mlp() -> tuple[torch.nn.Module, trtconv.TRTModule]:
    model = _mlp()
    return model, trtconv.convert(model, [torch.randn(4, 16)], backend="reference", **DYNAMIC)


# --- threads ---------------------------------------------------------------------------------

def test_eight_threads_of_mixed_shapes_each_get_their_own_result(dynamic_mlp):
    _, converted = dynamic_mlp
    inputs = [torch.randn(b, 16) for b in (1, 3, 7, 16, 64, 2, 5, 33)] * 50
    serial = [converted(x) for x in inputs]
    results: list[torch.Tensor | None] = [None] * len(inputs)
    errors: list[BaseException] = []

    def work(first: int) -> None:
        try:
            for i in range(first, len(inputs), 8):
                results[i] = converted(inputs[i])
        except BaseException as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all(r is not None and torch.equal(r, s) for r, s in zip(results, serial))


def test_copies_are_independent_and_called_interleaved(dynamic_mlp):
    model, converted = dynamic_mlp
    buffer = io.BytesIO()
    torch.save(converted, buffer)  # the whole module (not only its state_dict)
    buffer.seek(0)
    copies = {"copy": copy.copy(converted), "deepcopy": copy.deepcopy(converted),
              "pickle": pickle.loads(pickle.dumps(converted)),
              "torch.save": torch.load(buffer, weights_only=False)}
    for batch_a, batch_b in ((2, 9), (64, 1), (5, 5)):
        for name, other in copies.items():
            a, b = torch.randn(batch_a, 16), torch.randn(batch_b, 16)
            got_a, got_b, got_a_again = converted(a), other(b), converted(a)
            torch.testing.assert_close(got_a, model(a), msg=name)
            torch.testing.assert_close(got_b, model(b), msg=name)
            assert torch.equal(got_a, got_a_again), name


class _Busy(threading.Thread):
    """Runs a model of its own and scripts a function in a loop until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop, self.errors, self.calls = threading.Event(), [], 0

    def run(self) -> None:
        model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.GELU(), torch.nn.LayerNorm(8))

        def scripted(x: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.relu(x) + torch.sigmoid(x)

        while not self.stop.is_set():
            try:
                model(torch.randn(4, 8))
                torch.jit.script(scripted)(torch.randn(3))
                self.calls += 1
            except Exception as e:  # noqa: BLE001  (the test asserts there are none)
                self.errors.append(e)


class _Block(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU())
        self.head = torch.nn.Conv2d(8, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.head(self.body(x)), dim=1)


def _layer_names_and_islands() -> tuple[list[str], dict[str, str]]:
    torch.manual_seed(0)
    converted = trtconv.convert(_Block().eval(), [torch.randn(1, 3, 8, 8)], backend="reference",
                                precision="fp16", keep_fp32=["head"])
    names = [layer["name"] for layer in from_bytes(converted.engine_bytes).graph["layers"]]
    return names, converted.metadata["fp32_islands"]


def test_a_conversion_sees_only_its_own_thread():
    quiet = _layer_names_and_islands()
    busy = _Busy()
    busy.start()
    try:
        noisy = [_layer_names_and_islands() for _ in range(3)]
    finally:
        busy.stop.set()
        busy.join(timeout=60)
    assert busy.calls > 0 and not busy.errors, busy.errors[:3]
    assert all(run == quiet for run in noisy)


def test_a_nested_conversion_is_refused_at_once():
    inner = Lambda(torch.relu)

    def forward(x):
        trtconv.convert(inner, [x], backend="reference")
        return x * 2

    with pytest.raises(NestedConversionError, match="already converting"):
        trtconv.convert(Lambda(forward), [torch.randn(3)], backend="reference")
    x = torch.randn(3)  # and the next conversion works
    torch.testing.assert_close(trtconv.convert(inner, [x], backend="reference")(x), torch.relu(x))


class _UpdatesInPlace(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("seen", torch.zeros(3))
        self.scale = torch.nn.Parameter(torch.ones(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.add_(x.sum(0))
        x.mul_(2)
        with torch.no_grad():
            self.scale.mul_(3)
        return x * self.scale + self.seen


def test_convert_leaves_inputs_parameters_and_buffers_as_they_were():
    model, x = _UpdatesInPlace(), torch.randn(2, 3)
    before = {name: (t.clone(), t._version) for name, t in
              [("x", x), *model.named_parameters(), *model.named_buffers()]}
    with pytest.warns(UserWarning, match="updates its input 'input_0' in place"):
        converted = trtconv.convert(model, [x], backend="reference")
    for name, t in [("x", x), *model.named_parameters(), *model.named_buffers()]:
        assert torch.equal(t, before[name][0]) and t._version == before[name][1], name
    torch.testing.assert_close(converted(x.clone()), _UpdatesInPlace()(x.clone()))


# --- errors that name the thing --------------------------------------------------------------

def test_output_names_that_are_input_names():
    with pytest.raises(trtconv.InputError, match=r"output_names \['input_0'\] are input names"):
        trtconv.convert(Lambda(torch.relu), [torch.randn(2)], backend="reference",
                        output_names=["input_0"])


def test_a_float64_model_takes_and_returns_float64():
    model = torch.nn.Linear(4, 2).double().eval()
    x = torch.randn(3, 4, dtype=torch.float64)
    with pytest.warns(UserWarning, match="input 'input_0' is float64: the engine computes in "
                                         "float32"):
        converted = trtconv.convert(model, [x], backend="reference")
    got = converted(x)
    assert got.dtype == torch.float64
    torch.testing.assert_close(got, model(x), atol=1e-5, rtol=1e-5)


def test_a_plain_function_is_a_model():
    def gelu_twice(x, y):
        return torch.nn.functional.gelu(x) * y

    x, y = torch.randn(2, 3), torch.randn(2, 3)
    converted = trtconv.convert(gelu_twice, [x, y], backend="reference")
    torch.testing.assert_close(converted(x, y), gelu_twice(x, y))


def test_a_converter_making_an_invalid_layer_is_named():
    def bad(ctx, input):
        x = ctx.trt(input)
        return ctx.network.add_elementwise(x, ctx.constant(torch.ones(5, 7)),
                                           trt.ElementWiseOperation.SUM).get_output(0)

    with registry.scope():
        trtconv.tensorrt_converter("torch.nn.functional.softsign", priority=10)(bad)
        with pytest.raises(trtconv.ConversionError, match=r"converter for torch.nn.functional."
                                                          r"softsign in module '<root>' made a "
                                                          r"layer TensorRT rejects"):
            trtconv.convert(Lambda(torch.nn.functional.softsign), [torch.randn(2, 3)],
                            backend="reference")


def test_a_validator_that_raises_is_named():
    def validator(*args, **kwargs):
        raise KeyError("oops")

    with registry.scope():
        trtconv.tensorrt_converter("torch.nn.functional.softsign", priority=10,
                                   validator=validator)(lambda ctx, input: ctx.trt(input))
        with pytest.raises(trtconv.ConversionError, match=r"validator of torch.nn.functional."
                                                          r"softsign's converter raised"):
            trtconv.convert(Lambda(torch.nn.functional.softsign), [torch.randn(2, 3)],
                            backend="reference")


def test_a_converter_returning_a_torch_tensor_is_named():
    with registry.scope():
        trtconv.tensorrt_converter("torch.nn.functional.softsign", priority=10)(
            lambda ctx, input: ctx.output)
        with pytest.raises(trtconv.ConversionError, match=r"softsign .* returned a torch."
                                                          r"Tensor; a converter returns"):
            trtconv.convert(Lambda(torch.nn.functional.softsign), [torch.randn(2, 3)],
                            backend="reference")


@pytest.mark.parametrize("options, message", [
    ({"min_shapes": [(1, 3)], "max_shapes": [(4, 3)]}, r"min_shapes has 1 shape\(s\) for 2 "),
    ({"min_shapes": 3, "max_shapes": [(4, 3), (4, 3)]}, r"min_shapes must be a list with one "
                                                        r"shape"),
    ({"min_shapes": [(1, 3), (1, 3), (1, 3)], "max_shapes": [(4, 3)] * 3},
     r"min_shapes has 3 shape\(s\) for 2"),
    ({"min_shapes": [(1.5, 3), (1, 3)], "max_shapes": [(4, 3)] * 2},
     r"min_shapes\[0\] has a dim 1.5 \(float\)"),
    ({"min_shapes": [("1", 3), (1, 3)], "max_shapes": [(4, 3)] * 2},
     r"min_shapes\[0\] has a dim '1' \(str\)"),
    ({"profiles": [{"min_shapes": [(1, 3)] * 2, "max_shape": [(8, 3)] * 2}]},
     r"profiles\[0\] has an unknown key 'max_shape' \(did you mean 'max_shapes'\?\)"),
], ids=["short list", "bare int", "extra shapes", "float dim", "str dim", "misspelled key"])
def test_shape_specs_are_checked(options, message):
    model = Lambda(lambda a, b: a + b)
    with pytest.raises(trtconv.InputError, match=message):
        trtconv.convert(model, [torch.randn(2, 3), torch.randn(2, 3)], backend="reference",
                        **options)


def test_an_extra_profile_without_opt_uses_its_max():
    converted = trtconv.convert(Lambda(torch.relu), [torch.randn(2, 3)], backend="reference",
                                profiles=[{"min_shapes": [(8, 3)], "max_shapes": [(16, 3)]}])
    x = torch.randn(12, 3)
    torch.testing.assert_close(converted(x), torch.relu(x))


def test_dynamic_dims_that_disagree_at_run_time():
    model = Lambda(lambda a, b: a + b)
    converted = trtconv.convert(model, [torch.randn(2, 3), torch.randn(2, 3)],
                                backend="reference", min_shapes=[(1, 3)] * 2,
                                max_shapes=[(8, 3)] * 2)
    with pytest.raises(trtconv.InputError, match=r"cannot run inputs of shapes input_0 \(2, 3\), "
                                                 r"input_1 \(5, 3\)"):
        converted(torch.randn(2, 3), torch.randn(5, 3))


def test_meta_inputs_are_refused():
    with pytest.raises(trtconv.InputError, match="input 'input_0' is on the meta device"):
        trtconv.convert(Lambda(torch.relu), [torch.empty(2, 3, device="meta")],
                        backend="reference")


def test_a_dict_input_with_its_keys_in_another_order():
    model = Lambda(lambda d: d["a"] * 2 + d["b"])
    converted = trtconv.convert(model, [{"a": torch.randn(2), "b": torch.randn(2)}],
                                backend="reference")
    a, b = torch.randn(2), torch.randn(2)
    torch.testing.assert_close(converted({"b": b, "a": a}), a * 2 + b)


@pytest.mark.parametrize("field, value, message", [
    ("input_spec", "{not json", "field 'input_spec' is damaged: JSONDecodeError"),
    ("guards", [{"index": 0}], "field 'guards' is damaged: KeyError"),
    ("backend", "tensorrt9", "field 'backend' is 'tensorrt9'"),
    ("input_names", "abc", "field 'input_names' is a str, expected list"),
    ("output_structure", {"kind": "weird"}, "field 'output_structure' is damaged"),
    ("constant_args", [{"leaf": 0}], "field 'constant_args' is damaged"),
])
def test_tampered_state_fields_are_named(field, value, message):
    state = trtconv.convert(Lambda(torch.relu), [torch.randn(2)], backend="reference").state_dict()
    key = next(k for k in state if k.endswith("_extra_state"))
    module = trtconv.TRTModule()
    with pytest.raises(trtconv.TrtconvError, match=message):
        module.load_state_dict({key: {**state[key], field: value}})


def test_backend_errors_are_trtconv_errors():
    assert issubclass(BuildFailedError, trtconv.TrtconvError)
    assert issubclass(ReplayMismatchError, trtconv.TrtconvError)


# --- out-of-range indices ----------------------------------------------------------------------

def test_indices_out_of_range_are_checked_on_request():
    embedding = torch.nn.Embedding(10, 4).eval()
    ids = torch.tensor([[1, 2, 3]])
    checked = trtconv.convert(embedding, [ids], backend="reference", check_indices=True)
    torch.testing.assert_close(checked(torch.tensor([[0, 5, 9]])),
                               embedding(torch.tensor([[0, 5, 9]])))
    with pytest.raises(trtconv.GuardError, match="embedding indices within \\[0, size\\).*"
                                                 "PyTorch raises an error"):
        checked(torch.tensor([[4, 5, 10]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # by default: no check, and nothing to warn about
        unchecked = trtconv.convert(embedding, [ids], backend="reference")
    assert unchecked.guards == []
    unchecked(torch.tensor([[4, 5, 10]]))  # TensorRT's gather does not raise


def test_advanced_indexing_and_gather_are_checked_on_request():
    model = Lambda(lambda x, i: x[i] + torch.gather(x, 0, i[:, None].expand(-1, 3)))
    checked = trtconv.convert(model, [torch.randn(5, 3), torch.tensor([0, 4])],
                              backend="reference", check_indices=True)
    x = torch.randn(5, 3)
    torch.testing.assert_close(checked(x, torch.tensor([1, 2])), model(x, torch.tensor([1, 2])))
    with pytest.raises(trtconv.GuardError, match=r"(tensor\[index\]|gather) indices within"):
        checked(x, torch.tensor([0, 5]))
