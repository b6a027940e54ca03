"""Parser for the recorded TensorRT Python API surface (tests/data/tensorrt-<version>.txt).

The file is a dump of the real `tensorrt` module's bindings:

    ## SUMMARY: INetworkDefinition add_* methods      one comma-separated line of names
    ## ENUMS (name = value)                            `Name: A=0, B=1, ...` per enum
    ## MODULE-LEVEL FUNCTIONS                          a name per line (`name: signature`)
    ## CLASSES
    ### class Name(Base, ...)
      __init__: signature                              possibly several (overloads `1. ...`)
      [meth] name: signature                           `(*args, **kwargs) || 1. sig || 2. sig`
      [prop rw|ro] name: type
      [const] NAME = value
    (`  (inherited)` at the end marks a member defined on a base class)

`Signature.params` are the parameter names without `self`; a signature that is not a call
(pybind11 sometimes records a description instead) parses as None, which matches anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "tensorrt-11.4.0.106.txt"

_CLASS = re.compile(r"^### class (\w+)\((.*)\)\s*$")
_MEMBER = re.compile(r"^  \[(meth|prop rw|prop ro|const)\] (\w+)(?::|\s*=)\s?(.*)$")
_INIT = re.compile(r"^  __init__: (.*)$")
_ENUM = re.compile(r"^(\w+): (.*)$")
VARIADIC = ("*args", "**kwargs")


@dataclass
class Member:
    name: str
    kind: str  # "meth", "prop" or "const"
    writable: bool = False
    inherited: bool = False
    # Overloads as parameter-name tuples (without self); None: not parseable, accept any.
    overloads: list[tuple[str, ...]] | None = None
    text: str = ""


@dataclass
class RecordedClass:
    name: str
    bases: tuple[str, ...]
    members: dict[str, Member] = field(default_factory=dict)
    inits: list[tuple[str, ...]] = field(default_factory=list)


@dataclass
class RecordedAPI:
    add_methods: list[str]
    enums: dict[str, dict[str, int]]
    functions: list[str]
    classes: dict[str, RecordedClass]


def split_params(params: str) -> list[str]:
    """Split a parameter list at top-level commas (defaults may hold `<A.B: 0>`, `[..]`)."""
    parts, depth, current = [], 0, []
    for ch in params:
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>" and depth:
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def param_names(signature: str, name: str) -> tuple[str, ...] | None:
    """Names of the parameters of one `name(...) -> R` signature, without `self`."""
    signature = re.sub(r"^\d+\.\s*", "", signature.strip())
    if not signature.startswith(name + "("):
        return None
    body, depth = [], 0
    for ch in signature[len(name) + 1:]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                break
            depth -= 1
        body.append(ch)
    names = []
    for part in split_params("".join(body)):
        pname = re.split(r"[:=]", part, maxsplit=1)[0].strip()
        if pname != "self":
            names.append(pname)
    return tuple(names)


def overloads(signature: str, name: str) -> list[tuple[str, ...]] | None:
    """All overloads of a recorded method signature (None if it is not a call)."""
    pieces = [p.strip() for p in signature.split("||")]
    if len(pieces) > 1:  # `name(*args, **kwargs) || 1. name(..) || 2. name(..)`
        pieces = pieces[1:]
    found = [param_names(p, name) for p in pieces]
    if any(f is None for f in found):
        return None
    return [f for f in found if f is not None]


def parse(path: Path = DATA) -> RecordedAPI:
    section = ""
    add_methods: list[str] = []
    enums: dict[str, dict[str, int]] = {}
    functions: list[str] = []
    classes: dict[str, RecordedClass] = {}
    current: RecordedClass | None = None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            section, current = line[3:].split(":")[0].split(" (")[0].strip(), None
            continue
        if not line.strip() or line.startswith("# "):
            continue
        if section == "SUMMARY" and not add_methods and not line.startswith(" "):
            add_methods = [n.strip() for n in line.split(",") if n.strip()]
        elif section == "ENUMS" and (m := _ENUM.match(line)):
            members = {}
            for pair in m.group(2).split(","):
                key, value = pair.strip().split("=")
                members[key.strip()] = int(value)
            enums[m.group(1)] = members
        elif section == "MODULE-LEVEL FUNCTIONS":
            functions.append(line.split(":")[0].strip())
        elif section == "CLASSES":
            current = _class_line(line, current, classes)
    return RecordedAPI(add_methods, enums, functions, classes)


def _class_line(line: str, current: RecordedClass | None,
                classes: dict[str, RecordedClass]) -> RecordedClass | None:
    if m := _CLASS.match(line):
        bases = tuple(b.strip() for b in m.group(2).split(",") if b.strip())
        current = classes[m.group(1)] = RecordedClass(m.group(1), bases)
        return current
    if current is None:
        return None
    if m := _INIT.match(line):
        found = overloads(m.group(1), "__init__")
        # `__init__(*args, **kwargs)` only announces the numbered overloads on the next lines
        current.inits.extend(f for f in found or [] if f not in current.inits and f != VARIADIC)
        return current
    if m := _MEMBER.match(line):
        kind, name, text = m.group(1), m.group(2), m.group(3)
        inherited = text.endswith("(inherited)")
        text = text.removesuffix("(inherited)").strip()
        member = Member(name, kind.split()[0], writable=kind == "prop rw", inherited=inherited,
                        text=text)
        if member.kind == "meth":
            member.overloads = overloads(text, name)
        current.members[name] = member
    return current


__all__ = ["DATA", "Member", "RecordedAPI", "RecordedClass", "parse", "param_names",
           "overloads", "split_params"]
