"""The reference TensorRT defines nothing that the real TensorRT 11.4 API does not have.

Checked against the recorded API surface (tests/data/tensorrt-11.4.0.106.txt, parsed by
recorded_api.py), dynamically, so layer families added later are covered:

- every public class of `trtconv.reference.trt` exists in the recording (enums as enums);
- every public method, property and constant of those classes exists on the recorded class,
  as the same kind (method vs property), and every method's parameter names (without `self`)
  equal those of the recorded signature, or of one of its overloads; constructors likewise
  where the recording lists them;
- every enum's members and values equal the recorded ones;
- module-level functions exist in the recording.

Members are what the reference's own classes define (walking the MRO, skipping Python's
builtins); attributes set only in `__init__` are not visible here. Reference-only helpers are
allowed only when listed below with the reason they exist.

It also prints how many of the recorded `INetworkDefinition.add_*` methods the reference
implements, and which are missing.
"""

from __future__ import annotations

import enum
import inspect
import types
from typing import Any

import pytest
from recorded_api import VARIADIC, RecordedClass, parse

from trtconv.reference import trt

API = parse()

# Module-level names that exist only in the reference, and why.
REFERENCE_ONLY_NAMES = {
    "TensorInfo": "what shape/type inference knows about a tensor; the layer protocol's record",
    "LayerError": "raised by a layer's infer(); surfaces as TensorRT's shape error or None plan",
    "PlanError": "raised for bytes that are not a valid reference plan",
    "torch_dtype": "DataType -> torch dtype, for the torch execution of layers",
    "trt_dtype": "torch dtype -> DataType",
    "IS_REFERENCE": "lets code tell the reference module from the real tensorrt",
    "Severity": "also exported at top level; the recorded API has it as ILogger.Severity "
                "(its members are checked against ILogger's constants)",
}
# Members of ILayer that exist only in the reference: the layer-family protocol (core.py).
# They are allowed on every reference layer class, and on IAttention (a layer here).
LAYER_PROTOCOL = {
    "layer_type": "the LayerType a family registers under",
    "num_fixed_outputs": "how many outputs a family's layers have",
    "shape_inputs": "which inputs are shape tensors (read on the host)",
    "props": "the declared properties (what a recording stores and replays)",
    "infer": "shape/type inference of the family",
    "execute": "torch execution of the family",
    "specialize": "execute for the concrete shapes of one run (the runtime's per-shape schedules)",
    "fail": "builds the LayerError naming the layer",
    "require_inputs": "infer helper: the inputs that must be present",
    "max_inputs": "the highest index set_input accepts",
}
REFERENCE_ONLY_MEMBERS = {
    ("ITensor", "info"): "the inferred TensorInfo (shape, dtype, host value)",
    ("Weights", "tensor"): "the weights as a flat torch tensor",
    ("DataType", "itemsize"): "a real DataType property; the recording lists enum members only",
    ("IAttention", "type"): "the reference implements IAttention as a layer (one, where "
                            "TensorRT adds an input and an output layer)",
    ("IAttention", "get_output_type"): "as IAttention.type",
    **{("IOutputAllocator", name): "a virtual method the application overrides: pybind11 "
       "records none, TensorRT's class docstring names it with these parameters"
       for name in ("reallocate_output", "reallocate_output_async", "notify_shape")},
}
# Mismatches in the reference's core files (core.py, builder.py, runtime.py, network.py)
# reported for fixing there; the test fails when one is fixed, so this list stays true.
KNOWN_MEMBER_MISMATCHES: set[str] = set()
KNOWN_MODULE_MISMATCHES: set[str] = set()


def check_known(problems: list[str], known: set[str], what: str) -> None:
    """Fail on a new mismatch, and on a known one that is gone (so the list stays true)."""
    new = sorted(set(problems) - known)
    assert not new, f"{len(new)} {what} differ from the recorded API:\n  " + "\n  ".join(new)
    fixed = sorted(known - set(problems))
    assert not fixed, "fixed, remove from KNOWN_*_MISMATCHES:\n  " + "\n  ".join(fixed)


def reference_only(cls_name: str, member: str, cls: type) -> bool:
    if (cls_name, member) in REFERENCE_ONLY_MEMBERS:
        return True
    return issubclass(cls, trt.ILayer) and member in LAYER_PROTOCOL


def own_members(cls: type) -> dict[str, Any]:
    """Public names defined by the reference's classes in `cls`'s MRO (not builtins')."""
    found: dict[str, Any] = {}
    for klass in cls.__mro__:
        if not klass.__module__.startswith("trtconv.reference"):
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and name not in found:
                found[name] = value
    return found


def kind_of(value: Any) -> str:
    if isinstance(value, (property, trt.core.Prop)):
        return "prop"
    if isinstance(value, (types.FunctionType, staticmethod, classmethod)):
        return "meth"
    if inspect.isclass(value):
        return "class"
    return "data"


def params(value: Any) -> tuple[str, ...]:
    """Parameter names as the recording writes them (no self; *args, **kwargs marked)."""
    func = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
    names = []
    for p in inspect.signature(func).parameters.values():
        prefix = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        names.append(prefix + p.name)
    if not isinstance(value, staticmethod) and names:
        names = names[1:]  # self / cls
    return tuple(names)


def show(overloads: list[tuple[str, ...]]) -> str:
    return " | ".join(f"({', '.join(o)})" for o in overloads)


def public_module_names() -> dict[str, Any]:
    return {n: v for n, v in vars(trt).items()
            if not n.startswith("_") and not isinstance(v, types.ModuleType)}


def reference_classes() -> dict[str, type]:
    return {n: v for n, v in public_module_names().items()
            if inspect.isclass(v) and not issubclass(v, enum.Enum)}


def reference_enums() -> dict[str, type[enum.Enum]]:
    return {n: v for n, v in public_module_names().items()
            if inspect.isclass(v) and issubclass(v, enum.Enum)}


def class_mismatches(name: str, cls: type, recorded: RecordedClass) -> list[str]:
    problems = []
    for member, value in sorted(own_members(cls).items()):
        if reference_only(name, member, cls):
            continue
        rec = recorded.members.get(member)
        if rec is None:
            problems.append(f"{name}.{member}: not in the recorded {name}")
            continue
        kind = kind_of(value)
        if {kind, rec.kind} == {"meth", "prop"}:
            problems.append(f"{name}.{member}: a {'method' if kind == 'meth' else 'property'} "
                            f"in the reference, recorded as {rec.kind}")
        elif kind == "meth" and rec.kind == "meth" and rec.overloads is not None:
            got = params(value)
            if got not in rec.overloads:
                problems.append(f"{name}.{member}({', '.join(got)}): recorded parameters are "
                                f"{show(rec.overloads)}")
    if recorded.inits and any(k.__module__.startswith("trtconv.reference")
                              and ("__init__" in vars(k) or "__new__" in vars(k))
                              for k in cls.__mro__):
        got = tuple(p.name for p in inspect.signature(cls).parameters.values())
        if got not in recorded.inits and VARIADIC not in recorded.inits:
            problems.append(f"{name}.__init__({', '.join(got)}): recorded constructors are "
                            f"{show(recorded.inits)}")
    return problems


def test_recording_parses():
    assert len(API.add_methods) == 57 and "add_convolution_nd" in API.add_methods
    assert API.enums["DataType"]["BF16"] == 7
    assert API.classes["INetworkDefinition"].members["add_fill"].overloads == [
        ("shape", "op", "output_type")]
    assert API.classes["Weights"].inits == [("type",), ("type", "ptr", "count"), ("a",)]


def test_add_methods_implemented(capsys, record_property):
    recorded = API.add_methods
    have = [n for n in recorded if callable(getattr(trt.INetworkDefinition, n, None))]
    missing = [n for n in recorded if n not in have]
    line = (f"reference implements {len(have)} of {len(recorded)} add_* methods"
            + (f": missing {', '.join(missing)}" if missing else ""))
    with capsys.disabled():
        print(f"\n[api-conformance] {line}")
    record_property("add_methods", line)
    extra = sorted(n for n in dir(trt.INetworkDefinition)
                   if n.startswith("add_") and n not in recorded)
    assert not extra, f"add_* methods TensorRT 11.4 does not have: {extra}"
    assert "add_input" in have


def test_module_names_are_recorded():
    problems = []
    for name, value in sorted(public_module_names().items()):
        if name in REFERENCE_ONLY_NAMES:
            continue
        if inspect.isclass(value):
            if issubclass(value, enum.Enum):
                if name not in API.enums:
                    problems.append(f"enum {name}: not in the recorded API")
            elif name not in API.classes:
                problems.append(f"class {name}: not in the recorded API")
        elif callable(value):
            if name not in API.functions:
                problems.append(f"function {name}: not in the recorded module functions")
        elif not isinstance(value, trt.DataType):  # trt.float32 etc. are DataType aliases
            problems.append(f"{name} = {value!r}: not a recorded name")
    check_known(problems, KNOWN_MODULE_MISMATCHES, "module name(s)")


def test_class_members_match_recording():
    problems = []
    for name, cls in sorted(reference_classes().items()):
        if name in API.classes:
            problems.extend(class_mismatches(name, cls, API.classes[name]))
    check_known(problems, KNOWN_MEMBER_MISMATCHES, "class member(s)")


def test_enum_members_and_values_match_recording():
    problems = []
    for name, cls in sorted(reference_enums().items()):
        if name == "Severity":
            recorded = {m: int(API.classes["ILogger"].members[m].text.split(":")[-1].strip(" >"))
                        for m in cls.__members__}
        elif name in API.enums:
            recorded = API.enums[name]
        else:
            continue  # reported by test_module_names_are_recorded
        ours = {m: int(v) for m, v in cls.__members__.items()}
        if ours != recorded:
            problems.append(f"{name}: reference {ours}, recorded {recorded}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("family", ["IFillLayer", "ICumulativeLayer", "IOneHotLayer",
                                    "IScatterLayer", "IEinsumLayer", "IQuantizeLayer",
                                    "IDequantizeLayer", "IReverseSequenceLayer",
                                    "INonZeroLayer", "IAttention"])
def test_layer_properties_are_the_recorded_ones(family):
    """Each family declares the recorded properties (read/write ones as Props, so recordings
    replay them), and nothing else."""
    cls = reference_classes()[family]
    recorded = API.classes[family]
    declared = set(cls.props())
    writable = {n for n, m in recorded.members.items()
                if m.kind == "prop" and m.writable and not m.inherited}
    writable -= {"name", "metadata", "causal"}  # ILayer's own, and IAttention's alias
    assert writable <= declared, f"recorded rw properties not declared: {writable - declared}"
    assert declared <= set(recorded.members), f"unrecorded: {declared - set(recorded.members)}"


def test_checker_catches_mismatches():
    """The member check itself: a wrong parameter name, an extra member, a kind mismatch."""
    class IShapeLayer(trt.ILayer):  # noqa: N801  (named like the recorded class it fakes)
        __module__ = "trtconv.reference.trt.layers.fake"

        def get_input(self, idx):  # recorded: (index)
            return None

        def helper(self):
            return None

        @property
        def set_input(self):  # recorded as a method
            return None

    found = class_mismatches("IShapeLayer", IShapeLayer, API.classes["IShapeLayer"])
    assert any(p.startswith("IShapeLayer.get_input(idx)") for p in found), found
    assert "IShapeLayer.helper: not in the recorded IShapeLayer" in found
    assert any(p.startswith("IShapeLayer.set_input: a property") for p in found), found
    assert not any("infer" in p or "max_inputs" in p for p in found)
