"""Section schemas: every field of a profile section's dataclass, type- and range-checked from its annotations.

A profile section (``world``, ``source``, ``cvpr14``, ``actions``, ``cvpr15``) is turned into a dataclass by the module
that owns it (``data/synth/world_config.py``, ``source/config.py``, ``cvpr14/config.py``, ``cvpr14/actions/config.py``,
``cvpr15/config.py``). Overrides and profiles are checked against those dataclasses' type annotations (int, float,
bool, str, tuples, ``X | None``, ``Literal``, dicts), so a new field is covered with no extra code, plus an optional
class attribute ``ACCEPTS = {"field": Accepts(...)}`` for ranges and accepted sets (numbers default to >= 0).

Design (the import direction): ``config`` is a foundation and may not import the experiment packages that own the
dataclasses (tests/test_architecture.py). So this module holds a registry, :data:`SECTION_SCHEMAS`, that
``oquab_lib/sections.py`` fills with the five dataclasses when it is imported; ``session.start`` imports it (inside
the function, as the composition step of a chapter) before resolving, and so do tests that call ``config.resolve``
directly. A section with no registered schema falls back to the keys its profile dict lists.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any, TypeVar

from oquab_lib.errors import ConfigError

T = TypeVar("T")
# The dataclasses live with their experiments (source/, cvpr14/, cvpr15/) and this module may not import those, so
# they are registered here instead: importing ``oquab_lib.sections`` fills SECTION_SCHEMAS (session.start does it
# before resolving). A section without a registered schema accepts only the keys its profile dict lists.
SECTION_SCHEMAS: dict[str, type] = {}


@dataclass(frozen=True)
class Accepts:
    """What a numeric or string field accepts beyond its type: a range (bounds inclusive unless ``*_open``) or a
    set of values. A numeric field without an entry in its class's ``ACCEPTS`` accepts numbers >= 0."""

    low: float | None = 0
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[Any, ...] = ()

    def ok(self, value: Any) -> bool:
        if self.choices:
            return value in self.choices
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return True
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        high_ok = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return low_ok and high_ok

    def describe(self) -> str:
        if self.choices:
            return f"one of {', '.join(repr(c) for c in self.choices)}"
        parts = [f"{'>' if self.low_open else '≥'} {self.low:g}" if self.low is not None else "",
                 f"{'<' if self.high_open else '≤'} {self.high:g}" if self.high is not None else ""]
        return " and ".join(p for p in parts if p)


POSITIVE = Accepts(0, low_open=True)
FRACTION = Accepts(0, 1)


def at_least(low: float) -> Accepts:
    return Accepts(low)


def one_of(*values: Any) -> Accepts:
    return Accepts(choices=tuple(values))


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` has the type ``hint`` (a dataclass annotation); lists stand for tuples (JSON overrides)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if hint is bool:
        return isinstance(value, bool)
    if hint in (int, float):
        return isinstance(value, (int, float) if hint is float else int) and not isinstance(value, bool)
    if origin is tuple:
        if not isinstance(value, (tuple, list)):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in value)
        return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args))
    if origin is dict:
        return isinstance(value, dict) and all(_matches(k, args[0]) and _matches(v, args[1])
                                               for k, v in value.items())
    return isinstance(value, hint) if isinstance(hint, type) else True


_NOUNS = {int: ("an integer", "integers"), float: ("a number", "numbers"), str: ("a string", "strings"),
          bool: ("true or false", "booleans"), type(None): ("None", "None")}


def _describe(hint: Any, plural: bool = False) -> str:
    """``hint`` in words: ``tuple[int, ...]`` -> "a sequence of integers"."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in _NOUNS:
        return _NOUNS[hint][plural]
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a, plural) for a in args)
    if origin is typing.Literal:
        return f"one of {', '.join(repr(a) for a in args)}"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return f"{'sequences' if plural else 'a sequence'} of {_describe(args[0], True)}"
    if origin is tuple:
        same = len(set(args)) == 1
        inner = _describe(args[0], True) if same else ", ".join(_describe(a) for a in args)
        return f"a sequence of {len(args)} {inner}" if same else f"a sequence ({inner})"
    if origin is dict:
        return f"a mapping of {_describe(args[0], True)} to {_describe(args[1], True)}"
    return "anything" if hint is Any else getattr(hint, "__name__", str(hint))


def _numbers(value: Any) -> list[Any]:
    if isinstance(value, (tuple, list)):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def _has_numbers(hint: Any) -> bool:
    return hint in (int, float) or any(_has_numbers(a) for a in typing.get_args(hint) if a is not Ellipsis)


@functools.cache
def _type_hints(schema: type) -> dict[str, Any]:
    """The resolved annotations of a dataclass, once per class: ``typing.get_type_hints`` evaluates every string
    annotation at each call, and a warm chapter checks config sections about a thousand times (1.8 s of 12 s)."""
    return typing.get_type_hints(schema)


def check_value(section: str, key: str, value: Any, schema: type) -> None:
    """One-line ConfigError ``section.key=value: expected ...`` unless ``value`` fits the field ``key`` of the
    dataclass ``schema``: its annotation, then its ``ACCEPTS`` entry (numbers: >= 0 unless the entry says otherwise)."""
    hint = _type_hints(schema)[key]
    accepts = getattr(schema, "ACCEPTS", {}).get(key, Accepts())
    if accepts.choices:
        items = value if isinstance(value, (tuple, list)) else [value]
        ok = _matches(value, hint) and all(v is None or accepts.ok(v) for v in items)
        wanted = accepts.describe() if typing.get_origin(hint) is not tuple else f"a sequence of {accepts.describe()}"
    else:
        ok = _matches(value, hint) and all(accepts.ok(n) for n in _numbers(value))
        wanted = f"{_describe(hint)} {accepts.describe() if _has_numbers(hint) else ''}".strip()
    if not ok:
        raise ConfigError(f"{section}.{key}={value!r}: expected {wanted}")


def check_section(name: str, section: dict[str, Any], schema: type) -> None:
    """Every key of ``section`` is a field of ``schema`` with a value of its type and range (one-line ConfigError)."""
    known = [f.name for f in dataclasses.fields(schema)]
    for key, value in section.items():
        if key not in known:
            raise ConfigError(f"{name}.{key}: unknown parameter; accepted: {', '.join(f'{name}.{k}' for k in known)}")
        check_value(name, key, value, schema)


def from_section(name: str, schema: type[T], section: dict[str, Any]) -> T:
    """The dataclass ``schema`` of a section dict, checked field by field first (see :func:`check_section`)."""
    check_section(name, section, schema)
    return schema(**section)

